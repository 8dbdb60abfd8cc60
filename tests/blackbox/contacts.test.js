// Contacts over the API: attribute keys, the list (search, tags, cursor pages), one contact
// with its conversations, edits (tags, attributes, the contact.updated event), merges (nothing
// lost, recorded), the CSV export, bad input refused with nothing changed, and the permission
// matrix (admin, member, non-member, logged out).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';
import { openStream } from './lib/sse.js';

let fake, s, admin, ch, teams, ana, bruno, carla;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  ch = await connectAll(admin);
  teams = {};
  for (const name of ['Ventas', 'Soporte']) teams[name] = (await admin.post('/api/v1/teams', { name })).json.team.id;
  ana = await agentClient(s, admin, 'ana@example.com', 'Ana'); // Ventas
  bruno = await agentClient(s, admin, 'bruno@example.com', 'Bruno'); // Soporte
  carla = await agentClient(s, admin, 'carla@example.com', 'Carla'); // no team
  for (const [who, team] of [[ana, 'Ventas'], [bruno, 'Soporte']]) {
    const r = await admin.post(`/api/v1/teams/${teams[team]}/members`, { user_id: who.user.id });
    assert.equal(r.status, 201, r.text);
  }
  for (const [key, label] of [['plan', 'Plan'], ['city', 'Ciudad']]) {
    const r = await admin.post('/api/v1/contact-attributes', { key, label });
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => {
  await s.stop();
  await fake.stop();
});

let phone = 34611000000;
// A customer writes for the first time (a new contact); their conversation goes to team
// when given. Returns { conversation, contact }.
async function newContact({ kind = 'whatsapp', from, name = 'Cliente', text = 'Hola', team } = {}) {
  const conversation = await customerWrites(s, kind, from ?? String(++phone), text, { name });
  if (team) assert.equal((await admin.post(`/api/v1/conversations/${conversation}/transfer`, { team_id: teams[team] })).status, 200);
  const contact = Number(sql(s, `SELECT contact_id FROM conversations WHERE id = ${conversation}`));
  return { conversation, contact };
}

