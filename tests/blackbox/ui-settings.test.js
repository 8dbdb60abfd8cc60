// Settings for admins in a real browser: connecting channels of each kind (the API stores
// them, the page shows the webhook URL and hints, never a secret), the routing editor with
// its live try-it box, validation and keyboard reordering, teams' assignment settings,
// accessibility checks and the screenshots of Channels and Routing (docs/screenshots/ under
// `make screenshots`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient } from './lib/client.js';
import { CHANNELS } from './lib/providers.js';
import {
  DESKTOP, PHONE, assertAccessible, assertAllTextTranslated, assertNoErrors, catalogue, launchBrowser, logIn, openPage, screenshot,
} from './lib/browser.js';

const en = catalogue('en');
const es = catalogue('es');
const PUBLIC_URL = 'https://chat.example.com';
// Nothing listens there: Telegram's webhook registration fails fast instead of going out.
const ENV = { CENTRALITA_PUBLIC_URL: PUBLIC_URL, CENTRALITA_TELEGRAM_API_URL: 'http://127.0.0.1:9',
  CENTRALITA_GRAPH_API_URL: 'http://127.0.0.1:9' };

let browser;
let server;
let admin;

before(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: ENV })]);
  admin = await adminClient(server);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const fill = (t, vars) => t.replace(/\{(\w+)\}/g, (whole, k) => (k in vars ? vars[k] : whole));

async function team(client, name) {
  const { json } = await client.post('/api/v1/teams', { name });
  return json.team;
}

async function connect(page, body) {
  const form = page.getByRole('form', { name: en['channels.connect.title'] });
  await form.getByLabel(en['channels.field.kind']).selectOption(body.kind);
  await form.getByLabel(en['channels.field.name'], { exact: true }).fill(body.name);
  const labels = {
    phone_number_id: en['channels.field.phoneNumberId'], page_id: en['channels.field.pageId'],
    instagram_account_id: en['channels.field.instagramAccountId'], access_token: en['channels.field.accessToken'],
    app_secret: en['channels.field.appSecret'], verify_token: en['channels.field.verifyToken'],
    bot_token: en['channels.field.botToken'],
  };
  for (const [key, label] of Object.entries(labels))
    if (body[key] !== undefined) await form.getByLabel(label, { exact: true }).fill(body[key]);
  if (body.mode) await form.getByLabel(en['channels.field.mode']).selectOption(body.mode);
  await form.getByRole('button', { name: en['channels.connect.submit'] }).click();
}

