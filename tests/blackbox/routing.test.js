// Routing end to end: real signed webhooks in, the fake provider out. The three classic
// set-ups (a department menu, an FAQ menu, a menu-less question), explain, validation,
// human takeover and sending back to routing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { adminClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, connectAll, customerWrites, postMeta, fixture } from './lib/providers.js';

let fake, s, admin, ch, teams;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  ch = await connectAll(admin);
  teams = {};
  for (const name of ['Soporte', 'Ventas', 'Marketing', 'Contabilidad', 'Centro', 'Norte'])
    teams[name] = (await admin.post('/api/v1/teams', { name })).json.team.id;
});
after(async () => {
  await s.stop();
  await fake.stop();
});

const MENU = {
  enabled: true,
  welcome_message: '¡Hola! Responde con un número: 1 Soporte 2 Ventas 3 Marketing 4 Contabilidad',
  fallback_message: 'Perdona, no te he entendido. Responde 1, 2, 3 o 4.',
  assignment_message: 'Gracias, {contact_name}. Te atiende el equipo de {team}.',
  max_attempts: 3,
  give_up_message: 'Un compañero te atenderá enseguida.',
  options: [
    { answers: ['1', 'soporte', 'ayuda', 'opt-support'], team: 'Soporte' },
    { answers: ['2', 'ventas', 'comprar', 'opt-sales'], team: 'Ventas', reply: 'Te pasamos con ventas.' },
    { answers: ['3', 'marketing', 'publicidad'], team: 'Marketing' },
    { answers: ['4', 'contabilidad', 'factura', 'facturas'], team: 'Contabilidad' },
  ],
};

async function configure(doc) {
  const r = await admin.put('/api/v1/routing', doc);
  assert.equal(r.status, 200, r.text);
  return r.json;
}

// What the customer has received so far on WhatsApp.
async function received(to, n) {
  return (await fake.waitForSent(n, { kind: 'whatsapp', to, timeout: 10000 })).map((r) => r.text);
}

