// The response-target marker in a real browser: a conversation close to its team's target
// shows "Reply soon" in the inbox list (Spanish too), one with no target shows nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';
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
