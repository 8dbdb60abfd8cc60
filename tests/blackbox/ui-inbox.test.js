// The inbox in a real browser (headless chromium) against a real server whose providers are
// faked: a customer's signed webhook appears live in the right team's view, routing's
// welcome and fallback show in the thread, a reply reaches the provider, a transfer takes a
// conversation out of a non-member's view, a message that reopens a resolved conversation
// shows it open, customer text is never HTML, and a dropped
// event stream catches up without a reload and without duplicates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient, agentClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';
import { assertNoErrors, catalogue, launchBrowser, logIn, openPage } from './lib/browser.js';
import { until } from './lib/until.js';

const en = catalogue('en');

const ROUTING = {
  enabled: true,
  welcome_message: '¡Hola! Responde con un número: 1 Soporte 2 Ventas',
  fallback_message: 'Perdona, no te he entendido. Responde 1 o 2.',
  max_attempts: 3,
  give_up_message: 'Un compañero te atenderá enseguida.',
  options: [{ answers: ['1', 'soporte'], team: 'Soporte' }, { answers: ['2', 'ventas'], team: 'Ventas' }],
};

let browser;
let fake;
let server;
let admin;
const teams = {};
let phone = 34611000000;

before(async () => {
  fake = await startFakeProvider();
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: fake.env })]);
  admin = await adminClient(server);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  const sara = await agentClient(server, admin, 'sara@example.com', 'Sara Soporte');
  const victor = await agentClient(server, admin, 'victor@example.com', 'Víctor Ventas');
  for (const [name, member] of [['Soporte', sara], ['Ventas', victor]]) {
    teams[name] = (await admin.post('/api/v1/teams', { name })).json.team;
    await admin.post(`/api/v1/teams/${teams[name].id}/members`, { user_id: member.user.id });
  }
  assert.equal((await admin.put('/api/v1/routing', ROUTING)).status, 200);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

function item(page, name) {
  return page.locator('.conv-item', { hasText: name });
}

function thread(page) {
  return page.locator('.thread-log');
}

// A customer who went through routing into a team: returns { from, conversation }.
async function routedCustomer(name, teamAnswer, { fallback = false } = {}) {
  const from = String(++phone);
  const conversation = await customerWrites(server, 'whatsapp', from, 'Buenas tardes', { name });
  let sent = 1;
  await fake.waitForSent(sent, { kind: 'whatsapp', to: from, timeout: 10000 });
  if (fallback) {
    await customerWrites(server, 'whatsapp', from, 'no sé qué poner', { name });
    await fake.waitForSent(++sent, { kind: 'whatsapp', to: from, timeout: 10000 });
  }
  if (teamAnswer) await customerWrites(server, 'whatsapp', from, teamAnswer, { name });
  return { from, conversation };
}

test('a customer message arrives live in the right team\'s view, with routing\'s welcome and fallback in the thread', async () => {
  const sara = await openPage(browser, server, { path: `/inbox/team/${teams.Soporte.id}` });
  await logIn(sara, 'sara@example.com', 'agent-password-123');
  await sara.waitForURL(`**/inbox/team/${teams.Soporte.id}`);
  await sara.evaluate(() => { window.notReloaded = true; });
  const victor = await openPage(browser, server, { path: `/inbox/team/${teams.Ventas.id}` });
  await logIn(victor, 'victor@example.com', 'agent-password-123');
  await victor.waitForURL(`**/inbox/team/${teams.Ventas.id}`);

  const { conversation } = await routedCustomer('Marta Gil', '1', { fallback: true });
  await item(sara, 'Marta Gil').waitFor();
  assert.equal(await sara.evaluate(() => window.notReloaded), true);
  assert.equal(await item(victor, 'Marta Gil').count(), 0);
  // The navigation counts the open conversation in Soporte.
  await sara.locator(`[data-count="team:${teams.Soporte.id}"]`, { hasText: '1' }).waitFor();

  await item(sara, 'Marta Gil').locator('a').click();
  await sara.waitForURL(`**/inbox/team/${teams.Soporte.id}/${conversation}`);
  await sara.getByRole('heading', { level: 2, name: 'Marta Gil' }).waitFor();
  const log = thread(sara);
  await log.locator('.msg-bot', { hasText: ROUTING.welcome_message }).waitFor();
  await log.locator('.msg-bot', { hasText: ROUTING.fallback_message }).waitFor();
  await log.locator('.msg-in', { hasText: 'no sé qué poner' }).waitFor();
  assert.equal(await log.locator('.msg-bot .msg-sender').first().textContent(), en['inbox.sender.routing']);
  await log.locator('.sysline[data-kind="routing"]').first().waitFor();
  // The welcome came before the customer's second message, the fallback after it.
  const texts = await log.locator('.msg .msg-text').allTextContents();
  assert.ok(texts.indexOf(ROUTING.welcome_message) < texts.indexOf('no sé qué poner'));
  assert.ok(texts.indexOf('no sé qué poner') < texts.indexOf(ROUTING.fallback_message));

  // A new customer message in the open conversation appears without a reload.
  await customerWrites(server, 'whatsapp', String(phone), '¿Seguís ahí?', { name: 'Marta Gil' });
  await log.locator('.msg-in', { hasText: '¿Seguís ahí?' }).waitFor();
  assert.equal(await sara.evaluate(() => window.notReloaded), true);
  assertNoErrors(sara);
  assertNoErrors(victor);
  await sara.context().close();
  await victor.context().close();
});