async function list(client, query = '') {
  const r = await client.get(`/api/v1/contacts${query}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function patch(client, id, body) {
  const r = await client.patch(`/api/v1/contacts/${id}`, body);
  assert.equal(r.status, 200, r.text);
  return r.json.contact;
}

const ids = (page) => page.contacts.map((c) => c.id);

test('attribute keys: declared by admins, listed for everyone, refused when malformed', async () => {
  const listed = (await ana.get('/api/v1/contact-attributes')).json.attributes;
  assert.deepEqual(listed.map((a) => [a.key, a.label]), [['plan', 'Plan'], ['city', 'Ciudad']]);
  assert.equal(typeof listed[0].created_at, 'number');

  const made = await admin.post('/api/v1/contact-attributes', { key: 'vat_id', label: '  NIF  ' });
  assert.equal(made.status, 201, made.text);
  assert.equal(made.json.attribute.key, 'vat_id');
  assert.equal(made.json.attribute.label, 'NIF');

  const before = dump(s);
  for (const [body, status, code] of [
    [{ key: 'vat_id', label: 'Otra' }, 409, 'conflict'],
    [{ key: 'Plan', label: 'x' }, 400, 'invalid_request'],
    [{ key: 'a-b', label: 'x' }, 400, 'invalid_request'],
    [{ key: '', label: 'x' }, 400, 'invalid_request'],
    [{ key: 'k'.repeat(65), label: 'x' }, 400, 'invalid_request'],
    [{ key: 'ok', label: '' }, 400, 'invalid_request'],
    [{ key: 'ok', label: 'l'.repeat(201) }, 400, 'invalid_request'],
    [{ key: 'ok' }, 400, 'invalid_request'],
    [{ key: 'ok', label: 'x', extra: 1 }, 400, 'invalid_request'],
  ]) assertError(await admin.post('/api/v1/contact-attributes', body), status, code);
  assertError(await admin.del('/api/v1/contact-attributes/nope'), 404, 'not_found');
  assertError(await ana.post('/api/v1/contact-attributes', { key: 'ok', label: 'x' }), 403, 'forbidden');
  assertError(await ana.del('/api/v1/contact-attributes/vat_id'), 403, 'forbidden');
  assert.equal(dump(s), before, 'refused requests change nothing');

  // Deleting a key deletes its values.
  const { contact } = await newContact();
  await patch(admin, contact, { attributes: { vat_id: 'B12345678', plan: 'gold' } });
  const gone = await admin.del('/api/v1/contact-attributes/vat_id');
  assert.equal(gone.status, 200, gone.text);
  assert.deepEqual(gone.json, { ok: true });
  assert.deepEqual((await admin.get(`/api/v1/contacts/${contact}`)).json.contact.attributes, { plan: 'gold' });
  assert.equal(sql(s, `SELECT count(*) FROM contact_attributes WHERE key = 'vat_id'`), '0');
  assert.ok(!(await admin.get('/api/v1/contact-attributes')).json.attributes.some((a) => a.key === 'vat_id'));
});

test('a contact has its identities, tags, attributes and conversations', async () => {
  const { conversation, contact } = await newContact({ name: 'Lucía Pérez', team: 'Ventas' });
  await admin.post(`/api/v1/conversations/${conversation}/assign`, { user_id: ana.user.id });
  const r = await admin.get(`/api/v1/contacts/${contact}`);
  assert.equal(r.status, 200, r.text);
  const c = r.json.contact;
  assert.equal(c.id, contact);
  assert.equal(c.name, 'Lucía Pérez');
  assert.equal(c.phone, `+${phone}`);
  assert.equal(c.email, null);
  assert.equal(c.notes, null);
  assert.deepEqual(c.tags, []);
  assert.deepEqual(c.attributes, {});
  assert.equal(c.identities.length, 1);
  assert.deepEqual(c.identities[0].channel, { id: ch.whatsapp.id, kind: 'whatsapp', name: ch.whatsapp.name });
  assert.equal(c.identities[0].external_id, String(phone));
  assert.equal(c.identities[0].name, 'Lucía Pérez');
  assert.equal(typeof c.created_at, 'number');
  assert.deepEqual(c.conversations, [{
    id: conversation, channel: { id: ch.whatsapp.id, kind: 'whatsapp' }, status: 'open',
    team: { id: teams.Ventas, name: 'Ventas' }, assignee: { id: ana.user.id, name: 'Ana' },
    last_activity_at: c.conversations[0].last_activity_at, created_at: c.conversations[0].created_at,
  }]);
  assertError(await admin.get('/api/v1/contacts/999999'), 404, 'not_found');
});

test('edits: fields, tags replace the set, attributes merge and null removes, an event tells', async () => {
  const { contact } = await newContact({ name: 'Pablo', team: 'Ventas' });
  const streams = await Promise.all([openStream(admin), openStream(ana), openStream(carla)]);
  const c = await patch(ana, contact, {
    name: '  Pablo Ruiz ', phone: '+34 600-123-456', email: 'Pablo@Example.COM', notes: 'Cliente desde 2020',
    tags: ['vip', 'mayorista', 'vip'], attributes: { plan: 'gold', city: 'Sevilla' },
  });
  assert.equal(c.name, 'Pablo Ruiz');
  assert.equal(c.phone, '+34 600-123-456');
  assert.equal(c.email, 'pablo@example.com');
  assert.equal(c.notes, 'Cliente desde 2020');
  assert.deepEqual(c.tags, ['mayorista', 'vip']);
  assert.deepEqual(c.attributes, { city: 'Sevilla', plan: 'gold' });
  assert.ok(c.updated_at >= c.created_at);

  const d = await patch(admin, contact, { tags: ['nuevo'], attributes: { plan: 'silver', city: null }, notes: null, phone: null });
  assert.deepEqual(d.tags, ['nuevo']);
  assert.deepEqual(d.attributes, { plan: 'silver' });
  assert.equal(d.notes, null);
  assert.equal(d.phone, null);
  assert.equal(d.email, 'pablo@example.com');
  assert.equal(d.name, 'Pablo Ruiz');
  assert.deepEqual((await patch(admin, contact, { tags: [] })).tags, []);
  // Exactly the limits.
  const big = await patch(admin, contact, { notes: 'n'.repeat(65536), attributes: { plan: 'p'.repeat(1024) }, name: 'n'.repeat(200) });
  assert.equal(big.notes.length, 65536);

  const [adm, a, carl] = streams;
  const about = (st) => st.events.filter((e) => e.event === 'contact.updated' && e.data.contact_id === contact);
  await adm.waitFor((st) => about(st).length === 4, 'four contact.updated for the admin');
  await a.waitFor((st) => about(st).length === 4, 'four contact.updated for the member');
  // Carla sees none of its conversations: she hears nothing about it.
  const { conversation: later } = await newContact({ name: 'Marcador' });
  await carl.waitFor((st) => st.events.some((e) => e.data.conversation_id === later), 'a later event');
  assert.equal(about(carl).length, 0);
  assert.deepEqual(about(adm)[0].data, { contact_id: contact });
  for (const st of streams) st.close();
});

test('list: newest-updated first, search over name, phone and e-mail, tags, cursor pages', async () => {
  const marta = (await newContact({ name: 'Marta Gil' })).contact;
  const pct = (await newContact({ name: 'Descuento 100%_hoy' })).contact;
  const mail = (await newContact({ name: 'Sin nombre' })).contact;
  await patch(admin, mail, { email: 'quique@tienda.example', tags: ['buscado'] });
  const first = await list(admin);
  assert.equal(first.contacts[0].id, mail, 'the newest update comes first');
  assert.ok(first.contacts.every((c, i, all) => i === 0 || all[i - 1].updated_at >= c.updated_at));

  assert.deepEqual(ids(await list(admin, '?q=MARTA')), [marta]);
  assert.deepEqual(ids(await list(admin, '?q=' + encodeURIComponent(`+${phone - 2}`))), [marta]);
  assert.deepEqual(ids(await list(admin, '?q=QUIQUE@TIENDA')), [mail]);
  assert.deepEqual(ids(await list(admin, '?q=100%25')), [pct]);
  assert.deepEqual(ids(await list(admin, '?q=%25_h')), [pct]);
  assert.deepEqual(await list(admin, '?q=' + encodeURIComponent('%_%')), { contacts: [], total: 0, next_cursor: null });
  assert.deepEqual(ids(await list(admin, '?tag=buscado')), [mail]);
  assert.equal((await list(admin, '?tag=buscado')).total, 1);

  const all = await list(admin, '?limit=100');
  assert.equal(all.total, all.contacts.length);
  const seen = [];
  let cursor = null;
  do {
    const page = await list(admin, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    assert.equal(page.total, all.total);
    seen.push(...ids(page));
    cursor = page.next_cursor;
  } while (cursor);
  assert.deepEqual(seen, ids(all));

  const good = (await list(admin, '?limit=1')).next_cursor;
  const tampered = Buffer.from(Buffer.from(good, 'base64url').toString().replace('.', '.0')).toString('base64url');
  for (const q of ['?limit=0', '?limit=101', '?limit=x', `?q=${'a'.repeat(201)}`, '?cursor=abc', `?cursor=${tampered}`,
    `?cursor=${Buffer.from('1.0').toString('base64url')}`])
    assertError(await admin.get(`/api/v1/contacts${q}`), 400, 'invalid_request');
});

test('merge: identities and conversations move, nothing is lost, the merge is recorded', async () => {
  const wa = await newContact({ name: 'Elena WhatsApp', text: 'hola por whatsapp', team: 'Ventas' });
  await admin.post(`/api/v1/conversations/${wa.conversation}/resolve`);
  await customerWrites(s, 'whatsapp', String(phone), 'vuelvo a escribir', { name: 'Elena WhatsApp' });
  const ig = await newContact({ kind: 'instagram', from: 'igsid-elena', text: 'hola por instagram', team: 'Soporte' });
  const igName = (await admin.get(`/api/v1/contacts/${ig.contact}`)).json.contact.name;
  await patch(admin, wa.contact, { tags: ['vip'], attributes: { plan: 'gold' }, notes: 'Nota de WhatsApp' });
  await patch(admin, ig.contact, { tags: ['instagram', 'vip'], attributes: { plan: 'free', city: 'Cádiz' },
    notes: 'Nota de Instagram', email: 'elena@example.com' });
  const messages = (contact) => Number(sql(s, `SELECT count(*) FROM messages m JOIN conversations v ON v.id = m.conversation_id WHERE v.contact_id = ${contact}`));
  const before = messages(wa.contact) + messages(ig.contact);
  assert.ok(before >= 3);

  const r = await admin.post(`/api/v1/contacts/${wa.contact}/merge`, { contact_id: ig.contact });
  assert.equal(r.status, 200, r.text);
  const c = r.json.contact;
  assert.equal(c.id, wa.contact);
  assert.equal(c.name, 'Elena WhatsApp');
  assert.equal(c.phone, `+${phone}`);
  assert.equal(c.email, 'elena@example.com');
  assert.equal(c.notes, 'Nota de WhatsApp\n\nNota de Instagram');
  assert.deepEqual(c.tags, ['instagram', 'vip']);
  assert.deepEqual(c.attributes, { city: 'Cádiz', plan: 'gold' });
  assert.deepEqual(c.identities.map((i) => i.channel.kind).sort(), ['instagram', 'whatsapp']);
  assert.equal(messages(wa.contact), before, 'every message is still there');
  assertError(await admin.get(`/api/v1/contacts/${ig.contact}`), 404, 'not_found');

  const full = (await admin.get(`/api/v1/contacts/${wa.contact}`)).json.contact;
  assert.deepEqual(full.conversations.map((v) => v.id).sort(), [wa.conversation, ig.conversation].sort());
  // Both unresolved conversations stay open: identities are distinct.
  assert.ok(full.conversations.every((v) => v.status === 'open'));
  assert.equal(sql(s, `SELECT contact_id || ' ' || merged_contact_id || ' ' || merged_name || ' ' || user_id FROM contact_merges`),
    `${wa.contact} ${ig.contact} ${igName} ${sql(s, "SELECT id FROM users WHERE email = 'admin@example.com'")}`);
  const timeline = (await admin.get(`/api/v1/conversations/${ig.conversation}/events`)).json.events;
  assert.equal(timeline.at(-1).kind, 'contact');
  assert.ok(timeline.at(-1).text.endsWith(`merged the contact '${igName}' (#${ig.contact}) into this conversation's contact`),
    timeline.at(-1).text);
  assert.equal((await admin.get(`/api/v1/conversations/${ig.conversation}`)).json.conversation.contact.name, 'Elena WhatsApp');
  // The customer writes again on Instagram: the same conversation, now the survivor's.
  assert.equal(await customerWrites(s, 'instagram', 'igsid-elena', 'sigo aquí'), ig.conversation);
  assert.equal(sql(s, `SELECT contact_id FROM conversations WHERE id = ${ig.conversation}`), String(wa.contact));

  // Merging the survivor into a third contact takes the earlier record along.
  const third = await newContact({ name: 'Tercera' });
  assert.equal((await admin.post(`/api/v1/contacts/${third.contact}/merge`, { contact_id: wa.contact })).status, 200);
  assert.equal(sql(s, `SELECT count(*) FROM contact_merges WHERE contact_id = ${third.contact}`), '2');
  assert.equal(messages(third.contact), before + 2);
});

