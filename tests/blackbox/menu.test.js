// The welcome menu as buttons customers tap: WhatsApp reply buttons (3 options) and a list (5),
// Messenger quick replies and a Telegram inline keyboard (the fake, and telegram-test-api),
// taps routed by their payload, typed replies as before, stale taps read as typed, bad labels
// refused, and the text menu where a channel's native form cannot carry the options.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { startTelegramEmulator } from './lib/telegram_emulator.js';
import { CHANNELS, connectAll, customerWrites, postMeta, postTelegram } from './lib/providers.js';
import { until } from './lib/until.js';

let fake, s, admin, ch, teams;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  ch = await connectAll(admin);
  teams = {};
  for (const name of ['Soporte', 'Ventas', 'Marketing', 'Contabilidad', 'Envíos'])
    teams[name] = (await admin.post('/api/v1/teams', { name })).json.team.id;
});
after(async () => {
  await s.stop();
  await fake.stop();
});

const WELCOME = '¡Hola! ¿Con quién quieres hablar? 1 Soporte 2 Ventas 3 Marketing';
function menu(options) {
  return {
    enabled: true,
    welcome_message: WELCOME,
    fallback_message: 'Perdona, no te he entendido.',
    max_attempts: 5,
    options,
  };
}
const THREE = [
  { answers: ['1', 'soporte'], team: 'Soporte', button: 'Soporte técnico' },
  { answers: ['2', 'ventas'], team: 'Ventas', button: 'Ventas' },
  { answers: ['3', 'marketing'], team: 'Marketing', button: 'Marketing' },
];
const FIVE = [
  ...THREE,
  { answers: ['4', 'contabilidad'], team: 'Contabilidad', button: 'Facturas y pagos' },
  { answers: ['5', 'envios'], team: 'Envíos', button: 'Dónde está mi pedido' },
];

async function configure(options) {
  const r = await admin.put('/api/v1/routing', menu(options));
  assert.equal(r.status, 200, r.text);
  return r.json;
}

async function teamOf(id) {
  return (await admin.get(`/api/v1/conversations/${id}`)).json.conversation.team_id;
}

function audit(id) {
  return sql(s, `SELECT group_concat(text, ' / ') FROM conversation_events WHERE conversation_id = ${id} AND kind = 'routing'`);
}

