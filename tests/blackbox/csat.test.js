// Satisfaction (CSAT): a team's question goes out when one of its conversations is resolved
// (a WhatsApp list, Messenger quick replies, a Telegram inline keyboard through the fake and
// through telegram-test-api), the customer's rating is recorded against the conversation and
// who resolved it (API, metrics, the csat.answered webhook) while it stays resolved; any other
// reply, a number out of range included, reopens it; a team without a question asks nothing;
// bad settings are refused and change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { startTelegramEmulator } from './lib/telegram_emulator.js';
import { CHANNELS, connectAll, customerWrites, postMeta } from './lib/providers.js';
import { startReceiver, verifySignature } from './lib/webhook_receiver.js';
import { until } from './lib/until.js';

const QUESTION = '¿Cómo valorarías la atención? Responde del 1 al 5.';

let fake, s, admin, agent, agentId, ch, soporte, ventas, receiver, hook;
let phone = 34677000000;
const nextPhone = () => String(++phone);

before(async () => {
  fake = await startFakeProvider();
  receiver = await startReceiver();
  s = await startServer({ env: { ...fake.env, CENTRALITA_WEBHOOKS_ALLOW_PRIVATE: '1' } });
  admin = await adminClient(s);
  ch = await connectAll(admin);
  soporte = (await admin.post('/api/v1/teams', { name: 'Soporte' })).json.team.id;
  ventas = (await admin.post('/api/v1/teams', { name: 'Ventas' })).json.team.id;
  const set = await admin.patch(`/api/v1/teams/${soporte}`, { csat_question: QUESTION });
  assert.equal(set.status, 200, set.text);
  assert.equal(set.json.team.csat_question, QUESTION);
  assert.equal((await admin.get(`/api/v1/teams/${ventas}`)).json.team.csat_question, null);
  agent = await agentClient(s, admin, 'ana@example.com', 'Ana');
  agentId = (await admin.get('/api/v1/users')).json.users.find((u) => u.email === 'ana@example.com').id;
  for (const team of [soporte, ventas]) assert.equal((await admin.post(`/api/v1/teams/${team}/members`, { user_id: agentId })).status, 201);
  const r = await admin.post('/api/v1/webhooks', { url: `http://127.0.0.1:${receiver.port}/csat`, events: ['csat.answered'] });
  assert.equal(r.status, 201, r.text);
  hook = { ...r.json.webhook, secret: r.json.secret };
});

after(async () => {
  await s.stop();
  await receiver.stop();
  await fake.stop();
});

// A customer's conversation in team, resolved by Ana: its id.
async function resolvedIn(kind, from, team, text = 'Hola, tengo un problema') {
  const conv = await customerWrites(s, kind, from, text, { channelId: ch.telegram.id });
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/transfer`, { team_id: team })).status, 200);
  const r = await agent.post(`/api/v1/conversations/${conv}/resolve`);
  assert.equal(r.status, 200, r.text);
  return conv;
}

const detail = async (id) => (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;
const outgoing = (id) => Number(sql(s, `SELECT count(*) FROM messages WHERE conversation_id = ${id} AND direction = 'out'`));

function whatsappTap(from, id, title) {
  return postMeta(s, 'whatsapp', JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: {
    messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: CHANNELS.whatsapp.phone_number_id },
    contacts: [{ profile: { name: 'Cliente' }, wa_id: from }],
    messages: [{ from, id: `wamid.csat-${from}-${id}-${Date.now()}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'interactive',
      interactive: { type: 'list_reply', list_reply: { id, title } } }] } }] }] }));
}

test('WhatsApp: asked on resolve as a list 1-5; a tap is recorded, the conversation stays resolved', async () => {
  const from = nextPhone();
  const conv = await resolvedIn('whatsapp', from, soporte);
  const [asked] = await fake.waitForSent(1, { kind: 'whatsapp', to: from });
  assert.equal(asked.body.type, 'interactive');
  const i = asked.body.interactive;
  assert.equal(i.type, 'list');
  assert.equal(i.body.text, QUESTION);
  const rows = i.action.sections.flatMap((x) => x.rows);
  assert.deepEqual(rows.map((r) => r.title), ['1', '2', '3', '4', '5']);
  const { asked_at: askedAt, ...pending } = (await detail(conv)).csat;
  assert.deepEqual(pending, { state: 'asked', rating: null, agent_id: agentId, agent_name: 'Ana', answered_at: null });
  assert.ok(askedAt > 0);

  assert.equal((await whatsappTap(from, rows[3].id, rows[3].title)).status, 200);
  const c = await detail(conv);
  assert.equal(c.status, 'resolved');
  assert.equal(c.csat.state, 'answered');
  assert.equal(c.csat.rating, 4);
  assert.equal(c.csat.agent_id, agentId);
  assert.ok(c.csat.answered_at >= c.csat.asked_at);
  // Not routed, no new conversation, nothing sent back.
  assert.equal(sql(s, `SELECT count(*) FROM conversations WHERE contact_id = ${c.contact.id}`), '1');
  assert.equal(outgoing(conv), 1);

  // The webhook: signed, with the conversation and its rating as the API answers them.
  await until(() => receiver.received.some((r) => r.path === '/csat' && r.json?.conversation?.id === conv), 'the csat.answered delivery');
  const post = receiver.received.find((r) => r.path === '/csat' && r.json.conversation.id === conv);
  assert.ok(verifySignature(post.headers['x-centralita-signature'], post.body, hook.secret));
  assert.equal(post.headers['x-centralita-event'], 'csat.answered');
  assert.equal(post.json.type, 'csat.answered');
  assert.equal(post.json.conversation.csat.rating, 4);
  assert.equal(post.json.conversation.csat.agent_id, agentId);
});