test('an agent replies with Enter; the message is pending until the provider accepts it, and the provider gets it', async () => {
  const { from, conversation } = await routedCustomer('Pablo Ruiz', 'soporte');
  const before = fake.sent('whatsapp', from).length;
  const page = await openPage(browser, server, { path: `/inbox/team/${teams.Soporte.id}/${conversation}` });
  await logIn(page, 'sara@example.com', 'agent-password-123');
  await page.getByRole('heading', { level: 2, name: 'Pablo Ruiz' }).waitFor();
  const composer = page.getByRole('textbox', { name: en['inbox.composer.reply'] });
  await composer.fill('Hola Pablo, lo miramos');
  await composer.press('Shift+Enter');
  await composer.pressSequentially('ahora mismo.');
  await composer.press('Enter');
  assert.equal(await composer.inputValue(), '');
  const [sent] = (await fake.waitForSent(before + 1, { kind: 'whatsapp', to: from, timeout: 10000 })).slice(before);
  assert.equal(sent.text, 'Hola Pablo, lo miramos\nahora mismo.');
  const mine = thread(page).locator('.msg-out', { hasText: 'ahora mismo.' });
  await mine.and(page.locator('[data-status="sent"]')).waitFor();
  assert.equal(await mine.locator('.msg-sender').textContent(), 'Sara Soporte');
  assert.equal(await mine.locator('.tick-sent').getAttribute('title'), en['inbox.tick.sent']);
  assert.equal(await mine.count(), 1);
  assertNoErrors(page);
  await page.context().close();
});

// A reply to a resolved conversation reopens it in one commit: conversation.updated, then
// message.created. The thread must apply both (one reload timer used to keep only the last).
test('a conversation reopened by a message shows open in the thread: a customer\'s, then the agent\'s own reply', async () => {
  const { from, conversation } = await routedCustomer('Olga Prieto', '1');
  const page = await openPage(browser, server, { path: `/inbox/team/${teams.Soporte.id}/${conversation}` });
  await logIn(page, 'sara@example.com', 'agent-password-123');
  await page.getByRole('heading', { level: 2, name: 'Olga Prieto' }).waitFor();
  const badge = page.locator('.thread-sub .badge');
  const resolveAndWait = async () => {
    assert.equal((await admin.post(`/api/v1/conversations/${conversation}/resolve`)).status, 200);
    await badge.filter({ hasText: en['inbox.status.resolved'] }).waitFor();
    await page.locator('#action-reopen').waitFor();
  };

  await resolveAndWait();
  await customerWrites(server, 'whatsapp', from, 'Vuelvo a escribir', { name: 'Olga Prieto' });
  await thread(page).locator('.msg-in', { hasText: 'Vuelvo a escribir' }).waitFor();
  assert.equal((await admin.get(`/api/v1/conversations/${conversation}`)).json.conversation.status, 'open');
  await badge.filter({ hasText: en['inbox.status.open'] }).waitFor();
  await page.locator('#action-resolve').waitFor();

  await resolveAndWait();
  const composer = page.getByRole('textbox', { name: en['inbox.composer.reply'] });
  await composer.fill('Te respondo aunque estaba resuelta');
  await composer.press('Enter');
  // Stored, not just shown as being sent.
  await thread(page).locator('.msg-out[data-message-id]', { hasText: 'Te respondo aunque estaba resuelta' }).waitFor();
  assert.equal((await admin.get(`/api/v1/conversations/${conversation}`)).json.conversation.status, 'open');
  await badge.filter({ hasText: en['inbox.status.open'] }).waitFor();
  await page.locator('#action-resolve').waitFor();
  assertNoErrors(page);
  await page.context().close();
});

