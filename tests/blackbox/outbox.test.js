// The outbox from outside: replies reach each provider (the fake) in the documented shape,
// in order per conversation, with retries and backoff on transient failures, failed for
// good on permanent ones, split when long, refused outside the reply window, and none lost
// or sent twice across a kill -9.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, waitForLog } from './lib/server.js';
import { sql, lockDatabase } from './lib/db.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider, failures } from './lib/fake_provider.js';
import { CHANNELS, connectAll, customerWrites, postMeta, fixture } from './lib/providers.js';
import { until } from './lib/until.js';

let fake, s, admin, ch;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: { ...fake.env, CENTRALITA_SEND_TIMEOUT: '3' } });
  admin = await adminClient(s);
  ch = await connectAll(admin);
});
after(async () => {
  await s.stop();
  await fake.stop();
});

async function reply(conversation, text, client = admin) {
  const r = await client.post(`/api/v1/conversations/${conversation}/messages`, { text });
  assert.equal(r.status, 201, r.text);
  return r.json.message_ids;
}

function messageRow(id) {
  // A NULL prints as nothing.
  const [status, providerId, code, title] = sql(s, `SELECT status, provider_message_id, error_code, error_title
    FROM messages WHERE id = ${id}`).split('|');
  return { status, providerId, code, title };
}

test('replies reach each provider in the documented shape, and the provider id is kept', async () => {
  const conv = {
    whatsapp: await customerWrites(s, 'whatsapp', '34600000001', 'Hola'),
    messenger: await customerWrites(s, 'messenger', '6500000000000001', 'Hola'),
    instagram: await customerWrites(s, 'instagram', '9800000000000001', 'Hola'),
    telegram: await customerWrites(s, 'telegram', '5100000001', 'Hola', { channelId: ch.telegram.id }),
  };
  const ids = {};
  for (const kind of Object.keys(conv)) ids[kind] = (await reply(conv[kind], `Respuesta por ${kind} ñ 🎉`))[0];
  await fake.waitForSent(4, { timeout: 10000 });

  const [wa] = fake.sent('whatsapp', '34600000001');
  assert.equal(wa.method, 'POST');
  assert.equal(wa.path, `/v25.0/${CHANNELS.whatsapp.phone_number_id}/messages`);
  assert.equal(wa.headers.authorization, `Bearer ${CHANNELS.whatsapp.access_token}`);
  assert.match(wa.headers['content-type'], /^application\/json/);
  assert.deepEqual(wa.body, { messaging_product: 'whatsapp', recipient_type: 'individual', to: '34600000001', type: 'text', text: { body: 'Respuesta por whatsapp ñ 🎉' } });

  for (const kind of ['messenger', 'instagram']) {
    const [m] = fake.requests.filter((r) => r.op === 'send' && r.body?.recipient?.id === (kind === 'messenger' ? '6500000000000001' : '9800000000000001'));
    assert.equal(m.path, '/v25.0/me/messages');
    assert.equal(m.headers.authorization, `Bearer ${CHANNELS[kind].access_token}`);
    assert.deepEqual(m.body, { recipient: { id: kind === 'messenger' ? '6500000000000001' : '9800000000000001' }, messaging_type: 'RESPONSE', message: { text: `Respuesta por ${kind} ñ 🎉` } });
  }
  const [tg] = fake.sent('telegram');
  assert.equal(tg.path, `/bot${CHANNELS.telegram.bot_token}/sendMessage`);
  assert.equal(String(tg.body.chat_id), '5100000001');
  assert.equal(tg.body.text, 'Respuesta por telegram ñ 🎉');
  // The bot token is in Telegram's URL: it must never reach the log.
  assert.ok(!s.stderr.includes(CHANNELS.telegram.bot_token.split(':')[1]));

  // Each message now carries the provider's id, so status webhooks find it.
  await until(() => messageRow(ids.whatsapp).status === 'sent', 'the WhatsApp reply to be sent');
  const row = messageRow(ids.whatsapp);
  assert.equal(row.providerId, wa.messageId);
  const status = fixture('whatsapp/status_delivered.json').replace('wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI4NzE3RjBDNjdEMzBDQjE2QjYA', wa.messageId);
  assert.equal((await postMeta(s, 'whatsapp', status)).status, 200);
  assert.equal(messageRow(ids.whatsapp).status, 'delivered');
  await until(() => messageRow(ids.telegram).status === 'sent', 'the Telegram reply to be sent');
  assert.match(messageRow(ids.telegram).providerId, /^5100000001:\d+$/);
});

