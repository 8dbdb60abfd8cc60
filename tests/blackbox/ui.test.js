// The web inbox in a real browser (headless chromium): login, availability, Settings for
// teams and users, what an agent sees, names shown as text, both languages, keyboard use,
// accessibility checks, and the screenshots (docs/screenshots/ under `make screenshots`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, ADMIN_EMAIL } from './lib/server.js';
import { Client, adminClient, agentClient } from './lib/client.js';
import {
  DESKTOP, PHONE, assertAccessible, assertAllTextTranslated, assertNoErrors, catalogue, launchBrowser, logIn, openPage, screenshot,
} from './lib/browser.js';

const en = catalogue('en');
const es = catalogue('es');

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

function heading(page) {
  return page.locator('main h1');
}

async function headingIs(page, text) {
  await page.locator('main h1', { hasText: text }).waitFor();
  assert.equal((await heading(page).textContent()).trim(), text);
}

function toast(page, text) {
  return page.locator('.toast', { hasText: text }).waitFor();
}

function nav(page, language = 'en') {
  return page.getByRole('navigation', { name: catalogue(language)['nav.label'] });
}

async function navLinks(page) {
  return (await nav(page).getByRole('link').allTextContents()).map((s) => s.trim());
}

async function apiTeam(name, memberIds = []) {
  const { json } = await admin.post('/api/v1/teams', { name });
  for (const user_id of memberIds) await admin.post(`/api/v1/teams/${json.team.id}/members`, { user_id });
  return json.team;
}

test('login: a wrong password shows the error, the right one lands where the visitor was going', async () => {
  const page = await openPage(browser, server, { path: '/settings/users' });
  await page.waitForURL('**/login');
  await page.locator('h1', { hasText: en['login.title'] }).waitFor();
  await page.locator('input[type=email]').fill(ADMIN_EMAIL);
  await page.locator('input[type=password]').fill('not-the-password');
  await page.locator('form button[type=submit]').click();
  await page.getByRole('alert').filter({ hasText: en['error.invalidCredentials'] }).waitFor();
  assert.match(page.url(), /\/login$/);
  await logIn(page);
  await page.waitForURL('**/settings/users');
  await headingIs(page, en['users.title']);
  assertNoErrors(page);
  await page.context().close();
});

test('availability: changed in the header, kept on the server and after a reload', async () => {
  const agent = await agentClient(server, admin, 'avail@example.com', 'Ava');
  const page = await openPage(browser, server);
  await logIn(page, 'avail@example.com', 'agent-password-123');
  // After a reload the page has only the cookie: the CSRF token comes from GET /me.
  await page.reload();
  const select = page.getByLabel(en['availability.label']);
  // Logging in is coming to work: online.
  assert.equal(await select.inputValue(), 'online');
  await select.selectOption('away');
  await toast(page, en['availability.changed'].replace('{availability}', en['availability.away']));
  assert.equal((await agent.get('/api/v1/me')).json.user.availability, 'away');
  await page.reload();
  assert.equal(await page.getByLabel(en['availability.label']).inputValue(), 'away');
  assertNoErrors(page);
  await page.context().close();
});

