// Canned responses: admins manage shortcuts, everyone signed in lists and searches them.
import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { dump, sql } from './lib/db.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';
import { CHANNELS, customerWrites } from './lib/providers.js';

let s, admin, ana;
before(async () => {
  s = await startServer();
  admin = await adminClient(s);
  ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
});
after(async () => s.stop());
// Each test counts the whole list, so each starts with none, whichever ran before it.
beforeEach(() => sql(s, 'DELETE FROM canned_responses'));

async function create(shortcut, text) {
  const r = await admin.post('/api/v1/canned-responses', { shortcut, text });
  assert.equal(r.status, 201, r.text);
  return r.json.canned_response;
}

const shortcuts = (r) => r.json.canned_responses.map((c) => c.shortcut);

test('admin creates, edits and deletes; placeholders are stored as typed', async () => {
  const c = await create('/horario', 'Abrimos de 9 a 18, {contact_name}. Soy {agent_name} de {team_name} {otro}.');
  assert.equal(c.shortcut, 'horario');
  assert.equal(c.text, 'Abrimos de 9 a 18, {contact_name}. Soy {agent_name} de {team_name} {otro}.');
  assert.ok(c.id > 0 && c.created_at > 0 && c.updated_at === c.created_at);
  const got = await ana.get('/api/v1/canned-responses');
  assert.equal(got.status, 200, got.text);
  assert.deepEqual(got.json.canned_responses, [c]);

  const edited = await admin.patch(`/api/v1/canned-responses/${c.id}`, { text: 'De 9 a 19, {contact_name}.' });
  assert.equal(edited.status, 200, edited.text);
  assert.equal(edited.json.canned_response.shortcut, 'horario');
  assert.equal(edited.json.canned_response.text, 'De 9 a 19, {contact_name}.');
  const renamed = await admin.patch(`/api/v1/canned-responses/${c.id}`, { shortcut: 'horas' });
  assert.equal(renamed.json.canned_response.shortcut, 'horas');
  assert.equal(renamed.json.canned_response.text, 'De 9 a 19, {contact_name}.');

  const del = await admin.del(`/api/v1/canned-responses/${c.id}`);
  assert.equal(del.status, 200, del.text);
  assert.deepEqual(del.json, { ok: true });
  assert.deepEqual(shortcuts(await ana.get('/api/v1/canned-responses')), []);
  assertError(await admin.del(`/api/v1/canned-responses/${c.id}`), 404, 'not_found');
  assertError(await admin.patch(`/api/v1/canned-responses/${c.id}`, { text: 'x' }), 404, 'not_found');
});

test('search: shortcut prefix or text substring, either case; sorted; at most 50', async () => {
  await create('envio', 'El envío tarda 48 HORAS.');
  await create('devolucion', 'Tienes 30 días para devolverlo.');
  await create('despedida', 'Gracias por escribirnos.');
  assert.deepEqual(shortcuts(await ana.get('/api/v1/canned-responses')), ['despedida', 'devolucion', 'envio']);
  assert.deepEqual(shortcuts(await ana.get('/api/v1/canned-responses?q=de')), ['despedida', 'devolucion']);
  assert.deepEqual(shortcuts(await ana.get('/api/v1/canned-responses?q=%2FDEV')), ['devolucion']);
  assert.deepEqual(shortcuts(await ana.get('/api/v1/canned-responses?q=horas')), ['envio']);
  assert.deepEqual(shortcuts(await ana.get('/api/v1/canned-responses?q=GRACIAS%20por')), ['despedida']);
  assert.deepEqual(shortcuts(await ana.get('/api/v1/canned-responses?q=%25')), []);
  assert.deepEqual(shortcuts(await ana.get('/api/v1/canned-responses?q=zzz')), []);
  for (let i = 0; i < 55; i++) await create(`many-${String(i).padStart(2, '0')}`, 'Texto');
  const many = shortcuts(await ana.get('/api/v1/canned-responses?q=many'));
  assert.equal(many.length, 50);
  assert.equal(many[0], 'many-00');
  assert.equal(many[49], 'many-49');
  assert.equal(shortcuts(await ana.get('/api/v1/canned-responses')).length, 50);
});

