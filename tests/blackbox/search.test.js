// The conversation list at scale (docs/BENCHMARK.md, scenario 4): `q` through the trigram
// indexes keeps its documented meaning (a substring of a message someone wrote — routing's
// automatic messages are left out — or of a contact's name or phone; ASCII letters in either
// case, other characters as written), needs 3 characters, and finds what was written before
// the indexes existed; `total` counts up to 1,000 and says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.js';
import { sql, dump, databaseAt } from './lib/db.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';

let fake, s, admin;
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

async function search(client, q, extra = '') {
  const r = await client.get(`/api/v1/conversations?q=${encodeURIComponent(q)}${extra}`);
  assert.equal(r.status, 200, r.text);
  return r.json;
}
const ids = (page) => page.conversations.map((c) => c.id).sort((a, b) => a - b);

test('q finds a substring of any message, a contact name or phone, as documented', async () => {
  const laptop = await customerWrites(s, 'whatsapp', '34611000001', 'Hola');
  await customerWrites(s, 'whatsapp', '34611000001', 'Mi PORTÁTIL no arranca');
  const lucia = await customerWrites(s, 'whatsapp', '34611000002', 'Buenas', { name: 'Lucía Pérez' });
  const quoted = await customerWrites(s, 'whatsapp', '34611000003', 'me dijo "vale" ayer');
  const other = await customerWrites(s, 'whatsapp', '34611000004', 'nada que ver, casa grande');

  // An older message counts as much as the last one; any part of a word matches.
  assert.deepEqual(ids(await search(admin, 'rranc')), [laptop]);
  // ASCII letters match either case; other letters only as written.
  assert.deepEqual(ids(await search(admin, 'portÁtil')), [laptop]);
  assert.deepEqual(ids(await search(admin, 'PORTÁTIL')), [laptop]);
  assert.deepEqual(ids(await search(admin, 'portátil')), []);
  assert.deepEqual(ids(await search(admin, 'lucía')), [lucia]);
  assert.deepEqual(ids(await search(admin, 'LUCÍA')), []);
  // The contact's phone, whole or in part; quotes and spaces are plain characters.
  assert.deepEqual(ids(await search(admin, '+34611000002')), [lucia]);
  assert.deepEqual(ids(await search(admin, '1000003')), [quoted]);
  assert.deepEqual(ids(await search(admin, '"vale" a')), [quoted]);
  assert.deepEqual(ids(await search(admin, 'que ver')), [other]);
  // The index finds "cas" and "gra" in "casa grande"; the text itself is not there.
  assert.deepEqual(ids(await search(admin, 'casgra')), []);
  const page = await search(admin, 'rranc');
  assert.equal(page.total, 1);
  assert.equal(page.total_capped, false);

  // A message written later is found at once (the indexes follow the tables).
  await customerWrites(s, 'whatsapp', '34611000004', 'al final sí: el cargador');
  assert.deepEqual(ids(await search(admin, 'cargador')), [other]);
});

test('q shorter than 3 characters is refused with 400 and changes nothing', async () => {
  await customerWrites(s, 'whatsapp', '34611000005', 'ok');
  const before = dump(s, { except: ['sessions'] });
  for (const q of ['a', 'ok', 'ñá', '😀😀'])
    assertError(await admin.get(`/api/v1/conversations?q=${encodeURIComponent(q)}`), 400, 'invalid_request');
  assert.equal(dump(s, { except: ['sessions'] }), before);
  // Three characters, however many bytes, are enough.
  assert.equal((await search(admin, 'ñá!')).total, 0);
});

test('an agent searches only what they may see', async () => {
  const ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
  const team = (await admin.post('/api/v1/teams', { name: 'Ventas' })).json.team.id;
  const hidden = await customerWrites(s, 'whatsapp', '34611000006', 'pedido secreto 4242');
  assert.equal((await admin.post(`/api/v1/conversations/${hidden}/transfer`, { team_id: team })).status, 200);
  const open = await customerWrites(s, 'whatsapp', '34611000007', 'pedido abierto 4242');
  assert.deepEqual(ids(await search(admin, 'pedido')), [hidden, open]);
  const page = await search(ana, '4242');
  assert.deepEqual(ids(page), [open]);
  assert.equal(page.total, 1);
});

