// Suggestions from the team's own corrections (docs/ROUTING.md, "Suggestions"): replies that
// fell back and conversations agents moved soon after routing placed them become proposed
// answers; a dismissed one stays gone; adding one routes the next such reply; the routing
// stats count the conversations moved away after routing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';

let fake, s, admin, agent, teams;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  await connectAll(admin);
  teams = {};
  for (const name of ['Soporte', 'Ventas', 'Contabilidad'])
    teams[name] = (await admin.post('/api/v1/teams', { name })).json.team.id;
  agent = await agentClient(s, admin, 'eva@example.com', 'Eva');
});
after(async () => {
  await s.stop();
  await fake.stop();
});

const MENU = {
  enabled: true,
  welcome_message: 'Hola: 1 Soporte 2 Ventas 3 Horario 4 Contabilidad',
  fallback_message: 'Perdona, responde 1, 2, 3 o 4.',
  max_attempts: 3,
  options: [
    { answers: ['1', 'soporte'], team: 'Soporte' },
    { answers: ['2', 'ventas', 'comprar', 'factura'], team: 'Ventas' },
    { answers: ['3', 'horario'], reply: 'De 9 a 18 h.' },
    { answers: ['4', 'contabilidad'], team: 'Contabilidad' },
  ],
};

let phone = 34710000000;

// A new customer says hello, gets the welcome, then writes text; resolves with the
// conversation once routing answered.
async function customer(text) {
  const from = String(++phone);
  const id = await customerWrites(s, 'whatsapp', from, 'Hola');
  await fake.waitForSent(1, { kind: 'whatsapp', to: from, timeout: 10000 });
  await customerWrites(s, 'whatsapp', from, text);
  return id;
}

async function transfer(id, team) {
  const r = await admin.post(`/api/v1/conversations/${id}/transfer`, { team_id: teams[team] });
  assert.equal(r.status, 200, r.text);
}

async function suggestions() {
  const r = await admin.get('/api/v1/routing/suggestions');
  assert.equal(r.status, 200, r.text);
  return r.json.suggestions;
}

const find = (list, text) => list.find((x) => x.text === text);

const FELL_BACK = [
  'Tengo una avería en la cocina, mi móvil es 612 345 678',
  'avería urgente, escribidme a ana.garcia@example.com',
  'hay una avería, mirad https://fotos.example.org/casa',
  'AVERÍA en la cocina',
];

test('fallbacks and moves become suggestions, without numbers, addresses or whole messages', async () => {
  assert.equal((await admin.put('/api/v1/routing', MENU)).status, 200);
  // Four replies fall back; agents take two of them out of the general inbox to Soporte.
  const fell = [];
  for (const text of FELL_BACK) fell.push(await customer(text));
  assert.equal(Number(sql(s, 'SELECT count(*) FROM routing_replies')), 4);
  await transfer(fell[0], 'Soporte');
  await transfer(fell[3], 'Soporte');
  // Two are routed to Ventas ("comprar") and moved to Soporte at once: routing was wrong.
  for (const text of ['quiero comprar un router nuevo', 'el router no va, quiero comprar otro']) {
    const id = await customer(text);
    assert.equal(Number(sql(s, `SELECT coalesce(team_id, 0) FROM conversations WHERE id = ${id}`)), teams.Ventas);
    await transfer(id, 'Soporte');
  }
  // Two more are routed to Ventas by "factura" and moved to Contabilidad.
  for (const text of ['tengo una duda con la factura', 'una duda de la factura de mayo']) {
    const id = await customer(text);
    await transfer(id, 'Contabilidad');
  }

  const list = await suggestions();
  assert.deepEqual(find(list, 'averia'), {
    text: 'averia', count: 6, fallbacks: 4, moves: 2, team_id: teams.Soporte, team: 'Soporte', option: 0,
    conflict: null, why: 'fell back 4 times, moved to Soporte 2 times',
  });
  // Added to Soporte, "router" would tie with "comprar" (Ventas) in those replies: it says so.
  assert.deepEqual(find(list, 'router'), {
    text: 'router', count: 2, fallbacks: 0, moves: 2, team_id: teams.Soporte, team: 'Soporte', option: 0,
    conflict: { kind: 'tie', option: 1 }, why: 'moved to Soporte 2 times; would tie with option 2',
  });
  assert.equal(find(list, 'duda').team, 'Contabilidad');
  assert.equal(find(list, 'duda').option, 3);
  // "factura" and "comprar" are Ventas's answers: adding them where agents moved their
  // conversations would duplicate them, and the suggestions say so.
  assert.deepEqual(find(list, 'factura').conflict, { kind: 'duplicate', option: 1 });
  assert.equal(find(list, 'factura').why, 'moved to Contabilidad 2 times; already an answer of option 2');
  assert.deepEqual(find(list, 'comprar').conflict, { kind: 'duplicate', option: 1 });
  // Most useful first.
  assert.equal(list[0].text, 'averia');
  for (let i = 1; i < list.length; i++) assert.ok(list[i - 1].count >= list[i].count, JSON.stringify(list));
  // Answers already on their option, stop words, menu words, short words and numbers stay out;
  // so do the phone number, the e-mail and the web address, and no whole message is shown.
  const texts = list.map((x) => x.text);
  for (const word of ['soporte', 'tengo', 'una', 'hay', 'en', 'la', 'quiero', 'no', 'va', '612', '345', '678',
    'ana', 'garcia', 'example', 'com', 'fotos', 'org', 'https', 'casa', 'escribidme', 'mayo', 'nuevo', 'otro'])
    assert.ok(!texts.includes(word), `${word} in ${texts}`);
  for (const x of list) assert.match(x.text, /^[a-z]+$/);
  // Nothing stored holds the phone number or the addresses.
  const stored = sql(s, 'SELECT text FROM routing_replies UNION ALL SELECT text FROM routing_moves');
  assert.doesNotMatch(stored, /612|345|678|ana garcia|example|fotos/);
});

