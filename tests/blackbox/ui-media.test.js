// Customers' files in the thread, in Chromium: the photo as a thumbnail that opens full size,
// the WhatsApp voice note (OGG/Opus) playable (its audio element reports a duration), the PDF
// as a card with its name, size and download, a location as a link to a map, a placeholder
// while a file is on its way (filled in live), and the reason when one could not be fetched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from './lib/server.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, FIXTURES, customerSends, customerWrites, postMeta } from './lib/providers.js';
import { PHONE, assertNoErrors, catalogue, launchBrowser, logIn, openPage, screenshot } from './lib/browser.js';

const en = catalogue('en');
const JPEG = { bytes: readFileSync(join(FIXTURES, 'media/photo.jpg')), mimeType: 'image/jpeg', type: 'image' };
const VOICE = { bytes: readFileSync(join(FIXTURES, 'media/voice.ogg')), mimeType: 'audio/ogg', type: 'audio' };
const PDF = { bytes: readFileSync(join(FIXTURES, 'media/invoice.pdf')), mimeType: 'application/pdf', type: 'document', fileName: 'factura 0042.pdf' };

let browser, fake, server;
before(async () => {
  fake = await startFakeProvider();
  [browser, server] = await Promise.all([launchBrowser(), startServer({ env: fake.env })]);
  const admin = await adminClient(server);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  await fake?.stop();
});

test('the thread shows the photo, plays the voice note, offers the PDF, links the location', async () => {
  const from = '34644000001';
  const send = (file, f = file) => customerSends(server, fake, 'whatsapp', fake.addMedia('whatsapp', f).ref, file, from);
  const { conversation } = await send(JPEG);
  await send(VOICE);
  await send(PDF);
  const gone = fake.addMedia('whatsapp', JPEG);
  fake.removeMedia(gone.ref);
  await customerSends(server, fake, 'whatsapp', gone.ref, JPEG, from);
  assert.equal((await postMeta(server, 'whatsapp', JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: {
    messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: CHANNELS.whatsapp.phone_number_id },
    contacts: [{ profile: { name: 'Lucía' }, wa_id: from }],
    messages: [{ from, id: 'wamid.location-1', timestamp: String(Math.floor(Date.now() / 1000)), type: 'location',
      location: { latitude: 40.4168, longitude: -3.7038, name: 'Tienda Sol', address: 'Puerta del Sol 1, Madrid' } }] } }] }] }))).status, 200);

  const page = await openPage(browser, server, { path: `/inbox/general/${conversation}` });
  await logIn(page);
  // The photo: a thumbnail the browser decoded, linking to the file full size.
  const image = page.locator('.msg-image img');
  await image.waitFor();
  await page.waitForFunction(() => document.querySelector('.msg-image img')?.naturalWidth === 96);
  const href = await page.locator('.msg-image').getAttribute('href');
  assert.match(href, /^\/api\/v1\/messages\/\d+\/media$/);
  assert.equal(await page.locator('.msg-image').getAttribute('title'), en['inbox.media.openFull']);
  // The voice note: Chromium reads the OGG/Opus file and reports its length.
  const duration = await page.locator('audio.msg-audio').evaluate((a) => new Promise((resolve, reject) => {
    if (a.readyState >= 1) return resolve(a.duration);
    a.addEventListener('loadedmetadata', () => resolve(a.duration));
    a.addEventListener('error', () => reject(new Error(`audio error ${a.error?.code}`)));
  }));
  assert.ok(Math.abs(duration - 1.5) < 0.05, `duration ${duration}`);
  // The PDF: a card with its name and size that downloads it.
  const card = page.locator('a.msg-file');
  assert.equal(await card.locator('.msg-file-name').textContent(), 'factura 0042.pdf');
  assert.equal(await card.locator('.msg-file-size').textContent(), `${PDF.bytes.length} B`);
  assert.equal(await card.getAttribute('download'), 'factura 0042.pdf');
  const bytes = await page.evaluate(async (url) => Array.from(new Uint8Array(await (await fetch(url)).arrayBuffer())), await card.getAttribute('href'));
  assert.ok(Buffer.from(bytes).equals(PDF.bytes), 'the card downloads the PDF');
  // The location: a link to a map.
  const map = page.locator('a.msg-location');
  assert.match(await map.getAttribute('href'), /^https:\/\/www\.openstreetmap\.org\/\?mlat=40\.4168&mlon=-3\.7038/);
  assert.match(await map.textContent(), /Tienda Sol/);
  // The file that was gone: the reason.
  await page.locator('.msg-media-failed').waitFor();
  assert.match(await page.locator('.msg-media-failed').textContent(), /could not be fetched: The provider no longer has the file/);
  await screenshot(page, 'inbox-media-desktop');
  assertNoErrors(page);
  await page.context().close();
  const phone = await openPage(browser, server, { viewport: PHONE, path: `/inbox/general/${conversation}` });
  await logIn(phone);
  await phone.waitForFunction(() => document.querySelector('.msg-image img')?.naturalWidth === 96);
  await phone.locator('.msg-image').scrollIntoViewIfNeeded();
  await screenshot(phone, 'inbox-media-phone');
  assertNoErrors(phone);
  await phone.context().close();
});