test('bad input: a clear error each, nothing changed; agents and strangers refused', async () => {
  const c = await create('saludo', 'Hola, {contact_name}');
  await create('envio', 'El envío tarda 48 h.');
  const before = dump(s);
  const post = '/api/v1/canned-responses';
  const cases = [
    ['post', post, '{"shortcut":', 400, 'invalid_json'],
    ['post', post, {}, 400, 'invalid_request'],
    ['post', post, { shortcut: 'a' }, 400, 'invalid_request'],
    ['post', post, { text: 'a' }, 400, 'invalid_request'],
    ['post', post, { shortcut: '', text: 'a' }, 400, 'invalid_request'],
    ['post', post, { shortcut: '/', text: 'a' }, 400, 'invalid_request'],
    ['post', post, { shortcut: 'Hola', text: 'a' }, 400, 'invalid_request'],
    ['post', post, { shortcut: 'ho la', text: 'a' }, 400, 'invalid_request'],
    ['post', post, { shortcut: 'x'.repeat(33), text: 'a' }, 400, 'invalid_request'],
    ['post', post, { shortcut: '//x', text: 'a' }, 400, 'invalid_request'],
    ['post', post, { shortcut: 'ok', text: '' }, 400, 'invalid_request'],
    ['post', post, { shortcut: 'ok', text: ' \n\t ' }, 400, 'invalid_request'],
    ['post', post, { shortcut: 'ok', text: 'x'.repeat(4097) }, 400, 'invalid_request'],
    ['post', post, { shortcut: 'ok', text: 7 }, 400, 'invalid_request'],
    ['post', post, { shortcut: 'ok', text: 'a', extra: 1 }, 400, 'invalid_request'],
    ['post', post, { shortcut: 'saludo', text: 'otro' }, 409, 'conflict'],
    ['post', post, { shortcut: '/saludo', text: 'otro' }, 409, 'conflict'],
    ['patch', `${post}/${c.id}`, { shortcut: 'MAL' }, 400, 'invalid_request'],
    ['patch', `${post}/${c.id}`, { text: '   ' }, 400, 'invalid_request'],
    ['patch', `${post}/${c.id}`, { shortcut: 'envio' }, 409, 'conflict'],
    ['patch', `${post}/${c.id}`, { id: 3 }, 400, 'invalid_request'],
    ['patch', `${post}/999999`, { text: 'x' }, 404, 'not_found'],
    ['del', `${post}/999999`, undefined, 404, 'not_found'],
    ['del', `${post}/abc`, undefined, 404, 'not_found'],
  ];
  for (const [method, path, body, status, code] of cases) {
    const r = method === 'del' ? await admin.del(path) : await admin[method](path, body);
    assertError(r, status, code);
  }
  assertError(await ana.get(`${post}?q=${'x'.repeat(201)}`), 400, 'invalid_request');
  assert.equal((await ana.get(`${post}?q=${'x'.repeat(200)}`)).status, 200);
  assertError(await ana.post(post, { shortcut: 'agente', text: 'x' }), 403, 'forbidden');
  assertError(await ana.patch(`${post}/${c.id}`, { text: 'x' }), 403, 'forbidden');
  assertError(await ana.del(`${post}/${c.id}`), 403, 'forbidden');
  const anonymous = new Client(s.url);
  assertError(await anonymous.get(post), 401, 'unauthenticated');
  assertError(await anonymous.post(post, { shortcut: 'anon', text: 'x' }), 401, 'unauthenticated');
  assert.equal(dump(s), before);
  // The longest accepted: 32 characters after the slash, 4 KiB of text.
  const long = await create(`/${'a'.repeat(32)}`, 'é'.repeat(2048));
  assert.equal(long.shortcut, 'a'.repeat(32));
});

test('listed for a conversation, each text comes filled as routing fills its messages: no web-N, nothing read twice', async () => {
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.messenger)).status, 201);
  const team = (await admin.post('/api/v1/teams', { name: 'Soporte' })).json.team;
  assert.equal((await admin.post(`/api/v1/teams/${team.id}/members`, { user_id: ana.user.id })).status, 201);
  const luis = await agentClient(s, admin, 'luis@example.com', 'Luis');
  // Messenger sends no name: the contact is stored under the sender's id, which is no name.
  const id = await customerWrites(s, 'messenger', '6500000000009001', 'Hola');
  assert.equal((await admin.post(`/api/v1/conversations/${id}/transfer`, { team_id: team.id })).status, 200);
  await create('saludo', 'Hola {contact_name}, soy {agent_name} de {team_name}. {otro}');
  const listed = async (client, query) => client.get(`/api/v1/canned-responses?q=sal&conversation_id=${query}`);

  let r = await listed(ana, id);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.canned_responses.map((c) => [c.text, c.filled_text]),
    [['Hola {contact_name}, soy {agent_name} de {team_name}. {otro}', 'Hola, soy Ana de Soporte. {otro}']]);
  // A name that looks like a placeholder is put in as it is, never filled again.
  const { contact } = (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;
  assert.equal((await admin.patch(`/api/v1/contacts/${contact.id}`, { name: '{team_name}' })).status, 200);
  r = await listed(ana, id);
  assert.equal(r.json.canned_responses[0].filled_text, 'Hola {team_name}, soy Ana de Soporte. {otro}');
  // Without a conversation the texts are as stored.
  assert.equal((await ana.get('/api/v1/canned-responses')).json.canned_responses[0].filled_text, undefined);

  // A conversation one may not see is no conversation; a bad id is a clear error.
  const before = dump(s);
  assertError(await listed(luis, id), 404, 'not_found');
  assertError(await listed(ana, 'abc'), 400, 'invalid_request');
  assertError(await listed(ana, 0), 400, 'invalid_request');
  assertError(await listed(ana, 999999), 404, 'not_found');
  assert.equal(dump(s), before);
});