test('a conversation waiting in routing previews routing\'s message as routing\'s', async () => {
  const { conversation } = await routedCustomer('Ruta Espera', null);
  const page = await openPage(browser, server, { path: '/inbox/general' });
  await logIn(page, 'sara@example.com', 'agent-password-123');
  await page.locator('#filter-status').selectOption('routing');
  const preview = page.locator(`.conv-item[data-conversation-id="${conversation}"] .conv-preview`);
  await preview.filter({ hasText: `Routing: ${ROUTING.welcome_message}` }).waitFor();
  assertNoErrors(page);
  await page.context().close();
});

test('a transfer to another team takes the conversation out of a non-member\'s view', async () => {
  const { conversation } = await routedCustomer('Elena Sanz', '1');
  const sara = await openPage(browser, server, { path: `/inbox/team/${teams.Soporte.id}/${conversation}` });
  await logIn(sara, 'sara@example.com', 'agent-password-123');
  await sara.getByRole('heading', { level: 2, name: 'Elena Sanz' }).waitFor();
  await item(sara, 'Elena Sanz').waitFor();

  const boss = await openPage(browser, server, { path: `/inbox/all/${conversation}` });
  await logIn(boss);
  await boss.getByRole('heading', { level: 2, name: 'Elena Sanz' }).waitFor();
  await boss.getByRole('button', { name: en['inbox.action.transfer'] }).click();
  await boss.getByRole('menuitem', { name: 'Ventas' }).click();
  await boss.locator('.toast', { hasText: en['inbox.done.transferred'] }).waitFor();
  await boss.locator('.thread-sub', { hasText: 'Ventas' }).waitFor();

  await item(sara, 'Elena Sanz').waitFor({ state: 'detached' });
  await sara.locator('.toast', { hasText: en['inbox.gone.notVisible'] }).waitFor();
  await sara.waitForURL(`**/inbox/team/${teams.Soporte.id}`);
  assert.equal((await admin.get(`/api/v1/conversations/${conversation}`)).json.conversation.team_id, teams.Ventas.id);
  assertNoErrors(sara);
  assertNoErrors(boss);
  await sara.context().close();
  await boss.context().close();
});

test('a customer\'s HTML is shown as the characters typed, never run', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const { from, conversation } = await routedCustomer(evil, '1');
  await customerWrites(server, 'whatsapp', from, evil, { name: evil });
  const page = await openPage(browser, server, { path: `/inbox/team/${teams.Soporte.id}` });
  await logIn(page, 'sara@example.com', 'agent-password-123');
  const row = page.locator(`.conv-item[data-conversation-id="${conversation}"]`);
  await row.locator('.conv-preview', { hasText: evil }).waitFor();
  assert.equal(await row.locator('.conv-name').textContent(), evil);
  await row.locator('a').click();
  const heading = page.locator('#thread-heading');
  await heading.waitFor();
  assert.equal(await heading.textContent(), evil);
  assert.equal(await thread(page).locator('.msg-in .msg-text', { hasText: evil }).textContent(), evil);
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assertNoErrors(page);
  await page.context().close();
});