test('order holds per conversation while another conversation\'s sends are failing', async () => {
  const a = await customerWrites(s, 'whatsapp', '34600000011', 'A');
  const b = await customerWrites(s, 'whatsapp', '34600000012', 'B');
  const rule = fake.failAlways(failures.http(503), { kind: 'whatsapp', to: '34600000011' });
  for (let i = 1; i <= 3; i++) await reply(a, `a${i}`);
  for (let i = 1; i <= 5; i++) await reply(b, `b${i}`);
  await fake.waitForSent(5, { kind: 'whatsapp', to: '34600000012', timeout: 10000 });
  assert.deepEqual(fake.sent('whatsapp', '34600000012').map((r) => r.text), ['b1', 'b2', 'b3', 'b4', 'b5']);
  // Conversation A's first message is retried; the ones behind it wait their turn.
  assert.ok(fake.attempts('whatsapp', '34600000011').every((r) => r.text === 'a1'));
  rule.cancel();
  await fake.waitForSent(3, { kind: 'whatsapp', to: '34600000011', timeout: 15000 });
  assert.deepEqual(fake.sent('whatsapp', '34600000011').map((r) => r.text), ['a1', 'a2', 'a3']);
});

test('transient failures are retried with growing delays; Retry-After is honoured', async () => {
  const conv = await customerWrites(s, 'whatsapp', '34600000021', 'Hola');
  fake.failNext(3, failures.whatsappThroughput(), { kind: 'whatsapp', to: '34600000021' });
  const [id] = await reply(conv, 'con reintentos');
  await fake.waitForSent(1, { kind: 'whatsapp', to: '34600000021', timeout: 20000 });
  const times = fake.attempts('whatsapp', '34600000021').map((r) => r.at);
  assert.equal(times.length, 4);
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  // 1 s, 2 s, 4 s, each ±20 %.
  assert.ok(gaps[0] >= 750 && gaps[0] <= 1500, String(gaps));
  assert.ok(gaps[1] >= 1550 && gaps[1] <= 2700, String(gaps));
  assert.ok(gaps[2] >= 3150 && gaps[2] <= 5200, String(gaps));
  await until(() => messageRow(id).status === 'sent', 'the retried reply to be sent');

  const tg = await customerWrites(s, 'telegram', '5100000021', 'Hola', { channelId: ch.telegram.id });
  fake.failNext(1, failures.telegramTooManyRequests(3), { kind: 'telegram' });
  await reply(tg, 'espera');
  await fake.waitForSent(1, { kind: 'telegram', to: '5100000021', timeout: 10000 });
  const tgTimes = fake.attempts('telegram', '5100000021').map((r) => r.at);
  assert.equal(tgTimes.length, 2);
  assert.ok(tgTimes[1] - tgTimes[0] >= 2900, String(tgTimes[1] - tgTimes[0]));
});

test('permanent failures stop at once with the provider\'s code and reason', async () => {
  const cases = [
    ['whatsapp', '34600000031', failures.whatsappReengagement(), '131047'],
    ['messenger', '6500000000000031', failures.messengerOutsideWindow(), '10'],
    ['telegram', '5100000031', failures.telegramBlocked(), '403'],
  ];
  for (const [kind, to, failure, code] of cases) {
    const conv = await customerWrites(s, kind, to, 'Hola', { channelId: ch.telegram.id });
    fake.failNext(1, failure, { kind, to });
    const [id] = await reply(conv, 'no llegará');
    const row = await until(() => { const r = messageRow(id); return r.status === 'failed' && r; }, 'the message to fail');
    assert.equal(row.code, code);
    assert.ok(row.title.length > 0);
    // Failed for good in the store, so never taken again; and the conversation's next reply,
    // which would queue behind a retry, goes out while the first was tried once.
    assert.equal(sql(s, `SELECT state FROM outbox WHERE message_id = ${id}`), 'failed');
    await reply(conv, 'la siguiente');
    await fake.waitForSent(1, { kind, to, timeout: 10000 });
    assert.deepEqual(fake.attempts(kind, to).map((r) => r.text), ['no llegará', 'la siguiente'], `${kind} was retried`);
  }
  await until(() => s.stderr.includes('failed:'), 'the failure in the log');
  const stats = await admin.get('/api/v1/outbox/stats');
  assert.equal(stats.status, 200);
  assert.ok(stats.json.failed >= 3);
  assert.ok((await admin.get(`/api/v1/channels/${ch.telegram.id}`)).json.channel.last_error.length > 0);
});

