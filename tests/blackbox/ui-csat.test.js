// Satisfaction in a real browser: a team's question is turned on (with the default in the
// admin's language, Spanish and English), changed, refused when too long and turned off on the
// team's Settings page; the conversation shows the customer's rating, live.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';
import { until } from './lib/until.js';
import { assertAccessible, assertAllTextTranslated, assertNoErrors, catalogue, launchBrowser, logIn, openPage } from './lib/browser.js';

const en = catalogue('en');
const es = catalogue('es');
const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (whole, k) => (k in vars ? vars[k] : whole));

let browser, fake, server, admin;

before(async () => {
  fake = await startFakeProvider();
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: fake.env })]);
  admin = await adminClient(server);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

async function team(name) {
  return (await admin.post('/api/v1/teams', { name })).json.team;
}

for (const [language, locale, strings, name] of [['en', 'en-GB', en, 'Quality'], ['es', 'es-ES', es, 'Calidad']]) {
  test(`teams (${language}): the satisfaction question is turned on with its default, changed, refused when too long, turned off`, async () => {
    const t = await team(name);
    const page = await openPage(browser, server, { locale, path: `/settings/teams/${t.id}` });
    await logIn(page);
    const enabled = page.getByLabel(strings['csat.enabled']);
    const question = page.getByLabel(strings['csat.question'], { exact: true });
    await enabled.waitFor();
    assert.equal(await enabled.isChecked(), false);
    assert.equal(await question.isDisabled(), true);
    assert.equal(await question.inputValue(), strings['csat.default']);
    await assertAllTextTranslated(page, language, ['Quality', 'Calidad', 'Admin']);

    await enabled.check();
    await page.getByRole('button', { name: strings['csat.save'] }).click();
    await page.locator('.toast', { hasText: fill(strings['csat.saved'], { team: name }) }).waitFor();
    assert.equal((await admin.get(`/api/v1/teams/${t.id}`)).json.team.csat_question, strings['csat.default']);

    // Too long (the field lets 500 characters in; these are 2 bytes each): the rule in the
    // page's words, and nothing changed.
    await question.fill('é'.repeat(300));
    await page.getByRole('button', { name: strings['csat.save'] }).click();
    const error = page.getByRole('form', { name: strings['csat.title'] }).getByRole('alert');
    await error.waitFor();
    assert.equal(await error.textContent(), fill(strings['error.rule.tooLong'], { field: strings['csat.question'], limit: 500 }));
    assert.equal((await admin.get(`/api/v1/teams/${t.id}`)).json.team.csat_question, strings['csat.default']);

    await question.fill('¿Qué tal te atendimos? 1-5');
    await page.getByRole('button', { name: strings['csat.save'] }).click();
    const stored = async () => (await admin.get(`/api/v1/teams/${t.id}`)).json.team.csat_question;
    await until(async () => (await stored()) === '¿Qué tal te atendimos? 1-5', 'the new question to be saved');
    await page.reload();
    await question.waitFor();
    assert.equal(await question.inputValue(), '¿Qué tal te atendimos? 1-5');
    assert.equal(await enabled.isChecked(), true);
    await assertAccessible(page);

    await enabled.uncheck();
    await page.getByRole('button', { name: strings['csat.save'] }).click();
    await until(async () => (await stored()) === null, 'the question to be turned off');
    assertNoErrors(page);
    await page.context().close();
  });
}

test('the conversation shows that the rating was asked, then the customer\'s rating as it arrives', async () => {
  const t = await team('Soporte');
  assert.equal((await admin.patch(`/api/v1/teams/${t.id}`, { csat_question: 'Del 1 al 5, ¿qué tal?' })).status, 200);
  const from = '34688000001';
  const conv = await customerWrites(server, 'whatsapp', from, 'Hola', { name: 'Paula Nota' });
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/transfer`, { team_id: t.id })).status, 200);
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/resolve`)).status, 200);
  const page = await openPage(browser, server, { locale: 'es-ES', path: `/inbox/team/${t.id}/${conv}` });
  await logIn(page);
  await page.locator('#thread-csat', { hasText: es['csat.asked'] }).waitFor();
  await fake.waitForSent(1, { kind: 'whatsapp', to: from });
  await customerWrites(server, 'whatsapp', from, '4', { name: 'Paula Nota' });
  const mark = page.locator('#thread-csat', { hasText: fill(es['csat.rated'], { rating: 4 }) });
  await mark.waitFor();
  const me = (await admin.get('/api/v1/me')).json.user.name;
  assert.equal(await mark.getAttribute('title'), fill(es['csat.ratedBy'], { rating: 4, name: me }));
  await assertAccessible(page);
  assertNoErrors(page);
  await page.context().close();
});