// The server restarts under an open page (an upgrade): the stream ends, and while the page
// cannot reconnect (its requests for the stream are refused) a customer writes. Once it
// reconnects, it asks from the last event it saw and shows that message, once, without a reload.
test('a dropped event stream catches up from the last event: no reload, no duplicates', async () => {
  const own = await startServer({ env: fake.env });
  const port = new URL(own.url).port;
  let current = own;
  try {
    const boss = await adminClient(own);
    assert.equal((await boss.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
    const from = String(++phone);
    const conversation = await customerWrites(own, 'whatsapp', from, 'primero', { name: 'Jorge Peña' });
    const page = await openPage(browser, own, { path: `/inbox/general/${conversation}` });
    const isStream = (r) => new URL(r.url()).pathname === '/api/v1/events';
    const streams = [];
    page.on('request', (r) => isStream(r) && streams.push(r));
    await logIn(page);
    await page.getByRole('heading', { level: 2, name: 'Jorge Peña' }).waitFor();
    await page.evaluate(() => { window.notReloaded = true; });
    // A message proves the stream is up and gives it an event id to resume from.
    await customerWrites(own, 'whatsapp', from, 'segundo', { name: 'Jorge Peña' });
    await thread(page).locator('.msg-in', { hasText: 'segundo' }).waitFor();
    assert.equal(streams.length, 1);

    await page.route((url) => url.pathname === '/api/v1/events', (route) => route.abort());
    const refused = page.waitForEvent('requestfailed', { predicate: isStream, timeout: 15000 });
    await own.stop({ keepDir: true });
    current = await startServer({ dir: own.dir, env: fake.env, port });
    await refused;
    await customerWrites(current, 'whatsapp', from, 'mientras tanto', { name: 'Jorge Peña' });
    await page.unrouteAll();
    await thread(page).locator('.msg-in', { hasText: 'mientras tanto' }).waitFor({ timeout: 15000 });
    const resumed = streams.at(-1);
    const lastId = new URL(resumed.url()).searchParams.get('last_event_id') ?? (await resumed.allHeaders())['last-event-id'];
    assert.match(String(lastId), /^\d+$/);
    // A later message comes once: the one said meanwhile was not replayed twice either.
    await customerWrites(current, 'whatsapp', from, 'después', { name: 'Jorge Peña' });
    await thread(page).locator('.msg-in', { hasText: 'después' }).waitFor();
    assert.equal(await thread(page).locator('.msg-in', { hasText: 'mientras tanto' }).count(), 1);
    assert.equal(await page.evaluate(() => window.notReloaded), true);
    // Chromium logs the requests made while the server was down or refused: those were meant.
    page.errors = page.errors.filter((e) => !/^Failed to load resource: net::ERR_(CONNECTION_REFUSED|FAILED)$/.test(e));
    assertNoErrors(page);
    await page.context().close();
  } finally {
    await current.stop();
  }
});

// The browser's Notification and the page's visibility, replaced so the test can see them.
function stubNotifications() {
  window.shown = [];
  window.hidden = false;
  window.Notification = class {
    static permission = 'default';
    static requestPermission() {
      this.permission = 'granted';
      return Promise.resolve('granted');
    }
    constructor(title, options) {
      window.shown.push({ title, body: options.body });
    }
    addEventListener() {}
  };
  Object.defineProperty(document, 'visibilityState', { get: () => (window.hidden ? 'hidden' : 'visible') });
  window.tones = 0;
  const Audio = window.AudioContext;
  window.AudioContext = class extends Audio {
    createOscillator() {
      window.tones += 1;
      return super.createOscillator();
    }
  };
}

test('notifications: asked for from a button; a hidden tab notifies and chimes; the title counts the unread', async () => {
  const { from, conversation } = await routedCustomer('Nuria Vidal', '1');
  const page = await openPage(browser, server);
  await page.addInitScript(stubNotifications);
  await logIn(page, 'sara@example.com', 'agent-password-123');
  await page.goto(`${server.url}/inbox/team/${teams.Soporte.id}`);
  await item(page, 'Nuria Vidal').waitFor();
  const title = /^\((\d+)\) Soporte · Centralita$/;
  await page.waitForFunction((source) => new RegExp(source).test(document.title), title.source);
  const unread = Number((await page.title()).match(title)[1]);

  const bell = page.getByRole('button', { name: en['notify.enable'] });
  await bell.click();
  await page.locator('.toast', { hasText: en['notify.enabled'] }).waitFor();
  await bell.waitFor({ state: 'hidden' });

  // Seen in a visible tab: no notification.
  await customerWrites(server, 'whatsapp', from, 'Sigo esperando', { name: 'Nuria Vidal' });
  await item(page, 'Nuria Vidal').filter({ hasText: 'Sigo esperando' }).waitFor();
  assert.deepEqual(await page.evaluate(() => window.shown), []);
  await page.evaluate(() => { window.hidden = true; });
  await customerWrites(server, 'whatsapp', from, '¿Hola?', { name: 'Nuria Vidal' });
  await page.waitForFunction(() => window.shown.length === 1);
  assert.deepEqual(await page.evaluate(() => window.shown), [{ title: 'Nuria Vidal', body: '¿Hola?' }]);
  assert.ok(await page.evaluate(() => window.tones) >= 2);

  // Opening the conversation reads it: one fewer in the title.
  await page.evaluate(() => { window.hidden = false; });
  await page.goto(`${server.url}/inbox/team/${teams.Soporte.id}/${conversation}`);
  await page.locator('#thread-heading', { hasText: 'Nuria Vidal' }).waitFor();
  const fewer = unread > 1 ? `(${unread - 1}) Soporte · Centralita` : 'Soporte · Centralita';
  await page.waitForFunction((expected) => document.title === expected, fewer);
  assertNoErrors(page);
  await page.context().close();
});

test('a conversation still in routing stays in the general view, marked "In routing", for a human to step in', async () => {
  const { conversation } = await routedCustomer('Ruta General', null);
  const page = await openPage(browser, server, { path: '/inbox/general' });
  await logIn(page, 'sara@example.com', 'agent-password-123');
  assert.equal(await page.locator('#filter-status').inputValue(), 'open,routing');
  const row = page.locator(`.conv-item[data-conversation-id="${conversation}"]`);
  await row.locator('.badge.status-routing', { hasText: en['inbox.status.routing'] }).waitFor();
  // Stepping in: a reply ends routing, and the row says so live.
  await row.locator('a').click();
  await page.getByRole('textbox', { name: en['inbox.composer.reply'] }).fill('Te atiendo yo');
  await page.keyboard.press('Enter');
  await row.locator('.badge.status-routing').waitFor({ state: 'detached' });
  await row.waitFor();
  assertNoErrors(page);
  await page.context().close();
});

test('search looks through every conversation the agent may see, whatever the view and status; the status stays in the address', async () => {
  const { from, conversation } = await routedCustomer('Ana Auriculares', '2');
  await customerWrites(server, 'whatsapp', from, 'Busco unos auriculares inalámbricos', { name: 'Ana Auriculares' });
  const page = await openPage(browser, server, { path: '/inbox/general' });
  await logIn(page, 'victor@example.com', 'agent-password-123');
  await page.locator('#filter-status').selectOption('resolved');
  await page.waitForURL('**/inbox/general?status=resolved');
  await page.getByLabel(en['inbox.filter.search']).fill('auriculares');
  const row = page.locator(`.conv-item[data-conversation-id="${conversation}"]`);
  await row.waitFor();
  await page.locator('.conv-summary', { hasText: en['inbox.list.found.one'] }).waitFor();
  assert.equal(await page.locator('.conv-item').count(), 1);
  await row.locator('a').click();
  await page.getByRole('heading', { level: 2, name: 'Ana Auriculares' }).waitFor();
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, `/inbox/general/${conversation}?status=resolved`);

  // After a reload the status is the address's.
  await page.goto(`${server.url}/inbox/general?status=resolved`);
  await page.locator('#filter-status').waitFor();
  assert.equal(await page.locator('#filter-status').inputValue(), 'resolved');
  await page.goto(`${server.url}/inbox/team/${teams.Ventas.id}?status=any`);
  await page.locator(`.conv-item[data-conversation-id="${conversation}"]`).waitFor();
  assert.equal(await page.locator('#filter-status').inputValue(), '');
  await page.goto(`${server.url}/inbox/general?status=<script>`);
  await page.locator('#filter-status').waitFor();
  assert.equal(await page.locator('#filter-status').inputValue(), 'open,routing');

  // Sara is not in Ventas: the search does not find it for her.
  const sara = await openPage(browser, server, { path: '/inbox/general' });
  await logIn(sara, 'sara@example.com', 'agent-password-123');
  await sara.getByLabel(en['inbox.filter.search']).fill('auriculares');
  await sara.locator('.conv-list .empty', { hasText: en['inbox.empty.filteredTitle'] }).waitFor();
  assert.equal(await sara.locator(`.conv-item[data-conversation-id="${conversation}"]`).count(), 0);
  assertNoErrors(page);
  assertNoErrors(sara);
  await page.context().close();
  await sara.context().close();
});

test('the list\'s filters show every choice whole, in Spanish, at desktop and phone widths', async () => {
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    const page = await openPage(browser, server, { viewport, locale: 'es-ES', path: '/inbox/general' });
    await logIn(page);
    await page.locator('#filter-status').waitFor();
    // Each choice's text, in the select's own font, fits inside it beside the arrow.
    const tight = await page.locator('.filter-row select').evaluateAll((selects) => selects.flatMap((select) => {
      const style = getComputedStyle(select);
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return [...select.options].filter((o) => ctx.measureText(o.text).width > room).map((o) => `${select.id}: ${o.text}`);
    }));
    assert.deepEqual(tight, [], `clipped at ${viewport.width} px`);
    assertNoErrors(page);
    await page.context().close();
  }
});