test('channels: each kind connects from its form; the page shows the webhook URL and hints, never a secret', async () => {
  const page = await openPage(browser, server, { path: '/settings/channels' });
  await logIn(page);
  await page.getByRole('heading', { level: 1, name: en['channels.title'] }).waitFor();
  await page.getByRole('heading', { name: en['channels.none.title'] }).waitFor();

  // A bad form: the rule the server names, in the page's words with the field's label, inline,
  // and nothing stored.
  await connect(page, { ...CHANNELS.whatsapp, phone_number_id: '12ab' });
  const error = page.getByRole('form', { name: en['channels.connect.title'] }).getByRole('alert');
  await error.waitFor();
  assert.equal(await error.textContent(), fill(en['error.rule.numericId'], { field: en['channels.field.phoneNumberId'] }));
  assert.deepEqual((await admin.get('/api/v1/channels')).json.channels, []);

  for (const kind of ['whatsapp', 'messenger', 'instagram', 'telegram']) {
    await connect(page, CHANNELS[kind]);
    await page.getByRole('heading', { name: fill(en['channels.connected.title'], { name: CHANNELS[kind].name }) }).waitFor();
    const stored = (await admin.get('/api/v1/channels')).json.channels.find((c) => c.kind === kind && c.active);
    assert.equal(stored.name, CHANNELS[kind].name);
    assert.equal(await page.locator('#channel-webhook-url').textContent(), stored.webhook_url);
    if (kind === 'telegram') {
      assert.equal(stored.webhook_url, `${PUBLIC_URL}/webhooks/telegram/${stored.id}`);
    } else {
      assert.equal(stored.webhook_url, `${PUBLIC_URL}/webhooks/${kind}`);
      await page.getByText(fill(en['channels.connected.verifyToken'], { last4: stored.credentials.verify_token.last4 })).waitFor();
      await page.getByRole('button', { name: en['channels.copyToken'] }).waitFor();
    }
    await page.getByRole('heading', { level: 3, name: CHANNELS[kind].name, exact: true }).waitFor();
  }
  assert.equal((await admin.get('/api/v1/channels')).json.channels.length, 4);
  await page.getByText(fill(en['channels.hint'], { name: en['channels.field.accessToken'], last4: '0001' })).waitFor();
  const text = await page.evaluate(() => document.body.innerText + [...document.querySelectorAll('input')].map((i) => i.value).join(' '));
  for (const c of Object.values(CHANNELS))
    for (const secret of [c.access_token, c.app_secret, c.verify_token, c.bot_token].filter(Boolean))
      assert.ok(!text.includes(secret), `the page shows a secret: ${secret}`);
  const me = (await admin.get('/api/v1/me')).json.user.name;
  const urls = (await admin.get('/api/v1/channels')).json.channels.map((c) => c.webhook_url);
  await assertAllTextTranslated(page, 'en', [me, ...urls, ...Object.values(CHANNELS).map((c) => c.name)]);
  await assertAccessible(page);
  // After a reload each card still shows the address to paste into the provider, with a copy button.
  await page.reload();
  for (const c of (await admin.get('/api/v1/channels')).json.channels.filter((x) => x.webhook_url)) {
    const card = page.locator('.channel', { has: page.getByRole('heading', { level: 3, name: c.name, exact: true }) });
    await card.locator('code', { hasText: c.webhook_url }).waitFor();
    assert.equal(await card.getByRole('button', { name: en['channels.copyUrl'] }).count(), 1);
  }

  // Removing asks first, then the channel is listed as removed.
  const messenger = (await admin.get('/api/v1/channels')).json.channels.find((c) => c.kind === 'messenger');
  await page.getByRole('button', { name: fill(en['channels.remove.label'], { name: messenger.name }) }).click();
  await page.getByRole('dialog').getByRole('button', { name: en['channels.remove.submit'] }).click();
  await page.getByRole('button', { name: fill(en['channels.remove.label'], { name: messenger.name }) }).waitFor({ state: 'detached' });
  assert.equal((await admin.get(`/api/v1/channels/${messenger.id}`)).json.channel.active, false);
  assertNoErrors(page);
  await page.context().close();
});

async function addOption(page, n, answers, teamName, reply) {
  await page.getByRole('button', { name: en['routing.options.add'] }).click();
  const input = page.locator(`#routing-option-${n - 1}-answer`);
  for (const a of answers) {
    await input.fill(a);
    await input.press('Enter');
  }
  if (teamName) await page.locator(`#routing-option-${n - 1}-team`).selectOption({ label: teamName });
  if (reply) await page.locator(`#routing-option-${n - 1}-reply`).fill(reply);
}

function trySays(page, text) {
  return page.locator('#routing-try-result').getByText(text).waitFor();
}