test('a typed rating counts (digits, number words); metrics give count, mean and share of 4-5 per team and agent', async () => {
  const t0 = Date.now() - 1;
  const a = await resolvedIn('whatsapp', nextPhone(), soporte);
  await fake.waitForSent(1, { kind: 'whatsapp', to: String(phone) });
  await customerWrites(s, 'whatsapp', String(phone), 'cinco, gracias');
  const b = await resolvedIn('whatsapp', nextPhone(), soporte);
  await fake.waitForSent(1, { kind: 'whatsapp', to: String(phone) });
  await customerWrites(s, 'whatsapp', String(phone), 'un 2');
  assert.equal((await detail(a)).csat.rating, 5);
  assert.equal((await detail(b)).csat.rating, 2);
  assert.equal((await detail(b)).status, 'resolved');
  const m = (await admin.get(`/api/v1/metrics?from=${t0}&to=${Date.now() + 1}`)).json;
  assert.deepEqual(m.csat.teams, [{ team_id: soporte, name: 'Soporte', count: 2, mean: 3.5, satisfied_share: 0.5 }]);
  assert.deepEqual(m.csat.agents, [{ user_id: agentId, name: 'Ana', count: 2, mean: 3.5, satisfied_share: 0.5 }]);
  // A range before them counts none.
  assert.deepEqual((await admin.get(`/api/v1/metrics?from=1000&to=2000`)).json.csat, { teams: [], agents: [] });
});

test('any other reply reopens the conversation and drops the question; out of range is no rating', async () => {
  for (const text of ['Tengo otra duda', '6', '10', '0', '3 o 4']) {
    const from = nextPhone();
    const conv = await resolvedIn('whatsapp', from, soporte);
    await fake.waitForSent(1, { kind: 'whatsapp', to: from });
    await customerWrites(s, 'whatsapp', from, text);
    const c = await detail(conv);
    assert.equal(c.status, 'open', text);
    assert.equal(c.csat.state, 'dropped', text);
    assert.equal(c.csat.rating, null, text);
    // The question is gone: a rating now is ordinary text in an open conversation.
    await customerWrites(s, 'whatsapp', from, '5');
    assert.equal((await detail(conv)).csat.state, 'dropped');
  }
  assert.equal(sql(s, "SELECT count(*) FROM csat_surveys WHERE state = 'answered' AND rating NOT BETWEEN 1 AND 5"), '0');
});

test('Messenger gets quick replies; a team without a question, or a closed window, asks nothing', async () => {
  const psid = '6500000000000777';
  const conv = await resolvedIn('messenger', psid, soporte);
  const [asked] = await fake.waitForSent(1, { kind: 'messenger', to: psid });
  assert.equal(asked.body.message.text, QUESTION);
  assert.deepEqual(asked.body.message.quick_replies.map((q) => q.title), ['1', '2', '3', '4', '5']);
  const page = CHANNELS.messenger.page_id;
  const now = Date.now();
  const tap = JSON.stringify({ object: 'page', entry: [{ id: page, time: now, messaging: [{ sender: { id: psid }, recipient: { id: page }, timestamp: now,
    message: { mid: `m_csat_${now}`, text: '3', quick_reply: { payload: asked.body.message.quick_replies[2].payload } } }] }] });
  assert.equal((await postMeta(s, 'messenger', tap)).status, 200);
  assert.equal((await detail(conv)).csat.rating, 3);

  // Ventas has no question: the resolve queues nothing, and a "5" afterwards reopens it.
  const from = nextPhone();
  const other = await resolvedIn('whatsapp', from, ventas);
  assert.equal(outgoing(other), 0);
  assert.equal((await detail(other)).csat, null);
  await customerWrites(s, 'whatsapp', from, '5');
  assert.equal((await detail(other)).status, 'open');

  // WhatsApp's window closed (the customer's last message 25 hours ago): nothing is asked.
  const late = nextPhone();
  const old = await customerWrites(s, 'whatsapp', late, 'Hola');
  sql(s, `UPDATE conversations SET last_customer_at = ${Date.now() - 25 * 3600 * 1000} WHERE id = ${old}`);
  assert.equal((await admin.post(`/api/v1/conversations/${old}/transfer`, { team_id: soporte })).status, 200);
  assert.equal((await agent.post(`/api/v1/conversations/${old}/resolve`)).status, 200);
  assert.equal(outgoing(old), 0);
  assert.equal((await detail(old)).csat, null);
});

