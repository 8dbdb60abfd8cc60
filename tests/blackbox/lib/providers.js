// Provider-side helpers: fixtures, Meta's X-Hub-Signature-256, and channels to post to.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { cli, startServer } from './server.js';
import { sql } from './db.js';
import { adminClient, agentClient } from './client.js';
import { until } from './until.js';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = process.env.CENTRALITA_FIXTURES || join(here, '..', '..', 'fixtures');

export function fixture(path) {
  return readFileSync(join(FIXTURES, path), 'utf8');
}

export function sign(body, secret) {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

// The ids the fixtures use, and the secrets the tests give each channel.
export const CHANNELS = {
  whatsapp: { kind: 'whatsapp', name: 'WhatsApp Tienda', phone_number_id: '106540352242922', access_token: 'EAAwhatsapptoken0001', app_secret: 'wa-app-secret', verify_token: 'wa-verify' },
  messenger: { kind: 'messenger', name: 'Página', page_id: '109876543210987', access_token: 'EAAmessengertoken0002', app_secret: 'fb-app-secret', verify_token: 'fb-verify' },
  instagram: { kind: 'instagram', name: 'Instagram', instagram_account_id: '17841400000000001', access_token: 'IGQinstagramtoken0003', app_secret: 'ig-app-secret', verify_token: 'ig-verify' },
  telegram: { kind: 'telegram', name: 'Bot', bot_token: '7000000001:AAHtelegramBotTokenForTests0004' },
};

// Connects all four kinds through the API; returns the channels by kind.
export async function connectAll(admin) {
  const out = {};
  for (const [kind, body] of Object.entries(CHANNELS)) {
    const r = await admin.post('/api/v1/channels', body);
    assert.equal(r.status, 201, r.text);
    out[kind] = r.json.channel;
  }
  return out;
}

// Resolves once the server recorded its Telegram channel's setWebhook (on a fake): after it,
// the channel's row stays still, so dumps taken later can be compared.
export function telegramRegistered(server, channelId) {
  return until(() => sql(server, `SELECT coalesce(telegram_webhook_at, 0) FROM channels WHERE id = ${channelId}`) > 0,
    'the Telegram webhook to be registered');
}

// A server on fake with the four kinds of channel and two teams: Ventas (Ana) and Soporte
// (Bruno); resolves once Telegram's webhook is registered.
export async function twoTeamsOn(fake) {
  const s = await startServer({ env: fake.env });
  const admin = await adminClient(s);
  const ch = await connectAll(admin);
  const ventas = (await admin.post('/api/v1/teams', { name: 'Ventas' })).json.team.id;
  const soporte = (await admin.post('/api/v1/teams', { name: 'Soporte' })).json.team.id;
  const ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
  const bruno = await agentClient(s, admin, 'bruno@example.com', 'Bruno');
  await admin.post(`/api/v1/teams/${ventas}/members`, { user_id: ana.user.id });
  await admin.post(`/api/v1/teams/${soporte}/members`, { user_id: bruno.user.id });
  await telegramRegistered(s, ch.telegram.id);
  return { s, admin, ch, ventas, soporte, ana, bruno };
}

// Posts a Meta webhook body (string or Buffer), signed with secret unless told otherwise.
export async function postMeta(server, kind, body, { secret = CHANNELS[kind].app_secret, signature } = {}) {
  const headers = { 'content-type': 'application/json' };
  const sig = signature !== undefined ? signature : sign(body, secret);
  if (sig !== null) headers['x-hub-signature-256'] = sig;
  const res = await fetch(`${server.url}/webhooks/${kind}`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, text, json: safeJson(text), headers: res.headers };
}

// Posts a Telegram update through `centralita simulate --payload`, which knows the secret.
export function postTelegramFixture(server, channelId, path) {
  const file = join(FIXTURES, path);
  return cli(server.dir, ['simulate', 'telegram', '--channel', String(channelId), '--payload', file, '--url', server.url]);
}

export async function postTelegram(server, channelId, body, secret) {
  const headers = { 'content-type': 'application/json' };
  if (secret !== undefined) headers['x-telegram-bot-api-secret-token'] = secret;
  const res = await fetch(`${server.url}/webhooks/telegram/${channelId}`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, text, json: safeJson(text) };
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// The body of a WhatsApp webhook carrying one customer text message.
export function whatsappText(from, wamid, text, name = 'Cliente') {
  return whatsappTexts([{ from, wamid, text, name }]);
}

// One WhatsApp delivery of several customers' texts ({ from, wamid, text, name } each), as
// WhatsApp batches them.
export function whatsappTexts(list) {
  const contacts = [...new Map(list.map((m) => [m.from, { profile: { name: m.name ?? 'Cliente' }, wa_id: m.from }])).values()];
  const messages = list.map((m) => ({ from: m.from, id: m.wamid, timestamp: String(Math.floor(Date.now() / 1000)),
    type: 'text', text: { body: m.text } }));
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: {
    messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: CHANNELS.whatsapp.phone_number_id },
    contacts, messages } }] }] });
}

