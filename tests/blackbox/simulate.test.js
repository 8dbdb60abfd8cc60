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
