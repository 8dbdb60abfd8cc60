// The agent inbox over the API: the conversation list (filters, search, cursor pages while
// conversations keep arriving), the actions and their timeline, bad input refused with
// nothing changed, and who may see and do what (admin, member, non-member, logged out).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { Client, adminClient, agentClient, allConversations, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';
import { openStream } from './lib/sse.js';
import { until } from './lib/until.js';

let fake, s, admin, ch, teams, ana, bruno, carla, dani, rita;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  ch = await connectAll(admin);
  teams = {};
  for (const name of ['Ventas', 'Soporte']) teams[name] = (await admin.post('/api/v1/teams', { name })).json.team.id;
  ana = await agentClient(s, admin, 'ana@example.com', 'Ana');     // Ventas
  bruno = await agentClient(s, admin, 'bruno@example.com', 'Bruno'); // Soporte
  carla = await agentClient(s, admin, 'carla@example.com', 'Carla'); // no team
  dani = await agentClient(s, admin, 'dani@example.com', 'Dani');    // Ventas, deactivated
  rita = await agentClient(s, admin, 'rita@example.com', 'Rita', { role: 'restricted' }); // Ventas
  for (const [who, team] of [[ana, 'Ventas'], [bruno, 'Soporte'], [dani, 'Ventas'], [rita, 'Ventas']]) {
    const r = await admin.post(`/api/v1/teams/${teams[team]}/members`, { user_id: who.user.id });
    assert.equal(r.status, 201, r.text);
  }
  assert.equal((await admin.patch(`/api/v1/users/${dani.user.id}`, { active: false })).status, 200);
});
after(async () => {
  await s.stop();
  await fake.stop();
});

let phone = 34600000000;
// A new conversation from a new customer, optionally moved to a team by the admin.
async function newConversation({ text = 'Hola', name = 'Cliente', team } = {}) {
  const id = await customerWrites(s, 'whatsapp', String(++phone), text, { name });
  if (team) assert.equal((await admin.post(`/api/v1/conversations/${id}/transfer`, { team_id: teams[team] })).status, 200);
  return id;
}