test('bad team settings are refused with a clear error and change nothing', async () => {
  const before = dump(s);
  const cases = [
    [{ csat_question: 'x'.repeat(501) }, /'csat_question' is longer than 500 bytes/],
    [{ csat_question: '¿Qué tal?\n1-5' }, /'csat_question' has characters that are not allowed/],
    [{ csat_question: 5 }, /'csat_question' must be a text, or null/],
    [{ csat_question: ['¿Qué tal?'] }, /'csat_question' must be a text, or null/],
    [{ csat_question: 'Bien', max_open: -1 }, /max_open/],
  ];
  for (const [body, why] of cases) {
    const r = await admin.patch(`/api/v1/teams/${soporte}`, body);
    assertError(r, 400, 'invalid_request');
    assert.match(r.json.error.message, why);
  }
  assertError(await agent.patch(`/api/v1/teams/${soporte}`, { csat_question: 'Hola' }), 403, 'forbidden');
  assert.equal(dump(s), before);
  // Empty text and null both turn it off; then it can be set again.
  for (const off of ['', '   ', null]) {
    const r = await admin.patch(`/api/v1/teams/${ventas}`, { csat_question: off });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.team.csat_question, null);
  }
});

test('Telegram (telegram-test-api): the inline keyboard, a tap recorded; after a reopen a typed keycap', async (t) => {
  const emu = await startTelegramEmulator();
  const es = await startServer({ env: emu.env });
  t.after(async () => { await es.stop(); await emu.stop(); });
  const ea = await adminClient(es);
  const team = (await ea.post('/api/v1/teams', { name: 'Support' })).json.team.id;
  const english = 'How would you rate our service? Reply 1 to 5.';
  assert.equal((await ea.patch(`/api/v1/teams/${team}`, { csat_question: english })).status, 200);
  assert.equal((await ea.post('/api/v1/channels', { kind: 'telegram', name: 'Emulado', bot_token: emu.token, mode: 'polling' })).status, 201);
  await emu.sendFromUser('Hello, my order is late');
  await until(() => sql(es, 'SELECT count(*) FROM conversations') === '1', 'the conversation');
  const conv = Number(sql(es, 'SELECT id FROM conversations'));
  assert.equal((await ea.post(`/api/v1/conversations/${conv}/transfer`, { team_id: team })).status, 200);
  assert.equal((await ea.post(`/api/v1/conversations/${conv}/resolve`)).status, 200);
  const [asked] = await emu.waitForBotReplies(1, { timeout: 10000 });
  assert.equal(asked.text, english);
  const keyboard = asked.params.reply_markup.inline_keyboard;
  assert.deepEqual(keyboard.map((row) => row[0].text), ['1', '2', '3', '4', '5']);
  await emu.tap(asked.message_id, keyboard[4][0].callback_data);
  const rating = async () => (await ea.get(`/api/v1/conversations/${conv}`)).json.conversation.csat;
  await until(async () => (await rating()).rating === 5, 'the tap to be recorded');
  assert.equal((await ea.get(`/api/v1/conversations/${conv}`)).json.conversation.status, 'resolved');
  await until(() => emu.botReplies()[0].params.reply_markup.inline_keyboard.length === 0, 'the keyboard to be removed');

  // An agent reopens and resolves it again: asked again, and a keycap typed answers.
  assert.equal((await ea.post(`/api/v1/conversations/${conv}/reopen`)).status, 200);
  assert.equal((await ea.post(`/api/v1/conversations/${conv}/resolve`)).status, 200);
  await emu.waitForBotReplies(1, { timeout: 10000 });
  await emu.sendFromUser('3️⃣');
  await until(async () => (await rating()).rating === 3, 'the keycap to be recorded');
  assert.equal(sql(es, "SELECT count(*) FROM csat_surveys WHERE state = 'answered'"), '2');
  assert.equal((await ea.get(`/api/v1/conversations/${conv}`)).json.conversation.status, 'resolved');
});