test('admin invites a user and creates a team in Settings, then adds the user to it', async () => {
  const page = await openPage(browser, server);
  await logIn(page);
  await nav(page).getByRole('link', { name: en['nav.settingsUsers'], exact: true }).click();
  await headingIs(page, en['users.title']);
  await page.getByLabel(en['users.name'], { exact: true }).fill('Lucía Gómez');
  await page.getByLabel(en['users.email'], { exact: true }).fill('lucia@example.com');
  await page.getByRole('button', { name: en['users.invite.submit'] }).click();
  const dialog = page.getByRole('dialog', { name: en['users.invited.title'].replace('{name}', 'Lucía Gómez') });
  const password = (await dialog.locator('code').textContent()).trim();
  assert.equal(password.length, 16);
  await dialog.getByRole('button', { name: en['users.invited.done'] }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('row', { name: /Lucía Gómez/ }).waitFor();
  const lucia = await new Client(server.url).login('lucia@example.com', password);
  assert.equal(lucia.role, 'agent');

  await nav(page).getByRole('link', { name: en['nav.settingsTeams'], exact: true }).click();
  await headingIs(page, en['teams.title']);
  await page.getByLabel(en['teams.create.label']).fill('Atención al cliente');
  await page.getByRole('button', { name: en['teams.create.submit'] }).click();
  await page.waitForURL(/\/settings\/teams\/\d+$/);
  await page.getByRole('heading', { level: 2, name: 'Atención al cliente' }).waitFor();
  await nav(page).getByRole('link', { name: 'Atención al cliente' }).waitFor();
  await page.getByLabel(en['teams.addMember.label']).selectOption({ label: 'Lucía Gómez (lucia@example.com)' });
  await page.getByRole('button', { name: en['teams.addMember.submit'], exact: true }).click();
  await page.getByRole('button', { name: `Remove Lucía Gómez from Atención al cliente` }).waitFor();
  const id = page.url().split('/').pop();
  const { json } = await admin.get(`/api/v1/teams/${id}`);
  assert.deepEqual(json.team.members.map((m) => m.email), ['lucia@example.com']);
  assertNoErrors(page);
  await page.context().close();
});

test('admin renames a team, is told when the name is taken, and deletes it only after confirming', async () => {
  const team = await apiTeam('Facturación');
  await apiTeam('Compras');
  const page = await openPage(browser, server, { path: `/settings/teams/${team.id}` });
  await logIn(page);
  await page.getByRole('heading', { level: 2, name: 'Facturación' }).waitFor();

  await page.getByRole('button', { name: en['teams.rename.open'] }).click();
  let dialog = page.getByRole('dialog');
  await dialog.getByLabel(en['teams.rename.label']).fill('compras');
  await dialog.getByRole('button', { name: en['teams.rename.submit'] }).click();
  await dialog.getByRole('alert').filter({ hasText: en['teams.nameTaken'] }).waitFor();
  await dialog.getByLabel(en['teams.rename.label']).fill('Contabilidad');
  await dialog.getByRole('button', { name: en['teams.rename.submit'] }).click();
  await page.getByRole('heading', { level: 2, name: 'Contabilidad' }).waitFor();
  await nav(page).getByRole('link', { name: 'Contabilidad' }).waitFor();

  await page.getByRole('button', { name: en['teams.delete.open'] }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: en['common.cancel'] }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await admin.get(`/api/v1/teams/${team.id}`)).status, 200);
  await page.getByRole('button', { name: en['teams.delete.open'] }).click();
  await page.getByRole('dialog').getByRole('button', { name: en['teams.delete.submit'] }).click();
  await page.waitForURL(/\/settings\/teams$/);
  await nav(page).getByRole('link', { name: 'Contabilidad' }).waitFor({ state: 'detached' });
  assert.equal((await admin.get(`/api/v1/teams/${team.id}`)).status, 404);
  assertNoErrors(page);
  await page.context().close();
});

test('admin changes a role, deactivates after confirming, and reactivates; their own row has no actions', async () => {
  const pedro = await agentClient(server, admin, 'pedro@example.com', 'Pedro Ruiz');
  const page = await openPage(browser, server, { path: '/settings/users' });
  await logIn(page);
  await page.getByLabel('Role of Pedro Ruiz').selectOption('admin');
  await toast(page, "Pedro Ruiz's role changed.");
  assert.equal((await admin.get(`/api/v1/users/${pedro.user.id}`)).json.user.role, 'admin');

  await page.getByRole('button', { name: 'Deactivate Pedro Ruiz' }).click();
  await page.getByRole('dialog').getByRole('button', { name: en['users.deactivate.submit'] }).click();
  await page.getByRole('button', { name: 'Reactivate Pedro Ruiz' }).waitFor();
  assert.equal((await admin.get(`/api/v1/users/${pedro.user.id}`)).json.user.active, false);
  await page.getByRole('button', { name: 'Reactivate Pedro Ruiz' }).click();
  await page.getByRole('button', { name: 'Deactivate Pedro Ruiz' }).waitFor();
  assert.equal((await admin.get(`/api/v1/users/${pedro.user.id}`)).json.user.active, true);

  const own = page.getByRole('row', { name: /admin@example\.com/ });
  assert.equal(await own.getByRole('button').count(), 0);
  assert.equal(await own.getByRole('combobox').count(), 0);
  assertNoErrors(page);
  await page.context().close();
});

test('an agent sees the general inbox, their own teams only, and no Settings', async () => {
  const agent = await agentClient(server, admin, 'nora@example.com', 'Nora');
  const mine = await apiTeam('Posventa', [agent.user.id]);
  const other = await apiTeam('Dirección');
  const page = await openPage(browser, server);
  await logIn(page, 'nora@example.com', 'agent-password-123');
  assert.deepEqual(await navLinks(page), [en['nav.general'], en['nav.mine'], 'Posventa', en['profile.title']]);
  assert.equal(await nav(page).getByText(en['nav.settings']).count(), 0);
  await nav(page).getByRole('link', { name: 'Posventa' }).click();
  await headingIs(page, 'Posventa');
  for (const path of ['/settings/teams', '/settings/users', '/inbox/all', `/inbox/team/${other.id}`]) {
    await page.goto(server.url + path);
    await headingIs(page, en['notFound.title']);
  }
  assert.equal(mine.name, 'Posventa');
  assertNoErrors(page);
  await page.context().close();
});