async function list(client, query = '') {
  const r = await client.get(`/api/v1/conversations${query}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

const ids = (page) => page.conversations.map((c) => c.id);

test('each item carries contact, channel, team, assignee, status, preview, unread and window', async () => {
  const long = 'Buenas tardes, '.repeat(20);
  const id = await newConversation({ text: long, name: 'Lucía Pérez', team: 'Ventas' });
  await admin.post(`/api/v1/conversations/${id}/assign`, { user_id: ana.user.id });
  const [item] = (await list(admin, '?q=Luc%C3%ADa')).conversations;
  assert.equal(item.id, id);
  assert.equal(item.contact.name, 'Lucía Pérez');
  assert.equal(item.contact.phone, `+${phone}`);
  assert.equal(item.channel.kind, 'whatsapp');
  assert.deepEqual(item.team, { id: teams.Ventas, name: 'Ventas' });
  assert.deepEqual(item.assignee, { id: ana.user.id, name: 'Ana' });
  assert.equal(item.status, 'open');
  assert.equal(item.window_open, true);
  assert.equal(item.last_message.direction, 'in');
  assert.equal(item.last_message.preview, [...long].slice(0, 120).join(''));
  assert.equal(item.unread_count, 1);

  const read = await ana.post(`/api/v1/conversations/${id}/read`);
  assert.equal(read.status, 200, read.text);
  assert.equal((await list(ana, '?q=Luc%C3%ADa')).conversations[0].unread_count, 0);
  await customerWrites(s, 'whatsapp', String(phone), 'otra cosa', { name: 'Lucía Pérez' });
  await customerWrites(s, 'whatsapp', String(phone), 'y otra', { name: 'Lucía Pérez' });
  const after = (await list(ana, '?q=Luc%C3%ADa')).conversations[0];
  assert.equal(after.unread_count, 2);
  assert.equal(after.last_message.preview, 'y otra');
  // A conversation's newest activity puts it first.
  assert.equal((await list(admin)).conversations[0].id, id);
});

test('filters: view, status, channel, assignee, tag and free text', async () => {
  const general = await newConversation({ text: 'sin equipo' });
  const soporte = await newConversation({ text: 'la impresora no va', name: 'Marta Gil', team: 'Soporte' });
  const ventas = await newConversation({ text: 'precio 100% rebajado_hoy', team: 'Ventas' });
  await admin.post(`/api/v1/conversations/${ventas}/assign`, { user_id: ana.user.id });
  await admin.put(`/api/v1/conversations/${soporte}/tags/urgente`);
  const messenger = await customerWrites(s, 'messenger', 'psid-filters', 'desde messenger');

  assert.ok(ids(await list(admin, '?view=general')).includes(general));
  assert.ok(!ids(await list(admin, '?view=general')).includes(soporte));
  assert.deepEqual(ids(await list(admin, `?view=team:${teams.Soporte}&q=impresora`)), [soporte]);
  assert.ok(ids(await list(ana, '?view=mine')).includes(ventas));
  assert.ok(ids(await list(ana, '?view=mine')).every((id) => id !== general));
  assert.ok(ids(await list(admin, '?view=all')).includes(soporte));
  assert.deepEqual(ids(await list(admin, '?tag=urgente')), [soporte]);
  assert.deepEqual(ids(await list(admin, `?channel=${ch.messenger.id}`)), [messenger]);
  assert.ok(ids(await list(admin, `?assignee=${ana.user.id}`)).includes(ventas));
  assert.ok((await list(admin, `?assignee=${ana.user.id}`)).conversations.every((c) => c.assignee_id === ana.user.id));
  await admin.post(`/api/v1/conversations/${general}/resolve`);
  assert.ok(ids(await list(admin, '?status=resolved')).includes(general));
  assert.ok((await list(admin, '?status=open')).conversations.every((c) => c.status === 'open'));
  // Several statuses at once: the union of each alone.
  const openOrResolved = ids(await list(admin, '?status=open,resolved'));
  assert.deepEqual(openOrResolved.sort(), [...ids(await list(admin, '?status=open')), ...ids(await list(admin, '?status=resolved'))].sort());
  assert.ok(openOrResolved.includes(general));

  // Free text over name, phone and messages; LIKE's wildcards are plain characters.
  assert.deepEqual(ids(await list(admin, '?q=marta')), [soporte]);
  assert.deepEqual(ids(await list(admin, `?q=${encodeURIComponent(`+${phone - 1}`)}`)), [soporte]);
  assert.deepEqual(ids(await list(admin, '?q=100%25')), [ventas]);
  assert.deepEqual(ids(await list(admin, '?q=o_h')), [ventas]);
  const none = await list(admin, '?q=' + encodeURIComponent('%_%'));
  assert.deepEqual(none, { conversations: [], total: 0, total_capped: false, next_cursor: null });
  assert.equal((await list(admin, '?q=impresora')).total, 1);

  for (const q of ['?view=everything', '?view=team:0', '?view=team:x', '?status=closed', '?status=open,,resolved',
    '?status=open,open', '?status=open,', '?status=,open', '?status=' + encodeURIComponent("open' OR 1=1"), '?limit=0',
    '?limit=101', '?channel=abc', '?assignee=-1', `?q=${'a'.repeat(201)}`])
    assertError(await admin.get(`/api/v1/conversations${q}`), 400, 'invalid_request');
  assertError(await ana.get('/api/v1/conversations?view=all'), 403, 'forbidden');
  assertError(await new Client(s.url).get('/api/v1/conversations'), 401, 'unauthenticated');
});

test('cursor pages skip and repeat nothing while new conversations arrive', async () => {
  for (let i = 0; i < 12; i++) await newConversation({ text: `página ${i}` });
  const before = (await list(admin, '?limit=100')).conversations.map((c) => c.id);
  const seen = [];
  let cursor = null;
  let arrived = 0;
  do {
    const page = await list(admin, `?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
    seen.push(...ids(page));
    cursor = page.next_cursor;
    await newConversation({ text: `llega ${arrived++}` });
  } while (cursor);
  assert.equal(new Set(seen).size, seen.length, 'no conversation twice');
  assert.deepEqual(seen, before, 'every conversation that was there, in order');
});

