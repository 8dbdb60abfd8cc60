// Assignment inside a team: manual, round robin, balanced; online only; a cap per agent with
// a queue that moves when a place frees up; a reopened conversation and its previous agent.
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';

let fake, s, admin, team, agents;
let phone = 34710000000;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  await connectAll(admin);
  team = (await admin.post('/api/v1/teams', { name: 'Ventas' })).json.team.id;
  agents = [];
  for (const name of ['Ana', 'Bruno', 'Carla']) {
    const a = await agentClient(s, admin, `${name.toLowerCase()}@example.com`, name);
    assert.equal((await admin.post(`/api/v1/teams/${team}/members`, { user_id: a.user.id })).status, 201);
    assert.equal((await a.patch('/api/v1/me', { availability: 'online' })).status, 200);
    agents.push(a);
  }
  const r = await admin.put('/api/v1/routing', {
    welcome_message: 'Hola', fallback_message: 'No te entiendo', match_first_message: true,
    options: [{ answers: ['comprar'], team: 'Ventas' }],
  });
  assert.equal(r.status, 200, r.text);
});
after(async () => {
  await s.stop();
  await fake.stop();
});

async function setTeam(settings) {
  const r = await admin.patch(`/api/v1/teams/${team}`, settings);
  assert.equal(r.status, 200, r.text);
  return r.json.team;
}

// A new customer asks to buy: routed to Ventas at once; answers who got it (or null).
async function newSale() {
  const conv = await customerWrites(s, 'whatsapp', String(++phone), 'quiero comprar');
  return { conv, assignee: (await admin.get(`/api/v1/conversations/${conv}`)).json.conversation.assignee_id };
}

function resolveAll() {
  sql(s, "UPDATE conversations SET status = 'resolved', resolved_at = 1 WHERE status <> 'resolved'");
}

// Each test starts from the same place, whichever ran before it: nothing open, the team's
// settings back to manual with no limits, everyone online.
beforeEach(async () => {
  resolveAll();
  await setTeam({ assignment: 'manual', online_only: false, max_open: 0 });
  for (const a of agents) assert.equal((await a.patch('/api/v1/me', { availability: 'online' })).status, 200);
});

test('manual leaves it in the team\'s queue', async () => {
  const t = await setTeam({ assignment: 'manual' });
  assert.equal(t.assignment, 'manual');
  assert.equal((await newSale()).assignee, null);
  resolveAll();
});

test('round robin takes turns among the members', async () => {
  await setTeam({ assignment: 'round_robin', online_only: false, max_open: 0 });
  const ids = agents.map((a) => a.user.id);
  const got = [];
  for (let i = 0; i < 4; i++) got.push((await newSale()).assignee);
  // Whoever comes first, the turns go round in member order.
  const start = ids.indexOf(got[0]);
  assert.ok(start >= 0);
  assert.deepEqual(got, [0, 1, 2, 3].map((k) => ids[(start + k) % 3]));
  resolveAll();
});

test('balanced gives it to the member with the fewest open conversations', async () => {
  await setTeam({ assignment: 'round_robin' });
  const first = await newSale();
  const second = await newSale();
  await setTeam({ assignment: 'balanced' });
  const third = await newSale();
  assert.ok(![first.assignee, second.assignee].includes(third.assignee));
  resolveAll();
});

test('online only skips members who are away or offline', async () => {
  await setTeam({ assignment: 'round_robin', online_only: true });
  await agents[0].patch('/api/v1/me', { availability: 'away' });
  await agents[1].patch('/api/v1/me', { availability: 'offline' });
  for (let i = 0; i < 3; i++) assert.equal((await newSale()).assignee, agents[2].user.id);
  await agents[0].patch('/api/v1/me', { availability: 'online' });
  await agents[1].patch('/api/v1/me', { availability: 'online' });
  resolveAll();
});

