// Logging in and out, sessions, CSRF, personal API tokens, the login throttle, and /me.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, dump, sql, ADMIN_EMAIL, ADMIN_PASSWORD } from './lib/server.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';

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
    await new Promise((r) => setTimeout(r, 1100));
    // The sixth failure locks it for two seconds; even the right password is refused meanwhile.
    assertError(await c.post('/api/v1/session', { email, password: 'wrong-password' }), 401, 'invalid_credentials');
    const again = await c.post('/api/v1/session', { email, password: 'wrong-password' });
    assertError(again, 429, 'too_many_attempts');
    assert.equal(again.headers.get('retry-after'), '2');
  }
  // The admin is unaffected by another e-mail's lock.
  await adminClient(s);
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
  const before = dump(s, { except: ['sessions'] });
  assertError(await c.post('/api/v1/teams', { name: 'NoCsrf' }, { csrf: false }), 403, 'csrf_token_invalid');
  assertError(await c.post('/api/v1/teams', { name: 'BadCsrf' }, { csrf: false, headers: { 'x-csrf-token': 'x'.repeat(43) } }), 403, 'csrf_token_invalid');
  // Another session's token does not fit this session.
  const other = await adminClient(s);
  assertError(await c.post('/api/v1/teams', { name: 'OtherCsrf' }, { csrf: false, headers: { 'x-csrf-token': other.csrf } }), 403, 'csrf_token_invalid');
  assert.equal(dump(s, { except: ['sessions'] }), before);
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
