// Settings → Webhooks and Settings → Import contacts in a real browser, in English and Spanish:
// an endpoint added with its secret shown once, its events, off and on, a new secret, the
// delivery log with the receiver's answer shown as text and "send again", deleted; a CSV checked
// (the report of its bad rows, nothing written), then imported, with its progress shown.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';
import { startReceiver, verifySignature } from './lib/webhook_receiver.js';
import { until } from './lib/until.js';
import { assertAccessible, assertAllTextTranslated, assertNoErrors, catalogue, launchBrowser, logIn, openPage } from './lib/browser.js';

const en = catalogue('en');
const es = catalogue('es');
const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (whole, k) => (k in vars ? vars[k] : whole));

let browser, fake, receiver, server, admin;

before(async () => {
  fake = await startFakeProvider();
  receiver = await startReceiver();
  [browser, server] = await Promise.all([launchBrowser(),
    startServer({ env: { ...fake.env, CENTRALITA_WEBHOOKS_ALLOW_PRIVATE: '1' } })]);
  admin = await adminClient(server);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await receiver?.stop();
  await fake?.stop();
});

test('webhooks (en): add with the secret shown once, the log escaped with "send again", events, off and on, new secret, delete', async () => {
  const page = await openPage(browser, server, { path: '/settings/webhooks' });
  await logIn(page);
  await page.getByRole('heading', { level: 1, name: en['webhooks.title'] }).waitFor();
  await assertAllTextTranslated(page, 'en', ['Admin']);
  const url = `http://127.0.0.1:${receiver.port}/ui`;
  await page.getByLabel(en['webhooks.url'], { exact: true }).fill(url);
  await page.getByRole('button', { name: en['webhooks.add.submit'] }).click();
  const secretBox = page.getByLabel(en['webhooks.secret.label'], { exact: true });
  await secretBox.waitFor();
  const secret = await secretBox.inputValue();
  assert.match(secret, /^whsec_/);
  await page.getByRole('button', { name: en['webhooks.secret.done'] }).click();
  await page.getByRole('heading', { level: 2, name: url }).waitFor();
  const [hook] = (await admin.get('/api/v1/webhooks')).json.webhooks;
  assert.equal(hook.url, url);
  assert.deepEqual(hook.events, ['conversation.created', 'message.created']);
  assert.equal(await page.content().then((html) => html.includes(secret)), false, 'the secret is gone with the dialog');

  // The endpoint answers 500 with HTML: the log shows the answer as text. Once it answers
  // 200 again, "send again" posts the same event at once.
  receiver.failNext('/ui', 1000, 500);
  await customerWrites(server, 'whatsapp', '34699000001', 'Hola');
  await until(() => receiver.received.some((r) => r.path === '/ui'), 'the first attempt');
  const post = receiver.received.find((r) => r.path === '/ui');
  assert.ok(verifySignature(post.headers['x-centralita-signature'], post.body, secret));
  await until(async () => (await admin.get(`/api/v1/webhooks/${hook.id}/deliveries`)).json.deliveries
    .some((d) => d.state === 'waiting'), 'a delivery waiting for its retry');
  await page.reload();
  await page.locator('#webhook-log code', { hasText: '<b>no</b> 500' }).first().waitFor();
  assert.equal(await page.locator('#webhook-log b').count(), 0, 'the answer is never HTML');
  receiver.clearFailures('/ui');
  const waiting = (await admin.get(`/api/v1/webhooks/${hook.id}/deliveries`)).json.deliveries.find((d) => d.state === 'waiting');
  await page.getByRole('button', { name: fill(en['webhooks.log.resendLabel'], { id: waiting.id }) }).click();
  await until(() => receiver.delivered().some((r) => r.path === '/ui' && r.json.event_id === waiting.event_id), 'the delivery sent again');

  // Events: add csat.answered.
  await page.getByRole('form', { name: en['webhooks.events'] }).getByLabel(en['webhooks.event.csatAnswered']).check();
  await page.getByRole('button', { name: en['webhooks.events.save'] }).click();
  await until(async () => (await admin.get(`/api/v1/webhooks/${hook.id}`)).json.webhook.events.includes('csat.answered'), 'the events saved');

  // Off, then on.
  await page.getByRole('button', { name: en['webhooks.turnOff'] }).click();
  await page.locator('#webhook-state', { hasText: fill(en['webhooks.disabledBecause'], { reason: 'disabled by an admin' }) }).waitFor();
  assert.equal((await admin.get(`/api/v1/webhooks/${hook.id}`)).json.webhook.enabled, false);
  await page.getByRole('button', { name: en['webhooks.turnOn'] }).click();
  await page.locator('#webhook-state', { hasText: en['webhooks.enabled'] }).waitFor();

  // A new secret, shown once.
  await page.getByRole('button', { name: en['webhooks.rotate.open'] }).click();
  await page.getByRole('button', { name: en['webhooks.rotate.submit'] }).click();
  await secretBox.waitFor();
  const rotated = await secretBox.inputValue();
  assert.match(rotated, /^whsec_/);
  assert.notEqual(rotated, secret);
  await page.getByRole('button', { name: en['webhooks.secret.done'] }).click();
  await assertAccessible(page);

  await page.getByRole('button', { name: en['webhooks.delete.open'] }).click();
  await page.getByRole('button', { name: en['webhooks.delete.submit'] }).click();
  await page.getByText(en['webhooks.none']).waitFor();
  assert.deepEqual((await admin.get('/api/v1/webhooks')).json.webhooks, []);
  assertNoErrors(page);
  await page.context().close();
});

