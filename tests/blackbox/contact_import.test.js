// The contact CSV import: the export's columns in, checked whole first (every bad cell
// reported, nothing written), then applied in one transaction: a known phone or e-mail
// updates its contact, the rest are created.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';

let fake, s, admin;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  for (const [key, label] of [['plan', 'Plan'], ['city', 'Ciudad']])
    assert.equal((await admin.post('/api/v1/contact-attributes', { key, label })).status, 201);
});
after(async () => {
  await s.stop();
  await fake.stop();
});

const client = (c, text, query = '') => c.post(`/api/v1/contacts/import${query}`, text, { headers: { 'content-type': 'text/csv' } });
const importCsv = (c, text) => client(c, text);
const contactBy = (where) => sql(s, `SELECT id || '|' || name || '|' || coalesce(phone, '') || '|' || coalesce(email, '') FROM contacts WHERE ${where}`);
const attrs = (id) => sql(s, `SELECT group_concat(key || '=' || value, ';') FROM (SELECT key, value FROM contact_attributes WHERE contact_id = ${id} ORDER BY key) a`);
const tags = (id) => sql(s, `SELECT group_concat(name, ' ') FROM (SELECT name FROM contact_tags WHERE contact_id = ${id} ORDER BY name) t`);

test('the export read back in: known phones and e-mails update their contact, the rest are created', async () => {
  const conv = await customerWrites(s, 'whatsapp', '34622000001', 'Hola', { name: 'Lucía' });
  const lucia = Number(sql(s, `SELECT contact_id FROM conversations WHERE id = ${conv}`));
  assert.equal((await admin.patch(`/api/v1/contacts/${lucia}`, { phone: '+34622000001', email: 'lucia@example.com' })).status, 200);
  const other = Number(sql(s, `SELECT contact_id FROM conversations WHERE id = ${await customerWrites(s, 'whatsapp', '34622000002', 'Hola', { name: 'Pedro' })}`));
  assert.equal((await admin.patch(`/api/v1/contacts/${other}`, { email: 'pedro@example.com', tags: ['vip'] })).status, 200);
  const exported = (await admin.get('/api/v1/contacts/export')).text;
  assert.ok(exported.includes(`"'+34622000001"`), 'the export defuses the phone');
  // The export's header and a defused phone, as the export wrote them; a row matched by
  // e-mail; two new contacts, one with a formula defused and an attribute with a quote.
  const csv = '\ufeffid,name,phone,email,tags,plan,city,created_at\r\n' +
    `${lucia},Lucía Gómez,"'+34622000001",,cliente nueva,pro,"Jerez, ""sur""",2026-01-01T00:00:00Z\r\n` +
    `,Pedro Ruiz,,PEDRO@example.com,,,Cádiz,\r\n` +
    `,"'=Ana",+34 622 000 003,ana@example.com,,free,,\r\n` +
    `,Bruno,,,,,,\n`;
  const before = Number(sql(s, 'SELECT count(*) FROM contacts'));
  // A dry run: the same checks and counts, nothing written; dry_run is 0 or 1.
  const unchanged = dump(s);
  const dry = await client(admin, csv, '?dry_run=1');
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.json, { created: 2, updated: 2, dry_run: true });
  assertError(await client(admin, csv, '?dry_run=2'), 400, 'invalid_request');
  assert.equal(dump(s), unchanged);
  const r = await importCsv(admin, csv);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { created: 2, updated: 2, dry_run: false });
  assert.equal(Number(sql(s, 'SELECT count(*) FROM contacts')), before + 2);
  assert.equal(contactBy(`id = ${lucia}`), `${lucia}|Lucía Gómez|+34622000001|lucia@example.com`, 'an empty cell leaves its field');
  assert.equal(tags(lucia), 'cliente nueva');
  assert.equal(attrs(lucia), 'city=Jerez, "sur";plan=pro');
  assert.equal(contactBy(`id = ${other}`), `${other}|Pedro Ruiz|+34622000002|pedro@example.com`);
  assert.equal(tags(other), 'vip');
  assert.equal(attrs(other), 'city=Cádiz');
  const ana = contactBy("email = 'ana@example.com'").split('|');
  assert.deepEqual(ana.slice(1), ['=Ana', '+34 622 000 003', 'ana@example.com']);
  assert.equal(attrs(ana[0]), 'plan=free');
  assert.match(contactBy("name = 'Bruno'"), /^\d+\|Bruno\|\|$/);
  // The same file again: everything is matched now, nothing new.
  const again = await importCsv(admin, csv.replace(',Bruno,,,,,,', ',Bruno,,bruno@example.com,,,,'));
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.json, { created: 1, updated: 3, dry_run: false }, 'Bruno had neither phone nor e-mail: created again');
});