async function conversation(id) {
  return (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;
}

// How many messages to the customer the conversation holds. Routing queues its answers in the
// webhook's own transaction, so once the webhook is answered 200 this is final: no answer
// can still be on its way.
function outgoing(id) {
  return Number(sql(s, `SELECT count(*) FROM messages WHERE conversation_id = ${id} AND direction = 'out'`));
}

test('a department menu: welcome, a numbered choice, the team and the assignment message', async () => {
  const saved = await configure(MENU);
  assert.equal(saved.options[1].team, 'Ventas');
  const conv = await customerWrites(s, 'whatsapp', '34700000001', 'Hola, buenas', { name: 'Lucía' });
  assert.deepEqual(await received('34700000001', 1), [MENU.welcome_message]);
  let c = await conversation(conv);
  assert.equal(c.status, 'routing');
  assert.equal(c.team_id, null);

  await customerWrites(s, 'whatsapp', '34700000001', '2.', { name: 'Lucía' });
  assert.deepEqual(await received('34700000001', 3), [MENU.welcome_message, 'Te pasamos con ventas.', 'Gracias, Lucía. Te atiende el equipo de Ventas.']);
  c = await conversation(conv);
  assert.equal(c.status, 'open');
  assert.equal(c.team_id, teams.Ventas);
  assert.match(sql(s, `SELECT text FROM conversation_events WHERE conversation_id = ${conv}`), /option 2 matched '2'/);
  // Routing is over: the next message is for people, and gets no automatic answer.
  await customerWrites(s, 'whatsapp', '34700000001', '3');
  assert.equal(outgoing(conv), 3);
  assert.equal(fake.sent('whatsapp', '34700000001').length, 3);
  assert.equal((await conversation(conv)).team_id, teams.Ventas);
});

test('words, accents, typing slips and buttons choose the team too', async () => {
  await configure(MENU);
  const cases = [
    ['34700000011', 'Necesito SOPORTE técnico!!', 'Soporte'],
    ['34700000012', 'tengo una duda con mi fáctura', 'Contabilidad'],
    ['34700000013', 'quiero comprrar un coche', 'Ventas'],
    ['34700000014', '3️⃣', 'Marketing'],
  ];
  for (const [to, text, team] of cases) {
    const conv = await customerWrites(s, 'whatsapp', to, 'Hola');
    await received(to, 1);
    await customerWrites(s, 'whatsapp', to, text);
    await fake.waitForSent(2, { kind: 'whatsapp', to, timeout: 10000 });
    assert.equal((await conversation(conv)).team_id, teams[team], `${text} → ${team}`);
  }
  // A WhatsApp button reply is matched on its payload id.
  const conv = await customerWrites(s, 'whatsapp', '34612345678', 'Hola');
  await received('34612345678', 1);
  const button = fixture('whatsapp/interactive_button_reply.json').replace('"timestamp": "1764000060"', `"timestamp": "${Math.floor(Date.now() / 1000)}"`);
  assert.equal((await postMeta(s, 'whatsapp', button)).status, 200);
  await fake.waitForSent(3, { kind: 'whatsapp', to: '34612345678', timeout: 10000 });
  assert.equal((await conversation(conv)).team_id, teams.Ventas);
});

test('not understood: the fallback each time, then the give-up message and the general inbox', async () => {
  await configure(MENU);
  const conv = await customerWrites(s, 'whatsapp', '34700000021', 'Hola');
  await received('34700000021', 1);
  await customerWrites(s, 'whatsapp', '34700000021', 'no sé');
  assert.equal((await received('34700000021', 2))[1], MENU.fallback_message);
  // A photo is not understood either.
  const photo = JSON.parse(fixture('whatsapp/image.json'));
  const msg = photo.entry[0].changes[0].value;
  msg.contacts[0].wa_id = msg.messages[0].from = '34700000021';
  msg.messages[0].id = 'wamid.photo-21';
  msg.messages[0].timestamp = String(Math.floor(Date.now() / 1000));
  assert.equal((await postMeta(s, 'whatsapp', JSON.stringify(photo))).status, 200);
  assert.equal((await received('34700000021', 3))[2], MENU.fallback_message);
  await customerWrites(s, 'whatsapp', '34700000021', '1 o 2');
  const texts = await received('34700000021', 4);
  assert.equal(texts[3], MENU.give_up_message);
  const c = await conversation(conv);
  assert.equal(c.status, 'open');
  assert.equal(c.team_id, null);
});

test('an FAQ menu answers without a person, and one option reaches a person', async () => {
  await configure({
    welcome_message: 'Hola 👋 1 Horario 2 Dirección 3 Hablar con una persona',
    fallback_message: 'Responde 1, 2 o 3.',
    options: [
      { answers: ['1', 'horario', 'hora'], reply: 'Abrimos de lunes a viernes de 9 a 18 h.' },
      { answers: ['2', 'dirección', 'donde estais'], reply: 'Calle Mayor 1, Madrid.' },
      { answers: ['3', 'persona', 'agente'], team: 'Soporte' },
    ],
  });
  const faq = await customerWrites(s, 'whatsapp', '34700000031', 'Hola');
  await received('34700000031', 1);
  await customerWrites(s, 'whatsapp', '34700000031', '¿A qué hora abrís?');
  assert.equal((await received('34700000031', 2))[1], 'Abrimos de lunes a viernes de 9 a 18 h.');
  let c = await conversation(faq);
  assert.equal(c.status, 'open');
  assert.equal(c.team_id, null);
  const person = await customerWrites(s, 'whatsapp', '34700000032', 'Hola');
  await received('34700000032', 1);
  await customerWrites(s, 'whatsapp', '34700000032', 'quiero hablar con una persona');
  c = await conversation(person);
  assert.equal(c.team_id, teams.Soporte);
});

test('a menu-less question: city names, several per team, the first message matched at once', async () => {
  await configure({
    welcome_message: '¡Hola! ¿Desde qué ciudad nos escribes?',
    fallback_message: 'No conozco esa ciudad. ¿Desde qué ciudad nos escribes?',
    match_first_message: true,
    assignment_message: 'Te atiende el equipo {team}.',
    options: [
      { answers: ['madrid', 'alcalá de henares', 'toledo'], team: 'Centro' },
      { answers: ['bilbao', 'santander', 'oviedo'], team: 'Norte' },
    ],
  });
  // The first message already names a city: routed at once, with no welcome.
  const first = await customerWrites(s, 'whatsapp', '34700000041', 'Buenas, os escribo desde Alcalá de Henares');
  assert.deepEqual(await received('34700000041', 1), ['Te atiende el equipo Centro.']);
  assert.equal((await conversation(first)).team_id, teams.Centro);
  // "Alcalá" alone is not "Alcalá de Henares": the welcome, then the answer.
  const second = await customerWrites(s, 'whatsapp', '34700000042', 'Hola, soy de Alcalá');
  assert.deepEqual(await received('34700000042', 1), ['¡Hola! ¿Desde qué ciudad nos escribes?']);
  await customerWrites(s, 'whatsapp', '34700000042', 'de Santanderr');
  assert.equal((await received('34700000042', 2))[1], 'Te atiende el equipo Norte.');
  assert.equal((await conversation(second)).team_id, teams.Norte);
});

test('explain says which option matches and why, for the saved config or an unsaved one', async () => {
  await configure(MENU);
  let r = await admin.post('/api/v1/routing/explain', { text: '¡Quiero COMPRAR!' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.normalized, 'quiero comprar');
  assert.equal(r.json.outcome, 'team');
  assert.equal(r.json.team, 'Ventas');
  assert.equal(r.json.match.answer, 'comprar');
  assert.equal(r.json.match.option, 1);
  r = await admin.post('/api/v1/routing/explain', { text: 'soporte para comprar' });
  assert.equal(r.json.outcome, 'fallback');
  assert.equal(r.json.reason, 'tie');
  assert.equal(r.json.candidates.length, 2);
  const unsaved = { ...MENU, options: [{ answers: ['pedido'], reply: 'Mira tu correo.' }] };
  r = await admin.post('/api/v1/routing/explain', { text: 'mi pedido', config: unsaved });
  assert.equal(r.json.outcome, 'reply');
  assert.equal((await admin.get('/api/v1/routing')).json.options.length, 4, 'explain saved the config');
  assertError(await admin.post('/api/v1/routing/explain', { text: 5 }), 400, 'invalid_request');
  assertError(await admin.post('/api/v1/routing/explain', { text: 'x', extra: 1 }), 400, 'invalid_request');
  const cliExplain = cli(s.dir, ['routing', 'explain', 'quiero comprar']);
  assert.equal(cliExplain.status, 0, cliExplain.stderr);
  assert.equal(JSON.parse(cliExplain.stdout).team, 'Ventas');
});

test('number words answer the menu; a negated mention is set aside, and explain says why', async () => {
  await configure(MENU);
  let r = await admin.post('/api/v1/routing/explain', { text: 'No es de ventas, es de contabilidad' });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.team, 'Contabilidad');
  assert.equal(r.json.match.negated_by, null);
  const ventas = r.json.candidates.find((c) => c.answer === 'ventas');
  assert.equal(ventas.negated_by, 'no');
  assert.equal(ventas.best, false);
  r = await admin.post('/api/v1/routing/explain', { text: 'no quiero comprar' });
  assert.equal(r.json.outcome, 'fallback');
  assert.equal(r.json.reason, 'negated');
  r = await admin.post('/api/v1/routing/explain', { text: 'la segunda, por favor' });
  assert.equal(r.json.team, 'Ventas');
  assert.equal(r.json.match.source, 'number_word');
  assert.equal(r.json.match.matched, 'segunda');
  // Without numbers in the menu, "dos" is only a word.
  const places = { ...MENU, options: [{ answers: ['Dos Hermanas'], team: 'Centro' }, { answers: ['Sevilla'], team: 'Norte' }] };
  r = await admin.post('/api/v1/routing/explain', { text: 'dos', config: places });
  assert.equal(r.json.reason, 'no_match');
  r = await admin.post('/api/v1/routing/explain', { text: 'desde Dos Hermanas', config: places });
  assert.equal(r.json.team, 'Centro');
  const cliExplain = cli(s.dir, ['routing', 'explain', 'no quiero comprar']);
  assert.equal(cliExplain.status, 0, cliExplain.stderr);
  const printed = JSON.parse(cliExplain.stdout);
  assert.equal(printed.reason, 'negated');
  assert.equal(printed.candidates[0].negated_by, 'no');

  // Through a real conversation: the fallback for a negated answer, then the team, and the
  // history says what was set aside.
  const conv = await customerWrites(s, 'whatsapp', '34700000071', 'Hola');
  await received('34700000071', 1);
  await customerWrites(s, 'whatsapp', '34700000071', 'no quiero comprar');
  assert.equal((await received('34700000071', 2))[1], MENU.fallback_message);
  await customerWrites(s, 'whatsapp', '34700000071', 'No es de ventas: la cuarta');
  await received('34700000071', 3);
  assert.equal((await conversation(conv)).team_id, teams.Contabilidad);
  const history = sql(s, `SELECT text FROM conversation_events WHERE conversation_id = ${conv}`);
  assert.match(history, /not understood \(only negated answers: 'comprar' after 'no'\)/);
  assert.match(history, /option 4 matched '4' \(number word: 'cuarta'; set aside, negated: 'ventas' after 'no'\)/);
});

test('a bad configuration is refused with every problem named, and nothing changes', async () => {
  await configure(MENU);
  const before = dump(s);
  const r = await admin.put('/api/v1/routing', {
    welcome_message: 'Hola {nombre}',
    fallback_message: 'x'.repeat(5000),
    options: [
      { answers: [] , team: 'Soporte' },
      { answers: ['!!!'], reply: 'x' },
      { answers: ['ventas'], team: 'Nadie' },
      { answers: ['Ventas'], team: 'Ventas' },
      { answers: ['algo'] },
    ],
  });
  assertError(r, 422, 'unprocessable');
  const paths = r.json.error.problems.map((p) => p.path);
  for (const p of ['welcome_message', 'fallback_message', 'options[0].answers', 'options[1].answers[0]', 'options[2].team', 'options[4]'])
    assert.ok(paths.includes(p), `${p} in ${paths}`);
  assert.ok(paths.some((p) => p.startsWith('options[3].answers[0]')), String(paths));
  assert.ok(r.json.error.problems.every((p) => p.reason.length > 0));
  assertError(await admin.put('/api/v1/routing', '{"options": ['), 400, 'invalid_json');
  assertError(await admin.put('/api/v1/routing', [1]), 422, 'unprocessable');
  assert.equal(dump(s), before);
  // A team that routing uses cannot be deleted.
  assertError(await admin.del(`/api/v1/teams/${teams.Ventas}`), 409, 'conflict');
});

test('a human always wins: an agent\'s reply stops routing; sending back to routing welcomes again', async () => {
  await configure(MENU);
  const conv = await customerWrites(s, 'whatsapp', '34700000051', 'Hola');
  await received('34700000051', 1);
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/messages`, { text: 'Hola, soy Ana. ¿En qué te ayudo?' })).status, 201);
  await received('34700000051', 2);
  assert.equal((await conversation(conv)).status, 'open');
  await customerWrites(s, 'whatsapp', '34700000051', 'no sé qué número poner');
  assert.equal(outgoing(conv), 2, 'routing answered after a human took over');

  const back = await admin.post(`/api/v1/conversations/${conv}/routing`);
  assert.equal(back.status, 200, back.text);
  assert.equal(back.json.conversation.status, 'routing');
  assert.equal((await received('34700000051', 3))[2], MENU.welcome_message);
  await customerWrites(s, 'whatsapp', '34700000051', '4');
  await received('34700000051', 4);
  assert.equal((await conversation(conv)).team_id, teams.Contabilidad);
  assertError(await admin.post('/api/v1/conversations/999999/routing'), 404, 'not_found');
});

test('routing off: a new conversation waits in the general inbox with no message', async () => {
  await configure({ ...MENU, enabled: false });
  const conv = await customerWrites(s, 'whatsapp', '34700000061', 'Hola');
  assert.equal(outgoing(conv), 0);
  const c = await conversation(conv);
  assert.equal(c.status, 'open');
  assert.equal(c.team_id, null);
});

test('the numbers: routed per option, welcomes, fallbacks, give-ups, time to assignment', async () => {
  const r = await admin.get('/api/v1/routing/stats');
  assert.equal(r.status, 200, r.text);
  const counted = (o) => r.json.routed.filter((x) => x.option === o).reduce((a, x) => a + x.conversations, 0);
  // Earlier tests routed at least one conversation through each department option.
  for (const option of [0, 1, 2, 3]) assert.ok(counted(option) >= 1, `option ${option}: ${r.text}`);
  assert.ok(r.json.welcomes >= 5);
  assert.ok(r.json.fallbacks >= 2);
  assert.ok(r.json.give_ups >= 1);
  assert.ok(r.json.median_ms_to_assignment >= 0);
  const none = await admin.get('/api/v1/routing/stats?from=1&to=2');
  assert.deepEqual([none.json.routed, none.json.welcomes, none.json.median_ms_to_assignment], [[], 0, null]);
  assertError(await admin.get('/api/v1/routing/stats?from=10&to=5'), 400, 'invalid_request');
  assertError(await admin.get('/api/v1/routing/stats?from=abc'), 400, 'invalid_request');
});