test('a file on its way shows a placeholder, then fills in live', async () => {
  const from = '34644000002';
  const hold = fake.holdNext(1, { op: 'mediaDownload' });
  const { conversation } = await customerSends(server, fake, 'whatsapp', fake.addMedia('whatsapp', JPEG).ref, JPEG, from);
  const page = await openPage(browser, server, { path: `/inbox/general/${conversation}` });
  await logIn(page);
  const pending = page.locator('.msg-media-pending');
  await pending.waitFor();
  assert.equal(await pending.textContent(), en['inbox.media.pending'].replace('{type}', en['inbox.media.image']));
  hold.release();
  await page.waitForFunction(() => document.querySelector('.msg-image img')?.naturalWidth === 96);
  await pending.waitFor({ state: 'detached' });
  assertNoErrors(page);
  await page.context().close();
});

test('an agent sends files from the composer: the clip button, a dropped file, a pasted image', async () => {
  const from = '34644000003';
  const conversation = await customerWrites(server, 'whatsapp', from, 'me manda la factura?');
  const page = await openPage(browser, server, { path: `/inbox/general/${conversation}` });
  await logIn(page);
  const composer = page.locator('form.composer');
  const input = page.getByRole('textbox', { name: en['inbox.composer.reply'] });
  await input.waitFor();
  const outgoing = page.locator('.msg-out');
  const before = await outgoing.count();

  // The clip button: the PDF, with a caption.
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: en['inbox.composer.attach'] }).click();
  await (await chooser).setFiles({ name: 'factura 0042.pdf', mimeType: 'application/pdf', buffer: PDF.bytes });
  assert.equal(await composer.locator('.composer-file-name').textContent(), 'factura 0042.pdf');
  assert.equal(await input.getAttribute('placeholder'), en['inbox.composer.captionPlaceholder']);
  await input.fill('Su factura');
  await input.press('Enter');
  const card = outgoing.locator('a.msg-file');
  await card.waitFor();
  assert.equal(await card.locator('.msg-file-name').textContent(), 'factura 0042.pdf');
  await outgoing.getByText('Su factura').waitFor();
  assert.equal(await composer.locator('.composer-file').isHidden(), true, 'the file went with the reply');
  const pdf = await fake.waitFor(1, { op: 'send', to: from, accepted: true, timeout: 10000 });
  assert.equal(pdf[0].body.type, 'document');
  assert.equal(pdf[0].body.document.caption, 'Su factura');
  assert.ok(fake.uploaded(pdf[0].body.document.id).bytes.equals(PDF.bytes), 'WhatsApp got the PDF');

  // A photo dropped on the composer.
  const dropped = await page.evaluateHandle((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'pedido.jpg', { type: 'image/jpeg' }));
    return dt;
  }, [...JPEG.bytes]);
  await composer.dispatchEvent('dragover', { dataTransfer: dropped });
  assert.match(await composer.getAttribute('class'), /is-dropping/);
  await composer.dispatchEvent('drop', { dataTransfer: dropped });
  assert.equal(await composer.locator('.composer-file-name').textContent(), 'pedido.jpg');
  await input.press('Enter');
  await page.waitForFunction((n) => [...document.querySelectorAll('.msg-out .msg-image img')].filter((i) => i.naturalWidth === 96).length === n, 1);

  // An image pasted into the text (a screenshot).
  await input.evaluate((el, bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'image.png', { type: 'image/jpeg' }));
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, [...JPEG.bytes]);
  assert.equal(await composer.locator('.composer-file-name').textContent(), 'image.png');
  await input.fill('así llegó');
  await input.press('Enter');
  await page.waitForFunction((n) => [...document.querySelectorAll('.msg-out .msg-image img')].filter((i) => i.naturalWidth === 96).length === n, 2);
  await outgoing.getByText('así llegó').waitFor();
  assert.equal(await outgoing.count(), before + 3);
  const images = await fake.waitFor(3, { op: 'send', to: from, accepted: true, timeout: 10000 });
  assert.deepEqual(images.map((r) => r.body.type), ['document', 'image', 'image']);
  for (const r of images.slice(1)) assert.ok(fake.uploaded(r.body.image.id).bytes.equals(JPEG.bytes), 'WhatsApp got the photo');
  await screenshot(page, 'inbox-media-sent-desktop');
  assertNoErrors(page);
  await page.context().close();
});
