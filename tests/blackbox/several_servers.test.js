// Several servers on one PostgreSQL database, run by make blackbox-pg (a SQLite run shows it
// skipped, with the reason: one SQLite file has one server). Event ids commit in the order
// they were drawn, so a stream on one server never skips an event that another server's
// slower writer committed late; servers wake each other's streams (LISTEN/NOTIFY); what an
// admin changes on one holds on the other at once; the login throttle and the web chat's
// limits count across them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, holdSession, PG } from './lib/db.js';
import { Client, adminClient, agentClient, assertError, requestFrom } from './lib/client.js';
import { CHANNELS, connectAll, customerWrites, postMeta, whatsappText } from './lib/providers.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { openStream } from './lib/sse.js';
import { Visitor, createWebchat } from './lib/webchat.js';
import { until } from './lib/until.js';

const only = { skip: !PG && 'PostgreSQL only (make blackbox-pg)' };
let fake, one, two, admin, channels;
before(async () => {
  if (!PG) return;
  fake = await startFakeProvider();
  one = await startServer({ env: fake.env });
  two = await startServer({ dir: one.dir, env: fake.env });
  admin = await adminClient(one);
  channels = await connectAll(admin);
});
after(async () => {
  await one?.stop({ keepDir: true });
  await two?.stop();
  await fake?.stop();
});

// The same login (cookie and CSRF token), talking to another server.
function on(server, client) {
  return Object.assign(new Client(server.url), { cookie: client.cookie, csrf: client.csrf, user: client.user });
}

// The key of the advisory lock that the slow writer waits for, inside its transaction.
const GATE = 4242;

test('a slow writer on one server and fast ones on another: the stream gets every event, in order', only, async (t) => {
  // Server one's writer stops inside its transaction once it has drawn the event id of the
  // message 'lento', until the test opens the gate.
  sql(one, `CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN
      IF (SELECT text FROM messages WHERE id = CAST(CAST(NEW.data AS jsonb) ->> 'message_id' AS bigint)) = 'lento' THEN
        PERFORM pg_advisory_xact_lock_shared(${GATE});
      END IF;
      RETURN NULL; END$$;
    CREATE TRIGGER gate AFTER INSERT ON events FOR EACH ROW WHEN (NEW.kind = 'message.created') EXECUTE FUNCTION gate()`);
  t.after(() => sql(one, 'DROP TRIGGER gate ON events; DROP FUNCTION gate'));
  const stream = await openStream(await adminClient(two));
  t.after(() => stream.close());
  const start = Number(sql(one, 'SELECT coalesce(max(id), 0) FROM events'));

  const openGate = await holdSession(one, `SELECT pg_advisory_lock(${GATE});`);
  const slow = postMeta(one, 'whatsapp', whatsappText('34630000001', 'wamid.slow', 'lento'));
  const waiting = () => Number(sql(one, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    + ' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())'));
  await until(() => waiting() === 1, 'the slow writer to wait at the gate');
  // Fast writers on server two, with the slow one's transaction still open.
  let answered = 0;
  const fast = [2, 3, 4].map((i) => postMeta(two, 'whatsapp', whatsappText(`3463000000${i}`, `wamid.fast-${i}`, 'rápido'))
    .then((r) => { answered++; return r; }));
  // They either wait behind the slow one's events or are answered; both are decided once seen.
  await until(() => answered === fast.length || waiting() > 1, 'the fast writers to wait or be answered');
  await openGate();
  for (const r of [await slow, ...(await Promise.all(fast))]) assert.deepEqual([r.status, r.json], [200, { stored: 1, duplicates: 0 }], r.text);

  // Every event committed since start that an admin sees (all but the agents' copies of contact
  // events) reaches the stream on server two, once each, in id order.
  const committed = sql(one, `SELECT id FROM events WHERE id > ${start} AND user_id IS NULL ORDER BY id`).split('\n').map(Number);
  assert.ok(committed.length >= 8, `events committed: ${committed}`); // each of 4: conversation and message
  await stream.waitFor((s) => s.events.some((e) => e.id === committed.at(-1)), 'the newest event on the stream');
  assert.deepEqual(stream.events.map((e) => e.id).filter((id) => id > start), committed);
  const slowMessage = Number(sql(one, "SELECT id FROM messages WHERE provider_message_id = 'wamid.slow'"));
  assert.ok(stream.events.some((e) => e.event === 'message.created' && e.data.message_id === slowMessage), 'the slow writer\'s message on the stream');
});