test('routing: build the department menu, try it live before saving, save, and it is there after a reload', async () => {
  await team(admin, 'Soporte');
  await team(admin, 'Ventas');
  const page = await openPage(browser, server, { path: '/settings/routing' });
  await logIn(page);
  await page.getByRole('heading', { level: 1, name: en['routing.title'] }).waitFor();
  await page.getByLabel(en['routing.welcome.label']).fill('¡Hola! Responde 1 Soporte, 2 Ventas o 3 Horario.');
  await page.getByLabel(en['routing.fallback.label']).fill('Perdona, no te he entendido. Responde 1, 2 o 3.');
  await addOption(page, 1, ['1', 'soporte', 'ayuda'], 'Soporte');
  await addOption(page, 2, ['2', 'ventas', 'comprar'], 'Ventas');
  await addOption(page, 3, ['3', 'horario'], null, 'Abrimos de 9 a 18 h.');
  // A chip removed with its × button.
  await page.getByRole('button', { name: fill(en['routing.answers.remove'], { answer: 'ayuda', n: 1 }) }).click();

  await page.getByLabel(en['routing.try.label']).fill('Quiero COMPRAR');
  await trySays(page, fill(en['routing.try.outcome.team'], { team: 'Ventas' }));
  await trySays(page, 'quiero comprar');
  await trySays(page, fill(en['routing.try.answerExact'], { answer: 'comprar' }));
  await page.locator('.option.is-match', { hasText: fill(en['routing.option.title'], { n: 2 }) }).waitFor();
  assert.deepEqual((await admin.get('/api/v1/routing')).json, { enabled: false, options: [] }, 'nothing saved yet');
  await page.getByLabel(en['routing.try.label']).fill('comprr');
  await trySays(page, fill(en['routing.try.answerSlip'], { answer: 'comprar', matched: 'comprr' }));
  await page.getByLabel(en['routing.try.label']).fill('hola');
  await trySays(page, en['routing.try.outcome.fallback']);
  // A negated mention is listed, set aside; a number word answers the numbered option.
  await page.getByLabel(en['routing.try.label']).fill('no quiero comprar');
  await trySays(page, en['routing.try.reason.negated']);
  const comprar = fill(en['routing.try.candidate'], { n: 2, answer: 'comprar', how: en['routing.try.exact'] });
  await trySays(page, fill(en['routing.try.negated'], { candidate: comprar, negation: 'no' }));
  await page.getByLabel(en['routing.try.label']).fill('la segunda');
  await trySays(page, fill(en['routing.try.answerNumberWord'], { answer: '2', matched: 'segunda' }));
  await assertAccessible(page);

  await page.getByRole('button', { name: en['routing.save'] }).click();
  await page.locator('.toast', { hasText: en['routing.saved'] }).waitFor();
  const saved = (await admin.get('/api/v1/routing')).json;
  assert.equal(saved.enabled, true);
  assert.deepEqual(saved.options, [
    { answers: ['1', 'soporte'], team: 'Soporte' },
    { answers: ['2', 'ventas', 'comprar'], team: 'Ventas' },
    { answers: ['3', 'horario'], reply: 'Abrimos de 9 a 18 h.' },
  ]);
  await page.reload();
  await page.locator('#routing-option-2-reply').waitFor();
  assert.equal(await page.locator('#routing-option-2-reply').inputValue(), 'Abrimos de 9 a 18 h.');
  assert.equal(await page.locator('#routing-option-1-team').inputValue(), String(saved.options && (await admin.get('/api/v1/teams')).json.teams.find((x) => x.name === 'Ventas').id));
  assert.deepEqual(await page.getByRole('list', { name: fill(en['routing.answers.listLabel'], { n: 2 }) }).locator('.chip-text').allTextContents(),
    ['2', 'ventas', 'comprar']);
  await assertAllTextTranslated(page, 'en', [(await admin.get('/api/v1/me')).json.user.name, 'Soporte', 'Ventas',
    ...saved.options.flatMap((o) => o.answers)]);

  // Keyboard: option 3 moves up twice with its button, focus follows it; then save.
  await page.getByRole('button', { name: fill(en['routing.option.up'], { n: 3 }) }).focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'routing-option-1-up');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'routing-option-0-title');
  await page.getByRole('button', { name: en['routing.save'] }).click();
  await page.locator('.toast', { hasText: en['routing.saved'] }).waitFor();
  await page.getByRole('button', { name: en['routing.save'] }).waitFor();
  assert.deepEqual((await admin.get('/api/v1/routing')).json.options.map((o) => o.answers[0]), ['3', '1', '2']);

  // Dragging option 3 by its handle onto option 1 makes it the first. The drag events are
  // dispatched in the page: headless chromium here starts no native drag from the mouse.
  await page.evaluate(() => {
    const [first, , third] = document.querySelectorAll('.option');
    const dataTransfer = new DataTransfer();
    third.querySelector('.option-grip').dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer }));
    first.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer }));
    first.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer }));
  });
  await page.getByRole('list', { name: fill(en['routing.answers.listLabel'], { n: 1 }) }).getByText('ventas').waitFor();
  await page.getByRole('button', { name: en['routing.save'] }).click();
  await page.locator('.toast', { hasText: en['routing.saved'] }).nth(1).waitFor();
  assert.deepEqual((await admin.get('/api/v1/routing')).json.options.map((o) => o.answers[0]), ['2', '3', '1']);
  assertNoErrors(page);
  await page.context().close();
});

