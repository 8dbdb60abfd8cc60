// The crash test (make crashtest; make test runs a short one). Run by tests/crash/run.sh inside
// a mount namespace, so it may mount a tmpfs. Prints the counts; exits non-zero on a violation.
//
// 1. kill -9: signed WhatsApp webhooks arrive without pause from new and returning customers
//    (routing on: first messages queue a welcome, answers an assignment message) while an agent
//    queues replies through the API; KILLS times, at a random moment, the server is killed with
//    SIGKILL and started again on the same database. Webhooks not answered 200 are sent again
//    later, as Meta does. Then every webhook is retried until answered, the outbox drains, and
//    the database and the fake provider's log must show: every webhook stored exactly once, every
//    reply answered 201 stored, every queued message delivered, and a message delivered twice only
//    in the window docs/ARCHITECTURE.md documents (accepted by the provider in the send-timeout
//    before a kill, sent again after the restart).
// 2. disk full: the database on a small tmpfs, filled up while welcomes are being sent: webhooks
//    are answered 503, /healthz still answers, the server stays up and what it acknowledged is
//    stored; once space returns the refused webhooks are accepted and stored, once, and every
//    queued message is delivered (twice only if accepted while its record could not be written).
//
// On PostgreSQL (under scripts/with-postgres.sh, make crashtest's second run) phase 1 runs two
// servers on one database, the load spread over both, and every second kill is of PostgreSQL
// itself (the postmaster and every process it started, SIGKILL) instead of a server: the
// servers stay up, answer 503 while it is down, and after its crash recovery nothing they
// acknowledged is missing. Phase 2 does not apply: the disk is the database server's.
//
// Usage: node tests/crash/crash.mjs KILLS SECONDS_BETWEEN_KILLS (CENTRALITA_BIN names the binary)
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startServer, tempDir } from '../blackbox/lib/server.js';
import { sql, PG } from '../blackbox/lib/db.js';
import { adminClient } from '../blackbox/lib/client.js';
import { startFakeProvider } from '../blackbox/lib/fake_provider.js';
import { CHANNELS, postMeta, whatsappText } from '../blackbox/lib/providers.js';
import { until } from '../blackbox/lib/until.js';

const here = dirname(fileURLToPath(import.meta.url));
const KILLS = Number(process.argv[2] ?? 5);
const SECONDS = Number(process.argv[3] ?? 6);
const SEND_TIMEOUT_S = 2; // the lease is this + the busy timeout (5 s): how long a dead worker's send stays taken
const WEBHOOK_WORKERS = 6;
const REPLY_WORKERS = 2;
const SERVERS = PG ? 2 : 1;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const problems = [];
function check(ok, what) {
  if (!ok) problems.push(what);
  return ok;
}
function say(text) {
  console.log(`crashtest: ${text}`);
}

// Webhooks as the provider sends them: each keeps being posted until answered 200.
class Webhooks {
  constructor(prefix) {
    this.prefix = prefix;
    this.seq = 0;
    this.contacts = 0;
    this.unanswered = []; // bodies to post again
    this.acked = new Set(); // wamids answered 200
    this.posted = new Set(); // every wamid posted at least once
    this.statuses = {};
  }

  next() {
    if (this.unanswered.length > 0 && Math.random() < 0.5) return this.unanswered.shift();
    const isNew = this.contacts === 0 || Math.random() < 0.4;
    const contact = isNew ? ++this.contacts : 1 + Math.floor(Math.random() * this.contacts);
    const from = String(34600000000 + contact);
    const text = isNew ? 'Hola' : ['1', '2', 'gracias', '¿seguís ahí?'][Math.floor(Math.random() * 4)];
    const wamid = `wamid.${this.prefix}.${++this.seq}`;
    this.posted.add(wamid);
    return { wamid, body: whatsappText(from, wamid, text, `Cliente ${contact}`) };
  }

