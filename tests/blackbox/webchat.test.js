// Web chat, the fifth channel: the channel (API and CLI), the public visitor API (session,
// messages, history, the stream) with its CORS, origin check and rate limits, routing and
// the agents' side, demo mode, and migration 0010 on a database that already has data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, cli, tempDir } from './lib/server.js';
import { dump, sql, databaseAt } from './lib/db.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';
import { openStream, findEvent } from './lib/sse.js';
import { Visitor, createWebchat } from './lib/webchat.js';
import { until } from './lib/until.js';

const MENU = {
  enabled: true,
  welcome_message: '¡Hola! ¿Con qué área quieres hablar? 1. Soporte 2. Ventas',
  fallback_message: 'Perdona, no te he entendido. Responde 1 o 2.',
  assignment_message: 'Te atiende el equipo de {team}.',
  max_attempts: 3,
  give_up_message: 'Un compañero te atenderá enseguida.',
  options: [
    { answers: ['1', 'soporte'], team: 'Soporte' },
    { answers: ['2', 'ventas', 'comprar'], team: 'Ventas' },
  ],
};

let s, admin, web, teams;
before(async () => {
  s = await startServer({ env: { CENTRALITA_PUBLIC_URL: 'https://chat.example.com' } });
  admin = await adminClient(s);
  teams = {};
  for (const name of ['Soporte', 'Ventas'])
    teams[name] = (await admin.post('/api/v1/teams', { name })).json.team.id;
  assert.equal((await admin.put('/api/v1/routing', MENU)).status, 200);
  web = await createWebchat(admin);
});
after(async () => s.stop());

const visitor = (key = web.widget_key, opts) => new Visitor(s.url, key, opts);

test('an admin creates a web chat channel: a public widget key and the snippet to paste', async () => {
  assert.equal(web.kind, 'webchat');
  assert.match(web.widget_key, /^wck_[A-Za-z0-9_-]{43}$/);
  assert.equal(web.snippet, `<script src="https://chat.example.com/widget.js" data-key="${web.widget_key}" async></script>`);
  assert.equal(web.allowed_origins, null);
  assert.equal(web.webhook_url, undefined);
  const limited = await createWebchat(admin, { name: 'Tienda', allowed_origins: ['https://shop.example.com', 'http://localhost:3000'] });
  assert.deepEqual(limited.allowed_origins, ['https://shop.example.com', 'http://localhost:3000']);
  assert.notEqual(limited.widget_key, web.widget_key);
  assert.deepEqual((await admin.get(`/api/v1/channels/${limited.id}`)).json.channel, limited);
});

test('bad web chat channels are refused with a clear error, and nothing changes', async () => {
  const before = dump(s);
  for (const body of [
    { kind: 'webchat', name: 'W', allowed_origins: [] },
    { kind: 'webchat', name: 'W', allowed_origins: 'https://a.example' },
    { kind: 'webchat', name: 'W', allowed_origins: ['https://a.example/shop'] },
    { kind: 'webchat', name: 'W', allowed_origins: ['HTTPS://A.EXAMPLE'] },
    { kind: 'webchat', name: 'W', allowed_origins: ['ftp://a.example'] },
    { kind: 'webchat', name: 'W', allowed_origins: ['https://a.example', 'https://a.example'] },
    { kind: 'webchat', name: 'W', allowed_origins: [7] },
    { kind: 'webchat', name: 'W', allowed_origins: Array.from({ length: 17 }, (_, i) => `https://s${i}.example`) },
    { kind: 'webchat', name: 'W', bot_token: '123:abc' },
    { kind: 'webchat' },
    { kind: 'telegram', name: 'T', bot_token: '123456:ABCDEFGHIJKLMNOPQRSTUV', allowed_origins: ['https://a.example'] },
  ])
    assertError(await admin.post('/api/v1/channels', body), 400, 'invalid_request');
  assert.equal(dump(s), before);
});

test('the CLI connects a web chat with allowed origins and prints the embed code', () => {
  const dir = tempDir();
  assert.equal(cli(dir, ['migrate']).status, 0);
  let r = cli(dir, ['channel', 'add', 'webchat', '--name', 'Web', '--allowed-origins', 'https://a.example,https://b.example:8443']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /embed code: <script src="http:\/\/127\.0\.0\.1:8080\/widget\.js" data-key="wck_[\w-]{43}" async><\/script>/);
  r = cli(dir, ['channel', 'add', 'webchat', '--name', 'Web', '--allowed-origins', 'https://a.example/path']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /allowed_origins/);
  // Its messages come from the widget, not from a webhook to simulate.
  r = cli(dir, ['simulate', 'webchat', '--channel', '1', '--from', '1', '--text', 'hola']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /widget/);
});

