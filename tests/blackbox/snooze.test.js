// Snoozed conversations open again by themselves when their time comes, or when the
// customer writes first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { connectAll, customerWrites } from './lib/providers.js';
import { until } from './lib/until.js';

test('a snooze ends at its time, or when the customer writes', async (t) => {
  const fake = await startFakeProvider();
  const s = await startServer({ env: fake.env });
  t.after(async () => { await s.stop(); await fake.stop(); });
  const admin = await adminClient(s);
  await connectAll(admin);
  const timed = await customerWrites(s, 'whatsapp', '34720000001', 'Hola');
  const early = await customerWrites(s, 'whatsapp', '34720000002', 'Hola');
  for (const [conv, ms] of [[timed, 1500], [early, 3600_000]]) {
    const r = await admin.post(`/api/v1/conversations/${conv}/snooze`, { until: Date.now() + ms });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.conversation.status, 'snoozed');
  }
  await customerWrites(s, 'whatsapp', '34720000002', '¿Seguís ahí?');
  assert.equal((await admin.get(`/api/v1/conversations/${early}`)).json.conversation.status, 'open');
  await until(async () => (await admin.get(`/api/v1/conversations/${timed}`)).json.conversation.status === 'open',
    'the snooze to end', 5000);
  assert.match(sql(s, `SELECT text FROM conversation_events WHERE conversation_id = ${timed} ORDER BY id DESC LIMIT 1`), /snooze ended/);
});
