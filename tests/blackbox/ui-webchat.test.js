// Web chat in a real browser: the demo shop (/demo) with the widget, played as a customer
// while agents work the inbox in other pages — the message arrives live in the right team's
// view (and its event stream), routing's welcome and fallback show in the widget and in the
// thread, an agent's reply arrives live in the widget, and the chat survives a reload (with a
// screenshot of the demo page on the way: docs/screenshots/ under `make screenshots`).
// Also the Settings → Channels form for the web chat kind.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { dump, sql } from './lib/db.js';
import { Client, adminClient } from './lib/client.js';
import { openStream, findEvent } from './lib/sse.js';
import { until } from './lib/until.js';
import {
  PHONE, assertAccessible, assertAllTextTranslated, assertNoErrors, catalogue, launchBrowser, logIn, openPage, screenshot,
} from './lib/browser.js';

const en = catalogue('en');
const es = catalogue('es');
const WELCOME = '¡Hola! ¿Con qué área quieres hablar? 1. Soporte 2. Ventas 3. Marketing 4. Contabilidad';

let browser, demo, passwords;
before(async () => {
  [browser, demo] = await Promise.all([launchBrowser(), startServer({ env: { CENTRALITA_DEMO: '1' } })]);
  passwords = Object.fromEntries([...demo.stdout.matchAll(/(\S+@demo\.local)\s+password: (\S+)/g)].map((m) => [m[1], m[2]]));
});
after(async () => {
  await browser?.close();
  await demo?.stop();
});

async function login(email) {
  const c = new Client(demo.url);
  c.user = await c.login(email, passwords[email]);
  return c;
}

// The widget lives in an open shadow root; Playwright's CSS locators go through it.
function widget(page) {
  return {
    launcher: page.locator('button.launcher'),
    input: page.locator('[data-centralita] textarea'),
    replies: page.locator('[data-centralita] p.msg.out'),
    mine: page.locator('[data-centralita] p.msg.in'),
  };
}

async function say(page, text) {
  const w = widget(page);
  await w.input.fill(text);
  await w.input.press('Enter');
  await page.locator('[data-centralita] p.msg.in:not(.pending)', { hasText: text }).waitFor();
}