test('routing: an invalid document shows the summary and the field errors, in the try-it box too, and saves nothing', async (t) => {
  // A server of its own with a saved menu of three options: the test above builds its menu
  // from none.
  const s = await startServer({ env: ENV });
  t.after(() => s.stop());
  const boss = await adminClient(s);
  for (const name of ['Soporte', 'Ventas']) await team(boss, name);
  assert.equal((await boss.put('/api/v1/routing', { enabled: true, welcome_message: 'Hola: 1, 2 o 3.',
    fallback_message: 'Responde 1, 2 o 3.', options: [{ answers: ['1'], team: 'Soporte' }, { answers: ['2'], team: 'Ventas' },
      { answers: ['3'], reply: 'Abrimos de 9 a 18 h.' }] })).status, 200);
  const before = (await boss.get('/api/v1/routing')).json;
  const page = await openPage(browser, s, { path: '/settings/routing' });
  await logIn(page);
  await page.locator('#routing-option-0-answer').waitFor();
  await page.getByLabel(en['routing.fallback.label']).fill('');
  await page.getByRole('button', { name: en['routing.options.add'] }).click();
  await page.locator('#routing-option-3-team').selectOption({ label: 'Ventas' });
  await page.getByLabel(en['routing.try.label']).fill('quiero comprar');
  await page.locator('#routing-try-result').getByText(en['routing.try.invalid']).waitFor();
  await page.getByRole('button', { name: en['routing.save'] }).click();
  const summary = page.locator('#routing-problems');
  await summary.getByRole('heading', { name: fill(en['routing.problems.other'], { count: 2 }) }).waitFor();
  assert.match(await summary.textContent(), /fallback_message/);
  assert.match(await summary.textContent(), /options\[3\]\.answers/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'routing-problems');
  assert.equal(await page.getByLabel(en['routing.fallback.label']).getAttribute('aria-invalid'), 'true');
  await page.locator('#routing-option-3-answer[aria-invalid="true"]').waitFor();
  const fallbackError = page.locator('.field', { has: page.getByLabel(en['routing.fallback.label']) }).locator('.field-error');
  assert.match(await fallbackError.textContent(), /fallback_message/);
  // The summary's links take focus to the field.
  await summary.getByRole('link', { name: /fallback_message/ }).click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'routing-fallback-message');
  await assertAccessible(page);
  assert.deepEqual((await boss.get('/api/v1/routing')).json, before);
  assertNoErrors(page);
  await page.context().close();
});

test('teams: the assignment method, online-only, the per-agent cap and "a reply takes it" are saved', async () => {
  const calidad = await team(admin, 'Calidad');
  const page = await openPage(browser, server, { path: `/settings/teams/${calidad.id}` });
  await logIn(page);
  await page.getByLabel(en['teams.assignment.method']).selectOption('balanced');
  await page.getByLabel(en['teams.assignment.onlineOnly']).check();
  await page.getByLabel(en['teams.assignment.maxOpen']).fill('5');
  assert.equal(await page.getByLabel(en['teams.assignment.replyAssigns']).isChecked(), true);
  await page.getByLabel(en['teams.assignment.replyAssigns']).uncheck();
  await page.getByRole('button', { name: en['teams.assignment.save'] }).click();
  await page.locator('.toast', { hasText: fill(en['teams.assignment.saved'], { team: 'Calidad' }) }).waitFor();
  const { team: saved } = (await admin.get(`/api/v1/teams/${calidad.id}`)).json;
  assert.equal(saved.assignment, 'balanced');
  assert.equal(saved.online_only, true);
  assert.equal(saved.max_open, 5);
  assert.equal(saved.reply_assigns, false);
  await page.reload();
  await page.getByLabel(en['teams.assignment.method']).waitFor();
  assert.equal(await page.getByLabel(en['teams.assignment.method']).inputValue(), 'balanced');
  assert.equal(await page.getByLabel(en['teams.assignment.onlineOnly']).isChecked(), true);
  assert.equal(await page.getByLabel(en['teams.assignment.replyAssigns']).isChecked(), false);
  await assertAccessible(page);
  assertNoErrors(page);
  await page.context().close();
});

