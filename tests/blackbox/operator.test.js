// Running it for real, as an operator meets it: the secret key checked against the database
// (missing, another, readable by others, or started over on purpose), a taken port or a
// read-only data folder refused with exit status 2 before anything is written, SIGTERM
// closing the port at once and draining within a set deadline, CLI commands that never
// create a database, and /healthz telling whether the store answers and the key matches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BIN, startServer, tempDir, baseEnv, cli } from './lib/server.js';
import { sql, dump, dbOf } from './lib/db.js';
import { Client, adminClient } from './lib/client.js';
import { CHANNELS, postMeta, whatsappText } from './lib/providers.js';
import { Visitor, createWebchat } from './lib/webchat.js';
import { until } from './lib/until.js';

// A server with a WhatsApp and a web chat channel, stopped: its folder and key path.
async function stoppedWithChannels() {
  const dir = tempDir();
  const s = await startServer({ dir });
  const admin = await adminClient(s);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  const webchat = await createWebchat(admin);
  await s.stop({ keepDir: true });
  return { dir, db: s, key: join(dir, 'secret.key'), webchat };
}

// Starts serve and expects it to refuse: the error startServer throws, checked for exit 2.
async function refused(options) {
  const e = await startServer(options).then(async (s) => {
    await s.stop();
    return null;
  }, (err) => err);
  assert.ok(e instanceof Error, 'the server started');
  assert.match(e.message, /server exited: \{"code":2,"signal":null\}/);
  assert.doesNotMatch(e.message, /Sanitizer/);
  return e.message;
}

test('a missing key is not replaced: serve refuses with exit status 2 and writes nothing', async () => {
  const { dir, db, key } = await stoppedWithChannels();
  renameSync(key, `${key}.backup`);
  const before = dump(db);
  const message = await refused({ dir });
  assert.match(message, new RegExp(`the secret key file ${key} is missing`));
  assert.match(message, /restore it from its backup, or start with --new-secret-key/);
  assert.equal(existsSync(key), false, 'a new key was created');
  assert.equal(dump(db), before);
});

test('another key, or one readable by others, is refused; the right one serves', async () => {
  const { dir, db, key } = await stoppedWithChannels();
  renameSync(key, `${key}.right`);
  writeFileSync(key, randomBytes(32), { mode: 0o600 });
  const before = dump(db);
  assert.match(await refused({ dir }), /is not the key the channels' credentials were sealed with \(2 channels' credentials do not open with it\)/);
  // A database from before the fingerprint was recorded: the channels tell the key apart.
  sql(db, 'DELETE FROM secret_key');
  assert.match(await refused({ dir }), /is not the key the channels' credentials were sealed with/);
  assert.equal(dump(db), before.replace(/INSERT INTO secret_key [^\n]*\n/, ''));
  renameSync(`${key}.right`, key);
  chmodSync(key, 0o640);
  assert.match(await refused({ dir }), new RegExp(`the secret key file ${key} is open to its group or others \\(mode 0640\\): chmod 600 ${key}`));
  chmodSync(key, 0o600);
  const s = await startServer({ dir });
  // The fingerprint is recorded again, and signed webhooks are stored.
  assert.match(sql(s, 'SELECT fingerprint FROM secret_key'), /^[0-9a-f]{32}$/);
  assert.equal((await postMeta(s, 'whatsapp', whatsappText('34600777000', 'wamid.key-1', 'Hola'))).status, 200);
  await s.stop();
});

test('--new-secret-key starts over: each channel but the web chat asks for its credentials, visibly', async (t) => {
  const { dir, key, webchat } = await stoppedWithChannels();
  renameSync(key, `${key}.lost`);
  const s = await startServer({ dir, args: ['--new-secret-key'] });
  t.after(() => s.stop());
  assert.equal((statSync(key).mode & 0o777).toString(8), '600');
  assert.match(s.stderr, /channel \d+ needs its credentials again/);
  const admin = await adminClient(s);
  const channels = (await admin.get('/api/v1/channels')).json.channels;
  const wa = channels.find((c) => c.kind === 'whatsapp');
  assert.match(wa.last_error, /sealed with a secret key that was replaced: remove the channel and connect it again/);
  assert.equal(channels.find((c) => c.kind === 'webchat').last_error, null);
  // The web chat holds no secret: it was sealed again and still carries replies.
  const visitor = new Visitor(s.url, webchat.widget_key);
  await visitor.start({ name: 'Lucía' });
  assert.equal((await visitor.send('Hola')).status, 201);
  const conv = Number(sql(s, "SELECT max(id) FROM conversations"));
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/messages`, { text: 'Buenas' })).status, 201);
  await visitor.waitForReply(/^Buenas$/);
  // The new key is the recorded one: the next start needs no flag.
  await s.stop({ keepDir: true });
  const again = await startServer({ dir });
  t.after(() => again.stop());
  assert.equal((await new Client(again.url).get('/healthz')).status, 200);
});

test('/healthz says whether the store answers and the key matches; HEAD answers like GET', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  const ok = await new Client(s.url).get('/healthz');
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.json, { status: 'ok', store: 'ok', secret_key: 'ok' });
  const head = await fetch(`${s.url}/healthz`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.equal(head.headers.get('content-length'), ok.headers.get('content-length'));
  // The database now names another key (a backup of another installation restored under it).
  sql(s, "UPDATE secret_key SET fingerprint = '00000000000000000000000000000000'");
  const bad = await new Client(s.url).get('/healthz');
  assert.equal(bad.status, 503);
  assert.equal(bad.json.status, 'unavailable');
  assert.equal(bad.json.store, 'ok');
  assert.equal(bad.json.secret_key, 'mismatch');
  assert.equal(bad.json.error.code, 'unavailable');
  assert.equal((await fetch(`${s.url}/healthz`, { method: 'HEAD' })).status, 503);
});

test('a taken port is refused with exit status 2, naming it, before the first admin is made', async (t) => {
  const taken = net.createServer();
  await new Promise((r) => taken.listen(0, '127.0.0.1', r));
  t.after(() => taken.close());
  const { port } = taken.address();
  const dir = tempDir();
  const message = await refused({ dir, port });
  assert.match(message, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: Address already in use \\(another program has that port`));
  assert.doesNotMatch(message, /First start|password/);
  assert.equal(sql(dbOf(dir), 'SELECT count(*) FROM users'), '0');
});