test('a visitor starts a session, resumes it with its token, and only the hash is stored', async () => {
  const v = visitor();
  const first = await v.start();
  assert.equal(first.status, 201);
  assert.match(v.visitorToken, /^wvt_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual({ ...first.json, token: undefined }, { token: undefined, resumed: false, has_conversation: false, ask_contact: false });
  const again = await v.start();
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, { token: v.visitorToken, resumed: true, has_conversation: false, ask_contact: false });
  assert.ok(!dump(s).includes(v.visitorToken), 'the visitor token is stored in clear');
  // A token that is not this channel's starts a new session rather than failing.
  const other = visitor();
  other.visitorToken = 'wvt_forged';
  const fresh = await other.start();
  assert.equal(fresh.status, 201);
  assert.notEqual(fresh.json.token, 'wvt_forged');
});

test('session refusals: unknown key, bad bodies; nothing changes', async () => {
  const before = dump(s);
  const v = visitor('wck_nope');
  const post = (body) => v.request('POST', '/api/v1/webchat/session', body);
  assertError(await post({ key: 'wck_nope' }), 404, 'not_found');
  assertError(await post({}), 400, 'invalid_request');
  assertError(await post({ key: web.widget_key, colour: 'red' }), 400, 'invalid_request');
  assertError(await post({ key: web.widget_key, name: 'x'.repeat(101) }), 400, 'invalid_request');
  assertError(await post({ key: web.widget_key, name: 'a\u0007b' }), 400, 'invalid_request');
  assertError(await post('{"key": '), 400, 'invalid_json');
  assertError(await v.request('GET', '/api/v1/webchat/session'), 405, 'method_not_allowed');
  assert.equal(dump(s), before);
});

test('a visitor message goes through routing: welcome, fallback, then the team and its message', async () => {
  const v = visitor();
  await v.start({ name: 'Lucía' });
  const r = await v.send('hola');
  assert.equal(r.status, 201, r.text);
  assert.equal(r.json.duplicate, false);
  let messages = await v.waitForReply(/Con qué área/, 'the welcome');
  assert.deepEqual(messages.map((m) => [m.direction, m.sender, m.text]), [
    ['in', 'contact', 'hola'],
    ['out', 'routing', MENU.welcome_message],
  ]);
  assert.equal(messages[0].id, r.json.message_id);
  assert.equal((await v.send('no sé')).status, 201);
  await v.waitForReply(/no te he entendido/, 'the fallback');
  assert.equal((await v.send('quiero comprar')).status, 201);
  messages = await v.waitForReply(/equipo de Ventas/, 'the assignment message');
  const conversation = (await admin.get(`/api/v1/conversations?channel=${web.id}`)).json.conversations
    .find((c) => c.contact.name === 'Lucía');
  assert.equal(conversation.team_id, teams.Ventas);
  assert.equal(conversation.channel.kind, 'webchat');
  assert.equal(conversation.window_open, true);
  // Fetched messages that were sent become delivered, for the agents' ticks.
  await until(async () => {
    const agentView = (await admin.get(`/api/v1/conversations/${conversation.id}/messages`)).json.messages;
    return agentView.filter((m) => m.direction === 'out').every((m) => m.status === 'delivered');
  }, 'the routing messages to be delivered');
  assert.equal((await v.start()).json.has_conversation, true);
});

test('a retried POST with the same client_id is stored once', async () => {
  const v = visitor();
  await v.start();
  const first = await v.send('¿tenéis envíos?', 'retry-1');
  const again = await v.send('¿tenéis envíos?', 'retry-1');
  assert.equal(first.status, 201);
  assert.equal(again.status, 200);
  assert.deepEqual(again.json, { message_id: first.json.message_id, duplicate: true });
  assert.equal(sql(s, "SELECT count(*) FROM messages WHERE text = '¿tenéis envíos?'"), '1');
  // Another visitor's identical client id is another message.
  const other = visitor();
  await other.start();
  assert.equal((await other.send('¿tenéis envíos?', 'retry-1')).status, 201);
  assert.equal(sql(s, "SELECT count(*) FROM messages WHERE text = '¿tenéis envíos?'"), '2');
});