test('canned responses: add, edit and delete one; every string translated; accessible', async () => {
  const page = await openPage(browser, server, { path: '/settings/canned-responses' });
  await logIn(page);
  await page.getByRole('heading', { level: 2, name: en['canned.none.title'] }).waitFor();
  const form = page.getByRole('form', { name: en['canned.add.title'] });
  await form.getByLabel(en['canned.shortcut']).fill('/horario');
  await form.getByLabel(en['canned.text']).fill('Abrimos de 9 a 18, {contact_name}.');
  await form.getByRole('button', { name: en['canned.add.submit'] }).click();
  await page.locator('.toast', { hasText: fill(en['canned.added'], { shortcut: 'horario' }) }).waitFor();
  let [saved] = (await admin.get('/api/v1/canned-responses')).json.canned_responses;
  assert.equal(saved.shortcut, 'horario');
  assert.equal(saved.text, 'Abrimos de 9 a 18, {contact_name}.');
  await page.getByText('/horario', { exact: true }).waitFor();
  await page.getByText('Abrimos de 9 a 18, {contact_name}.', { exact: true }).waitFor();
  // The same shortcut again: the page says why, nothing is added.
  await form.getByLabel(en['canned.shortcut']).fill('horario');
  await form.getByLabel(en['canned.text']).fill('Otro texto');
  await form.getByRole('button', { name: en['canned.add.submit'] }).click();
  await form.getByText(en['canned.shortcutTaken']).waitFor();
  assert.equal((await admin.get('/api/v1/canned-responses')).json.canned_responses.length, 1);
  await assertAccessible(page);

  await page.getByRole('button', { name: fill(en['canned.edit.label'], { shortcut: 'horario' }) }).click();
  const dialog = page.getByRole('dialog', { name: fill(en['canned.edit.title'], { shortcut: 'horario' }) });
  assert.equal(await dialog.getByLabel(en['canned.shortcut']).inputValue(), 'horario');
  await dialog.getByLabel(en['canned.text']).fill('Abrimos de 9 a 19, {contact_name}.\nSábados no.');
  await dialog.getByRole('button', { name: en['canned.edit.submit'] }).click();
  await page.locator('.toast', { hasText: fill(en['canned.edited'], { shortcut: 'horario' }) }).waitFor();
  [saved] = (await admin.get('/api/v1/canned-responses')).json.canned_responses;
  assert.equal(saved.text, 'Abrimos de 9 a 19, {contact_name}.\nSábados no.');
  // The navigation names the teams the earlier tests made, and the admin.
  const names = ['Admin', ...(await admin.get('/api/v1/teams')).json.teams.map((x) => x.name)];
  await assertAllTextTranslated(page, 'en', ['/horario', saved.text, ...names]);

  await page.getByRole('button', { name: fill(en['canned.delete.label'], { shortcut: 'horario' }) }).click();
  const confirm = page.getByRole('dialog', { name: fill(en['canned.delete.title'], { shortcut: 'horario' }) });
  await confirm.getByRole('button', { name: en['canned.delete.submit'] }).click();
  await page.locator('.toast', { hasText: fill(en['canned.deleted'], { shortcut: 'horario' }) }).waitFor();
  await page.getByRole('heading', { level: 2, name: en['canned.none.title'] }).waitFor();
  assert.deepEqual((await admin.get('/api/v1/canned-responses')).json.canned_responses, []);
  assertNoErrors(page);
  await page.context().close();

  // In Spanish on a phone, reached from the navigation.
  assert.equal((await admin.post('/api/v1/canned-responses', { shortcut: 'envio', text: 'El envío tarda 48 h.' })).status, 201);
  const phone = await openPage(browser, server, { viewport: PHONE, locale: 'es-ES', path: '/settings/canned-responses' });
  await logIn(phone);
  await phone.getByText('El envío tarda 48 h.', { exact: true }).waitFor();
  await assertAllTextTranslated(phone, 'es', ['/envio', 'El envío tarda 48 h.', ...names]);
  await assertAccessible(phone);
  assertNoErrors(phone);
  await phone.context().close();
});