  // Posts one webhook; returns the answer's status and error code.
  async post(url, w) {
    let status = 'no answer';
    let code = null;
    try {
      const r = await postMeta({ url }, 'whatsapp', w.body);
      [status, code] = [r.status, r.json?.error?.code ?? null];
    } catch {
      // connection refused or reset: the server is down
    }
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status === 200) this.acked.add(w.wamid);
    else this.unanswered.push(w);
    return { status, code };
  }
}

// A WhatsApp channel with routing on: a first message queues a welcome, "1" or "2" an
// assignment message.
async function setUp(admin) {
  const routing = JSON.parse(readFileSync(join(here, '../../bench/routing.json'), 'utf8'));
  const answers = [
    await admin.post('/api/v1/channels', CHANNELS.whatsapp),
    await admin.post('/api/v1/teams', { name: 'Soporte' }),
    await admin.post('/api/v1/teams', { name: 'Ventas' }),
    await admin.put('/api/v1/routing', routing),
  ];
  for (const r of answers) if (r.status >= 300) throw new Error(`setup failed: ${r.status} ${r.text}`);
}

// Every webhook posted (and so, by the end, answered 200) stored exactly once.
function checkInbound(server, hooks, what) {
  const stored = sql(server, "SELECT provider_message_id FROM messages WHERE direction = 'in'").split('\n').filter(Boolean);
  const storedSet = new Set(stored);
  const missing = [...hooks.posted].filter((w) => !storedSet.has(w));
  check(missing.length === 0, `${what}: ${missing.length} webhooks answered 200 but not stored: ${missing.slice(0, 5).join(', ')}`);
  check(stored.length === storedSet.size, `${what}: ${stored.length - storedSet.size} webhooks stored twice`);
  check(stored.every((w) => hooks.posted.has(w)), `${what}: a stored message was never posted`);
  return `webhooks posted ${hooks.posted.size}, answered 200 ${hooks.acked.size}, stored ${stored.length} ` +
    `(distinct ${storedSet.size}); answers ${JSON.stringify(hooks.statuses)}`;
}

// Every message the server queued was delivered, and one delivered more often than queued only
// when the fake took it in during one of windows ([from, to] in ms): the window where the
// provider accepted a send the server could not record (docs/ARCHITECTURE.md). Returns the
// outbound messages and a line of counts.
function checkOutbound(server, fake, windows, what) {
  const rows = sql(server, `SELECT i.external_id, m.status, m.provider_message_id, m.sender, m.text FROM messages m
    JOIN conversations v ON v.id = m.conversation_id JOIN contact_identities i ON i.id = v.identity_id
    WHERE m.direction = 'out' ORDER BY m.id`);
  const out = rows.split('\n').filter(Boolean).map((line) => {
    const [to, status, providerId, sender, ...text] = line.split('|');
    return { to, status, providerId, sender, text: text.join('|') };
  });
  const notSent = out.filter((m) => m.status !== 'sent');
  check(notSent.length === 0, `${what}: ${notSent.length} queued messages not sent: ${JSON.stringify(notSent.slice(0, 3))}`);
  // Matched by recipient and text: agent replies are unique, routing texts counted as a multiset.
  const group = (list, key) => list.reduce((m, x) => m.set(key(x), [...(m.get(key(x)) ?? []), x]), new Map());
  const received = group(fake.sent('whatsapp'), (r) => `${r.to}|${r.text}`);
  const queued = group(out, (m) => `${m.to}|${m.text}`);
  const inWindow = (r) => windows.some(([from, to]) => r.at >= from && r.at <= to);
  let duplicates = 0;
  let outsideWindow = 0;
  for (const [key, msgs] of queued) {
    const got = received.get(key) ?? [];
    check(got.length >= msgs.length, `${what}: ${key}: queued ${msgs.length}, the provider got ${got.length}`);
    const ids = new Set(got.map((r) => r.messageId));
    check(msgs.every((m) => ids.has(m.providerId)), `${what}: ${key}: the stored provider id is not one the provider gave`);
    const extra = got.length - msgs.length;
    duplicates += Math.max(extra, 0);
    if (extra > 0 && got.filter(inWindow).length < extra) outsideWindow += extra;
  }
  for (const key of received.keys()) check(queued.has(key), `${what}: the provider got ${key}, which was never queued`);
  check(outsideWindow === 0, `${what}: ${outsideWindow} messages delivered twice outside the documented window`);
  const sends = [...received.values()].reduce((n, l) => n + l.length, 0);
  return { out, line: `messages queued ${out.length} (welcome/assignment ${out.filter((m) => m.sender === 'routing').length}, ` +
    `agent ${out.filter((m) => m.sender === 'agent').length}), sent ${out.length - notSent.length}; provider received ${sends}, ` +
    `duplicates ${duplicates} (all in the window: ${outsideWindow === 0})` };
}