test('names are shown as the characters typed, never run as HTML', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const evilTeam = '<script>alert(2)</script>';
  const user = (await admin.post('/api/v1/users', { email: 'evil@example.com', name: evil, role: 'agent' })).json.user;
  const team = await apiTeam(evilTeam, [user.id]);
  const page = await openPage(browser, server);
  await logIn(page);
  await nav(page).getByRole('link', { name: evilTeam }).click();
  await headingIs(page, evilTeam);
  await page.goto(`${server.url}/settings/teams/${team.id}`);
  await page.getByRole('heading', { level: 2, name: evilTeam }).waitFor();
  await page.locator('.list-primary', { hasText: evil }).waitFor();
  await page.goto(`${server.url}/settings/users`);
  assert.equal((await page.getByRole('row', { name: /evil@example\.com/ }).locator('.user-name').textContent()), evil);
  assert.equal(await page.locator('img[src="x"], main script').count(), 0);
  assertNoErrors(page);
  await page.context().close();
});

test('language: picked from the browser, switched in the page and remembered', async () => {
  const page = await openPage(browser, server, { locale: 'es-ES' });
  await page.locator('h1', { hasText: es['login.title'] }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'es');
  await logIn(page);
  await nav(page, 'es').getByRole('link', { name: es['nav.mine'] }).waitFor();
  await page.getByLabel(es['language.label']).selectOption('en');
  await nav(page).getByRole('link', { name: en['nav.mine'] }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  assert.equal(await page.title(), `${en['inbox.general.title']} · Centralita`);
  await page.reload();
  await nav(page).getByRole('link', { name: en['nav.mine'] }).waitFor();
  assertNoErrors(page);
  await page.context().close();
});

// Walks every screen in both languages: each string shown must come from that language's
// catalogue (so a missing or hard-coded string fails) or be a name or e-mail from the data.
test('every string on every screen comes from the catalogue of the language shown', async () => {
  const team = await apiTeam('Ventas');
  const page = await openPage(browser, server, { locale: 'es-ES' });
  for (const language of ['es', 'en']) {
    if (language === 'en') {
      await page.getByLabel(es['language.label']).selectOption('en');
      await page.locator('html[lang="en"]').waitFor();
    }
    await page.locator('input[type=email]').waitFor();
    await assertAllTextTranslated(page, language);
    await logIn(page);
    const users = (await admin.get('/api/v1/users')).json.users;
    const teams = (await admin.get('/api/v1/teams')).json.teams;
    const data = [...users.flatMap((u) => [u.name, u.email]), ...teams.map((t) => t.name)];
    for (const path of ['/inbox/general', '/inbox/mine', '/inbox/all', `/inbox/team/${team.id}`, '/settings/teams',
      `/settings/teams/${team.id}`, '/settings/users', '/no/such/page']) {
      await page.goto(server.url + path);
      await heading(page).waitFor();
      await assertAllTextTranslated(page, language, data);
    }
    await page.goto(`${server.url}/settings/teams/${team.id}`);
    await page.getByRole('button', { name: catalogue(language)['teams.delete.open'] }).click();
    await page.getByRole('dialog').waitFor();
    await assertAllTextTranslated(page, language, data);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: catalogue(language)['shell.logout'] }).click();
  }
  assertNoErrors(page);
  await page.context().close();
});

test('keyboard: a skip link, and on a phone a menu that opens, moves focus and closes with Escape', async () => {
  const page = await openPage(browser, server, { viewport: PHONE });
  await logIn(page);
  await page.reload();
  await heading(page).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), en['shell.skip']);
  const toggle = page.getByRole('button', { name: en['shell.menu'] });
  assert.equal(await nav(page).isVisible(), false);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await nav(page).waitFor({ state: 'visible' });
  assert.equal(await page.getByRole('button', { name: en['shell.closeMenu'] }).getAttribute('aria-expanded'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), en['nav.general']);
  await page.keyboard.press('Escape');
  await nav(page).waitFor({ state: 'hidden' });
  assert.equal(await toggle.evaluate((el) => el === document.activeElement), true);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL('**/inbox/mine');
  await nav(page).waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.textContent), en['inbox.mine.title']);
  assertNoErrors(page);
  await page.context().close();
});

test('logging out ends the session; a session ended elsewhere brings the login back with a notice', async () => {
  const page = await openPage(browser, server);
  await logIn(page);
  await page.getByRole('button', { name: en['shell.logout'] }).click();
  await page.waitForURL('**/login');
  await page.reload();
  await page.locator('h1', { hasText: en['login.title'] }).waitFor();
  assert.equal(await page.evaluate(async () => (await fetch('/api/v1/me')).status), 401);

  await logIn(page);
  await page.context().clearCookies();
  await nav(page).getByRole('link', { name: en['nav.settingsUsers'] }).click();
  await page.waitForURL('**/login');
  await page.getByRole('status').filter({ hasText: en['login.sessionEnded'] }).waitFor();
  await logIn(page);
  await page.waitForURL('**/settings/users');
  assertNoErrors(page);
  await page.context().close();
});

