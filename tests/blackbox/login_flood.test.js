// A login flood must not starve the rest of the server: password hashing (argon2id, 64 MiB)
// has its own small pool, so signed webhooks keep being answered while logins pour in from
// many addresses. Compared with the same server unflooded, as a ratio with a wide margin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer } from './lib/server.js';
import { adminClient } from './lib/client.js';
import { CHANNELS, postMeta, whatsappText } from './lib/providers.js';

let s;
before(async () => {
  s = await startServer();
  const admin = await adminClient(s);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
});
after(async () => s.stop());

let sent = 0;
// Sends signed webhooks one after another until stop() says so; resolves with how many were
// answered 200.
async function webhooksUntil(stop) {
  let answered = 0;
  while (!stop()) {
    const n = ++sent;
    const r = await postMeta(s, 'whatsapp', whatsappText(`3461${String(n).padStart(7, '0')}`, `wamid.flood-${n}`, 'Hola'));
    assert.equal(r.status, 200, r.text);
    answered++;
  }
  return answered;
}

// One login with a random e-mail from its own loopback address (127.x.y.z), so no address
// reaches its own limit: only the hashing pool stands between the flood and the server.
let address = 0;
function floodLogin() {
  const n = ++address;
  const body = JSON.stringify({ email: `nobody-${n}@example.com`, password: 'not-the-password' });
  return new Promise((resolve) => {
    const req = http.request(`${s.url}/api/v1/session`, {
      method: 'POST', agent: false, localAddress: `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${(n & 255) || 1}`,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, retryAfter: Number(res.headers['retry-after']) || 0 }));
    });
    req.on('error', () => resolve({ status: 'error', retryAfter: 0 }));
    req.end(body);
  });
}

test('signed webhooks keep being answered while logins flood in', { timeout: 120000 }, async (t) => {
  // Unflooded: the time 100 webhooks take is the unit of the window.
  const started = Date.now();
  const baseline = await webhooksUntil(() => sent >= 100);
  const unit = Date.now() - started;
  assert.equal(baseline, 100);

  // Flooded: 16 clients log in again as soon as they are answered (after Retry-After when
  // they are told to come back later), for five units.
  let flooding = true;
  const statuses = {};
  const clients = Array.from({ length: 16 }, async () => {
    while (flooding) {
      const { status, retryAfter } = await floodLogin();
      statuses[status] = (statuses[status] || 0) + 1;
      if (retryAfter > 0) await new Promise((r) => setTimeout(r, retryAfter * 1000));
    }
  });
  // The flood is on once the first logins are answered.
  while (Object.keys(statuses).length === 0) await new Promise((r) => setTimeout(r, 5));
  const windowEnds = Date.now() + 5 * unit;
  const answered = await webhooksUntil(() => Date.now() >= windowEnds);
  flooding = false;
  await Promise.all(clients);

  t.diagnostic(`${answered} webhooks in 5 × ${unit} ms flooded, against 100 in ${unit} ms; logins ${JSON.stringify(statuses)}`);
  // Five units hold about 500 webhooks unflooded; at least a fifth of them, flooded.
  assert.ok(answered >= 100, `${answered} webhooks answered in 5 × ${unit} ms while logins flooded (${JSON.stringify(statuses)})`);
  // Every login was answered: refused as wrong, or turned away at once when the pool was full.
  assert.deepEqual(Object.keys(statuses).filter((k) => k !== '401' && k !== '503'), [], JSON.stringify(statuses));
  assert.ok(statuses[401] > 0, JSON.stringify(statuses));
});
