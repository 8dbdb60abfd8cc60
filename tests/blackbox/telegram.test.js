// Telegram both ways: webhook mode registers itself with setWebhook and takes our own signed
// deliveries; polling mode long-polls getUpdates with a stored offset — against our fake and
// against telegram-test-api, a third-party emulator, where the customer receives the reply;
// and a poller with nothing to do sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { startServer, freePort, tempDir } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider, failures, makeTelegramUserUpdate } from './lib/fake_provider.js';
import { startTelegramEmulator } from './lib/telegram_emulator.js';
import { CHANNELS, telegramRegistered } from './lib/providers.js';
import { until } from './lib/until.js';

test('webhook mode: setWebhook with our URL and secret, then deliveries are stored', async (t) => {
  const fake = await startFakeProvider();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const s = await startServer({ port, env: { ...fake.env, CENTRALITA_PUBLIC_URL: url } });
  t.after(async () => { await s.stop(); await fake.stop(); });
  const admin = await adminClient(s);
  // The first registration fails; the poller notes it on the channel and tries again.
  fake.failNext(1, failures.telegramBadGateway(), { kind: 'telegram', op: 'setWebhook' });
  const ch = (await admin.post('/api/v1/channels', CHANNELS.telegram)).json.channel;
  const hook = await until(() => fake.telegram.webhook(CHANNELS.telegram.bot_token)?.url && fake.telegram.webhook(CHANNELS.telegram.bot_token), 'the webhook to be registered');
  assert.equal(hook.url, `${url}/webhooks/telegram/${ch.id}`);
  assert.match(hook.secret_token, /^[A-Za-z0-9_-]{43}$/);
  // The poller records the registration right after Telegram's answer.
  await telegramRegistered(s, ch.id);

  const update = makeTelegramUserUpdate('Hola por webhook', { updateId: 77, messageId: 501, chatId: 5200000001 });
  await fake.telegram.deliverWebhook(CHANNELS.telegram.bot_token, update);
  assert.equal(sql(s, "SELECT text FROM messages WHERE provider_message_id = '5200000001:501'"), 'Hola por webhook');
  // The secret is checked: the same update with another secret is refused.
  const wrong = await fake.telegram.deliverWebhook(CHANNELS.telegram.bot_token, { ...update, update_id: 78 }, { secretToken: 'not-it' });
  assert.equal(wrong.status, 401);
});

// The CPU time (ms) the server's thread named name has used so far, from /proc.
function threadCpuMs(pid, name) {
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== name) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, at 100 ticks/s
  }
  assert.fail(`no thread named ${name}`);
}

test('with a webhook registered the poller sleeps: no CPU while idle, also after a restart', async (t) => {
  const fake = await startFakeProvider();
  const dir = tempDir();
  const env = { ...fake.env };
  let s = await startServer({ dir, env });
  t.after(async () => { await s.stop(); await fake.stop(); });
  const admin = await adminClient(s);
  const ch = (await admin.post('/api/v1/channels', CHANNELS.telegram)).json.channel;
  await telegramRegistered(s, ch.id);
  // A busy loop burns a whole second of CPU each second (a tenth even on a crowded machine);
  // a sleeping poller wakes once a second for microseconds. Three seconds, 100 ms allowed.
  const idle = async () => {
    const before = threadCpuMs(s.child.pid, 'poller');
    const seen = fake.requests.length;
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(fake.requests.length, seen, `the poller called Telegram while it had nothing to do:\n${fake.describe()}`);
    return threadCpuMs(s.child.pid, 'poller') - before;
  };
  const first = await idle();
  assert.ok(first < 100, `the poller used ${first} ms of CPU in 3 s of idleness`);
  await s.stop({ keepDir: true });
  s = await startServer({ dir, env });
  const again = await idle();
  assert.ok(again < 100, `after a restart the poller used ${again} ms of CPU in 3 s of idleness`);
});

test('polling mode: getUpdates with a stored offset; a restart does not store updates twice', async (t) => {
  const fake = await startFakeProvider();
  const dir = tempDir();
  let s = await startServer({ dir, env: fake.env });
  t.after(async () => { if (!s.exit) await s.stop(); await fake.stop(); });
  const admin = await adminClient(s);
  const ch = (await admin.post('/api/v1/channels', { ...CHANNELS.telegram, mode: 'polling' })).json.channel;
  assert.equal(ch.mode, 'polling');
  fake.telegram.queueUserMessage(CHANNELS.telegram.bot_token, 'Hola por polling', { chatId: 5200000002 });
  fake.telegram.queueUserMessage(CHANNELS.telegram.bot_token, 'Segundo mensaje', { chatId: 5200000002 });
  await until(() => sql(s, "SELECT count(*) FROM messages WHERE text IN ('Hola por polling', 'Segundo mensaje')") === '2', 'both polled messages to be stored');
  const deleted = fake.requests.find((r) => r.op === 'deleteWebhook');
  const polls = fake.requests.filter((r) => r.op === 'getUpdates');
  assert.ok(deleted && deleted.seq < polls[0].seq, 'deleteWebhook comes before polling');
  assert.equal(polls[0].body.timeout, 25);
  await until(() => Number(sql(s, `SELECT telegram_offset FROM channels WHERE id = ${ch.id}`)) > 0, 'the poller to store its offset');
  await s.stop({ keepDir: true });
  s = await startServer({ dir, env: fake.env });
  fake.telegram.queueUserMessage(CHANNELS.telegram.bot_token, 'Tras reiniciar', { chatId: 5200000002 });
  await until(() => sql(s, "SELECT count(*) FROM messages WHERE text = 'Tras reiniciar'") === '1', 'the message after the restart');
  assert.equal(sql(s, "SELECT count(*) FROM messages WHERE text IN ('Hola por polling', 'Segundo mensaje')"), '2');
  assert.ok(!s.stderr.includes(CHANNELS.telegram.bot_token.split(':')[1]), 'the bot token reached the log');
});

test('polling mode against telegram-test-api: the customer writes, the agent replies, the customer receives it', async (t) => {
  const emu = await startTelegramEmulator();
  const s = await startServer({ env: emu.env });
  t.after(async () => { await s.stop(); await emu.stop(); });
  const admin = await adminClient(s);
  const r = await admin.post('/api/v1/channels', { kind: 'telegram', name: 'Emulado', bot_token: emu.token, mode: 'polling' });
  assert.equal(r.status, 201, r.text);
  await emu.sendFromUser('Hola, ¿me ayudáis?');
  const conv = await until(() => sql(s, "SELECT conversation_id FROM messages WHERE text = 'Hola, ¿me ayudáis?'"), "the emulated user's message");
  const reply = await admin.post(`/api/v1/conversations/${conv}/messages`, { text: 'Claro, dime.' });
  assert.equal(reply.status, 201, reply.text);
  const [got] = await emu.waitForBotReplies(1, { timeout: 10000 });
  assert.equal(got.text, 'Claro, dime.');
});
