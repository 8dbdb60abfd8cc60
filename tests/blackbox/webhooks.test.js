// Webhooks in: every fixture kind posted as the provider would, checked in the store;
// repeated deliveries; and every bad input refused with nothing stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, waitForLog } from './lib/server.js';
import { dump, sql, lockDatabase } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { CHANNELS, connectAll, fixture, postMeta, postTelegram, postTelegramFixture, sign, telegramRegistered } from './lib/providers.js';
import { startFakeProvider } from './lib/fake_provider.js';

let s, fake, admin, ch;
before(async () => {
  fake = await startFakeProvider();
  // A write waits 1 s for another process's lock (5 s by default): the 503 test waits it out.
  s = await startServer({ env: { ...fake.env, CENTRALITA_BUSY_TIMEOUT_MS: '1000' } });
  admin = await adminClient(s);
  ch = await connectAll(admin);
  await telegramRegistered(s, ch.telegram.id);
});
after(async () => { await s.stop(); await fake.stop(); });

// The stored message with this provider id, with its conversation and contact.
// The media fetcher retries earlier tests' downloads in the background: its rows may move
// while a test checks that a request stored nothing.
const NO_MEDIA = { except: ['media'] };

function message(providerId) {
  const row = sql(s, `SELECT m.direction, m.sender, m.type, coalesce(m.raw_type, ''), coalesce(m.text, ''),
    coalesce(m.details, ''), m.status, m.created_at, v.id, v.status, c.name, coalesce(c.phone, ''), i.external_id,
    m.error_code, coalesce(m.error_title, '')
    FROM messages m JOIN conversations v ON v.id = m.conversation_id JOIN contacts c ON c.id = v.contact_id
    JOIN contact_identities i ON i.id = v.identity_id WHERE m.provider_message_id = '${providerId}'`);
  if (!row) return null;
  const f = row.split('|');
  return { direction: f[0], sender: f[1], type: f[2], raw_type: f[3], text: f[4], details: f[5] ? JSON.parse(f[5]) : {},
    status: f[6], created_at: Number(f[7]), conversation: Number(f[8]), conversation_status: f[9], contact: f[10],
    phone: f[11], identity: f[12], error_code: f[13], error_title: f[14] };
}

test('Meta GET handshake: the challenge only for a verify token of that kind', async () => {
  const get = (kind, token, challenge = '1158201444', mode = 'subscribe') =>
    fetch(`${s.url}/webhooks/${kind}?hub.mode=${mode}&hub.challenge=${challenge}&hub.verify_token=${token}`);
  for (const kind of ['whatsapp', 'messenger', 'instagram']) {
    const ok = await get(kind, CHANNELS[kind].verify_token);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type'), /^text\/plain/);
    assert.equal(await ok.text(), '1158201444');
  }
  assert.equal((await get('whatsapp', 'wrong')).status, 403);
  assert.equal((await get('messenger', CHANNELS.whatsapp.verify_token)).status, 403);
  assert.equal((await get('whatsapp', CHANNELS.whatsapp.verify_token, '1158201444', 'unsubscribe')).status, 403);
  assert.equal((await get('whatsapp', CHANNELS.whatsapp.verify_token, '<script>')).status, 403);
  assert.equal((await fetch(`${s.url}/webhooks/whatsapp`)).status, 403);
});

