// The restricted agent: sees the conversations assigned to them and the contacts of those,
// nothing else, on every route (lists, details, messages, notes, search, counts, contacts, the
// event stream and its resume); admin-only routes stay closed; routing and the team's method
// assign them like anyone; the account may mask customers' phones and e-mails for them in
// every answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { Client, adminClient, agentClient, allConversations, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';
import { openStream } from './lib/sse.js';

let fake, s, admin, ventas, ana, rita;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  await connectAll(admin);
  ventas = (await admin.post('/api/v1/teams', { name: 'Ventas' })).json.team.id;
  ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
  rita = await agentClient(s, admin, 'rita@example.com', 'Rita', { role: 'restricted' });
  for (const who of [ana, rita])
    assert.equal((await admin.post(`/api/v1/teams/${ventas}/members`, { user_id: who.user.id })).status, 201);
});
after(async () => {
  await s.stop();
  await fake.stop();
});

let phone = 34600000000;
// A conversation from a new WhatsApp customer, in Ventas (or the general inbox with
// team: null), assigned to assignee when given.
async function newConversation(text, { name = 'Cliente', team = ventas, assignee } = {}) {
  const id = await customerWrites(s, 'whatsapp', String(++phone), text, { name });
  if (team) assert.equal((await admin.post(`/api/v1/conversations/${id}/transfer`, { team_id: team })).status, 200);
  if (assignee) assert.equal((await admin.post(`/api/v1/conversations/${id}/assign`, { user_id: assignee.user.id })).status, 200);
  const contact = (await admin.get(`/api/v1/conversations/${id}`)).json.conversation.contact.id;
  return { id, contact, phone: `+${phone}` };
}

const ids = (r) => r.json.conversations.map((c) => c.id);

// Every conversation route, each given the conversation's base path.
const conversationRoutes = [
  (c, b) => c.get(b),
  (c, b) => c.get(`${b}/messages`),
  (c, b) => c.get(`${b}/events`),
  (c, b) => c.get(`${b}/notes`),
  (c, b) => c.post(`${b}/read`),
  (c, b) => c.post(`${b}/notes`, { text: 'nota' }),
  (c, b) => c.put(`${b}/tags/matriz`),
  (c, b) => c.del(`${b}/tags/matriz`),
  (c, b) => c.post(`${b}/messages`, { text: 'Hola' }),
  (c, b) => c.post(`${b}/snooze`, { until: Date.now() + 60_000 }),
  (c, b) => c.post(`${b}/reopen`),
  (c, b) => c.post(`${b}/resolve`),
  (c, b) => c.post(`${b}/reopen`),
];
// And those that take it from whoever has it.
const handOffRoutes = [
  (c, b) => c.post(`${b}/assign`, { user_id: c.user.id }),
  (c, b) => c.post(`${b}/unassign`),
  (c, b) => c.post(`${b}/transfer`, { team_id: ventas }),
  (c, b) => c.post(`${b}/routing`),
];

test('the users API and the CLI know the role; a bad role changes nothing', async () => {
  assert.equal(rita.user.role, 'restricted');
  assert.equal((await admin.get(`/api/v1/users/${rita.user.id}`)).json.user.role, 'restricted');
  const before = dump(s);
  const bad = await admin.post('/api/v1/users', { email: 'x@example.com', name: 'X', role: 'restrictive' });
  assertError(bad, 400, 'invalid_request');
  assert.match(bad.json.error.message, /restricted/);
  assertError(await admin.patch(`/api/v1/users/${ana.user.id}`, { role: 'guest' }), 400, 'invalid_request');
  assert.equal(dump(s), before);
  // Promoted and demoted through the API.
  assert.equal((await admin.patch(`/api/v1/users/${ana.user.id}`, { role: 'restricted' })).json.user.role, 'restricted');
  assert.equal((await admin.patch(`/api/v1/users/${ana.user.id}`, { role: 'agent' })).json.user.role, 'agent');

  const out = cli(s.dir, ['user', 'add', 'rosa@example.com', '--name', 'Rosa', '--role', 'restricted']);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stdout, /\(restricted\)/);
  assert.equal(sql(s, "SELECT role FROM users WHERE email = 'rosa@example.com'"), 'restricted');
  const refused = cli(s.dir, ['user', 'add', 'rafa@example.com', '--role', 'boss']);
  assert.notEqual(refused.status, 0);
  assert.equal(sql(s, "SELECT count(*) FROM users WHERE email = 'rafa@example.com'"), '0');
});

