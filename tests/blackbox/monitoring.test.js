// GET /metrics for Prometheus, behind the token of --metrics-token-file (off without one):
// the text exposition format, parsed here line by line, and its counters moving with what the
// server does — webhooks received and refused per kind, the store's group commits, sends and
// failures per provider, the outbox by state, open event streams, store errors, scheduler lag.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startServer, tempDir } from './lib/server.js';
import { lockDatabase } from './lib/db.js';
import { Client, adminClient, assertError } from './lib/client.js';
import { CHANNELS, customerWrites, postMeta, whatsappText } from './lib/providers.js';
import { startFakeProvider, failures } from './lib/fake_provider.js';
import { openStream } from './lib/sse.js';
import { until } from './lib/until.js';

const TOKEN = randomBytes(24).toString('hex');

// Parses the text exposition format: every sample as "name{labels}" → value, with each
// metric's TYPE; fails on a line that is neither a comment nor a sample.
function parse(text) {
  const samples = new Map();
  const types = new Map();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m;
    if ((m = line.match(/^# TYPE ([a-z_]+) (counter|gauge|histogram)$/))) {
      types.set(m[1], m[2]);
      continue;
    }
    if (/^# HELP [a-z_]+ \S/.test(line)) continue;
    m = line.match(/^([a-z_]+)(\{[a-z_]+="[^"\\]*"(?:,[a-z_]+="[^"\\]*")*\})? (-?[0-9.e+-]+|\+Inf)$/);
    assert.ok(m, `not a sample: ${line}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(m[1]) || types.get(family) === 'histogram', `no TYPE before ${line}`);
    samples.set(m[1] + (m[2] || ''), Number(m[3]));
  }
  return { samples, types };
}

let s, fake, admin, tokenFile;
const scrape = async (token = TOKEN) => {
  const r = await new Client(s.url).get('/metrics', { headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  return parse(r.text).samples;
};
const value = async (name) => (await scrape()).get(name);

before(async () => {
  fake = await startFakeProvider();
  const dir = tempDir();
  tokenFile = join(dir, 'metrics.token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  s = await startServer({ dir, env: { ...fake.env, CENTRALITA_METRICS_TOKEN_FILE: tokenFile, CENTRALITA_BUSY_TIMEOUT_MS: '100',
    // A stream whose reader left is seen at the next heartbeat.
    CENTRALITA_SSE_HEARTBEAT_MS: '100' } });
  admin = await adminClient(s);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
});
after(async () => {
  await s.stop();
  await fake.stop();
});

test('/metrics asks for its token; without the setting it is off', async () => {
  assertError(await new Client(s.url).get('/metrics'), 401, 'unauthenticated');
  assertError(await new Client(s.url).get('/metrics', { headers: { authorization: 'Bearer wrong-token-of-some-length' } }), 401, 'unauthenticated');
  // An admin's session is not the metrics token.
  assertError(await admin.get('/metrics'), 401, 'unauthenticated');
  const off = await startServer();
  const r = await new Client(off.url).get('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
  assertError(r, 404, 'not_found');
  assert.match(r.json.error.message, /--metrics-token-file/);
  await off.stop();
});

test('a token file open to others, or too short, stops the start with exit status 2', async () => {
  for (const [content, mode, pattern] of [
    [`${TOKEN}\n`, 0o644, /open to its group or others \(mode 0644\): chmod 600/],
    ['short\n', 0o600, /must be 16 to 256 characters/],
  ]) {
    const dir = tempDir();
    const file = join(dir, 'metrics.token');
    writeFileSync(file, content);
    chmodSync(file, mode);
    const e = await startServer({ dir, env: { CENTRALITA_METRICS_TOKEN_FILE: file } }).then(async (x) => { await x.stop(); return null; }, (err) => err);
    assert.ok(e, 'the server started');
    assert.match(e.message, /server exited: \{"code":2,"signal":null\}/);
    assert.match(e.message, pattern);
  }
});

test('every metric is in the text format, and the webhook counters move', async () => {
  const first = await scrape();
  for (const name of ['centralita_webhooks_received_total{kind="whatsapp"}', 'centralita_webhooks_refused_total{kind="telegram"}',
    'centralita_sends_total{provider="whatsapp"}', 'centralita_send_failures_total{provider="messenger"}',
    'centralita_store_errors_total', 'centralita_store_group_jobs_count', 'centralita_store_group_commit_seconds_sum',
    'centralita_store_group_commit_seconds_bucket{le="+Inf"}', 'centralita_outbox_messages{state="pending"}',
    'centralita_event_streams_open', 'centralita_scheduler_lag_seconds'])
    assert.ok(first.has(name), name);
  assert.ok(first.get('centralita_scheduler_lag_seconds') >= 0);
  const received = first.get('centralita_webhooks_received_total{kind="whatsapp"}');
  const refused = first.get('centralita_webhooks_refused_total{kind="whatsapp"}');
  const groups = first.get('centralita_store_group_jobs_count');
  assert.equal((await postMeta(s, 'whatsapp', whatsappText('34600555000', 'wamid.m-1', 'Hola'))).status, 200);
  assert.equal((await postMeta(s, 'whatsapp', '{}', { signature: null })).status, 401);
  const now = await scrape();
  assert.equal(now.get('centralita_webhooks_received_total{kind="whatsapp"}'), received + 1);
  assert.equal(now.get('centralita_webhooks_refused_total{kind="whatsapp"}'), refused + 1);
  assert.ok(now.get('centralita_store_group_jobs_count') > groups);
  // Buckets are cumulative: +Inf holds them all.
  assert.equal(now.get('centralita_store_group_jobs_bucket{le="+Inf"}'), now.get('centralita_store_group_jobs_count'));
  assert.ok(now.get('centralita_store_group_jobs_bucket{le="1"}') <= now.get('centralita_store_group_jobs_bucket{le="64"}'));
});

test('sends and failures per provider, and the outbox by state', async () => {
  const conv = await customerWrites(s, 'whatsapp', '34600555001', 'Hola');
  const before = await scrape();
  const sends = before.get('centralita_sends_total{provider="whatsapp"}');
  const failed = before.get('centralita_send_failures_total{provider="whatsapp"}');
  fake.failAlways(failures.graphError({ status: 400, code: 131026, message: 'Message undeliverable' }), { kind: 'whatsapp', to: '34600555001' });
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/messages`, { text: 'Hola' })).status, 201);
  // Counted when the answer comes, then recorded as failed in the outbox.
  const isFailed = (m) => m.get('centralita_outbox_messages{state="failed"}') === before.get('centralita_outbox_messages{state="failed"}') + 1;
  await until(async () => isFailed(await scrape()), 'the send recorded as failed');
  const after = await scrape();
  assert.equal(after.get('centralita_send_failures_total{provider="whatsapp"}'), failed + 1);
  assert.equal(after.get('centralita_sends_total{provider="whatsapp"}'), sends + 1);
});

test('open event streams, and store errors', async () => {
  const open = await value('centralita_event_streams_open');
  const stream = await openStream(admin);
  assert.equal(await value('centralita_event_streams_open'), open + 1);
  stream.close();
  await until(async () => (await value('centralita_event_streams_open')) === open, 'the stream closed');
  const errors = await value('centralita_store_errors_total');
  const release = await lockDatabase(s);
  const r = await admin.post('/api/v1/teams', { name: 'Bloqueado' });
  await release();
  assert.equal(r.status, 503, r.text);
  assert.ok((await value('centralita_store_errors_total')) > errors);
});