test('long texts are split on word boundaries into ordered parts', async () => {
  const wa = await customerWrites(s, 'whatsapp', '34600000041', 'Hola');
  const words = Array.from({ length: 900 }, (_, i) => `palabra${i}`).join(' ');
  const ids = await reply(wa, words);
  assert.equal(ids.length, 3);
  const parts = (await fake.waitForSent(3, { kind: 'whatsapp', to: '34600000041', timeout: 10000 })).map((r) => r.text);
  assert.ok(parts.every((p) => p.length <= 4096));
  assert.equal(parts.join(' '), words);
  const ms = await customerWrites(s, 'messenger', '6500000000000041', 'Hola');
  const emoji = '🎉'.repeat(1500); // 3000 UTF-16 units, no spaces: cut between characters
  assert.equal((await reply(ms, emoji)).length, 2);
  const mparts = (await fake.waitForSent(2, { kind: 'messenger', to: '6500000000000041', timeout: 10000 })).map((r) => r.text);
  assert.ok(mparts.every((p) => p.length <= 2000 && !p.includes('\ufffd')));
  assert.equal(mparts.join(''), emoji);
});

test('a free-form reply outside the 24-hour window is refused (409); Telegram has no window', async () => {
  const wa = await customerWrites(s, 'whatsapp', '34600000051', 'Hola');
  sql(s, `UPDATE conversations SET last_customer_at = ${Date.now() - 25 * 3600 * 1000} WHERE id = ${wa}`);
  const before = sql(s, 'SELECT count(*) FROM messages');
  assertError(await admin.post(`/api/v1/conversations/${wa}/messages`, { text: 'tarde' }), 409, 'conflict');
  assert.equal(sql(s, 'SELECT count(*) FROM messages'), before);
  const conv = (await admin.get(`/api/v1/conversations/${wa}`)).json.conversation;
  assert.equal(conv.window_open, false);
  const tg = await customerWrites(s, 'telegram', '5100000051', 'Hola', { channelId: ch.telegram.id });
  sql(s, `UPDATE conversations SET last_customer_at = ${Date.now() - 25 * 3600 * 1000} WHERE id = ${tg}`);
  assert.equal((await admin.post(`/api/v1/conversations/${tg}/messages`, { text: 'sin ventana' })).status, 201);
});

test('bad replies change nothing', async () => {
  const wa = await customerWrites(s, 'whatsapp', '34600000061', 'Hola');
  const before = sql(s, 'SELECT count(*) FROM messages');
  assertError(await admin.post(`/api/v1/conversations/${wa}/messages`, {}), 400, 'invalid_request');
  assertError(await admin.post(`/api/v1/conversations/${wa}/messages`, { text: '' }), 400, 'invalid_request');
  assertError(await admin.post(`/api/v1/conversations/${wa}/messages`, { text: '   ' }), 400, 'invalid_request');
  assertError(await admin.post(`/api/v1/conversations/${wa}/messages`, { text: 'x'.repeat(65537) }), 400, 'invalid_request');
  assertError(await admin.post('/api/v1/conversations/999999/messages', { text: 'x' }), 404, 'not_found');
  assert.equal(sql(s, 'SELECT count(*) FROM messages'), before);
});

test('a message whose channel was removed fails with a clear reason instead of retrying forever', async () => {
  const r = await admin.post('/api/v1/channels', { ...CHANNELS.whatsapp, name: 'Temporal', phone_number_id: '777000777' });
  const temp = r.json.channel;
  const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: {
    messaging_product: 'whatsapp', metadata: { phone_number_id: '777000777' }, contacts: [{ profile: { name: 'T' }, wa_id: '34600000071' }],
    messages: [{ from: '34600000071', id: 'wamid.temp-1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hola' } }] } }] }] });
  assert.equal((await postMeta(s, 'whatsapp', body)).status, 200);
  const conv = Number(sql(s, `SELECT conversation_id FROM messages WHERE provider_message_id = 'wamid.temp-1'`));
  fake.failAlways(failures.http(503), { kind: 'whatsapp', to: '34600000071' });
  const [id] = await reply(conv, 'se quedará sin canal');
  await fake.waitFor(1, { kind: 'whatsapp', to: '34600000071', timeout: 5000 });
  assert.equal((await admin.del(`/api/v1/channels/${temp.id}`)).status, 200);
  const row = await until(() => { const m = messageRow(id); return m.status === 'failed' && m; }, 'the message to fail');
  assert.equal(row.title, 'the channel was removed');
});

