// The routing editor's suggestions in a real browser: words learnt from replies that fell back
// and from conversations agents moved, shown escaped in English and Spanish; "add to option"
// puts the word among the option's answers for the ordinary save, "dismiss" makes it go for
// good; the share of conversations moved after routing is listed per option.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';
import {
  assertAccessible, assertAllTextTranslated, assertNoErrors, catalogue, launchBrowser, logIn, openPage, screenshot,
} from './lib/browser.js';

const en = catalogue('en');
const es = catalogue('es');
const fill = (t, vars) => t.replace(/\{(\w+)\}/g, (whole, k) => (k in vars ? vars[k] : whole));

// A team name with markup in it: it must show as typed, never as HTML.
const TEAM = 'Soporte <i>técnico</i>';

let browser, fake, server, admin, team, ventas;
let phone = 34720000000;

async function customer(text) {
  const from = String(++phone);
  const id = await customerWrites(server, 'whatsapp', from, 'Hola');
  await fake.waitForSent(1, { kind: 'whatsapp', to: from, timeout: 10000 });
  await customerWrites(server, 'whatsapp', from, text);
  return id;
}

before(async () => {
  fake = await startFakeProvider();
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: fake.env })]);
  admin = await adminClient(server);
  await connectAll(admin);
  team = (await admin.post('/api/v1/teams', { name: TEAM })).json.team;
  ventas = (await admin.post('/api/v1/teams', { name: 'Ventas' })).json.team;
  const r = await admin.put('/api/v1/routing', {
    welcome_message: 'Hola: 1 Soporte 2 Ventas',
    fallback_message: 'Responde 1 o 2.',
    options: [{ answers: ['1', 'soporte'], team: team.id }, { answers: ['2', 'comprar'], team: ventas.id }],
  });
  assert.equal(r.status, 200, r.text);
  // Two replies fall back; one of them is taken to the support team. One is routed to Ventas
  // and moved to support at once.
  const first = await customer('Tengo una avería en la cocina');
  await customer('avería en la cocina otra vez');
  assert.equal((await admin.post(`/api/v1/conversations/${first}/transfer`, { team_id: team.id })).status, 200);
  const routed = await customer('quiero comprar una caldera');
  assert.equal((await admin.post(`/api/v1/conversations/${routed}/transfer`, { team_id: team.id })).status, 200);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

test('suggestions: shown escaped with why, added to an option and saved, or dismissed for good', async () => {
  const page = await openPage(browser, server, { path: '/settings/routing' });
  await logIn(page);
  const card = page.locator('#routing-suggestions');
  await card.getByRole('heading', { name: en['routing.suggest.title'] }).waitFor();
  const row = card.locator('.suggestion', { has: page.locator('.chip', { hasText: /^averia$/ }) });
  await row.getByText(fill(en['routing.suggest.fellBack.other'], { count: 2 }) + ', '
    + fill(en['routing.suggest.moved.one'], { team: TEAM })).waitFor();
  // The team's name is text: no <i> element came from it.
  assert.equal(await card.locator('i').count(), 0);
  // The share moved after routing, per option: Ventas routed one and it was moved.
  await card.getByText(fill(en['routing.stats.row'], { n: 2, routed: 1, moved: 1, share: '100%' })).waitFor();
  await assertAllTextTranslated(page, 'en', [TEAM, 'averia', 'cocina', 'caldera', 'Hola: 1 Soporte 2 Ventas',
    'Responde 1 o 2.', '1', '2', 'soporte', 'comprar', 'Ventas']);
  await assertAccessible(page);
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, 'routing-suggestions');

  // Dismissed: gone from the page and from the server's list.
  const cocina = card.locator('.suggestion', { has: page.locator('.chip', { hasText: /^cocina$/ }) });
  await cocina.getByRole('button', { name: fill(en['routing.suggest.dismissLabel'], { text: 'cocina' }) }).click();
  await page.locator('.toast', { hasText: fill(en['routing.suggest.dismissed'], { text: 'cocina' }) }).waitFor();
  await cocina.waitFor({ state: 'detached' });
  const listed = (await admin.get('/api/v1/routing/suggestions')).json.suggestions.map((s) => s.text);
  assert.ok(!listed.includes('cocina'), listed);

  // Added to its team's option (chosen already), then saved with the ordinary save.
  assert.equal(await row.getByRole('combobox').inputValue(), '0');
  await row.getByRole('button', { name: fill(en['routing.suggest.addLabel'], { text: 'averia' }) }).click();
  await page.locator('.toast', { hasText: fill(en['routing.suggest.added'], { text: 'averia', n: 1 }) }).waitFor();
  await page.locator('#routing-option-0-answer').locator('..').locator('.chip-text', { hasText: /^averia$/ }).waitFor();
  assert.deepEqual((await admin.get('/api/v1/routing')).json.options[0].answers, ['1', 'soporte'], 'not saved yet');
  await page.getByRole('button', { name: en['routing.save'] }).click();
  await page.locator('.toast', { hasText: en['routing.saved'] }).waitFor();
  assert.deepEqual((await admin.get('/api/v1/routing')).json.options[0].answers, ['1', 'soporte', 'averia']);
  // After the save the page is drawn again: an answer now, it is no longer suggested.
  await card.locator('.chip', { hasText: /^averia$/ }).waitFor({ state: 'detached' });
  assertNoErrors(page);
  await page.context().close();
});

test('suggestions speak Spanish', async () => {
  await customer('se ha roto la caldera');
  const page = await openPage(browser, server, { locale: 'es-ES', path: '/settings/routing' });
  await logIn(page);
  const card = page.locator('#routing-suggestions');
  await card.getByRole('heading', { name: es['routing.suggest.title'] }).waitFor();
  const row = card.locator('.suggestion', { has: page.locator('.chip', { hasText: /^caldera$/ }) });
  await row.getByText(fill(es['routing.suggest.fellBack.one'], {}) + ', '
    + fill(es['routing.suggest.moved.one'], { team: TEAM })).waitFor();
  await row.getByRole('button', { name: fill(es['routing.suggest.dismissLabel'], { text: 'caldera' }) }).waitFor();
  await assertAllTextTranslated(page, 'es', ['Admin', TEAM, 'averia', 'caldera', 'Hola: 1 Soporte 2 Ventas',
    'Responde 1 o 2.', '1', '2', 'soporte', 'comprar', 'Ventas']);
  assertNoErrors(page);
  await page.context().close();
});
