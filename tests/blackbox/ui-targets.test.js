// Issue 18's screens in a real browser: the response-target marker (a conversation close to
// its team's target shows "Reply soon" in the inbox list, Spanish too; one with no target
// nothing) and the business hours in Settings (saved, and a bad interval refused with the
// server's words and nothing changed).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient, agentClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';
import { until } from './lib/until.js';
import { assertNoErrors, catalogue, launchBrowser, logIn, openPage, screenshot } from './lib/browser.js';

let browser, fake, server, admin, soporte;
before(async () => {
  fake = await startFakeProvider();
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: fake.env })]);
  admin = await adminClient(server);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  soporte = (await admin.post('/api/v1/teams', { name: 'Soporte' })).json.team;
  assert.equal((await admin.patch(`/api/v1/teams/${soporte.id}`, { first_response_minutes: 10 })).status, 200);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

test('the inbox marks a conversation close to its response target, in both languages', async () => {
  const due = await customerWrites(server, 'whatsapp', '34622000001', 'Hola', { name: 'Marta Plazo' });
  assert.equal((await admin.post(`/api/v1/conversations/${due}/transfer`, { team_id: soporte.id })).status, 200);
  // A customer's message once it is in the team starts the target.
  await customerWrites(server, 'whatsapp', '34622000001', '¿Hay alguien?', { name: 'Marta Plazo' });
  assert.equal((await admin.get(`/api/v1/conversations/${due}`)).json.conversation.due, 'soon');
  await customerWrites(server, 'whatsapp', '34622000002', 'Hola', { name: 'Pedro General' });

  for (const [locale, language] of [['en-GB', 'en'], ['es-ES', 'es']]) {
    const page = await openPage(browser, server, { locale, path: `/inbox/team/${soporte.id}` });
    await logIn(page);
    const row = page.locator('.conv-item', { hasText: 'Marta Plazo' });
    await row.locator('.due-soon', { hasText: catalogue(language)['inbox.due.soon'] }).waitFor();
    await page.goto(`${server.url}/inbox/general`);
    const general = page.locator('.conv-item', { hasText: 'Pedro General' });
    await general.waitFor();
    assert.equal(await general.locator('.due-soon, .due-overdue').count(), 0);
    if (language === 'en') {
      await page.goto(`${server.url}/inbox/team/${soporte.id}`);
      await row.locator('.due-soon').waitFor();
      await screenshot(page, 'inbox-due');
    }
    assertNoErrors(page);
    await page.context().close();
  }
});

test('Settings: the business hours are saved, and a bad interval is refused', async () => {
  const page = await openPage(browser, server, { path: '/settings/business-hours' });
  await logIn(page);
  await page.locator('#hours-zone').fill('Europe/Madrid');
  await page.locator('#hours-monday').fill('16:00-19:00, 09:00-14:00');
  await page.locator('#hours-friday').fill('09:00-15:00');
  await page.locator('#hours-holidays').fill('2026-12-25\n2026-12-24 09:00-13:00');
  await page.locator('#hours-message-es').fill('Estamos cerrados. Abrimos {opens_at}.');
  await page.locator('form.hours-form button[type=submit]').click();
  await page.getByText(catalogue('en')['hours.saved']).first().waitFor();
  const saved = (await admin.get('/api/v1/business-hours')).json.business_hours;
  assert.deepEqual(saved, {
    time_zone: 'Europe/Madrid', week: { monday: ['09:00-14:00', '16:00-19:00'], friday: ['09:00-15:00'] },
    holidays: [{ date: '2026-12-25' }, { date: '2026-12-24', hours: ['09:00-13:00'] }],
    out_of_hours_message: { es: 'Estamos cerrados. Abrimos {opens_at}.' },
  });
  // The form shows what was saved, sorted.
  await until(async () => (await page.locator('#hours-monday').inputValue()) === '09:00-14:00, 16:00-19:00',
    'the saved hours in the form');
  await screenshot(page, 'settings-hours');

  await page.locator('#hours-friday').fill('15:00-09:00');
  await page.locator('form.hours-form button[type=submit]').click();
  await page.locator('.form-error', { hasText: 'week.friday[0]: 15:00-09:00 ends before it starts' }).waitFor();
  assert.deepEqual((await admin.get('/api/v1/business-hours')).json.business_hours, saved, 'nothing changed');
  // The welcome can wait for the opening.
  await page.locator('#hours-friday').fill('09:00-15:00');
  await page.getByLabel(catalogue('en')['hours.welcome']).uncheck();
  await page.locator('form.hours-form button[type=submit]').click();
  await until(async () => (await admin.get('/api/v1/business-hours')).json.business_hours.welcome_when_closed === false,
    'the welcome waits while closed');
  await until(async () => !(await page.getByLabel(catalogue('en')['hours.welcome']).isChecked()), 'shown unchecked');
  assertNoErrors(page);
  await page.context().close();
});