test('a tampered or malformed cursor is refused with 400', async () => {
  const page = await list(admin, '?limit=1');
  const good = page.next_cursor;
  assert.match(good, /^[A-Za-z0-9_-]+$/);
  const b64 = (t) => Buffer.from(t).toString('base64url');
  // 'A' first turns the leading digit into a control character.
  const bad = ['x', `${good}!`, `${good.slice(0, -1)}.`, `A${good.slice(1)}`, b64('1.2\u00003'),
    b64('abc.1'), b64('1.0'), b64('01.5'), b64('1.5.6'), b64('-1.5'), b64('1.99999999999999999999'),
    b64('1.'), b64('.1'), b64('1 .2'), 'A'.repeat(65), ''];
  for (const c of bad) {
    const r = await admin.get(`/api/v1/conversations?cursor=${encodeURIComponent(c)}`);
    assertError(r, 400, 'invalid_request');
  }
  assert.equal((await admin.get(`/api/v1/conversations?cursor=${b64('0.1')}`)).status, 200);
});

test('transfer, assign, unassign, resolve, reopen, snooze, note and tags, in the timeline', async () => {
  const id = await newConversation();
  const base = `/api/v1/conversations/${id}`;
  let r = await ana.post(`${base}/transfer`, { team_id: teams.Ventas });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.conversation.team_id, teams.Ventas);
  r = await ana.post(`${base}/assign`, { user_id: ana.user.id });
  assert.equal(r.json.conversation.assignee_id, ana.user.id);
  // Moving clears the assignee; Ana no longer sees it (not her team, not hers).
  r = await ana.post(`${base}/transfer`, { team_id: teams.Soporte });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.conversation, null);
  assertError(await ana.get(base), 404, 'not_found');
  r = await bruno.post(`${base}/assign`, { user_id: bruno.user.id });
  assert.equal(r.json.conversation.assignee_id, bruno.user.id);
  r = await bruno.post(`${base}/unassign`);
  assert.equal(r.json.conversation.assignee_id, null);
  r = await bruno.post(`${base}/snooze`, { until: Date.now() + 3600_000 });
  assert.equal(r.json.conversation.status, 'snoozed');
  r = await bruno.post(`${base}/reopen`);
  assert.equal(r.json.conversation.status, 'open');
  r = await bruno.post(`${base}/resolve`);
  assert.equal(r.json.conversation.status, 'resolved');
  assertError(await bruno.post(`${base}/resolve`), 409, 'conflict');
  assertError(await bruno.post(`${base}/snooze`, { until: Date.now() + 1000 }), 409, 'conflict');
  r = await bruno.post(`${base}/reopen`);
  assert.equal(r.json.conversation.status, 'open');
  assertError(await bruno.post(`${base}/reopen`), 409, 'conflict');
  // Replying to a resolved conversation reopens it.
  await bruno.post(`${base}/resolve`);
  assert.equal((await bruno.post(`${base}/messages`, { text: 'Seguimos' })).status, 201);
  assert.equal((await bruno.get(base)).json.conversation.status, 'open');

  r = await bruno.post(`${base}/notes`, { text: 'Llamar mañana <b>antes</b> de las 10' });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.note.text, 'Llamar mañana <b>antes</b> de las 10');
  assert.equal(r.json.note.author_id, bruno.user.id);
  // A note is never a message, so nothing can send it.
  assert.equal(sql(s, `SELECT count(*) FROM messages WHERE text LIKE 'Llamar%'`), '0');
  r = await bruno.get(`${base}/notes`);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.notes.map(({ kind, user_id, text }) => ({ kind, user_id, text })),
    [{ kind: 'note', user_id: bruno.user.id, text: 'Llamar mañana <b>antes</b> de las 10' }]);
  assertError(await bruno.get('/api/v1/conversations/999999/notes'), 404, 'not_found');

  r = await bruno.put(`${base}/tags/vip`);
  assert.deepEqual(r.json.tags, ['vip']);
  r = await bruno.put(`${base}/tags/a-b_2`);
  r = await bruno.put(`${base}/tags/vip`);
  assert.deepEqual(r.json.tags, ['a-b_2', 'vip']);
  r = await bruno.del(`${base}/tags/vip`);
  assert.deepEqual(r.json.tags, ['a-b_2']);
  r = await bruno.del(`${base}/tags/vip`);
  assert.equal(r.status, 200);

  r = await bruno.get(`${base}/events`);
  assert.equal(r.status, 200, r.text);
  const events = r.json.events.filter((e) => e.kind !== 'routing');
  assert.deepEqual(events.map((e) => e.text), [
    'Ana moved it from the general inbox to Ventas',
    'Ana assigned it to Ana',
    'Ana moved it from Ventas to Soporte',
    'Bruno assigned it to Bruno',
    'Bruno unassigned it',
    events[5].text,
    'Bruno reopened it',
    'Bruno resolved it',
    'Bruno reopened it',
    'Bruno resolved it',
    // His reply took the unassigned conversation of his team.
    'Bruno assigned it to Bruno',
    'Bruno added a note',
    "Bruno tagged it 'vip'",
    "Bruno tagged it 'a-b_2'",
    "Bruno removed the tag 'vip'",
  ]);
  assert.match(events[5].text, /^Bruno snoozed it until \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  assert.deepEqual(events.map((e) => e.kind), ['transfer', 'assignment', 'transfer', 'assignment',
    'assignment', 'status', 'status', 'status', 'status', 'status', 'assignment', 'note', 'tag', 'tag', 'tag']);
  assert.equal(events[0].user_id, ana.user.id);
  // Each line's structure, for the inbox to say it in its reader's language.
  assert.deepEqual(events.map((e) => e.line.code), ['transferred', 'assigned', 'transferred', 'assigned',
    'unassigned', 'snoozed', 'reopened', 'resolved', 'reopened', 'resolved', 'assigned', 'noted', 'tagged', 'tagged',
    'untagged']);
  assert.deepEqual(events[0].line, { code: 'transferred', actor: 'Ana', from: null, to: 'Ventas' });
  assert.deepEqual(events[2].line, { code: 'transferred', actor: 'Ana', from: 'Ventas', to: 'Soporte' });
  assert.deepEqual(events[13].line, { code: 'tagged', actor: 'Bruno', tag: 'a-b_2' });
  const until = events[5].text.match(/until (\S+) (\S+) UTC/);
  assert.ok(Math.abs(events[5].line.until - Date.parse(`${until[1]}T${until[2]}Z`)) < 60_000);
});

