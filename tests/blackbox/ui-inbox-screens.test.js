// The inbox's screens in a real browser: every string from the catalogue of the language
// shown (Spanish and English), axe checks and screenshots of the list, the thread and the
// contact panel at phone and desktop widths (docs/screenshots/ under `make screenshots`);
// canned responses, the contact panel's edit, delivery ticks (pending, sent, read, failed
// with the reason), the closed reply window, private notes, filters and the keyboard shortcuts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient, agentClient } from './lib/client.js';
import { failures, startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites, fixture, postMeta } from './lib/providers.js';
import { until } from './lib/until.js';
import {
  DESKTOP, PHONE, assertAccessible, assertAllTextTranslated, assertNoErrors, catalogue, launchBrowser, logIn, openPage, screenshot,
} from './lib/browser.js';

const en = catalogue('en');
const es = catalogue('es');
const PASSWORD = 'agent-password-123';

let browser;
let fake;
let server;
let admin;
let ana;
let soporte;
const conv = {};

function messageStatus(id) {
  return sql(server, `SELECT status FROM messages WHERE id = ${id}`);
}

before(async () => {
  fake = await startFakeProvider();
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: fake.env })]);
  admin = await adminClient(server);
  for (const kind of ['whatsapp', 'messenger', 'instagram', 'telegram'])
    assert.equal((await admin.post('/api/v1/channels', CHANNELS[kind])).status, 201);
  const channels = (await admin.get('/api/v1/channels')).json.channels;
  ana = await agentClient(server, admin, 'ana@example.com', 'Ana Pérez');
  await agentClient(server, admin, 'luis@example.com', 'Luis García');
  soporte = (await admin.post('/api/v1/teams', { name: 'Soporte' })).json.team;
  await admin.post('/api/v1/teams', { name: 'Ventas' });
  await admin.post(`/api/v1/teams/${soporte.id}/members`, { user_id: ana.user.id });
  assert.equal((await admin.post('/api/v1/canned-responses', { shortcut: 'horario',
    text: 'Hola {contact_name}, soy {agent_name} de {team_name}. Abrimos de 9 a 18 h.' })).status, 201);
  assert.equal((await admin.post('/api/v1/contact-attributes', { key: 'plan', label: 'Plan' })).status, 201);

  // Tidy data: four customers on four channels, all in Soporte.
  const telegram = channels.find((c) => c.kind === 'telegram').id;
  conv.marta = await customerWrites(server, 'whatsapp', '34600000101', 'Hola, el pedido 4512 no ha llegado todavía', { name: 'Marta Gil' });
  conv.lucas = await customerWrites(server, 'messenger', '6500000000000101', '¿Tenéis la talla 42 en azul?', { name: 'Lucas' });
  conv.irene = await customerWrites(server, 'instagram', '9800000000000101', 'Me encanta la nueva colección 😍', { name: 'Irene' });
  conv.pablo = await customerWrites(server, 'telegram', '5100000101', 'Quería cambiar la dirección de envío', { name: 'Pablo', channelId: telegram });
  for (const id of Object.values(conv)) await admin.post(`/api/v1/conversations/${id}/transfer`, { team_id: soporte.id });
  // Messenger and Instagram do not send names: someone wrote them in.
  for (const [id, name] of [[conv.lucas, 'Lucas'], [conv.irene, 'Irene']]) {
    const { contact } = (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;
    assert.equal((await admin.patch(`/api/v1/contacts/${contact.id}`, { name })).status, 200);
  }
  await admin.put(`/api/v1/conversations/${conv.marta}/tags/envios`);
  await admin.post(`/api/v1/conversations/${conv.marta}/assign`, { user_id: ana.user.id });
  const reply = await ana.post(`/api/v1/conversations/${conv.marta}/messages`, { text: 'Hola Marta, lo miro ahora mismo.' });
  await fake.waitForSent(1, { kind: 'whatsapp', to: '34600000101', timeout: 10000 });
  await until(() => messageStatus(reply.json.message_ids[0]) === 'sent', 'the reply to be sent');
  const [wa] = fake.sent('whatsapp', '34600000101');
  const read = fixture('whatsapp/status_delivered.json').replace('wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI4NzE3RjBDNjdEMzBDQjE2QjYA', wa.messageId)
    .replace('"delivered"', '"read"');
  assert.equal((await postMeta(server, 'whatsapp', read)).status, 200);
  await until(() => messageStatus(reply.json.message_ids[0]) === 'read', 'the reply to be read');
  await ana.post(`/api/v1/conversations/${conv.marta}/notes`, { text: 'Revisar con logística antes de las 12' });
  await customerWrites(server, 'whatsapp', '34600000101', 'Gracias, espero noticias', { name: 'Marta Gil' });
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

// What the data put on screen: names, message and timeline texts, tags, and the times.
async function dataStrings(page) {
  const strings = ['Marta Gil', 'Lucas', 'Irene', 'Pablo', 'Ana Pérez', 'Luis García', 'Soporte', 'Ventas', 'Admin',
    'envios', '34600000101', '+34600000101', '6500000000000101', '9800000000000101', '5100000101', 'Plan'];
  for (const id of Object.values(conv)) {
    strings.push(...(await admin.get(`/api/v1/conversations/${id}/messages?limit=200`)).json.messages.map((m) => m.text));
    strings.push(...(await admin.get(`/api/v1/conversations/${id}/events`)).json.events.map((e) => e.text));
    strings.push(...(await admin.get(`/api/v1/conversations/${id}/notes`)).json.notes.map((n) => n.text));
  }
  for (const c of Object.values(CHANNELS)) strings.push(c.name);
  strings.push(...await page.evaluate(() => [...document.querySelectorAll('time')].flatMap((t) => [t.textContent, t.title])));
  return strings.filter(Boolean).map((s) => s.trim());
}

function dialogs(page) {
  return page.getByRole('dialog');
}

test('every string of the inbox, thread, contact panel and help comes from the catalogue, in Spanish and English', async () => {
  const page = await openPage(browser, server, { locale: 'es-ES' });
  await logIn(page, 'ana@example.com', PASSWORD);
  for (const [language, words] of [['es', es], ['en', en]]) {
    if (language === 'en') {
      await page.getByLabel(es['language.label']).selectOption('en');
      await page.locator('html[lang="en"]').waitFor();
    }
    await page.goto(`${server.url}/inbox/team/${soporte.id}`);
    await page.locator('.conv-item').nth(3).waitFor();
    await assertAllTextTranslated(page, language, await dataStrings(page));
    await page.goto(`${server.url}/inbox/team/${soporte.id}/${conv.marta}`);
    await page.locator('.note').first().waitFor();
    await page.locator('.contact-body .contact-facts').first().waitFor();
    await assertAllTextTranslated(page, language, await dataStrings(page));
    await page.getByRole('textbox', { name: words['inbox.composer.reply'] }).fill('/hor');
    await page.locator('.canned-option').first().waitFor();
    // The suggestion shows the text as it will be inserted: filled for Marta by the server.
    await assertAllTextTranslated(page, language, [...await dataStrings(page), '/horario',
      'Hola Marta Gil, soy Ana Pérez de Soporte. Abrimos de 9 a 18 h.']);
    await page.getByRole('textbox', { name: words['inbox.composer.reply'] }).fill('');
    await page.locator('#thread-heading').focus();
    await page.keyboard.press('?');
    await dialogs(page).waitFor();
    // The keys themselves are the same in every language.
    await assertAllTextTranslated(page, language, [...await dataStrings(page), ...'jkreta/?']);
    await page.keyboard.press('Escape');
    await dialogs(page).waitFor({ state: 'detached' });
    await page.getByRole('button', { name: words['inbox.contact.edit'] }).click();
    await dialogs(page).waitFor();
    await assertAllTextTranslated(page, language, await dataStrings(page));
    await page.keyboard.press('Escape');
  }
  assertNoErrors(page);
  await page.context().close();
});

test('the thread shows read, failed (with the provider\'s reason) and pending messages, and notes apart', async () => {
  const page = await openPage(browser, server, { path: `/inbox/team/${soporte.id}/${conv.marta}` });
  await logIn(page, 'ana@example.com', PASSWORD);
  const log = page.locator('.thread-log');
  const read = log.locator('.msg-out', { hasText: 'Hola Marta, lo miro ahora mismo.' });
  assert.equal(await read.locator('.tick-read').getAttribute('title'), en['inbox.tick.read']);
  // Notes, from any session, stand apart from the messages with their author.
  const note = log.locator('.note', { hasText: 'Revisar con logística antes de las 12' });
  assert.equal(await note.locator('.note-head').textContent().then((x) => x.startsWith(en['inbox.note.by'].replace('{name}', 'Ana Pérez'))), true);
  assert.equal(await log.locator('.msg').filter({ hasText: 'Revisar con logística' }).count(), 0);

  // Pending (the clock) until the provider accepts it, then sent.
  fake.delayNext(1, 2000, { kind: 'whatsapp', to: '34600000101' });
  const composer = page.getByRole('textbox', { name: en['inbox.composer.reply'] });
  await composer.fill('Un momento, por favor');
  await composer.press('Enter');
  const slow = log.locator('.msg-out', { hasText: 'Un momento, por favor' });
  await slow.locator('.tick-queued').waitFor();
  assert.equal(await slow.locator('.tick-queued').getAttribute('title'), en['inbox.tick.queued']);
  await slow.locator('.tick-sent').waitFor();

  // A failure the provider will not retry: the tick and the reason, visible.
  fake.failNext(1, failures.whatsappReengagement(), { kind: 'whatsapp', to: '34600000101' });
  await composer.fill('¿Me confirmas la dirección?');
  await composer.press('Enter');
  const failed = log.locator('.msg-out', { hasText: '¿Me confirmas la dirección?' });
  await failed.locator('.tick-failed').waitFor({ timeout: 15000 });
  const reason = (await failed.locator('.msg-error > span').textContent()).trim();
  assert.match(reason, new RegExp(`^${en['inbox.tick.failedBecause'].replace('{reason}', '')}.*131047`));
  assert.equal(await failed.locator('.tick-failed').getAttribute('title'), reason);

  // A private note goes to the timeline, never to the customer.
  const sentBefore = fake.sent('whatsapp', '34600000101').length;
  await page.getByRole('button', { name: en['inbox.composer.noteTab'] }).click();
  await page.getByRole('textbox', { name: en['inbox.composer.note'] }).fill('Llamar mañana');
  await page.getByRole('textbox', { name: en['inbox.composer.note'] }).press('Enter');
  await log.locator('.note', { hasText: 'Llamar mañana' }).waitFor();
  // Committed as a note, with no message: nothing can go out later.
  assert.equal(sql(server, "SELECT count(*) FROM messages WHERE text = 'Llamar mañana'"), '0');
  assert.equal(fake.sent('whatsapp', '34600000101').length, sentBefore);
  assertNoErrors(page);
  await page.context().close();
});

test('a canned response is inserted with "/" and its placeholders filled in', async () => {
  const page = await openPage(browser, server, { path: `/inbox/team/${soporte.id}/${conv.lucas}` });
  await logIn(page, 'ana@example.com', PASSWORD);
  const composer = page.getByRole('textbox', { name: en['inbox.composer.reply'] });
  await composer.pressSequentially('Buenas. /hor');
  await page.getByRole('option', { name: /\/horario/ }).waitFor();
  assert.match(await composer.getAttribute('aria-activedescendant'), /^canned-/);
  await composer.press('Enter');
  assert.equal(await composer.inputValue(), 'Buenas. Hola Lucas, soy Ana Pérez de Soporte. Abrimos de 9 a 18 h.');
  assert.equal(await page.locator('.canned-option').count(), 0);
  // Enter chose the response and sent nothing: the next Enter sends it, and it is the only
  // reply (one sent by the first Enter would have been stored before it).
  const outgoing = async () => (await admin.get(`/api/v1/conversations/${conv.lucas}/messages`)).json.messages
    .filter((m) => m.direction === 'out').map((m) => m.text);
  await composer.press('Enter');
  await until(async () => (await outgoing()).length > 0, 'the reply to be stored');
  assert.deepEqual(await outgoing(), ['Buenas. Hola Lucas, soy Ana Pérez de Soporte. Abrimos de 9 a 18 h.']);
  // A shortcut that matches nothing offers nothing: the list shown for "/hor" goes once the
  // lookup for the new text is answered.
  await composer.fill('/hor');
  await page.locator('.canned-option').first().waitFor();
  await composer.fill('/nada-parecido');
  await until(async () => (await page.locator('.canned-option').count()) === 0, 'the suggestions to go');
  assertNoErrors(page);
  await page.context().close();
});

test('the reply window: once closed, the composer says so and only notes can be written', async () => {
  const old = Date.now() - 25 * 3600 * 1000;
  sql(server, `UPDATE conversations SET last_customer_at = ${old} WHERE id = ${conv.irene}`);
  const page = await openPage(browser, server, { path: `/inbox/team/${soporte.id}/${conv.irene}` });
  await logIn(page, 'ana@example.com', PASSWORD);
  await page.getByText(en['inbox.composer.windowClosed']).waitFor();
  assert.equal(await page.getByRole('button', { name: en['inbox.composer.send'] }).isDisabled(), true);
  await page.getByRole('button', { name: en['inbox.composer.noteTab'] }).click();
  assert.equal(await page.getByText(en['inbox.composer.windowClosed']).isVisible(), false);
  assert.equal(await page.getByRole('button', { name: en['inbox.composer.send'] }).isDisabled(), false);
  assertNoErrors(page);
  await page.context().close();
});

test('the contact panel shows and edits the contact; bad input is refused and changes nothing', async () => {
  const page = await openPage(browser, server, { path: `/inbox/team/${soporte.id}/${conv.pablo}` });
  await logIn(page, 'ana@example.com', PASSWORD);
  const panel = page.getByRole('complementary', { name: en['inbox.contact.title'] });
  await panel.locator('.contact-identities', { hasText: '5100000101' }).waitFor();
  const { contact } = (await admin.get(`/api/v1/conversations/${conv.pablo}`)).json.conversation;
  await panel.getByRole('button', { name: en['inbox.contact.edit'] }).click();
  const dialog = dialogs(page);
  await dialog.getByLabel(en['inbox.contact.phone']).fill('llámame');
  await dialog.getByRole('button', { name: en['inbox.contact.save'] }).click();
  await dialog.getByRole('alert').waitFor();
  assert.equal((await admin.get(`/api/v1/contacts/${contact.id}`)).json.contact.phone, null);
  await dialog.getByLabel(en['inbox.contact.phone']).fill('+34 611 22 33 44');
  await dialog.getByLabel(en['inbox.contact.email']).fill('pablo@example.com');
  await dialog.getByLabel('Plan').fill('gold');
  await dialog.getByLabel(en['inbox.contact.tags']).fill('vip, mayorista');
  await dialog.getByRole('button', { name: en['inbox.contact.save'] }).click();
  await dialog.waitFor({ state: 'detached' });
  await panel.getByText('pablo@example.com').waitFor();
  const saved = (await admin.get(`/api/v1/contacts/${contact.id}`)).json.contact;
  assert.equal(saved.email, 'pablo@example.com');
  assert.equal(saved.phone, '+34 611 22 33 44');
  assert.deepEqual(saved.attributes, { plan: 'gold' });
  assert.deepEqual(saved.tags, ['mayorista', 'vip']);
  // Folding the panel away is remembered.
  await panel.getByRole('button', { name: en['inbox.contact.close'] }).click();
  await panel.waitFor({ state: 'detached' });
  await page.reload();
  await page.locator('#thread-heading').waitFor();
  assert.equal(await page.locator('#contact-panel').count(), 0);
  assert.equal(await page.getByRole('button', { name: en['inbox.contact.toggle'] }).getAttribute('aria-expanded'), 'false');
  assertNoErrors(page);
  await page.context().close();
});

test('filters (search, tag, channel, status) and the keyboard: j/k move, a assigns, e resolves, ? lists the shortcuts, not while typing', async () => {
  const page = await openPage(browser, server, { path: `/inbox/team/${soporte.id}` });
  await logIn(page, 'ana@example.com', PASSWORD);
  const items = page.locator('.conv-item');
  await items.nth(3).waitFor();
  await page.getByLabel(en['inbox.filter.search']).fill('talla 42');
  await until(async () => (await items.count()) === 1, 'one item in the list');
  assert.equal(await items.locator('.conv-name').textContent(), 'Lucas');
  await page.getByLabel(en['inbox.filter.search']).fill('');
  await items.nth(3).waitFor();
  await page.getByLabel(en['inbox.filter.tag']).fill('envios');
  await page.getByLabel(en['inbox.filter.tag']).press('Enter');
  await until(async () => (await items.count()) === 1, 'one item in the list');
  assert.equal(await items.locator('.conv-name').textContent(), 'Marta Gil');
  await page.getByLabel(en['inbox.filter.tag']).fill('');
  await page.getByLabel(en['inbox.filter.tag']).press('Enter');
  await items.nth(3).waitFor();
  await page.getByLabel(en['inbox.filter.channel']).selectOption({ label: en['channels.kind.telegram'] });
  await until(async () => (await items.count()) === 1, 'one item in the list');
  assert.equal(await items.locator('.conv-name').textContent(), 'Pablo');
  await page.getByLabel(en['inbox.filter.status']).selectOption('resolved');
  await page.getByText(en['inbox.empty.filteredTitle']).waitFor();
  await page.getByLabel(en['inbox.filter.status']).selectOption({ label: en['inbox.status.open'] });
  await page.getByLabel(en['inbox.filter.channel']).selectOption('');
  await items.nth(3).waitFor();
  // Typing "j" in a field types it.
  await page.getByLabel(en['inbox.filter.search']).press('j');
  assert.equal(page.url(), `${server.url}/inbox/team/${soporte.id}`);
  await page.getByLabel(en['inbox.filter.search']).fill('');
  await page.locator('#inbox-title').focus();
  const names = await items.locator('.conv-name').allTextContents();
  await page.keyboard.press('j');
  await page.locator('#thread-heading', { hasText: names[0] }).waitFor();
  await page.keyboard.press('j');
  await page.locator('#thread-heading', { hasText: names[1] }).waitFor();
  await page.keyboard.press('k');
  await page.locator('#thread-heading', { hasText: names[0] }).waitFor();
  const id = Number(page.url().split('/').pop());
  // "a" goes to "Assign to…": the down arrow opens its menu, arrows browse without acting,
  // Enter assigns.
  const assignee = async () => (await admin.get(`/api/v1/conversations/${id}`)).json.conversation.assignee_id;
  const before = await assignee();
  const changes = () => Number(sql(server, `SELECT count(*) FROM conversation_events WHERE conversation_id = ${id}`));
  const changesBefore = changes();
  await page.keyboard.press('a');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'action-assign');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('End');
  const chosen = await page.evaluate(() => document.activeElement.dataset.value);
  assert.equal(changes(), changesBefore);
  await page.keyboard.press('Enter');
  await until(async () => (await assignee()) !== before, 'another assignee');
  // The arrow only browsed: one change, Enter's, to the option the arrow showed.
  assert.equal(await assignee(), chosen === 'none' ? null : Number(chosen));
  assert.equal(changes(), changesBefore + 1);
  await page.locator('#thread-heading').focus();
  await page.keyboard.press('e');
  await page.locator('.toast', { hasText: en['inbox.done.resolved'] }).waitFor();
  await until(async () => (await admin.get(`/api/v1/conversations/${id}`)).json.conversation.status === 'resolved', 'the conversation to be resolved');
  await page.keyboard.press('r');
  assert.equal(await page.evaluate(() => document.activeElement.classList.contains('composer-input')), true);
  await page.keyboard.press('e');
  assert.equal(await page.getByRole('textbox', { name: en['inbox.composer.reply'] }).inputValue(), 'e');
  await page.locator('#thread-heading').focus();
  await page.keyboard.press('?');
  await dialogs(page).getByRole('heading', { name: en['inbox.keys.title'] }).waitFor();
  await page.keyboard.press('Escape');
  await dialogs(page).waitFor({ state: 'detached' });
  await page.keyboard.press('Escape');
  await page.waitForURL(`**/inbox/team/${soporte.id}`);
  await admin.post(`/api/v1/conversations/${id}/reopen`);
  if (before) await admin.post(`/api/v1/conversations/${id}/assign`, { user_id: before });
  assertNoErrors(page);
  await page.context().close();
});