test("merge: a provider's longest name is kept whole in the record and the timeline", async () => {
  const long = 'ñ'.repeat(128); // 256 bytes, the most a provider's name keeps
  const survivor = await newContact({ name: 'Superviviente' });
  const merged = await newContact({ name: long });
  assert.equal((await admin.get(`/api/v1/contacts/${merged.contact}`)).json.contact.name, long);
  assert.equal((await admin.post(`/api/v1/contacts/${survivor.contact}/merge`, { contact_id: merged.contact })).status, 200);
  assert.equal(sql(s, `SELECT merged_name FROM contact_merges WHERE merged_contact_id = ${merged.contact}`), long);
  const timeline = await admin.get(`/api/v1/conversations/${merged.conversation}/events`);
  assert.equal(timeline.status, 200, timeline.text);
  assert.ok(timeline.json.events.at(-1).text.includes(`'${long}' (#${merged.contact})`));
});

test('bad input is refused and changes nothing', async () => {
  const { contact } = await newContact({ name: 'Intacta' });
  const other = (await newContact({ name: 'Otra' })).contact;
  const base = `/api/v1/contacts/${contact}`;
  const before = dump(s);
  const cases = [
    [{ name: '' }, 400, 'invalid_request'],
    [{ name: null }, 400, 'invalid_request'],
    [{ name: 'n'.repeat(201) }, 400, 'invalid_request'],
    [{ phone: 'llámame' }, 400, 'invalid_request'],
    [{ phone: '1'.repeat(33) }, 400, 'invalid_request'],
    [{ phone: 34600 }, 400, 'invalid_request'],
    [{ email: 'sin-arroba' }, 400, 'invalid_request'],
    [{ email: `${'e'.repeat(320)}@x.es` }, 400, 'invalid_request'],
    [{ notes: 'n'.repeat(65537) }, 400, 'invalid_request'],
    [{ tags: ['VIP'] }, 400, 'invalid_request'],
    [{ tags: ['a b'] }, 400, 'invalid_request'],
    [{ tags: 'vip' }, 400, 'invalid_request'],
    [{ tags: [1] }, 400, 'invalid_request'],
    [{ attributes: ['plan'] }, 400, 'invalid_request'],
    [{ attributes: { plan: 1 } }, 400, 'invalid_request'],
    [{ attributes: { plan: 'p'.repeat(1025) } }, 400, 'invalid_request'],
    [{ name: 'Cambiada', attributes: { plan: 'gold', shoe_size: '42' } }, 422, 'unprocessable', /shoe_size/],
    [{ extra: 1 }, 400, 'invalid_request'],
    ['{"name": ', 400, 'invalid_json'],
  ];
  for (const [body, status, code, message] of cases) {
    const r = await admin.patch(base, body);
    assertError(r, status, code);
    if (message) assert.match(r.json.error.message, message);
  }
  for (const [path, body, status, code] of [
    [`${base}/merge`, { contact_id: contact }, 422, 'unprocessable'],
    [`${base}/merge`, { contact_id: 999999 }, 404, 'not_found'],
    ['/api/v1/contacts/999999/merge', { contact_id: other }, 404, 'not_found'],
    [`${base}/merge`, {}, 400, 'invalid_request'],
    [`${base}/merge`, { contact_id: 'x' }, 400, 'invalid_request'],
    [`${base}/merge`, { contact_id: 0 }, 400, 'invalid_request'],
  ]) assertError(await admin.post(path, body), status, code);
  assertError(await admin.patch('/api/v1/contacts/999999', { name: 'x' }), 404, 'not_found');
  assertError(await admin.patch(base, { name: 'x' }, { csrf: false }), 403, 'csrf_token_invalid');
  assert.equal(dump(s), before, 'refused requests change nothing');
});

