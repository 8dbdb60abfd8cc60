// The inbox in a real browser (headless chromium) against a real server whose providers are
// faked: a customer's signed webhook appears live in the right team's view, routing's
// welcome and fallback show in the thread, a reply reaches the provider, a transfer takes a
// conversation out of a non-member's view, customer text is never HTML, and a dropped
// event stream catches up without a reload and without duplicates.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient, agentClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';
import { assertNoErrors, catalogue, launchBrowser, logIn, openPage } from './lib/browser.js';

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

test('a transfer to another team takes the conversation out of a non-member\'s view', async () => {
  const { conversation } = await routedCustomer('Elena Sanz', '1');
  const sara = await openPage(browser, server, { path: `/inbox/team/${teams.Soporte.id}/${conversation}` });
  await logIn(sara, 'sara@example.com', 'agent-password-123');
  await sara.getByRole('heading', { level: 2, name: 'Elena Sanz' }).waitFor();
  await item(sara, 'Elena Sanz').waitFor();

  const boss = await openPage(browser, server, { path: `/inbox/all/${conversation}` });
  await logIn(boss);
  await boss.getByRole('heading', { level: 2, name: 'Elena Sanz' }).waitFor();
  await boss.getByLabel(en['inbox.action.transfer']).selectOption({ label: 'Ventas' });
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

test('a dropped event stream catches up from the last event: no reload, no duplicates', async () => {
  const { from, conversation } = await routedCustomer('Jorge Peña', '1');
  const page = await openPage(browser, server, { path: `/inbox/team/${teams.Soporte.id}/${conversation}` });
  await logIn(page, 'sara@example.com', 'agent-password-123');
  await page.getByRole('heading', { level: 2, name: 'Jorge Peña' }).waitFor();
  await page.evaluate(() => { window.notReloaded = true; });
  // A first message proves the stream is up and gives it an event id to resume from.
  await customerWrites(server, 'whatsapp', from, 'primero', { name: 'Jorge Peña' });
  await thread(page).locator('.msg-in', { hasText: 'primero' }).waitFor();
  assert.ok(await page.evaluate(() => window.centralitaLive.lastEventId()));
  await page.evaluate(() => window.centralitaLive.drop(1500));
  await customerWrites(server, 'whatsapp', from, 'mientras tanto', { name: 'Jorge Peña' });
  await thread(page).locator('.msg-in', { hasText: 'mientras tanto' }).waitFor({ timeout: 8000 });
  // A later message shows once the page has handled every event before it: a duplicate of
  // the caught-up one would be there by then.
  await customerWrites(server, 'whatsapp', from, 'después', { name: 'Jorge Peña' });
  await thread(page).locator('.msg-in', { hasText: 'después' }).waitFor();
  assert.equal(await thread(page).locator('.msg-in', { hasText: 'mientras tanto' }).count(), 1);
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  assertNoErrors(page);
  await page.context().close();
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
