// Business hours: the admin API and its bad input, routing into a team out of its hours (the
// out-of-hours message with {opens_at} in the customer's language, routed and queued but given
// to nobody until it opens, unless someone takes it), the queue handed out when it opens —
// also when the server was down at the opening — and a reopened conversation's agent counting
// as away out of hours. Each test sets the schedule around the current time: the server's clock
// is never faked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sql, dump } from './lib/server.js';
import { Client, adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';
import { until } from './lib/until.js';

const ZONE = 'Europe/Madrid';
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const ALWAYS = Object.fromEntries(DAYS.map((d) => [d, ['00:00-24:00']]));
const MESSAGE = { es: 'Estamos cerrados. Abrimos {opens_at}.', en: 'We are closed. We open {opens_at}.' };

let fake, s, admin, ventas, ana, bruno;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: fake.env });
  admin = await adminClient(s);
  await connectAll(admin);
  ventas = (await admin.post('/api/v1/teams', { name: 'Ventas' })).json.team.id;
  ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
  bruno = await agentClient(s, admin, 'bruno@example.com', 'Bruno');
  for (const who of [ana, bruno]) {
    assert.equal((await admin.post(`/api/v1/teams/${ventas}/members`, { user_id: who.user.id })).status, 201);
    assert.equal((await who.patch('/api/v1/me', { availability: 'online' })).status, 200);
  }
  assert.equal((await admin.patch(`/api/v1/teams/${ventas}`, { assignment: 'round_robin' })).status, 200);
  const r = await admin.put('/api/v1/routing', {
    welcome_message: 'Hola', fallback_message: 'No te entiendo', match_first_message: true,
    options: [{ answers: ['comprar', 'buy'], team: 'Ventas' }],
  });
  assert.equal(r.status, 200, r.text);
});
after(async () => {
  await s?.stop();
  await fake.stop();
});

// A time's wall clock in ZONE: its weekday name, date, hour and minute.
function local(ms) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: ZONE, weekday: 'long', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return { day: parts.weekday.toLowerCase(), date: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour), minute: Number(parts.minute) };
}
const hhmm = (h, m) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;

// Hours that open at the start of the second whole minute from now (so more than a minute
// away) and stay open an hour, or until midnight; closed at every other time of the week.
function opensSoon() {
  const at = (Math.floor(Date.now() / 60_000) + 2) * 60_000;
  const t = local(at);
  const end = Math.min(t.hour * 60 + t.minute + 60, 24 * 60);
  return { at, local: t, doc: { time_zone: ZONE, week: { [t.day]: [`${hhmm(t.hour, t.minute)}-${hhmm(Math.floor(end / 60), end % 60)}`] },
    out_of_hours_message: MESSAGE } };
}

let phone = 34690000000;
const conversation = async (id) => (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;
const timeline = async (id) => (await admin.get(`/api/v1/conversations/${id}/events`)).json.events;

test('the admin API: read, save, inherit, remove; bad input refused with nothing changed', async () => {
  let r = await admin.get('/api/v1/business-hours');
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json, { business_hours: null, inherited: false, open_now: true, next_open_at: r.json.next_open_at });

  const doc = { time_zone: ZONE, week: { monday: ['16:00-19:00', '09:00-14:00'], friday: ['09:00-15:00'] },
    holidays: [{ date: '2026-12-25' }, { date: '2026-12-24', hours: ['09:00-13:00'] }], out_of_hours_message: MESSAGE };
  r = await admin.put('/api/v1/business-hours', doc);
  assert.equal(r.status, 200, r.text);
  assert.deepEqual(r.json.business_hours.week.monday, ['09:00-14:00', '16:00-19:00'], 'sorted');
  assert.deepEqual(r.json.business_hours.holidays, doc.holidays);
  // A team without its own uses the account's.
  r = await ana.get(`/api/v1/teams/${ventas}/business-hours`);
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.business_hours, null);
  assert.equal(r.json.inherited, true);

  const before = dump(s);
  const bad = [
    [{ ...doc, time_zone: 'Europe/Atlantis' }, /time_zone/],
    [{ ...doc, time_zone: '../../../etc/passwd' }, /time_zone/],
    [{ ...doc, week: { monday: ['14:00-09:00'] } }, /week\.monday\[0\].*ends before it starts/],
    [{ ...doc, week: { monday: ['09:00-14:00', '13:30-15:00'] } }, /week\.monday.*overlap/],
    [{ ...doc, week: { lunes: ['09:00-14:00'] } }, /week\.lunes/],
    [{ ...doc, week: { monday: ['9-14'] } }, /week\.monday\[0\]/],
    [{ ...doc, holidays: [{ date: '2026-02-30' }] }, /holidays\[0\]\.date/],
    [{ ...doc, holidays: [{ date: '2026-04-31' }] }, /holidays\[0\]\.date/],
    [{ ...doc, holidays: [{ date: '2026-12-24', hours: ['13:00-09:00'] }] }, /holidays\[0\]\.hours\[0\]/],
    [{ ...doc, out_of_hours_message: { fr: 'Fermé' } }, /languages/],
    [{ ...doc, extra: 1 }, /unknown field/],
  ];
  for (const [body, message] of bad) {
    for (const path of ['/api/v1/business-hours', `/api/v1/teams/${ventas}/business-hours`]) {
      const refused = await admin.put(path, body);
      assertError(refused, 422, 'unprocessable');
      assert.match(refused.json.error.message, message);
    }
  }
  assertError(await admin.put('/api/v1/business-hours', '{"time_zone":'), 400, 'invalid_json');
  assertError(await ana.put('/api/v1/business-hours', doc), 403, 'forbidden');
  assertError(await ana.del(`/api/v1/teams/${ventas}/business-hours`), 403, 'forbidden');
  assertError(await admin.put('/api/v1/teams/999999/business-hours', doc), 404, 'not_found');
  assertError(await new Client(s.url).get('/api/v1/business-hours'), 401, 'unauthenticated');
  assertError(await admin.del(`/api/v1/teams/${ventas}/business-hours`), 404, 'not_found');
  assert.equal(dump(s), before, 'refused requests change nothing');

  // A team's own hours, then back to the account's.
  r = await admin.put(`/api/v1/teams/${ventas}/business-hours`, { time_zone: 'America/Mexico_City', week: ALWAYS });
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.inherited, false);
  assert.equal(r.json.open_now, true);
  assert.equal((await admin.del(`/api/v1/teams/${ventas}/business-hours`)).json.inherited, true);
  assert.equal((await admin.del('/api/v1/business-hours')).json.business_hours, null);
});