test('the timeline reads in the agent\'s language: routing\'s match, a transfer, an assignment and a tag, in Spanish', async () => {
  const es = catalogue('es');
  const { conversation } = await routedCustomer('Línea Española', '1');
  const sara = (await admin.get('/api/v1/users')).json.users.find((u) => u.email === 'sara@example.com');
  await until(async () => (await admin.get(`/api/v1/conversations/${conversation}`)).json.conversation.team_id === teams.Soporte.id,
    'routing to put it in Soporte');
  assert.equal((await admin.post(`/api/v1/conversations/${conversation}/assign`, { user_id: sara.id })).status, 200);
  assert.equal((await admin.put(`/api/v1/conversations/${conversation}/tags/envios`)).status, 200);
  assert.equal((await admin.post(`/api/v1/conversations/${conversation}/transfer`, { team_id: teams.Ventas.id })).status, 200);
  const page = await openPage(browser, server, { locale: 'es-ES', path: `/inbox/all/${conversation}` });
  await logIn(page);
  await page.getByRole('heading', { level: 2, name: 'Línea Española' }).waitFor();
  const fill = (key, values) => Object.entries(values).reduce((s, [k, v]) => s.replace(`{${k}}`, v), es[key]);
  const expected = [
    fill('timeline.routing.welcomedNew', {}),
    fill('timeline.routing.matched', { option: 1, answer: '1', team: 'Soporte' }),
    fill('timeline.assigned', { actor: 'Admin', name: 'Sara Soporte' }),
    fill('timeline.tagged', { actor: 'Admin', tag: 'envios' }),
    fill('timeline.transferred', { actor: 'Admin', from: 'Soporte', to: 'Ventas' }),
  ];
  const lines = page.locator('.sysline > span');
  await page.locator('.sysline', { hasText: expected.at(-1) }).waitFor();
  const shown = await lines.allTextContents();
  for (const line of expected) assert.ok(shown.includes(line), `"${line}" in ${JSON.stringify(shown)}`);
  assert.deepEqual(shown.filter((s) => /^(routing:|Admin (assigned|tagged|moved))/.test(s)), [], 'no English line');
  assertNoErrors(page);
  await page.context().close();
});