// The processes of the cluster of scripts/with-postgres.sh: the postmaster and its children.
function postgresProcesses() {
  const data = process.env.CENTRALITA_TEST_PG_DATA;
  const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const parentOf = (pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      return null; // gone meanwhile
    }
  };
  return [postmaster, ...readdirSync('/proc').filter((p) => /^\d+$/.test(p) && parentOf(p) === postmaster).map(Number)];
}

// Gone, or dead and waiting for a parent to collect it (this sandbox's init does not).
function isDead(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

// Kills PostgreSQL as a crash would (SIGKILL to each of its processes: no shutdown, no
// checkpoint) and starts it again, which recovers from its write-ahead log. Its lock files
// name the dead postmaster: removed, as an operator does once it is gone for certain.
async function crashPostgres() {
  const pids = postgresProcesses();
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  await until(() => pids.every(isDead), 'PostgreSQL\'s processes to die', 10000);
  const data = process.env.CENTRALITA_TEST_PG_DATA;
  const [, socketDir] = PG.match(/host=(\S+)/);
  const [, port] = PG.match(/port=(\d+)/);
  for (const lock of [join(data, 'postmaster.pid'), join(socketDir, `.s.PGSQL.${port}.lock`)])
    if (existsSync(lock)) unlinkSync(lock);
  const user = process.env.CENTRALITA_TEST_PG_USER;
  const ctl = [process.env.CENTRALITA_TEST_PG_CTL, '-D', data, '-l', join(dirname(data), 'server.log'), '-w', '-t', '60', 'restart'];
  const command = process.getuid() === 0 && user !== 'root' ? ['runuser', '-u', user, '--', ...ctl] : ctl;
  const r = spawnSync(command[0], command.slice(1), { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`cannot start PostgreSQL again (${r.status}): see ${join(dirname(data), 'server.log')}`);
}

// Phase 1: kill -9 under load.
async function killTest() {
  const fake = await startFakeProvider();
  const dir = tempDir();
  const servers = [];
  try {
    await killAndCheck(fake, dir, servers);
  } finally {
    for (const server of servers) if (!server.exit) server.child.kill('SIGKILL');
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Runs the load and the kills on SERVERS servers (servers: each one running, as they start).
async function killAndCheck(fake, dir, servers) {
  const ports = await Promise.all(Array.from({ length: SERVERS }, freePort));
  const env = { ...fake.env, CENTRALITA_SEND_TIMEOUT: String(SEND_TIMEOUT_S) };
  for (const [i, port] of ports.entries()) servers[i] = await startServer({ dir, env, port });
  const urls = servers.map((s) => s.url);
  const admins = await Promise.all(servers.map((s) => adminClient(s)));
  await setUp(admins[0]);
  const pick = (list) => list[Math.floor(Math.random() * list.length)];

  const hooks = new Webhooks(`crash${process.pid}`);
  const replies = { seq: 0, answered: new Set(), statuses: {} };
  let running = true;
  let serverUp = true;
  const webhookWorker = async () => {
    while (running) {
      if ((await hooks.post(pick(urls), hooks.next())).status !== 200) await sleep(serverUp ? 5 : 50);
    }
  };
  const replyWorker = async () => {
    while (running) {
      let status = 'no answer';
      const text = `respuesta ${++replies.seq}`;
      const admin = pick(admins);
      try {
        const list = await admin.get('/api/v1/conversations?view=all&limit=100');
        const items = list.json?.conversations ?? [];
        if (items.length > 0) {
          const conv = items[Math.floor(Math.random() * items.length)];
          const r = await admin.post(`/api/v1/conversations/${conv.id}/messages`, { text });
          status = r.status;
          if (status === 201) replies.answered.add(text);
        } else {
          status = 'no conversation yet';
        }
      } catch {
        // the server is down
      }
      replies.statuses[status] = (replies.statuses[status] ?? 0) + 1;
      await sleep(status === 201 ? 20 : 50);
    }
  };
  const workers = [
    ...Array.from({ length: WEBHOOK_WORKERS }, webhookWorker),
    ...Array.from({ length: REPLY_WORKERS }, replyWorker),
  ];

  const kills = [];
  let postgresKills = 0;
  for (let k = 0; k < KILLS; k++) {
    await sleep(SECONDS * 1000 * (0.5 + Math.random()));
    serverUp = false;
    const at = Date.now();
    if (PG && k % 2 === 1) {
      await crashPostgres();
      postgresKills++;
      check(servers.every((s) => !s.exit), `kill ${k + 1}: a server died with PostgreSQL: ${JSON.stringify(servers.map((s) => s.exit))}`);
      kills.push({ at, restart: Date.now() });
    } else {
      const i = Math.floor(Math.random() * SERVERS);
      servers[i].child.kill('SIGKILL');
      const { signal } = await servers[i].exited;
      check(signal === 'SIGKILL', `kill ${k + 1}: the server ended with ${JSON.stringify(servers[i].exit)}, not SIGKILL`);
      // Sends the fake takes in before the next server starts left the killed one.
      kills.push({ at, restart: Date.now() });
      servers[i] = await startServer({ dir, env, port: ports[i] });
    }
    serverUp = true;
    say(`kill ${k + 1}/${KILLS} (${PG && k % 2 === 1 ? 'PostgreSQL' : 'a server'}): ${hooks.acked.size} webhooks acknowledged, ` +
      `${fake.sent('whatsapp').length} sends so far`);
  }
  await sleep(SECONDS * 1000);
  running = false;
  await Promise.all(workers);
  // Meta keeps retrying: every webhook ends up answered.
  while (hooks.unanswered.length > 0) {
    if ((await hooks.post(pick(urls), hooks.unanswered.shift())).status !== 200) await sleep(20);
  }
  const server = servers[0];
  await until(() => sql(server, 'SELECT count(*) FROM outbox') === '0', 'the outbox to drain', 60000);
  for (const s of servers) await s.stop({ keepDir: true });
  // While PostgreSQL is down the servers answer 503 (the provider and the agent try again).
  const down = postgresKills > 0 ? ['503'] : [];
  const unexpected = (statuses, allowed) => Object.keys(statuses).filter((k) => !allowed.includes(k));
  check(unexpected(hooks.statuses, ['200', 'no answer', ...down]).length === 0, `webhooks answered ${JSON.stringify(hooks.statuses)}`);
  check(unexpected(replies.statuses, ['201', 'no answer', 'no conversation yet', ...down]).length === 0,
    `replies answered ${JSON.stringify(replies.statuses)}`);

  // A send the fake took in from the send timeout before a kill until the restart may come again.
  const windowMs = (SEND_TIMEOUT_S + 1) * 1000;
  const what = `kill -9 x${KILLS}${postgresKills ? ` (PostgreSQL ${postgresKills}) on ${SERVERS} servers` : ''}`;
  say(`${what}: ${checkInbound(server, hooks, 'kill -9')}`);
  const { out, line } = checkOutbound(server, fake, kills.map((k) => [k.at - windowMs, k.restart]), 'kill -9');
  const outTexts = new Set(out.map((m) => m.text));
  const lostReplies = [...replies.answered].filter((t) => !outTexts.has(t));
  check(lostReplies.length === 0, `${lostReplies.length} replies answered 201 but not stored`);
  say(`replies answered 201 ${replies.answered.size} (answers ${JSON.stringify(replies.statuses)}); ${line}`);
  check(hooks.acked.size > 0 && out.length > 0 && replies.answered.size > 0, 'the load did nothing');
}

// Phase 2: the disk fills up while webhooks come in and welcomes are being sent.
async function diskFullTest() {
  const dir = mkdtempSync(join(tmpdir(), 'centralita-full-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { encoding: 'utf8' });
  if (mount.status !== 0) throw new Error(`cannot mount a tmpfs (run through tests/crash/run.sh): ${mount.stderr}`);
  const fake = await startFakeProvider();
  let server = null;
  try {
    server = await startServer({ dir, env: { ...fake.env, CENTRALITA_SEND_TIMEOUT: String(SEND_TIMEOUT_S) } });
    await setUp(await adminClient(server));
    const hooks = new Webhooks(`full${process.pid}`);
    fake.setLatency(300); // so that sends are in flight when the disk fills
    for (let i = 0; i < 20; i++) check((await hooks.post(server.url, hooks.next())).status === 200, 'a webhook before the disk filled was refused');

    const filler = join(dir, 'filler');
    const fd = openSync(filler, 'w');
    const block = Buffer.alloc(64 * 1024);
    try {
      for (;;) writeSync(fd, block);
    } catch (e) {
      if (e.code !== 'ENOSPC') throw e;
    }
    closeSync(fd);
    const fullAt = Date.now();
    const before = hooks.acked.size;
    let refused = 0;
    for (let i = 0; i < 2000 && refused < 20; i++) {
      const { status, code } = await hooks.post(server.url, hooks.next());
      check(status === 200 || (status === 503 && code === 'unavailable'), `a webhook on a full disk was answered ${status} ${code}`);
      if (status === 503) refused++;
    }
    check(refused > 0, 'no webhook was refused with 503 on a full disk');
    // The sends in flight come back and cannot be recorded.
    await until(() => !fake.requests.some((r) => r.outcome === 'pending'), 'the sends in flight to be answered');
    const health = await fetch(`${server.url}/healthz`).then((h) => h.status, () => 'no answer');
    check(health === 200, `/healthz answered ${health} on a full disk`);
    check(server.exit === null, `the server died on a full disk: ${JSON.stringify(server.exit)}\n${server.stderr.slice(-2000)}`);
    const acceptedWhileFull = hooks.acked.size - before;

    // Space returns: the refused webhooks come again and are taken, new ones too, and the
    // outbox delivers what it could not record.
    unlinkSync(filler);
    const freedAt = Date.now();
    fake.setLatency(0);
    const retried = hooks.unanswered.length;
    while (hooks.unanswered.length > 0) {
      await until(async () => (await hooks.post(server.url, hooks.unanswered.shift())).status === 200,
        'a refused webhook to be accepted once space returned', 10000);
    }
    for (let i = 0; i < 20; i++) check((await hooks.post(server.url, hooks.next())).status === 200, 'a new webhook after space returned was refused');
    await until(() => sql(server, 'SELECT count(*) FROM outbox') === '0', 'the outbox to drain after space returned', 60000);
    await server.stop({ keepDir: true });
    say(`disk full: answered 200 while full ${acceptedWhileFull}, 503 ${refused}, /healthz ${health}; ` +
        `${retried} refused webhooks retried and taken once space returned`);
    say(`disk full: ${checkInbound(server, hooks, 'disk full')}`);
    const windowMs = (SEND_TIMEOUT_S + 1) * 1000;
    say(`disk full: ${checkOutbound(server, fake, [[fullAt - windowMs, freedAt]], 'disk full').line}`);
  } finally {
    if (server && !server.exit) server.child.kill('SIGKILL');
    await fake.stop();
    spawnSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = Date.now();
await killTest();
if (PG) say('disk full: not on PostgreSQL (the database server\'s disk is its own to handle)');
else await diskFullTest();
say(`${problems.length === 0 ? 'PASS' : 'FAIL'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const p of problems) console.error(`crashtest: violation: ${p}`);
process.exit(problems.length === 0 ? 0 : 1);
