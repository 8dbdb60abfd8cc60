// centralita copy: a whole installation moved from SQLite to PostgreSQL. Run by make
// blackbox-pg (a SQLite run has no PostgreSQL to copy to, and shows the tests skipped with that
// reason). An installation with channels, teams, conversations, messages, a customer's photo,
// a sent reply, notes, tags and events is copied into a new database; every table's rows are
// the source's, a server started on the copy (with the same files folder and key) serves the
// same conversations, messages and bytes, and the ids it gives next collide with nothing. Each
// refusal (a running server, a target with data, another schema version) changes nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { cli, startServer, tempDir } from './lib/server.js';
import { PG, databaseAt, databaseOf, dbOf, dropDatabaseOf, dump, sql } from './lib/db.js';
import { Client, adminClient, agentClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { FIXTURES, connectAll, customerSends, customerWrites } from './lib/providers.js';
import { until } from './lib/until.js';

const only = { skip: !PG && 'PostgreSQL only (make blackbox-pg): the copy writes a PostgreSQL database' };
const PHOTO = { bytes: readFileSync(join(FIXTURES, 'media/photo.jpg')), mimeType: 'image/jpeg', type: 'image' };

let fake, srcDir, source, seen;
const scratch = []; // data folders (and their databases) to remove at the end

// The source: a SQLite installation in srcDir, whatever back end the run is on.
const sqliteOf = (dir) => ({ db: join(dir, 'centralita.db'), backend: 'sqlite' });
const copyArgs = (from, to) => ['copy', '--from', `sqlite:${from.db}`, '--to', to.db];
function newDir() {
  const dir = tempDir();
  scratch.push(dir);
  return dir;
}

// What an admin and an agent see through the API: conversations, their messages and notes,
// and the photo's bytes.
async function whatIsSeen(server, admin, agent) {
  const list = (await admin.get('/api/v1/conversations?limit=100')).json.conversations;
  const out = { conversations: list.map((c) => ({ id: c.id, team: c.team_id, assignee: c.assignee_id, status: c.status })) };
  out.messages = {};
  out.notes = {};
  for (const c of list) {
    out.messages[c.id] = (await admin.get(`/api/v1/conversations/${c.id}/messages?limit=50`)).json.messages
      .map((m) => ({ id: m.id, direction: m.direction, text: m.text, status: m.status, media: m.media?.sha256 ?? null }));
    out.notes[c.id] = (await admin.get(`/api/v1/conversations/${c.id}/notes`)).json.notes.map((n) => n.text);
  }
  out.agentSees = (await agent.get('/api/v1/conversations')).json.conversations.map((c) => c.id).sort();
  const photo = Object.values(out.messages).flat().find((m) => m.media);
  const res = await fetch(`${server.url}/api/v1/messages/${photo.id}/media`, { headers: { cookie: admin.cookie } });
  assert.equal(res.status, 200);
  out.photo = Buffer.from(await res.arrayBuffer()).toString('base64');
  return out;
}

before(async () => {
  if (!PG) return;
  fake = await startFakeProvider();
  srcDir = newDir();
  const src = await startServer({ dir: srcDir, env: { ...fake.env, CENTRALITA_DB: `sqlite:${join(srcDir, 'centralita.db')}` } });
  // The helpers read a server's database through .db: this one's is the SQLite file.
  source = Object.assign(src, sqliteOf(srcDir));
  const admin = await adminClient(src);
  await connectAll(admin);
  const ventas = (await admin.post('/api/v1/teams', { name: 'Ventas' })).json.team.id;
  const ana = await agentClient(src, admin, 'ana@example.com', 'Ana');
  assert.equal((await admin.post(`/api/v1/teams/${ventas}/members`, { user_id: ana.user.id })).status, 201);
  const first = await customerWrites(src, 'whatsapp', '34600000001', 'hola, ¿tenéis envíos a Canarias?', { name: 'Lucía' });
  await customerWrites(src, 'messenger', '5550001', 'Buenas');
  const file = fake.addMedia('whatsapp', PHOTO);
  const { conversation } = await customerSends(src, fake, 'whatsapp', file.ref, PHOTO);
  assert.equal((await admin.post(`/api/v1/conversations/${first}/transfer`, { team_id: ventas })).status, 200);
  const reply = await ana.post(`/api/v1/conversations/${first}/messages`, { text: 'Sí, en 48 horas' });
  assert.equal(reply.status, 201, reply.text);
  assert.equal((await admin.post(`/api/v1/conversations/${first}/notes`, { text: 'Cliente habitual\nllamar antes de las 10' })).status, 201);
  assert.equal((await admin.put(`/api/v1/conversations/${conversation}/tags/vip`)).status, 200);
  await until(() => sql(source, "SELECT count(*) FROM media WHERE state = 'ready'") === '1'
    && sql(source, "SELECT status FROM messages WHERE text = 'Sí, en 48 horas'") === 'sent', 'the photo kept and the reply sent');
  seen = await whatIsSeen(src, admin, ana);
});

after(async () => {
  await source?.stop({ keepDir: true });
  await fake?.stop();
  for (const dir of scratch) {
    dropDatabaseOf(dir);
    rmSync(dir, { recursive: true, force: true });
  }
});

// A database of its own on the cluster, for a target; blank (no tables) until told otherwise.
function target() {
  const dir = newDir();
  databaseOf(dir);
  return { dir, ...dbOf(dir) };
}
const tablesOf = (db) => sql(db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'");

test('a source a server is using is refused, and nothing is written', only, () => {
  const to = target();
  const before = dump(source);
  const r = cli(srcDir, copyArgs(source, to));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /in use by a running server: stop it first/);
  assert.equal(tablesOf(to), '0');
  assert.equal(dump(source), before);
});

test('a server does not start on a database being copied', only, async () => {
  await source.stop({ keepDir: true });
  // flock(1) takes the lock a copy holds while it runs (and becomes the sleep that keeps it).
  const holder = spawn('flock', ['--exclusive', '--no-fork', source.db, 'sleep', '60']);
  const gone = new Promise((resolve) => holder.on('exit', resolve));
  try {
    await until(() => spawnSync('flock', ['--nonblock', '--shared', source.db, 'true']).status !== 0, 'the lock to be held');
    const r = cli(srcDir, ['serve', '--listen', '127.0.0.1:0'], { CENTRALITA_DB: `sqlite:${source.db}` });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /is being copied \(centralita copy\)/);
  } finally {
    holder.kill();
    await gone;
  }
});