test('an action during routing ends it: a human always wins', async () => {
  const cfg = {
    enabled: true, welcome_message: 'Hola: 1 Ventas', fallback_message: 'Responde 1.',
    options: [{ answers: ['1'], team: 'Ventas' }],
  };
  assert.equal((await admin.put('/api/v1/routing', cfg)).status, 200);
  const id = await newConversation();
  assert.equal((await admin.get(`/api/v1/conversations/${id}`)).json.conversation.status, 'routing');
  const r = await ana.post(`/api/v1/conversations/${id}/assign`, { user_id: ana.user.id });
  assert.equal(r.json.conversation.status, 'open');
  const kinds = (await ana.get(`/api/v1/conversations/${id}/events`)).json.events.map((e) => e.kind);
  assert.deepEqual(kinds.slice(-2), ['routing', 'assignment']);
  assert.equal((await admin.put('/api/v1/routing', { ...cfg, enabled: false })).status, 200);
});

test('bad input is refused with a clear error and changes nothing', async () => {
  const id = await newConversation({ team: 'Ventas' });
  const base = `/api/v1/conversations/${id}`;
  const before = dump(s);
  const cases = [
    [() => admin.post(`${base}/transfer`, { team_id: 999999 }), 422, 'unprocessable', /no team 999999/],
    [() => admin.post(`${base}/transfer`, {}), 400, 'invalid_request'],
    [() => admin.post(`${base}/transfer`, { team_id: 'Ventas' }), 400, 'invalid_request'],
    [() => admin.post(`${base}/assign`, { user_id: dani.user.id }), 422, 'unprocessable', /Dani is deactivated/],
    [() => admin.post(`${base}/assign`, { user_id: bruno.user.id }), 422, 'unprocessable', /Bruno is not a member of Ventas/],
    [() => admin.post(`${base}/assign`, { user_id: 999999 }), 422, 'unprocessable', /no user/],
    [() => admin.post(`${base}/assign`, { user_id: 0 }), 400, 'invalid_request'],
    [() => admin.post(`${base}/snooze`, { until: Date.now() - 1000 }), 422, 'unprocessable', /future/],
    [() => admin.post(`${base}/reopen`), 409, 'conflict'],
    [() => admin.post(`${base}/notes`, { text: 'x'.repeat(65537) }), 400, 'invalid_request'],
    [() => admin.post(`${base}/notes`, { text: ' \n ' }), 400, 'invalid_request'],
    [() => admin.post(`${base}/notes`, { text: 'hola', extra: 1 }), 400, 'invalid_request'],
    [() => admin.post(`${base}/notes`, '{"text": '), 400, 'invalid_json'],
    [() => admin.put(`${base}/tags/VIP`), 400, 'invalid_request'],
    [() => admin.put(`${base}/tags/${'a'.repeat(65)}`), 400, 'invalid_request'],
    [() => admin.put(`${base}/tags/a%20b`), 400, 'invalid_request'],
    [() => admin.post('/api/v1/conversations/999999/resolve'), 404, 'not_found'],
    [() => admin.post('/api/v1/conversations/999999/notes', { text: 'x' }), 404, 'not_found'],
    [() => admin.put('/api/v1/conversations/999999/tags/vip'), 404, 'not_found'],
    [() => admin.get('/api/v1/conversations/999999/events'), 404, 'not_found'],
    [() => admin.post(`${base}/resolve`, undefined, { csrf: false }), 403, 'csrf_token_invalid'],
  ];
  for (const [send, status, code, message] of cases) {
    const r = await send();
    assertError(r, status, code);
    if (message) assert.match(r.json.error.message, message);
  }
  assert.equal(dump(s), before, 'refused requests change nothing');
  // A note of exactly 64 KiB is fine.
  assert.equal((await admin.post(`${base}/notes`, { text: 'x'.repeat(65536) })).status, 201);
  assert.equal(sql(s, `SELECT length(text) FROM conversation_notes ORDER BY id DESC LIMIT 1`), '65536');
});