test('the customer chats in the demo shop; the agents see it live; routing and a reply come back live', async () => {
  const bruno = await login('bruno@demo.local');
  const ana = await login('ana@demo.local');
  const brunoEvents = await openStream(bruno);
  const anaEvents = await openStream(ana);
  // The agents' inbox in the browser: Bruno on Contabilidad, Ana on Soporte.
  const teamId = async (client, name) => (await client.get('/api/v1/teams')).json.teams.find((t) => t.name === name).id;
  const accounting = await teamId(bruno, 'Contabilidad');
  const support = await teamId(ana, 'Soporte');
  const brunoPage = await openPage(browser, demo, { path: `/inbox/team/${accounting}`, locale: 'es-ES' });
  await logIn(brunoPage, 'bruno@demo.local', passwords['bruno@demo.local']);
  await brunoPage.waitForURL(`**/inbox/team/${accounting}`);
  const anaPage = await openPage(browser, demo, { path: `/inbox/team/${support}`, locale: 'es-ES' });
  await logIn(anaPage, 'ana@demo.local', passwords['ana@demo.local']);
  await anaPage.waitForURL(`**/inbox/team/${support}`);
  for (const p of [brunoPage, anaPage]) await p.evaluate(() => { window.notReloaded = true; });

  const page = await openPage(browser, demo, { path: '/demo', locale: 'es-ES' });
  const w = widget(page);
  await page.getByRole('heading', { level: 1, name: 'Bienvenido a nuestra tienda' }).waitFor();
  assert.equal(await w.launcher.getAttribute('aria-label'), 'Abrir el chat');
  await w.launcher.click();
  assert.equal(await w.launcher.getAttribute('aria-expanded'), 'true');
  await say(page, 'Hola, tengo una duda');

  // Routing's welcome, then its fallback for an answer it does not understand.
  await w.replies.filter({ hasText: WELCOME }).waitFor();
  await say(page, 'pues no sé');
  await w.replies.filter({ hasText: /no te he entendido/ }).waitFor();
  // Customer text is text: markup stays as typed.
  await say(page, 'mi <b>factura</b> está mal');
  await w.replies.filter({ hasText: 'Gracias. Te atiende el equipo de Contabilidad: enseguida te escribimos.' }).waitFor();
  assert.equal(await page.locator('[data-centralita] p.msg b').count(), 0);

  // The agent side, live: Bruno (Contabilidad) got the events as they happened; Ana did not.
  const { conversations } = (await bruno.get('/api/v1/conversations?q=factura')).json;
  assert.equal(conversations.length, 1);
  const conv = conversations[0];
  assert.equal(conv.team.name, 'Contabilidad');
  assert.equal(conv.channel.kind, 'webchat');
  await brunoEvents.waitFor((st) => st.events.some((e) => e.event === 'conversation.updated' &&
    e.data.conversation_id === conv.id && e.data.team_id === conv.team_id), 'the routing to Contabilidad on Bruno\'s stream');
  const messages = (await bruno.get(`/api/v1/conversations/${conv.id}/messages`)).json.messages;
  assert.deepEqual(messages.filter((m) => m.direction === 'in').map((m) => m.text).reverse(),
    ['Hola, tengo una duda', 'pues no sé', 'mi <b>factura</b> está mal']);
  for (const m of messages.filter((x) => x.direction === 'in'))
    assert.ok(findEvent(brunoEvents, 'message.created', conv.id) && brunoEvents.events.some((e) => e.data.message_id === m.id));
  // Ana saw the conversation while it waited in the general inbox, and nothing once it was Contabilidad's.
  const anaAfter = anaEvents.events.filter((e) => e.data.conversation_id === conv.id && e.data.team_id === undefined &&
    e.id > brunoEvents.events.find((x) => x.event === 'conversation.updated' && x.data.team_id === conv.team_id).id);
  assert.deepEqual(anaAfter, []);
  assert.equal((await ana.get(`/api/v1/conversations/${conv.id}`)).status, 404);

  // In Bruno's inbox the conversation appeared in Contabilidad without a reload, with
  // routing's welcome and fallback and the customer's words as text; Ana's Soporte has none.
  const row = brunoPage.locator('.conv-item', { hasText: conv.contact.name });
  await row.waitFor();
  assert.equal(await brunoPage.evaluate(() => window.notReloaded), true);
  assert.equal(await anaPage.locator('.conv-item', { hasText: conv.contact.name }).count(), 0);
  await row.locator('a').click();
  await brunoPage.waitForURL(`**/inbox/team/${accounting}/${conv.id}`);
  const log = brunoPage.locator('.thread-log');
  await log.locator('.msg-bot', { hasText: WELCOME }).waitFor();
  await log.locator('.msg-bot', { hasText: /no te he entendido/ }).waitFor();
  await log.locator('.msg-in', { hasText: 'mi <b>factura</b> está mal' }).waitFor();
  assert.equal(await log.locator('.msg-in b').count(), 0);

  // Bruno answers from the inbox; the reply arrives in the widget without a reload.
  const composer = brunoPage.getByRole('textbox', { name: es['inbox.composer.reply'] });
  await composer.fill('Hola, soy Bruno: ¿me dices el número de factura?');
  await composer.press('Enter');
  await w.replies.filter({ hasText: 'soy Bruno' }).waitFor();
  // Who answers, and when: the agent by name, routing's menu as the assistant.
  assert.equal(await w.replies.filter({ hasText: 'soy Bruno' }).locator('.who').textContent(), 'Bruno');
  assert.equal(await w.replies.filter({ hasText: WELCOME }).locator('.who').textContent(), 'Asistente');
  assert.match(await w.replies.filter({ hasText: 'soy Bruno' }).locator('time').textContent(), /^\d\d:\d\d$/);
  await w.mine.first().locator('time').waitFor();
  assert.match(await w.mine.first().locator('time').textContent(), /^\d\d:\d\d$/);
  const replyId = (await bruno.get(`/api/v1/conversations/${conv.id}/messages`)).json.messages
    .find((m) => m.text === 'Hola, soy Bruno: ¿me dices el número de factura?' && m.sender === 'agent').id;
  await screenshot(page, 'webchat-demo-desktop');
  await until(async () => (await bruno.get(`/api/v1/conversations/${conv.id}/messages`)).json.messages
    .find((m) => m.id === replyId).status === 'delivered', 'the reply to be delivered');

  // A reload keeps the chat: the token is in localStorage, the history comes back.
  await page.reload();
  await w.launcher.click();
  await w.replies.filter({ hasText: 'soy Bruno' }).waitFor();
  assert.equal(await w.mine.count(), 3);
  // An agent's reply through the API arrives live as well.
  const second = await bruno.post(`/api/v1/conversations/${conv.id}/messages`, { text: 'Sigo aquí' });
  assert.equal(second.status, 201);
  await w.replies.filter({ hasText: 'Sigo aquí' }).waitFor();
  // The visitor's next words reach Bruno's open thread live.
  await say(page, 'Es la F-2026-0042');
  await log.locator('.msg-in', { hasText: 'Es la F-2026-0042' }).waitFor();
  assert.equal(await brunoPage.evaluate(() => window.notReloaded), true);
  for (const p of [page, brunoPage, anaPage]) {
    assertNoErrors(p);
    await p.context().close();
  }
  brunoEvents.close();
  anaEvents.close();
});