test('a target that holds data is refused, and nothing is written', only, async () => {
  const dir = newDir();
  const used = await startServer({ dir });
  await used.stop({ keepDir: true });
  const to = { dir, ...dbOf(dir) };
  const before = dump(to);
  const r = cli(srcDir, copyArgs(source, to));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /the target is not empty \(users has rows\)/);
  assert.equal(dump(to), before);
});

test('a source at another schema version is refused, older or newer, and nothing is written', only, () => {
  const older = databaseAt(newDir(), 34, { backend: 'sqlite' });
  const to = target();
  let r = cli(srcDir, copyArgs(older, to));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /the source is at schema version 34, this binary's is \d+: migrate it first/);
  assert.equal(tablesOf(to), '0');

  const newer = sqliteOf(newDir());
  copyFileSync(source.db, newer.db);
  sql(newer, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', 0)");
  const before = dump(newer);
  r = cli(srcDir, copyArgs(newer, to));
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /the source is at schema version 9999.*copy it with a newer centralita/);
  assert.equal(tablesOf(to), '0');
  assert.equal(dump(newer), before);
});

test('bad arguments are usage errors', only, () => {
  const to = target();
  for (const [args, message] of [
    [['copy', '--to', to.db], /--from and --to are both required/],
    [['copy', '--from', `sqlite:${source.db}`], /--from and --to are both required/],
    [['copy', '--from', source.db, '--to', to.db], /--from must be sqlite:PATH/],
    [['copy', '--from', `sqlite:${source.db}`, '--to', `sqlite:${source.db}`], /--to must be PostgreSQL/],
  ]) {
    const r = cli(srcDir, args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, message);
  }
  const r = cli(srcDir, ['copy', '--from', `sqlite:${join(srcDir, 'nothing.db')}`, '--to', to.db]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /no database at/);
  assert.equal(tablesOf(to), '0');
});

