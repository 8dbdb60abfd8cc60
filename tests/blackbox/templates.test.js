// WhatsApp templates from outside: synced from the fake Graph API (every page, bounded, bad
// answers refused), sent in the Cloud API's documented shape after being checked against the
// synced template (each bad input a 422 that queues nothing), writing first to a new number,
// and Messenger's HUMAN_AGENT tag on a human's reply after 24 hours.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, connectAll, customerWrites } from './lib/providers.js';
import { until } from './lib/until.js';

const WABA = '102290129340398';
const HOUR = 3600 * 1000;

// What Graph lists: one with a text header, body and footer; one with an image header; one
// with a URL button; one pending; and enough others for a second page.
const ORDER = {
  name: 'pedido_enviado',
  language: 'es',
  status: 'APPROVED',
  category: 'UTILITY',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Hola {{1}}' },
    { type: 'BODY', text: 'Tu pedido {{1}} llega {{2}}.' },
    { type: 'FOOTER', text: 'Tienda Centralita' },
  ],
};
const OFFER = {
  name: 'oferta',
  language: 'es',
  status: 'APPROVED',
  category: 'MARKETING',
  components: [
    { type: 'HEADER', format: 'IMAGE' },
    { type: 'BODY', text: 'Solo hoy: {{1}}' },
    { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Ver', url: 'https://shop.example.com/o/{{1}}' }, { type: 'QUICK_REPLY', text: 'No, gracias' }] },
  ],
};
const PENDING = { name: 'recordatorio', language: 'es', status: 'PENDING', category: 'UTILITY', components: [{ type: 'BODY', text: 'Te esperamos' }] };
const FILLER = Array.from({ length: 110 }, (_, i) => ({
  name: `aviso_${String(i).padStart(3, '0')}`,
  language: 'en_US',
  status: 'APPROVED',
  category: 'UTILITY',
  components: [{ type: 'BODY', text: 'Notice {{1}}' }],
}));

let fake, s, admin, ch;
before(async () => {
  fake = await startFakeProvider();
  fake.setTemplates(WABA, [ORDER, OFFER, PENDING, { ...ORDER, language: 'en_US', components: [{ type: 'BODY', text: 'Order {{1}}' }] }, ...FILLER]);
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  ch = await connectAll(admin);
});
after(async () => {
  await s.stop();
  await fake.stop();
});

const count = (table) => Number(sql(s, `SELECT count(*) FROM ${table}`));

async function syncTemplates() {
  const p = await admin.patch(`/api/v1/channels/${ch.whatsapp.id}`, { waba_id: WABA });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.channel.waba_id, WABA);
  // The PATCH made a sync due: let the scheduler's end first (only its end moves the next one a
  // day on; taking it moves it an hour), so that no sync of its own meets what a test sets up.
  await until(() => Number(sql(s, `SELECT templates_due_at FROM channels WHERE id = ${ch.whatsapp.id}`)) > Date.now() + 2 * HOUR,
    'the scheduled sync to end');
  const r = await admin.post(`/api/v1/channels/${ch.whatsapp.id}/templates/sync`);
  assert.equal(r.status, 200, r.text);
  return r.json.templates;
}

// A WhatsApp conversation whose customer last wrote `hours` ago.
async function conversationQuietFor(from, hours, kind = 'whatsapp') {
  const id = await customerWrites(s, kind, from, 'Hola');
  sql(s, `UPDATE conversations SET last_customer_at = ${Date.now() - hours * HOUR} WHERE id = ${id}`);
  return id;
}