// Every new endpoint as an admin, a member of the conversation's team, a non-member, a
// restricted member it is not assigned to and a logged-out caller: those who may not see it
// get 404 (never 403) and never see it listed (restricted.test.js has the rest of that role).
test('the permission matrix', async () => {
  const id = await newConversation({ text: 'secreto de ventas', name: 'Zoe Secreta', team: 'Ventas' });
  const base = `/api/v1/conversations/${id}`;
  const requests = [
    (c) => c.get(base),
    (c) => c.get(`${base}/messages`),
    (c) => c.get(`${base}/events`),
    (c) => c.get(`${base}/notes`),
    (c) => c.post(`${base}/read`),
    (c) => c.post(`${base}/notes`, { text: 'nota' }),
    (c) => c.put(`${base}/tags/matriz`),
    (c) => c.del(`${base}/tags/matriz`),
    (c) => c.post(`${base}/snooze`, { until: Date.now() + 60_000 }),
    (c) => c.post(`${base}/reopen`),
    (c) => c.post(`${base}/resolve`),
    (c) => c.post(`${base}/reopen`),
    (c) => c.post(`${base}/assign`, { user_id: ana.user.id }),
    (c) => c.post(`${base}/unassign`),
    (c) => c.post(`${base}/transfer`, { team_id: teams.Ventas }),
  ];
  const before = dump(s);
  for (const send of requests) {
    assertError(await send(bruno), 404, 'not_found');
    assertError(await send(carla), 404, 'not_found');
    assertError(await send(rita), 404, 'not_found');
    assertError(await send(new Client(s.url)), 401, 'unauthenticated');
  }
  assert.equal(dump(s), before, 'refused requests change nothing');
  for (const who of [bruno, carla, rita]) {
    for (const q of ['', '?q=Zoe', '?q=secreto', `?view=team:${teams.Ventas}`, '?status=open', `?channel=${ch.whatsapp.id}`]) {
      const page = await list(who, q);
      assert.ok(!ids(page).includes(id), `${q} leaks it`);
      if (q.startsWith('?q=')) assert.equal(page.total, 0);
    }
  }
  for (const who of [admin, ana]) {
    for (const send of requests) {
      const r = await send(who);
      assert.ok(r.status === 200 || r.status === 201, r.text);
    }
    assert.deepEqual(ids(await list(who, '?q=Zoe')), [id]);
    assert.equal((await list(who, '?q=secreto')).total, 1);
  }
  // Assigned to Carla (no team), it is hers to see, and only that one.
  await admin.post(`${base}/transfer`, { team_id: teams.Soporte });
  const r = await admin.post('/api/v1/teams/' + teams.Soporte + '/members', { user_id: carla.user.id });
  assert.equal(r.status, 201, r.text);
  await admin.post(`${base}/assign`, { user_id: carla.user.id });
  await admin.del(`/api/v1/teams/${teams.Soporte}/members/${carla.user.id}`);
  assert.deepEqual(ids(await list(carla, '?view=mine')), [id]);
  assert.equal((await carla.post(`${base}/read`)).status, 200);
  assert.equal((await carla.get(base)).json.conversation.id, id);
});

