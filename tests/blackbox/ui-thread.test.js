// The thread as an agent reads it all day: it opens at the newest message and stays there
// while messages arrive, unless the agent scrolled up to read (then a "new messages" button
// appears); a draft stays with its conversation across switching and reloading.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { adminClient } from './lib/client.js';
import { failures, startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites, postMeta, whatsappTexts } from './lib/providers.js';
import { DESKTOP, assertNoErrors, catalogue, launchBrowser, logIn, openPage } from './lib/browser.js';

const en = catalogue('en');

let browser;
let fake;
let server;
let admin;
let telegram;
let phone = 34633000000;

before(async () => {
  fake = await startFakeProvider();
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: fake.env })]);
  admin = await adminClient(server);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  telegram = (await admin.post('/api/v1/channels', CHANNELS.telegram)).json.channel;
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

// A customer who wrote `count` messages in one delivery; returns { from, conversation }.
async function talkative(name, count) {
  const from = String(++phone);
  const body = whatsappTexts(Array.from({ length: count }, (_, i) => ({ from, wamid: `wamid.${from}-${i}`, name,
    text: `Línea ${i} de ${name}, con algo de texto para ocupar sitio.` })));
  assert.equal((await postMeta(server, 'whatsapp', body)).status, 200);
  return { from, conversation: await customerWrites(server, 'whatsapp', from, `Última de ${name}`, { name }) };
}

// How far the thread's scroller is from its bottom, in pixels.
function fromBottom(page) {
  return page.locator('.thread-scroll').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
}

async function atBottom(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('.thread-scroll');
    return el && el.scrollHeight > el.clientHeight && el.scrollHeight - el.scrollTop - el.clientHeight < 2;
  });
}

test('the thread opens at its newest message and stays there, unless the agent scrolled up', async () => {
  const { from, conversation } = await talkative('Rita Largo', 40);
  const page = await openPage(browser, server, { path: `/inbox/general/${conversation}` });
  await logIn(page);
  await page.locator('.msg-in', { hasText: 'Última de Rita Largo' }).waitFor();
  await atBottom(page);
  const pill = page.getByRole('button', { name: en['inbox.thread.newMessages'] });

  // Pinned: a new message is in view, and no button is offered.
  await customerWrites(server, 'whatsapp', from, 'Y otra cosa más', { name: 'Rita Largo' });
  await page.locator('.msg-in', { hasText: 'Y otra cosa más' }).waitFor();
  await atBottom(page);
  assert.equal(await pill.isVisible(), false);

  // Scrolled up to read: the place is kept and the button says there is more below.
  await page.locator('.thread-scroll').hover();
  await page.mouse.wheel(0, -20000);
  await page.waitForFunction(() => document.querySelector('.thread-scroll').scrollTop === 0);
  await customerWrites(server, 'whatsapp', from, 'Sigo aquí', { name: 'Rita Largo' });
  await pill.waitFor();
  assert.equal(await page.locator('.thread-scroll').evaluate((el) => el.scrollTop), 0);
  assert.ok(await fromBottom(page) > 100);
  await pill.click();
  await atBottom(page);
  await pill.waitFor({ state: 'hidden' });
  assert.ok(await page.locator('.msg-in', { hasText: 'Sigo aquí' }).isVisible());
  assertNoErrors(page);
  await page.context().close();
});

test('a draft stays with its conversation when switching and after a reload, and goes once sent', async () => {
  const first = await talkative('Draf Uno', 1);
  const second = await talkative('Draf Dos', 1);
  const page = await openPage(browser, server, { path: `/inbox/general/${first.conversation}` });
  await logIn(page);
  const composer = page.getByRole('textbox', { name: en['inbox.composer.reply'] });
  const heading = (name) => page.getByRole('heading', { level: 2, name });
  await heading('Draf Uno').waitFor();
  await composer.fill('Borrador para Uno');
  await page.locator(`.conv-item[data-conversation-id="${second.conversation}"] a`).click();
  await heading('Draf Dos').waitFor();
  assert.equal(await composer.inputValue(), '');
  await composer.fill('Borrador para Dos');
  await page.locator(`.conv-item[data-conversation-id="${first.conversation}"] a`).click();
  await heading('Draf Uno').waitFor();
  assert.equal(await composer.inputValue(), 'Borrador para Uno');

  await page.reload();
  await heading('Draf Uno').waitFor();
  assert.equal(await composer.inputValue(), 'Borrador para Uno');
  await composer.press('Enter');
  await page.locator('.msg-out[data-message-id]', { hasText: 'Borrador para Uno' }).waitFor();
  await page.reload();
  await heading('Draf Uno').waitFor();
  assert.equal(await composer.inputValue(), '');
  await page.goto(`${server.url}/inbox/general/${second.conversation}`);
  await heading('Draf Dos').waitFor();
  assert.equal(await composer.inputValue(), 'Borrador para Dos');
  assertNoErrors(page);
  await page.context().close();
});