// The sessions that LISTEN for the other servers' events: one per server.
const listeners = () => sql(one, "SELECT pid FROM pg_stat_activity WHERE query = 'LISTEN centralita_events'"
  + ' AND datname = current_database() ORDER BY pid').split('\n').filter(Boolean);
const messageIn = (conv) => (st) => st.events.some((e) => e.event === 'message.created' && e.data.conversation_id === conv);

test("a webhook posted to one server reaches an agent's stream on the other; Last-Event-ID resumes on either", only, async () => {
  assert.equal(listeners().length, 2);
  const eva = await agentClient(one, admin, 'eva@example.com', 'Eva');
  const stream = await openStream(on(two, eva));
  assert.equal(stream.status, 200);
  const conv = await customerWrites(one, 'whatsapp', '34630000101', 'Hola desde uno');
  await stream.waitFor(messageIn(conv), 'the message on the stream held by server two');
  const lastSeen = stream.events.at(-1).id;
  stream.close();
  for (const text of ['Dos', 'Tres']) await customerWrites(two, 'whatsapp', '34630000101', text);
  const missed = sql(one, `SELECT id FROM events WHERE id > ${lastSeen} AND conversation_id = ${conv} ORDER BY id`).split('\n').map(Number);
  assert.ok(missed.length >= 2, `missed: ${missed}`);
  // Resumed on server one, which never held the stream.
  const again = await openStream(eva, { lastEventId: lastSeen });
  await again.waitFor((st) => st.events.filter((e) => e.data.conversation_id === conv).length >= missed.length, 'the missed events');
  assert.deepEqual(again.events.filter((e) => e.data.conversation_id === conv).map((e) => e.id), missed);
  assert.ok(!again.events.some((e) => e.event === 'reset'), 'no reset');
  again.close();
});