test('a sync reads every page of the account\'s templates, following the cursor', async () => {
  // Setting the Business Account makes a sync due at once: the scheduler runs it.
  const p = await admin.patch(`/api/v1/channels/${ch.whatsapp.id}`, { waba_id: WABA });
  assert.equal(p.status, 200, p.text);
  await until(async () => (await admin.get(`/api/v1/channels/${ch.whatsapp.id}/templates`)).json.templates.length === 114,
    'the scheduled sync');
  fake.clearRequests();
  const r = await admin.post(`/api/v1/channels/${ch.whatsapp.id}/templates/sync`);
  assert.equal(r.status, 200, r.text);
  const list = r.json.templates;
  assert.equal(list.length, 114);
  const pages = fake.done({ op: 'templates' });
  assert.equal(pages.length, 2, fake.describe());
  for (const page of pages) {
    assert.equal(page.method, 'GET');
    assert.equal(page.path, `/v25.0/${WABA}/message_templates`);
    assert.equal(page.headers.authorization, `Bearer ${CHANNELS.whatsapp.access_token}`);
  }
  assert.equal(pages[0].query.after, undefined);
  assert.equal(pages[1].query.after, pages[0].response.paging.cursors.after);
  assert.equal(pages[1].response.paging.next, undefined);

  const order = list.find((t) => t.name === 'pedido_enviado' && t.language === 'es');
  assert.deepEqual(order.variables, { header_format: 'TEXT', header: 1, body: 2, buttons: 0 });
  assert.equal(order.usable, true);
  assert.deepEqual(order.components, ORDER.components);
  assert.equal(list.find((t) => t.name === 'recordatorio').usable, false);
  assert.deepEqual(list.find((t) => t.name === 'oferta').variables, { header_format: 'IMAGE', header: 1, body: 1, buttons: 1 });

  // Agents read them too; only admins sync.
  const agent = await agentClient(s, admin, 'lector@example.com');
  const seen = await agent.get(`/api/v1/channels/${ch.whatsapp.id}/templates`);
  assert.equal(seen.status, 200, seen.text);
  assert.equal(seen.json.templates.length, 114);
  assertError(await agent.post(`/api/v1/channels/${ch.whatsapp.id}/templates/sync`), 403, 'forbidden');
});

test('a malformed or endless template list, or a Graph error, fails the sync and changes nothing', async () => {
  await syncTemplates();
  const before = sql(s, 'SELECT name, language, status FROM whatsapp_templates ORDER BY id');
  const sync = () => admin.post(`/api/v1/channels/${ch.whatsapp.id}/templates/sync`);

  fake.failNext(1, { status: 200, body: { templates: [] } }, { op: 'templates' });
  let r = await sync();
  assertError(r, 502, 'bad_gateway');
  assert.match(r.json.error.message, /malformed/);

  fake.failNext(1, { status: 200, body: { data: [{ language: 'es', status: 'APPROVED', components: [] }] } }, { op: 'templates' });
  r = await sync();
  assertError(r, 502, 'bad_gateway');
  assert.match(r.json.error.message, /data\[0\] has no name/);

  // Every page says there is another: the sync stops at its bound.
  const endless = fake.failAlways({ status: 200, body: { data: [], paging: { cursors: { after: 'QVFI' }, next: `${fake.url}/v25.0/${WABA}/message_templates?after=QVFI` } } }, { op: 'templates' });
  r = await sync();
  endless.cancel();
  assertError(r, 502, 'bad_gateway');
  assert.match(r.json.error.message, /past 50 pages/);
  assert.equal(endless.hits.length, 50);

  fake.failNext(1, { status: 401, body: { error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190 } } }, { op: 'templates' });
  r = await sync();
  assertError(r, 502, 'bad_gateway');
  assert.match(r.json.error.message, /401.*Invalid OAuth access token/);

  assert.equal(sql(s, 'SELECT name, language, status FROM whatsapp_templates ORDER BY id'), before);

  // Without a Business Account there is nothing to sync; a bad id is refused.
  assertError(await admin.post(`/api/v1/channels/${ch.messenger.id}/templates/sync`), 422, 'unprocessable');
  assertError(await admin.patch(`/api/v1/channels/${ch.whatsapp.id}`, { waba_id: '12ab' }), 400, 'invalid_request');
  assertError(await admin.patch(`/api/v1/channels/${ch.messenger.id}`, { waba_id: '123' }), 422, 'unprocessable');
  assertError(await admin.patch(`/api/v1/channels/${ch.whatsapp.id}`, {}), 400, 'invalid_request');
  assert.equal(sql(s, `SELECT waba_id FROM channels WHERE id = ${ch.whatsapp.id}`), WABA);
});

test('a channel added with a waba_id has its templates synced without asking', async () => {
  const other = '203300000000001';
  fake.setTemplates(other, [ORDER]);
  const r = await admin.post('/api/v1/channels', { ...CHANNELS.whatsapp, name: 'Otra', phone_number_id: '106540352249999', waba_id: other });
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.channel.waba_id, other);
  await until(async () => (await admin.get(`/api/v1/channels/${r.json.channel.id}/templates`)).json.templates.length === 1,
    'the new channel\'s templates to be synced');
  assertError(await admin.post('/api/v1/channels', { ...CHANNELS.messenger, page_id: '1098765432109', waba_id: other }), 400, 'invalid_request');
  assert.equal((await admin.del(`/api/v1/channels/${r.json.channel.id}`)).status, 200);
});

