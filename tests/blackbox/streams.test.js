// The event stream under pressure: many streams resuming while events are written each get
// every event after their Last-Event-ID, in order; a stream that stops reading holds a bounded
// amount and then gets the rest from the store; and the caps on streams per login and per
// client address answer 429 beyond them; the server writes a stream's socket itself, and
// frees a stream whose client went away, reading or not, without waiting for a heartbeat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer, tempDir } from './lib/server.js';
import { sql, sqlLater, PG } from './lib/db.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';
import { openStream } from './lib/sse.js';
import { until } from './lib/until.js';

// Writes n events visible to the admins (no conversation: the general inbox's rule), each with
// pad bytes of data, from another process while the test goes on.
function writeEvents(server, n, pad = 0) {
  const statement = PG
    ? `INSERT INTO events (account_id, kind, data, created_at)
    SELECT 1, 'test.filler', json_build_object('pad', ${pad > 0 ? `lpad(i::text, ${pad}, '0')` : 'i::text'}), ${Date.now()}
    FROM generate_series(1, ${n}) i;`
    : `INSERT INTO events (account_id, kind, data, created_at)
    WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ${n})
    SELECT 1, 'test.filler', json_object('pad', printf('%0${pad}d', i)), ${Date.now()} FROM k;`;
  return sqlLater(server, statement);
}

const newest = (server) => Number(sql(server, 'SELECT max(id) FROM events'));

// Every id after `after` up to `last`, once each, in order, and no reset.
function assertEvery(stream, after, last, what) {
  const ids = stream.events.map((e) => e.id);
  assert.ok(!stream.events.some((e) => e.event === 'reset'), `${what}: a reset`);
  assert.equal(ids.length, last - after, `${what}: ${ids.length} events of ${last - after}`);
  ids.forEach((id, i) => assert.equal(id, after + 1 + i, `${what}: event ${i} is ${id}`));
}

test('many streams resuming while events are written each get every event after their id', { timeout: 120000 }, async (t) => {
  const s = await startServer({ env: { CENTRALITA_STREAMS_PER_USER: '100', CENTRALITA_STREAMS_PER_ADDRESS: '100' } });
  t.after(() => s.stop());
  const admin = await adminClient(s);
  await writeEvents(s, 20000);
  const base = newest(s);
  // Writers keep adding while the streams come in one after another, each while the hub is busy
  // sending the backlog to those before it: from the start, and from places in between.
  const writing = (async () => { for (let i = 0; i < 20; i++) await writeEvents(s, 500); })();
  const resumes = Array.from({ length: 30 }, (_, i) => (i % 3 === 2 ? Math.floor((base * i) / 30) : 0));
  const streams = [];
  for (const lastEventId of resumes) {
    const st = await openStream(admin, { lastEventId });
    await st.waitFor((x) => x.events.length > 0, 'a first event', 30000);
    streams.push(st);
  }
  await writing;
  const last = newest(s);
  await Promise.all(streams.map((st) => st.waitFor((x) => x.events.length > 0 && x.events.at(-1).id >= last,
    'the newest event', 90000)));
  streams.forEach((st, i) => assertEvery(st, resumes[i], last, `the stream resumed at ${resumes[i]}`));
  for (const st of streams) st.close();
});