test('the copy holds every row; a server on it serves the same inbox, and new ids collide with nothing', only, async () => {
  const to = target();
  const r = cli(srcDir, copyArgs(source, to));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^ {2}messages +${sql(source, 'SELECT count(*) FROM messages')}$`, 'm'));
  assert.match(r.stdout, new RegExp(`the files \\(1 named by the database\\) stay in ${join(srcDir, 'files')}`));

  // Every table, row for row and value for value (NULLs, JSON text, line breaks, accents).
  const tables = sql(to, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations' ORDER BY 1").split('\n');
  assert.ok(tables.length > 30, tables.join());
  for (const table of tables) {
    const columns = sql(to, `SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = '${table}'`);
    const n = columns.split(', ').length;
    const select = `SELECT ${columns} FROM ${table} ORDER BY ${Array.from({ length: n }, (_, i) => i + 1).join(', ')}`;
    assert.equal(sql(to, select), sql(source, select), table);
  }
  assert.equal(sql(to, "SELECT count(*) FROM media WHERE state = 'ready'"), '1');

  // A server on the copy, given the source's files folder and key.
  const copy = await startServer({ dir: to.dir, env: { ...fake.env, CENTRALITA_FILES_DIR: join(srcDir, 'files'), CENTRALITA_SECRET_KEY_FILE: join(srcDir, 'secret.key') } });
  try {
    const admin = await adminClient(copy);
    const ana = new Client(copy.url);
    await ana.login('ana@example.com', 'agent-password-123');
    assert.deepEqual(await whatIsSeen(copy, admin, ana), seen);

    // New rows get ids past every copied one, in every table the next steps write.
    const highest = (table) => Number(sql(source, `SELECT coalesce(max(id), 0) FROM ${table}`));
    const before = Object.fromEntries(['conversations', 'messages', 'events', 'contacts', 'teams', 'users', 'conversation_notes'].map((t) => [t, highest(t)]));
    const events = Number(sql(source, "SELECT seq FROM sqlite_sequence WHERE name = 'events'"));
    const conversation = await customerWrites(copy, 'whatsapp', '34600000999', 'nuevo cliente');
    assert.ok(conversation > before.conversations, `${conversation} > ${before.conversations}`);
    assert.equal((await admin.post('/api/v1/teams', { name: 'Soporte' })).status, 201);
    assert.equal((await admin.post('/api/v1/users', { email: 'bruno@example.com', name: 'Bruno', role: 'agent', password: 'agent-password-123' })).status, 201);
    assert.equal((await admin.post(`/api/v1/conversations/${conversation}/notes`, { text: 'nota' })).status, 201);
    const sent = await admin.post(`/api/v1/conversations/${conversation}/messages`, { text: 'Bienvenido' });
    assert.equal(sent.status, 201, sent.text);
    await until(() => sql(copy, "SELECT status FROM messages WHERE text = 'Bienvenido'") === 'sent', 'the reply sent from the copy');
    for (const [table, was] of Object.entries(before)) {
      const ids = sql(copy, `SELECT min(id) FROM ${table} WHERE id > ${was}`);
      assert.ok(Number(ids) === was + 1, `${table}: the first new id is ${ids}, after ${was}`);
    }
    assert.ok(Number(sql(copy, `SELECT min(id) FROM events WHERE id > ${before.events}`)) > events, 'events after every id SQLite gave');
  } finally {
    await copy.stop({ keepDir: true });
  }
});