test('WhatsApp: text, image, buttons and lists, batched, stored with contact and conversation', async () => {
  for (const f of ['text', 'image', 'interactive_button_reply', 'interactive_list_reply', 'batched']) {
    const r = await postMeta(s, 'whatsapp', fixture(`whatsapp/${f}.json`));
    assert.equal(r.status, 200, `${f}: ${r.text}`);
  }
  const text = message('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUI4RjM2QTk5RjQ0MTFCRDQ3NgA=');
  assert.equal(text.direction, 'in');
  assert.equal(text.sender, 'contact');
  assert.equal(text.type, 'text');
  assert.equal(text.text, 'Hola, quería información sobre un pedido');
  assert.equal(text.status, 'received');
  assert.equal(text.created_at, 1764000000000);
  assert.equal(text.contact, 'Lucía Fernández');
  assert.equal(text.phone, '+34612345678');
  assert.equal(text.identity, '34612345678');
  assert.equal(text.conversation_status, 'open');
  const image = message('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQjE5RDY1NkQ0OTQ4QzE2QUU4NgA=');
  assert.equal(image.type, 'image');
  assert.equal(image.text, 'El paquete llegó así');
  assert.equal(image.details.media_ref, '1003383421387256');
  assert.equal(image.details.media_mime, 'image/jpeg');
  // The same customer's messages share one conversation.
  assert.equal(image.conversation, text.conversation);
  const button = message('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUZFNDQ5NkI3MTk0MDlBQTZFNAA=');
  assert.equal(button.type, 'reply');
  assert.equal(button.text, 'Ventas');
  assert.equal(button.details.payload, 'opt-sales');
  const list = message('wamid.HBgLMzQ2OTk4ODc3NjYVAgASGBQzQTc3MUQxQTY3RkE1QkQxMjVCQQA=');
  assert.equal(list.type, 'reply');
  assert.equal(list.text, 'Cataluña');
  assert.equal(list.details.payload, 'region-cat');
  assert.equal(list.contact, 'Jordi Puig');
  assert.notEqual(list.conversation, text.conversation);
  assert.equal(sql(s, "SELECT count(*) FROM messages WHERE provider_message_id LIKE 'wamid.batch-%'"), '2');
  assert.equal(sql(s, `SELECT count(*) FROM conversations WHERE channel_id = ${ch.whatsapp.id}`), '4');
  // The channel's health shows the last message received.
  const channel = (await admin.get(`/api/v1/channels/${ch.whatsapp.id}`)).json.channel;
  assert.ok(channel.last_inbound_at > 0);
});

test('WhatsApp statuses move our outgoing messages forward and record failures', async () => {
  const conv = message('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUI4RjM2QTk5RjQ0MTFCRDQ3NgA=').conversation;
  for (const id of ['wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI4NzE3RjBDNjdEMzBDQjE2QjYA', 'wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBJBNTMxQjlGQ0QxRDMyRjk4RkEA'])
    sql(s, `INSERT INTO messages (account_id, conversation_id, channel_id, direction, sender, type, text, provider_message_id, status, created_at)
      VALUES (1, ${conv}, ${ch.whatsapp.id}, 'out', 'agent', 'text', 'respuesta', '${id}', 'sent', 1764000200000)`);
  assert.equal((await postMeta(s, 'whatsapp', fixture('whatsapp/status_delivered.json'))).status, 200);
  assert.equal((await postMeta(s, 'whatsapp', fixture('whatsapp/status_failed.json'))).status, 200);
  assert.equal(message('wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI4NzE3RjBDNjdEMzBDQjE2QjYA').status, 'delivered');
  const failed = message('wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBJBNTMxQjlGQ0QxRDMyRjk4RkEA');
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error_code, '131047');
  assert.equal(failed.error_title, 'Re-engagement message');
  // A late "sent" never moves a delivered message back.
  const late = fixture('whatsapp/status_delivered.json').replace('"delivered"', '"sent"');
  assert.equal((await postMeta(s, 'whatsapp', late)).status, 200);
  assert.equal(message('wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI4NzE3RjBDNjdEMzBDQjE2QjYA').status, 'delivered');
});

