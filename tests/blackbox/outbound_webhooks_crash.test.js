// Durability of outbound webhooks: kill -9 the server with deliveries queued and some in
// flight, start it again, and every event reaches the endpoint at least once (only those in
// flight at the kill may come twice), in order per conversation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { CHANNELS, postMeta, whatsappTexts } from './lib/providers.js';
import { startReceiver, verifySignature } from './lib/webhook_receiver.js';
import { until } from './lib/until.js';

test('kill -9 during deliveries, restart: none lost, order per conversation kept', async (t) => {
  const receiver = await startReceiver();
  const dir = tempDir();
  const env = { CENTRALITA_WEBHOOKS_ALLOW_PRIVATE: '1', CENTRALITA_WEBHOOKS_TIMEOUT_MS: '2000' };
  const first = await startServer({ dir, env });
  let second = null;
  t.after(async () => {
    for (const srv of [first, second]) if (srv && !srv.exit) srv.child.kill('SIGKILL');
    await receiver.stop();
  });
  const admin = await adminClient(first);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  const hook = await admin.post('/api/v1/webhooks', { url: receiver.url, events: ['conversation.created', 'message.created'] });
  assert.equal(hook.status, 201, hook.text);
  // The endpoint hangs from its 40th post on, so posts are in flight when the server dies.
  receiver.failNext('/hooks', 39, 200);
  receiver.failNext('/hooks', 1000, 'hang');
  // 20 customers write 10 messages each, in batches as WhatsApp sends them.
  for (let round = 0; round < 10; round++) {
    const batch = [];
    for (let c = 0; c < 20; c++) batch.push({ from: `3466100${String(c).padStart(4, '0')}`, wamid: `wamid.crash-${c}-${round}`, text: `c${c}-m${round}` });
    assert.equal((await postMeta(first, 'whatsapp', whatsappTexts(batch))).status, 200);
  }
  const queued = Number(sql(first, 'SELECT count(*) FROM webhook_deliveries'));
  assert.equal(queued, 20 + 200, 'every event was queued with it');
  await receiver.waitFor((r) => r.filter((p) => p.answer === 'hang').length >= 5, 'posts in flight');
  first.child.kill('SIGKILL');
  assert.equal((await first.exited).signal, 'SIGKILL');
  const inFlight = receiver.received.filter((p) => p.answer === 'hang').length;
  assert.ok(receiver.delivered().length < queued, 'all were delivered before the kill');

  receiver.clearFailures('/hooks');
  second = await startServer({ dir, env });
  const expected = sql(second, 'SELECT event_id FROM webhook_deliveries ORDER BY event_id').split('\n').map(Number);
  await receiver.waitFor(() => new Set(receiver.delivered().map((p) => p.json.event_id)).size === queued, 'every event delivered', 60000);
  assert.deepEqual([...new Set(receiver.delivered().map((p) => p.json.event_id))].sort((a, b) => a - b), expected);
  assert.ok(receiver.delivered().length <= queued + inFlight, 'only posts in flight at the kill came twice');
  for (const p of receiver.delivered()) assert.ok(verifySignature(p.headers['x-centralita-signature'], p.body, hook.json.secret));
  // Per conversation, first deliveries in event order: created, then c<N>-m0 … m9.
  const firsts = new Map();
  for (const p of receiver.delivered()) if (!firsts.has(p.json.event_id)) firsts.set(p.json.event_id, p.json);
  const byConversation = new Map();
  for (const j of firsts.values()) {
    const conv = j.conversation?.id ?? j.message.conversation_id;
    if (!byConversation.has(conv)) byConversation.set(conv, []);
    byConversation.get(conv).push(j);
  }
  assert.equal(byConversation.size, 20);
  for (const list of byConversation.values()) {
    assert.equal(list[0].type, 'conversation.created');
    const texts = list.slice(1).map((j) => j.message.text);
    const c = texts[0].split('-')[0];
    assert.deepEqual(texts, Array.from({ length: 10 }, (_, i) => `${c}-m${i}`));
  }
  await until(() => sql(second, "SELECT count(*) FROM webhook_deliveries WHERE state <> 'delivered'") === '0', 'every delivery recorded');
  await second.stop();
});