let sequence = 0;

// A customer writes `text` as the provider would deliver it (signed); Telegram goes
// through `centralita simulate`. Returns the conversation id it landed in.
export async function customerWrites(server, kind, from, text, { name = 'Cliente', channelId } = {}) {
  const id = `sim-${process.pid}-${++sequence}`;
  const now = Date.now();
  const c = CHANNELS[kind];
  let r;
  if (kind === 'whatsapp') {
    r = await postMeta(server, kind, whatsappText(from, `wamid.${id}`, text, name));
  } else if (kind === 'telegram') {
    const out = cli(server.dir, ['simulate', 'telegram', '--channel', String(channelId), '--from', from, '--name', name, '--text', text, '--url', server.url]);
    assert.equal(out.status, 0, out.stdout + out.stderr);
    r = { status: 200 };
  } else {
    const page = kind === 'messenger' ? c.page_id : c.instagram_account_id;
    const body = JSON.stringify({ object: kind === 'messenger' ? 'page' : 'instagram', entry: [{ id: page, time: now, messaging: [
      { sender: { id: from }, recipient: { id: page }, timestamp: now, message: { mid: `m_${id}`, text } }] }] });
    r = await postMeta(server, kind, body);
  }
  assert.equal(r.status, 200, r.text);
  return Number(sql(server, `SELECT v.id FROM conversations v JOIN contact_identities i ON i.id = v.identity_id
    JOIN channels ch ON ch.id = v.channel_id WHERE i.external_id = '${from}' AND ch.kind = '${kind}' AND ch.is_active = 1 ORDER BY v.id DESC LIMIT 1`));
}

// A customer sends a file the fake provider serves (ref: what fake.addMedia() answered), as the
// provider's webhook carries it (file: { type, mimeType, fileName, bytes }); Telegram's is
// posted to the webhook the server registered with the fake. Resolves with the stored
// message's id and its conversation's.
export async function customerSends(server, fake, kind, ref, file, from = String(34611000000 + ++sequence)) {
  const id = `media-${process.pid}-${++sequence}`;
  const now = Date.now();
  let r;
  if (kind === 'whatsapp') {
    const type = file.type;
    const media = { id: ref, mime_type: file.mimeType, sha256: 'ignored-by-the-fetch' };
    if (file.fileName) media.filename = file.fileName;
    if (type === 'audio') media.voice = true;
    r = await postMeta(server, kind, JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: CHANNELS.whatsapp.phone_number_id },
      contacts: [{ profile: { name: 'Lucía' }, wa_id: from }],
      messages: [{ from, id: `wamid.${id}`, timestamp: String(Math.floor(now / 1000)), type, [type]: media }] } }] }] }));
  } else if (kind === 'telegram') {
    const chat = Number(from.slice(-9));
    const message = { message_id: sequence, from: { id: chat, is_bot: false, first_name: 'Marta' }, chat: { id: chat, first_name: 'Marta', type: 'private' },
      date: Math.floor(now / 1000) };
    if (file.type === 'image') message.photo = [{ file_id: 'small-ignored', file_unique_id: 's', file_size: 10, width: 9, height: 6 },
      { file_id: ref, file_unique_id: 'l', file_size: file.bytes.length, width: 96, height: 64 }];
    else if (file.type === 'audio') message.voice = { file_id: ref, file_unique_id: 'v', duration: 1, mime_type: 'audio/ogg', file_size: file.bytes.length };
    else message.document = { file_id: ref, file_unique_id: 'd', file_name: file.fileName, mime_type: file.mimeType, file_size: file.bytes.length };
    // Posted the way Telegram posts to the webhook the server registered, to this server.
    const hook = fake.telegram.webhook(CHANNELS.telegram.bot_token);
    const res = await fetch(server.url + new URL(hook.url).pathname, { method: 'POST', body: JSON.stringify({ update_id: 100000 + sequence, message }),
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': hook.secret_token } });
    r = { status: res.status, text: await res.text() };
  } else {
    const page = kind === 'messenger' ? CHANNELS.messenger.page_id : CHANNELS.instagram.instagram_account_id;
    const type = { image: 'image', audio: 'audio', document: 'file' }[file.type];
    r = await postMeta(server, kind, JSON.stringify({ object: kind === 'messenger' ? 'page' : 'instagram', entry: [{ id: page, time: now, messaging: [
      { sender: { id: from }, recipient: { id: page }, timestamp: now, message: { mid: `m_${id}`, attachments: [{ type, payload: { url: ref } }] } }] }] }));
  }
  assert.equal(r.status, 200, r.text);
  const message = Number(sql(server, `SELECT max(m.id) FROM messages m JOIN channels c ON c.id = m.channel_id WHERE c.kind = '${kind}' AND m.direction = 'in'`));
  const conversation = Number(sql(server, `SELECT conversation_id FROM messages WHERE id = ${message}`));
  return { message, conversation };
}