// A server of its own, with tidy data, for the pictures the README links to.
test('the main screens pass axe at phone and desktop widths; screenshots of them', async () => {
  const s = await startServer();
  try {
    const boss = await adminClient(s);
    const people = [];
    for (const [email, name] of [['ana@example.com', 'Ana Pérez'], ['luis@example.com', 'Luis García'],
      ['marta@example.com', 'Marta Jiménez'], ['jorge@example.com', 'Jorge Navarro']])
      people.push((await agentClient(s, boss, email, name)).user);
    const teams = {};
    for (const [name, members] of [['Soporte', [0, 1, 2]], ['Ventas', [1, 3]], ['Marketing', [2]]]) {
      teams[name] = (await boss.post('/api/v1/teams', { name })).json.team;
      for (const i of members) await boss.post(`/api/v1/teams/${teams[name].id}/members`, { user_id: people[i].id });
    }
    await boss.patch('/api/v1/me', { availability: 'online' });
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      const page = await openPage(browser, s, { viewport, locale: 'es-ES' });
      const shoot = async (name) => {
        await assertAccessible(page);
        await screenshot(page, `${name}-${size}`);
      };
      await page.locator('input[type=email]').waitFor();
      await shoot('login');
      await logIn(page);
      await shoot('inbox');
      if (size === 'phone') {
        await page.getByRole('button', { name: es['shell.menu'] }).click();
        await nav(page, 'es').waitFor({ state: 'visible' });
        await page.waitForFunction(() => getComputedStyle(document.querySelector('#nav')).transform === 'none');
        await shoot('inbox-menu');
        await page.keyboard.press('Escape');
      }
      await page.goto(`${s.url}/settings/teams/${teams.Soporte.id}`);
      await page.getByRole('heading', { level: 2, name: 'Soporte' }).waitFor();
      await shoot('settings-teams');
      await page.goto(`${s.url}/settings/users`);
      await page.getByRole('row', { name: /Ana Pérez/ }).waitFor();
      await shoot('settings-users');
      assertNoErrors(page);
      await page.context().close();
    }
  } finally {
    await s.stop();
  }
});

test('your profile: an agent changes their name and their password; a wrong current password changes nothing', async () => {
  const agent = await agentClient(server, admin, 'perfil@example.com', 'Pere Fil');
  const page = await openPage(browser, server, { path: '/profile' });
  await logIn(page, 'perfil@example.com', 'agent-password-123');
  await page.getByRole('heading', { level: 1, name: en['profile.title'] }).waitFor();
  await assertAllTextTranslated(page, 'en', ['Pere Fil', 'PF']);
  await page.getByLabel(en['profile.name.label'], { exact: true }).fill('Pere Filgueira');
  await page.getByRole('button', { name: en['profile.name.save'] }).click();
  await toast(page, en['profile.name.saved'].replace('{name}', 'Pere Filgueira'));
  await page.locator('.me-name', { hasText: 'Pere Filgueira' }).waitFor();
  assert.equal((await agent.get('/api/v1/me')).json.user.name, 'Pere Filgueira');

  // A wrong current password, or two new ones that differ: refused, and the old one still works.
  const form = page.locator('form', { has: page.getByLabel(en['profile.password.current']) });
  await page.getByLabel(en['profile.password.current']).fill('not-my-password');
  await page.getByLabel(en['profile.password.new'], { exact: true }).fill('a-new-password-456');
  await page.getByLabel(en['profile.password.again']).fill('a-new-password-456');
  await page.getByRole('button', { name: en['profile.password.save'] }).click();
  await form.locator('.form-error', { hasText: en['profile.password.wrong'] }).waitFor();
  await page.getByLabel(en['profile.password.current']).fill('agent-password-123');
  await page.getByLabel(en['profile.password.again']).fill('a-new-password-789');
  await page.getByRole('button', { name: en['profile.password.save'] }).click();
  await form.locator('.form-error', { hasText: en['profile.password.mismatch'] }).waitFor();
  assert.equal((await new Client(server.url).login('perfil@example.com', 'agent-password-123')).email, 'perfil@example.com');

  await page.getByLabel(en['profile.password.again']).fill('a-new-password-456');
  await page.getByRole('button', { name: en['profile.password.save'] }).click();
  await page.getByText(en['profile.password.done']).waitFor();
  await page.locator('input[type=password]').waitFor();
  await logIn(page, 'perfil@example.com', 'a-new-password-456');
  assert.equal((await agent.get('/api/v1/me')).status, 401, 'the old session ended');
  await assertAccessible(page);
  assertNoErrors(page);
  await page.context().close();
});
