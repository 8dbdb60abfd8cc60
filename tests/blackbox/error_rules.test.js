// The admin's forms meet the server's checks: each refusal names its rule (a stable code the
// web UI translates), the field and the bound, beside the English message; nothing changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { dump } from './lib/db.js';
import { adminClient, assertError } from './lib/client.js';

let s, admin;
before(async () => {
  s = await startServer();
  admin = await adminClient(s);
  assert.equal((await admin.post('/api/v1/teams', { name: 'Ventas' })).status, 201);
  assert.equal((await admin.post('/api/v1/canned-responses', { shortcut: 'hola', text: 'Hola' })).status, 201);
});
after(async () => s.stop());

test('bad input to the admin endpoints names a rule, a field and a bound; nothing is changed', async () => {
  const cases = [
    [['post', '/api/v1/users', { email: 'admin@example.com', name: 'Otra', role: 'agent' }], 409, 'conflict', { rule: 'email_taken', field: 'email' }],
    [['post', '/api/v1/users', { email: 'no-at-sign', name: 'Otra', role: 'agent' }], 400, 'invalid_request', { rule: 'email_invalid', field: 'email' }],
    [['post', '/api/v1/users', { email: 'p@example.com', name: 'P', role: 'agent', password: 'short' }], 400, 'invalid_request', { rule: 'password_length', field: 'password', limit: 8 }],
    [['post', '/api/v1/users', { email: 'q@example.com', name: 'Q', role: 'agent', colour: 'red' }], 400, 'invalid_request', { rule: 'unknown_field', field: 'colour' }],
    [['post', '/api/v1/teams', { name: 'ventas' }], 409, 'conflict', { rule: 'team_name_taken', field: 'name' }],
    [['post', '/api/v1/teams', { name: 'x'.repeat(201) }], 400, 'invalid_request', { rule: 'too_long', field: 'name', limit: 200 }],
    [['post', '/api/v1/teams', { name: 'a\nb' }], 400, 'invalid_request', { rule: 'bad_characters', field: 'name' }],
    [['post', '/api/v1/teams', {}], 400, 'invalid_request', { rule: 'required', field: 'name' }],
    [['post', '/api/v1/teams', { name: 7 }], 400, 'invalid_request', { rule: 'wrong_type', field: 'name' }],
    [['post', '/api/v1/canned-responses', { shortcut: 'hola', text: 'Otra' }], 409, 'conflict', { rule: 'shortcut_taken', field: 'shortcut' }],
    [['post', '/api/v1/canned-responses', { shortcut: 'Con Espacio', text: 'Otra' }], 400, 'invalid_request', { rule: 'shortcut_invalid', field: 'shortcut' }],
    [['post', '/api/v1/channels', { kind: 'telegram', name: 'Bot', bot_token: 'not-a-token' }], 400, 'invalid_request', { rule: 'bot_token_invalid', field: 'bot_token' }],
    [['post', '/api/v1/channels', { kind: 'whatsapp', name: 'WA', access_token: 't', app_secret: 's', verify_token: 'v' }], 400, 'invalid_request', { rule: 'required', field: 'phone_number_id' }],
    [['post', '/api/v1/channels', { kind: 'whatsapp', name: 'WA', phone_number_id: 'abc', access_token: 't', app_secret: 's', verify_token: 'v' }], 400, 'invalid_request', { rule: 'numeric_id', field: 'phone_number_id' }],
  ];
  const before = dump(s);
  for (const [[method, path, body], status, code, rule] of cases) {
    const r = await admin[method](path, body);
    assertError(r, status, code);
    const { code: _code, message: _message, ...named } = r.json.error;
    assert.deepEqual(named, rule, `${path} ${JSON.stringify(body)}: ${r.text}`);
  }
  const me = (await admin.get('/api/v1/me')).json.user;
  const last = await admin.patch(`/api/v1/users/${me.id}`, { role: 'agent' });
  assertError(last, 422, 'unprocessable');
  assert.equal(last.json.error.rule, 'last_admin');
  assert.equal(dump(s), before);
});

test('errors outside the forms keep the two-field shape', async () => {
  const r = await admin.get('/api/v1/conversations/999999');
  assertError(r, 404, 'not_found');
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'message']);
});