// The stream from a conversation's first event on: routed to Ventas by its first message,
// nothing of it reaches Bruno (Soporte) or Carla (no team); a conversation waiting in routing
// is in the general inbox, so everyone hears of it.
test('the permission matrix: the stream from the first event on', async () => {
  const cfg = {
    match_first_message: true, welcome_message: '¿Ventas o soporte?',
    fallback_message: '¿Ventas o soporte?', options: [{ answers: ['ventas'], team: 'Ventas' }],
  };
  const put = (enabled) => admin.put('/api/v1/routing', { ...cfg, enabled });
  const routed = await put(true);
  assert.equal(routed.status, 200, routed.text);
  const streams = await Promise.all([admin, ana, bruno, carla].map((c) => openStream(c)));
  const [toAdmin, toAna, toBruno, toCarla] = streams;
  try {
    const secret = await newConversation({ text: 'Quiero hablar con ventas', name: 'Primera Secreta' });
    const general = await newConversation({ text: 'Hola', name: 'Primera General' });
    assert.equal(sql(s, `SELECT team_id FROM conversations WHERE id = ${secret}`), String(teams.Ventas));
    assert.equal(sql(s, `SELECT status || coalesce(CAST(team_id AS TEXT), '') FROM conversations WHERE id = ${general}`), 'routing');
    const about = (conv) => (st) => st.events.some((e) => e.data?.conversation_id === conv);
    const firsts = (conv) => (st) => ['message.created', 'conversation.updated']
      .every((kind) => st.events.some((e) => e.event === kind && e.data.conversation_id === conv));
    for (const st of [toAdmin, toAna]) await st.waitFor(firsts(secret), "the routed conversation's first events");
    for (const st of streams) await st.waitFor(about(general), 'the general-inbox conversation');
    // Events arrive in id order: the later general one proves the routed one was withheld.
    for (const st of [toBruno, toCarla]) assert.deepEqual(st.events.filter((e) => e.data?.conversation_id === secret), []);
  } finally {
    for (const st of streams) st.close();
    assert.equal((await put(false)).status, 200);
  }
});

