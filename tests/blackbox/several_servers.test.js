// Several servers on one PostgreSQL database, run by make blackbox-pg (a SQLite run shows it
// skipped, with the reason: one SQLite file has one server). Event ids commit in the order
// they were drawn, so a stream on one server never skips an event that another server's
// slower writer committed late.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, holdSession, PG } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { connectAll, postMeta, whatsappText } from './lib/providers.js';
import { openStream } from './lib/sse.js';
import { until } from './lib/until.js';

const only = { skip: !PG && 'PostgreSQL only (make blackbox-pg)' };
let one, two;
before(async () => {
  if (!PG) return;
  one = await startServer();
  two = await startServer({ dir: one.dir });
  await connectAll(await adminClient(one));
});
after(async () => {
  await one?.stop({ keepDir: true });
  await two?.stop();
});

// The key of the advisory lock that the slow writer waits for, inside its transaction.
const GATE = 4242;

test('a slow writer on one server and fast ones on another: the stream gets every event, in order', only, async (t) => {
  // Server one's writer stops inside its transaction once it has drawn the event id of the
  // message 'lento', until the test opens the gate.
  sql(one, `CREATE FUNCTION gate() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN
      IF (SELECT text FROM messages WHERE id = CAST(CAST(NEW.data AS jsonb) ->> 'message_id' AS bigint)) = 'lento' THEN
        PERFORM pg_advisory_xact_lock_shared(${GATE});
      END IF;
      RETURN NULL; END$$;
    CREATE TRIGGER gate AFTER INSERT ON events FOR EACH ROW WHEN (NEW.kind = 'message.created') EXECUTE FUNCTION gate()`);
  t.after(() => sql(one, 'DROP TRIGGER gate ON events; DROP FUNCTION gate'));
  const stream = await openStream(await adminClient(two));
  t.after(() => stream.close());
  const start = Number(sql(one, 'SELECT coalesce(max(id), 0) FROM events'));

  const openGate = await holdSession(one, `SELECT pg_advisory_lock(${GATE});`);
  const slow = postMeta(one, 'whatsapp', whatsappText('34630000001', 'wamid.slow', 'lento'));
  const waiting = () => Number(sql(one, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    + ' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())'));
  await until(() => waiting() === 1, 'the slow writer to wait at the gate');
  // Fast writers on server two, with the slow one's transaction still open.
  let answered = 0;
  const fast = [2, 3, 4].map((i) => postMeta(two, 'whatsapp', whatsappText(`3463000000${i}`, `wamid.fast-${i}`, 'rápido'))
    .then((r) => { answered++; return r; }));
  // They either wait behind the slow one's events or are answered; both are decided once seen.
  await until(() => answered === fast.length || waiting() > 1, 'the fast writers to wait or be answered');
  await openGate();
  for (const r of [await slow, ...(await Promise.all(fast))]) assert.deepEqual([r.status, r.json], [200, { stored: 1, duplicates: 0 }], r.text);

  // Every event committed since start that an admin sees (all but the agents' copies of contact
  // events) reaches the stream on server two, once each, in id order.
  const committed = sql(one, `SELECT id FROM events WHERE id > ${start} AND user_id IS NULL ORDER BY id`).split('\n').map(Number);
  assert.ok(committed.length >= 8, `events committed: ${committed}`); // each of 4: conversation and message
  await stream.waitFor((s) => s.events.some((e) => e.id === committed.at(-1)), 'the newest event on the stream');
  assert.deepEqual(stream.events.map((e) => e.id).filter((id) => id > start), committed);
  const slowMessage = Number(sql(one, "SELECT id FROM messages WHERE provider_message_id = 'wamid.slow'"));
  assert.ok(stream.events.some((e) => e.event === 'message.created' && e.data.message_id === slowMessage), 'the slow writer\'s message on the stream');
});