test('a file with bad rows is refused whole: every problem by line and column, nothing written', async () => {
  const before = dump(s);
  const csv = [
    'name,phone,email,tags,plan',
    'Buena,+34 600 111 222,buena@example.com,a b,pro',
    'Mala,12ab,,,',
    'Otra,,no-es-email,,',
    '=SUM(A1:A9),,,,',
    'Tags,,,Mayúsculas,',
    'Larga,,,,' + 'x'.repeat(1025),
    'Sobran,,,,,extra',
    'Faltan,,',
    ',,,,',
    '@cmd,,,,',
  ].join('\r\n') + '\r\n';
  const r = await importCsv(admin, csv);
  assertError(r, 422, 'unprocessable');
  assert.match(r.json.error.message, /^9 problems in the file .*nothing was imported$/);
  assert.deepEqual(r.json.error.problems.map((p) => [p.line, p.column]),
    [[3, 'phone'], [4, 'email'], [5, 'name'], [6, 'tags'], [7, 'plan'], [8, null], [9, null], [10, 'name'], [11, 'name']]);
  const reasons = Object.fromEntries(r.json.error.problems.map((p) => [`${p.line}:${p.column}`, p.reason]));
  assert.match(reasons['3:phone'], /digits/);
  assert.match(reasons['5:name'], /spreadsheet formula/);
  assert.match(reasons['6:tags'], /'Mayúsculas' is not a tag/);
  assert.match(reasons['7:plan'], /longer than 1024 bytes/);
  assert.match(reasons['8:null'], /has 6 cells where the first line names 5/);
  assert.match(reasons['9:null'], /has 3 cells where the first line names 5/);
  assert.equal(dump(s), before, 'nothing was written, not even the good row');
  // Bad bytes: not UTF-8 (Latin-1 "é").
  const latin1 = Buffer.concat([Buffer.from('name\r\nJos'), Buffer.from([0xe9]), Buffer.from('\r\n')]);
  const bad = await importCsv(admin, latin1);
  assertError(bad, 422, 'unprocessable');
  assert.deepEqual(bad.json.error.problems, [{ line: 2, column: 'name', reason: 'is not UTF-8 text, or holds control characters' }]);
  assert.equal(dump(s), before);
});

test('the header: missing, a column twice, an undeclared attribute key, broken quoting, empty', async () => {
  const before = dump(s);
  const cases = [
    ['Lucía,+34600000000\r\n', [[1, 'Lucía', /neither a column of the export nor a declared attribute key/], [1, '+34600000000', /neither/], [1, null, /'name' among them/]]],
    ['name,phone,phone\r\nA,1,2\r\n', [[1, 'phone', /named twice/]]],
    ['name,shoe_size\r\nA,44\r\n', [[1, 'shoe_size', /neither a column of the export nor a declared attribute key/]]],
    ['name\r\n"A"b\r\n', [[2, null, /not well-formed CSV/]]],
    ['name\r\n"unterminated\r\n', [[2, null, /not well-formed CSV/]]],
    ['', [[1, null, /the file is empty/]]],
  ];
  for (const [csv, expected] of cases) {
    const r = await importCsv(admin, csv);
    assertError(r, 422, 'unprocessable');
    assert.equal(r.json.error.problems.length, expected.length, `${JSON.stringify(csv)}: ${r.text}`);
    for (const [i, [line, column, reason]] of expected.entries()) {
      const p = r.json.error.problems[i];
      assert.equal(p.line, line, JSON.stringify(p));
      assert.equal(p.column, column, JSON.stringify(p));
      assert.match(p.reason, reason);
    }
  }
  assert.equal(dump(s), before);
});

test('at most 100,000 rows; admins only', async () => {
  const before = dump(s);
  const rows = ['name,email'];
  for (let i = 0; i <= 100000; i++) rows.push(`C${i},c${i}@example.com`);
  const csv = rows.join('\n') + '\n';
  assert.ok(csv.length > 1024 * 1024, 'larger than other bodies may be');
  const r = await importCsv(admin, csv);
  assertError(r, 422, 'unprocessable');
  assert.deepEqual(r.json.error.problems.map((p) => p.reason), ['the file has more than 100000 rows of contacts: import it in parts']);
  assert.equal(dump(s), before);
  const agent = await agentClient(s, admin, 'import-agent@example.com');
  assertError(await importCsv(agent, 'name\r\nX\r\n'), 403, 'forbidden');
  assertError(await importCsv(new Client(s.url), 'name\r\nX\r\n'), 401, 'unauthenticated');
});