// The account's endpoints outside conversations: canned responses (everyone reads, admins
// change) and metrics (admins): agents in a team or not get 403, logged-out callers 401.
test('the permission matrix: canned responses and metrics', async () => {
  const made = await admin.post('/api/v1/canned-responses', { shortcut: 'matriz', text: 'Hola {contact_name}' });
  assert.equal(made.status, 201, made.text);
  const one = `/api/v1/canned-responses/${made.json.canned_response.id}`;
  const adminOnly = [
    (c) => c.post('/api/v1/canned-responses', { shortcut: 'otra', text: 'x' }),
    (c) => c.patch(one, { text: 'Adiós' }),
    (c) => c.get('/api/v1/metrics'),
    (c) => c.del(one),
  ];
  const before = dump(s);
  for (const send of adminOnly) {
    assertError(await send(ana), 403, 'forbidden');
    assertError(await send(carla), 403, 'forbidden');
    assertError(await send(rita), 403, 'forbidden');
    assertError(await send(new Client(s.url)), 401, 'unauthenticated');
  }
  assertError(await new Client(s.url).get('/api/v1/canned-responses'), 401, 'unauthenticated');
  assert.equal(dump(s), before, 'refused requests change nothing');
  for (const who of [admin, ana, carla, rita]) {
    const r = await who.get('/api/v1/canned-responses?q=matriz');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.canned_responses.map((c) => c.shortcut), ['matriz']);
  }
  for (const send of adminOnly) {
    const r = await send(admin);
    assert.ok(r.status === 200 || r.status === 201, r.text);
  }
});

test('counts: open conversations in each view the person has, and the unread ones, in one answer', async () => {
  const sales = await newConversation({ text: 'sin leer', team: 'Ventas' });
  await newConversation({ text: 'sin leer tampoco', team: 'Soporte' });
  const read = await newConversation({ text: 'leída', team: 'Ventas' });
  assert.equal((await ana.post(`/api/v1/conversations/${read}/read`)).status, 200);
  assert.equal((await admin.post(`/api/v1/conversations/${sales}/assign`, { user_id: ana.user.id })).status, 200);
  const cases = [
    [admin, ['general', 'mine', `team:${teams.Ventas}`, `team:${teams.Soporte}`, 'all']],
    [ana, ['general', 'mine', `team:${teams.Ventas}`]],
    [carla, ['general', 'mine']],
  ];
  for (const [client, keys] of cases) {
    const r = await client.get('/api/v1/conversations/counts');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json.views).sort(), [...keys].sort());
    for (const key of keys)
      assert.equal(r.json.views[key], (await list(client, `?view=${key}&status=open&limit=1`)).total, key);
    const unread = (await allConversations(client)).filter((c) => c.unread_count > 0 && c.status !== 'resolved');
    assert.equal(r.json.unread, unread.length);
    assert.deepEqual(r.json.capped, []);
  }
  assert.ok((await ana.get('/api/v1/conversations/counts')).json.views.mine >= 1);
  assertError(await new Client(s.url).get('/api/v1/conversations/counts'), 401, 'unauthenticated');
  assertError(await admin.request('POST', '/api/v1/conversations/counts'), 405, 'method_not_allowed');
});

