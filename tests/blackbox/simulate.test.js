// centralita simulate: a signed customer message posted to the running server, as the
// provider would (through the same HTTP client as every outbound request).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { connectAll } from './lib/providers.js';
import { startFakeProvider } from './lib/fake_provider.js';

test('simulate posts a signed WhatsApp and Telegram message that the server stores', async () => {
  const fake = await startFakeProvider();
  const s = await startServer({ env: fake.env });
  try {
    const admin = await adminClient(s);
    const channels = await connectAll(admin);
    for (const [kind, from] of [['whatsapp', '34699000001'], ['telegram', '7001']]) {
      const r = cli(s.dir, ['simulate', kind, '--channel', String(channels[kind].id), '--from', from,
        '--text', `hola desde ${kind}`, '--url', s.url]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^200 /);
      assert.equal(sql(s, `SELECT count(*) FROM messages WHERE text = 'hola desde ${kind}'`), '1');
    }
    // A wrong kind for the channel is refused before anything is posted.
    const r = cli(s.dir, ['simulate', 'telegram', '--channel', String(channels.whatsapp.id),
      '--from', '1', '--text', 'x', '--url', s.url]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is a whatsapp channel/);
    assert.equal(sql(s, "SELECT count(*) FROM messages WHERE text = 'x'"), '0');
  } finally {
    await s.stop();
    await fake.stop();
  }
});

test('simulate and channel add reach the server as it started: its recorded URL, unless the flag or environment says another', async () => {
  const s = await startServer();
  try {
    const admin = await adminClient(s);
    const { whatsapp } = await connectAll(admin);
    // No --url: the URL the running server recorded (where it listens), as README says.
    const r = cli(s.dir, ['simulate', 'whatsapp', '--channel', String(whatsapp.id), '--from', '34699000002', '--text', 'hola sin url']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^200 /);
    assert.equal(sql(s, "SELECT count(*) FROM messages WHERE text = 'hola sin url'"), '1');
    const added = cli(s.dir, ['channel', 'add', 'telegram', '--name', 'Bot', '--bot-token-file', '-', '--mode', 'polling'], {},
      { input: '123456:ABCDEFGHIJKLMNOPQRSTUV\n' });
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stdout, new RegExp(`webhook URL: ${s.url}/webhooks/telegram/\\d+\\n`));
    // The flag or the environment, as serve reads them, wins over the record.
    const told = cli(s.dir, ['channel', 'add', 'webchat', '--name', 'Web', '--public-url', 'https://chat.example.com']);
    assert.equal(told.status, 0, told.stderr);
    assert.match(told.stdout, /src="https:\/\/chat\.example\.com\/widget\.js"/);
    const env = cli(s.dir, ['channel', 'add', 'webchat', '--name', 'Web 2'], { CENTRALITA_PUBLIC_URL: 'https://other.example.com' });
    assert.match(env.stdout, /src="https:\/\/other\.example\.com\/widget\.js"/);
  } finally {
    await s.stop({ keepDir: true });
  }
  // A server started with a public URL records it: the CLI prints that one.
  const again = await startServer({ dir: s.dir, env: { CENTRALITA_PUBLIC_URL: 'https://chat.example.com' } });
  try {
    const r = cli(again.dir, ['channel', 'add', 'webchat', '--name', 'Web 3']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /src="https:\/\/chat\.example\.com\/widget\.js"/);
  } finally {
    await again.stop();
  }
});