test('sees only what is assigned to them, on every conversation route and list', async () => {
  const mine = await newConversation('lo mío', { name: 'Zoe Mía', assignee: rita });
  const queued = await newConversation('en la cola de ventas', { name: 'Zoe Cola' });
  const general = await newConversation('sin equipo', { name: 'Zoe General', team: null });
  const anas = await newConversation('de Ana', { name: 'Zoe Ana', assignee: ana });

  const before = dump(s);
  for (const other of [queued, general, anas]) {
    const base = `/api/v1/conversations/${other.id}`;
    for (const send of [...conversationRoutes, ...handOffRoutes]) assertError(await send(rita, base), 404, 'not_found');
  }
  assert.equal(dump(s), before, 'refused requests change nothing');

  for (const q of ['', '?view=general', '?view=mine', `?view=team:${ventas}`, '?q=Zoe', '?q=cola',
    '?q=sin%20equipo', '?status=open', `?assignee=${ana.user.id}`]) {
    const r = await rita.get(`/api/v1/conversations${q}`);
    assert.equal(r.status, 200, r.text);
    assert.ok(ids(r).every((id) => id === mine.id), `${q} shows only hers: ${ids(r)}`);
  }
  assert.deepEqual((await allConversations(rita)).map((c) => c.id), [mine.id]);
  assert.deepEqual(ids(await rita.get('/api/v1/conversations?q=Zoe')), [mine.id]);
  assert.equal((await rita.get('/api/v1/conversations?q=Zoe')).json.total, 1);
  assertError(await rita.get('/api/v1/conversations?view=all'), 403, 'forbidden');
  // Her navigation has one view: her own conversations.
  const counts = await rita.get('/api/v1/conversations/counts');
  assert.equal(counts.status, 200, counts.text);
  assert.deepEqual(counts.json.views, { mine: 1 });
  assert.equal(counts.json.unread, 1);
  // Ana, an agent of the same team, still sees the queue and the general inbox.
  const anaSees = (await allConversations(ana)).map((c) => c.id);
  for (const c of [mine, queued, general, anas]) assert.ok(anaSees.includes(c.id));

  // Her own conversation answers on every route.
  const base = `/api/v1/conversations/${mine.id}`;
  for (const send of conversationRoutes) {
    const r = await send(rita, base);
    assert.ok(r.status === 200 || r.status === 201, r.text);
  }
  // She may hand it on, and then it is gone from her sight.
  assert.equal((await rita.post(`${base}/assign`, { user_id: ana.user.id })).status, 200);
  assertError(await rita.get(base), 404, 'not_found');
  assert.deepEqual((await allConversations(rita)).map((c) => c.id), []);
});