test('a template goes out in the Cloud API\'s shape outside the window, and the thread shows its text', async () => {
  await syncTemplates();
  const conv = await conversationQuietFor('34611000001', 30);
  fake.clearRequests();
  const r = await admin.post(`/api/v1/conversations/${conv}/messages`, {
    template: { name: 'pedido_enviado', language: 'es', parameters: { header: ['Ana'], body: ['4711', 'mañana'] } },
  });
  assert.equal(r.status, 201, r.text);
  const [sent] = await fake.waitForSent(1, { kind: 'whatsapp', to: '34611000001' });
  assert.equal(sent.path, `/v25.0/${CHANNELS.whatsapp.phone_number_id}/messages`);
  assert.deepEqual(sent.body, {
    messaging_product: 'whatsapp', recipient_type: 'individual', to: '34611000001', type: 'template',
    template: {
      name: 'pedido_enviado', language: { code: 'es' }, components: [
        { type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
        { type: 'body', parameters: [{ type: 'text', text: '4711' }, { type: 'text', text: 'mañana' }] },
      ],
    },
  });
  const [id] = r.json.message_ids;
  const [type, text] = sql(s, `SELECT type, text FROM messages WHERE id = ${id}`).split('|');
  assert.equal(type, 'template');
  assert.equal(sql(s, `SELECT text FROM messages WHERE id = ${id}`), 'Hola Ana\n\nTu pedido 4711 llega mañana.\n\nTienda Centralita');
  assert.ok(text.startsWith('Hola Ana'));
  await until(() => sql(s, `SELECT status FROM messages WHERE id = ${id}`) === 'sent', 'the template to be sent');

  // An image header and a URL button's variable.
  const r2 = await admin.post(`/api/v1/conversations/${conv}/messages`, {
    template: { name: 'oferta', language: 'es', parameters: { header: { link: 'https://shop.example.com/o.jpg' }, body: ['20 %'], buttons: ['verano'] } },
  });
  assert.equal(r2.status, 201, r2.text);
  const sent2 = await fake.waitFor((q) => q.template?.name === 'oferta' && q.accepted);
  assert.deepEqual(sent2.body.template.components, [
    { type: 'header', parameters: [{ type: 'image', image: { link: 'https://shop.example.com/o.jpg' } }] },
    { type: 'body', parameters: [{ type: 'text', text: '20 %' }] },
    { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'verano' }] },
  ]);
  assert.equal(sql(s, `SELECT text FROM messages WHERE id = ${r2.json.message_ids[0]}`), 'Solo hoy: 20 %\n\n[Ver] [No, gracias]');
});

