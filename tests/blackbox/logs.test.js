// What the server writes to stderr: the access log with each client's address, the reason of
// every refused request at its level (a refused webhook at warn, a server error at error, never
// a secret), --log-level and --access-log to quiet it, --log-format json for log collectors,
// and no warning when a client leaves an event stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer, cli, tempDir, lockDatabase, waitForLog } from './lib/server.js';
import { Client, adminClient } from './lib/client.js';
import { CHANNELS, postMeta, sign, whatsappText } from './lib/providers.js';
import { openStream } from './lib/sse.js';

const lines = (s) => s.stderr.split('\n').filter(Boolean);

// Sends one request as written, for paths fetch would clean up; answers the status line.
function raw(s, path) {
  const { port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    sock.on('data', (d) => (data += d));
    sock.on('end', () => resolve(data.split('\r\n')[0]));
    sock.on('error', reject);
  });
}

test('a refused webhook logs why at warn, with the client address, and no secret', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const admin = await adminClient(s);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  const body = whatsappText('34600999000', 'wamid.log-1', 'Hola');
  const forged = sign(body, 'not-the-app-secret');
  assert.equal((await postMeta(s, 'whatsapp', body, { signature: forged })).status, 401);
  await waitForLog(s, /warn 127\.0\.0\.1 POST \/webhooks\/whatsapp 401 \d+us: the signature does not verify/);
  assert.equal((await postMeta(s, 'whatsapp', body, { signature: null })).status, 401);
  await waitForLog(s, /warn 127\.0\.0\.1 POST \/webhooks\/whatsapp 401 \d+us: X-Hub-Signature-256 is missing/);
  // Other refusals say why at info; successes carry no reason.
  assert.equal((await new Client(s.url).get('/api/v1/conversations')).status, 401);
  await waitForLog(s, /info 127\.0\.0\.1 GET \/api\/v1\/conversations 401 \d+us: \S/);
  assert.match(s.stderr, /info 127\.0\.0\.1 POST \/api\/v1\/channels 201 \d+us\n/);
  for (const secret of [CHANNELS.whatsapp.app_secret, CHANNELS.whatsapp.access_token, CHANNELS.whatsapp.verify_token, forged.slice(7)])
    assert.ok(!s.stderr.includes(secret), `the log holds ${secret}`);
});

test('a server error logs its reason at error', async (t) => {
  const s = await startServer({ env: { CENTRALITA_BUSY_TIMEOUT_MS: '100', CENTRALITA_ACCESS_LOG: '0' } });
  t.after(() => s.stop());
  const admin = await adminClient(s);
  const release = await lockDatabase(s);
  const r = await admin.post('/api/v1/teams', { name: 'Bloqueado' });
  await release();
  assert.equal(r.status, 503, r.text);
  await waitForLog(s, /error 127\.0\.0\.1 POST \/api\/v1\/teams 503 \d+us: \S/);
});

test('--access-log 0 keeps only refused webhooks and errors; --log-level quiets the rest', async (t) => {
  const quiet = await startServer({ env: { CENTRALITA_ACCESS_LOG: '0' } });
  t.after(() => quiet.stop());
  assert.equal((await new Client(quiet.url).get('/healthz')).status, 200);
  assert.equal((await postMeta(quiet, 'whatsapp', whatsappText('34600999001', 'wamid.log-2', 'x'))).status, 200);
  assert.equal((await postMeta(quiet, 'whatsapp', '{}', { signature: null })).status, 401);
  await waitForLog(quiet, /warn 127\.0\.0\.1 POST \/webhooks\/whatsapp 401/);
  assert.doesNotMatch(quiet.stderr, /GET \/healthz|POST \/webhooks\/whatsapp 200/);
  assert.match(quiet.stderr, /info serving at most/);

  const warn = await startServer({ args: ['--log-level', 'warn'] });
  t.after(() => warn.stop());
  assert.equal((await new Client(warn.url).get('/healthz')).status, 200);
  assert.equal((await postMeta(warn, 'whatsapp', '{}', { signature: null })).status, 401);
  await waitForLog(warn, /warn 127\.0\.0\.1 POST \/webhooks\/whatsapp 401/);
  assert.deepEqual(lines(warn).filter((l) => !/^\S+ (warn|error) /.test(l)), []);

  // debug shows the access log that is off, at debug.
  const debug = await startServer({ env: { CENTRALITA_LOG_LEVEL: 'debug', CENTRALITA_ACCESS_LOG: '0' } });
  t.after(() => debug.stop());
  assert.equal((await new Client(debug.url).get('/healthz')).status, 200);
  await waitForLog(debug, /debug 127\.0\.0\.1 GET \/healthz 200 \d+us/);

  for (const [flag, value] of [['--log-level', 'loud'], ['--log-format', 'xml'], ['--access-log', 'yes']]) {
    const r = cli(tempDir(), ['serve', flag, value]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`${flag}: expected .*, got '${value}'`));
  }
});

test('a client leaving an event stream is no warning', async (t) => {
  const s = await startServer({ env: { CENTRALITA_SSE_HEARTBEAT_MS: '100' } });
  t.after(() => s.stop());
  const admin = await adminClient(s);
  const stream = await openStream(admin);
  await stream.waitFor((st) => st.comments.length > 0, 'a heartbeat');
  stream.close();
  // The server notices at its next heartbeat, then logs the stream's end.
  await waitForLog(s, /info 127\.0\.0\.1 GET \/api\/v1\/events 200/);
  assert.deepEqual(lines(s).filter((l) => / (warn|error) /.test(l)), []);
});

test('--log-format json: one JSON object per line, the access log in fields', async (t) => {
  const s = await startServer({ args: ['--log-format', 'json'] });
  t.after(() => s.stop());
  assert.equal((await postMeta(s, 'whatsapp', '{}', { signature: null })).status, 401);
  assert.match(await raw(s, '/nada/%FF%0Aforged-line'), / 404 /);
  await waitForLog(s, /"status":404/);
  const objects = lines(s).map((l) => JSON.parse(l));
  for (const o of objects) {
    assert.match(o.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(['debug', 'info', 'warn', 'error'].includes(o.level), o.level);
    assert.equal(typeof o.message, 'string');
  }
  assert.ok(objects.some((o) => /^serving at most \d+ connections/.test(o.message)));
  const refused = objects.find((o) => o.path === '/webhooks/whatsapp');
  assert.deepEqual({ ...refused, time: undefined, duration_us: undefined }, {
    time: undefined, level: 'warn', message: 'request', address: '127.0.0.1', method: 'POST',
    path: '/webhooks/whatsapp', status: 401, duration_us: undefined, reason: 'X-Hub-Signature-256 is missing',
  });
  assert.ok(Number.isInteger(refused.duration_us));
  // A path that is not UTF-8 and holds a line break stays one valid line.
  const odd = objects.find((o) => o.status === 404);
  assert.equal(odd.path, '/nada/\ufffd\nforged-line');
  assert.equal(objects.filter((o) => o.status === 404).length, 1);
});
