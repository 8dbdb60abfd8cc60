// Behind a reverse proxy: --trusted-proxies names the proxies whose X-Forwarded-For (rightmost
// hop they do not vouch for) or X-Real-IP is believed. The client address that gives is what
// the web chat's limits, the login limits and the access log count; a client that talks to
// the server directly cannot choose its address by sending those headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, tempDir, dump, sql, waitForLog, ADMIN_EMAIL, ADMIN_PASSWORD } from './lib/server.js';
import { adminClient, requestFrom } from './lib/client.js';
import { createWebchat } from './lib/webchat.js';

const newVisitor = (s, from, key, headers) =>
  requestFrom(s.url, from, 'POST', '/api/v1/webchat/session', { headers, body: { key } });
const visitorAddresses = (s) => sql(s, 'SELECT address FROM webchat_visitors ORDER BY id').split('\n').filter(Boolean);

test('bad --trusted-proxies values are refused with one line naming them, exit status 2', () => {
  const dir = tempDir();
  for (const value of ['proxy.example.com', '10.0.0.0/33', '::/129', '10.0.0.1:80', '']) {
    const r = cli(dir, ['serve', '--trusted-proxies', value]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--trusted-proxies: expected IPv4 or IPv6 addresses or CIDR ranges separated by commas/);
  }
  const r = cli(dir, ['migrate'], { CENTRALITA_TRUSTED_PROXIES: '127.0.0.1, nonsense' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /CENTRALITA_TRUSTED_PROXIES: expected .*, got '127\.0\.0\.1, nonsense'/);
});

test('a client that is not a trusted proxy cannot choose its address with the headers', async (t) => {
  const s = await startServer({ env: { CENTRALITA_TRUSTED_PROXIES: '127.0.0.2' } });
  t.after(() => s.stop());
  const admin = await adminClient(s);
  const web = await createWebchat(admin);
  // Each request claims another address; the server counts the one it sees, 127.0.0.1.
  for (let i = 1; i <= 20; i++) {
    const r = await newVisitor(s, '127.0.0.1', web.widget_key, { 'x-forwarded-for': `198.51.100.${i}`, 'x-real-ip': `203.0.113.${i}` });
    assert.equal(r.status, 201, r.text);
  }
  const before = dump(s);
  const r = await newVisitor(s, '127.0.0.1', web.widget_key, { 'x-forwarded-for': '198.51.100.99' });
  assert.equal(r.status, 429, r.text);
  assert.equal(dump(s), before);
  assert.deepEqual([...new Set(visitorAddresses(s))], ['127.0.0.1']);
  await waitForLog(s, /127\.0\.0\.1 POST \/api\/v1\/webchat\/session 429/);
  assert.doesNotMatch(s.stderr, /198\.51\.100|203\.0\.113/);
});

test('through a trusted proxy each visitor has its own web chat limit, logged by its address', async (t) => {
  const s = await startServer({ env: { CENTRALITA_TRUSTED_PROXIES: '10.9.0.0/16, 127.0.0.2' } });
  t.after(() => s.stop());
  const admin = await adminClient(s);
  const web = await createWebchat(admin);
  // What the visitor wrote in the header is left of what the proxy appended.
  const fromA = { 'x-forwarded-for': '192.0.2.1, 198.51.100.7' };
  for (let i = 0; i < 20; i++) assert.equal((await newVisitor(s, '127.0.0.2', web.widget_key, fromA)).status, 201);
  const before = dump(s);
  assert.equal((await newVisitor(s, '127.0.0.2', web.widget_key, fromA)).status, 429);
  assert.equal(dump(s), before);
  // Another visitor through the same proxy (two proxies in a row, the nearer one trusted too).
  const fromB = { 'x-forwarded-for': '198.51.100.8, 10.9.3.4' };
  assert.equal((await newVisitor(s, '127.0.0.2', web.widget_key, fromB)).status, 201);
  // X-Real-IP alone names the client as well; the proxy's own requests count as its own.
  assert.equal((await newVisitor(s, '127.0.0.2', web.widget_key, { 'x-real-ip': '2001:db8::5' })).status, 201);
  assert.equal((await newVisitor(s, '127.0.0.2', web.widget_key)).status, 201);
  const addresses = visitorAddresses(s);
  assert.deepEqual(addresses.slice(-3), ['198.51.100.8', '2001:db8::5', '127.0.0.2']);
  assert.equal(addresses.filter((a) => a === '198.51.100.7').length, 20);
  await waitForLog(s, /198\.51\.100\.7 POST \/api\/v1\/webchat\/session 429/);
  assert.match(s.stderr, /2001:db8::5 POST \/api\/v1\/webchat\/session 201/);
  assert.doesNotMatch(s.stderr, /192\.0\.2\.1/);
});

test('failed logins count against the address the trusted proxy names', async (t) => {
  const s = await startServer({ env: { CENTRALITA_TRUSTED_PROXIES: '127.0.0.2', CENTRALITA_LOGIN_ADDRESS_FAILURES: '3' } });
  t.after(() => s.stop());
  const login = (xff, n) => requestFrom(s.url, '127.0.0.2', 'POST', '/api/v1/session', {
    headers: { 'x-forwarded-for': xff }, body: { email: `nobody-${n}@example.com`, password: 'wrong-password' },
  });
  let n = 0;
  let r;
  do r = await login('198.51.100.20', ++n); while (r.status === 401 && n < 10);
  assert.equal(r.status, 429, r.text);
  assert.ok(Number(r.headers['retry-after']) >= 1);
  // Another visitor behind the same proxy is not slowed down.
  assert.equal((await login('198.51.100.21', ++n)).status, 401);
  // And the proxy's own address has no failures: a direct login from it goes through.
  const ok = await requestFrom(s.url, '127.0.0.2', 'POST', '/api/v1/session', { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  assert.equal(ok.status, 200, ok.text);
});