test('a server whose listening connection is cut listens again, and its streams still wake', only, async () => {
  const before = listeners();
  sql(one, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid IN (${before.join(', ')})`);
  await until(() => /listening for the other servers again/.test(two.stderr) && /listening for the other servers again/.test(one.stderr),
    'both servers to listen again');
  const now = listeners();
  assert.equal(now.length, 2);
  assert.ok(now.every((pid) => !before.includes(pid)), 'new sessions');
  const stream = await openStream(on(two, admin));
  const conv = await customerWrites(one, 'whatsapp', '34630000102', 'Otra vez');
  await stream.waitFor(messageIn(conv), 'the message on server two');
  stream.close();
});

test('a routing configuration saved on one server routes the next message on the other', only, async (t) => {
  const routing = (welcome) => ({ welcome_message: welcome, fallback_message: 'No te entiendo.',
    options: [{ answers: ['horario'], reply: 'De 9 a 18 h.' }] });
  t.after(async () => assert.equal((await admin.put('/api/v1/routing', { ...routing('Apagado'), enabled: false })).status, 200));
  assert.equal((await admin.put('/api/v1/routing', routing('Bienvenida uno'))).status, 200);
  await customerWrites(two, 'whatsapp', '34630000201', 'Hola');
  assert.equal((await fake.waitForSent(1, { kind: 'whatsapp', to: '34630000201', timeout: 5000 }))[0].text, 'Bienvenida uno');
  // Server two has compiled the first configuration; the second is saved on server one.
  assert.equal((await admin.put('/api/v1/routing', routing('Bienvenida dos'))).status, 200);
  await customerWrites(two, 'whatsapp', '34630000202', 'Hola');
  assert.equal((await fake.waitForSent(1, { kind: 'whatsapp', to: '34630000202', timeout: 5000 }))[0].text, 'Bienvenida dos');
});

test("a channel connected again with a new app secret on one server: the other takes only the new one", only, async () => {
  const body = (n) => JSON.stringify({ object: 'page', entry: [{ id: CHANNELS.messenger.page_id, time: Date.now(), messaging: [
    { sender: { id: '7000000301' }, recipient: { id: CHANNELS.messenger.page_id }, timestamp: Date.now(), message: { mid: `m_secret-${n}`, text: 'Hola' } }] }] });
  assert.equal((await postMeta(two, 'messenger', body(1))).status, 200); // the old secret, opened on server two
  assert.equal((await admin.del(`/api/v1/channels/${channels.messenger.id}`)).status, 200);
  const again = await admin.post('/api/v1/channels', { ...CHANNELS.messenger, app_secret: 'fb-app-secret-new' });
  assert.equal(again.status, 201, again.text);
  const stored = () => sql(one, "SELECT count(*) FROM messages WHERE provider_message_id LIKE 'm_secret-%'");
  assertError(await postMeta(two, 'messenger', body(2)), 401, 'invalid_signature');
  assert.equal(stored(), '1');
  assert.equal((await postMeta(two, 'messenger', body(3), { secret: 'fb-app-secret-new' })).status, 200);
  assert.equal(stored(), '2');
});

test('a user logged out or deactivated on one server is refused on the other at once, and their streams end', only, async () => {
  for (const [email, end] of [
    ['leo@example.com', (c) => c.del('/api/v1/session')],
    ['mia@example.com', (c) => admin.patch(`/api/v1/users/${c.user.id}`, { active: false })],
  ]) {
    const agent = await agentClient(one, admin, email, 'Agente');
    const there = on(two, agent);
    assert.equal((await there.get('/api/v1/me')).status, 200);
    const stream = await openStream(there);
    assert.equal(stream.status, 200);
    assert.equal((await end(agent)).status, 200);
    assertError(await there.get('/api/v1/me'), 401, 'unauthenticated');
    await stream.waitFor((st) => st.ended, `the stream of ${email} on server two to end`);
  }
});

// How many sessions on the database wait for a lock (a row another holds).
const waitingForLocks = () => Number(sql(one, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
  + ' AND datname = current_database()'));

// A login from a loopback address of our choosing, to a server.
const loginFrom = (server, address, email, password) =>
  requestFrom(server.url, address, 'POST', '/api/v1/session', { body: { email, password } });

test('failed logins spread over both servers are throttled as on one', only, async () => {
  const from = '127.0.0.61', email = 'nadie@example.com';
  const servers = [one, two];
  for (let i = 0; i < 4; i++) assert.equal((await loginFrom(servers[i % 2], from, email, 'wrong-password')).status, 401);
  // Eight at once, four on each, held until a transaction of each server waits for the
  // counter: one is the fifth failure, which locks; none gets past it.
  const release = await holdSession(one, `BEGIN; UPDATE login_throttle SET failures = failures WHERE source = '${from}' AND email = '${email}';`);
  const attempts = Array.from({ length: 8 }, (_, i) => loginFrom(servers[i % 2], from, email, 'wrong-password'));
  await until(() => waitingForLocks() === 2, 'a transaction of each server to wait for the counter');
  await release();
  const more = await Promise.all(attempts);
  const tally = more.reduce((t, r) => ({ ...t, [r.status]: (t[r.status] || 0) + 1 }), {});
  assert.equal(tally[401], 1, JSON.stringify(tally));
  assert.equal((tally[429] || 0) + (tally[503] || 0), 7, JSON.stringify(tally));
  assert.equal(sql(one, `SELECT failures FROM login_throttle WHERE source = '${from}' AND email = '${email}'`), '5');
});

test("a web chat visitor's message limit counts across servers, exactly at its edge", only, async () => {
  const web = await createWebchat(admin);
  const visitor = new Visitor(one.url, web.widget_key);
  await visitor.start();
  const from = (server) => Object.assign(new Visitor(server.url, web.widget_key), { visitorToken: visitor.visitorToken });
  for (let i = 0; i < 19; i++) assert.equal((await from([one, two][i % 2]).send(`mensaje ${i}`)).status, 201);
  // Four at once, two on each server, for the one message left, held until a transaction of
  // each server waits for the visitor's row.
  const release = await holdSession(one, `BEGIN; UPDATE webchat_visitors SET last_seen_at = last_seen_at WHERE channel_id = ${web.id};`);
  const sending = [one, two, one, two].map((server, i) => from(server).send(`a la vez ${i}`));
  await until(() => waitingForLocks() === 2, 'a transaction of each server to wait for the row');
  await release();
  const last = await Promise.all(sending);
  assert.deepEqual(last.map((r) => r.status).sort(), [201, 429, 429, 429], last.map((r) => r.text).join('\n'));
  for (const server of [one, two]) assertError(await from(server).send('uno más'), 429, 'too_many_attempts');
  assert.equal(sql(one, `SELECT count(*) FROM messages m JOIN contact_identities i ON i.id = (SELECT identity_id FROM conversations WHERE id = m.conversation_id)
    WHERE i.external_id = 'web-' || (SELECT id FROM webchat_visitors WHERE channel_id = ${web.id}) AND m.direction = 'in'`), '20');
});