test('with everyone at the cap it waits in the queue, and is assigned when a place frees up', async () => {
  await setTeam({ assignment: 'balanced', online_only: true, max_open: 1 });
  await agents[2].patch('/api/v1/me', { availability: 'offline' });
  const a = await newSale();
  const b = await newSale();
  assert.deepEqual([a.assignee, b.assignee].sort(), [agents[0].user.id, agents[1].user.id].sort());
  const waiting = await newSale();
  assert.equal(waiting.assignee, null);
  // Carla comes online: the waiting conversation is hers.
  await agents[2].patch('/api/v1/me', { availability: 'online' });
  assert.equal((await admin.get(`/api/v1/conversations/${waiting.conv}`)).json.conversation.assignee_id, agents[2].user.id);
  // A higher cap lets the next one go at once.
  await setTeam({ max_open: 2 });
  assert.notEqual((await newSale()).assignee, null);
  resolveAll();
});

test('a reopened conversation goes back to its agent when available, otherwise it is assigned again', async () => {
  await setTeam({ assignment: 'round_robin', online_only: true, max_open: 0 });
  const sale = await newSale();
  const owner = agents.find((x) => x.user.id === sale.assignee);
  sql(s, `UPDATE conversations SET status = 'resolved', resolved_at = ${Date.now()} WHERE id = ${sale.conv}`);
  await customerWrites(s, 'whatsapp', String(phone), 'una cosa más');
  let c = (await admin.get(`/api/v1/conversations/${sale.conv}`)).json.conversation;
  assert.equal(c.status, 'open');
  assert.equal(c.assignee_id, owner.user.id);
  sql(s, `UPDATE conversations SET status = 'resolved', resolved_at = ${Date.now()} WHERE id = ${sale.conv}`);
  await owner.patch('/api/v1/me', { availability: 'offline' });
  await customerWrites(s, 'whatsapp', String(phone), 'y otra');
  c = (await admin.get(`/api/v1/conversations/${sale.conv}`)).json.conversation;
  assert.notEqual(c.assignee_id, owner.user.id);
  assert.notEqual(c.assignee_id, null);
  await owner.patch('/api/v1/me', { availability: 'online' });
});

test('bad team settings: a clear error each, nothing changed', async () => {
  const before = dump(s);
  for (const body of [{ assignment: 'random' }, { assignment: 1 }, { max_open: -1 }, { max_open: 1001 }, { online_only: 'yes' }, { color: 'red' }])
    assertError(await admin.patch(`/api/v1/teams/${team}`, body), 400, 'invalid_request');
  assertError(await agents[0].patch(`/api/v1/teams/${team}`, { assignment: 'manual' }), 403, 'forbidden');
  assert.equal(dump(s), before);
});

test('a transfer applies the new team\'s method; resolving frees a place in the queue', async () => {
  const soporte = (await admin.post('/api/v1/teams', { name: 'Soporte' })).json.team.id;
  await admin.post(`/api/v1/teams/${soporte}/members`, { user_id: agents[0].user.id });
  await admin.patch(`/api/v1/teams/${soporte}`, { assignment: 'round_robin', max_open: 1 });
  await setTeam({ assignment: 'manual' });
  const first = await newSale();
  const second = await newSale();
  const t1 = await admin.post(`/api/v1/conversations/${first.conv}/transfer`, { team_id: soporte });
  assert.equal(t1.status, 200, t1.text);
  assert.equal((await admin.get(`/api/v1/conversations/${first.conv}`)).json.conversation.assignee_id, agents[0].user.id);
  assert.match(sql(s, `SELECT group_concat(text, ' | ') FROM conversation_events WHERE conversation_id = ${first.conv}`), /moved it from Ventas to Soporte.*assigned to Ana/);
  // Ana is at the cap: the second transfer waits in Soporte's queue until she resolves one.
  await admin.post(`/api/v1/conversations/${second.conv}/transfer`, { team_id: soporte });
  assert.equal((await admin.get(`/api/v1/conversations/${second.conv}`)).json.conversation.assignee_id, null);
  assert.equal((await agents[0].post(`/api/v1/conversations/${first.conv}/resolve`)).status, 200);
  assert.equal((await admin.get(`/api/v1/conversations/${second.conv}`)).json.conversation.assignee_id, agents[0].user.id);
  resolveAll();
});