test('a read-only data folder is refused with exit status 2, naming the folder and the fix', async () => {
  const dir = tempDir();
  // SQLite's folder on either run of the suite: a PostgreSQL database has no folder here.
  const env = { CENTRALITA_DB: `sqlite:${join(dir, 'centralita.db')}` };
  const s = await startServer({ dir, env });
  await s.stop({ keepDir: true });
  // The folder mounted read-only for the server alone, as ProtectSystem=strict would.
  const readOnly = ['unshare', '--mount', '--map-root-user', 'sh', '-c',
    'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" "$0" && exec "$@"', dir];
  const message = await refused({ dir, env, wrap: readOnly });
  assert.match(message, new RegExp(`cannot write in ${dir}, the database's folder \\(Read-only file system\\)`));
  assert.match(message, new RegExp(`give its user write access \\(chown or chmod, or ReadWritePaths=${dir} under systemd\\)`));
});

// A request the server has begun (its 100 Continue came) whose body has not been sent yet.
async function requestInFlight(server) {
  const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
  const conn = { socket, received: '', ended: false };
  socket.setEncoding('latin1');
  socket.on('data', (d) => (conn.received += d));
  socket.on('close', () => (conn.ended = true));
  socket.on('error', () => (conn.ended = true));
  socket.write('POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
    'Expect: 100-continue\r\nContent-Length: 2\r\n\r\n');
  await until(() => conn.received.includes('100 Continue'), 'the server to begin the request');
  return conn;
}

function connects(server) {
  return new Promise((resolve) => {
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

test('on SIGTERM the port closes at once while requests in flight finish', async () => {
  const s = await startServer({ args: ['--drain-timeout', '60000'] });
  const conn = await requestInFlight(s);
  s.child.kill('SIGTERM');
  await until(async () => !(await connects(s)), 'new connections to be refused');
  assert.equal(s.exit, null, 'the server left before its request finished');
  conn.socket.write('{}');
  await until(() => /\r\n\r\n\{/.test(conn.received.slice(conn.received.indexOf('100 Continue') + 12)), 'the answer');
  assert.match(conn.received, /HTTP\/1\.1 400 /);
  await s.stop();
  assert.match(s.stderr, /no longer accepting; finishing requests in flight \(at most 60000 ms\)/);
});

test('the drain deadline is a setting: a request that never finishes is cut', async () => {
  const s = await startServer({ env: { CENTRALITA_DRAIN_TIMEOUT_MS: '300' } });
  const conn = await requestInFlight(s);
  s.child.kill('SIGTERM');
  await s.stop();
  assert.match(s.stderr, /\(at most 300 ms\)/);
  await until(() => conn.ended, 'the unfinished request to be cut');
});

test('CLI commands other than serve and migrate never create a database, and name the one they looked for', () => {
  const dir = tempDir();
  const db = join(dir, 'nothing-here.db');
  const r = cli(dir, ['team', 'list'], { CENTRALITA_DB: `sqlite:${db}` });
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`no database at ${db} \\(from --db, CENTRALITA_DB or the default sqlite:\\./var/centralita\\.db\\): give --db, or create it with 'centralita migrate'`));
  assert.equal(existsSync(db), false);
  // Run from a folder with no flag nor environment: the default, relative to it.
  const env = baseEnv(dir);
  delete env.CENTRALITA_DB;
  const here = spawnSync(BIN, ['user', 'list'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(here.status, 2);
  assert.match(here.stderr, /no database at \.\/var\/centralita\.db/);
  assert.equal(existsSync(join(dir, 'var')), false);
  // migrate creates it.
  assert.equal(cli(dir, ['migrate'], { CENTRALITA_DB: `sqlite:${db}` }).status, 0);
  assert.equal(cli(dir, ['team', 'list'], { CENTRALITA_DB: `sqlite:${db}` }).status, 0);
});