// The actions' tops (one line when they are all the same) and whether each lies wholly inside
// the window and its row, unclipped.
function actionsLayout(page) {
  return page.locator('.thread-actions').evaluate((row) => {
    const boxes = [...row.querySelectorAll('button:not([role=menuitem])')].map((b) => b.getBoundingClientRect());
    const outer = row.getBoundingClientRect();
    return {
      tops: [...new Set(boxes.map((b) => Math.round(b.top)))],
      isInside: boxes.every((b) => b.left >= 0 && b.right <= innerWidth && b.left >= outer.left - 1
        && b.right <= outer.right + 1 && b.width > 0),
      isClipped: row.scrollWidth > row.clientWidth,
    };
  });
}

// The share of the window's height the messages get.
function threadShare(page) {
  return page.locator('.thread-scroll').evaluate((el) => el.getBoundingClientRect().height / innerHeight);
}

test('at 1280×800 the actions sit on one line and the messages get at least 60 % of the height', async () => {
  const { conversation } = await talkative('Alta Cabecera', 30);
  for (const tag of ['envios', 'urgente'])
    assert.equal((await admin.put(`/api/v1/conversations/${conversation}/tags/${tag}`)).status, 200);
  const page = await openPage(browser, server, { viewport: DESKTOP, path: `/inbox/general/${conversation}` });
  await logIn(page);
  await page.getByRole('heading', { level: 2, name: 'Alta Cabecera' }).waitFor();
  const contact = page.getByRole('button', { name: en['inbox.contact.toggle'], exact: true });
  for (const isOpen of ['true', 'false']) {
    if (await contact.getAttribute('aria-expanded') !== isOpen) await contact.click();
    await page.waitForFunction((open) => document.querySelector('.inbox').classList.contains('has-contact') === (open === 'true'), isOpen);
    const layout = await actionsLayout(page);
    assert.equal(layout.tops.length, 1, `actions on one line (contact panel ${isOpen})`);
    assert.ok(layout.isInside && !layout.isClipped);
    const share = await threadShare(page);
    assert.ok(share >= 0.6, `the messages get ${Math.round(share * 100)} % of the height (contact panel ${isOpen})`);
  }
  // Each action is a menu: it opens, Escape closes it and gives the focus back.
  await page.getByRole('button', { name: en['inbox.action.snooze'] }).click();
  await page.getByRole('menuitem', { name: en['inbox.snooze.hour'] }).waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('menu').waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'action-snooze');
  const routingLines = async () => (await admin.get(`/api/v1/conversations/${conversation}/events`)).json.events
    .filter((e) => e.kind === 'routing').length;
  const before = await routingLines();
  await page.getByRole('button', { name: en['inbox.action.more'] }).click();
  await page.getByRole('menuitem', { name: en['inbox.action.routing'] }).click();
  await page.locator('.toast', { hasText: en['inbox.done.routing'] }).waitFor();
  assert.equal(await routingLines(), before + 1);
  assertNoErrors(page);
  await page.context().close();
});