test('a dismissed suggestion stays dismissed; bad input changes nothing', async () => {
  assert.ok(find(await suggestions(), 'cocina'));
  const r = await admin.post('/api/v1/routing/suggestions/dismiss', { text: 'Cocina' });
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { dismissed: 'cocina' });
  assert.equal(find(await suggestions(), 'cocina'), undefined);
  // More replies with it do not bring it back, and dismissing twice is fine.
  await customer('la cocina otra vez');
  assert.equal(find(await suggestions(), 'cocina'), undefined);
  assert.equal((await admin.post('/api/v1/routing/suggestions/dismiss', { text: 'cocina' })).status, 200);

  const before = dump(s);
  const bad = [{}, { text: '' }, { text: '¡¡!!' }, { text: 5 }, { text: 'x'.repeat(201) }, { text: 'a', other: 1 }];
  for (const body of bad) assertError(await admin.post('/api/v1/routing/suggestions/dismiss', body), 400, 'invalid_request');
  assertError(await admin.post('/api/v1/routing/suggestions/dismiss', '{"text":'), 400, 'invalid_json');
  assert.equal(dump(s), before);
});

test('only admins see and dismiss suggestions', async () => {
  const before = dump(s);
  assertError(await agent.get('/api/v1/routing/suggestions'), 403, 'forbidden');
  assertError(await agent.post('/api/v1/routing/suggestions/dismiss', { text: 'averia' }), 403, 'forbidden');
  assert.equal(dump(s), before);
});

test('adding a suggestion through the routing save routes the next such reply', async () => {
  const doc = (await admin.get('/api/v1/routing')).json;
  // The save's own validation applies: adding "factura" to Contabilidad is refused.
  const dup = structuredClone(doc);
  dup.options[3].answers.push('factura');
  const before = dump(s);
  const refused = await admin.put('/api/v1/routing', dup);
  assertError(refused, 422, 'unprocessable');
  assert.equal(dump(s), before);

  doc.options[0].answers.push('avería');
  assert.equal((await admin.put('/api/v1/routing', doc)).status, 200);
  const id = await customer('otra avería en el baño');
  assert.equal(Number(sql(s, `SELECT coalesce(team_id, 0) FROM conversations WHERE id = ${id}`)), teams.Soporte);
  // Now an answer of its option, it is suggested no more.
  assert.equal(find(await suggestions(), 'averia'), undefined);
});

test('the stats count conversations moved away soon after routing placed them', async () => {
  // Routed to Ventas, moved only after the half hour: routing is not blamed.
  const late = await customer('quiero comprar un coche');
  sql(s, `UPDATE conversations SET routed_at = routed_at - ${31 * 60 * 1000} WHERE id = ${late}`);
  await transfer(late, 'Soporte');
  // Routed to Ventas and moved twice: counted once.
  const twice = await customer('quiero comprar una moto');
  await transfer(twice, 'Soporte');
  await transfer(twice, 'Contabilidad');
  // Routed to Soporte and moved to Soporte again is no move.
  const same = await customer('soporte');
  await transfer(same, 'Soporte');

  const r = await admin.get('/api/v1/routing/stats');
  assert.equal(r.status, 200, r.text);
  const ventas = r.json.routed.find((x) => x.option === 1);
  // Ventas: 2 + 2 in the first test, then late and twice; moved: 4 there, then twice.
  assert.deepEqual(ventas, { option: 1, conversations: 6, moved: 5, moved_share: 5 / 6 });
  const soporte = r.json.routed.find((x) => x.option === 0);
  assert.deepEqual(soporte, { option: 0, conversations: 2, moved: 0, moved_share: 0 });
  const lines = sql(s, `SELECT count(*) FROM conversation_events WHERE outcome = 'moved'`);
  assert.equal(Number(lines), 5);
});