test('the detail is the list item with its tags and rating; messages carry what a thread needs', async () => {
  const id = await newConversation({ text: 'Tengo una duda', name: 'Iker Detalle', team: 'Ventas' });
  await admin.post(`/api/v1/conversations/${id}/assign`, { user_id: ana.user.id });
  assert.equal((await ana.put(`/api/v1/conversations/${id}/tags/vip`)).status, 200);
  assert.equal((await ana.put(`/api/v1/conversations/${id}/tags/alta`)).status, 200);
  const [item] = (await list(ana, '?q=Iker%20Detalle')).conversations;
  const r = await ana.get(`/api/v1/conversations/${id}`);
  assert.equal(r.status, 200, r.text);
  const { tags, csat, ...rest } = r.json.conversation;
  assert.deepEqual(tags, ['alta', 'vip']);
  assert.equal(csat, null);
  assert.deepEqual(rest, item);
  assert.deepEqual(rest.team, { id: teams.Ventas, name: 'Ventas' });
  assert.deepEqual(rest.assignee, { id: ana.user.id, name: 'Ana' });
  assert.equal(rest.unread_count, 1);
  assert.equal(rest.last_message.preview, 'Tengo una duda');

  const reply = await ana.post(`/api/v1/conversations/${id}/messages`, { text: 'Dime' });
  assert.equal(reply.status, 201, reply.text);
  // A refused send: the provider's code and sentence.
  await customerWrites(s, 'whatsapp', String(phone), 'Otra cosa');
  const [lastIn] = sql(s, `SELECT id FROM messages WHERE conversation_id = ${id} AND direction = 'in' ORDER BY id DESC LIMIT 1`).split('\n');
  sql(s, `UPDATE messages SET details = '{"media_mime":"image/jpeg","media_ref":"1003383421387256","payload":"p1"}', type = 'image' WHERE id = ${lastIn}`);
  const page = await ana.get(`/api/v1/conversations/${id}/messages?limit=2`);
  assert.equal(page.status, 200, page.text);
  const [image, mine] = page.json.messages;
  assert.equal(page.json.next_before, mine.id);
  assert.deepEqual(image.media, { ref: '1003383421387256', mime_type: 'image/jpeg' });
  assert.deepEqual(image.details, { payload: 'p1' });
  assert.equal(image.user, null);
  assert.equal(image.error, null);
  assert.equal(image.sender, 'contact');
  assert.equal(image.direction, 'in');
  assert.equal(mine.id, reply.json.message_ids[0]);
  assert.equal(mine.sender, 'agent');
  assert.equal(mine.direction, 'out');
  assert.deepEqual(mine.user, { id: ana.user.id, name: 'Ana' });
  assert.equal(mine.text, 'Dime');
  assert.equal(mine.media, null);
  for (const key of ['id', 'direction', 'sender', 'user', 'type', 'text', 'media', 'status', 'error', 'created_at']) {
    assert.ok(key in mine, key);
  }
  // Older pages go backwards from next_before, newest first.
  const older = (await ana.get(`/api/v1/conversations/${id}/messages?before=${mine.id}`)).json;
  assert.deepEqual(older.messages.map((m) => m.text), ['Tengo una duda']);
  assert.equal(older.next_before, null);
  // A failed send carries the provider's code and sentence.
  await until(() => sql(s, `SELECT count(*) FROM outbox WHERE message_id = ${mine.id}`) === '0', 'the reply to be sent');
  sql(s, `UPDATE messages SET status = 'failed', error_code = 131047, error_title = 'Re-engagement message' WHERE id = ${mine.id}`);
  const failed = (await ana.get(`/api/v1/conversations/${id}/messages?before=${image.id}&limit=1`)).json.messages[0];
  assert.equal(failed.status, 'failed');
  assert.deepEqual(failed.error, { code: 131047, message: 'Re-engagement message' });
  assertError(await ana.get(`/api/v1/conversations/${id}/messages?limit=0`), 400, 'invalid_request');
  assertError(await ana.get(`/api/v1/conversations/${id}/messages?before=x`), 400, 'invalid_request');
  assertError(await ana.get('/api/v1/conversations/999999'), 404, 'not_found');
});
