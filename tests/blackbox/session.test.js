// Logging in and out, sessions, CSRF, personal API tokens, the login throttle, and /me.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, tempDir, ADMIN_EMAIL, ADMIN_PASSWORD } from './lib/server.js';
import { dump, sql } from './lib/db.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';
import { until } from './lib/until.js';

let s;
before(async () => (s = await startServer()));
after(async () => s.stop());

test('login sets an HttpOnly SameSite=Lax cookie and answers the user and a CSRF token', async () => {
  const c = new Client(s.url);
  const r = await c.post('/api/v1/session', { email: 'ADMIN@example.com', password: ADMIN_PASSWORD });
  assert.equal(r.status, 200, r.text);
  const cookie = r.headers.get('set-cookie');
  assert.match(cookie, /^centralita_session=[A-Za-z0-9_-]{43};/);
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.equal(r.json.user.email, ADMIN_EMAIL);
  assert.equal(r.json.user.role, 'admin');
  assert.equal(r.json.user.password_hash, undefined);
  assert.match(r.json.csrf_token, /^[A-Za-z0-9_-]{43}$/);
  // The token is stored only as a hash.
  const token = cookie.split(';')[0].split('=')[1];
  assert.equal(sql(s, `SELECT count(*) FROM sessions WHERE token_hash LIKE '%${token}%'`), '0');
  const me = await c.get('/api/v1/me');
  assert.equal(me.status, 200);
  assert.equal(me.json.csrf_token, r.json.csrf_token);
});

test('logout ends the session', async () => {
  const c = await adminClient(s);
  const stolen = c.cookie;
  const r = await c.del('/api/v1/session');
  assert.equal(r.status, 200);
  assert.match(r.headers.get('set-cookie'), /Max-Age=0/);
  const replay = new Client(s.url);
  replay.cookie = stolen;
  assertError(await replay.get('/api/v1/me'), 401, 'unauthenticated');
});

test('wrong password, unknown e-mail: the same answer, nothing stored but the throttle', async () => {
  const before = dump(s, { except: ['login_throttle'] });
  const c = new Client(s.url);
  const wrong = await c.post('/api/v1/session', { email: ADMIN_EMAIL, password: 'not-the-password' });
  const unknown = await c.post('/api/v1/session', { email: 'nobody@example.com', password: 'not-the-password' });
  assertError(wrong, 401, 'invalid_credentials');
  assertError(unknown, 401, 'invalid_credentials');
  assert.equal(wrong.json.error.message, unknown.json.error.message);
  assert.equal(wrong.headers.get('set-cookie'), null);
  assert.equal(dump(s, { except: ['login_throttle'] }), before);
  // A success clears the counter.
  await adminClient(s);
});

test('repeated failed logins are slowed down, then refused for a while, known e-mail or not', async () => {
  await agentClient(s, await adminClient(s), 'agent-throttle@example.com');
  for (const email of ['agent-throttle@example.com', 'ghost@example.com']) {
    const c = new Client(s.url);
    for (let i = 1; i <= 4; i++)
      assertError(await c.post('/api/v1/session', { email, password: 'wrong-password' }), 401, 'invalid_credentials');
    // The fifth failure locks the e-mail for a second.
    assertError(await c.post('/api/v1/session', { email, password: 'wrong-password' }), 401, 'invalid_credentials');
    const locked = await c.post('/api/v1/session', { email, password: 'wrong-password' });
    assertError(locked, 429, 'too_many_attempts');
    assert.equal(locked.headers.get('retry-after'), '1');
    // Refused attempts do not count: the first one the server takes once its lock is over is
    // the sixth failure, which locks the e-mail for two seconds; even the right password is
    // refused meanwhile.
    const sixth = await until(async () => {
      const r = await c.post('/api/v1/session', { email, password: 'wrong-password' });
      return r.status !== 429 && r;
    }, 'the lock to end', 5000);
    assertError(sixth, 401, 'invalid_credentials');
    const again = await c.post('/api/v1/session', { email, password: 'wrong-password' });
    assertError(again, 429, 'too_many_attempts');
    assert.equal(again.headers.get('retry-after'), '2');
  }
  // The admin is unaffected by another e-mail's lock.
  await adminClient(s);
});