test('the demo page and the widget in English, on a phone, accessible', async () => {
  const page = await openPage(browser, demo, { path: '/demo', viewport: PHONE, locale: 'en-GB' });
  const w = widget(page);
  await page.getByRole('heading', { level: 1, name: 'Welcome to our shop' }).waitFor();
  assert.equal(await w.launcher.getAttribute('aria-label'), 'Open the chat');
  await w.launcher.click();
  await page.locator('[data-centralita] [aria-label="Type a message"]').waitFor();
  await assertAccessible(page);
  // Enter sends; a new browser is a new visitor with its own conversation.
  await say(page, 'hello there');
  await w.replies.filter({ hasText: WELCOME }).waitFor();
  assert.equal(await w.mine.count(), 1);
  await page.locator('[data-centralita] button[aria-label="Close the chat"]').click();
  assert.equal(await w.launcher.getAttribute('aria-expanded'), 'false');
  assertNoErrors(page);
  await page.context().close();
});

test('Settings → Channels connects a web chat and shows the code to paste', async () => {
  const server = await startServer({ env: { CENTRALITA_PUBLIC_URL: 'https://chat.example.com' } });
  const admin = await adminClient(server);
  const page = await openPage(browser, server, { path: '/settings/channels' });
  await logIn(page);
  const form = page.getByRole('form', { name: en['channels.connect.title'] });
  await form.getByLabel(en['channels.field.kind']).selectOption('webchat');
  await form.getByLabel(en['channels.field.name'], { exact: true }).fill('Web shop');
  await form.getByLabel(en['channels.field.allowedOrigins']).fill('https://shop.example.com  https://www.example.com');
  await form.getByRole('button', { name: en['channels.connect.submit'] }).click();
  await page.getByRole('heading', { name: en['channels.connected.title'].replace('{name}', 'Web shop') }).waitFor();
  const [stored] = (await admin.get('/api/v1/channels')).json.channels;
  assert.equal(stored.kind, 'webchat');
  assert.deepEqual(stored.allowed_origins, ['https://shop.example.com', 'https://www.example.com']);
  assert.equal(await page.locator('.connected .channel-snippet').textContent(), stored.snippet);
  assert.equal(await page.locator('#channels-list .channel-snippet').textContent(), stored.snippet);
  await page.getByRole('button', { name: en['channels.copySnippet'] }).first().waitFor();
  await page.getByText(en['channels.origins'].replace('{origins}', 'https://shop.example.com, https://www.example.com')).waitFor();
  const me = (await admin.get('/api/v1/me')).json.user.name;
  await assertAllTextTranslated(page, 'en', [me, 'Web shop', stored.snippet]);
  await assertAccessible(page);
  assertNoErrors(page);
  await page.context().close();
  await server.stop();
});

test('demo mode: the passwords are the last lines the server printed, and the login page says where they are', async () => {
  const lines = demo.stdout.trim().split('\n');
  const listening = lines.findIndex((l) => /listening on/.test(l));
  assert.ok(listening >= 0 && lines.slice(listening + 1).some((l) => /ana@demo\.local\s+password:/.test(l)),
    `the passwords after "listening": ${demo.stdout}`);
  for (const [locale, words] of [['es-ES', es], ['en-GB', catalogue('en')]]) {
    const page = await openPage(browser, demo, { path: '/login', locale });
    await page.getByText(words['login.demoHint']).waitFor();
    assertNoErrors(page);
    await page.context().close();
  }
});