test('the list sorted by due time first, kept in the address across a reload', async () => {
  // Marta (first test) waits on the target; Pedro, answered, has none and the newest activity.
  const pedro = (await admin.get('/api/v1/conversations?q=Pedro%20General')).json.conversations[0].id;
  assert.equal((await admin.post(`/api/v1/conversations/${pedro}/transfer`, { team_id: soporte.id })).status, 200);
  assert.equal((await admin.post(`/api/v1/conversations/${pedro}/messages`, { text: 'Le atiendo' })).status, 201);
  const page = await openPage(browser, server, { path: `/inbox/team/${soporte.id}` });
  await logIn(page);
  const names = () => page.locator('.conv-item .conv-name').allInnerTexts();
  await until(async () => (await names()).join() === 'Pedro General,Marta Plazo', 'newest activity first');
  await page.locator('#filter-sort').selectOption('due');
  await until(async () => (await names()).join() === 'Marta Plazo,Pedro General', 'the due one first');
  assert.match(page.url(), /[?&]sort=due\b/);
  await page.reload();
  await until(async () => (await names()).join() === 'Marta Plazo,Pedro General', 'still after a reload');
  assert.equal(await page.locator('#filter-sort').inputValue(), 'due');
  assertNoErrors(page);
  await page.context().close();
});

test("Settings: a team's own hours, saved and given back to the account's", async () => {
  const page = await openPage(browser, server, { path: '/settings/business-hours' });
  await logIn(page);
  await page.locator('#hours-owner').selectOption(String(soporte.id));
  await page.waitForURL(`**/settings/business-hours/team/${soporte.id}`);
  const en = catalogue('en');
  await page.locator('#hours-status', { hasText: en['hours.inherited'] }).waitFor();
  // The form starts from the account's hours (saved by the test before).
  assert.equal(await page.locator('#hours-monday').inputValue(), '09:00-14:00, 16:00-19:00');
  await page.locator('#hours-saturday').fill('10:00-13:00');
  await page.locator('form.hours-form button[type=submit]').click();
  await page.getByText(en['hours.saved']).first().waitFor();
  const own = await admin.get(`/api/v1/teams/${soporte.id}/business-hours`);
  assert.equal(own.json.inherited, false);
  assert.deepEqual(own.json.business_hours.week.saturday, ['10:00-13:00']);
  assert.equal((await admin.get('/api/v1/business-hours')).json.business_hours.week.saturday, undefined,
    "the account's hours are untouched");
  await page.locator('#hours-inherit').click();
  await page.getByText(en['hours.inheritedNow']).first().waitFor();
  await until(async () => (await admin.get(`/api/v1/teams/${soporte.id}/business-hours`)).json.inherited === true,
    "the team uses the account's hours again");
  assertNoErrors(page);
  await page.context().close();
});

test("a restricted agent's inbox is only theirs: no general inbox, no team queues", async () => {
  const rosa = await agentClient(server, admin, 'rosa@example.com', 'Rosa', { role: 'restricted' });
  assert.equal((await admin.post(`/api/v1/teams/${soporte.id}/members`, { user_id: rosa.user.id })).status, 201);
  const hers = await customerWrites(server, 'whatsapp', '34622000003', 'Hola', { name: 'Clara Suya' });
  assert.equal((await admin.post(`/api/v1/conversations/${hers}/assign`, { user_id: rosa.user.id })).status, 200);
  const page = await openPage(browser, server, { path: '/' });
  await logIn(page, 'rosa@example.com', 'agent-password-123');
  await page.waitForURL('**/inbox/mine');
  await page.locator('.conv-item', { hasText: 'Clara Suya' }).waitFor();
  const nav = page.locator('#nav');
  assert.equal(await nav.locator('a[href="/inbox/general"]').count(), 0);
  assert.equal(await nav.locator('a[href^="/inbox/team/"]').count(), 0);
  assert.equal(await nav.locator('#nav-teams').count(), 0);
  // An old link to another view lands on the same conversation in hers.
  await page.goto(`${server.url}/inbox/general/${hers}`);
  await page.waitForURL(`**/inbox/mine/${hers}`);
  assertNoErrors(page);
  await page.context().close();
});

test("Settings: a team's response targets and reassignment, saved and cleared", async () => {
  const page = await openPage(browser, server, { path: `/settings/teams/${soporte.id}` });
  await logIn(page);
  const en = catalogue('en');
  await page.getByLabel(en['teams.targets.first']).fill('45');
  await page.getByLabel(en['teams.targets.next']).fill('90');
  await page.getByLabel(en['teams.targets.reassign']).fill('15');
  await page.getByLabel(en['teams.targets.reassignOffline']).check();
  await page.getByRole('button', { name: en['teams.assignment.save'] }).click();
  const saved = async () => (await admin.get(`/api/v1/teams/${soporte.id}`)).json.team;
  await until(async () => (await saved()).next_response_minutes === 90, 'the targets saved');
  assert.deepEqual(await saved().then((x) => [x.first_response_minutes, x.reassign_after_minutes, x.reassign_when_offline]),
    [45, 15, true]);
  await page.reload();
  await page.getByLabel(en['teams.targets.first']).clear();
  assert.equal(await page.getByLabel(en['teams.targets.reassignOffline']).isChecked(), true);
  await page.getByRole('button', { name: en['teams.assignment.save'] }).click();
  await until(async () => (await saved()).first_response_minutes === null, 'an empty box is no target');
  assert.equal((await saved()).next_response_minutes, 90);
  await page.getByRole('link', { name: en['teams.targets.hours'] }).click();
  await page.waitForURL(`**/settings/business-hours/team/${soporte.id}`);
  assertNoErrors(page);
  await page.context().close();
  assert.equal((await admin.patch(`/api/v1/teams/${soporte.id}`, { first_response_minutes: 10, next_response_minutes: null,
    reassign_after_minutes: null, reassign_when_offline: false })).status, 200);
});
