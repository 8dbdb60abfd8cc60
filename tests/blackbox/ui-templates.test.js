// Templates in the browser: on a WhatsApp conversation whose window has closed the agent picks
// a template, fills its variables, sees the text the customer will read and sends it; from
// the contact panel an agent starts a new conversation with a template.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';
import { until } from './lib/until.js';
import { assertAccessible, assertNoErrors, catalogue, launchBrowser, logIn, openPage } from './lib/browser.js';

const en = catalogue('en');
const WABA = '102290129340398';
const ORDER = {
  name: 'pedido_enviado', language: 'es', status: 'APPROVED', category: 'UTILITY',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Hola {{1}}' },
    { type: 'BODY', text: 'Tu pedido {{1}} llega {{2}}.' },
    { type: 'FOOTER', text: 'Tienda Centralita' },
  ],
};

let browser, fake, server, admin, channel;
before(async () => {
  fake = await startFakeProvider();
  fake.setTemplates(WABA, [ORDER, { ...ORDER, name: 'borrador', status: 'PENDING' }]);
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: fake.env })]);
  admin = await adminClient(server);
  channel = (await admin.post('/api/v1/channels', { ...CHANNELS.whatsapp, waba_id: WABA })).json.channel;
  await until(async () => (await admin.get(`/api/v1/channels/${channel.id}/templates`)).json.templates.length === 2,
    'the templates to be synced');
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

// Fills the picker in an open dialog: the template, then its three values.
async function fillTemplate(dialog, values) {
  await dialog.getByLabel(en['inbox.template.label']).selectOption({ label: 'pedido_enviado · es' });
  await dialog.getByLabel(en['inbox.template.header'].replace('{n}', '1')).fill(values[0]);
  await dialog.getByLabel(en['inbox.template.body'].replace('{n}', '1')).fill(values[1]);
  await dialog.getByLabel(en['inbox.template.body'].replace('{n}', '2')).fill(values[2]);
}

test('with the window closed, the agent picks a template, fills it, sees the preview and sends it', async () => {
  const conv = await customerWrites(server, 'whatsapp', '34655000001', 'Hola', { name: 'Ana Gil' });
  sql(server, `UPDATE conversations SET last_customer_at = ${Date.now() - 30 * 3600 * 1000} WHERE id = ${conv}`);
  const page = await openPage(browser, server, { path: `/inbox/general/${conv}` });
  await logIn(page);
  await page.getByText(en['inbox.composer.windowClosed']).waitFor();
  await page.getByRole('button', { name: en['inbox.template.open'] }).click();
  const dialog = page.getByRole('dialog', { name: en['inbox.template.title'] });
  // Only approved templates are offered.
  const offered = await dialog.getByLabel(en['inbox.template.label']).locator('option').allTextContents();
  assert.deepEqual(offered, [en['inbox.template.choose'], 'pedido_enviado · es']);
  await fillTemplate(dialog, ['Ana', '4711', 'mañana']);
  const preview = dialog.locator('.template-preview');
  assert.equal(await preview.innerText(), 'Hola Ana\n\nTu pedido 4711 llega mañana.\n\nTienda Centralita');
  await dialog.getByLabel(en['inbox.template.body'].replace('{n}', '2')).fill('el lunes');
  assert.match(await preview.innerText(), /llega el lunes\./);
  await assertAccessible(page);
  await dialog.getByRole('button', { name: en['inbox.template.send'] }).click();
  await dialog.waitFor({ state: 'detached' });
  const [sent] = await fake.waitForSent(1, { kind: 'whatsapp', to: '34655000001', timeout: 10000 });
  assert.deepEqual(sent.body.template.components, [
    { type: 'header', parameters: [{ type: 'text', text: 'Ana' }] },
    { type: 'body', parameters: [{ type: 'text', text: '4711' }, { type: 'text', text: 'el lunes' }] },
  ]);
  await page.locator('.msg-out', { hasText: 'Tu pedido 4711 llega el lunes.' }).waitFor();
  assertNoErrors(page);
  await page.context().close();
});