test('a send the store could not record with its round is recorded alone, not sent again', async () => {
  // Its own server, whose writes wait 1 s for another process's lock.
  const own = await startServer({ env: { ...fake.env, CENTRALITA_BUSY_TIMEOUT_MS: '1000' } });
  try {
    const ownAdmin = await adminClient(own);
    await connectAll(ownAdmin);
    const conv = await customerWrites(own, 'whatsapp', '34600000081', 'Hola');
    // The answer waits long enough for another process to take the lock meanwhile (psql
    // locking every table takes longer than sqlite3 taking SQLite's one lock).
    fake.delayNext(1, 2000, { kind: 'whatsapp', to: '34600000081' });
    const r = await ownAdmin.post(`/api/v1/conversations/${conv}/messages`, { text: 'una sola vez' });
    assert.equal(r.status, 201, r.text);
    const [id] = r.json.message_ids;
    await until(() => fake.requests.some((q) => q.kind === 'whatsapp' && String(q.to) === '34600000081'), 'the send to reach the provider');
    // Another process holds the write lock until the round recording the accepted send has
    // failed; the lock goes while the lone retry waits for it.
    const release = await lockDatabase(own);
    try {
      await waitForLog(own, /outbox: recording 1 results( and claiming)? failed/);
    } finally {
      await release();
    }
    const row = () => sql(own, `SELECT status FROM messages WHERE id = ${id}`);
    await until(() => row() === 'sent', 'the message to be recorded as sent');
    // Its outbox row is gone, so nothing can send it again; the conversation's next reply,
    // which would queue behind it, goes out while it was sent once.
    assert.equal(sql(own, `SELECT count(*) FROM outbox WHERE message_id = ${id}`), '0');
    assert.equal((await ownAdmin.post(`/api/v1/conversations/${conv}/messages`, { text: 'la siguiente' })).status, 201);
    await fake.waitForSent(2, { kind: 'whatsapp', to: '34600000081', timeout: 10000 });
    assert.deepEqual(fake.attempts('whatsapp', '34600000081').map((r) => r.text), ['una sola vez', 'la siguiente']);
    assert.equal(row(), 'sent');
  } finally {
    await own.stop();
  }
});