test('Messenger: text, quick reply, postback, image, echo, delivery and read', async () => {
  for (const f of ['text', 'quick_reply', 'postback', 'image', 'echo'])
    assert.equal((await postMeta(s, 'messenger', fixture(`messenger/${f}.json`))).status, 200, f);
  const quick = message('m_quickreply_0001');
  assert.equal(quick.type, 'reply');
  assert.equal(quick.text, 'Ventas');
  assert.equal(quick.details.payload, 'OPT_SALES');
  assert.equal(quick.identity, '6543210987654321');
  const postback = message('m_postback_0001');
  assert.equal(postback.type, 'reply');
  assert.equal(postback.text, 'Hablar con soporte');
  assert.equal(postback.details.payload, 'OPT_SUPPORT');
  const image = message('m_image_0001');
  assert.equal(image.type, 'image');
  assert.equal(image.details.media_ref, 'https://scontent.example.invalid/v/t1.15752-9/photo.jpg');
  // An echo is the business writing from Meta's own app: stored as outgoing, in the same conversation.
  const echo = message('m_echo_0001');
  assert.equal(echo.direction, 'out');
  assert.equal(echo.sender, 'provider_app');
  assert.equal(echo.conversation, quick.conversation);
  // Delivery by mid, read by watermark.
  sql(s, `INSERT INTO messages (account_id, conversation_id, channel_id, direction, sender, type, text, provider_message_id, status, created_at)
    VALUES (1, ${quick.conversation}, ${ch.messenger.id}, 'out', 'agent', 'text', 'x', 'm_sent_by_us_0001', 'sent', 1764000230000),
           (1, ${quick.conversation}, ${ch.messenger.id}, 'out', 'agent', 'text', 'y', 'm_later_0002', 'sent', 1764000250000)`);
  assert.equal((await postMeta(s, 'messenger', fixture('messenger/delivery_read.json'))).status, 200);
  assert.equal(message('m_sent_by_us_0001').status, 'read');
  assert.equal(message('m_later_0002').status, 'sent');
});

test('Instagram: text, story reply, echo', async () => {
  for (const f of ['text', 'story_reply', 'echo'])
    assert.equal((await postMeta(s, 'instagram', fixture(`instagram/${f}.json`))).status, 200, f);
  const story = JSON.parse(fixture('instagram/story_reply.json')).entry[0].messaging[0].message;
  const m = message(story.mid);
  assert.equal(m.text, '¿Este modelo está en talla M?');
  assert.equal(m.details.story_url, 'https://lookaside.example.invalid/story.jpg');
  assert.equal(m.identity, '987654321098765');
  const echo = message(JSON.parse(fixture('instagram/echo.json')).entry[0].messaging[0].message.mid);
  assert.equal(echo.direction, 'out');
  assert.equal(echo.conversation, m.conversation);
});

