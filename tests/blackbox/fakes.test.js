// The test doubles themselves: the fake provider answers the documented request shapes with the
// documented answers, records what it got and fails on demand; the Telegram emulator
// (telegram-test-api) round-trips a user's message and the bot's reply. Requests are made with
// plain fetch, shaped the way Centralita's C code will make them. Needs no centralita binary.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startFakeProvider, failures, LIMITS } from './lib/fake_provider.js';
import { startTelegramEmulator } from './lib/telegram_emulator.js';
import { until } from './lib/until.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const FIXTURES = process.env.CENTRALITA_FIXTURES || join(HERE, '..', 'fixtures');

const WA_PHONE_ID = '106540352242922';
const TG_TOKEN = '7000000001:AAH-fake_token';

// One HTTP call with a bounded wait; body is JSON unless it is a string or URLSearchParams.
async function call(url, { method = 'POST', headers = {}, body, timeout = 3000 } = {}) {
  const h = { ...headers };
  let payload = body;
  if (body instanceof URLSearchParams) {
    payload = body.toString();
    h['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (body !== undefined && typeof body !== 'string') {
    payload = JSON.stringify(body);
    h['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method, headers: h, body: payload, signal: AbortSignal.timeout(timeout) });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text, headers: res.headers };
}

function waText(to, text) {
  return { messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { body: text } };
}

function fbText(psid, text) {
  return { recipient: { id: psid }, messaging_type: 'RESPONSE', message: { text } };
}

const sendWhatsApp = (fake, to, text, token = 'wa-token') =>
  call(`${fake.url}/v21.0/${WA_PHONE_ID}/messages`, { headers: { authorization: `Bearer ${token}` }, body: waText(to, text) });
const sendMessenger = (fake, psid, text, token = 'page-token') =>
  call(`${fake.url}/v21.0/me/messages`, { headers: { authorization: `Bearer ${token}` }, body: fbText(psid, text) });
const sendTelegram = (fake, chatId, text, token = TG_TOKEN) => call(`${fake.url}/bot${token}/sendMessage`, { body: { chat_id: chatId, text } });
const tg = (fake, method, body, token = TG_TOKEN) => call(`${fake.url}/bot${token}/${method}`, { body });

async function withFake(options, fn) {
  const fake = await startFakeProvider(options);
  try {
    return await fn(fake);
  } finally {
    await fake.stop();
  }
}

function assertGraphError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json?.error?.code, code, r.text);
  assert.equal(typeof r.json.error.message, 'string');
  assert.equal(typeof r.json.error.type, 'string');
  assert.match(r.json.error.fbtrace_id, /^\S+$/);
}

// A local server that records what it is sent, standing in for Centralita's webhook endpoint.
async function captureServer() {
  const got = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/webhooks/telegram/1`,
    got,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('fake provider: WhatsApp Cloud API', () => {
  test('a documented text send is answered with contacts and a unique wamid, and recorded', () =>
    withFake({}, async (fake) => {
      const t0 = Date.now();
      const a = await sendWhatsApp(fake, '34612345678', '¡Hola! Responde con un número');
      const b = await sendWhatsApp(fake, '+34 612 345 678', 'otra');
      assert.equal(a.status, 200, a.text);
      assert.match(a.headers.get('content-type'), /^application\/json/);
      assert.deepEqual(Object.keys(a.json).sort(), ['contacts', 'messages', 'messaging_product']);
      assert.equal(a.json.messaging_product, 'whatsapp');
      assert.deepEqual(a.json.contacts, [{ input: '34612345678', wa_id: '34612345678' }]);
      assert.deepEqual(b.json.contacts, [{ input: '+34 612 345 678', wa_id: '34612345678' }]);
      assert.match(a.json.messages[0].id, /^wamid\.[A-Za-z0-9+/=]+$/);
      assert.notEqual(a.json.messages[0].id, b.json.messages[0].id);

      const [rec] = fake.sent('whatsapp');
      assert.equal(fake.sent('whatsapp').length, 2);
      assert.equal(fake.sent('messenger').length, 0);
      assert.equal(rec.kind, 'whatsapp');
      assert.equal(rec.op, 'send');
      assert.equal(rec.method, 'POST');
      assert.equal(rec.path, `/v21.0/${WA_PHONE_ID}/messages`);
      assert.equal(rec.version, 'v21.0');
      assert.equal(rec.account, WA_PHONE_ID);
      assert.deepEqual(rec.query, {});
      assert.equal(rec.headers.authorization, 'Bearer wa-token');
      assert.equal(rec.token, 'wa-token');
      assert.equal(rec.tokenVia, 'header');
      assert.deepEqual(rec.body, waText('34612345678', '¡Hola! Responde con un número'));
      assert.equal(rec.to, '34612345678');
      assert.equal(rec.text, '¡Hola! Responde con un número');
      assert.equal(rec.status, 200);
      assert.equal(rec.messageId, a.json.messages[0].id);
      assert.ok(rec.at >= t0 && rec.at <= Date.now());
      assert.ok(rec.answeredAt >= rec.at);
    }));

  test('any non-empty token by default; only registered ones after allowToken; none or a wrong one is refused', () =>
    withFake({}, async (fake) => {
      assert.equal((await sendWhatsApp(fake, '1', 'x', 'whatever')).status, 200);
      const none = await call(`${fake.url}/v21.0/${WA_PHONE_ID}/messages`, { body: waText('1', 'x') });
      assertGraphError(none, 400, 104);
      fake.allowToken('whatsapp', 'good');
      assertGraphError(await sendWhatsApp(fake, '1', 'x', 'whatever'), 401, 190);
      assert.equal((await sendWhatsApp(fake, '1', 'x', 'good')).status, 200);
      const viaQuery = await call(`${fake.url}/v21.0/${WA_PHONE_ID}/messages?access_token=good`, { body: waText('1', 'x') });
      assert.equal(viaQuery.status, 200, viaQuery.text);
      assert.equal(fake.requests.at(-1).tokenVia, 'query');
      // Registering WhatsApp tokens leaves the other kinds open.
      assert.equal((await sendMessenger(fake, '2', 'x', 'anything')).status, 200);
    }));

  test('tokens given at start are the registered ones', () =>
    withFake({ tokens: { whatsapp: ['t1', 't2'] } }, async (fake) => {
      assert.equal((await sendWhatsApp(fake, '1', 'x', 't2')).status, 200);
      assertGraphError(await sendWhatsApp(fake, '1', 'x', 't3'), 401, 190);
    }));

  test('malformed requests get Graph error 100 with 400 and nothing is sent', () =>
    withFake({}, async (fake) => {
      const url = `${fake.url}/v21.0/${WA_PHONE_ID}/messages`;
      const headers = { authorization: 'Bearer tok' };
      const bodies = [
        '{"messaging_product": "whatsapp",',
        {},
        { ...waText('1', 'x'), messaging_product: 'sms' },
        { ...waText('1', 'x'), recipient_type: 'group' },
        { messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } },
        { ...waText('1', 'x'), to: 'abc' },
        { messaging_product: 'whatsapp', to: '1', type: 'text' },
        waText('1', ''),
        { ...waText('1', 'x'), type: 'image' },
      ];
      for (const body of bodies) {
        const r = await call(url, { headers: { ...headers, 'content-type': 'application/json' }, body });
        assertGraphError(r, 400, 100);
        assert.equal(r.json.error.type, 'OAuthException');
      }
      const ok = await call(url, { headers, body: { messaging_product: 'whatsapp', to: '1', text: { body: 'type defaults to text' } } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(fake.attempts('whatsapp').length, bodies.length + 1);
      assert.equal(fake.sent('whatsapp').length, 1);
    }));

  test('text.body up to 4096 characters (code points) is sent; longer is refused as documented', () =>
    withFake({}, async (fake) => {
      assert.equal(LIMITS.whatsapp.max, 4096);
      const emoji = '😀'.repeat(4096); // 8192 UTF-16 units, 4096 characters
      assert.equal((await sendWhatsApp(fake, '1', emoji)).status, 200);
      const long = await sendWhatsApp(fake, '1', 'a'.repeat(4097));
      assertGraphError(long, 400, 100);
      assert.equal(long.json.error.error_data.messaging_product, 'whatsapp');
      assert.match(long.json.error.error_data.details, /4096/);
      assert.deepEqual(fake.countsByRecipient('whatsapp'), { 1: 1 });
    }));
});

describe('fake provider: Messenger and Instagram', () => {
  test('Messenger: a JSON send with Bearer or access_token is answered recipient_id and m_ message_id', () =>
    withFake({}, async (fake) => {
      const a = await sendMessenger(fake, '6543210987654321', 'hola');
      assert.equal(a.status, 200, a.text);
      assert.deepEqual(Object.keys(a.json).sort(), ['message_id', 'recipient_id']);
      assert.equal(a.json.recipient_id, '6543210987654321');
      assert.match(a.json.message_id, /^m_/);
      const b = await call(`${fake.url}/v21.0/me/messages?access_token=page-token`, { body: fbText(6543210987654321, 'adiós') });
      assert.equal(b.status, 200, b.text);
      assert.notEqual(a.json.message_id, b.json.message_id);
      const [r1, r2] = fake.sent('messenger');
      assert.equal(r1.tokenVia, 'header');
      assert.equal(r2.tokenVia, 'query');
      assert.equal(r2.query.access_token, 'page-token');
      assert.equal(r1.account, 'me');
      assert.equal(r1.to, '6543210987654321');
      assert.equal(r1.text, 'hola');
    }));

  test("Messenger: the docs' form-encoded request to /PAGE-ID/messages is understood", () =>
    withFake({}, async (fake) => {
      const form = new URLSearchParams({
        recipient: "{'id':'6543210987654321'}",
        messaging_type: 'RESPONSE',
        message: "{'text':'hello, world'}",
        access_token: 'page-token',
      });
      const r = await call(`${fake.url}/v21.0/1122334455/messages`, { body: form });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.recipient_id, '6543210987654321');
      const rec = fake.requests[0];
      assert.equal(rec.kind, 'messenger');
      assert.equal(rec.account, '1122334455');
      assert.equal(rec.tokenVia, 'body');
      assert.equal(rec.text, 'hello, world');
    }));

  test('Messenger: 2000-character limit; recipient and messaging_type are required', () =>
    withFake({}, async (fake) => {
      assert.equal((await sendMessenger(fake, '1', 'é'.repeat(2000))).status, 200);
      const long = await sendMessenger(fake, '1', 'a'.repeat(2001));
      assertGraphError(long, 400, 100);
      assert.equal(long.json.error.message, '(#100) Length of param message[text] must be less than or equal to 2000');
      const url = `${fake.url}/v21.0/me/messages`;
      const headers = { authorization: 'Bearer page-token' };
      assertGraphError(await call(url, { headers, body: { messaging_type: 'RESPONSE', message: { text: 'x' } } }), 400, 100);
      assertGraphError(await call(url, { headers, body: { recipient: { id: '1' }, message: { text: 'x' } } }), 400, 100);
      assertGraphError(await call(url, { headers, body: { recipient: { id: '1' }, messaging_type: 'SPAM', message: { text: 'x' } } }), 400, 100);
      assertGraphError(await call(url, { headers, body: { recipient: { id: '1' }, messaging_type: 'RESPONSE' } }), 400, 100);
      assert.equal(fake.sent('messenger').length, 1);
    }));

  test('Messenger: a sender action is answered with recipient_id only and is not a sent message', () =>
    withFake({}, async (fake) => {
      const r = await call(`${fake.url}/v21.0/me/messages`, {
        headers: { authorization: 'Bearer page-token' },
        body: { recipient: { id: '1' }, sender_action: 'typing_on' },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { recipient_id: '1' });
      assert.equal(fake.requests[0].op, 'senderAction');
      assert.equal(fake.sent('messenger').length, 0);
    }));

  test('Instagram: a token registered for Instagram makes it an Instagram send, limited to 1000 bytes', () =>
    withFake({}, async (fake) => {
      fake.allowToken('instagram', 'ig-token');
      const ok = await call(`${fake.url}/v21.0/me/messages`, {
        headers: { authorization: 'Bearer ig-token' },
        body: { recipient: { id: '17841400000000001' }, message: { text: '€'.repeat(333) } }, // 999 bytes
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.recipient_id, '17841400000000001');
      const long = await sendMessenger(fake, '17841400000000001', '€'.repeat(334), 'ig-token'); // 334 characters, 1002 bytes
      assertGraphError(long, 400, 100);
      assert.match(long.json.error.message, /less than or equal to 1000$/);
      assert.equal(fake.sent('instagram').length, 1);
      assert.equal(fake.attempts('instagram').length, 2);
      // Instagram is strict now; an unregistered token on the same endpoint counts as Messenger.
      assert.equal((await sendMessenger(fake, '9', 'x', 'page-token')).status, 200);
      assert.equal(fake.sent('messenger').length, 1);
    }));
});

describe('fake provider: Telegram Bot API', () => {
  test('sendMessage as JSON, form or query string is answered with the sent Message', () =>
    withFake({}, async (fake) => {
      const a = await sendTelegram(fake, 5123456789, '¡Hola!');
      const b = await call(`${fake.url}/bot${TG_TOKEN}/sendMessage`, { body: new URLSearchParams({ chat_id: '5123456789', text: 'form' }) });
      const c = await call(`${fake.url}/bot${TG_TOKEN}/sendMessage?chat_id=-1001234&text=query`, { method: 'GET' });
      for (const r of [a, b, c]) {
        assert.equal(r.status, 200, r.text);
        assert.equal(r.json.ok, true);
      }
      const m = a.json.result;
      assert.equal(m.text, '¡Hola!');
      assert.deepEqual(m.chat, { id: 5123456789, type: 'private' });
      assert.deepEqual(m.from, { id: 7000000001, is_bot: true, first_name: 'Centralita Fake Bot', username: 'fake_7000000001_bot' });
      assert.ok(Number.isInteger(m.date) && Math.abs(m.date - Date.now() / 1000) < 5);
      assert.ok(b.json.result.message_id > m.message_id);
      assert.equal(c.json.result.chat.type, 'supergroup');
      assert.deepEqual(fake.sent('telegram').map((r) => [r.to, r.text, r.messageId]), [
        ['5123456789', '¡Hola!', m.message_id],
        ['5123456789', 'form', b.json.result.message_id],
        ['-1001234', 'query', c.json.result.message_id],
      ]);
      assert.equal(fake.sent('telegram')[0].token, TG_TOKEN);
      assert.equal(fake.sent('telegram')[0].account, '7000000001');
    }));

  test('sendMessage refuses text over 4096 characters, empty text and a missing chat_id', () =>
    withFake({}, async (fake) => {
      assert.equal((await sendTelegram(fake, 1, 'ñ'.repeat(4096))).status, 200);
      const long = await sendTelegram(fake, 1, 'a'.repeat(4097));
      assert.equal(long.status, 400);
      assert.deepEqual(long.json, { ok: false, error_code: 400, description: 'Bad Request: message is too long' });
      assert.deepEqual((await sendTelegram(fake, 1, '')).json, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
      assert.deepEqual((await tg(fake, 'sendMessage', { text: 'x' })).json, { ok: false, error_code: 400, description: 'Bad Request: chat_id is empty' });
      assert.equal(fake.sent('telegram').length, 1);
      assert.equal(fake.attempts('telegram').length, 4);
    }));

  test('tokens, unknown methods and getMe', () =>
    withFake({}, async (fake) => {
      const notFound = { ok: false, error_code: 404, description: 'Not Found' };
      const malformed = await call(`${fake.url}/botnot-a-token/getMe`, { method: 'GET' });
      assert.equal(malformed.status, 404);
      assert.deepEqual(malformed.json, notFound);
      assert.deepEqual((await tg(fake, 'sendSticker', {})).json, notFound);
      const me = await tg(fake, 'getme', {}); // method names are case-insensitive
      assert.equal(me.status, 200);
      assert.deepEqual(Object.keys(me.json.result).sort(), [
        'can_join_groups', 'can_read_all_group_messages', 'first_name', 'id', 'is_bot', 'supports_inline_queries', 'username',
      ]);
      assert.equal(me.json.result.is_bot, true);
      assert.equal(me.json.result.id, 7000000001);
      fake.telegram.setBot(TG_TOKEN, { username: 'centralita_demo_bot' });
      assert.equal((await tg(fake, 'getMe', {})).json.result.username, 'centralita_demo_bot');
      fake.allowToken('telegram', TG_TOKEN);
      const other = await tg(fake, 'getMe', {}, '7000000002:other');
      assert.equal(other.status, 401);
      assert.deepEqual(other.json, { ok: false, error_code: 401, description: 'Unauthorized' });
      assert.deepEqual(fake.requests.map((r) => r.op), ['getMe', 'unknown', 'getMe', 'getMe', 'getMe']);
    }));

  test('setWebhook, getWebhookInfo and deleteWebhook answer as documented; getUpdates conflicts with a webhook', () =>
    withFake({}, async (fake) => {
      const url = 'https://centralita.example.com/webhooks/telegram/1';
      const set = await tg(fake, 'setWebhook', { url, secret_token: 's3cret_-X', allowed_updates: ['message', 'callback_query'] });
      assert.deepEqual(set.json, { ok: true, result: true, description: 'Webhook was set' });
      assert.equal((await tg(fake, 'setWebhook', { url, secret_token: 's3cret_-X' })).json.description, 'Webhook is already set');
      // allowed_updates left out keeps the previous setting, as documented.
      const allowed = ['message', 'callback_query'];
      assert.deepEqual(fake.telegram.webhook(TG_TOKEN), {
        url, secret_token: 's3cret_-X', max_connections: 40, allowed_updates: allowed, set_at: fake.telegram.webhook(TG_TOKEN).set_at,
      });
      const info = await call(`${fake.url}/bot${TG_TOKEN}/getWebhookInfo`, { method: 'GET' });
      assert.deepEqual(info.json, {
        ok: true,
        result: { url, has_custom_certificate: false, pending_update_count: 0, max_connections: 40, allowed_updates: allowed },
      });
      const conflict = await tg(fake, 'getUpdates', { timeout: 0 });
      assert.equal(conflict.status, 409);
      assert.match(conflict.json.description, /^Conflict: can't use getUpdates method while webhook is active/);
      const badSecret = await tg(fake, 'setWebhook', { url, secret_token: 'not allowed!' });
      assert.equal(badSecret.status, 400);
      assert.equal(badSecret.json.ok, false);
      assert.deepEqual((await tg(fake, 'deleteWebhook', {})).json, { ok: true, result: true, description: 'Webhook was deleted' });
      assert.equal((await tg(fake, 'deleteWebhook', {})).json.description, 'Webhook is already deleted');
      assert.equal(fake.telegram.webhook(TG_TOKEN), null);
      assert.equal((await tg(fake, 'getWebhookInfo', {})).json.result.url, '');
      assert.deepEqual(fake.requests.map((r) => r.op), [
        'setWebhook', 'setWebhook', 'getWebhookInfo', 'getUpdates', 'setWebhook', 'deleteWebhook', 'deleteWebhook', 'getWebhookInfo',
      ]);
    }));

  test('deliverWebhook posts an update to the registered URL with the registered secret', () =>
    withFake({}, async (fake) => {
      const sink = await captureServer();
      try {
        await tg(fake, 'setWebhook', { url: sink.url, secret_token: 'reg1stered' });
        const update = fake.telegram.makeUserMessage(TG_TOKEN, 'hola', { chatId: 42 });
        const r = await fake.telegram.deliverWebhook(TG_TOKEN, update);
        assert.equal(r.status, 200);
        await fake.telegram.deliverWebhook(TG_TOKEN, update, { secretToken: null });
        assert.equal(sink.got[0].headers['x-telegram-bot-api-secret-token'], 'reg1stered');
        assert.match(sink.got[0].headers['content-type'], /^application\/json/);
        assert.deepEqual(sink.got[0].body, update);
        assert.equal(sink.got[0].body.message.chat.id, 42);
        assert.equal(sink.got[1].headers['x-telegram-bot-api-secret-token'], undefined);
      } finally {
        await sink.close();
      }
    }));

  test('getUpdates: offset confirms, long polling wakes on a new update and ends on timeout', () =>
    withFake({}, async (fake) => {
      fake.telegram.queueUserMessage(TG_TOKEN, 'uno');
      fake.telegram.queueUserMessage(TG_TOKEN, '/start');
      const first = await tg(fake, 'getUpdates', { timeout: 0 });
      assert.deepEqual(first.json.result.map((u) => [u.update_id, u.message.text]), [[1, 'uno'], [2, '/start']]);
      assert.deepEqual(first.json.result[1].message.entities, [{ offset: 0, length: 6, type: 'bot_command' }]);
      // Not confirmed yet: the same updates again.
      assert.equal((await tg(fake, 'getUpdates', {})).json.result.length, 2);
      // Confirmed by a higher offset; nothing new, so the call waits until an update comes.
      const t0 = Date.now();
      setTimeout(() => fake.telegram.queueUserMessage(TG_TOKEN, 'tres'), 100);
      const woke = await tg(fake, 'getUpdates', { offset: 3, timeout: 5 });
      const waited = Date.now() - t0;
      assert.ok(waited >= 90 && waited < 2000, `long poll took ${waited} ms`);
      assert.deepEqual(woke.json.result.map((u) => [u.update_id, u.message.text]), [[3, 'tres']]);
      assert.equal(fake.telegram.pending(TG_TOKEN).length, 1);
      // Nothing comes: answered [] once the timeout (in seconds) is over.
      const t1 = Date.now();
      const empty = await tg(fake, 'getUpdates', { offset: 4, timeout: 1 });
      assert.deepEqual(empty.json, { ok: true, result: [] });
      assert.ok(Date.now() - t1 >= 900, 'returned before the timeout');
      assert.equal((await tg(fake, 'getWebhookInfo', {})).json.result.pending_update_count, 0);
      // A negative offset keeps the last updates only; limit caps the answer.
      for (const t of ['a', 'b', 'c']) fake.telegram.queueUserMessage(TG_TOKEN, t);
      assert.deepEqual((await tg(fake, 'getUpdates', { offset: 4, limit: 2 })).json.result.map((u) => u.message.text), ['a', 'b']);
      assert.deepEqual((await tg(fake, 'getUpdates', { offset: -1 })).json.result.map((u) => u.update_id), [6]);
    }));

  test('getUpdates: a second poller ends the first with 409', () =>
    withFake({}, async (fake) => {
      const firstPoll = tg(fake, 'getUpdates', { timeout: 5 });
      await until(() => fake.requests.length === 1, 'one request');
      const second = await tg(fake, 'getUpdates', { timeout: 0 });
      const first = await firstPoll;
      assert.equal(second.status, 200);
      assert.equal(first.status, 409);
      assert.deepEqual(first.json, failures.telegramConflict().body);
    }));
});

describe('fake provider: failure injection', () => {
  test('failNext answers the documented error, then the provider recovers', () =>
    withFake({}, async (fake) => {
      const cases = [
        ['whatsapp', failures.whatsappReengagement(), (f) => sendWhatsApp(f, '1', 'x'), 400, 131047],
        ['whatsapp', failures.whatsappAccountRateLimit(), (f) => sendWhatsApp(f, '1', 'x'), 400, 80007],
        ['whatsapp', failures.whatsappThroughput(), (f) => sendWhatsApp(f, '1', 'x'), 429, 130429],
        ['whatsapp', failures.whatsappPairRateLimit(), (f) => sendWhatsApp(f, '1', 'x'), 400, 131056],
        ['messenger', failures.messengerOutsideWindow(), (f) => sendMessenger(f, '1', 'x'), 400, 10],
        ['messenger', failures.messengerUserUnavailable(), (f) => sendMessenger(f, '1', 'x'), 400, 551],
        ['messenger', failures.expiredToken(), (f) => sendMessenger(f, '1', 'x'), 401, 190],
        ['messenger', failures.graphServiceUnavailable(), (f) => sendMessenger(f, '1', 'x'), 503, 2],
      ];
      for (const [kind, failure, send, status, code] of cases) {
        const rule = fake.failNext(1, failure, { kind });
        const r = await send(fake);
        assertGraphError(r, status, code);
        assert.deepEqual(r.json, failure.body);
        assert.equal(rule.remaining, 0);
        assert.equal(rule.hits.length, 1);
        assert.equal(rule.hits[0].injected, 'respond');
        assert.equal(rule.hits[0].accepted, false);
        assert.equal((await send(fake)).status, 200);
      }
      const reengage = failures.whatsappReengagement().body.error;
      assert.equal(reengage.error_data.messaging_product, 'whatsapp');
      assert.equal(failures.messengerOutsideWindow().body.error.error_subcode, 2018278);

      fake.failNext(1, failures.telegramTooManyRequests(3), { kind: 'telegram' });
      const limited = await sendTelegram(fake, 1, 'x');
      assert.equal(limited.status, 429);
      assert.deepEqual(limited.json, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 3', parameters: { retry_after: 3 } });
      fake.failNext(1, failures.telegramBlocked(), { kind: 'telegram' });
      const blocked = await sendTelegram(fake, 1, 'x');
      assert.equal(blocked.status, 403);
      assert.equal(blocked.json.description, 'Forbidden: bot was blocked by the user');
      assert.equal((await sendTelegram(fake, 1, 'x')).status, 200);
      assert.equal(fake.sent('telegram').length, 1);
    }));

  test('failures can target one recipient and kind; the others are served normally', () =>
    withFake({}, async (fake) => {
      fake.failNext(2, failures.whatsappReengagement(), { kind: 'whatsapp', to: '111' });
      assert.equal((await sendTelegram(fake, 111, 'x')).status, 200);
      assert.equal((await sendWhatsApp(fake, '222', 'x')).status, 200);
      assert.equal((await sendWhatsApp(fake, '111', 'x')).status, 400);
      assert.equal((await sendWhatsApp(fake, '111', 'x')).status, 400);
      assert.equal((await sendWhatsApp(fake, '111', 'x')).status, 200);
      assert.deepEqual(fake.countsByRecipient('whatsapp'), { 111: 1, 222: 1 });
      assert.equal(fake.attempts('whatsapp', '111').length, 3);
      assert.equal(fake.sent('whatsapp', '111').length, 1);
    }));

  test('failAlways holds until cancelled; bare 5xx answers', () =>
    withFake({}, async (fake) => {
      const rule = fake.failAlways(failures.http(502));
      for (let i = 0; i < 3; i++) {
        const r = await sendMessenger(fake, '1', 'x');
        assert.equal(r.status, 502);
        assert.match(r.headers.get('content-type'), /^text\/html/);
        assert.match(r.text, /502 Bad Gateway/);
      }
      assert.equal(rule.hits.length, 3);
      rule.cancel();
      assert.equal((await sendMessenger(fake, '1', 'x')).status, 200);
      fake.failNext(1, failures.http(503, 'busy', { 'retry-after': '2' }));
      const busy = await sendWhatsApp(fake, '1', 'x');
      assert.equal(busy.status, 503);
      assert.equal(busy.text, 'busy');
      assert.equal(busy.headers.get('retry-after'), '2');
      fake.failNext(1, failures.graphUnknown());
      assertGraphError(await sendWhatsApp(fake, '1', 'x'), 500, 1);
    }));

  test('failures hit sends only, unless told the operation', () =>
    withFake({}, async (fake) => {
      fake.failNext(1, failures.http(500), { kind: 'telegram' });
      assert.equal((await tg(fake, 'getMe', {})).status, 200);
      assert.equal((await tg(fake, 'setWebhook', { url: 'https://x.example/h' })).status, 200);
      assert.equal((await sendTelegram(fake, 1, 'x')).status, 500);
      await tg(fake, 'deleteWebhook', {});
      fake.failNext(1, failures.telegramBadGateway(), { kind: 'telegram', op: 'getUpdates' });
      assert.equal((await tg(fake, 'getUpdates', {})).status, 502);
      assert.equal((await tg(fake, 'getUpdates', {})).status, 200);
      fake.failNext(1, failures.http(500), { op: '*' });
      assert.equal((await tg(fake, 'getMe', {})).status, 500);
    }));

  test('closeNext drops the connection without an answer', () =>
    withFake({}, async (fake) => {
      fake.closeNext(1, { kind: 'whatsapp' });
      await assert.rejects(sendWhatsApp(fake, '1', 'x'), /fetch failed/);
      assert.equal(fake.requests[0].outcome, 'closed');
      assert.equal(fake.requests[0].status, null);
      assert.equal((await sendWhatsApp(fake, '1', 'x')).status, 200);
    }));

  test('resetNext sends the status line and half the body, then resets', () =>
    withFake({}, async (fake) => {
      fake.resetNext(1);
      const res = await fetch(`${fake.url}/bot${TG_TOKEN}/sendMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: 1, text: 'x' }),
        signal: AbortSignal.timeout(3000),
      });
      assert.equal(res.status, 200);
      await assert.rejects(res.text());
      assert.equal(fake.requests[0].outcome, 'reset');
      assert.equal(fake.requests[0].accepted, false);
      assert.equal(fake.sent('telegram').length, 0);
      assert.equal((await sendTelegram(fake, 1, 'x')).status, 200);
    }));

  test('hangNext never answers: the client has to give up', () =>
    withFake({}, async (fake) => {
      fake.hangNext(1);
      const t0 = Date.now();
      const giveUp = call(`${fake.url}/v21.0/me/messages`, { headers: { authorization: 'Bearer t' }, body: fbText('1', 'x'), timeout: 150 });
      await assert.rejects(giveUp, (e) => e.name === 'TimeoutError' || e.name === 'AbortError');
      assert.ok(Date.now() - t0 >= 140);
      assert.equal(fake.requests[0].outcome, 'hung');
      assert.equal((await sendMessenger(fake, '1', 'x')).status, 200);
    }));

  test('delayNext and setLatency slow the answer down', () =>
    withFake({}, async (fake) => {
      fake.delayNext(1, 200);
      let t0 = Date.now();
      assert.equal((await sendWhatsApp(fake, '1', 'x')).status, 200);
      assert.ok(Date.now() - t0 >= 190, `answered after ${Date.now() - t0} ms`);
      // The next one is not held: the fake answered it as it came in (its own clock, not the
      // client's, which a loaded machine slows down).
      const held = () => fake.requests.at(-1).answeredAt - fake.requests.at(-1).at;
      await sendWhatsApp(fake, '1', 'x');
      assert.ok(held() < 100, `held ${held()} ms`);
      fake.setLatency(100);
      t0 = Date.now();
      await sendTelegram(fake, 1, 'x');
      assert.ok(Date.now() - t0 >= 90);
      fake.failNext(1, { ...failures.telegramBlocked(), delayMs: 100 });
      t0 = Date.now();
      assert.equal((await sendTelegram(fake, 1, 'x')).status, 403);
      assert.ok(Date.now() - t0 >= 190);
      fake.clearFailures();
      await sendTelegram(fake, 1, 'x');
      assert.ok(held() < 90, `held ${held()} ms`);
    }));

  test('the canned failures match the fixtures', () => {
    const fixture = (p) => JSON.parse(readFileSync(join(FIXTURES, p), 'utf8'));
    const noTrace = (b) => {
      const c = structuredClone(b);
      delete c.error.fbtrace_id;
      return c;
    };
    assert.deepEqual(noTrace(failures.expiredToken().body), noTrace(fixture('graph/invalid_token_190.json')));
    assert.deepEqual(noTrace(failures.messengerOutsideWindow().body), noTrace(fixture('graph/messenger_outside_window.json')));
    assert.deepEqual(noTrace(failures.whatsappAccountRateLimit().body), noTrace(fixture('graph/rate_limited_80007.json')));
    assert.deepEqual(noTrace(failures.whatsappReengagement().body), noTrace(fixture('graph/whatsapp_send_131047.json')));
    assert.deepEqual(failures.telegramBlocked().body, fixture('telegram/send_message_403.json'));
    assert.deepEqual(failures.telegramTooManyRequests(7).body, fixture('telegram/send_message_429.json'));
  });

  test('successful answers have the fixtures’ shape', () =>
    withFake({}, async (fake) => {
      const fixture = (p) => JSON.parse(readFileSync(join(FIXTURES, p), 'utf8'));
      const shape = (v) =>
        Array.isArray(v) ? v.map(shape) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape(v[k])])) : typeof v;
      assert.deepEqual(shape((await sendWhatsApp(fake, '34612345678', 'x')).json), shape(fixture('graph/whatsapp_send_response.json')));
      assert.deepEqual(shape((await sendMessenger(fake, '1', 'x')).json), shape(fixture('graph/messenger_send_response.json')));
      const tgFixture = fixture('telegram/send_message_response.json');
      const got = (await sendTelegram(fake, tgFixture.result.chat.id, 'x')).json;
      delete tgFixture.result.chat.first_name; // the fake does not know the user's name
      assert.deepEqual(shape(got), shape(tgFixture));
    }));
});