// A WhatsApp customer taps a reply button or list row.
function whatsappTap(from, id, title, kind = 'button_reply') {
  return postMeta(s, 'whatsapp', JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: {
    messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: CHANNELS.whatsapp.phone_number_id },
    contacts: [{ profile: { name: 'Cliente' }, wa_id: from }],
    messages: [{ from, id: `wamid.tap-${from}-${id}-${Date.now()}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'interactive',
      interactive: { type: kind, [kind]: { id, title } } }] } }] }] }));
}

test('3 labelled options go out as WhatsApp reply buttons; a tap routes by its payload', async () => {
  await configure(THREE);
  const conv = await customerWrites(s, 'whatsapp', '34622000001', 'Hola');
  const [welcome] = await fake.waitForSent(1, { kind: 'whatsapp', to: '34622000001' });
  assert.equal(welcome.body.type, 'interactive');
  const i = welcome.body.interactive;
  assert.equal(i.type, 'button');
  assert.equal(i.body.text, WELCOME);
  assert.deepEqual(i.action.buttons.map((b) => [b.type, b.reply.title]), [['reply', 'Soporte técnico'], ['reply', 'Ventas'], ['reply', 'Marketing']]);
  const ids = i.action.buttons.map((b) => b.reply.id);
  assert.equal(new Set(ids).size, 3);
  // The stored welcome is the text the customer read, and keeps the choices it offered.
  assert.equal(sql(s, `SELECT text FROM messages WHERE conversation_id = ${conv} AND direction = 'out'`), WELCOME);

  // The tap's title says "Ventas", its id names Marketing: the id decides, with certainty.
  assert.equal((await whatsappTap('34622000001', ids[2], 'Ventas')).status, 200);
  assert.equal(await teamOf(conv), teams.Marketing);
  assert.match(audit(conv), /option 3 matched by button 'Marketing'; assigned to Marketing/);
});

test('5 labelled options go out as a WhatsApp list; a row tap routes; typed numbers still do', async () => {
  await configure(FIVE);
  const conv = await customerWrites(s, 'whatsapp', '34622000002', 'Buenas');
  const [welcome] = await fake.waitForSent(1, { kind: 'whatsapp', to: '34622000002' });
  const i = welcome.body.interactive;
  assert.equal(i.type, 'list');
  assert.equal(i.body.text, WELCOME);
  const rows = i.action.sections.flatMap((x) => x.rows);
  assert.deepEqual(rows.map((r) => r.title), FIVE.map((o) => o.button));
  assert.ok(i.action.button.length > 0);
  assert.equal((await whatsappTap('34622000002', rows[4].id, rows[4].title, 'list_reply')).status, 200);
  assert.equal(await teamOf(conv), teams['Envíos']);

  const typed = await customerWrites(s, 'whatsapp', '34622000003', 'Hola');
  await fake.waitForSent(1, { kind: 'whatsapp', to: '34622000003' });
  await customerWrites(s, 'whatsapp', '34622000003', '2');
  assert.equal(await teamOf(typed), teams.Ventas);
  assert.doesNotMatch(audit(typed), /by button/);
});

test('a tap from an old menu names no option: it is read as a typed reply', async () => {
  await configure(THREE);
  const conv = await customerWrites(s, 'whatsapp', '34622000004', 'Hola');
  await fake.waitForSent(1, { kind: 'whatsapp', to: '34622000004' });
  // An id no option has any more, whose title still says what the customer wants.
  assert.equal((await whatsappTap('34622000004', 'menu-00000000', 'Ventas')).status, 200);
  assert.equal(await teamOf(conv), teams.Ventas);
  assert.doesNotMatch(audit(conv), /by button/);
  // One whose title matches nothing: the fallback, and it waits in routing.
  const other = await customerWrites(s, 'whatsapp', '34622000005', 'Hola');
  await fake.waitForSent(1, { kind: 'whatsapp', to: '34622000005' });
  assert.equal((await whatsappTap('34622000005', 'menu-deadbeef', 'Reclamaciones')).status, 200);
  const c = (await admin.get(`/api/v1/conversations/${other}`)).json.conversation;
  assert.equal(c.status, 'routing');
  assert.equal(c.team_id, null);
  const sent = await fake.waitForSent(2, { kind: 'whatsapp', to: '34622000005' });
  assert.equal(sent[1].text, 'Perdona, no te he entendido.');
});

test('Messenger gets quick replies; a tap\'s quick_reply.payload routes it', async () => {
  await configure(THREE);
  const psid = '6500000000000901';
  const conv = await customerWrites(s, 'messenger', psid, 'Hola');
  const [welcome] = await fake.waitForSent(1, { kind: 'messenger', to: psid });
  assert.equal(welcome.body.message.text, WELCOME);
  const quick = welcome.body.message.quick_replies;
  assert.deepEqual(quick.map((q) => [q.content_type, q.title]), [['text', 'Soporte técnico'], ['text', 'Ventas'], ['text', 'Marketing']]);
  const page = CHANNELS.messenger.page_id;
  const now = Date.now();
  const tap = JSON.stringify({ object: 'page', entry: [{ id: page, time: now, messaging: [{ sender: { id: psid }, recipient: { id: page }, timestamp: now,
    message: { mid: `m_tap_${now}`, text: 'Soporte técnico', quick_reply: { payload: quick[0].payload } } }] }] });
  assert.equal((await postMeta(s, 'messenger', tap)).status, 200);
  assert.equal(await teamOf(conv), teams.Soporte);
  assert.match(audit(conv), /matched by button 'Soporte técnico'/);
});

test('Telegram gets an inline keyboard; a tap is answered, the keyboard removed, the chat routed', async () => {
  await configure(THREE);
  const token = CHANNELS.telegram.bot_token;
  const conv = await customerWrites(s, 'telegram', '5100000901', 'Hola', { channelId: ch.telegram.id });
  const [welcome] = await fake.waitForSent(1, { kind: 'telegram', to: '5100000901' });
  const keyboard = welcome.body.reply_markup.inline_keyboard;
  assert.deepEqual(keyboard.map((row) => row.map((b) => b.text)), [['Soporte técnico'], ['Ventas'], ['Marketing']]);
  const message = fake.telegram.sentMessages(token).find((m) => m.message_id === welcome.messageId);
  assert.ok(message.reply_markup);
  const update = fake.telegram.makeCallbackQuery(token, message, keyboard[1][0].callback_data);
  // Delivered as Telegram would, with the secret the server registered.
  const deliver = () => postTelegram(s, ch.telegram.id, JSON.stringify(update), fake.telegram.webhook(token).secret_token);
  assert.equal((await deliver()).status, 200);
  assert.equal(await teamOf(conv), teams.Ventas);
  const answered = await fake.waitFor((r) => r.op === 'answerCallbackQuery' && r.accepted);
  assert.equal(String(answered.params.callback_query_id), update.callback_query.id);
  await fake.waitFor((r) => r.op === 'editMessageReplyMarkup' && r.accepted);
  assert.equal(fake.telegram.sentMessages(token).find((m) => m.message_id === welcome.messageId).reply_markup, undefined);
  // The same delivery again stores nothing and calls nothing more.
  assert.equal((await deliver()).status, 200);
  assert.equal(fake.done({ op: 'answerCallbackQuery' }).length, 1);
});

test('labels the native forms cannot carry, or counts beyond them, fall back to the text menu', async () => {
  // 22 characters: a WhatsApp list row takes it, reply buttons and quick replies do not.
  await configure([...THREE.slice(0, 2), { answers: ['3', 'marketing'], team: 'Marketing', button: 'Marketing y publicidad' }]);
  await customerWrites(s, 'whatsapp', '34622000006', 'Hola');
  const [wa] = await fake.waitForSent(1, { kind: 'whatsapp', to: '34622000006' });
  assert.equal(wa.body.interactive.type, 'list');
  await customerWrites(s, 'messenger', '6500000000000902', 'Hola');
  const [fb] = await fake.waitForSent(1, { kind: 'messenger', to: '6500000000000902' });
  assert.deepEqual(fb.body.message, { text: WELCOME });
  // Without labels, the seed's numbered menu goes as plain text, as it always did.
  await configure(THREE.map(({ button, ...o }) => o));
  await customerWrites(s, 'whatsapp', '34622000007', 'Hola');
  const [plain] = await fake.waitForSent(1, { kind: 'whatsapp', to: '34622000007' });
  assert.deepEqual(plain.body, { messaging_product: 'whatsapp', recipient_type: 'individual', to: '34622000007', type: 'text', text: { body: WELCOME } });
});

test('bad button labels are refused with the option they are in, and nothing changes', async () => {
  await configure(THREE);
  const before = (await admin.get('/api/v1/routing')).json;
  const cases = [
    [[{ ...THREE[0], button: 'Una etiqueta demasiado larga' }, ...THREE.slice(1)], 'options[0].button', /at most 24/],
    [[THREE[0], { ...THREE[1], button: 'soporte TÉCNICO' }, THREE[2]], 'options[1].button', /same as options\[0\]\.button/],
    [[THREE[0], { ...THREE[1], button: undefined }, THREE[2]], 'options[1].button', /every option/],
    [[THREE[0], { ...THREE[1], button: 'Ven\ntas' }, THREE[2]], 'options[1].button', /one line/],
    [[THREE[0], { ...THREE[1], button: '¿?' }, THREE[2]], 'options[1].button', /empty after normalisation/],
    [[THREE[0], { ...THREE[1], button: 7 }, THREE[2]], 'options[1].button', /must be a string/],
  ];
  for (const [options, path, why] of cases) {
    const r = await admin.put('/api/v1/routing', menu(options));
    assertError(r, 422, 'unprocessable');
    const problem = r.json.error.problems.find((p) => p.path === path);
    assert.ok(problem, `${path} in ${r.text}`);
    assert.match(problem.reason, why);
  }
  assert.deepEqual((await admin.get('/api/v1/routing')).json, before);
  assert.deepEqual(before.options.map((o) => o.button), THREE.map((o) => o.button));

  // explain reads a tap too.
  const payload = fake.sent('whatsapp', '34622000001')[0].body.interactive.action.buttons[1].reply.id;
  const x = await admin.post('/api/v1/routing/explain', { text: 'Ventas', payload });
  assert.equal(x.status, 200, x.text);
  assert.equal(x.json.match.source, 'button');
  assert.equal(x.json.match.answer_index, null);
  assert.equal(x.json.team, 'Ventas');
});

test('telegram-test-api: the keyboard arrives, the tap is answered and routes, the keyboard goes', async (t) => {
  const emu = await startTelegramEmulator();
  const es = await startServer({ env: emu.env });
  t.after(async () => { await es.stop(); await emu.stop(); });
  const ea = await adminClient(es);
  for (const name of ['Soporte', 'Ventas', 'Marketing']) await ea.post('/api/v1/teams', { name });
  assert.equal((await ea.put('/api/v1/routing', menu(THREE))).status, 200);
  assert.equal((await ea.post('/api/v1/channels', { kind: 'telegram', name: 'Emulado', bot_token: emu.token, mode: 'polling' })).status, 201);
  await emu.sendFromUser('Hola');
  const [welcome] = await emu.waitForBotReplies(1, { timeout: 10000 });
  const keyboard = welcome.params.reply_markup.inline_keyboard;
  assert.deepEqual(keyboard.map((row) => row[0].text), ['Soporte técnico', 'Ventas', 'Marketing']);
  await emu.tap(welcome.message_id, keyboard[2][0].callback_data);
  const marketing = (await ea.get('/api/v1/teams')).json.teams.find((x) => x.name === 'Marketing').id;
  await until(() => sql(es, 'SELECT coalesce(max(team_id), 0) FROM conversations') === String(marketing), 'the tap to route the chat');
  await until(() => emu.botReplies()[0].params.reply_markup.inline_keyboard.length === 0, 'the keyboard to be removed');
  assert.doesNotMatch(es.stderr, /call on channel \d+ failed/);
});