test('bad visitor messages: a clear error each, nothing changes', async () => {
  const v = visitor();
  await v.start();
  await v.send('primero');
  await v.waitForReply(/Con qué área/);
  const before = dump(s);
  const post = (body, token = v.visitorToken) => v.request('POST', '/api/v1/webchat/messages', body, { 'x-visitor-token': token });
  assertError(await post({ text: '', client_id: 'a' }), 400, 'invalid_request');
  assertError(await post({ text: ' \n\t ', client_id: 'a' }), 400, 'invalid_request');
  assertError(await post({ text: 'x'.repeat(4097), client_id: 'a' }), 400, 'invalid_request');
  assertError(await post({ text: 'ñ'.repeat(2049), client_id: 'a' }), 400, 'invalid_request');
  assertError(await post({ text: 'a\u0000b', client_id: 'a' }), 400, 'invalid_json');
  assertError(await post({ text: 'a\u001bb', client_id: 'a' }), 400, 'invalid_request');
  assertError(await post({ text: 'hola', client_id: 'a b' }), 400, 'invalid_request');
  assertError(await post({ text: 'hola', client_id: 'x'.repeat(65) }), 400, 'invalid_request');
  assertError(await post({ text: 'hola' }), 400, 'invalid_request');
  assertError(await post({ text: 'hola', client_id: 'a', extra: 1 }), 400, 'invalid_request');
  assertError(await post({ text: 7, client_id: 'a' }), 400, 'invalid_request');
  assertError(await post('[1]'), 400, 'invalid_request');
  assertError(await post({ text: 'hola', client_id: 'a' }, 'wvt_forged'), 401, 'unauthenticated');
  const anonymous = visitor();
  assertError(await anonymous.request('POST', '/api/v1/webchat/messages', { text: 'hola', client_id: 'a' }), 401, 'unauthenticated');
  assertError(await anonymous.request('GET', '/api/v1/webchat/messages'), 401, 'unauthenticated');
  assertError(await v.request('GET', '/api/v1/webchat/messages?after=-1'), 400, 'invalid_request');
  assertError(await v.request('GET', '/api/v1/webchat/messages?after=x'), 400, 'invalid_request');
  assert.equal(dump(s), before);
  // Exactly 4096 bytes is fine.
  assert.equal((await post({ text: 'ñ'.repeat(2048), client_id: 'max' })).status, 201);
});

test('a visitor sees its own conversation only: history and stream', async () => {
  const a = visitor();
  const b = visitor();
  await a.start();
  await b.start();
  await a.send('soy A, mi pedido 1234');
  await a.waitForReply(/Con qué área/);
  assertError(await b.request('POST', '/api/v1/webchat/stream-ticket'), 409, 'conflict');
  await b.send('soy B');
  await b.waitForReply(/Con qué área/);
  const streamA = await a.stream();
  const streamB = await b.stream();
  assert.equal(streamA.status, 200);
  assert.match(streamA.headers['content-type'], /^text\/event-stream/);
  const convA = (await admin.get(`/api/v1/conversations?q=${encodeURIComponent('pedido 1234')}`)).json.conversations[0];
  const reply = await admin.post(`/api/v1/conversations/${convA.id}/messages`, { text: 'Hola A, lo miro' });
  assert.equal(reply.status, 201, reply.text);
  const [replyId] = reply.json.message_ids;
  await streamA.waitFor((st) => st.events.some((e) => e.data.message_id === replyId), 'the reply on A\'s stream');
  const ev = streamA.events.find((e) => e.data.message_id === replyId);
  assert.equal(ev.event, 'message.updated');
  assert.equal(ev.data.status, 'sent');
  assert.ok((await a.history()).some((m) => m.id === replyId && m.text === 'Hola A, lo miro'));
  // A later reply to B reaches B's stream; anything of A's would have come before it.
  const convB = Number(sql(s, `SELECT conversation_id FROM messages WHERE id = ${(await b.history())[0].id}`));
  const replyB = await admin.post(`/api/v1/conversations/${convB}/messages`, { text: 'Hola B' });
  assert.equal(replyB.status, 201, replyB.text);
  const [replyBId] = replyB.json.message_ids;
  await streamB.waitFor((st) => st.events.some((e) => e.data.message_id === replyBId), 'the reply on B\'s stream');
  const historyB = await b.history();
  assert.ok(streamB.events.every((e) => historyB.some((m) => m.id === e.data.message_id)), streamB.text);
  assert.ok(historyB.every((m) => !/A/.test(m.text) || m.direction === 'out'), JSON.stringify(historyB));
  assert.ok(!historyB.some((m) => m.id === replyId));
  // The stream needs a valid ticket.
  const anon = await openStream({ url: s.url }, { path: '/api/v1/webchat/stream?ticket=wst_forged' });
  assert.equal(anon.status, 401);
  anon.close();
  streamA.close();
  streamB.close();
});

