// Response targets and reassignment when nobody answers: a team's first- and next-response
// targets give each waiting conversation its due time (in business time), the list filters by
// it and marks those close to or past it, metrics count targets met and missed per team and
// agent; after a minute of silence the conversation goes to another member, with a timeline
// line and a stream event — also across a restart with the timer pending.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sql, dump } from './lib/server.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';
import { openStream } from './lib/sse.js';
import { until } from './lib/until.js';

const MINUTE = 60_000;
let fake, s, admin, soporte, ana, bruno;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  await connectAll(admin);
  soporte = (await admin.post('/api/v1/teams', { name: 'Soporte' })).json.team.id;
  ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
  bruno = await agentClient(s, admin, 'bruno@example.com', 'Bruno');
  for (const who of [ana, bruno]) {
    assert.equal((await admin.post(`/api/v1/teams/${soporte}/members`, { user_id: who.user.id })).status, 201);
    assert.equal((await who.patch('/api/v1/me', { availability: 'online' })).status, 200);
  }
  const r = await admin.put('/api/v1/routing', {
    welcome_message: 'Hola', fallback_message: 'No te entiendo', match_first_message: true,
    options: [{ answers: ['ayuda'], team: 'Soporte' }],
  });
  assert.equal(r.status, 200, r.text);
});
after(async () => {
  await s?.stop();
  await fake.stop();
});