const rssKb = (server) => Number(readFileSync(`/proc/${server.child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);

test('a stream that stops reading holds a bounded amount, then gets every event in order', { timeout: 120000 }, async (t) => {
  // No quarantine of freed memory, so the resident size counts what is held, not what passed.
  const s = await startServer({ env: { CENTRALITA_STREAMS_PER_USER: '100', CENTRALITA_STREAMS_PER_ADDRESS: '100',
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=66:quarantine_size_mb=0' } });
  t.after(() => s.stop());
  const admin = await adminClient(s);
  // 40,000 events of 300 bytes: 12 MB a stream, far more than the sockets' buffers take.
  await writeEvents(s, 40000, 300);
  const last = newest(s);
  const before = rssKb(s);
  const slow = await Promise.all(Array.from({ length: 20 }, () => openStream(admin, { lastEventId: 0 })));
  for (const st of slow) st.res.pause();
  // A later positive signal: a reading stream opened after them has had everything.
  const reader = await openStream(admin, { lastEventId: 0 });
  await reader.waitFor((x) => x.events.length > 0 && x.events.at(-1).id >= last, 'the reader to catch up', 90000);
  assertEvery(reader, 0, last, 'the reading stream');
  // 20 readers that held all they were sent would be 240 MB; each holds at most 64 KiB (about
  // 8 MB is the reader's catching up and the connections).
  const grown = (rssKb(s) - before) / 1024;
  assert.ok(grown < 32, `the server grew ${grown.toFixed(1)} MB with 20 streams not reading`);
  for (const st of slow) st.res.resume();
  await Promise.all(slow.map((st) => st.waitFor((x) => x.events.length > 0 && x.events.at(-1).id >= last,
    'the slow stream to catch up', 90000)));
  slow.forEach((st, i) => assertEvery(st, 0, last, `slow stream ${i}`));
  for (const st of [...slow, reader]) st.close();
});

test('streams per login and per address are capped with a 429; another address is served', { timeout: 60000 }, async (t) => {
  // A suspended stream notices its client left when it next writes: heartbeats every 200 ms.
  const s = await startServer({ env: { CENTRALITA_STREAMS_PER_USER: '3', CENTRALITA_STREAMS_PER_ADDRESS: '5',
    CENTRALITA_SSE_HEARTBEAT_MS: '200' } });
  t.after(() => s.stop());
  const admin = await adminClient(s);
  const ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
  const mine = await Promise.all([1, 2, 3].map(() => openStream(ana)));
  assert.ok(mine.every((st) => st.status === 200));
  const fourth = await ana.get('/api/v1/events');
  assertError(fourth, 429, 'too_many_attempts');
  assert.match(fourth.json.error.message, /this login has as many event streams open as allowed/);
  // Another login from the same address still may, up to the address's cap.
  const admins = await Promise.all([1, 2].map(() => openStream(admin)));
  assert.ok(admins.every((st) => st.status === 200));
  const sixth = await admin.get('/api/v1/events');
  assertError(sixth, 429, 'too_many_attempts');
  assert.match(sixth.json.error.message, /this address has as many event streams open as allowed/);
  // From another address the admin is served.
  const elsewhere = await openStream(admin, { localAddress: '127.0.0.2' });
  assert.equal(elsewhere.status, 200);
  // Closing one frees its place.
  mine[0].close();
  const deadline = Date.now() + 10000;
  let again;
  while ((again = await openStream(ana)).status !== 200) {
    assert.equal(again.status, 429);
    again.close();
    assert.ok(Date.now() < deadline, 'the closed stream never freed its place');
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const st of [...mine, ...admins, elsewhere, again]) st.close();
});

test('past the streams its descriptors allow, a stream gets 503 and requests are still served', { timeout: 60000 }, async (t) => {
  // 600 descriptors and no way to raise them: 300 for connections and streams, 225 streams.
  const s = await startServer({ env: { CENTRALITA_STREAMS_PER_USER: '1000', CENTRALITA_STREAMS_PER_ADDRESS: '1000' },
    wrap: ['prlimit', '--nofile=600:600'] });
  t.after(() => s.stop());
  const total = Number((await until(() => s.stderr.match(/serving at most \d+ connections and (\d+) event streams \(600 file/),
    'the limits in the log'))[1]);
  assert.equal(total, 225);
  const admin = await adminClient(s);
  const open = [];
  t.after(() => open.forEach((st) => st.close()));
  for (let i = 0; i < total; i++) open.push(await openStream(admin));
  assert.ok(open.every((st) => st.status === 200));
  const over = await admin.get('/api/v1/events');
  assertError(over, 503, 'unavailable');
  assert.match(over.json.error.message, /as many event streams as it has descriptors for/);
  // Requests are still answered, and a stream closed frees its place.
  assert.equal((await admin.get('/api/v1/conversations')).status, 200);
  open.shift().close();
  const again = await until(async () => {
    const st = await openStream(admin);
    if (st.status === 200) return st;
    st.close();
    return null;
  }, 'the closed stream to free its place');
  open.push(again);
  assert.doesNotMatch(s.stderr, /Too many open files/);
});

test('a stream whose client goes away is closed and freed at once, reading or not', { timeout: 60000 }, async (t) => {
  // The heartbeat is a minute away: only the socket's end can tell the server.
  const dir = tempDir();
  const token = randomBytes(24).toString('hex');
  writeFileSync(join(dir, 'metrics.token'), `${token}\n`, { mode: 0o600 });
  const s = await startServer({ dir, env: { CENTRALITA_SSE_HEARTBEAT_MS: '60000',
    CENTRALITA_METRICS_TOKEN_FILE: join(dir, 'metrics.token') } });
  t.after(() => s.stop());
  const open = async () => {
    const r = await new Client(s.url).get('/metrics', { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200, r.text);
    return Number(r.text.match(/^centralita_event_streams_open (\d+)$/m)[1]);
  };
  const admin = await adminClient(s);
  // 5,000 events of 300 bytes: more than the socket's buffers take, so the paused one waits
  // for its socket to drain when its client leaves.
  await writeEvents(s, 5000, 300);
  const last = newest(s);
  const idle = await openStream(admin);
  const paused = await openStream(admin, { lastEventId: 0 });
  paused.res.pause();
  const reader = await openStream(admin, { lastEventId: 0 });
  // The answer is an event stream's, whose body ends with its connection.
  for (const st of [idle, paused, reader]) {
    assert.equal(st.status, 200);
    assert.equal(st.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.equal(st.headers['cache-control'], 'no-store');
    assert.equal(st.headers['x-accel-buffering'], 'no');
    assert.equal(st.headers.connection, 'close');
    assert.equal(st.headers['content-length'], undefined);
  }
  await reader.waitFor((x) => x.events.length > 0 && x.events.at(-1).id >= last, 'the reader to catch up', 30000);
  assertEvery(reader, 0, last, 'the reading stream');
  await idle.waitFor((x) => x.text.startsWith('retry: 2000'), 'the idle stream to open');
  assert.equal(await open(), 3);
  idle.close();
  paused.close();
  await until(async () => (await open()) === 1, 'the two streams whose clients left to be freed', 10000);
  // The one left still gets what comes.
  await writeEvents(s, 1);
  const next = newest(s);
  await reader.waitFor((x) => x.events.at(-1).id === next, 'the next event');
  reader.close();
  await until(async () => (await open()) === 0, 'the last stream to be freed', 10000);
  // HEAD gets the stream's headers only, and opens none.
  const head = await fetch(`${s.url}/api/v1/events`, { method: 'HEAD', headers: { cookie: admin.cookie } });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(await head.text(), '');
  await until(async () => (await open()) === 0, 'no stream left by HEAD', 10000);
});