test('every bad template input is a 422 naming what is wrong, and nothing is queued', async () => {
  await syncTemplates();
  const conv = await conversationQuietFor('34611000002', 30);
  const send = (template) => admin.post(`/api/v1/conversations/${conv}/messages`, { template });
  const body = ['4711', 'mañana'];
  const cases = [
    [{ name: 'no_existe', language: 'es' }, /'no_existe' is not synced/],
    [{ name: 'pedido_enviado', language: 'de', parameters: { header: ['Ana'], body } }, /no 'de' version \(synced: en_US, es\)/],
    [{ name: 'recordatorio', language: 'es' }, /PENDING, not APPROVED/],
    [{ name: 'pedido_enviado', language: 'es', parameters: { header: ['Ana'], body: ['4711'] } }, /takes 2 body parameters, 1 given/],
    [{ name: 'pedido_enviado', language: 'es', parameters: { header: ['Ana'], body: [...body, 'otro'] } }, /takes 2 body parameters, 3 given/],
    [{ name: 'pedido_enviado', language: 'es', parameters: { body } }, /takes 1 header parameter, 0 given/],
    [{ name: 'pedido_enviado', language: 'es', parameters: { header: ['Ana'], body: ['x'.repeat(1025), 'mañana'] } }, /longer than 1024 characters/],
    [{ name: 'pedido_enviado', language: 'es', parameters: { header: { link: 'https://shop.example.com/a.jpg' }, body } }, /text header, not a media one/],
    [{ name: 'recordatorio', language: 'es', parameters: { header: { link: 'https://x.example/a.jpg' } } }, /PENDING/],
    [{ name: 'aviso_000', language: 'en_US', parameters: { header: ['x'], body: ['1'] } }, /has no header/],
    [{ name: 'oferta', language: 'es', parameters: { body: ['20 %'], buttons: ['verano'] } }, /IMAGE header: 'header' is required/],
    [{ name: 'oferta', language: 'es', parameters: { header: { link: 'ftp://x/a.jpg' }, body: ['1'], buttons: ['v'] } }, /IMAGE header/],
    [{ name: 'oferta', language: 'es', parameters: { header: { link: 'https://x.example/a.jpg' }, body: ['1'] } }, /takes 1 buttons parameter, 0 given/],
    [{ name: 'pedido_enviado', language: 'es', parameters: { header: ['Ana'], body: ['47\n11', 'mañana'] } }, /line break/],
    [{ name: 'pedido_enviado', language: 'es', parameters: { header: ['Ana'], body: ['', 'mañana'] } }, /is empty/],
    [{ name: 'pedido_enviado', language: 'es', parameters: { header: ['Ana'], body: [7, 'mañana'] } }, /must be a text/],
    [{ name: 'pedido_enviado', language: 'es', parameters: { header: ['Ana'], body, footer: ['x'] } }, /not 'footer'/],
  ];
  const messages = count('messages');
  const outbox = count('outbox');
  fake.clearRequests();
  for (const [template, why] of cases) {
    const r = await send(template);
    assertError(r, 422, 'unprocessable');
    assert.match(r.json.error.message, why, JSON.stringify(template));
  }
  // Malformed requests are 400s.
  assertError(await send('pedido_enviado'), 400, 'invalid_request');
  assertError(await send({ name: 'pedido_enviado' }), 400, 'invalid_request');
  assertError(await admin.post(`/api/v1/conversations/${conv}/messages`, { text: 'hola', template: { name: 'x', language: 'es' } }), 400, 'invalid_request');
  // A template on another provider's conversation.
  const fb = await customerWrites(s, 'messenger', '6500000000000777', 'Hola');
  assertError(await admin.post(`/api/v1/conversations/${fb}/messages`, { template: { name: 'pedido_enviado', language: 'es' } }), 422, 'unprocessable');

  assert.equal(count('messages'), messages + 1); // the customer's Messenger message only
  assert.equal(count('outbox'), outbox);
  assert.equal(fake.done({ op: 'send' }).length, 0, fake.describe());
});

test('free text outside the 24-hour window is still refused with 409', async () => {
  const conv = await conversationQuietFor('34611000003', 25);
  const messages = count('messages');
  const r = await admin.post(`/api/v1/conversations/${conv}/messages`, { text: 'Hola de nuevo' });
  assertError(r, 409, 'conflict');
  assert.match(r.json.error.message, /24 hours.*send a template/);
  assert.equal(count('messages'), messages);
  const c = await admin.get(`/api/v1/conversations/${conv}`);
  assert.equal(c.json.conversation.window_open, false);
});

