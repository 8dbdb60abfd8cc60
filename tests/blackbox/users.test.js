// Users: admins create, edit and deactivate them; every bad input changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { dump } from './lib/db.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';

let s, admin;
before(async () => {
  s = await startServer();
  admin = await adminClient(s);
});
after(async () => s.stop());

test('an admin creates a user, with a one-time password when none is given', async () => {
  const r = await admin.post('/api/v1/users', { email: 'Marta@Example.com', name: '  Marta Ruiz ', role: 'agent' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.user.email, 'marta@example.com');
  assert.equal(r.json.user.name, 'Marta Ruiz');
  assert.equal(r.json.user.role, 'agent');
  assert.equal(r.json.user.availability, 'offline');
  assert.equal(r.json.user.active, true);
  assert.match(r.json.password, /^\S{16}$/);
  const marta = new Client(s.url);
  await marta.login('marta@example.com', r.json.password);
  const got = await admin.get(`/api/v1/users/${r.json.user.id}`);
  // Logging in set her online; nothing else changed.
  const { availability, updated_at: updated, ...rest } = got.json.user;
  const { availability: was, updated_at: created, ...before } = r.json.user;
  assert.equal(availability, 'online');
  assert.equal(was, 'offline');
  assert.ok(updated >= created);
  assert.deepEqual(rest, before);
  const list = await marta.get('/api/v1/users');
  assert.ok(list.json.users.some((u) => u.email === 'marta@example.com'));
  assert.doesNotMatch(list.text, /password/);
});

test('bad user input: each a clear error, nothing changed', async () => {
  const before = dump(s);
  const long = 'x'.repeat(201);
  const cases = [
    ['{"email": "a@b.c", "name": "A", "role": "agent"', 400, 'invalid_json'],
    ['{"email": "a@b.c", "name": "A", "role": "agent", "email": "b@b.c"}', 400, 'invalid_json'],
    ['[]', 400, 'invalid_request'],
    ['"just a string"', 400, 'invalid_request'],
    [{ email: 'a@b.c', name: 'A' }, 400, 'invalid_request'],
    [{ email: 'a@b.c', name: 'A', role: 'owner' }, 400, 'invalid_request'],
    [{ email: 'a@b.c', name: 'A', role: 'agent', is_god: true }, 400, 'invalid_request'],
    [{ email: 42, name: 'A', role: 'agent' }, 400, 'invalid_request'],
    [{ email: 'a@b.c', name: ['A'], role: 'agent' }, 400, 'invalid_request'],
    [{ email: 'a@b.c', name: long, role: 'agent' }, 400, 'invalid_request'],
    [{ email: 'a@b.c', name: '   ', role: 'agent' }, 400, 'invalid_request'],
    [{ email: 'a@b.c', name: 'line\nbreak', role: 'agent' }, 400, 'invalid_request'],
    [{ email: `${'x'.repeat(316)}@b.cc`, name: 'A', role: 'agent' }, 400, 'invalid_request'],
    [{ email: 'no-at-sign', name: 'A', role: 'agent' }, 400, 'invalid_request'],
    [{ email: 'two@@ats', name: 'A', role: 'agent' }, 400, 'invalid_request'],
    [{ email: 'a@b.c', name: 'A', role: 'agent', password: 'short' }, 400, 'invalid_request'],
    [{ email: 'ADMIN@example.com', name: 'Dup', role: 'agent' }, 409, 'conflict'],
    ['{"email": "a@b.c", "name": "\\u0000", "role": "agent"}', 400, 'invalid_json'],
  ];
  for (const [body, status, code] of cases) assertError(await admin.post('/api/v1/users', body), status, code);
  // Invalid UTF-8, byte for byte.
  const invalid = Buffer.concat([Buffer.from('{"email": "a@b.c", "name": "'), Buffer.from([0xc3, 0x28]), Buffer.from('", "role": "agent"}')]);
  assertError(await admin.post('/api/v1/users', invalid), 400, 'invalid_json');
  assertError(await admin.patch('/api/v1/users/999999', { name: 'Ghost' }), 404, 'not_found');
  assertError(await admin.get('/api/v1/users/999999'), 404, 'not_found');
  assertError(await admin.patch('/api/v1/users/1', { active: 'no' }), 400, 'invalid_request');
  assert.equal(dump(s), before);
});

test('agents may not call admin endpoints (403), and nothing changes', async () => {
  const agent = await agentClient(s, admin, 'plain@example.com');
  const before = dump(s);
  assertError(await agent.post('/api/v1/users', { email: 'x@example.com', name: 'X', role: 'admin' }), 403, 'forbidden');
  assertError(await agent.patch(`/api/v1/users/${agent.user.id}`, { role: 'admin' }), 403, 'forbidden');
  assertError(await agent.post('/api/v1/teams', { name: 'Mine' }), 403, 'forbidden');
  assert.equal(dump(s), before);
});

test('an admin edits a user: name, e-mail, role, password', async () => {
  const agent = await agentClient(s, admin, 'edit@example.com', 'Edit Me');
  const id = agent.user.id;
  let r = await admin.patch(`/api/v1/users/${id}`, { name: 'Edited', email: 'edited@example.com', role: 'admin' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.user.name, 'Edited');
  assert.equal(r.json.user.email, 'edited@example.com');
  assert.equal(r.json.user.role, 'admin');
  assertError(await admin.patch(`/api/v1/users/${id}`, { email: 'admin@example.com' }), 409, 'conflict');
  r = await admin.patch(`/api/v1/users/${id}`, { password: 'reset-password-1' });
  assert.equal(r.status, 200);
  // A password reset ends the user's sessions.
  assertError(await agent.get('/api/v1/me'), 401, 'unauthenticated');
  await new Client(s.url).login('edited@example.com', 'reset-password-1');
});

test('deactivating a user ends their sessions and tokens and stops their logins', async () => {
  const agent = await agentClient(s, admin, 'leaving@example.com');
  const tok = await agent.post('/api/v1/tokens', { name: 'mine' });
  const script = new Client(s.url);
  script.token = tok.json.token;
  assert.equal((await script.get('/api/v1/me')).status, 200);
  const r = await admin.patch(`/api/v1/users/${agent.user.id}`, { active: false });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.user.active, false);
  assertError(await agent.get('/api/v1/me'), 401, 'unauthenticated');
  assertError(await script.get('/api/v1/me'), 401, 'unauthenticated');
  assertError(await new Client(s.url).post('/api/v1/session', { email: 'leaving@example.com', password: 'agent-password-123' }), 401, 'invalid_credentials');
  const back = await admin.patch(`/api/v1/users/${agent.user.id}`, { active: true });
  assert.equal(back.json.user.active, true);
  await new Client(s.url).login('leaving@example.com', 'agent-password-123');
});

test('the last active admin cannot be demoted or deactivated', async () => {
  const fresh = await startServer();
  const a = await adminClient(fresh);
  const me = (await a.get('/api/v1/me')).json.user;
  const before = dump(fresh);
  assertError(await a.patch(`/api/v1/users/${me.id}`, { role: 'agent' }), 422, 'unprocessable');
  assertError(await a.patch(`/api/v1/users/${me.id}`, { active: false }), 422, 'unprocessable');
  assert.equal(dump(fresh), before);
  await fresh.stop();
});
