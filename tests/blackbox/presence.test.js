// Presence: an agent stays online while one of their inbox tabs (an event stream) is open,
// and goes away once the last one has been closed for the grace period. Someone who never
// opened one (an API client) is left as they set themselves; logging in starts over.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli } from './lib/server.js';
import { sql } from './lib/db.js';
import { Client, adminClient, agentClient } from './lib/client.js';
import { openStream } from './lib/sse.js';
import { until } from './lib/until.js';

const GRACE = 1000;
let s, admin;
before(async () => {
  // A short heartbeat, so a closed stream is noticed at the next write to it.
  s = await startServer({ env: { CENTRALITA_PRESENCE_GRACE_MS: String(GRACE), CENTRALITA_SSE_HEARTBEAT_MS: '200' } });
  admin = await adminClient(s);
});
after(async () => s.stop());

const availability = async (client) => (await admin.get(`/api/v1/users/${client.user.id}`)).json.user.availability;
const presentAt = (client) => Number(sql(s, `SELECT coalesce(present_at, 0) FROM users WHERE id = ${client.user.id}`));

test('online while a tab is open, through tabs closing and opening; away once the last closed for the grace', async () => {
  const ana = await agentClient(s, admin, 'ana@example.com', 'Ana');
  const luis = await agentClient(s, admin, 'luis@example.com', 'Luis');
  assert.equal(await availability(ana), 'online');
  const first = await openStream(ana);
  assert.equal(first.status, 200);
  const since = await until(() => presentAt(ana), 'the server to see her stream');
  // Over two grace periods with a tab open: still online.
  await until(() => presentAt(ana) > since + 2 * GRACE, 'two grace periods with her stream open');
  assert.equal(await availability(ana), 'online');

  // A second tab, then the first closes (a reload): she is still there.
  const second = await openStream(ana);
  first.close();
  const closed = Date.now();
  await until(() => presentAt(ana) > closed + GRACE, 'a grace period after the first tab closed');
  assert.equal(await availability(ana), 'online');

  // The last tab closes: away, and nothing else about her changed.
  const before = (await admin.get(`/api/v1/users/${ana.user.id}`)).json.user;
  second.close();
  await until(async () => (await availability(ana)) === 'away', 'Ana to go away');
  const { availability: now, updated_at: updated, ...rest } = (await admin.get(`/api/v1/users/${ana.user.id}`)).json.user;
  const { availability: was, updated_at: _u, ...same } = before;
  assert.deepEqual([was, now], ['online', 'away']);
  assert.deepEqual(rest, same);
  // Luis never opened the inbox (an API client): he stays as he is; so does the admin.
  assert.equal(await availability(luis), 'online');
  assert.equal((await admin.get('/api/v1/me')).json.user.availability, 'online');

  // Logging in again is coming back: online, and the old presence does not send her away
  // before her new tab is seen.
  const again = new Client(s.url);
  again.user = await again.login('ana@example.com', 'agent-password-123');
  assert.equal(await availability(ana), 'online');
  assert.equal(presentAt(ana), 0);
  const tab = await openStream(again);
  const back = await until(() => presentAt(ana), 'the server to see her new tab');
  await until(() => presentAt(ana) > back + GRACE, 'a grace period with her new tab open');
  assert.equal(await availability(ana), 'online');
  tab.close();
  await until(async () => (await availability(ana)) === 'away', 'Ana to go away again');
});

test('the grace is checked: a value out of range is refused by name and the server does not start', () => {
  for (const value of ['500', '-1', 'soon', '86400001']) {
    const r = cli(s.dir, ['serve', '--presence-grace', value, '--listen', '127.0.0.1:0']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /presence-grace/);
  }
});