test('the stream opens with a single-use ticket, never with the token in its URL', async () => {
  const v = visitor();
  await v.start();
  assertError(await v.request('POST', '/api/v1/webchat/stream-ticket', undefined, { 'x-visitor-token': 'wvt_forged' }), 401, 'unauthenticated');
  await v.send('hola, quiero un ticket');
  await v.waitForReply(/Con qué área/);
  // The old form is refused, saying what to do instead.
  const old = await v.request('GET', `/api/v1/webchat/stream?token=${encodeURIComponent(v.visitorToken)}`);
  assertError(old, 400, 'invalid_request');
  assert.match(old.json.error.message, /never goes in a URL.*stream-ticket/);
  assertError(await v.request('GET', '/api/v1/webchat/stream'), 401, 'unauthenticated');
  const r = await v.request('POST', '/api/v1/webchat/stream-ticket');
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.ticket, /^wst_[A-Za-z0-9_-]{43}$/);
  assert.equal(r.json.expires_in, 60);
  // Only its hash is kept, for a minute.
  const [hash, expires] = sql(s, 'SELECT ticket_hash, expires_at FROM webchat_stream_tickets ORDER BY expires_at DESC LIMIT 1').split('|');
  assert.ok(!hash.includes(r.json.ticket.slice(4)));
  assert.ok(Number(expires) > Date.now() + 50000 && Number(expires) <= Date.now() + 60000, expires);
  const path = `/api/v1/webchat/stream?ticket=${encodeURIComponent(r.json.ticket)}`;
  const first = await openStream({ url: s.url }, { path });
  assert.equal(first.status, 200);
  // Spent: the same ticket opens nothing more, while the first stream goes on.
  const again = await openStream({ url: s.url }, { path });
  assert.equal(again.status, 401);
  await again.waitFor((st) => /unknown, used or expired/.test(st.text), 'the refusal');
  again.close();
  // An expired one opens nothing either.
  const late = await v.ticket();
  sql(s, 'UPDATE webchat_stream_tickets SET expires_at = 1');
  const expired = await openStream({ url: s.url }, { path: `/api/v1/webchat/stream?ticket=${encodeURIComponent(late)}` });
  assert.equal(expired.status, 401);
  expired.close();
  first.close();
});

test('the agents see a visitor\'s conversation live, under the visibility rule', async () => {
  const ana = await agentClient(s, admin, 'ana.web@example.com', 'Ana');
  const bruno = await agentClient(s, admin, 'bruno.web@example.com', 'Bruno');
  await admin.post(`/api/v1/teams/${teams.Soporte}/members`, { user_id: ana.user.id });
  const anaEvents = await openStream(ana);
  const v = visitor();
  await v.start({ name: 'Marta Web' });
  const sent = await v.send('necesito soporte');
  // "match_first_message" is off: the first message gets the welcome; the answer routes.
  await v.waitForReply(/Con qué área/);
  await v.send('1');
  await v.waitForReply(/equipo de Soporte/);
  const conv = (await admin.get(`/api/v1/conversations?channel=${web.id}&q=Marta`)).json.conversations[0];
  assert.equal(conv.team_id, teams.Soporte);
  await anaEvents.waitFor((st) => findEvent(st, 'message.created', conv.id), 'the visitor\'s message on Ana\'s stream');
  assert.ok(anaEvents.events.some((e) => e.data.message_id === sent.json.message_id));
  const list = (await ana.get(`/api/v1/conversations?view=team:${teams.Soporte}`)).json.conversations;
  assert.ok(list.some((c) => c.id === conv.id && c.contact.name === 'Marta Web'));
  assertError(await bruno.get(`/api/v1/conversations/${conv.id}`), 404, 'not_found');
  anaEvents.close();
});