async function setTeam(settings) {
  const r = await admin.patch(`/api/v1/teams/${soporte}`, settings);
  assert.equal(r.status, 200, r.text);
  return r.json.team;
}
const item = async (id) => (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;
const metrics = async () => (await admin.get(`/api/v1/metrics?from=0&to=${Date.now() + 60 * MINUTE}`)).json.response_targets;
let phone = 34680000000;

test('team settings: targets and reassignment in minutes; bad values refused, nothing changed', async () => {
  const team = await setTeam({ first_response_minutes: 5, next_response_minutes: 10, reassign_after_minutes: null });
  assert.equal(team.first_response_minutes, 5);
  assert.equal(team.next_response_minutes, 10);
  assert.equal(team.reassign_after_minutes, null);
  const before = dump(s);
  for (const field of ['first_response_minutes', 'next_response_minutes', 'reassign_after_minutes'])
    for (const value of [0, -1, 30 * 24 * 60 + 1, '10', 1.5, true])
      assertError(await admin.patch(`/api/v1/teams/${soporte}`, { [field]: value }), 400, 'invalid_request');
  assertError(await ana.patch(`/api/v1/teams/${soporte}`, { first_response_minutes: 1 }), 403, 'forbidden');
  assert.equal(dump(s), before, 'refused requests change nothing');
  assert.equal((await setTeam({ first_response_minutes: 30 * 24 * 60 })).first_response_minutes, 30 * 24 * 60);
  assert.equal((await setTeam({ first_response_minutes: null })).first_response_minutes, null);
});

test('due times: first and next response, the filter, the marker, the counts, and met', async () => {
  await setTeam({ assignment: 'round_robin', first_response_minutes: 5, next_response_minutes: 10, reassign_after_minutes: null });
  const from = String(++phone);
  const t0 = Date.now();
  const id = await customerWrites(s, 'whatsapp', from, 'necesito ayuda');
  const t1 = Date.now();
  let c = await item(id);
  assert.ok(c.due_at >= t0 + 5 * MINUTE && c.due_at <= t1 + 5 * MINUTE, `due ${c.due_at}`);
  assert.equal(c.due, 'soon');
  const listed = async (q) => (await admin.get(`/api/v1/conversations?${q}`)).json.conversations.map((x) => x.id);
  assert.ok((await listed(`due_before=${c.due_at + 1}`)).includes(id));
  assert.ok(!(await listed(`due_before=${c.due_at}`)).includes(id));
  assertError(await admin.get('/api/v1/conversations?due_before=soon'), 400, 'invalid_request');
  const counts = (await (c.assignee.id === ana.user.id ? ana : bruno).get('/api/v1/conversations/counts')).json;
  assert.ok(counts.due >= 1);

  // The assignee answers in time: met; nothing is due any more.
  const agent = c.assignee.id === ana.user.id ? ana : bruno;
  assert.equal((await agent.post(`/api/v1/conversations/${id}/messages`, { text: 'Dime' })).status, 201);
  c = await item(id);
  assert.equal(c.due_at, null);
  assert.equal(c.due, null);
  const m = await metrics();
  assert.deepEqual(m.teams.find((t) => t.id === soporte), { id: soporte, name: 'Soporte', met: 1, missed: 0 });
  assert.equal(m.agents.find((a) => a.id === agent.user.id).met, 1);

  // The customer writes again: the next-response target.
  const t2 = Date.now();
  await customerWrites(s, 'whatsapp', from, 'otra pregunta');
  c = await item(id);
  assert.ok(c.due_at >= t2 + 10 * MINUTE && c.due_at <= Date.now() + 10 * MINUTE);
  assert.equal(sql(s, `SELECT group_concat(kind) FROM response_targets WHERE conversation_id = ${id}`), 'first,next');
  // Resolved before it falls due: dropped, counted neither way.
  assert.equal((await admin.post(`/api/v1/conversations/${id}/resolve`)).status, 200);
  assert.equal((await item(id)).due_at, null);
  assert.deepEqual((await metrics()).teams.find((t) => t.id === soporte), { id: soporte, name: 'Soporte', met: 1, missed: 0 });
});

test('the list sorted by due time: soonest first, none last, paged by its cursor', async () => {
  await setTeam({ assignment: 'manual', reassign_after_minutes: null });
  const ids = {};
  for (const [name, minutes] of [['late', 30], ['soon', 5], ['middle', 15]]) {
    await setTeam({ first_response_minutes: minutes });
    ids[name] = await customerWrites(s, 'whatsapp', String(++phone), 'necesito ayuda');
  }
  await setTeam({ first_response_minutes: null });
  ids.none = await customerWrites(s, 'whatsapp', String(++phone), 'necesito ayuda');
  const view = `view=team:${soporte}&status=open,routing,pending`;
  const pages = [];
  let cursor = null;
  do {
    const r = await admin.get(`/api/v1/conversations?${view}&sort=due&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(r.status, 200, r.text);
    pages.push(...r.json.conversations);
    cursor = r.json.next_cursor;
  } while (cursor);
  const byActivity = (await admin.get(`/api/v1/conversations?${view}&limit=100`)).json.conversations;
  assert.deepEqual(pages.map((c) => c.id).sort(), byActivity.map((c) => c.id).sort(), 'every one once');
  const key = (c) => c.due_at ?? Infinity;
  for (let i = 1; i < pages.length; i++)
    assert.ok(key(pages[i - 1]) < key(pages[i]) || (key(pages[i - 1]) === key(pages[i]) && pages[i - 1].id < pages[i].id),
      `sorted at ${i}`);
  const order = pages.map((c) => c.id).filter((id) => Object.values(ids).includes(id));
  assert.deepEqual(order, [ids.soon, ids.middle, ids.late, ids.none]);
  assert.equal(byActivity[0].id, ids.none, 'the default order is still the newest activity');
  const searched = (await admin.get(`/api/v1/conversations?${view}&sort=due&q=necesito&limit=100`)).json;
  assert.deepEqual(searched.conversations.map((c) => c.id).filter((id) => order.includes(id)), order, 'a search too');
  const before = dump(s);
  assertError(await admin.get(`/api/v1/conversations?sort=due_at`), 400, 'invalid_request');
  assertError(await admin.get(`/api/v1/conversations?sort=`), 400, 'invalid_request');
  assert.equal(dump(s), before);
});

test('the target counts business time only', async () => {
  await setTeam({ first_response_minutes: 5 });
  // Closed now, open every day from the second whole minute from now until 23:59, in a zone
  // where that is hours before midnight (UTC, or six hours behind it in the evening).
  const at = (Math.floor(Date.now() / MINUTE) + 2) * MINUTE;
  const behind = new Date(at).getUTCHours() >= 12 ? 6 : 0;
  const hhmm = new Date(at - behind * 60 * MINUTE).toISOString().slice(11, 16);
  const week = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']
    .map((d) => [d, [`${hhmm}-23:59`]]));
  const zone = behind ? 'Etc/GMT+6' : 'UTC';
  assert.equal((await admin.put(`/api/v1/teams/${soporte}/business-hours`, { time_zone: zone, week })).status, 200);
  try {
    const id = await customerWrites(s, 'whatsapp', String(++phone), 'necesito ayuda');
    assert.equal((await item(id)).due_at, at + 5 * MINUTE, 'counted from the opening');
  } finally {
    assert.equal((await admin.del(`/api/v1/teams/${soporte}/business-hours`)).status, 200);
  }
});

// One minute of silence, with a restart in the middle: the conversation goes to the other
// member once, the timeline says so, the stream tells, and the target is missed.
test('reassignment after one minute of silence, across a restart', async () => {
  await setTeam({ assignment: 'round_robin', first_response_minutes: 1, next_response_minutes: null, reassign_after_minutes: 1 });
  const id = await customerWrites(s, 'whatsapp', String(++phone), 'necesito ayuda');
  const first = (await item(id)).assignee;
  assert.ok(first, 'assigned by the method');
  const reassignAt = Number(sql(s, `SELECT reassign_at FROM conversations WHERE id = ${id}`));
  assert.ok(reassignAt > Date.now() && reassignAt <= Date.now() + MINUTE);
  // A restart with the timer pending.
  const port = Number(new URL(s.url).port); // the agents' sessions keep talking to it
  await s.stop({ keepDir: true });
  s = await startServer({ dir: s.dir, env: fake.env, port });
  admin = await adminClient(s);
  const stream = await openStream(admin);
  try {
    const other = first.id === ana.user.id ? bruno : ana;
    await until(async () => (await item(id)).assignee?.id === other.user.id, 'the other member to get it', 2 * MINUTE);
    const line = (await admin.get(`/api/v1/conversations/${id}/events`)).json.events.filter((e) => e.kind === 'reassignment');
    assert.equal(line.length, 1);
    assert.equal(line[0].text, `${first.name} did not answer in 1 min: assigned to ${other.user.name}`);
    assert.deepEqual(line[0].line, { code: 'reassigned', why: 'silent', from: first.name, minutes: 1, to: other.user.name },
      'the structure the inbox says in its language');
    await stream.waitFor((st) => st.events.some((e) => e.event === 'conversation.updated' &&
      e.data.conversation_id === id && e.data.action === 'reassignment' && e.data.assignee_id === other.user.id), 'the reassignment event');
    // Past due and unanswered: missed, counted to the team and the assignee.
    const before = (await metrics()).teams.find((t) => t.id === soporte).missed;
    assert.ok(before >= 1);
    assert.equal((await item(id)).due, 'overdue');
    // The other answers (late): missed, theirs; nothing waits, nothing more is reassigned.
    const sent = await other.post(`/api/v1/conversations/${id}/messages`, { text: 'Perdona la espera' });
    assert.equal(sent.status, 201, sent.text);
    const m = await metrics();
    assert.equal(m.teams.find((t) => t.id === soporte).missed, before);
    assert.ok(m.agents.find((a) => a.id === other.user.id).missed >= 1);
    assert.equal(sql(s, `SELECT coalesce(reassign_at, 0) || ',' || coalesce(due_at, 0) FROM conversations WHERE id = ${id}`), '0,0');
  } finally {
    stream.close();
  }
});

test('a member going offline hands their open conversations to another, when the team asks', async () => {
  await setTeam({ assignment: 'round_robin', first_response_minutes: null, reassign_after_minutes: null,
    reassign_when_offline: false });
  for (const who of [ana, bruno]) assert.equal((await who.patch('/api/v1/me', { availability: 'online' })).status, 200);
  const id = await customerWrites(s, 'whatsapp', String(++phone), 'necesito ayuda');
  let holder = (await item(id)).assignee.id === ana.user.id ? ana : bruno;
  let other = holder === ana ? bruno : ana;
  // Off (the default): going offline keeps them.
  assert.equal((await holder.patch('/api/v1/me', { availability: 'offline' })).status, 200);
  assert.equal((await item(id)).assignee.id, holder.user.id);
  assert.equal((await holder.patch('/api/v1/me', { availability: 'online' })).status, 200);

  const before = dump(s);
  for (const value of ['yes', 1, null])
    assertError(await admin.patch(`/api/v1/teams/${soporte}`, { reassign_when_offline: value }), 400, 'invalid_request');
  assert.equal(dump(s), before, 'refused requests change nothing');
  assert.equal((await setTeam({ reassign_when_offline: true })).reassign_when_offline, true);
  const stream = await openStream(admin);
  try {
    assert.equal((await holder.patch('/api/v1/me', { availability: 'away' })).status, 200);
    assert.equal((await item(id)).assignee.id, holder.user.id, 'away is not offline');
    assert.equal((await holder.patch('/api/v1/me', { availability: 'offline' })).status, 200);
    assert.equal((await item(id)).assignee.id, other.user.id);
    const lines = (await admin.get(`/api/v1/conversations/${id}/events`)).json.events.filter((e) => e.kind === 'reassignment');
    assert.deepEqual(lines.at(-1).line, { code: 'reassigned', why: 'offline', from: holder.user.name, to: other.user.name });
    assert.equal(lines.at(-1).text, `${holder.user.name} went offline: assigned to ${other.user.name}`);
    await stream.waitFor((st) => st.events.some((e) => e.event === 'conversation.updated' && e.data.conversation_id === id
      && e.data.action === 'reassignment' && e.data.assignee_id === other.user.id), 'the reassignment event');
    // Nobody else online to take it: back in the queue, never to the one who left.
    [holder, other] = [other, holder];
    assert.equal((await setTeam({ online_only: true })).online_only, true);
    assert.equal((await holder.patch('/api/v1/me', { availability: 'offline' })).status, 200);
    assert.equal((await item(id)).assignee, null);
    assert.equal((await admin.get(`/api/v1/conversations/${id}/events`)).json.events.at(-1).line.code, 'requeued');
  } finally {
    stream.close();
    await setTeam({ reassign_when_offline: false, online_only: false });
    for (const who of [ana, bruno]) await who.patch('/api/v1/me', { availability: 'online' });
  }
});