// A login from a loopback address of our choosing (127.0.0.0/8 all reaches the server).
function loginFrom(server, address, email, password) {
  const body = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/api/v1/session`, {
      method: 'POST', agent: false, localAddress: address,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, retryAfter: res.headers['retry-after'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const failuresOf = (source, email) => Number(sql(s, `SELECT failures FROM login_throttle WHERE source = '${source}' AND email = '${email}'`));
const tally = (answers) => answers.reduce((t, a) => ({ ...t, [a.status]: (t[a.status] || 0) + 1 }), {});

test('parallel wrong guesses are each counted: the lock comes at the fifth, never later', async () => {
  const from = '127.0.0.21', email = 'parallel@example.com';
  const first = await Promise.all(Array.from({ length: 4 }, () => loginFrom(s, from, email, 'wrong-password')));
  assert.deepEqual(tally(first), { 401: 4 });
  assert.equal(failuresOf(from, email), 4);
  // Eight more at once: one is the fifth failure, which locks; none gets past it.
  const more = tally(await Promise.all(Array.from({ length: 8 }, () => loginFrom(s, from, email, 'wrong-password'))));
  assert.equal(more[401], 1, JSON.stringify(more));
  assert.equal((more[429] || 0) + (more[503] || 0), 7, JSON.stringify(more));
  assert.equal(failuresOf(from, email), 5);
});

const lockedUntil = (server, source, email) => Number(sql(server, `SELECT locked_until FROM login_throttle WHERE source = '${source}' AND email = '${email}'`));

test("a locked e-mail is locked for the source that failed, not for everyone", async () => {
  const attacker = '127.0.0.31';
  for (let i = 0; i < 5; i++) assert.equal((await loginFrom(s, attacker, ADMIN_EMAIL, 'wrong-password')).status, 401);
  assert.ok(lockedUntil(s, attacker, ADMIN_EMAIL) > 0);
  // As after the tenth failure: a quarter of an hour, for that source only.
  sql(s, `UPDATE login_throttle SET failures = 10, locked_until = ${Date.now() + 900_000} WHERE source = '${attacker}' AND email = '${ADMIN_EMAIL}'`);
  const refused = await loginFrom(s, attacker, ADMIN_EMAIL, ADMIN_PASSWORD);
  assert.equal(refused.status, 429);
  assert.ok(Number(refused.retryAfter) > 800, refused.retryAfter);
  // The admin, from elsewhere, logs in; a success takes only its own attempt back.
  assert.equal((await loginFrom(s, '127.0.0.32', ADMIN_EMAIL, ADMIN_PASSWORD)).status, 200);
  assert.equal((await loginFrom(s, attacker, ADMIN_EMAIL, ADMIN_PASSWORD)).status, 429);
  // The source counts the attempts it checked but a success: five failures (the refused
  // ones are not counted anywhere).
  assert.equal(failuresOf(attacker, ''), 5);
  assert.equal(failuresOf('127.0.0.32', ''), 0);
});

test('one client address trying many e-mails is slowed down after its allowance', async () => {
  const t = await startServer({ env: { CENTRALITA_LOGIN_ADDRESS_FAILURES: '3' } });
  try {
    const from = '127.0.0.41';
    const started = Date.now();
    for (let i = 1; i <= 3; i++) assert.equal((await loginFrom(t, from, `guess-${i}@example.com`, 'wrong-password')).status, 401);
    // The third failure slowed the address down (a second, from its answer); keep it so.
    assert.ok(lockedUntil(t, from, '') > started);
    sql(t, `UPDATE login_throttle SET locked_until = ${Date.now() + 60_000} WHERE source = '${from}' AND email = ''`);
    const slowed = await loginFrom(t, from, 'guess-4@example.com', 'wrong-password');
    assert.equal(slowed.status, 429);
    assert.equal((await loginFrom(t, from, ADMIN_EMAIL, ADMIN_PASSWORD)).status, 429);
    assert.equal(Number(sql(t, `SELECT count(*) FROM login_throttle WHERE email = 'guess-4@example.com'`)), 0, 'not counted');
    // Another address is not slowed by it.
    assert.equal((await loginFrom(t, '127.0.0.42', ADMIN_EMAIL, ADMIN_PASSWORD)).status, 200);
  } finally {
    await t.stop();
  }
});

test('failed logins over an hour old are forgotten: their rows are deleted', async (t) => {
  const dir = tempDir();
  const first = await startServer({ dir });
  for (const from of ['127.0.0.51', '127.0.0.52'])
    assert.equal((await loginFrom(first, from, 'old@example.com', 'wrong-password')).status, 401);
  await first.stop({ keepDir: true });
  // As if 127.0.0.51 failed 71 minutes ago (a pass waits for 70); 127.0.0.52 a minute ago.
  sql(first, `UPDATE login_throttle SET last_failure_at = ${Date.now() - 71 * 60_000}, locked_until = 0 WHERE source = '127.0.0.51'`);
  sql(first, `UPDATE login_throttle SET last_failure_at = ${Date.now() - 60_000} WHERE source = '127.0.0.52'`);
  const again = await startServer({ dir });
  t.after(() => again.stop());
  const rows = () => sql(again, 'SELECT source, email, failures FROM login_throttle ORDER BY source, email');
  await until(() => !rows().includes('127.0.0.51'), () => `the old rows to go:\n${rows()}`);
  assert.equal(rows(), '127.0.0.52||1\n127.0.0.52|old@example.com|1');
});

test('API tokens may expire, and a new password revokes those made to go with it', async () => {
  const admin = await adminClient(s);
  const agent = await agentClient(s, admin, 'tokens@example.com');
  const make = async (body) => {
    const r = await agent.post('/api/v1/tokens', body);
    assert.equal(r.status, 201, r.text);
    const c = new Client(s.url);
    c.token = r.json.token;
    return { ...r.json, client: c };
  };
  const soon = Date.now() + 3_600_000;
  const expiring = await make({ name: 'expiring', expires_at: soon });
  const plain = await make({ name: 'plain' });
  const kept = await make({ name: 'kept', revoke_on_password_change: false });
  assert.equal(expiring.expires_at, soon);
  assert.equal(plain.expires_at, null);
  assert.equal(plain.revoke_on_password_change, true);
  assert.equal(kept.revoke_on_password_change, false);
  const listed = (await agent.get('/api/v1/tokens')).json.tokens;
  assert.deepEqual(listed.map((t) => [t.name, t.expires_at, t.revoke_on_password_change]),
    [['expiring', soon, true], ['plain', null, true], ['kept', null, false]]);
  for (const t of [expiring, plain, kept]) assert.equal((await t.client.get('/api/v1/me')).status, 200);
  // Past its time, a token is refused.
  sql(s, `UPDATE api_tokens SET expires_at = ${Date.now() - 1} WHERE id = ${expiring.id}`);
  assertError(await expiring.client.get('/api/v1/me'), 401, 'unauthenticated');
  // Bad expiries change nothing.
  const before = dump(s, { except: ['sessions', 'login_throttle'] });
  for (const [body, status, code] of [
    [{ name: 'x', expires_at: Date.now() - 1000 }, 422, 'unprocessable'],
    [{ name: 'x', expires_at: 0 }, 422, 'unprocessable'],
    [{ name: 'x', expires_at: 'tomorrow' }, 400, 'invalid_request'],
    [{ name: 'x', revoke_on_password_change: 'yes' }, 400, 'invalid_request'],
  ]) assertError(await agent.post('/api/v1/tokens', body), status, code);
  assert.equal(dump(s, { except: ['sessions', 'login_throttle'] }), before);
  // A new password: the tokens made to go with it go; the kept one stays.
  const changed = await agent.patch('/api/v1/me', { password: 'a-new-password-7', current_password: 'agent-password-123' });
  assert.equal(changed.status, 200, changed.text);
  assertError(await plain.client.get('/api/v1/me'), 401, 'unauthenticated');
  assert.equal((await kept.client.get('/api/v1/me')).status, 200);
  assertError(await agent.get('/api/v1/me'), 401, 'unauthenticated');
  // An admin's reset does the same.
  const relogged = new Client(s.url);
  await relogged.login('tokens@example.com', 'a-new-password-7');
  const second = (await relogged.post('/api/v1/tokens', { name: 'second' })).json;
  const user = (await relogged.get('/api/v1/me')).json.user;
  assert.equal((await admin.patch(`/api/v1/users/${user.id}`, { password: 'reset-by-admin-8' })).status, 200);
  const secondClient = new Client(s.url);
  secondClient.token = second.token;
  assertError(await secondClient.get('/api/v1/me'), 401, 'unauthenticated');
  assert.equal((await kept.client.get('/api/v1/me')).status, 200);
});

test('the right password is refused while the e-mail is locked', async () => {
  const admin = await adminClient(s);
  const agent = await agentClient(s, admin, 'locked@example.com');
  assert.ok(agent);
  const c = new Client(s.url);
  for (let i = 0; i < 5; i++) await c.post('/api/v1/session', { email: 'locked@example.com', password: 'wrong-password' });
  assertError(await c.post('/api/v1/session', { email: 'locked@example.com', password: 'agent-password-123' }), 429, 'too_many_attempts');
});

test('bad login bodies get clear errors', async () => {
  const c = new Client(s.url);
  assertError(await c.post('/api/v1/session', '{"email":'), 400, 'invalid_json');
  assertError(await c.post('/api/v1/session', { email: ADMIN_EMAIL }), 400, 'invalid_request');
  assertError(await c.post('/api/v1/session', { email: ADMIN_EMAIL, password: 5 }), 400, 'invalid_request');
  assertError(await c.post('/api/v1/session', { email: 'not-an-email', password: 'whatever-123' }), 400, 'invalid_request');
  assertError(await c.post('/api/v1/session', [1, 2]), 400, 'invalid_request');
});

test('an expired or forged session is refused', async () => {
  const c = await adminClient(s);
  const forged = new Client(s.url);
  forged.cookie = 'centralita_session=' + 'A'.repeat(43);
  assertError(await forged.get('/api/v1/me'), 401, 'unauthenticated');
  sql(s, 'UPDATE sessions SET expires_at = 1');
  assertError(await c.get('/api/v1/me'), 401, 'unauthenticated');
});

test('state changes with the cookie need the CSRF token', async () => {
  const c = await adminClient(s);
  const before = dump(s, { except: ['sessions', 'login_throttle'] });
  assertError(await c.post('/api/v1/teams', { name: 'NoCsrf' }, { csrf: false }), 403, 'csrf_token_invalid');
  assertError(await c.post('/api/v1/teams', { name: 'BadCsrf' }, { csrf: false, headers: { 'x-csrf-token': 'x'.repeat(43) } }), 403, 'csrf_token_invalid');
  // Another session's token does not fit this session.
  const other = await adminClient(s);
  assertError(await c.post('/api/v1/teams', { name: 'OtherCsrf' }, { csrf: false, headers: { 'x-csrf-token': other.csrf } }), 403, 'csrf_token_invalid');
  assert.equal(dump(s, { except: ['sessions', 'login_throttle'] }), before);
  // Reads need none.
  assert.equal((await c.get('/api/v1/teams', { csrf: false })).status, 200);
});

// Login CSRF: a page elsewhere may post a form (text/plain, urlencoded, multipart) without a
// preflight, never application/json; and the login refuses a foreign Origin.
test('JSON endpoints take only application/json; the login refuses another site', async () => {
  const creds = JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const before = dump(s);
  for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp']) {
    const r = await new Client(s.url).post('/api/v1/session', creds, { headers: { 'content-type': type } });
    assertError(r, 415, 'unsupported_media_type');
    assert.equal(r.headers.get('set-cookie'), null);
  }
  const nameless = await fetch(s.url + '/api/v1/session', { method: 'POST', body: Buffer.from(creds) });
  assert.equal(nameless.status, 415);
  for (const origin of ['https://evil.example', 'null', s.url.replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`), `${s.url}/page`]) {
    const r = await new Client(s.url).post('/api/v1/session', creds, { headers: { origin } });
    assertError(r, 403, 'forbidden');
    assert.equal(r.headers.get('set-cookie'), null, origin);
  }
  assert.equal(dump(s), before, 'refused logins change nothing');
  // Signed in, a write still needs JSON; the server's own pages and scripts log in.
  const c = await adminClient(s);
  const teams = dump(s, { except: ['sessions'] });
  assertError(await c.post('/api/v1/teams', '{"name":"Plain"}', { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
  assert.equal(dump(s, { except: ['sessions'] }), teams);
  assert.equal((await c.post('/api/v1/teams', '{"name":"Json"}', { headers: { 'content-type': 'application/json; charset=utf-8' } })).status, 201);
  const own = await new Client(s.url).post('/api/v1/session', creds, { headers: { origin: s.url } });
  assert.equal(own.status, 200, own.text);
});

test('personal API tokens: shown once, work without CSRF, can be listed and revoked', async () => {
  const c = await adminClient(s);
  const r = await c.post('/api/v1/tokens', { name: 'deploy script' });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.token, /^ctk_[A-Za-z0-9_-]{43}$/);
  const script = new Client(s.url);
  script.token = r.json.token;
  const created = await script.post('/api/v1/teams', { name: 'ViaToken' });
  assert.equal(created.status, 201, created.text);
  const list = await c.get('/api/v1/tokens');
  const listed = list.json.tokens.find((t) => t.id === r.json.id);
  assert.equal(listed.name, 'deploy script');
  assert.doesNotMatch(list.text, /ctk_/);
  assert.equal(sql(s, `SELECT count(*) FROM api_tokens WHERE token_hash = '${r.json.token}'`), '0');
  assert.equal((await c.del(`/api/v1/tokens/${r.json.id}`)).status, 200);
  assertError(await script.get('/api/v1/me'), 401, 'unauthenticated');
  assertError(await c.del(`/api/v1/tokens/${r.json.id}`), 404, 'not_found');
  const bad = new Client(s.url);
  bad.token = 'ctk_' + 'x'.repeat(43);
  assertError(await bad.get('/api/v1/me'), 401, 'unauthenticated');
  const basic = await new Client(s.url).get('/api/v1/me', { headers: { authorization: 'Basic abc' } });
  assertError(basic, 401, 'unauthenticated');
  assertError(await c.post('/api/v1/tokens', { name: '' }), 400, 'invalid_request');
});

