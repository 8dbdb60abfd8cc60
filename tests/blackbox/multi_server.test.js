// Three servers on one PostgreSQL database working as one, run by make blackbox-pg (a SQLite
// run shows every test skipped, with the reason: one SQLite file has one server). Every server
// works the outbox, and still a reply goes out once and a conversation's replies in order, one
// at a time; one server at a time polls a Telegram channel, and one runs the timers, and
// another takes over when it is killed; a server killed under webhook load loses nothing it
// answered 200 for.
// Each server speaks another Graph API version (v21.0, v22.0, v23.0), so the fake provider's
// record of a send says which server made it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, waitForLog } from './lib/server.js';
import { sql, PG } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { startTelegramEmulator } from './lib/telegram_emulator.js';
import { CHANNELS, customerWrites, postMeta, whatsappText } from './lib/providers.js';
import { until } from './lib/until.js';

const only = { skip: !PG && 'PostgreSQL only (make blackbox-pg): one SQLite file has one server' };
let fake, emu, dir;
const servers = [];

const envOf = (i) => ({ ...fake.env, ...emu.env, CENTRALITA_GRAPH_API_VERSION: `v2${i + 1}.0`, CENTRALITA_SEND_TIMEOUT: '3' });
const start = (i) => startServer({ dir, env: envOf(i) });

before(async () => {
  if (!PG) return;
  fake = await startFakeProvider();
  emu = await startTelegramEmulator();
  servers[0] = await start(0);
  dir = servers[0].dir;
  servers[1] = await start(1);
  servers[2] = await start(2);
  const admin = await adminClient(servers[0]);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
});
after(async () => {
  // The last one removes the data folder and the database.
  for (const [i, s] of servers.entries()) await s.stop({ keepDir: i < servers.length - 1 });
  await fake?.stop();
  await emu?.stop();
});

// Kills server i with SIGKILL; a new one on the same database takes its place once the test
// is over, so each test finds three.
async function kill(t, i) {
  const s = servers[i];
  s.child.kill('SIGKILL');
  assert.equal((await s.exited).signal, 'SIGKILL');
  t.after(async () => { servers[i] = await start(i); });
}

const serverOf = (send) => Number(send.version.match(/^v2(\d)\.0$/)[1]) - 1;

test('a reply made on the third server is delivered once', only, async () => {
  const conv = await customerWrites(servers[0], 'whatsapp', '34650000001', 'Hola desde el primero');
  const admin = await adminClient(servers[2]);
  const r = await admin.post(`/api/v1/conversations/${conv}/messages`, { text: 'Respuesta desde el tercero' });
  assert.equal(r.status, 201, r.text);
  const [id] = r.json.message_ids;
  await until(() => sql(servers[0], `SELECT status FROM messages WHERE id = ${id}`) === 'sent', 'the reply to be sent');
  // Its outbox row is gone, so no server can take it again; every send that began is done.
  assert.equal(sql(servers[0], `SELECT count(*) FROM outbox WHERE message_id = ${id}`), '0');
  await until(() => fake.attempts('whatsapp', '34650000001').every((a) => a.outcome !== 'pending'), 'every send to be answered');
  assert.deepEqual(fake.attempts('whatsapp', '34650000001').map((a) => [a.text, a.status]), [['Respuesta desde el tercero', 200]]);
});

test('all three servers work the outbox: each reply once, each conversation in order and one at a time', only, async () => {
  // Twenty conversations are more than one server sends on one channel at once (16), and
  // every send takes a while: the three share the work.
  const customers = Array.from({ length: 20 }, (_, c) => `3465100${String(c).padStart(4, '0')}`);
  const convs = [];
  for (const [c, from] of customers.entries()) convs.push(await customerWrites(servers[c % 3], 'whatsapp', from, 'Hola'));
  const admins = await Promise.all(servers.map((s) => adminClient(s)));
  fake.setLatency(150);
  try {
    // Each conversation's three replies one after another, each on the next server; the
    // conversations at once.
    await Promise.all(convs.map(async (conv, c) => {
      for (let r = 0; r < 3; r++) {
        const res = await admins[(c + r) % 3].post(`/api/v1/conversations/${conv}/messages`, { text: `c${c}-r${r}` });
        assert.equal(res.status, 201, res.text);
      }
    }));
    await until(() => customers.every((to) => fake.sent('whatsapp', to).length === 3), () => `every reply to be sent:\n${fake.describe()}`, 30000);
  } finally {
    fake.setLatency(0);
  }
  for (const [c, to] of customers.entries()) {
    const attempts = fake.attempts('whatsapp', to).filter((a) => a.text?.startsWith(`c${c}-`));
    assert.deepEqual(attempts.map((a) => a.text), [`c${c}-r0`, `c${c}-r1`, `c${c}-r2`], `conversation ${c}: each once, in order`);
    for (let i = 1; i < attempts.length; i++)
      assert.ok(attempts[i].at >= attempts[i - 1].answeredAt, `conversation ${c}: ${attempts[i].text} was sent while ${attempts[i - 1].text} was in flight`);
  }
  const by = new Set(customers.flatMap((to) => fake.sent('whatsapp', to).map(serverOf)));
  assert.ok(by.size >= 2, `the sends came from servers ${[...by]}`);
  assert.equal(sql(servers[0], `SELECT count(*) FROM outbox WHERE conversation_id IN (${convs})`), '0');
});