test('CORS: preflight, any origin by default, and the allowed origins when the channel lists them', async () => {
  const pre = await fetch(`${s.url}/api/v1/webchat/messages`, {
    method: 'OPTIONS',
    headers: { origin: 'https://any.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-visitor-token' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://any.example');
  assert.match(pre.headers.get('access-control-allow-headers'), /X-Visitor-Token/i);
  assert.match(pre.headers.get('access-control-allow-methods'), /POST/);

  const open = visitor(web.widget_key, { origin: 'https://any.example' });
  const r = await open.start();
  assert.equal(r.headers.get('access-control-allow-origin'), 'https://any.example');
  assert.equal(r.headers.get('vary'), 'Origin');

  const shop = await createWebchat(admin, { name: 'Shop', allowed_origins: ['https://shop.example.com'] });
  const good = visitor(shop.widget_key, { origin: 'https://shop.example.com' });
  assert.equal((await good.start()).headers.get('access-control-allow-origin'), 'https://shop.example.com');
  assert.equal((await good.send('hola')).status, 201);
  await good.waitForReply(/Con qué área/);
  const before = dump(s);
  const evil = visitor(shop.widget_key, { origin: 'https://evil.example' });
  const refused = await evil.request('POST', '/api/v1/webchat/session', { key: shop.widget_key });
  assertError(refused, 403, 'forbidden');
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
  // A stolen token used from another site is refused too.
  evil.visitorToken = good.visitorToken;
  assertError(await evil.send('hola'), 403, 'forbidden');
  assertError(await evil.request('GET', '/api/v1/webchat/messages'), 403, 'forbidden');
  assert.equal(dump(s), before);
  // Without an Origin the request is not a page's: allowed (a server can forge any Origin).
  const server = visitor(shop.widget_key);
  assert.equal((await server.start()).status, 201);
});

test('rate limits: 20 messages a minute per visitor, with Retry-After', async () => {
  const v = visitor();
  await v.start();
  for (let i = 0; i < 20; i++) assert.equal((await v.send(`mensaje ${i}`)).status, 201);
  // Routing's answers settle first (sent, then delivered once fetched).
  await until(() => sql(s, 'SELECT count(*) FROM outbox') === '0', 'an empty outbox');
  await v.history();
  const before = dump(s);
  const r = await v.send('uno más');
  assertError(r, 429, 'too_many_attempts');
  const wait = Number(r.headers.get('retry-after'));
  assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
  assert.equal(dump(s), before);
  // Others are not held back.
  const other = visitor();
  await other.start();
  assert.equal((await other.send('hola')).status, 201);
});

test('rate limits: 20 new sessions per address in 10 minutes', async () => {
  const t = await startServer();
  const a = await adminClient(t);
  const ch = await createWebchat(a);
  for (let i = 0; i < 20; i++) assert.equal((await new Visitor(t.url, ch.widget_key).start()).status, 201);
  const before = dump(t);
  const r = await new Visitor(t.url, ch.widget_key).request('POST', '/api/v1/webchat/session', { key: ch.widget_key });
  assertError(r, 429, 'too_many_attempts');
  assert.ok(Number(r.headers.get('retry-after')) > 500);
  assert.equal(dump(t), before);
  await t.stop();
});

test('a removed web chat closes its visitors\' sessions', async () => {
  const ch = await createWebchat(admin, { name: 'Temporal' });
  const v = visitor(ch.widget_key);
  await v.start();
  assert.equal((await admin.del(`/api/v1/channels/${ch.id}`)).status, 200);
  assertError(await v.send('¿hola?'), 401, 'unauthenticated');
  assertError(await v.request('POST', '/api/v1/webchat/session', { key: ch.widget_key }), 404, 'not_found');
});

test('widget.js is served at /widget.js with an ETag', async () => {
  const r = await fetch(`${s.url}/widget.js`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/javascript/);
  const source = await r.text();
  assert.equal(source, readFileSync(new URL('../../web/widget.js', import.meta.url), 'utf8'));
  assert.doesNotMatch(source, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
  const again = await fetch(`${s.url}/widget.js`, { headers: { 'if-none-match': r.headers.get('etag') } });
  assert.equal(again.status, 304);
});

test('demo mode off: no /api/v1/demo and no demo page', async () => {
  assertError(await new Client(s.url).get('/api/v1/demo'), 404, 'not_found');
  const page = await (await fetch(`${s.url}/demo`)).text();
  assert.doesNotMatch(page, /demo\.js/);
});

test('demo mode: a new database gets the demo account, printed once; a second start adds nothing', async () => {
  const d = await startServer({ env: { CENTRALITA_DEMO: '1' } });
  const passwords = Object.fromEntries([...d.stdout.matchAll(/(\S+@demo\.local)\s+password: (\S+)/g)].map((m) => [m[1], m[2]]));
  assert.deepEqual(Object.keys(passwords).sort(), ['admin@demo.local', 'ana@demo.local', 'bruno@demo.local']);
  assert.doesNotMatch(d.stdout, /admin@example\.com/);
  const demoAdmin = new Client(d.url);
  await demoAdmin.login('admin@demo.local', passwords['admin@demo.local']);
  const teamList = (await demoAdmin.get('/api/v1/teams')).json.teams;
  assert.deepEqual(teamList.map((t) => t.name).sort(), ['Contabilidad', 'Marketing', 'Soporte', 'Ventas']);
  const members = async (name) => (await demoAdmin.get(`/api/v1/teams/${teamList.find((t) => t.name === name).id}`)).json.team.members.map((m) => m.email);
  assert.deepEqual(await members('Soporte'), ['ana@demo.local']);
  assert.deepEqual(await members('Ventas'), ['ana@demo.local']);
  assert.deepEqual(await members('Marketing'), ['bruno@demo.local']);
  assert.deepEqual(await members('Contabilidad'), ['bruno@demo.local']);
  const routing = (await demoAdmin.get('/api/v1/routing')).json;
  assert.equal(routing.enabled, true);
  assert.equal(routing.welcome_message, '¡Hola! ¿Con qué área quieres hablar? 1. Soporte 2. Ventas 3. Marketing 4. Contabilidad');
  assert.deepEqual(routing.options.map((o) => o.team), ['Soporte', 'Ventas', 'Marketing', 'Contabilidad']);
  const explain = (await demoAdmin.post('/api/v1/routing/explain', { text: 'tengo una duda con mi factura' })).json;
  assert.equal(explain.team, 'Contabilidad');
  const ana = new Client(d.url);
  await ana.login('ana@demo.local', passwords['ana@demo.local']);
  const demo = (await new Client(d.url).get('/api/v1/demo')).json;
  const channelList = (await demoAdmin.get('/api/v1/channels')).json.channels;
  assert.deepEqual(channelList.map((c) => [c.kind, c.widget_key]), [['webchat', demo.widget_key]]);
  // Soporte and Ventas hand conversations out in turn: a visitor routed to Soporte is Ana's.
  assert.deepEqual(teamList.filter((t) => t.assignment === 'round_robin').map((t) => t.name).sort(), ['Soporte', 'Ventas']);
  const visitor = new Visitor(d.url, demo.widget_key);
  await visitor.start();
  assert.equal((await visitor.send('Hola')).status, 201);
  await visitor.waitForReply(/Con qué área/);
  assert.equal((await visitor.send('tengo un problema, no funciona')).status, 201);
  await visitor.waitForReply(/equipo de Soporte/);
  const [routed] = (await ana.get('/api/v1/conversations?view=mine')).json.conversations;
  assert.equal(routed?.team?.name, 'Soporte');
  assert.equal(routed.assignee.name, 'Ana');
  const page = await fetch(`${d.url}/demo`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="\/assets\/demo\.js"><\/script>/);

  await d.stop({ keepDir: true });
  const again = await startServer({ dir: d.dir, env: { CENTRALITA_DEMO: '1' } });
  assert.doesNotMatch(again.stdout, /password/);
  assert.equal(sql(again, 'SELECT count(*) FROM users'), '3');
  assert.equal(sql(again, 'SELECT count(*) FROM teams'), '4');
  assert.equal(sql(again, "SELECT count(*) FROM channels WHERE kind = 'webchat'"), '1');
  await again.stop();
});

test('demo mode leaves a database that already has users alone', async () => {
  const d = await startServer();
  await d.stop({ keepDir: true });
  const again = await startServer({ dir: d.dir, env: { CENTRALITA_DEMO: '1' } });
  assert.doesNotMatch(again.stdout, /demo\.local/);
  assert.equal(sql(again, "SELECT count(*) FROM users WHERE email LIKE '%@demo.local'"), '0');
  assertError(await new Client(again.url).get('/api/v1/demo'), 404, 'not_found');
  await again.stop();
  const bad = cli(tempDir(), ['serve', '--demo', 'yes']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--demo: expected 1 or 0/);
});

// A database as the previous release left it: schema 0001-0007 with channels, a
// conversation, messages, the outbox and events. Migration 0010 rebuilds channels.
test('migration 0010 keeps every channel, conversation and reference of an existing database', async () => {
  // SQLite's own rebuild, on either run of the suite (PostgreSQL's 0010 alters in place).
  const dir = tempDir();
  const db = databaseAt(dir, 7, { backend: 'sqlite' });
  sql(db, `PRAGMA foreign_keys=ON;
    INSERT INTO channels (id, account_id, kind, name, external_id, credentials, hints, verify_token_hash, telegram_mode, telegram_offset, is_active, last_inbound_at, created_at, updated_at) VALUES
      (3, 1, 'whatsapp', 'WA', '106540352242922', 'sealed', '{"access_token":"0001"}', 'abc', NULL, 0, 1, 5, 1, 2),
      (7, 1, 'telegram', 'TG', '7000000001', 'sealed2', '{"bot_token":"0004"}', NULL, 'polling', 42, 0, NULL, 3, 4);
    INSERT INTO contacts (id, account_id, name, created_at, updated_at) VALUES (1, 1, 'Marta', 0, 0);
    INSERT INTO contact_identities (id, account_id, contact_id, channel_id, external_id, created_at) VALUES (1, 1, 1, 3, '34600000002', 0);
    INSERT INTO conversations (id, account_id, channel_id, contact_id, identity_id, status, last_activity_at, created_at, updated_at) VALUES (1, 1, 3, 1, 1, 'open', 9, 0, 0);
    INSERT INTO messages (id, account_id, conversation_id, channel_id, direction, sender, type, text, provider_message_id, status, created_at) VALUES (1, 1, 1, 3, 'in', 'contact', 'text', 'hola', 'wamid.1', 'received', 9), (2, 1, 1, 3, 'out', 'agent', 'text', 'buenas', NULL, 'queued', 10);
    INSERT INTO outbox (account_id, message_id, conversation_id, channel_id, state, next_attempt_at, queued_at) VALUES (1, 2, 1, 3, 'pending', 10, 10);`);
  const channelsBefore = sql(db, 'SELECT * FROM channels ORDER BY id');
  const keep = (t) => sql(db, `SELECT * FROM ${t} ORDER BY id`);
  const others = ['contact_identities', 'conversations', 'messages', 'outbox'].map(keep);

  const r = cli(dir, ['migrate'], { CENTRALITA_DB: `sqlite:${db.db}` });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /schema version (\d+)/);
  assert.ok(Number(r.stdout.match(/schema version (\d+)/)[1]) >= 10);
  // The old columns are unchanged, in place, with the new one (allowed_origins) empty.
  const after = sql(db, 'SELECT id, account_id, kind, name, external_id, credentials, hints, verify_token_hash, telegram_mode, telegram_offset, telegram_webhook_at, is_active, last_inbound_at, last_error, last_error_at, created_at, updated_at FROM channels ORDER BY id');
  assert.equal(after, channelsBefore);
  assert.equal(sql(db, 'SELECT count(*) FROM channels WHERE allowed_origins IS NULL'), '2');
  // Every row as it was, in its old columns (later migrations add columns at the end).
  const tables = ['contact_identities', 'conversations', 'messages', 'outbox'];
  tables.map(keep).forEach((rows, i) => {
    const was = others[i].split('\n');
    const now = rows.split('\n');
    assert.equal(now.length, was.length, tables[i]);
    now.forEach((row, k) => assert.ok(row === was[k] || row.startsWith(`${was[k]}|`), `${tables[i]}: ${row} was ${was[k]}`));
  });
  assert.equal(sql(db, 'PRAGMA foreign_key_check; PRAGMA integrity_check;'), 'ok');
  const schema = sql(db, '.schema');
  assert.doesNotMatch(schema, /channels_new/);
  assert.match(schema, /CREATE UNIQUE INDEX channels_external/);
  assert.match(schema, /REFERENCES channels \(id\)/);
  // The rebuilt table takes the new kind (a row as channel add writes it: the CLI refuses
  // this database, whose made-up credentials no key opens), and foreign keys hold again.
  sql(db, "INSERT INTO channels (account_id, kind, name, external_id, credentials, hints, created_at, updated_at) VALUES (1, 'webchat', 'Web', 'wck_x', 'sealed3', '{}', 5, 5);");
  assert.equal(sql(db, "SELECT count(*) FROM channels WHERE kind = 'webchat'"), '1');
  assert.throws(() => sql(db, "PRAGMA foreign_keys=ON; INSERT INTO conversations (account_id, channel_id, contact_id, identity_id, status, last_activity_at, created_at, updated_at) VALUES (1, 99, 1, 1, 'resolved', 0, 0, 0);"),
    /FOREIGN KEY constraint failed/);
});

test('{contact_name} of a visitor who gave no name leaves no gap: "¡Hola!", and "¡Hola Marta!" with one', async () => {
  const greeting = { ...MENU, welcome_message: '¡Hola {contact_name}! ¿Con qué área quieres hablar? 1 Soporte 2 Ventas' };
  assert.equal((await admin.put('/api/v1/routing', greeting)).status, 200);
  try {
    const anonymous = visitor();
    await anonymous.start();
    assert.equal((await anonymous.send('buenas')).status, 201);
    const [, welcome] = await anonymous.waitForReply(/Con qué área/, 'the welcome');
    assert.equal(welcome.text, '¡Hola! ¿Con qué área quieres hablar? 1 Soporte 2 Ventas');
    const named = visitor();
    await named.start({ name: 'Marta' });
    assert.equal((await named.send('buenas')).status, 201);
    const [, hello] = await named.waitForReply(/Con qué área/, 'the welcome');
    assert.equal(hello.text, '¡Hola Marta! ¿Con qué área quieres hablar? 1 Soporte 2 Ventas');
  } finally {
    assert.equal((await admin.put('/api/v1/routing', MENU)).status, 200);
  }
});

test('a web chat may ask for the name and e-mail first: checked, kept, and the contact has them', async () => {
  const asking = await createWebchat(admin, { name: 'Web with form', ask_contact: true });
  assert.equal(asking.ask_contact, true);
  assert.equal(web.ask_contact, false);
  // Only a web chat asks; the setting changes with PATCH, one field at a time.
  const wa = await admin.post('/api/v1/channels', { kind: 'telegram', name: 'Bot', bot_token: '123456:ABC-DEF1234ghIkl', ask_contact: true });
  assertError(wa, 400, 'invalid_request');
  const toggled = await admin.patch(`/api/v1/channels/${web.id}`, { ask_contact: true });
  assert.equal(toggled.status, 200, toggled.text);
  assert.equal(toggled.json.channel.ask_contact, true);
  assert.equal((await admin.patch(`/api/v1/channels/${web.id}`, { ask_contact: false })).json.channel.ask_contact, false);
  assertError(await admin.patch(`/api/v1/channels/${web.id}`, { ask_contact: 'yes' }), 400, 'invalid_request');
  assertError(await admin.patch(`/api/v1/channels/${web.id}`, { ask_contact: true, waba_id: null }), 400, 'invalid_request');
  assertError(await admin.patch(`/api/v1/channels/${web.id}`, {}), 400, 'invalid_request');

  // A new visitor of the asking channel is asked; of the other one, not.
  assert.equal((await new Visitor(s.url, web.widget_key).start()).json.ask_contact, false);
  const v = new Visitor(s.url, asking.widget_key);
  assert.equal((await v.start()).json.ask_contact, true);

  // Bad details: a clear error naming the field and its rule, and nothing changed.
  const before = dump(s);
  for (const [body, field, rule] of [
    [{ name: 'Lucía Gómez', email: 'lucia@' }, 'email', 'email_invalid'],
    [{ name: 'Lucía Gómez', email: 'lucia gomez@example.com' }, 'email', 'email_invalid'],
    [{ name: '   ', email: 'lucia@example.com' }, 'name', 'required'],
    [{ name: 'Lucía\nGómez', email: 'lucia@example.com' }, 'name', 'bad_characters'],
    [{ email: 'lucia@example.com' }, 'name', 'required'],
    [{ name: 'Lucía', email: 'lucia@example.com', phone: '600' }, 'phone', 'unknown_field'],
  ]) {
    const r = await v.request('POST', '/api/v1/webchat/contact', body);
    assertError(r, 400, 'invalid_request');
    assert.deepEqual([r.json.error.field, r.json.error.rule], [field, rule], r.text);
  }
  const stranger = new Visitor(s.url, asking.widget_key);
  assertError(await stranger.request('POST', '/api/v1/webchat/contact', { name: 'X', email: 'x@example.com' }), 401, 'unauthenticated');
  assert.equal(dump(s), before);

  // Good details: kept (the e-mail folded), not asked again, and the contact made by the
  // first message has them.
  const r = await v.request('POST', '/api/v1/webchat/contact', { name: ' Lucía Gómez ', email: 'Lucia@Example.com' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { name: 'Lucía Gómez', email: 'lucia@example.com' });
  assert.equal((await v.start()).json.ask_contact, false);
  assert.equal((await v.send('Hola, quiero saber de un pedido')).status, 201);
  const conversation = (await admin.get('/api/v1/conversations?view=all&q=pedido')).json.conversations
    .find((c) => c.channel.id === asking.id);
  const contact = (await admin.get(`/api/v1/contacts/${conversation.contact.id}`)).json.contact;
  assert.deepEqual([contact.name, contact.email], ['Lucía Gómez', 'lucia@example.com']);
});

test('demo in English: English teams and routing messages; `demo logins` prints the logins again, never another password', async () => {
  const d = await startServer({ env: { CENTRALITA_DEMO: '1', CENTRALITA_DEMO_LANGUAGE: 'en' } });
  try {
    const printed = [...d.stdout.matchAll(/^ {2}(\w+)\s+(\S+@demo\.local)\s+password: (\S+)$/gm)].map((m) => m.slice(1));
    assert.equal(printed.length, 3, d.stdout);
    const passwords = Object.fromEntries(printed.map(([, email, password]) => [email, password]));
    const demoAdmin = new Client(d.url);
    await demoAdmin.login('admin@demo.local', passwords['admin@demo.local']);
    const teamList = (await demoAdmin.get('/api/v1/teams')).json.teams;
    assert.deepEqual(teamList.map((t) => t.name).sort(), ['Accounting', 'Marketing', 'Sales', 'Support']);
    const routing = (await demoAdmin.get('/api/v1/routing')).json;
    assert.equal(routing.welcome_message, 'Hello! Which team would you like to talk to? 1. Support 2. Sales 3. Marketing 4. Accounting');
    const { widget_key: key } = (await new Client(d.url).get('/api/v1/demo')).json;
    const visitor = new Visitor(d.url, key);
    await visitor.start();
    assert.equal((await visitor.send('Hi there')).status, 201);
    await visitor.waitForReply(/Which team/);
    assert.equal((await visitor.send('I want to buy a speaker')).status, 201);
    await visitor.waitForReply(/The Sales team will write to you/);

    // The same logins, again, from the command line.
    const again = cli(d.dir, ['demo', 'logins']);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual([...again.stdout.matchAll(/^ {2}(\w+)\s+(\S+@demo\.local)\s+password: (\S+)$/gm)].map((m) => m.slice(1)), printed);
    // A password changed since is the person's own: not shown, nor the new one; a user made
    // later is nobody's demo login.
    writeFileSync(join(d.dir, 'ana.txt'), 'anas-own-password-1\n');
    writeFileSync(join(d.dir, 'eva.txt'), 'evas-own-password-1\n');
    const changed = cli(d.dir, ['user', 'passwd', 'ana@demo.local', '--password-file', join(d.dir, 'ana.txt')]);
    assert.equal(changed.status, 0, changed.stderr);
    const added = cli(d.dir, ['user', 'add', 'eva@example.com', '--password-file', join(d.dir, 'eva.txt')]);
    assert.equal(added.status, 0, added.stderr);
    const after = cli(d.dir, ['demo', 'logins']);
    assert.equal(after.status, 0, after.stderr);
    assert.match(after.stdout, /ana@demo\.local\s+\(password changed since\)/);
    assert.doesNotMatch(after.stdout, new RegExp(`${passwords['ana@demo.local']}|anas-own|evas-own|eva@example`));
    assert.match(after.stdout, new RegExp(`bruno@demo\\.local\\s+password: ${passwords['bruno@demo.local']}`));
  } finally {
    await d.stop();
  }
  // A database without the demo has no logins to print.
  const plain = await startServer();
  try {
    const none = cli(plain.dir, ['demo', 'logins']);
    assert.notEqual(none.status, 0);
    assert.match(none.stderr, /no demo account/);
    assert.equal(none.stdout, '');
  } finally {
    await plain.stop();
  }
  const bad = cli(tempDir(), ['serve', '--demo', '1', '--demo-language', 'fr']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /demo-language/);
});
