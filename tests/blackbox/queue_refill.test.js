// A team's queue is refilled by the inbox's own functions, whoever calls them: a member added
// from the command line while the server runs, or an admin setting an agent online through
// PATCH /api/v1/users/:id, gives the waiting conversation to someone at once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli } from './lib/server.js';
import { adminClient, agentClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';

let fake, s, admin;
let phone = 34720000000;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  await connectAll(admin);
});
after(async () => {
  await s.stop();
  await fake.stop();
});

// A round-robin team of its own, routed to by its word, and one conversation waiting in its
// queue (nobody can take it yet).
async function teamWithWaiting(name, settings) {
  const team = (await admin.post('/api/v1/teams', { name })).json.team.id;
  const r = await admin.patch(`/api/v1/teams/${team}`, { assignment: 'round_robin', ...settings });
  assert.equal(r.status, 200, r.text);
  return team;
}

async function routeTo(teams) {
  const r = await admin.put('/api/v1/routing', {
    welcome_message: 'Hola', fallback_message: 'No te entiendo', match_first_message: true,
    options: teams.map((t) => ({ answers: [t.toLowerCase()], team: t })),
  });
  assert.equal(r.status, 200, r.text);
}

async function waitingIn(team, word) {
  const conv = await customerWrites(s, 'whatsapp', String(++phone), word);
  const c = (await admin.get(`/api/v1/conversations/${conv}`)).json.conversation;
  assert.equal(c.team_id, team);
  assert.equal(c.assignee_id, null);
  return conv;
}

async function assigneeOf(conv) {
  return (await admin.get(`/api/v1/conversations/${conv}`)).json.conversation.assignee_id;
}

test('a member added from the command line takes the waiting conversation', async () => {
  const team = await teamWithWaiting('Soporte', { online_only: false });
  await routeTo(['Soporte']);
  const conv = await waitingIn(team, 'soporte');
  const agent = await agentClient(s, admin, 'diego@example.com', 'Diego');
  const r = cli(s.dir, ['team', 'member', 'add', 'Soporte', 'diego@example.com']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(await assigneeOf(conv), agent.user.id);
});

test('an admin setting an agent online gives them the waiting conversation', async () => {
  const team = await teamWithWaiting('Ventas', { online_only: true });
  await routeTo(['Soporte', 'Ventas']);
  const agent = await agentClient(s, admin, 'elena@example.com', 'Elena');
  assert.equal((await admin.patch(`/api/v1/users/${agent.user.id}`, { availability: 'offline' })).status, 200);
  assert.equal((await admin.post(`/api/v1/teams/${team}/members`, { user_id: agent.user.id })).status, 201);
  const conv = await waitingIn(team, 'ventas');
  const r = await admin.patch(`/api/v1/users/${agent.user.id}`, { availability: 'online' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.user.availability, 'online');
  assert.equal(await assigneeOf(conv), agent.user.id);
});