test('everyone sets their own availability; bad values change nothing', async () => {
  const admin = await adminClient(s);
  const agent = await agentClient(s, admin, 'avail@example.com');
  for (const a of ['online', 'away', 'offline', 'online']) {
    const r = await agent.patch('/api/v1/me', { availability: a });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.user.availability, a);
  }
  const before = dump(s);
  assertError(await agent.patch('/api/v1/me', { availability: 'busy' }), 400, 'invalid_request');
  assertError(await agent.patch('/api/v1/me', { availability: 3 }), 400, 'invalid_request');
  assertError(await agent.patch('/api/v1/me', { role: 'admin' }), 400, 'invalid_request');
  assert.equal(dump(s), before);
  assert.equal((await agent.get('/api/v1/me')).json.user.availability, 'online');
});

test('changing one\'s password needs the current one and ends the sessions', async () => {
  const admin = await adminClient(s);
  const agent = await agentClient(s, admin, 'pw@example.com');
  assertError(await agent.patch('/api/v1/me', { password: 'brand-new-pass' }), 400, 'invalid_request');
  assertError(await agent.patch('/api/v1/me', { password: 'brand-new-pass', current_password: 'wrong-one-123' }), 422, 'unprocessable');
  assertError(await agent.patch('/api/v1/me', { password: 'short', current_password: 'agent-password-123' }), 400, 'invalid_request');
  const ok = await agent.patch('/api/v1/me', { password: 'brand-new-pass', current_password: 'agent-password-123' });
  assert.equal(ok.status, 200, ok.text);
  assertError(await agent.get('/api/v1/me'), 401, 'unauthenticated');
  await new Client(s.url).login('pw@example.com', 'brand-new-pass');
});