test('a web chat that asks for the name and e-mail: the admin ticks it, the widget asks, a bad e-mail is refused clearly', async () => {
  const server = await startServer({ env: { CENTRALITA_DEMO: '1' } });
  try {
    const logins = Object.fromEntries([...server.stdout.matchAll(/(\S+@demo\.local)\s+password: (\S+)/g)].map((m) => [m[1], m[2]]));
    const admin = new Client(server.url);
    await admin.login('admin@demo.local', logins['admin@demo.local']);
    // The admin ticks it on the channel's card.
    const settings = await openPage(browser, server, { path: '/settings/channels', locale: 'es-ES' });
    await logIn(settings, 'admin@demo.local', logins['admin@demo.local']);
    await settings.getByLabel(es['channels.askContact.label']).check();
    const web = async () => (await admin.get('/api/v1/channels')).json.channels.find((c) => c.kind === 'webchat');
    await until(async () => (await web()).ask_contact === true, 'the channel to ask');
    await settings.reload();
    assert.equal(await settings.getByLabel(es['channels.askContact.label']).isChecked(), true);
    assertNoErrors(settings);
    await settings.context().close();

    // The visitor is asked before the chat; the composer waits.
    const page = await openPage(browser, server, { path: '/demo', locale: 'es-ES' });
    const w = widget(page);
    await w.launcher.click();
    const name = page.locator('[data-centralita] input[autocomplete="name"]');
    const email = page.locator('[data-centralita] input[autocomplete="email"]');
    await name.waitFor();
    assert.equal(await w.input.isVisible(), false);
    await assertAccessible(page);
    await name.fill('Lucía Gómez');
    await email.fill('lucia@');
    const status = page.locator('[data-centralita] .status');
    // A bad e-mail: said in the visitor's language, the field marked, nothing stored.
    const before = dump(server);
    await page.locator('[data-centralita] form.details button').click();
    await until(async () => (await status.textContent()) === 'Escribe una dirección de correo válida, como nombre@ejemplo.com.',
      'the widget to refuse the e-mail');
    assert.equal(await email.getAttribute('aria-invalid'), 'true');
    assert.equal(dump(server), before);
    // A good one: the chat begins, and the contact the first message makes has both.
    await email.fill('Lucia@Ejemplo.com');
    await page.locator('[data-centralita] form.details button').click();
    await w.input.waitFor();
    assert.equal(await status.textContent(), '');
    await say(page, 'Hola, una pregunta sobre mi pedido');
    await until(() => sql(server, "SELECT name || '|' || email FROM contacts WHERE email = 'lucia@ejemplo.com'") === 'Lucía Gómez|lucia@ejemplo.com',
      'the contact to have the name and e-mail');
    // Back later: not asked again.
    await page.reload();
    await w.launcher.click();
    await w.input.waitFor();
    assert.equal(await name.isVisible(), false);
    assertNoErrors(page);
    await page.context().close();
  } finally {
    await server.stop();
  }
});

test('the demo shop and its widget speak the language the inbox was set to in this browser', async () => {
  const page = await openPage(browser, demo, { path: '/login', locale: 'es-ES' });
  const w = widget(page);
  // A Spanish browser: the shop and the widget in Spanish, like the login page.
  await page.getByText(es['login.demoHint']).waitFor();
  await page.goto(`${demo.url}/demo`);
  await page.getByRole('heading', { level: 1, name: 'Bienvenido a nuestra tienda' }).waitFor();
  await w.launcher.waitFor();
  assert.equal(await w.launcher.getAttribute('aria-label'), 'Abrir el chat');
  // English chosen in the inbox: the shop and the widget follow.
  await page.goto(`${demo.url}/login`);
  await page.getByLabel(es['language.label']).selectOption('en');
  await page.getByText(en['login.demoHint']).waitFor();
  await page.goto(`${demo.url}/demo`);
  await page.getByRole('heading', { level: 1, name: 'Welcome to our shop' }).waitFor();
  await w.launcher.waitFor();
  assert.equal(await w.launcher.getAttribute('aria-label'), 'Open the chat');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
  assertNoErrors(page);
  await page.context().close();
});