test('contacts: only those of her conversations; admin-only routes stay closed', async () => {
  const mine = await newConversation('hola', { name: 'Carmen Mía', assignee: rita });
  const other = await newConversation('hola', { name: 'Carmen Otra' });
  const list = await rita.get('/api/v1/contacts?q=Carmen');
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.contacts.map((c) => c.id), [mine.contact]);
  const one = await rita.get(`/api/v1/contacts/${mine.contact}`);
  assert.equal(one.status, 200, one.text);
  assert.deepEqual(one.json.contact.conversations.map((c) => c.id), [mine.id]);

  const before = dump(s);
  const otherBase = `/api/v1/contacts/${other.contact}`;
  assertError(await rita.get(otherBase), 404, 'not_found');
  assertError(await rita.patch(otherBase, { notes: 'x' }), 404, 'not_found');
  assertError(await rita.post(`/api/v1/contacts/${mine.contact}/merge`, { contact_id: other.contact }), 404, 'not_found');
  for (const [method, path, body] of [
    ['get', '/api/v1/contacts/export'], ['get', '/api/v1/metrics'], ['get', '/api/v1/routing'],
    ['get', '/api/v1/channels'], ['get', '/api/v1/outbox/stats'], ['patch', '/api/v1/account', { mask_restricted: false }],
    ['post', '/api/v1/users', { email: 'y@example.com', name: 'Y', role: 'admin' }],
    ['post', '/api/v1/teams', { name: 'Mía' }], ['post', `/api/v1/teams/${ventas}/members`, { user_id: rita.user.id }],
    ['post', '/api/v1/canned-responses', { shortcut: 'x', text: 'x' }],
  ])
    assertError(await rita[method](path, body), 403, 'forbidden');
  assert.equal(dump(s), before, 'refused requests change nothing');

  // A contact.updated reaches her only for a contact she sees.
  const stream = await openStream(rita);
  try {
    assert.equal((await admin.patch(otherBase, { notes: 'secreto' })).status, 200);
    assert.equal((await admin.patch(`/api/v1/contacts/${mine.contact}`, { notes: 'suyo' })).status, 200);
    await stream.waitFor((st) => st.events.some((e) => e.event === 'contact.updated' && e.data.contact_id === mine.contact), 'her contact');
    assert.ok(!stream.events.some((e) => e.data?.contact_id === other.contact));
  } finally {
    stream.close();
  }
});

// The stream from the first event on, and its resume with Last-Event-ID over events that
// happened while she was away: only hers, both times.
test('the event stream and its resume carry only her conversations', async () => {
  const about = (st, id) => st.events.filter((e) => e.data?.conversation_id === id);
  let stream = await openStream(rita);
  let last;
  try {
    const mine = await newConversation('primero', { assignee: rita });
    const other = await newConversation('ajeno');
    await customerWrites(s, 'whatsapp', other.phone.slice(1), 'ajeno otra vez');
    await customerWrites(s, 'whatsapp', mine.phone.slice(1), 'mío otra vez');
    // Her conversation's first message came before it was hers; its second one came after
    // the other's, so the other's were withheld, not late.
    await stream.waitFor((st) => about(st, mine.id).some((e) => e.event === 'message.created'), 'her message');
    assert.deepEqual(about(stream, other.id), []);
    last = stream.events.at(-1).id;
    stream.close();

    // While she is away: one of hers, one not.
    await customerWrites(s, 'whatsapp', other.phone.slice(1), 'ajeno de nuevo');
    await customerWrites(s, 'whatsapp', mine.phone.slice(1), 'mío de nuevo');
    stream = await openStream(rita, { lastEventId: last });
    await stream.waitFor((st) => about(st, mine.id).some((e) => e.event === 'message.created'), 'the missed message');
    assert.ok(stream.events.every((e) => e.id > last));
    assert.deepEqual(about(stream, other.id), []);
    const admins = await openStream(admin, { lastEventId: last });
    try {
      await admins.waitFor((st) => about(st, other.id).length > 0, 'the admin hears of the other');
    } finally {
      admins.close();
    }
  } finally {
    stream.close();
  }
});