test('webhooks (es): a refused URL is said in Spanish and nothing is added', async () => {
  const page = await openPage(browser, server, { locale: 'es-ES', path: '/settings/webhooks' });
  await logIn(page);
  await page.getByRole('heading', { level: 1, name: es['webhooks.title'] }).waitFor();
  await assertAllTextTranslated(page, 'es', ['Admin', 'Webhooks']);
  await page.getByRole('form', { name: es['webhooks.add.title'] }).getByLabel(es['webhooks.event.csatAnswered']).check();
  await page.getByLabel(es['webhooks.url'], { exact: true }).fill('ftp://crm.example.com/hooks');
  await page.getByRole('button', { name: es['webhooks.add.submit'] }).click();
  await page.getByRole('form', { name: es['webhooks.add.title'] }).getByRole('alert').waitFor();
  assert.deepEqual((await admin.get('/api/v1/webhooks')).json.webhooks, []);
  assertNoErrors(page);
  await page.context().close();
});

const HEADER = 'name,phone,email,tags\n';

async function chooseAndCheck(page, strings, csv) {
  await page.locator('#import-file').setInputFiles({ name: 'contactos.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.getByRole('button', { name: strings['import.check'] }).click();
}

test('import contacts (es): a bad file\'s report and nothing written; a good one checked, then imported', async () => {
  const page = await openPage(browser, server, { locale: 'es-ES', path: '/settings/contact-import' });
  await logIn(page);
  await page.getByRole('heading', { level: 1, name: es['import.title'] }).waitFor();
  await assertAllTextTranslated(page, 'es', ['Admin', 'Webhooks']);
  const count = () => sql(server, 'SELECT count(*) FROM contacts');
  const before = count();

  await chooseAndCheck(page, es, `${HEADER}Ana Ruiz,+34600111001,ana@example.com,vip\nMal Número,12ab,,\n`);
  await page.locator('#import-refused', { hasText: fill(es['import.problems.summary'], { count: 1 }) }).waitFor();
  const row = page.locator('#import-problems tbody tr');
  assert.equal(await row.count(), 1);
  assert.equal(await row.locator('td').nth(0).textContent(), '3');
  assert.equal(await row.locator('td').nth(1).textContent(), 'phone');
  assert.equal(count(), before);

  await chooseAndCheck(page, es, `${HEADER}Ana Ruiz,+34600111001,ana@example.com,vip\nBea Gil,+34600111002,,\n`);
  await page.locator('#import-checked', { hasText: fill(es['import.checked'], { created: 2, updated: 0 }) }).waitFor();
  assert.equal(count(), before, 'a check writes nothing');
  await page.getByRole('button', { name: es['import.apply'] }).click();
  await page.locator('#import-done', { hasText: fill(es['import.done'], { created: 2, updated: 0 }) }).waitFor();
  assert.equal(Number(count()), Number(before) + 2);
  await assertAccessible(page);
  assertNoErrors(page);
  await page.context().close();
});

test('import contacts (en): a large file shows its progress while the server works, then what it did', async () => {
  const page = await openPage(browser, server, { path: '/settings/contact-import' });
  await logIn(page);
  await page.getByRole('heading', { level: 1, name: en['import.title'] }).waitFor();
  await assertAllTextTranslated(page, 'en', ['Admin']);
  const rows = Array.from({ length: 3000 }, (_, i) => `Cliente ${i},+3461${String(i).padStart(7, '0')},,`).join('\n');
  await chooseAndCheck(page, en, `${HEADER}Ana Ruiz,+34600111001,,\n${rows}\n`);
  await page.locator('#import-progress').waitFor();
  await page.locator('#import-checked', { hasText: fill(en['import.checked'], { created: 3000, updated: 1 }) }).waitFor({ timeout: 60000 });
  assert.equal(await page.locator('#import-progress').count(), 0);
  await page.getByRole('button', { name: en['import.apply'] }).click();
  await page.locator('#import-done', { hasText: fill(en['import.done'], { created: 3000, updated: 1 }) }).waitFor({ timeout: 60000 });
  assertNoErrors(page);
  await page.context().close();
});
