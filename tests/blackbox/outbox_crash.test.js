// Durability: kill -9 the server with 500 replies queued and some in flight, start it again,
// and every reply reaches the provider exactly once, in order per conversation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, tempDir } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';
import { until } from './lib/until.js';

test('kill -9 with 500 queued messages, restart: all 500 delivered, none twice', async (t) => {
  const fake = await startFakeProvider();
  const dir = tempDir();
  // The dead worker's leases (send timeout + busy timeout) expire 7 s after the kill. A
  // shorter busy timeout would shorten them, but leave a live send's lease only 1 s beyond its
  // timeout: a worker stalled on a loaded machine could see it expire before recording.
  const env = { ...fake.env, CENTRALITA_SEND_TIMEOUT: '2' };
  const first = await startServer({ dir, env });
  let second = null;
  t.after(async () => {
    for (const srv of [first, second]) if (srv && !srv.exit) srv.child.kill('SIGKILL');
    await fake.stop();
  });
  const admin = await adminClient(first);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  const conversations = [];
  for (let i = 0; i < 50; i++) conversations.push(await customerWrites(first, 'whatsapp', `3461000${String(i).padStart(4, '0')}`, 'Hola'));

  fake.setLatency(20);
  const posts = [];
  for (let round = 0; round < 10; round++)
    for (const [i, conv] of conversations.entries())
      posts.push(admin.post(`/api/v1/conversations/${conv}/messages`, { text: `c${i}-m${round}` }));
  for (const r of await Promise.all(posts)) assert.equal(r.status, 201, r.text);
  // Let some go, then make the provider stop answering so sends are in flight, and kill.
  await fake.waitForSent(100, { kind: 'whatsapp', timeout: 20000 });
  fake.setLatency(0);
  fake.hangNext(1000, { kind: 'whatsapp' });
  // Kill once sends hang in flight and every answered send is recorded: the one window no
  // design closes (answered, not yet recorded) is left out on purpose, see docs/OUTBOX.md.
  await until(() => fake.requests.some((r) => r.outcome === 'hung') && !fake.requests.some((r) => r.outcome === 'pending') &&
    Number(sql(first, 'SELECT count(*) FROM outbox')) === 500 - fake.sent('whatsapp').length,
  () => `a send in flight: ${fake.requests.filter((r) => r.outcome === 'hung').length} hung, ` +
    `${fake.requests.filter((r) => r.outcome === 'pending').length} pending, ${fake.sent('whatsapp').length} sent, ` +
    `outbox ${sql(first, "SELECT group_concat(state || ' ' || n, ', ') FROM (SELECT state, count(*) AS n FROM outbox GROUP BY state) g")}`);
  first.child.kill('SIGKILL');
  const { signal } = await first.exited;
  assert.equal(signal, 'SIGKILL');
  const beforeRestart = fake.sent('whatsapp').length;
  assert.ok(beforeRestart < 500, `all were sent before the kill (${beforeRestart})`);
  const queued = Number(sql(first, "SELECT count(*) FROM outbox"));
  assert.equal(queued, 500 - beforeRestart);

  fake.clearFailures();
  second = await startServer({ dir, env });
  await fake.waitForSent(500, { kind: 'whatsapp', timeout: 40000 });
  const texts = fake.sent('whatsapp').map((r) => r.text);
  assert.equal(texts.length, 500);
  assert.equal(new Set(texts).size, 500, 'a message was delivered twice');
  // Replies were posted concurrently: the order to keep is the order they were queued in.
  for (const [i, conv] of conversations.entries()) {
    const queuedOrder = sql(second, `SELECT text FROM messages WHERE conversation_id = ${conv} AND direction = 'out' ORDER BY id`).split('\n');
    assert.deepEqual(texts.filter((t) => t.startsWith(`c${i}-`)), queuedOrder, `order of conversation ${i}`);
  }
  assert.equal(sql(second, "SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'sent'"), '500');
  assert.equal(sql(second, 'SELECT count(*) FROM outbox'), '0');
  await second.stop();
});