test("out of hours: the message in the customer's language, queued for nobody, taken by hand", async () => {
  const soon = opensSoon();
  assert.equal((await admin.put(`/api/v1/teams/${ventas}/business-hours`, soon.doc)).status, 200);
  try {
    const hours = (await admin.get(`/api/v1/teams/${ventas}/business-hours`)).json;
    assert.equal(hours.open_now, false);
    assert.equal(hours.next_open_at, soon.at);
    const day = soon.local.date === local(Date.now()).date ? ['hoy', 'today'] : ['mañana', 'tomorrow'];
    const clock = `${soon.local.hour}:${String(soon.local.minute).padStart(2, '0')}`;
    const cases = [
      ['quiero comprar', `Estamos cerrados. Abrimos ${day[0]} a la${soon.local.hour === 1 ? '' : 's'} ${clock}.`],
      ['I want to buy, please', `We are closed. We open ${day[1]} at ${clock}.`],
    ];
    for (const [text, expected] of cases) {
      const from = String(++phone);
      const id = await customerWrites(s, 'whatsapp', from, text);
      await fake.waitForSent(1, { kind: 'whatsapp', to: from, timeout: 10000 });
      assert.deepEqual(fake.sent('whatsapp', from).map((m) => m.text), [expected]);
      const c = await conversation(id);
      assert.equal(c.team.id, ventas, 'still routed');
      assert.equal(c.assignee, null, 'given to nobody');
      assert.equal(sql(s, `SELECT queued_until FROM conversations WHERE id = ${id}`), String(soon.at));
      assert.match((await timeline(id)).at(-1).text, /out of hours/);
      assert.deepEqual((await timeline(id)).at(-1).line, { code: 'out_of_hours' });
      // A member coming online does not take it out of hours either.
      assert.equal((await bruno.patch('/api/v1/me', { availability: 'offline' })).status, 200);
      assert.equal((await bruno.patch('/api/v1/me', { availability: 'online' })).status, 200);
      assert.equal((await conversation(id)).assignee, null);
      // An agent may take it.
      assert.equal((await ana.post(`/api/v1/conversations/${id}/assign`, { user_id: ana.user.id })).status, 200);
      assert.equal((await conversation(id)).assignee.id, ana.user.id);
    }
  } finally {
    assert.equal((await admin.del(`/api/v1/teams/${ventas}/business-hours`)).status, 200);
  }
});

test('when the team opens, its queue is handed out (hours changed to open now)', async () => {
  const soon = opensSoon();
  assert.equal((await admin.put(`/api/v1/teams/${ventas}/business-hours`, soon.doc)).status, 200);
  try {
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push(await customerWrites(s, 'whatsapp', String(++phone), 'quiero comprar'));
    for (const id of ids) assert.equal((await conversation(id)).assignee, null);
    // The team opens now: the scheduler gives each to the team's method, once.
    assert.equal((await admin.put(`/api/v1/teams/${ventas}/business-hours`, { time_zone: ZONE, week: ALWAYS })).status, 200);
    await until(async () => (await Promise.all(ids.map(conversation))).every((c) => c.assignee !== null), 'both assigned');
    const assignees = (await Promise.all(ids.map(conversation))).map((c) => c.assignee.id).sort();
    assert.deepEqual(assignees, [ana.user.id, bruno.user.id].sort(), 'round robin, one each');
    for (const id of ids) {
      assert.equal(sql(s, `SELECT queued_until IS NULL FROM conversations WHERE id = ${id}`), '1');
      assert.equal((await timeline(id)).filter((e) => e.kind === 'assignment').length, 1);
    }
  } finally {
    assert.equal((await admin.del(`/api/v1/teams/${ventas}/business-hours`)).status, 200);
  }
});