// A server of its own with fixed data, in Spanish, for the pictures.
test('screenshots of Channels and Routing at phone and desktop widths, passing axe', async () => {
  const s = await startServer({ env: ENV });
  try {
    const boss = await adminClient(s);
    for (const name of ['Soporte', 'Ventas', 'Contabilidad']) await team(boss, name);
    for (const kind of ['whatsapp', 'messenger', 'instagram'])
      assert.equal((await boss.post('/api/v1/channels', { ...CHANNELS[kind], name: { whatsapp: 'WhatsApp Tienda',
        messenger: 'Página de Facebook', instagram: 'Instagram @tienda' }[kind] })).status, 201);
    const routing = {
      enabled: true,
      welcome_message: '¡Hola, {contact_name}! Responde con un número:\n1 Soporte técnico\n2 Ventas\n3 Facturas\n4 Horario',
      fallback_message: 'Perdona, no te he entendido. Responde 1, 2, 3 o 4.',
      assignment_message: 'Gracias, {contact_name}. Te atiende el equipo de {team}.',
      give_up_message: 'Un compañero te atenderá enseguida.',
      max_attempts: 3, match_first_message: true, reopen_routing_after_hours: 24,
      options: [
        { answers: ['1', 'soporte', 'ayuda', 'no funciona'], team: 'Soporte' },
        { answers: ['2', 'ventas', 'comprar', 'precio'], team: 'Ventas', reply: 'Te pasamos con ventas.' },
        { answers: ['3', 'factura', 'pago'], team: 'Contabilidad' },
        { answers: ['4', 'horario'], reply: 'Abrimos de lunes a viernes, de 9 a 18 h.' },
      ],
    };
    assert.equal((await boss.put('/api/v1/routing', routing)).status, 200);
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      const page = await openPage(browser, s, { viewport, locale: 'es-ES', path: '/settings/channels' });
      await logIn(page);
      await page.getByRole('heading', { level: 3, name: 'WhatsApp Tienda' }).waitFor();
      await assertAccessible(page);
      const urls = (await boss.get('/api/v1/channels')).json.channels.map((c) => c.webhook_url);
      await assertAllTextTranslated(page, 'es', ['WhatsApp Tienda', 'Página de Facebook', 'Instagram @tienda', 'Admin',
        'Soporte', 'Ventas', 'Contabilidad', ...urls]);
      await screenshot(page, `settings-channels-${size}`);
      await page.goto(`${s.url}/settings/routing`);
      await page.getByLabel(es['routing.try.label']).fill('Quiero comprar unas zapatillas');
      await page.locator('#routing-try-result').getByText(fill(es['routing.try.outcome.team'], { team: 'Ventas' })).waitFor();
      await assertAccessible(page);
      // The matching option beside the box on a desktop; the box and its answer on a phone.
      if (size === 'phone') await page.evaluate(() => document.querySelector('#routing-try-title').scrollIntoView());
      else await page.evaluate(() => document.querySelector('#routing-options-title').scrollIntoView());
      await screenshot(page, `settings-routing-${size}`);
      assertNoErrors(page);
      await page.context().close();
    }
  } finally {
    await s.stop();
  }
});

test('a refused form speaks the admin\'s language: the server names the rule, the page translates it', async () => {
  const page = await openPage(browser, server, { locale: 'es-ES', path: '/settings/channels' });
  await logIn(page);
  const before = (await admin.get('/api/v1/channels')).json.channels;
  const form = page.getByRole('form', { name: es['channels.connect.title'] });
  await form.getByLabel(es['channels.field.kind']).selectOption('telegram');
  await form.getByLabel(es['channels.field.name'], { exact: true }).fill('Bot sin token');
  await form.getByLabel(es['channels.field.botToken'], { exact: true }).fill('esto-no-es-un-token');
  await form.getByRole('button', { name: es['channels.connect.submit'] }).click();
  await form.getByText(es['error.rule.botTokenInvalid']).waitFor();
  assert.equal(await form.getByText(/BotFather, like/).count(), 0, 'the English sentence is not shown');
  assert.deepEqual((await admin.get('/api/v1/channels')).json.channels, before);
  assertNoErrors(page);
  await page.context().close();
});
