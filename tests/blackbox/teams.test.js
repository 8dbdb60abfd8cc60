// Teams: admins create, rename, delete and staff them; agents see every team's name and only
// their own teams' members.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { dump } from './lib/db.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';

let s, admin, ana, luis;
before(async () => {
  s = await startServer();
  admin = await adminClient(s);
  ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
  luis = await agentClient(s, admin, 'luis@example.com', 'Luis');
});
after(async () => s.stop());

async function createTeam(name) {
  const r = await admin.post('/api/v1/teams', { name });
  assert.equal(r.status, 201, r.text);
  return r.json.team;
}

test('admin creates a team and adds an agent; the agent sees which teams are theirs', async () => {
  const soporte = await createTeam('Soporte');
  const ventas = await createTeam('Ventas');
  assert.equal(soporte.name, 'Soporte');
  assert.deepEqual(soporte.members, []);
  const r = await admin.post(`/api/v1/teams/${soporte.id}/members`, { user_id: ana.user.id });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.json.team.members.map((m) => m.email), ['ana@example.com']);
  assert.equal(r.json.team.member_count, 1);

  // Every team is listed (a transfer may go to any), marked with the caller's membership.
  const these = (teams) => teams.filter((t) => t.id === soporte.id || t.id === ventas.id);
  const anaTeams = (await ana.get('/api/v1/teams')).json.teams;
  assert.deepEqual(these(anaTeams).map((t) => [t.name, t.is_member]), [['Soporte', true], ['Ventas', false]]);
  assert.equal((await ana.get(`/api/v1/teams/${soporte.id}`)).status, 200);
  // Not a member: the team does not exist for them (404, not 403).
  assertError(await ana.get(`/api/v1/teams/${ventas.id}`), 404, 'not_found');
  assert.deepEqual(these((await luis.get('/api/v1/teams')).json.teams).map((t) => t.is_member), [false, false]);
  const all = (await admin.get('/api/v1/teams')).json.teams.map((t) => t.name);
  assert.ok(all.includes('Soporte') && all.includes('Ventas'));
});

test('rename keeps the team and its members; names are unique regardless of case', async () => {
  const t = await createTeam('Marketing');
  await createTeam('Finanzas');
  await admin.post(`/api/v1/teams/${t.id}/members`, { user_id: luis.user.id });
  const r = await admin.patch(`/api/v1/teams/${t.id}`, { name: 'Márketing' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.team.id, t.id);
  assert.equal(r.json.team.name, 'Márketing');
  assert.deepEqual(r.json.team.members.map((m) => m.email), ['luis@example.com']);
  assertError(await admin.post('/api/v1/teams', { name: 'MÁRKETING' }), 409, 'conflict');
  assertError(await admin.patch(`/api/v1/teams/${t.id}`, { name: 'finanzas' }), 409, 'conflict');
});

test('members come and go', async () => {
  const t = await createTeam('Contabilidad');
  await admin.post(`/api/v1/teams/${t.id}/members`, { user_id: ana.user.id });
  await admin.post(`/api/v1/teams/${t.id}/members`, { user_id: luis.user.id });
  const r = await admin.del(`/api/v1/teams/${t.id}/members/${ana.user.id}`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.team.members.map((m) => m.email), ['luis@example.com']);
  assertError(await ana.get(`/api/v1/teams/${t.id}`), 404, 'not_found');
});

test('deleting a team removes it and its memberships', async () => {
  const t = await createTeam('Temporal');
  await admin.post(`/api/v1/teams/${t.id}/members`, { user_id: ana.user.id });
  assert.equal((await admin.del(`/api/v1/teams/${t.id}`)).status, 200);
  assertError(await admin.get(`/api/v1/teams/${t.id}`), 404, 'not_found');
  assert.ok(!(await ana.get('/api/v1/teams')).json.teams.some((x) => x.id === t.id));
  assertError(await admin.del(`/api/v1/teams/${t.id}`), 404, 'not_found');
});

test('bad team input: each a clear error, nothing changed', async () => {
  const t = await createTeam('Calidad');
  await admin.post(`/api/v1/teams/${t.id}/members`, { user_id: ana.user.id });
  const deactivated = await agentClient(s, admin, 'gone@example.com');
  await admin.patch(`/api/v1/users/${deactivated.user.id}`, { active: false });
  const before = dump(s);
  const cases = [
    ['post', '/api/v1/teams', '{"name":', 400, 'invalid_json'],
    ['post', '/api/v1/teams', {}, 400, 'invalid_request'],
    ['post', '/api/v1/teams', { name: 7 }, 400, 'invalid_request'],
    ['post', '/api/v1/teams', { name: 'x'.repeat(201) }, 400, 'invalid_request'],
    ['post', '/api/v1/teams', { name: '' }, 400, 'invalid_request'],
    ['post', '/api/v1/teams', { name: 'Ok', color: 'red' }, 400, 'invalid_request'],
    ['post', '/api/v1/teams', { name: 'calidad' }, 409, 'conflict'],
    ['post', '/api/v1/teams', '[' .repeat(100) + ']'.repeat(100), 400, 'invalid_json'],
    ['patch', '/api/v1/teams/999999', { name: 'Nope' }, 404, 'not_found'],
    ['del', '/api/v1/teams/999999', undefined, 404, 'not_found'],
    ['post', `/api/v1/teams/${t.id}/members`, { user_id: ana.user.id }, 409, 'conflict'],
    ['post', `/api/v1/teams/${t.id}/members`, { user_id: 999999 }, 422, 'unprocessable'],
    ['post', `/api/v1/teams/${t.id}/members`, { user_id: deactivated.user.id }, 422, 'unprocessable'],
    ['post', `/api/v1/teams/${t.id}/members`, { user_id: '1' }, 400, 'invalid_request'],
    ['post', '/api/v1/teams/999999/members', { user_id: ana.user.id }, 404, 'not_found'],
    ['del', `/api/v1/teams/${t.id}/members/${luis.user.id}`, undefined, 404, 'not_found'],
    ['del', `/api/v1/teams/${t.id}/members/abc`, undefined, 404, 'not_found'],
  ];
  for (const [method, path, body, status, code] of cases) {
    const r = method === 'del' ? await admin.del(path) : await admin[method](path, body);
    assertError(r, status, code);
  }
  // Agents get 403 for every admin action, logged-out callers 401.
  assertError(await ana.patch(`/api/v1/teams/${t.id}`, { name: 'Hijack' }), 403, 'forbidden');
  assertError(await ana.del(`/api/v1/teams/${t.id}`), 403, 'forbidden');
  assertError(await ana.post(`/api/v1/teams/${t.id}/members`, { user_id: luis.user.id }), 403, 'forbidden');
  assertError(await ana.del(`/api/v1/teams/${t.id}/members/${ana.user.id}`), 403, 'forbidden');
  const anonymous = new Client(s.url);
  assertError(await anonymous.get('/api/v1/teams'), 401, 'unauthenticated');
  assertError(await anonymous.post('/api/v1/teams', { name: 'Anon' }), 401, 'unauthenticated');
  assert.equal(dump(s), before);
});