test('an agent writes first to a new number: contact, conversation in their team assigned to them', async () => {
  await syncTemplates();
  const agent = await agentClient(s, admin, 'vendedora@example.com', 'Vera');
  const team = (await admin.post('/api/v1/teams', { name: 'Ventas' })).json.team;
  assert.equal((await admin.post(`/api/v1/teams/${team.id}/members`, { user_id: agent.user.id })).status, 201);
  const template = { name: 'pedido_enviado', language: 'es', parameters: { header: ['Luis'], body: ['900', 'hoy'] } };
  fake.clearRequests();
  const r = await agent.post('/api/v1/conversations', { channel_id: ch.whatsapp.id, to: '+34 600 999 888'.replace(/ /g, ''), template });
  assert.equal(r.status, 201, r.text);
  const c = r.json.conversation;
  assert.equal(c.team_id, team.id);
  assert.equal(c.assignee_id, agent.user.id);
  assert.equal(c.status, 'open');
  assert.equal(c.window_open, false);
  const [sent] = await fake.waitForSent(1, { kind: 'whatsapp', to: '34600999888' });
  assert.equal(sent.body.type, 'template');
  assert.equal(sql(s, `SELECT k.name || '|' || k.phone FROM contacts k JOIN conversations v ON v.contact_id = k.id WHERE v.id = ${c.id}`), '+34600999888|+34600999888');
  const m = await agent.get(`/api/v1/conversations/${c.id}/messages`);
  assert.equal(m.json.messages[0].text, 'Hola Luis\n\nTu pedido 900 llega hoy.\n\nTienda Centralita');

  // The same number again while that conversation is open; bad numbers; a team not theirs;
  // a bad template: refused, and nothing is created.
  const before = [count('conversations'), count('contacts'), count('messages')];
  let e = await agent.post('/api/v1/conversations', { channel_id: ch.whatsapp.id, to: '34600999888', template });
  assertError(e, 409, 'conflict');
  assert.match(e.json.error.message, new RegExp(`conversation ${c.id}`));
  for (const to of ['600', '34-600-999', '0034600999888', 'abc', '3460099988812345']) {
    assertError(await agent.post('/api/v1/conversations', { channel_id: ch.whatsapp.id, to, template }), 400, 'invalid_request');
  }
  const other = (await admin.post('/api/v1/teams', { name: 'Soporte' })).json.team;
  assertError(await agent.post('/api/v1/conversations', { channel_id: ch.whatsapp.id, to: '34600999001', team_id: other.id, template }), 422, 'unprocessable');
  assertError(await agent.post('/api/v1/conversations', { channel_id: ch.messenger.id, to: '34600999001', template }), 422, 'unprocessable');
  assertError(await agent.post('/api/v1/conversations', { channel_id: 999, to: '34600999001', template }), 422, 'unprocessable');
  assertError(await agent.post('/api/v1/conversations', { channel_id: ch.whatsapp.id, to: '34600999001', template: { ...template, language: 'fr' } }), 422, 'unprocessable');
  assertError(await agent.post('/api/v1/conversations', { channel_id: ch.whatsapp.id, to: '34600999001' }), 400, 'invalid_request');
  // In two teams, the agent says which.
  assert.equal((await admin.post(`/api/v1/teams/${other.id}/members`, { user_id: agent.user.id })).status, 201);
  e = await agent.post('/api/v1/conversations', { channel_id: ch.whatsapp.id, to: '34600999001', template });
  assertError(e, 422, 'unprocessable');
  assert.match(e.json.error.message, /team_id/);
  assert.deepEqual([count('conversations'), count('contacts'), count('messages')], before);
  const chosen = await agent.post('/api/v1/conversations', { channel_id: ch.whatsapp.id, to: '34600999001', team_id: other.id, template });
  assert.equal(chosen.status, 201, chosen.text);
  assert.equal(chosen.json.conversation.team_id, other.id);
});

test('Messenger: a human reply after 25 hours carries the HUMAN_AGENT tag; after 7 days it is refused', async () => {
  const late = await conversationQuietFor('6500000000000101', 25, 'messenger');
  fake.clearRequests();
  const r = await admin.post(`/api/v1/conversations/${late}/messages`, { text: 'Perdona la espera' });
  assert.equal(r.status, 201, r.text);
  const [sent] = await fake.waitForSent(1, { kind: 'messenger', to: '6500000000000101' });
  assert.deepEqual(sent.body, { recipient: { id: '6500000000000101' }, messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', message: { text: 'Perdona la espera' } });

  const fresh = await conversationQuietFor('6500000000000102', 2, 'messenger');
  assert.equal((await admin.post(`/api/v1/conversations/${fresh}/messages`, { text: 'Enseguida' })).status, 201);
  const [inWindow] = await fake.waitForSent(1, { kind: 'messenger', to: '6500000000000102' });
  assert.equal(inWindow.body.messaging_type, 'RESPONSE');
  assert.equal(inWindow.body.tag, undefined);

  const old = await conversationQuietFor('6500000000000103', 24 * 7 + 1, 'messenger');
  const messages = count('messages');
  const refused = await admin.post(`/api/v1/conversations/${old}/messages`, { text: 'Hola' });
  assertError(refused, 409, 'conflict');
  assert.match(refused.json.error.message, /7 days/);
  assert.equal(count('messages'), messages);
  // Instagram keeps the 24-hour rule.
  const ig = await conversationQuietFor('9800000000000101', 25, 'instagram');
  assertError(await admin.post(`/api/v1/conversations/${ig}/messages`, { text: 'Hola' }), 409, 'conflict');
});
