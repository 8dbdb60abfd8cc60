// Admin metrics: open conversations per team and agent now, and first-response and
// resolution times per team for a range, checked against data with controlled times.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';
import { until } from './lib/until.js';

let fake, s, admin, ana, teams;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  await connectAll(admin);
  teams = {};
  for (const name of ['Ventas', 'Soporte']) teams[name] = (await admin.post('/api/v1/teams', { name })).json.team.id;
  ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
  assert.equal((await admin.post(`/api/v1/teams/${teams.Ventas}/members`, { user_id: ana.user.id })).status, 201);
});
after(async () => {
  await s.stop();
  await fake.stop();
});

const T0 = 1700000000000; // the range's start; times below are offsets from it
let phone = 34611000000;

// A conversation created at T0 + created, whose customer first wrote then, with agent
// replies `replies` ms later (in that order), in team (or the general inbox).
async function conversation({ created, replies = [], team, resolvedAfter, assignee }) {
  const id = await customerWrites(s, 'whatsapp', String(++phone), 'Hola');
  if (team) assert.equal((await admin.post(`/api/v1/conversations/${id}/transfer`, { team_id: teams[team] })).status, 200);
  if (assignee) assert.equal((await admin.post(`/api/v1/conversations/${id}/assign`, { user_id: assignee.user.id })).status, 200);
  for (const _ of replies) assert.equal((await admin.post(`/api/v1/conversations/${id}/messages`, { text: 'Respuesta' })).status, 201);
  const at = T0 + created;
  sql(s, `UPDATE conversations SET created_at = ${at} WHERE id = ${id}`);
  sql(s, `UPDATE messages SET created_at = ${at} WHERE conversation_id = ${id} AND sender = 'contact'`);
  const agentIds = sql(s, `SELECT id FROM messages WHERE conversation_id = ${id} AND sender = 'agent' ORDER BY id`).split('\n').filter(Boolean);
  agentIds.forEach((mid, i) => sql(s, `UPDATE messages SET created_at = ${at + replies[i]} WHERE id = ${mid}`));
  if (resolvedAfter !== undefined) {
    assert.equal((await admin.post(`/api/v1/conversations/${id}/resolve`)).status, 200);
    sql(s, `UPDATE conversations SET resolved_at = ${at + resolvedAfter} WHERE id = ${id}`);
  }
  return id;
}

test('exact numbers: nearest-rank median and 90th percentile per team, open counts now', async () => {
  // Ventas: first responses 1000, 2000, 3000, 4000 and one never answered.
  await conversation({ created: 0, replies: [1000, 5000], team: 'Ventas', resolvedAfter: 10000 });
  await conversation({ created: 100, replies: [2000], team: 'Ventas', resolvedAfter: 20000 });
  await conversation({ created: 200, replies: [3000], team: 'Ventas', resolvedAfter: 30000, assignee: ana });
  await conversation({ created: 300, replies: [4000], team: 'Ventas', assignee: ana });
  await conversation({ created: 400, team: 'Ventas' });
  // General inbox: one answered after 7000, still open.
  await conversation({ created: 500, replies: [7000] });
  // Outside the range (before T0): counted as open, not in the range's numbers.
  await conversation({ created: -5000, replies: [100], team: 'Soporte' });

  const r = await admin.get(`/api/v1/metrics?from=${T0}&to=${T0 + 60000}`);
  assert.equal(r.status, 200, r.text);
  const m = r.json;
  assert.equal(m.from, T0);
  assert.equal(m.to, T0 + 60000);
  assert.equal(m.open.general, 1);
  assert.deepEqual(m.open.teams, [
    { team_id: teams.Soporte, name: 'Soporte', count: 1 },
    { team_id: teams.Ventas, name: 'Ventas', count: 2 },
  ]);
  const agents = Object.fromEntries(m.open.agents.map((a) => [a.name, a]));
  assert.deepEqual(agents.Ana, { user_id: ana.user.id, name: 'Ana', count: 1 });
  assert.equal(agents.Admin.count, 0);
  assert.deepEqual(m.teams, [
    { team_id: null, name: 'General', conversations: 1,
      first_response_ms: { median: 7000, p90: 7000, count: 1 },
      resolution_ms: { median: null, p90: null, count: 0 } },
    { team_id: teams.Soporte, name: 'Soporte', conversations: 0,
      first_response_ms: { median: null, p90: null, count: 0 },
      resolution_ms: { median: null, p90: null, count: 0 } },
    { team_id: teams.Ventas, name: 'Ventas', conversations: 5,
      // Nearest rank over [1000, 2000, 3000, 4000]: median rank 2, p90 rank 4.
      first_response_ms: { median: 2000, p90: 4000, count: 4 },
      // [10000, 20000, 30000]: median rank 2, p90 rank 3.
      resolution_ms: { median: 20000, p90: 30000, count: 3 } },
  ]);

  // A narrower range drops what falls outside it: created in [T0, T0 + 150) and resolved
  // (at T0 + 10000 and T0 + 20100) before T0 + 150 — none.
  const narrow = (await admin.get(`/api/v1/metrics?from=${T0}&to=${T0 + 150}`)).json;
  const ventas = narrow.teams.find((t) => t.name === 'Ventas');
  assert.equal(ventas.conversations, 2);
  assert.deepEqual(ventas.first_response_ms, { median: 1000, p90: 2000, count: 2 });
  assert.deepEqual(ventas.resolution_ms, { median: null, p90: null, count: 0 });
});

test('the default range is the last 7 days; bad ranges refused; admins only', async () => {
  const r = await admin.get('/api/v1/metrics');
  assert.equal(r.status, 200, r.text);
  assert.ok(Math.abs(r.json.to - Date.now()) < 60000);
  assert.equal(r.json.to - r.json.from, 7 * 24 * 3600 * 1000);
  assert.equal((await admin.get(`/api/v1/metrics?from=${T0}&to=${T0}`)).status, 200);
  // The replies above are sent first, so that nothing else changes the database meanwhile.
  await until(() => sql(s, 'SELECT count(*) FROM outbox') === '0', 'the outbox to empty');
  const before = dump(s);
  for (const q of ['from=10&to=5', 'from=abc', 'to=x', 'from=-1', 'from=1.5', 'from=']) {
    assertError(await admin.get(`/api/v1/metrics?${q}`), 400, 'invalid_request');
  }
  assertError(await ana.get('/api/v1/metrics'), 403, 'forbidden');
  assertError(await new Client(s.url).get('/api/v1/metrics'), 401, 'unauthenticated');
  assert.equal(dump(s), before);
});