test('the inbox passes axe at phone and desktop widths; screenshots of it', async () => {
  await admin.patch('/api/v1/me', { availability: 'online' });
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    const page = await openPage(browser, server, { viewport, locale: 'es-ES', path: `/inbox/team/${soporte.id}` });
    const shoot = async (name) => {
      await assertAccessible(page);
      await screenshot(page, `${name}-${size}`);
    };
    await logIn(page);
    await page.locator('.conv-item').nth(3).waitFor();
    await page.locator('[data-count="general"], [data-count^="team:"]').first().waitFor({ state: 'attached' });
    await shoot('inbox-list');
    await page.locator('.conv-item', { hasText: 'Marta Gil' }).locator('a').click();
    await page.locator('.thread-log .note').first().waitFor();
    if (size === 'phone') {
      assert.equal(await page.locator('.conv-list').isVisible(), false);
      await shoot('inbox-thread');
      await page.getByRole('button', { name: es['inbox.contact.toggle'] }).click();
    } else {
      await page.getByRole('button', { name: es['inbox.contact.close'] }).click();
      await shoot('inbox-thread');
      await page.getByRole('button', { name: es['inbox.contact.toggle'] }).click();
    }
    await page.locator('.contact-body .contact-facts').first().waitFor();
    await shoot('inbox-contact');
    if (size === 'phone') {
      await page.getByRole('button', { name: es['inbox.contact.backToThread'] }).click();
      await page.locator('.thread-log').waitFor();
      await page.getByRole('link', { name: es['inbox.thread.back'] }).click();
      await page.locator('.inbox-list').waitFor();
    }
    assertNoErrors(page);
    await page.context().close();
  }
});