// The servers (alive) whose poller said it makes the channel's calls now, or that another does.
const saying = (channel, what) => servers.filter((s) => !s.exit && new RegExp(`poller: channel ${channel}: ${what}`).test(s.stderr));
const pollers = (channel) => saying(channel, 'this server makes its calls now');

test('a Telegram polling channel: one server polls it, and another takes over within seconds of its kill -9', only, async (t) => {
  const admin = await adminClient(servers[0]);
  const r = await admin.post('/api/v1/channels', { kind: 'telegram', name: 'Sondeo', bot_token: emu.token, mode: 'polling' });
  assert.equal(r.status, 201, r.text);
  const channel = r.json.channel.id;
  await emu.sendFromUser('Primero');
  const conv = await until(() => sql(servers[0], `SELECT conversation_id FROM messages WHERE text = 'Primero' AND channel_id = ${channel}`), 'the first message');
  // The other two found the channel (they read the channel list every 5 s) and were refused.
  await until(() => saying(channel, 'another server makes its calls').length === 2, 'the other servers to try the channel');
  const [holder, ...more] = pollers(channel);
  assert.ok(holder && more.length === 0, `one server polls the channel: ${pollers(channel).length}`);

  const killedAt = Date.now();
  await kill(t, servers.indexOf(holder));
  const [next] = await until(() => pollers(channel).length === 1 && pollers(channel), 'another server to take the channel over', 5000);
  t.diagnostic(`taken over ${Date.now() - killedAt} ms after the kill`);
  await emu.sendFromUser('Segundo');
  await until(() => sql(next, `SELECT count(*) FROM messages WHERE text = 'Segundo' AND conversation_id = ${conv}`) === '1', 'the second message, in the same conversation');
  const nextAdmin = await adminClient(next);
  const reply = await nextAdmin.post(`/api/v1/conversations/${conv}/messages`, { text: 'Te leo desde otro servidor' });
  assert.equal(reply.status, 201, reply.text);
  const [got] = await emu.waitForBotReplies(1, { timeout: 10000 });
  assert.equal(got.text, 'Te leo desde otro servidor');
  assert.equal(sql(next, `SELECT count(*) FROM messages WHERE channel_id = ${channel} AND direction = 'in'`), '2');
  assert.equal((await nextAdmin.del(`/api/v1/channels/${channel}`)).status, 200);
});

test('under webhook load one server is killed: every webhook answered 200 is stored exactly once', only, async (t) => {
  const total = 300;
  const wamid = (i) => `wamid.load-${i}`;
  const answered = new Set();
  let sent = 0, refused = 0;
  let killed = false;
  // A provider posts to any server and retries, elsewhere, what got no 200.
  async function deliver(i) {
    for (let tries = 0; ; tries++) {
      const alive = servers.filter((s) => !s.exit);
      const s = killed || tries > 0 ? alive[(i + tries) % alive.length] : servers[i % 3];
      try {
        const r = await postMeta(s, 'whatsapp', whatsappText(`346520${String(i % 50).padStart(5, '0')}`, wamid(i), `carga ${i}`));
        if (r.status === 200) return answered.add(i);
      } catch {
        // The connection died with its server.
      }
      refused++;
      assert.ok(tries < 20, `webhook ${i} never answered 200`);
    }
  }
  const workers = Array.from({ length: 12 }, async () => {
    while (sent < total) await deliver(sent++);
  });
  await until(() => answered.size >= total / 3, 'a third of the webhooks to be answered');
  killed = true;
  await kill(t, 1);
  await Promise.all(workers);
  assert.equal(answered.size, total);
  t.diagnostic(`${refused} deliveries got no 200 and were retried elsewhere`);
  const counts = sql(servers[0], `SELECT provider_message_id, count(*) FROM messages WHERE provider_message_id LIKE 'wamid.load-%'
    GROUP BY provider_message_id HAVING count(*) <> 1`);
  assert.equal(counts, '', 'stored more than once');
  assert.equal(sql(servers[0], "SELECT count(*) FROM messages WHERE provider_message_id LIKE 'wamid.load-%'"), String(total));
});

// The servers (alive) whose scheduler last said it runs the timers.
const timekeepers = () => servers.filter((s) => !s.exit
  && s.stderr.match(/scheduler: [^\n]*/g)?.at(-1) === 'scheduler: this server runs the timers now');

test('the timers: one server runs them; after its kill -9 another does, and a snooze ends once', only, async (t) => {
  const [keeper, ...more] = await until(() => timekeepers().length > 0 && timekeepers(), 'a server to run the timers');
  assert.equal(more.length, 0, 'one server runs the timers');
  const others = servers.filter((s) => s !== keeper);
  const conv = await customerWrites(others[0], 'whatsapp', '34653000001', 'Hola');
  const admin = await adminClient(others[1]);
  const r = await admin.post(`/api/v1/conversations/${conv}/snooze`, { until: Date.now() + 1500 });
  assert.equal(r.status, 200, r.text);
  await kill(t, servers.indexOf(keeper));
  const [next] = await until(() => timekeepers().length === 1 && timekeepers(), 'another server to run the timers', 5000);
  assert.ok(others.includes(next));
  await until(async () => (await admin.get(`/api/v1/conversations/${conv}`)).json.conversation.status === 'open', 'the snooze to end', 10000);
  assert.equal(sql(next, `SELECT count(*) FROM conversation_events WHERE conversation_id = ${conv} AND text LIKE '%snooze ended%'`), '1');
});
