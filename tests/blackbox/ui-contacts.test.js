// Settings → Contact fields in a real browser: an admin adds a key (a taken key is refused
// inline), deletes one only after confirming, in both languages and passing axe at phone and
// desktop widths; agents do not get the page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient, agentClient } from './lib/client.js';
import {
  DESKTOP, PHONE, assertAccessible, assertAllTextTranslated, assertNoErrors, catalogue, launchBrowser, logIn, openPage,
} from './lib/browser.js';

const en = catalogue('en');
const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (whole, k) => (k in vars ? vars[k] : whole));

let browser;
let server;
let admin;

before(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startServer()]);
  admin = await adminClient(server);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const keys = async () => (await admin.get('/api/v1/contact-attributes')).json.attributes.map((a) => [a.key, a.label]);

test('contact fields: add a key, a taken key is refused, delete only after confirming', async () => {
  const page = await openPage(browser, server, { path: '/settings/contact-fields' });
  await logIn(page);
  await page.getByRole('heading', { level: 1, name: en['attributes.title'] }).waitFor();
  await page.getByRole('heading', { name: en['attributes.none.title'] }).waitFor();
  const form = page.getByRole('form', { name: en['attributes.add.title'] });

  await form.getByLabel(en['attributes.key']).fill('plan');
  await form.getByLabel(en['attributes.label']).fill('Plan <b>contratado</b>');
  await form.getByRole('button', { name: en['attributes.add.submit'] }).click();
  await page.locator('.toast', { hasText: fill(en['attributes.added'], { key: 'plan' }) }).waitFor();
  assert.deepEqual(await keys(), [['plan', 'Plan <b>contratado</b>']]);
  const row = page.getByRole('row', { name: /plan/ });
  // The label is shown as typed, never as HTML.
  assert.equal(await row.getByRole('cell').first().textContent(), 'Plan <b>contratado</b>');

  await form.getByLabel(en['attributes.key']).fill('plan');
  await form.getByLabel(en['attributes.label']).fill('Otro');
  await form.getByRole('button', { name: en['attributes.add.submit'] }).click();
  await form.getByRole('alert').getByText(en['attributes.keyTaken']).waitFor();
  assert.deepEqual(await keys(), [['plan', 'Plan <b>contratado</b>']]);

  const remove = page.getByRole('button', { name: fill(en['attributes.delete.label'], { key: 'plan' }) });
  await remove.click();
  const dialog = page.getByRole('dialog', { name: fill(en['attributes.delete.title'], { key: 'plan' }) });
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await keys()).length, 1, 'cancelling deletes nothing');
  await remove.click();
  await dialog.getByRole('button', { name: en['attributes.delete.submit'] }).click();
  await page.locator('.toast', { hasText: fill(en['attributes.deleted'], { key: 'plan' }) }).waitFor();
  await page.getByRole('heading', { name: en['attributes.none.title'] }).waitFor();
  assert.deepEqual(await keys(), []);
  assertNoErrors(page);
  await page.context().close();
});

test('contact fields: every string translated, accessible at both widths, hidden from agents', async () => {
  assert.equal((await admin.post('/api/v1/contact-attributes', { key: 'city', label: 'Ciudad' })).status, 201);
  for (const [language, viewport] of [['es', PHONE], ['en', DESKTOP]]) {
    const page = await openPage(browser, server, { viewport, locale: language === 'es' ? 'es-ES' : 'en-GB', path: '/settings/contact-fields' });
    await logIn(page);
    await page.getByRole('heading', { level: 1, name: catalogue(language)['attributes.title'] }).waitFor();
    await page.getByRole('row', { name: /city/ }).waitFor();
    await assertAllTextTranslated(page, language, ['Admin', 'city', 'Ciudad']);
    await assertAccessible(page);
    assertNoErrors(page);
    await page.context().close();
  }
  await agentClient(server, admin, 'ana@example.com', 'Ana');
  const page = await openPage(browser, server, { path: '/settings/contact-fields' });
  await logIn(page, 'ana@example.com', 'agent-password-123');
  await page.getByRole('heading', { level: 1 }).waitFor();
  assert.notEqual(await page.getByRole('heading', { level: 1 }).textContent(), en['attributes.title']);
  assert.equal(await page.getByRole('link', { name: en['nav.settingsContactFields'] }).count(), 0);
  await page.context().close();
});