test('on a 390×844 phone the thread\'s toolbar is wholly in view and Resolve says so in words', async () => {
  const { conversation } = await talkative('Teléfono Estrecho', 3);
  const page = await openPage(browser, server, { viewport: { width: 390, height: 844 }, path: `/inbox/general/${conversation}` });
  await logIn(page);
  await page.getByRole('heading', { level: 2, name: 'Teléfono Estrecho' }).waitFor();
  const layout = await actionsLayout(page);
  assert.equal(layout.tops.length, 1);
  assert.ok(layout.isInside && !layout.isClipped, 'every action wholly in view');
  const resolve = page.locator('#action-resolve');
  assert.equal((await resolve.innerText()).trim(), en['inbox.action.resolve']);
  for (const name of ['inbox.action.transfer', 'inbox.action.assign', 'inbox.action.snooze', 'inbox.action.more'])
    assert.ok(await page.getByRole('button', { name: en[name] }).isVisible(), name);
  // A menu opens inside the window.
  await page.getByRole('button', { name: en['inbox.action.snooze'] }).click();
  const menu = await page.getByRole('menu').boundingBox();
  assert.ok(menu.x >= 0 && menu.x + menu.width <= 390);
  await page.getByRole('menuitem', { name: en['inbox.snooze.hour'] }).click();
  await page.locator('.toast', { hasText: en['inbox.done.snoozed'] }).waitFor();
  assert.equal((await admin.get(`/api/v1/conversations/${conversation}`)).json.conversation.status, 'snoozed');
  assertNoErrors(page);
  await page.context().close();
});

test('a reply that did not go out says why on the message, offers "retry now", and is counted in the list and on the channel', async () => {
  const to = '5100000077';
  const conversation = await customerWrites(server, 'telegram', to, 'Hola, ¿me ayudáis?', { name: 'Tele Espera', channelId: telegram.id });
  const page = await openPage(browser, server, { path: `/inbox/general/${conversation}` });
  await logIn(page);
  await page.getByRole('heading', { level: 2, name: 'Tele Espera' }).waitFor();
  // Telegram asks to wait ten minutes: the reply waits, and says so.
  fake.failNext(1, failures.telegramTooManyRequests(600), { kind: 'telegram', to });
  await page.getByRole('textbox', { name: en['inbox.composer.reply'] }).fill('Claro, cuéntame');
  await page.keyboard.press('Enter');
  const problem = page.locator('.msg-out', { hasText: 'Claro, cuéntame' }).locator('.msg-error');
  await problem.waitFor();
  assert.match(await problem.innerText(), new RegExp(`^${en['inbox.delivery.retrying'].split('{reason}')[0]}`));
  const row = page.locator(`.conv-item[data-conversation-id="${conversation}"]`);
  await row.locator('.conv-undelivered', { hasText: en['inbox.list.undelivered'] }).waitFor();

  await page.goto(`${server.url}/settings/channels`);
  const card = page.locator('.channel', { hasText: CHANNELS.telegram.name });
  await card.locator('.channel-undelivered').waitFor();
  assert.equal(await card.locator('.channel-undelivered').innerText(),
    en['channels.undelivered.one'].replace('{retrying}', '1'));

  await page.goto(`${server.url}/inbox/general/${conversation}`);
  await problem.getByRole('button', { name: en['inbox.delivery.retryNow'] }).click();
  await page.locator('.toast', { hasText: en['inbox.delivery.retried'] }).waitFor();
  await fake.waitForSent(1, { kind: 'telegram', to, timeout: 10000 });
  await page.locator('.msg-out[data-status="sent"]', { hasText: 'Claro, cuéntame' }).waitFor();
  await problem.waitFor({ state: 'detached' });
  await row.locator('.conv-undelivered').waitFor({ state: 'detached' });

  // Refused for good: red, with the provider's reason; sent again from the same button.
  fake.failNext(1, failures.telegramBlocked(), { kind: 'telegram', to });
  await page.getByRole('textbox', { name: en['inbox.composer.reply'] }).fill('¿Sigues ahí?');
  await page.keyboard.press('Enter');
  const refused = page.locator('.msg-out[data-status="failed"]', { hasText: '¿Sigues ahí?' }).locator('.msg-error');
  await refused.waitFor();
  assert.match(await refused.innerText(), /blocked/);
  await row.locator('.conv-undelivered').waitFor();
  await refused.getByRole('button', { name: en['inbox.delivery.retryNow'] }).click();
  await page.locator('.msg-out[data-status="sent"]', { hasText: '¿Sigues ahí?' }).waitFor();
  await row.locator('.conv-undelivered').waitFor({ state: 'detached' });
  assertNoErrors(page);
  await page.context().close();
});