test("routing and the team's method assign her like anyone", async () => {
  assert.equal((await admin.patch(`/api/v1/teams/${ventas}`, { assignment: 'round_robin', online_only: true })).status, 200);
  assert.equal((await admin.patch(`/api/v1/users/${ana.user.id}`, { availability: 'offline' })).status, 200);
  assert.equal((await rita.patch('/api/v1/me', { availability: 'online' })).status, 200);
  const put = await admin.put('/api/v1/routing', {
    welcome_message: 'Hola', fallback_message: 'No te entiendo', match_first_message: true,
    options: [{ answers: ['comprar'], team: 'Ventas' }],
  });
  assert.equal(put.status, 200, put.text);
  try {
    const id = await customerWrites(s, 'whatsapp', String(++phone), 'quiero comprar');
    const c = (await rita.get(`/api/v1/conversations/${id}`));
    assert.equal(c.status, 200, c.text);
    assert.equal(c.json.conversation.assignee.id, rita.user.id);
    assert.equal(c.json.conversation.team.id, ventas);
  } finally {
    assert.equal((await admin.put('/api/v1/routing', { ...put.json, enabled: false })).status, 200);
    assert.equal((await admin.patch(`/api/v1/teams/${ventas}`, { assignment: 'manual' })).status, 200);
  }
});

test("the account masks customers' phone and e-mail for restricted agents, in every answer", async () => {
  const account = await admin.get('/api/v1/account');
  assert.equal(account.status, 200, account.text);
  assert.equal(account.json.account.mask_restricted, false);
  const before = dump(s);
  for (const body of [{ mask_restricted: 'yes' }, { mask_restricted: 1 }, { masked: true }, []])
    assertError(await admin.patch('/api/v1/account', body), 400, 'invalid_request');
  assertError(await ana.patch('/api/v1/account', { mask_restricted: true }), 403, 'forbidden');
  assertError(await new Client(s.url).get('/api/v1/account'), 401, 'unauthenticated');
  assert.equal(dump(s), before, 'refused requests change nothing');

  const c = await newConversation('hola', { name: 'Marta Máscara', assignee: rita });
  assert.equal((await admin.patch(`/api/v1/contacts/${c.contact}`, { email: 'marta.mascara@example.com' })).status, 200);
  const digits = c.phone.slice(1);
  const masked = `+${digits.slice(0, 2)} ${digits[2]}•• ••• •${digits.slice(-2)}`;
  // Everything she is answered about the contact, as one text.
  const seen = async (who) => {
    const item = (await who.get(`/api/v1/conversations?q=M%C3%A1scara`)).json.conversations[0];
    const one = (await who.get(`/api/v1/conversations/${c.id}`)).json.conversation;
    const listed = (await who.get('/api/v1/contacts?q=M%C3%A1scara')).json.contacts[0];
    const contact = (await who.get(`/api/v1/contacts/${c.contact}`)).json.contact;
    return { item, one, listed, contact, text: JSON.stringify([item, one, listed, contact]) };
  };
  let r = await seen(rita);
  assert.equal(r.item.contact.phone, c.phone, 'not masked until the account says so');

  const on = await admin.patch('/api/v1/account', { mask_restricted: true });
  assert.equal(on.status, 200, on.text);
  assert.equal(on.json.account.mask_restricted, true);
  r = await seen(rita);
  for (const x of [r.item, r.one]) assert.equal(x.contact.phone, masked);
  for (const x of [r.listed, r.contact]) {
    assert.equal(x.phone, masked);
    assert.equal(x.email, 'm•••@•••.com');
  }
  assert.equal(r.contact.identities[0].external_id, masked.slice(1)); // WhatsApp's has no '+'
  assert.ok(!r.text.includes(digits.slice(3, -2)), 'the number appears nowhere');
  assert.ok(!r.text.includes('mascara@'), 'the e-mail appears nowhere');
  // Admins and agents still see them whole.
  for (const who of [admin, ana]) {
    const whole = await seen(who);
    assert.equal(whole.item.contact.phone, c.phone);
    assert.equal(whole.contact.email, 'marta.mascara@example.com');
    assert.equal(whole.contact.identities[0].external_id, digits);
  }
  assert.equal((await admin.patch('/api/v1/account', { mask_restricted: false })).status, 200);
  assert.equal((await seen(rita)).contact.email, 'marta.mascara@example.com');
});