test('replying to an unassigned conversation of one\'s team takes it, unless the team turned that off', async () => {
  const { conversation } = await routedCustomer('Sin Dueño', '1');
  await until(async () => (await admin.get(`/api/v1/conversations/${conversation}`)).json.conversation.team_id === teams.Soporte.id,
    'routing to put it in Soporte');
  const page = await openPage(browser, server, { path: `/inbox/team/${teams.Soporte.id}/${conversation}` });
  await logIn(page, 'sara@example.com', 'agent-password-123');
  await page.locator('.thread-sub', { hasText: en['inbox.assignee.none'] }).waitFor();
  await page.getByRole('textbox', { name: en['inbox.composer.reply'] }).fill('Lo miro yo');
  await page.keyboard.press('Enter');
  await page.locator('.thread-sub', { hasText: en['inbox.assignee.is'].replace('{name}', 'Sara Soporte') }).waitFor();
  assert.equal((await admin.get(`/api/v1/conversations/${conversation}`)).json.conversation.assignee.name, 'Sara Soporte');

  // Ventas turned it off: Víctor's reply leaves the conversation unassigned.
  assert.equal((await admin.patch(`/api/v1/teams/${teams.Ventas.id}`, { reply_assigns: false })).status, 200);
  const other = await routedCustomer('Sigue Libre', '2');
  await until(async () => (await admin.get(`/api/v1/conversations/${other.conversation}`)).json.conversation.team_id === teams.Ventas.id,
    'routing to put it in Ventas');
  const victor = await openPage(browser, server, { path: `/inbox/team/${teams.Ventas.id}/${other.conversation}` });
  await logIn(victor, 'victor@example.com', 'agent-password-123');
  await victor.getByRole('textbox', { name: en['inbox.composer.reply'] }).fill('Te ayudo');
  await victor.keyboard.press('Enter');
  await victor.locator('.msg-out[data-message-id]', { hasText: 'Te ayudo' }).waitFor();
  assert.equal((await admin.get(`/api/v1/conversations/${other.conversation}`)).json.conversation.assignee, null);
  assert.equal((await admin.patch(`/api/v1/teams/${teams.Ventas.id}`, { reply_assigns: 'no' })).status, 400);
  assertNoErrors(page);
  assertNoErrors(victor);
  await page.context().close();
  await victor.context().close();
});
