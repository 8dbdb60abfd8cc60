// The inbox follows the event stream without reloading what the event already says: the API
// requests one event causes are counted (Playwright sees every request the page makes), and
// the title counts the unread conversations past a hundred, and Spanish counts agree in number.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient, agentClient, allConversations } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites, postMeta, whatsappTexts } from './lib/providers.js';
import { assertNoErrors, catalogue, launchBrowser, logIn, openPage } from './lib/browser.js';

const en = catalogue('en');

let browser;
let fake;
let server;
let admin;
let sara;
let phone = 34622000000;

before(async () => {
  fake = await startFakeProvider();
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: fake.env })]);
  admin = await adminClient(server);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  sara = await agentClient(server, admin, 'sara@example.com', 'Sara Soporte');
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

const isApi = (r) => new URL(r.url()).pathname.startsWith('/api/v1/') && new URL(r.url()).pathname !== '/api/v1/events';
const isCounts = (r) => new URL(r.url()).pathname === '/api/v1/conversations/counts';

// Records the API requests the page makes (the event stream aside) while `cause` runs and
// until `settled` holds, which must include the counts' answer the event brings.
async function requestsFor(page, cause, settled) {
  const seen = [];
  const record = (r) => isApi(r) && seen.push(`${r.method()} ${new URL(r.url()).pathname}`);
  page.on('request', record);
  const counts = page.waitForResponse(isCounts);
  await cause();
  await counts;
  await settled();
  page.off('request', record);
  return seen.sort();
}

test('an event changes the list in place: one request for a new message, none for a status or an assignee', async () => {
  const names = ['Ana Uno', 'Beto Dos', 'Cris Tres'];
  const people = names.map(() => String(++phone));
  const ids = [];
  for (const [i, name] of names.entries()) ids.push(await customerWrites(server, 'whatsapp', people[i], `hola ${i}`, { name }));
  const page = await openPage(browser, server, { path: '/inbox/general' });
  const firstCounts = page.waitForResponse(isCounts);
  await logIn(page);
  const row = (id) => page.locator(`.conv-item[data-conversation-id="${id}"]`);
  for (const id of ids) await row(id).waitFor();
  await firstCounts;

  // A customer writes again in the oldest: its row moves to the top, with the text and unread.
  const onMessage = await requestsFor(page,
    () => customerWrites(server, 'whatsapp', people[0], 'otra vez yo', { name: names[0] }),
    () => page.locator('.conv-item').first().filter({ hasText: 'otra vez yo' }).waitFor());
  assert.deepEqual(onMessage, [`GET /api/v1/conversations/${ids[0]}`, 'GET /api/v1/conversations/counts'].sort());
  assert.equal(await row(ids[0]).locator('.conv-unread [aria-hidden]').textContent(), '2');

  // Resolved elsewhere: it leaves the open list; the event said all the list needs.
  const onResolve = await requestsFor(page,
    () => admin.post(`/api/v1/conversations/${ids[1]}/resolve`),
    () => row(ids[1]).waitFor({ state: 'detached' }));
  assert.deepEqual(onResolve, ['GET /api/v1/conversations/counts']);

  // Assigned elsewhere: the row names the assignee.
  const onAssign = await requestsFor(page,
    () => admin.post(`/api/v1/conversations/${ids[2]}/assign`, { user_id: sara.user.id }),
    () => row(ids[2]).filter({ hasText: en['inbox.assignee.is'].replace('{name}', 'Sara Soporte') }).waitFor());
  assert.deepEqual(onAssign, ['GET /api/v1/conversations/counts']);

  // What the list shows is what a fresh load shows.
  const shown = await page.locator('.conv-item').evaluateAll((items) => items.map((el) => Number(el.dataset.conversationId)));
  const fresh = (await admin.get('/api/v1/conversations?view=general&status=open')).json.conversations.map((c) => c.id);
  assert.deepEqual(shown, fresh);
  assertNoErrors(page);
  await page.context().close();
});

test('the title counts the unread conversations past a hundred, and follows a new one', async () => {
  // 105 customers in one webhook delivery, as WhatsApp batches them.
  const body = whatsappTexts(Array.from({ length: 105 }, (_, i) => {
    const from = String(++phone);
    return { from, wamid: `wamid.many-${from}`, name: `Cliente ${i}`, text: `mensaje ${i}` };
  }));
  assert.equal((await postMeta(server, 'whatsapp', body)).status, 200);
  const unread = async () => (await allConversations(admin)).filter((c) => c.unread_count > 0 && c.status !== 'resolved').length;
  const expected = await unread();
  assert.ok(expected > 100, String(expected));

  const page = await openPage(browser, server, { path: '/inbox/general' });
  await logIn(page);
  await page.waitForFunction((title) => document.title === title, `(${expected}) General · Centralita`);
  await customerWrites(server, 'whatsapp', String(++phone), 'uno más', { name: 'Cliente nuevo' });
  assert.equal(await unread(), expected + 1);
  await page.waitForFunction((title) => document.title === title, `(${expected + 1}) General · Centralita`);
  assertNoErrors(page);
  await page.context().close();
});

test('Spanish counts say "1 abierta" and "2 abiertas" beside a team in the navigation', async () => {
  const es = catalogue('es');
  const team = (await admin.post('/api/v1/teams', { name: 'Plurales' })).json.team;
  const page = await openPage(browser, server, { locale: 'es-ES', path: '/inbox/general' });
  await logIn(page);
  const count = page.locator(`#nav [data-count="team:${team.id}"] .visually-hidden`);
  for (const [n, key] of [[1, 'nav.openCount.one'], [2, 'nav.openCount.other']]) {
    const id = await customerWrites(server, 'whatsapp', String(++phone), 'para el equipo', { name: `Plural ${n}` });
    assert.equal((await admin.post(`/api/v1/conversations/${id}/transfer`, { team_id: team.id })).status, 200);
    await count.filter({ hasText: new RegExp(`^${es[key].replace('{count}', n)}$`) }).waitFor();
  }
  assert.equal(es['nav.openCount.one'].replace('{count}', 1), '1 abierta');
  assertNoErrors(page);
  await page.context().close();
});

test('an outgoing preview says who wrote it: "You" for my own reply, a colleague by name', async () => {
  const from = String(++phone);
  const id = await customerWrites(server, 'whatsapp', from, 'Necesito ayuda', { name: 'Quién Escribe' });
  const me = (await admin.get('/api/v1/me')).json.user;
  const page = await openPage(browser, server, { path: '/inbox/general' });
  await logIn(page, 'sara@example.com', 'agent-password-123');
  const preview = page.locator(`.conv-item[data-conversation-id="${id}"] .conv-preview`);
  await preview.filter({ hasText: /^Necesito ayuda$/ }).waitFor();
  assert.equal((await admin.post(`/api/v1/conversations/${id}/messages`, { text: 'Te ayuda el admin' })).status, 201);
  await preview.filter({ hasText: new RegExp(`^${me.name}: Te ayuda el admin$`) }).waitFor();
  assert.equal((await sara.post(`/api/v1/conversations/${id}/messages`, { text: 'Y yo también' })).status, 201);
  await preview.filter({ hasText: /^You: Y yo también$/ }).waitFor();
  const item = (await sara.get(`/api/v1/conversations/${id}`)).json.conversation;
  assert.deepEqual([item.last_message.sender, item.last_message.author], ['agent', { id: sara.user.id, name: 'Sara Soporte' }]);
  assertNoErrors(page);
  await page.context().close();
});