test('CSV export: every contact, declared keys as columns, quoting and formulas neutralised', async () => {
  const { contact } = await newContact({ name: '=HYPERLINK("http://evil")' });
  await patch(admin, contact, { email: 'x@example.com', tags: ['b', 'a'], attributes: { city: 'Jerez, "la de la frontera"\nsur' } });
  const plus = (await newContact({ name: '@sum' })).contact;
  const r = await admin.get('/api/v1/contacts/export');
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.equal(r.headers.get('content-disposition'), 'attachment; filename="contacts.csv"');
  const lines = r.text.split('\r\n');
  assert.equal(lines[0], 'id,name,phone,email,tags,plan,city,created_at');
  assert.equal(lines.at(-1), '', 'every row ends with CRLF');
  const total = Number(sql(s, 'SELECT count(*) FROM contacts'));
  const rowStart = (id) => r.text.split('\r\n').findIndex((l) => l.startsWith(`${id},`));
  const row = r.text.slice(r.text.indexOf(`\r\n${contact},`) + 2);
  assert.ok(row.startsWith(`${contact},"'=HYPERLINK(""http://evil"")","'+${phone - 1}",x@example.com,a b,,"Jerez, ""la de la frontera""\nsur",`), row.slice(0, 200));
  assert.match(row.split('\r\n')[0], /,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(lines[rowStart(plus)].startsWith(`${plus},"'@sum","'+${phone}",,,,,`));
  // One header and one row per contact (the city cell's bare \n splits no CRLF row).
  assert.equal(lines.length - 1, total + 1);

  assertError(await ana.get('/api/v1/contacts/export'), 403, 'forbidden');
  assertError(await new Client(s.url).get('/api/v1/contacts/export'), 401, 'unauthenticated');
});

// Every endpoint as an admin, a member agent, a non-member agent and a logged-out caller:
// out of sight is 404 (never 403) and absent from lists, search and totals.
test('the permission matrix', async () => {
  const ventas = await newContact({ name: 'Zoe Secreta', team: 'Ventas' });
  const soporte = await newContact({ kind: 'messenger', from: 'psid-zoe', name: 'Zoe FB', team: 'Soporte' });
  const spareVentas = await newContact({ name: 'Zoe Extra', team: 'Ventas' });
  const base = `/api/v1/contacts/${ventas.contact}`;
  const loggedOut = new Client(s.url);
  const requests = [
    (c) => c.get(base),
    (c) => c.patch(base, { tags: ['matriz'] }),
    (c) => c.post(`${base}/merge`, { contact_id: spareVentas.contact }),
  ];
  const before = dump(s);
  for (const send of requests) {
    assertError(await send(bruno), 404, 'not_found');
    assertError(await send(carla), 404, 'not_found');
    assertError(await send(loggedOut), 401, 'unauthenticated');
  }
  // A contact the agent sees cannot absorb one they do not.
  assertError(await ana.post(`${base}/merge`, { contact_id: soporte.contact }), 404, 'not_found');
  for (const [send, status, code] of [
    [(c) => c.get('/api/v1/contacts'), 401, 'unauthenticated'],
    [(c) => c.get('/api/v1/contact-attributes'), 401, 'unauthenticated'],
    [(c) => c.post('/api/v1/contact-attributes', { key: 'k', label: 'K' }), 401, 'unauthenticated'],
    [(c) => c.del('/api/v1/contact-attributes/plan'), 401, 'unauthenticated'],
    [(c) => c.get('/api/v1/contacts/export'), 401, 'unauthenticated'],
  ]) assertError(await send(loggedOut), status, code);
  for (const agent of [ana, bruno, carla]) {
    assertError(await agent.get('/api/v1/contacts/export'), 403, 'forbidden');
    assertError(await agent.post('/api/v1/contact-attributes', { key: 'k', label: 'K' }), 403, 'forbidden');
    assertError(await agent.del('/api/v1/contact-attributes/plan'), 403, 'forbidden');
    assert.equal((await agent.get('/api/v1/contact-attributes')).status, 200);
  }
  assert.equal(dump(s), before, 'refused requests change nothing');
  for (const who of [bruno, carla]) {
    for (const q of ['', '?q=Zoe', '?q=Secreta', '?limit=100']) {
      const page = await list(who, q);
      assert.ok(!ids(page).includes(ventas.contact), `${q} leaks it`);
      if (q.startsWith('?q=Secreta')) assert.equal(page.total, 0);
    }
  }
  assert.deepEqual(ids(await list(bruno, '?q=Zoe')), [soporte.contact]);
  for (const who of [admin, ana]) {
    assert.deepEqual(ids(await list(who, '?q=Secreta')), [ventas.contact]);
    assert.equal((await list(who, '?q=Secreta')).total, 1);
    for (const send of requests.slice(0, 2)) assert.equal((await send(who)).status, 200);
  }
  assert.equal((await requests[2](ana)).status, 200, 'a member merges what they see');
  // The admin-only endpoints, as the admin.
  assert.equal((await admin.get('/api/v1/contacts/export')).status, 200);
  assert.equal((await admin.post('/api/v1/contact-attributes', { key: 'matrix', label: 'M' })).status, 201);
  assert.equal((await admin.get('/api/v1/contact-attributes')).status, 200);
  assert.equal((await admin.del('/api/v1/contact-attributes/matrix')).status, 200);

  // After the admin merges the Soporte contact in, each agent sees only their conversations.
  assert.equal((await admin.post(`${base}/merge`, { contact_id: soporte.contact })).status, 200);
  const seenBy = async (who) => (await who.get(base)).json.contact.conversations.map((v) => v.id).sort();
  assert.equal((await seenBy(admin)).length, 3);
  assert.ok(!(await seenBy(ana)).includes(soporte.conversation));
  assert.deepEqual(await seenBy(bruno), [soporte.conversation]);
  assertError(await carla.get(base), 404, 'not_found');
  // A conversation moved into the agent's team brings the contact into sight.
  await admin.post(`/api/v1/conversations/${ventas.conversation}/transfer`, { team_id: teams.Soporte });
  assert.deepEqual(await seenBy(bruno), [ventas.conversation, soporte.conversation].sort());
});