test('Telegram: text, photo, start, button tap, edit; group messages ignored', async () => {
  const post = (f) => {
    const r = postTelegramFixture(s, ch.telegram.id, `telegram/${f}.json`);
    assert.equal(r.status, 0, `${f}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^200 /);
  };
  post('start_command');
  assert.equal(message('5123456789:4820').contact, 'Marta');
  // The contact follows the name the provider gives, as long as nobody renamed it.
  post('text');
  assert.equal(message('5123456789:4821').contact, 'Marta Gómez');
  for (const f of ['photo', 'callback_query', 'edited_message', 'group_message']) post(f);
  const text = message('5123456789:4821');
  assert.equal(text.identity, '5123456789');
  // The edit replaced the text it edits.
  assert.equal(text.text, 'Hola, necesito ayuda con mi factura de octubre');
  assert.ok(sql(s, "SELECT edited_at FROM messages WHERE provider_message_id = '5123456789:4821'") > 0);
  const tap = message('cb:2205391746138372901');
  assert.equal(tap.type, 'reply');
  assert.equal(tap.details.payload, 'opt-accounting');
  assert.equal(sql(s, "SELECT count(*) FROM messages WHERE text LIKE '%grupo%' OR provider_message_id LIKE '-100%'"), '0');
  await waitForLog(s, /ignored: /);
});

test('a payload of the right kind with no message is answered 200 and stores nothing', async () => {
  const before = dump(s, NO_MEDIA).replace(/INSERT INTO channels .*\n/g, '');
  const update = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'account_update',
    value: { phone_number: '15550783881', event: 'VERIFIED_ACCOUNT', unknown_field: { nested: [1, 2] } } }] }] });
  const r = await postMeta(s, 'whatsapp', update);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.stored, 0);
  const page = JSON.stringify({ object: 'page', entry: [{ id: CHANNELS.messenger.page_id, time: 1, messaging: [] }] });
  assert.equal((await postMeta(s, 'messenger', page)).status, 200);
  assert.equal(dump(s, NO_MEDIA).replace(/INSERT INTO channels .*\n/g, ''), before);
});

test('a repeated delivery stores nothing new and is still answered 200', async () => {
  const before = dump(s, NO_MEDIA);
  for (const f of ['whatsapp/text.json', 'whatsapp/batched.json']) {
    const r = await postMeta(s, 'whatsapp', fixture(f));
    assert.equal(r.status, 200);
    assert.equal(r.json.stored, 0);
    assert.ok(r.json.duplicates > 0);
  }
  assert.equal((await postMeta(s, 'messenger', fixture('messenger/text.json'))).status, 200);
  assert.equal(postTelegramFixture(s, ch.telegram.id, 'telegram/text.json').status, 0);
  // Only the channels' health timestamps may move.
  const strip = (d) => d.replace(/INSERT INTO channels .*\n/g, '');
  assert.equal(strip(dump(s, NO_MEDIA)), strip(before));
});

test('a resolved conversation is reopened by the customer\'s next message', async () => {
  const conv = message('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUI4RjM2QTk5RjQ0MTFCRDQ3NgA=').conversation;
  sql(s, `UPDATE conversations SET status = 'resolved', resolved_at = 1 WHERE id = ${conv}`);
  const again = fixture('whatsapp/text.json').replace('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUI4RjM2QTk5RjQ0MTFCRDQ3NgA=', 'wamid.reopen-1');
  assert.equal((await postMeta(s, 'whatsapp', again)).status, 200);
  const m = message('wamid.reopen-1');
  assert.equal(m.conversation, conv);
  assert.equal(m.conversation_status, 'open');
});

test('bad webhooks: a clear error each, nothing stored', async () => {
  const before = dump(s, NO_MEDIA);
  const body = fixture('whatsapp/text.json').replace('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUI4RjM2QTk5RjQ0MTFCRDQ3NgA=', 'wamid.never');
  const expect = async (r, status, code) => {
    assert.equal(r.status, status, r.text);
    if (code) assert.equal(r.json.error.code, code);
  };
  await expect(await postMeta(s, 'whatsapp', body, { signature: null }), 401, 'invalid_signature');
  await expect(await postMeta(s, 'whatsapp', body, { signature: 'sha256=' + '0'.repeat(64) }), 401, 'invalid_signature');
  await expect(await postMeta(s, 'whatsapp', body, { signature: 'md5=abc' }), 401, 'invalid_signature');
  await expect(await postMeta(s, 'whatsapp', body, { secret: CHANNELS.messenger.app_secret }), 401, 'invalid_signature');
  await expect(await postMeta(s, 'whatsapp', body + ' ', { signature: sign(body, CHANNELS.whatsapp.app_secret) }), 401, 'invalid_signature');
  await expect(await postMeta(s, 'whatsapp', '{"object": "whatsapp_business_account", "entry": ['), 400, 'invalid_json');
  await expect(await postMeta(s, 'messenger', body, { secret: CHANNELS.messenger.app_secret }), 400);
  const bomb = '{"object":"whatsapp_business_account","entry":' + '['.repeat(100000) + ']'.repeat(100000) + '}';
  await expect(await postMeta(s, 'whatsapp', bomb), 400, 'invalid_json');
  const nul = Buffer.from(body.replace('Hola', 'Ho\\u0000la'));
  await expect(await postMeta(s, 'whatsapp', nul, { signature: sign(nul, CHANNELS.whatsapp.app_secret) }), 400, 'invalid_json');
  const bad = Buffer.from(body.replace('Hola', 'Ho\u00ffla'), 'latin1');
  await expect(await postMeta(s, 'whatsapp', bad, { signature: sign(bad, CHANNELS.whatsapp.app_secret) }), 400, 'invalid_json');
  const huge = body.replace('Hola', 'x'.repeat(1024 * 1024));
  await expect(await postMeta(s, 'whatsapp', huge), 413, 'payload_too_large');
  // A Meta entry naming no channel of ours: 200, ignored, with a log line.
  const foreign = body.replaceAll('106540352242922', '999000999');
  await expect(await postMeta(s, 'whatsapp', foreign), 200);
  await waitForLog(s, /no channel of ours is 999000999/);
  // Telegram: unknown channel, wrong or missing secret.
  const update = fixture('telegram/text.json').replace('4821', '9999');
  await expect(await postTelegram(s, 999999, update, 'x'), 404, 'not_found');
  await expect(await postTelegram(s, ch.whatsapp.id, update, 'x'), 404, 'not_found');
  await expect(await postTelegram(s, ch.telegram.id, update, 'wrong-secret'), 401, 'invalid_signature');
  await expect(await postTelegram(s, ch.telegram.id, update), 401, 'invalid_signature');
  assert.equal(dump(s, NO_MEDIA).replace(/INSERT INTO channels .*\n/g, ''), before.replace(/INSERT INTO channels .*\n/g, ''));
});

test('a million messages in one body is bounded work; a year-3000 timestamp is clamped', async () => {
  const many = JSON.parse(fixture('whatsapp/text.json'));
  const value = many.entry[0].changes[0].value;
  // A literal million entries is over 1 MiB (413, see server.test.js); 300,000 fit.
  value.messages = Array.from({ length: 300_000 }, () => 0);
  const bounded = JSON.stringify(many);
  assert.ok(bounded.length < 1024 * 1024);
  const t0 = Date.now();
  const r = await postMeta(s, 'whatsapp', bounded);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.stored, 0);
  assert.ok(Date.now() - t0 < 5000);
  await waitForLog(s, /skipped/);

  const future = fixture('whatsapp/text.json').replace('"1764000000"', '"32503680000"').replace('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUI4RjM2QTk5RjQ0MTFCRDQ3NgA=', 'wamid.year3000');
  const before = Date.now();
  assert.equal((await postMeta(s, 'whatsapp', future)).status, 200);
  const m = message('wamid.year3000');
  assert.ok(m.created_at >= before - 1000 && m.created_at <= Date.now() + 1000, String(m.created_at));
});

// Nothing acknowledged is lost: a 200 means every message of the body is stored (the 1 MiB
// body limit bounds how many a body can hold), and a repeat stores none again.
test('a signed body with 3,000 messages is answered 200 with all 3,000 stored, once', { timeout: 60000 }, async (t) => {
  const many = JSON.parse(fixture('whatsapp/text.json'));
  const value = many.entry[0].changes[0].value;
  const [message] = value.messages;
  value.messages = Array.from({ length: 3000 }, (_, i) => ({
    ...message, from: `3460000${i % 3}`, id: `wamid.bulk-${i}`, text: { body: `mensaje ${i}` },
  }));
  value.contacts = [0, 1, 2].map((k) => ({ profile: { name: `Bulk ${k}` }, wa_id: `3460000${k}` }));
  const body = JSON.stringify(many);
  assert.ok(body.length < 1024 * 1024);
  // A server of its own: 3,000 messages would swell every later test's dump.
  const own = await startServer();
  t.after(() => own.stop());
  assert.equal((await (await adminClient(own)).post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  const stored = () => Number(sql(own, "SELECT count(*) FROM messages WHERE provider_message_id LIKE 'wamid.bulk-%'"));
  const r = await postMeta(own, 'whatsapp', body);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.stored, 3000);
  assert.equal(stored(), 3000);
  assert.equal(sql(own, "SELECT text FROM messages WHERE provider_message_id = 'wamid.bulk-2999'"), 'mensaje 2999');
  const again = await postMeta(own, 'whatsapp', body);
  assert.equal(again.status, 200, again.text);
  assert.equal(again.json.stored, 0);
  assert.equal(stored(), 3000);
});

test('a provider\'s text cannot forge a log line: control characters are escaped', async () => {
  const forged = '2026-01-01T00:00:00.000Z error FORGED by the provider';
  const body = JSON.parse(fixture('messenger/text.json'));
  const item = body.entry[0].messaging[0];
  delete item.message;
  item[`x\n${forged}`] = {};
  assert.equal((await postMeta(s, 'messenger', JSON.stringify(body))).status, 200);
  const error = JSON.parse(fixture('whatsapp/text.json'));
  const value = error.entry[0].changes[0].value;
  delete value.messages;
  value.errors = [{ code: 131000, title: `Something\r\n${forged}` }];
  assert.equal((await postMeta(s, 'whatsapp', JSON.stringify(error))).status, 200);
  await waitForLog(s, /WhatsApp reported error 131000/);
  await waitForLog(s, /is not handled/);
  assert.ok(!s.stderr.split('\n').some((line) => line.startsWith(forged)), s.stderr.slice(-2000));
  assert.match(s.stderr, /event 'x\\n2026-01-01T00:00:00\.000Z error FORGED/);
  assert.match(s.stderr, /131000: Something\\r\\n2026-01-01T00:00:00\.000Z error FORGED/);
});

test('when the store cannot commit the webhook is answered 503 and the retry is stored once', async () => {
  const body = fixture('whatsapp/text.json').replace('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUI4RjM2QTk5RjQ0MTFCRDQ3NgA=', 'wamid.busy-1');
  // Another process holds the database's write lock for longer than the server waits.
  const release = await lockDatabase(s);
  const busy = await postMeta(s, 'whatsapp', body).finally(release);
  assert.equal(busy.status, 503, busy.text);
  assert.equal(busy.json.error.code, 'unavailable');
  assert.equal(message('wamid.busy-1'), null);
  const retry = await postMeta(s, 'whatsapp', body);
  assert.equal(retry.status, 200);
  assert.equal(retry.json.stored, 1);
  assert.equal(sql(s, "SELECT count(*) FROM messages WHERE provider_message_id = 'wamid.busy-1'"), '1');
});

// Opened credentials are cached per process; a channel connected again with a new app secret
// must verify with the new one only. On a number of its own, so the other tests' channel stays.
test('a channel connected again with a new app secret verifies with the new secret only', async () => {
  const number = { ...CHANNELS.whatsapp, name: 'Otro número', phone_number_id: '106540352200001' };
  const body = (id) => fixture('whatsapp/text.json').replace('wamid.HBgLMzQ2MTIzNDU2NzgVAgASGBQzQUI4RjM2QTk5RjQ0MTFCRDQ3NgA=', id)
    .replace(CHANNELS.whatsapp.phone_number_id, number.phone_number_id);
  const first = await admin.post('/api/v1/channels', number);
  assert.equal(first.status, 201, first.text);
  assert.equal((await postMeta(s, 'whatsapp', body('wamid.secret-1'))).json.stored, 1);
  assert.equal((await admin.del(`/api/v1/channels/${first.json.channel.id}`)).status, 200);
  const added = await admin.post('/api/v1/channels', { ...number, app_secret: 'wa-app-secret-2' });
  assert.equal(added.status, 201, added.text);
  const before = dump(s, NO_MEDIA);
  const old = await postMeta(s, 'whatsapp', body('wamid.secret-2'));
  assert.equal(old.status, 401, old.text);
  assert.equal(old.json.error.code, 'invalid_signature');
  assert.equal(dump(s, NO_MEDIA), before);
  const fresh = await postMeta(s, 'whatsapp', body('wamid.secret-2'), { secret: 'wa-app-secret-2' });
  assert.equal(fresh.status, 200, fresh.text);
  assert.equal(fresh.json.stored, 1);
  assert.equal(message('wamid.secret-2').direction, 'in');
});
