// The PostgreSQL back end's own behaviour, run by make blackbox-pg (make blackbox runs the
// suite on SQLite, where it does not apply, and says so as a skip): connections that
// PostgreSQL ends are made again, and the requests after them are served. (A database newer
// than the binary is refused on both: server.test.js.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql, PG } from './lib/db.js';
import { connectAll, postMeta, whatsappText } from './lib/providers.js';
import { adminClient } from './lib/client.js';

const only = { skip: !PG && 'PostgreSQL only (make blackbox-pg)' };
let s, admin;
before(async () => {
  if (!PG) return;
  s = await startServer();
  admin = await adminClient(s);
  await connectAll(admin);
});
after(async () => s?.stop());

// Ends every connection the server holds, as a restart of PostgreSQL would.
function killConnections() {
  const killed = sql(s, 'SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity'
    + " WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'centralita'");
  assert.ok(Number(killed) > 0, `connections ended: ${killed}`);
}

test('connections that PostgreSQL ended are made again: health, webhooks and the API go on', only, async () => {
  killConnections();
  // Each pooled connection finds out on its next transaction, and begins again on a new one.
  for (let i = 0; i < 8; i++) {
    const health = await fetch(`${s.url}/healthz`);
    assert.equal(health.status, 200, await health.text());
  }
  const stored = await postMeta(s, 'whatsapp', whatsappText('34666000001', 'wamid.after-kill-1', 'hola'));
  assert.deepEqual([stored.status, stored.json], [200, { stored: 1, duplicates: 0 }], stored.text);
  assert.equal(sql(s, "SELECT count(*) FROM messages WHERE provider_message_id = 'wamid.after-kill-1'"), '1');
  const list = await admin.get('/api/v1/conversations');
  assert.equal(list.status, 200, list.text);
  assert.match(s.stderr, /postgres: reconnected/);
});