describe('fake provider: recording and waiting', () => {
  test('waitFor resolves as requests arrive, by count or predicate, and times out saying what it saw', () =>
    withFake({}, async (fake) => {
      const texts = ['one', 'two', 'three'];
      const calls = texts.map((t, i) => new Promise((r) => setTimeout(r, 20 * (i + 1))).then(() => sendTelegram(fake, 1, t)));
      const three = await fake.waitFor(3, { kind: 'telegram', timeout: 2000 });
      await Promise.all(calls);
      assert.deepEqual(three.map((r) => r.text), texts);
      assert.ok(three.every((r) => r.status === 200));
      const two = await fake.waitFor((r) => r.text === 'two');
      assert.equal(two.seq, 2);
      await assert.rejects(fake.waitForSent(1, { kind: 'whatsapp', timeout: 100 }), (e) => {
        assert.match(e.message, /timed out after 100 ms waiting for 1 request/);
        assert.match(e.message, /#3 POST \/bot.*\/sendMessage \[telegram send to 1\] → 200/);
        return true;
      });
    }));

  test('waitFor counts a request once its answer is out; waitForSent counts accepted sends only', () =>
    withFake({}, async (fake) => {
      fake.delayNext(1, 300);
      const pending = sendWhatsApp(fake, '1', 'slow');
      await assert.rejects(fake.waitFor(1, { timeout: 100 }), /timed out/);
      assert.equal(fake.requests.length, 1);
      assert.equal(fake.requests[0].outcome, 'pending');
      const [rec] = await fake.waitFor(1);
      assert.equal(rec.status, 200);
      await pending;
      fake.failNext(1, failures.whatsappReengagement());
      assert.equal((await sendWhatsApp(fake, '2', 'refused')).status, 400);
      assert.equal((await sendWhatsApp(fake, '2', 'accepted')).status, 200);
      const sent = await fake.waitForSent(2, { kind: 'whatsapp' });
      assert.deepEqual(sent.map((r) => r.text).sort(), ['accepted', 'slow']);
      fake.clearRequests();
      assert.equal(fake.requests.length, 0);
    }));

  test('the env helper points both base URLs at the fake', () =>
    withFake({}, async (fake) => {
      assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(fake.env, { CENTRALITA_GRAPH_API_URL: fake.url, CENTRALITA_TELEGRAM_API_URL: fake.url });
      const r = await call(`${fake.url}/elsewhere`, { method: 'GET' });
      assert.equal(r.status, 404);
      assert.equal(fake.requests[0].kind, null);
    }));
});

describe('fake provider: lifecycle', () => {
  test('stop() cuts hanging requests and long polls, rejects waiters and frees the port', async () => {
    const fake = await startFakeProvider();
    fake.hangNext(1);
    // Settled into values at once, so that no rejection goes unhandled while stop() runs.
    const settle = (p) => p.then((v) => ({ ok: v }), (e) => ({ error: e }));
    const hanging = settle(sendWhatsApp(fake, '1', 'x'));
    const polling = settle(tg(fake, 'getUpdates', { timeout: 30 }));
    const waiting = settle(fake.waitFor(99, { timeout: 30000 }));
    await until(() => fake.requests.length === 2, 'two requests');
    const t0 = Date.now();
    await fake.stop();
    await fake.stop(); // twice is fine
    assert.ok(Date.now() - t0 < 10000, 'stop does not wait out the 30 s the requests would hang');
    assert.match(String((await hanging).error), /fetch failed/);
    assert.match(String((await polling).error), /fetch failed|terminated/);
    assert.match(String((await waiting).error), /stopped/);
    await assert.rejects(fetch(`${fake.url}/bot${TG_TOKEN}/getMe`), /fetch failed/);
  });

  test('nothing keeps node alive once both doubles are stopped', () => {
    const lib = (f) => new URL(`./lib/${f}`, import.meta.url).href;
    const script = `
      import { startFakeProvider } from ${JSON.stringify(lib('fake_provider.js'))};
      import { startTelegramEmulator } from ${JSON.stringify(lib('telegram_emulator.js'))};
      import { until } from ${JSON.stringify(lib('until.js'))};
      const fake = await startFakeProvider();
      const emu = await startTelegramEmulator();
      fake.hangNext(1);
      const a = fetch(fake.url + '/v21.0/1/messages', { method: 'POST', headers: { authorization: 'Bearer t' }, body: '{}' }).catch(() => {});
      const b = fetch(fake.url + '/bot1:a/getUpdates?timeout=30').catch(() => {});
      fake.delayNext(1, 60000, { op: '*' });
      const c = fetch(fake.url + '/bot1:a/getMe').catch(() => {});
      await emu.sendFromUser('hola');
      await fetch(emu.url + '/bot' + emu.token + '/getUpdates');
      await until(() => fake.requests.length === 3, 'the three requests');
      await Promise.all([fake.stop(), emu.stop()]);
      await Promise.all([a, b, c]);
      console.log('stopped');
    `;
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15000 });
    assert.equal(r.error, undefined, `child did not exit: ${r.error}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /stopped/);
    assert.ok(Date.now() - t0 < 10000);
  });
});

describe('telegram-test-api emulator', () => {
  test('starts on a free port of 127.0.0.1 and serves the bot', async () => {
    const [a, b] = await Promise.all([startTelegramEmulator(), startTelegramEmulator({ token: '123456:own-token' })]);
    try {
      assert.match(a.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(a.url, b.url);
      assert.match(a.token, /^\d+:[\w-]+$/);
      assert.equal(b.token, '123456:own-token');
      assert.deepEqual(a.env, { CENTRALITA_TELEGRAM_API_URL: a.url });
      const me = await call(`${b.url}/bot${b.token}/getMe`, { method: 'GET' });
      assert.equal(me.status, 200);
      assert.equal(me.json.ok, true);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test("a user's message reaches the bot through getUpdates and the bot's reply reaches the user", async () => {
    const emu = await startTelegramEmulator();
    try {
      const api = (method, body) => call(`${emu.url}/bot${emu.token}/${method}`, { body });
      const queued = await emu.sendFromUser('hola');
      const got = await api('getUpdates', { offset: 0, timeout: 0, allowed_updates: ['message'] });
      assert.equal(got.status, 200);
      assert.equal(got.json.ok, true);
      assert.equal(got.json.result.length, 1);
      const [update] = got.json.result;
      assert.equal(update.update_id, queued.update_id);
      assert.equal(update.message.text, 'hola');
      assert.equal(update.message.chat.id, emu.chatId);
      assert.equal(update.message.from.id, emu.userId);
      assert.equal(update.message.from.is_bot, false);
      assert.ok(Number.isInteger(update.message.message_id));
      assert.ok(Math.abs(update.message.date - Date.now() / 1000) < 5);

      const sent = await api('sendMessage', { chat_id: update.message.chat.id, text: '¡Hola! 1 Soporte 2 Ventas' });
      assert.equal(sent.json.ok, true);
      assert.equal(sent.json.result.text, '¡Hola! 1 Soporte 2 Ventas');
      assert.equal(sent.json.result.chat.id, emu.chatId);
      const [reply] = await emu.waitForBotReplies(1);
      assert.equal(reply.text, '¡Hola! 1 Soporte 2 Ventas');
      assert.equal(reply.message_id, sent.json.result.message_id);

      await emu.sendFromUser('/start');
      const next = await api('getUpdates', { offset: update.update_id + 1, timeout: 0 });
      assert.equal(next.json.result.length, 1);
      assert.ok(next.json.result[0].update_id > update.update_id);
      assert.deepEqual(next.json.result[0].message.entities, [{ offset: 0, length: 6, type: 'bot_command' }]);
      await api('sendMessage', { chat_id: emu.chatId, text: 'uno' });
      await api('sendMessage', { chat_id: emu.chatId, text: 'dos' });
      assert.deepEqual((await emu.waitForBotReplies(2)).map((r) => r.text), ['uno', 'dos']);
      assert.deepEqual(emu.botReplies().map((r) => r.text), ['¡Hola! 1 Soporte 2 Ventas', 'uno', 'dos']);
      await assert.rejects(emu.waitForBotReplies(1, { timeout: 100 }), /timed out after 100 ms waiting for 1 new bot reply[\s\S]*"dos"/);
    } finally {
      await emu.stop();
    }
  });

  // What telegram-test-api 4.2.1 does differently from the Bot API; README.md lists these. If
  // one of these fails, the emulator changed: update the README and the tests that rely on it.
  test('deviations from the Bot API are as documented', async () => {
    const emu = await startTelegramEmulator();
    try {
      const api = (method, body, token = emu.token) => call(`${emu.url}/bot${token}/${method}`, { body });
      // getUpdates ignores timeout: no long polling, it answers at once.
      const t0 = Date.now();
      const empty = await api('getUpdates', { timeout: 2 });
      assert.deepEqual(empty.json, { ok: true, result: [] });
      assert.ok(Date.now() - t0 < 1000, 'the emulator now honours timeout');
      // getUpdates ignores offset: an update is handed out once, confirmed or not.
      await emu.sendFromUser('uno');
      assert.equal((await api('getUpdates', { offset: 0 })).json.result.length, 1);
      assert.equal((await api('getUpdates', { offset: 0 })).json.result.length, 0);
      // update_id increases, but the bot's own messages use numbers up.
      const u1 = (await emu.sendFromUser('dos')).update_id;
      await api('sendMessage', { chat_id: emu.chatId, text: 'x' });
      const u2 = (await emu.sendFromUser('tres')).update_id;
      assert.equal(u2, u1 + 2);
      // Updates carry an extra botToken field, and a private chat has a title.
      const [extra] = (await api('getUpdates', {})).json.result;
      assert.equal(extra.message.botToken, emu.token);
      assert.equal(extra.message.chat.type, 'private');
      assert.equal(typeof extra.message.chat.title, 'string');
      // sendMessage validates nothing and dates its Message in milliseconds.
      const long = await api('sendMessage', { chat_id: emu.chatId, text: 'a'.repeat(5000) });
      assert.equal(long.json.ok, true);
      assert.ok(long.json.result.date > Date.now() / 10, 'date is in milliseconds');
      // Any token is accepted.
      assert.equal((await api('getMe', {}, 'not-a-token')).json.ok, true);
      // Unknown and unimplemented methods (getWebhookInfo among them) answer 500 without ok.
      for (const method of ['getWebhookInfo', 'sendSticker']) {
        const r = await api(method, {});
        assert.equal(r.status, 500);
        assert.equal(r.json.ok, undefined);
        assert.match(r.json.message, /is not supported/);
      }
      // setWebhook answers result null, and getUpdates still answers 200 while a webhook is set.
      const set = await api('setWebhook', { url: 'http://127.0.0.1:9/hook' });
      assert.deepEqual(set.json, { ok: true, result: null });
      assert.equal((await api('getUpdates', {})).status, 200);
      assert.deepEqual((await api('deleteWebhook', {})).json, { ok: true, result: true, description: 'Webhook was deleted' });
    } finally {
      await emu.stop();
    }
  });

  test('webhook mode: sendFromUser refuses while a webhook is set; postUpdate makes our own signed post', async () => {
    const emu = await startTelegramEmulator();
    const sink = await captureServer();
    try {
      await call(`${emu.url}/bot${emu.token}/setWebhook`, { body: { url: sink.url, secret_token: 'abc' } });
      assert.equal(emu.webhook().url, sink.url);
      await assert.rejects(emu.sendFromUser('hola'), /X-Telegram-Bot-Api-Secret-Token/);
      assert.equal(sink.got.length, 0);
      const r = await emu.postUpdate(sink.url, 'hola', { secretToken: 'abc' });
      assert.equal(r.status, 200);
      const [{ headers, body }] = sink.got;
      assert.equal(headers['x-telegram-bot-api-secret-token'], 'abc');
      assert.deepEqual(body, r.update);
      assert.equal(body.message.text, 'hola');
      assert.equal(body.message.chat.id, emu.chatId);
      assert.equal(body.message.botToken, undefined);
      const unsigned = await emu.postUpdate(sink.url, 'sin firma');
      assert.ok(unsigned.update.update_id > r.update.update_id);
      assert.equal(sink.got[1].headers['x-telegram-bot-api-secret-token'], undefined);
    } finally {
      await sink.close();
      await emu.stop();
    }
  });
});
