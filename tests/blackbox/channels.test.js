// Channels: connected by admins through the API and the CLI; credentials sealed at rest
// and never answered; every bad input refused with nothing changed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, cli } from './lib/server.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { CHANNELS, connectAll, telegramRegistered } from './lib/providers.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { dump } from './lib/db.js';

let s, fake, admin, channels;
before(async () => {
  fake = await startFakeProvider();
  s = await startServer({ env: { ...fake.env, CENTRALITA_PUBLIC_URL: 'https://chat.example.com' } });
  admin = await adminClient(s);
  channels = await connectAll(admin);
  await telegramRegistered(s, channels.telegram.id);
});
after(async () => { await s.stop(); await fake.stop(); });

test('each kind connects; the answer shows hints of the credentials, never the credentials', async () => {
  const wa = channels.whatsapp;
  assert.equal(wa.kind, 'whatsapp');
  assert.equal(wa.name, 'WhatsApp Tienda');
  assert.equal(wa.phone_number_id, '106540352242922');
  assert.equal(wa.active, true);
  assert.equal(wa.webhook_url, 'https://chat.example.com/webhooks/whatsapp');
  assert.deepEqual(wa.credentials.access_token, { set: true, last4: '0001' });
  assert.equal(wa.credentials.verify_token.set, true);
  assert.equal(channels.messenger.page_id, '109876543210987');
  assert.equal(channels.messenger.webhook_url, 'https://chat.example.com/webhooks/messenger');
  assert.equal(channels.instagram.instagram_account_id, '17841400000000001');
  const tg = channels.telegram;
  assert.equal(tg.bot_id, '7000000001');
  assert.equal(tg.mode, 'webhook');
  assert.equal(tg.webhook_url, `https://chat.example.com/webhooks/telegram/${tg.id}`);
  assert.deepEqual(tg.credentials.bot_token, { set: true, last4: '0004' });
  assert.equal(tg.credentials.webhook_secret, undefined);

  const all = await admin.get('/api/v1/channels');
  const one = await admin.get(`/api/v1/channels/${wa.id}`);
  const ids = Object.values(channels).map((c) => c.id);
  assert.equal(all.json.channels.filter((c) => ids.includes(c.id)).length, 4);
  assert.deepEqual(one.json.channel, wa);
  for (const c of Object.values(CHANNELS))
    for (const secret of [c.access_token, c.app_secret, c.bot_token].filter(Boolean)) {
      assert.ok(!all.text.includes(secret), 'API answer leaks a secret');
      assert.ok(!dump(s).includes(secret), 'the database holds a secret in clear');
    }
  assert.ok(!s.stderr.includes(CHANNELS.whatsapp.access_token), 'the log leaks a secret');
});

test('the secret key file is created with mode 0600 and 32 bytes', () => {
  const key = join(s.dir, 'secret.key');
  assert.equal(statSync(key).mode & 0o777, 0o600);
  assert.equal(readFileSync(key).length, 32);
});

test('bad channel input: a clear error each, nothing changed', async () => {
  const before = dump(s);
  const wa = CHANNELS.whatsapp;
  const cases = [
    [{ ...wa, kind: 'sms' }, 400],
    [{ ...wa, kind: undefined }, 400],
    [{ ...wa, name: undefined }, 400],
    [{ ...wa, name: 'x'.repeat(201) }, 400],
    [{ ...wa, phone_number_id: undefined }, 400],
    [{ ...wa, phone_number_id: '12ab' }, 400],
    [{ ...wa, phone_number_id: 106540352242922 }, 400],
    [{ ...wa, access_token: 'has space' }, 400],
    [{ ...wa, app_secret: '' }, 400],
    [{ ...wa, verify_token: 'x'.repeat(257) }, 400],
    [{ ...wa, page_id: '1' }, 400],
    [{ ...wa, bot_token: '1:abc' }, 400],
    [{ ...wa, mode: 'polling' }, 400],
    [{ ...wa, webhook: 'x' }, 400],
    [{ ...CHANNELS.telegram, bot_token: 'not-a-token' }, 400],
    [{ ...CHANNELS.telegram, mode: 'push' }, 400],
    [{ ...CHANNELS.telegram, access_token: 'x' }, 400],
    [wa, 409],
    [CHANNELS.telegram, 409],
  ];
  for (const [body, status] of cases) {
    const r = await admin.post('/api/v1/channels', body);
    assert.equal(r.status, status, `${JSON.stringify(body)}: ${r.text}`);
    assert.ok(r.json.error.message.length > 0);
  }
  assertError(await admin.post('/api/v1/channels', '{"kind":'), 400, 'invalid_json');
  assertError(await admin.get('/api/v1/channels/999999'), 404, 'not_found');
  assertError(await admin.del('/api/v1/channels/999999'), 404, 'not_found');
  const agent = await agentClient(s, admin, 'no-channels@example.com');
  const afterAgent = dump(s);
  assertError(await agent.get('/api/v1/channels'), 403, 'forbidden');
  assertError(await agent.post('/api/v1/channels', { ...CHANNELS.whatsapp, phone_number_id: '5' }), 403, 'forbidden');
  assertError(await agent.del(`/api/v1/channels/${channels.whatsapp.id}`), 403, 'forbidden');
  assert.equal(dump(s), afterAgent);
  assert.ok(before.length > 0);
});

test('a removed channel stays listed as inactive and its account can be connected again', async () => {
  const r = await admin.post('/api/v1/channels', { ...CHANNELS.whatsapp, phone_number_id: '555000111' });
  assert.equal(r.status, 201);
  assert.equal((await admin.del(`/api/v1/channels/${r.json.channel.id}`)).status, 200);
  const got = await admin.get(`/api/v1/channels/${r.json.channel.id}`);
  assert.equal(got.json.channel.active, false);
  assertError(await admin.del(`/api/v1/channels/${r.json.channel.id}`), 404, 'not_found');
  const again = await admin.post('/api/v1/channels', { ...CHANNELS.whatsapp, phone_number_id: '555000111' });
  assert.equal(again.status, 201, again.text);
  assert.notEqual(again.json.channel.id, r.json.channel.id);
});

test('the CLI connects a channel and prints its id and webhook URL', async () => {
  const r = cli(s.dir, ['channel', 'add', 'messenger', '--name', 'Otra página', '--page-id', '4242',
    '--access-token', 'EAAcli-token-9999', '--app-secret', 'cli-secret', '--verify-token', 'cli-verify',
    '--public-url', 'https://chat.example.com']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^channel (\d+) messenger Otra página\nwebhook URL: https:\/\/chat.example.com\/webhooks\/messenger\n$/);
  const id = Number(r.stdout.match(/^channel (\d+)/)[1]);
  const got = await admin.get(`/api/v1/channels/${id}`);
  assert.equal(got.json.channel.page_id, '4242');
  assert.match(cli(s.dir, ['channel', 'list']).stdout, new RegExp(`${id}\\tmessenger\\t4242\\tactive\\tOtra página`));
  const bad = cli(s.dir, ['channel', 'add', 'messenger', '--name', 'X', '--page-id', '4243']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /'access_token' is required/);
  assert.equal(cli(s.dir, ['channel', 'remove', String(id)]).status, 0);
  assert.match(cli(s.dir, ['channel', 'list']).stdout, new RegExp(`${id}\\tmessenger\\t4242\\tremoved`));
});