test('from the contact panel an agent starts a new conversation with a template', async () => {
  const old = await customerWrites(server, 'whatsapp', '34655000002', 'Hola', { name: 'Luis Paz' });
  assert.equal((await admin.post(`/api/v1/conversations/${old}/resolve`)).status, 200);
  const page = await openPage(browser, server, { path: `/inbox/general/${old}` });
  await logIn(page);
  const panel = page.getByRole('complementary', { name: en['inbox.contact.title'] });
  await panel.getByRole('button', { name: en['inbox.newConversation.action'] }).click();
  const dialog = page.getByRole('dialog', { name: en['inbox.newConversation.title'] });
  assert.equal(await dialog.getByLabel(en['inbox.newConversation.to']).inputValue(), '34655000002');
  await fillTemplate(dialog, ['Luis', '900', 'hoy']);
  await dialog.getByRole('button', { name: en['inbox.template.send'] }).click();
  await page.waitForURL(/\/inbox\/mine\/\d+$/);
  const id = Number(new URL(page.url()).pathname.split('/').pop());
  assert.notEqual(id, old);
  const started = (await admin.get(`/api/v1/conversations/${id}`)).json.conversation;
  assert.equal(started.assignee_id, (await admin.get('/api/v1/me')).json.user.id);
  assert.equal(started.contact.id, (await admin.get(`/api/v1/conversations/${old}`)).json.conversation.contact.id);
  await page.locator('.msg-out', { hasText: 'Tu pedido 900 llega hoy.' }).waitFor();
  await fake.waitForSent(1, { kind: 'whatsapp', to: '34655000002', timeout: 10000 });
  assertNoErrors(page);
  await page.context().close();
});

test('the routing editor sets button labels and previews the menu on each channel', async () => {
  for (const name of ['Soporte', 'Ventas', 'Marketing']) await admin.post('/api/v1/teams', { name });
  const options = [['1', 'Soporte'], ['2', 'Ventas'], ['3', 'Marketing']].map(([n, team]) => ({ answers: [n, team.toLowerCase()], team }));
  assert.equal((await admin.put('/api/v1/routing', { welcome_message: 'Hola: 1 Soporte 2 Ventas 3 Marketing', fallback_message: '¿Perdona?', options })).status, 200);
  const page = await openPage(browser, server, { path: '/settings/routing' });
  await logIn(page);
  const preview = page.getByRole('region', { name: en['routing.preview.title'] });
  const row = (channel) => preview.locator('.menu-preview-row', { hasText: channel });
  await row('WhatsApp').getByText(en['routing.preview.text']).waitFor();
  for (const [i, label] of ['Soporte', 'Ventas', 'Marketing'].entries()) await page.locator(`#routing-option-${i}-button`).fill(label);
  await row('WhatsApp').getByText(en['routing.preview.buttons']).waitFor();
  assert.deepEqual(await row('WhatsApp').locator('.chip').allTextContents(), ['Soporte', 'Ventas', 'Marketing']);
  await row('Messenger').getByText(en['routing.preview.quick']).waitFor();
  await row('Telegram').getByText(en['routing.preview.keyboard']).waitFor();
  // 22 characters: a WhatsApp list, and no quick replies.
  await page.locator('#routing-option-2-button').fill('Marketing y publicidad');
  await row('WhatsApp').getByText(en['routing.preview.list']).waitFor();
  await row('Messenger').getByText(en['routing.preview.text']).waitFor();
  await assertAccessible(page);
  await page.locator('#routing-save').click();
  await page.getByText(en['routing.saved']).waitFor();
  assert.deepEqual((await admin.get('/api/v1/routing')).json.options.map((o) => o.button), ['Soporte', 'Ventas', 'Marketing y publicidad']);
  // A duplicate is refused at its field.
  await page.locator('#routing-option-1-button').fill('soporte');
  await page.locator('#routing-save').click();
  await page.locator('#routing-problems').getByText(/options\[1\]\.button|same as/).first().waitFor();
  assert.deepEqual((await admin.get('/api/v1/routing')).json.options.map((o) => o.button), ['Soporte', 'Ventas', 'Marketing y publicidad']);
  assertNoErrors(page);
  await page.context().close();
});

test('from the list an admin writes first to a new number', async () => {
  const page = await openPage(browser, server, { path: '/inbox/general' });
  await logIn(page);
  await page.getByRole('button', { name: en['inbox.newConversation.action'] }).click();
  const dialog = page.getByRole('dialog', { name: en['inbox.newConversation.title'] });
  await dialog.getByLabel(en['inbox.newConversation.to']).fill('+34655000009');
  await fillTemplate(dialog, ['Eva', '77', 'mañana']);
  await dialog.getByRole('button', { name: en['inbox.template.send'] }).click();
  await page.waitForURL(/\/inbox\/mine\/\d+$/);
  await page.locator('.msg-out', { hasText: 'Tu pedido 77 llega mañana.' }).waitFor();
  const [sent] = await fake.waitForSent(1, { kind: 'whatsapp', to: '34655000009', timeout: 10000 });
  assert.equal(sent.body.template.name, 'pedido_enviado');
  assertNoErrors(page);
  await page.context().close();
});