// The thread's view of a message (GET …/messages), and the list's mark of its conversation.
async function shown(conversation, id) {
  const r = await admin.get(`/api/v1/conversations/${conversation}/messages`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages.find((m) => m.id === id);
}
async function listed(conversation) {
  return (await admin.get(`/api/v1/conversations/${conversation}`)).json.conversation;
}

test('retry now: a reply waiting to retry goes at once, the later one after it; marks clear once delivered', async () => {
  const to = '5100000041';
  const conv = await customerWrites(s, 'telegram', to, 'Hola', { channelId: ch.telegram.id });
  // Telegram asks to wait ten minutes: only "retry now" can send it within the test.
  const rule = fake.failNext(1, failures.telegramTooManyRequests(600), { kind: 'telegram', to });
  const [first] = await reply(conv, 'primera');
  const waiting = await until(async () => { const m = await shown(conv, first); return m.delivery?.state === 'retrying' && m; },
    'the reply to wait for its retry');
  assert.equal(waiting.status, 'queued');
  assert.equal(waiting.delivery.attempts, 1);
  assert.ok(waiting.delivery.next_attempt_at >= Date.now() + 500 * 1000);
  assert.match(waiting.delivery.reason, /slow down/);
  const [second] = await reply(conv, 'segunda');
  assert.equal((await shown(conv, second)).delivery.state, 'queued');
  assert.equal((await listed(conv)).undelivered_count, 1);
  const card = (await admin.get(`/api/v1/channels/${ch.telegram.id}`)).json.channel;
  assert.ok(card.undelivered.retrying >= 1, JSON.stringify(card.undelivered));
  assert.equal(rule.remaining, 0);

  const r = await admin.post(`/api/v1/conversations/${conv}/messages/${first}/retry`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { message_id: first, status: 'queued' });
  await fake.waitForSent(2, { kind: 'telegram', to, timeout: 10000 });
  assert.deepEqual(fake.attempts('telegram', to).map((a) => a.text), ['primera', 'primera', 'segunda']);
  await until(async () => (await shown(conv, second)).status === 'sent', 'both replies sent');
  assert.equal((await shown(conv, first)).delivery, null);
  assert.equal((await listed(conv)).undelivered_count, 0);
});

test('retry now: a reply refused for good is sent again; bad retries are refused and change nothing', async () => {
  const to = '34600000042';
  const conv = await customerWrites(s, 'whatsapp', to, 'Hola');
  fake.failNext(1, failures.whatsappReengagement(), { kind: 'whatsapp', to });
  const [id] = await reply(conv, 'otra vez');
  await until(() => messageRow(id).status === 'failed', 'the reply to fail');
  const failed = await shown(conv, id);
  assert.equal(failed.delivery.state, 'failed');
  assert.equal(failed.error.code, 131047);
  assert.equal((await listed(conv)).undelivered_count, 1);
  assert.ok((await admin.get(`/api/v1/channels/${ch.whatsapp.id}`)).json.channel.undelivered.failed >= 1);

  // Refused: an id that is not a message of this conversation, the customer's own message,
  // a conversation an agent does not see, a message being delivered already; nothing changes.
  const other = await customerWrites(s, 'whatsapp', '34600000043', 'Otra');
  const inbound = (await admin.get(`/api/v1/conversations/${conv}/messages`)).json.messages.find((m) => m.direction === 'in').id;
  const agent = await agentClient(s, admin, 'retry-agent@example.com');
  const team = (await admin.post('/api/v1/teams', { name: 'Reintentos' })).json.team;
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/transfer`, { team_id: team.id })).status, 200);
  const state = () => sql(s, `SELECT count(*) FROM events`) + '/' + sql(s, `SELECT group_concat(state || attempts) FROM outbox WHERE message_id = ${id}`);
  const before = state();
  assertError(await admin.post(`/api/v1/conversations/${other}/messages/${id}/retry`), 404, 'not_found');
  assertError(await admin.post(`/api/v1/conversations/${conv}/messages/${inbound}/retry`), 404, 'not_found');
  assertError(await admin.post(`/api/v1/conversations/${conv}/messages/999999/retry`), 404, 'not_found');
  assertError(await admin.post(`/api/v1/conversations/${conv}/messages/abc/retry`), 404, 'not_found');
  assertError(await agent.post(`/api/v1/conversations/${conv}/messages/${id}/retry`), 404, 'not_found');
  assert.equal(state(), before);
  assert.equal(fake.attempts('whatsapp', to).length, 1);

  const r = await admin.post(`/api/v1/conversations/${conv}/messages/${id}/retry`);
  assert.equal(r.status, 200, r.text);
  await until(() => messageRow(id).status === 'sent', 'the reply to be sent again');
  assert.equal(messageRow(id).code, '');
  assert.equal(fake.attempts('whatsapp', to).length, 2);
  assert.equal((await listed(conv)).undelivered_count, 0);
  // Delivered: nothing left to retry.
  const sent = state();
  assertError(await admin.post(`/api/v1/conversations/${conv}/messages/${id}/retry`), 409, 'conflict');
  assert.equal(state(), sent);
});

test('a reply sent again after failing waits while a later one of its conversation is in flight', async () => {
  const to = '34600000044';
  const conv = await customerWrites(s, 'whatsapp', to, 'Hola');
  fake.failNext(1, failures.whatsappReengagement(), { kind: 'whatsapp', to });
  const [first] = await reply(conv, 'primera');
  await until(() => messageRow(first).status === 'failed', 'the first reply to fail');
  // The later reply is in flight (the provider takes two seconds) when the first is retried:
  // the first has the lower id, but goes only once the later one is answered.
  fake.delayNext(1, 2000, { kind: 'whatsapp', to });
  const [second] = await reply(conv, 'segunda');
  await until(() => fake.requests.some((r) => r.to === to && r.text === 'segunda'), 'the second reply to be in flight');
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/messages/${first}/retry`)).status, 200);
  await until(() => messageRow(first).status === 'sent' && messageRow(second).status === 'sent', 'both replies to be sent');
  const attempts = fake.attempts('whatsapp', to);
  assert.deepEqual(attempts.map((a) => a.text), ['primera', 'segunda', 'primera']);
  assert.ok(attempts[2].at >= attempts[1].answeredAt, 'the retried reply went while the later one was in flight');
});