test('a conversation the customer reopens does not go back to its agent out of hours', async () => {
  const from = String(++phone);
  const id = await customerWrites(s, 'whatsapp', from, 'quiero comprar');
  const first = (await conversation(id)).assignee;
  assert.ok(first);
  assert.equal((await admin.post(`/api/v1/conversations/${id}/resolve`)).status, 200);
  const soon = opensSoon();
  assert.equal((await admin.put(`/api/v1/teams/${ventas}/business-hours`, soon.doc)).status, 200);
  try {
    assert.equal(await customerWrites(s, 'whatsapp', from, 'hola otra vez'), id, 'the same conversation, reopened');
    const c = await conversation(id);
    assert.equal(c.status, 'open');
    assert.equal(c.assignee, null);
    assert.equal(sql(s, `SELECT queued_until FROM conversations WHERE id = ${id}`), String(soon.at));
  } finally {
    assert.equal((await admin.del(`/api/v1/teams/${ventas}/business-hours`)).status, 200);
  }
});

// The opening passes while the server is down: on its start the scheduler finds it due and
// hands the conversation out, once.
test('a restart with a pending opening', async () => {
  const soon = opensSoon();
  assert.equal((await admin.put(`/api/v1/teams/${ventas}/business-hours`, soon.doc)).status, 200);
  const id = await customerWrites(s, 'whatsapp', String(++phone), 'quiero comprar');
  assert.equal((await conversation(id)).assignee, null);
  assert.equal(sql(s, `SELECT queued_until FROM conversations WHERE id = ${id}`), String(soon.at));
  await s.stop({ keepDir: true });
  await until(() => Date.now() > soon.at + 1000, 'the opening to pass', 3 * 60_000);
  s = await startServer({ dir: s.dir, env: fake.env });
  admin = await adminClient(s);
  await until(async () => (await conversation(id)).assignee !== null, 'assigned after the restart');
  assert.equal(sql(s, `SELECT queued_until IS NULL FROM conversations WHERE id = ${id}`), '1');
  assert.equal((await timeline(id)).filter((e) => e.kind === 'assignment').length, 1);
  assert.equal((await admin.del(`/api/v1/teams/${ventas}/business-hours`)).status, 200);
});

test("the account's welcome waits for its opening when its hours say so; bad values refused", async () => {
  const soon = opensSoon();
  const before = dump(s);
  for (const [path, doc] of [['/api/v1/business-hours', { ...soon.doc, welcome_when_closed: 'no' }],
    [`/api/v1/teams/${ventas}/business-hours`, { ...soon.doc, welcome_when_closed: false }]])
    assertError(await admin.put(path, doc), 422, 'unprocessable');
  assert.equal(dump(s), before, 'refused documents change nothing');
  const put = await admin.put('/api/v1/business-hours', { ...soon.doc, welcome_when_closed: false });
  assert.equal(put.status, 200, put.text);
  assert.equal(put.json.business_hours.welcome_when_closed, false);
  try {
    const from = String(++phone);
    const id = await customerWrites(s, 'whatsapp', from, 'hola');
    await fake.waitForSent(1, { kind: 'whatsapp', to: from, timeout: 10000 });
    assert.match(fake.sent('whatsapp', from)[0].text, /^Estamos cerrados\. Abrimos /);
    let c = await conversation(id);
    assert.equal(c.status, 'routing');
    assert.deepEqual((await timeline(id)).at(-1).line, { code: 'welcome_deferred' });
    // Written again while closed: nothing more is sent (the welcome below comes second).
    await customerWrites(s, 'whatsapp', from, '¿hola?');
    assert.equal((await admin.put('/api/v1/business-hours', { time_zone: ZONE, week: ALWAYS, welcome_when_closed: false })).status, 200);
    await customerWrites(s, 'whatsapp', from, 'hola otra vez');
    await fake.waitForSent(2, { kind: 'whatsapp', to: from, timeout: 10000 });
    assert.deepEqual(fake.sent('whatsapp', from).slice(1).map((m) => m.text), ['Hola'], 'the welcome, once open');
    assert.equal((await timeline(id)).filter((e) => e.line?.code === 'welcome_deferred').length, 1);
    // From here routing goes on as ever: the menu's answer routes.
    await customerWrites(s, 'whatsapp', from, 'comprar');
    c = await conversation(id);
    assert.equal(c.team?.id, ventas);
    assert.equal(fake.sent('whatsapp', from).length, 2);
  } finally {
    assert.equal((await admin.del('/api/v1/business-hours')).status, 200);
  }
});