test('total counts up to 1,000 and says when there are more', async () => {
  // 1,001 more conversations, written straight into the store (webhooks would take minutes).
  const channel = sql(s, "SELECT id FROM channels WHERE kind = 'whatsapp' AND is_active = 1");
  const now = Date.now();
  sql(s, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001)
    INSERT INTO contacts (id, account_id, name, created_at, updated_at)
    SELECT 100000 + i, 1, 'Masivo ' || i, ${now}, ${now} FROM n;
    INSERT INTO contact_identities (id, account_id, contact_id, channel_id, external_id, created_at)
    SELECT id, 1, id, ${channel}, 'bulk-' || id, ${now} FROM contacts WHERE id > 100000;
    INSERT INTO conversations (account_id, channel_id, contact_id, identity_id, status,
      last_activity_at, created_at, updated_at)
    SELECT 1, ${channel}, id, id, 'pending', ${now}, ${now}, ${now} FROM contacts WHERE id > 100000;`);
  const all = (await admin.get('/api/v1/conversations?limit=1')).json;
  assert.equal(all.total, 1000);
  assert.equal(all.total_capped, true);
  assert.equal(all.conversations.length, 1);
  // The contacts written straight into the store are searchable too (the triggers).
  const bulk = await search(admin, 'Masivo');
  assert.deepEqual([bulk.total, bulk.total_capped], [1000, true]);
  assert.equal((await search(admin, 'Masivo 1001')).total, 1);
  // A narrower filter counts exactly.
  const open = (await admin.get('/api/v1/conversations?status=open&limit=1')).json;
  assert.equal(open.total_capped, false);
  assert.ok(open.total > 0 && open.total < 1000);
  // A page past the end still says how many there are.
  const three = await search(admin, 'Masivo 100', '&limit=3');
  assert.deepEqual([three.conversations.length, three.total], [3, 3]);
  const past = await search(admin, 'Masivo 100', `&limit=3&cursor=${three.next_cursor}`);
  assert.deepEqual([past.conversations.length, past.total, past.next_cursor], [0, 3, null]);
});

test('a database migrated with messages already in it is searchable', async () => {
  // The database as it was before migration 11 (no search indexes), with a conversation and
  // its message already in it, as that release wrote them.
  const dir = tempDir();
  const old = databaseAt(dir, 10);
  sql(old, `INSERT INTO channels (id, account_id, kind, name, external_id, credentials, hints, created_at, updated_at)
      VALUES (3, 1, 'whatsapp', 'WA', '106540352242922', 'sealed', '{}', 1, 1);
    INSERT INTO contacts (id, account_id, name, phone, created_at, updated_at) VALUES (1, 1, 'Íñigo Ruiz', '+34622000001', 1, 1);
    INSERT INTO contact_identities (id, account_id, contact_id, channel_id, external_id, created_at) VALUES (1, 1, 1, 3, '34622000001', 1);
    INSERT INTO conversations (id, account_id, channel_id, contact_id, identity_id, status, last_activity_at, created_at, updated_at)
      VALUES (1, 1, 3, 1, 1, 'open', 2, 1, 1);
    INSERT INTO messages (id, account_id, conversation_id, channel_id, direction, sender, type, text, provider_message_id, status, created_at)
      VALUES (1, 1, 1, 3, 'in', 'contact', 'text', 'la factura está duplicada', 'wamid.1', 'received', 2),
      (2, 1, 1, 3, 'out', 'routing', 'text', 'Bienvenida: 1 Ventas', NULL, 'sent', 3);`);
  // (Its channel's made-up credentials open with no key: a new one, as an operator would start.)
  const again = await startServer({ dir, args: ['--new-secret-key'] });
  try {
    const client = await adminClient(again);
    assert.deepEqual(ids(await search(client, 'duplicada')), [1]);
    assert.deepEqual(ids(await search(client, 'Íñigo')), [1]);
    assert.deepEqual(ids(await search(client, '22000001')), [1]);
    assert.deepEqual(ids(await search(client, 'pagada')), []);
    // Routing's message was indexed by migration 11 and taken out by 40.
    assert.deepEqual(ids(await search(client, 'Bienvenida')), []);
  } finally {
    await again.stop();
  }
});

test('routing\'s automatic messages are not searched: their text is in every conversation', async () => {
  const routing = {
    enabled: true,
    welcome_message: 'Bienvenida a Zapaterías Lobato: responde 1 para Ventas',
    fallback_message: 'Perdona, Lobato no te ha entendido',
    options: [{ answers: ['1'], team: 'Ventas' }],
  };
  const put = await admin.put('/api/v1/routing', routing);
  assert.equal(put.status, 200, put.text);
  const welcomed = await customerWrites(s, 'whatsapp', '34611000008', 'Buenas tardes');
  assert.equal(sql(s, `SELECT count(*) FROM messages WHERE conversation_id = ${welcomed} AND sender = 'routing' AND text LIKE '%Lobato%'`), '1');
  assert.deepEqual(ids(await search(admin, 'Lobato')), []);
  // The same word written by a customer or by an agent is found.
  const asked = await customerWrites(s, 'whatsapp', '34611000009', '¿Sois la tienda lobato?');
  const reply = await admin.post(`/api/v1/conversations/${welcomed}/messages`, { text: 'Sí, LOBATO de toda la vida' });
  assert.equal(reply.status, 201, reply.text);
  assert.deepEqual(ids(await search(admin, 'Lobato')), [welcomed, asked].sort((a, b) => a - b));
  assert.equal((await admin.put('/api/v1/routing', { ...routing, enabled: false })).status, 200);
});
