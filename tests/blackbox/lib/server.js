// Starts a real centralita binary on a free port with its own temporary data folder,
// and talks to it over HTTP. Every test file gets fresh servers; nothing is shared.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import assert from 'node:assert/strict';
import net from 'node:net';
import { until } from './until.js';

export const BIN = process.env.CENTRALITA_BIN;
if (!BIN) throw new Error('CENTRALITA_BIN must name the centralita binary under test');

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-123';

// Sanitizer reports make the process exit non-zero, which stop() turns into a failure.
const SANITIZERS = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=66',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};

// With CENTRALITA_TEST_PG (scripts/with-postgres.sh; make blackbox-pg) each data folder gets a
// fresh PostgreSQL database of its own on that cluster instead of a SQLite file.
export const PG = process.env.CENTRALITA_TEST_PG;
const databases = new Map(); // data folder -> database name

function psql(database, statement) {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', `${PG} dbname=${database}`, '-c', statement], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}
const psqlAdmin = (statement) => psql('postgres', statement);
const psqlIn = (dir, statement) => psql(databases.get(dir), statement);

// SQLite's group_concat, for the tests' own statements (the server never uses it).
const TEST_FUNCTIONS = `
  CREATE FUNCTION group_concat_step(acc text, v anyelement, sep text) RETURNS text LANGUAGE sql
    IMMUTABLE AS $$SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text
    ELSE acc || sep || v::text END$$;
  CREATE FUNCTION group_concat_step(acc text, v anyelement) RETURNS text LANGUAGE sql
    IMMUTABLE AS $$SELECT group_concat_step(acc, v, ',')$$;
  CREATE AGGREGATE group_concat(anyelement, text) (SFUNC = group_concat_step, STYPE = text);
  CREATE AGGREGATE group_concat(anyelement) (SFUNC = group_concat_step, STYPE = text);`;

// The CENTRALITA_DB of the data folder dir.
export function databaseOf(dir) {
  if (!PG) return `sqlite:${join(dir, 'centralita.db')}`;
  if (!databases.has(dir)) {
    const name = `t_${basename(dir).replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
    psqlAdmin(`CREATE DATABASE ${name}`);
    databases.set(dir, name);
    psqlIn(dir, TEST_FUNCTIONS);
  }
  return `${PG} dbname=${databases.get(dir)}`;
}

function dropDatabaseOf(dir) {
  if (!databases.has(dir)) return;
  psqlAdmin(`DROP DATABASE ${databases.get(dir)} WITH (FORCE)`);
  databases.delete(dir);
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), 'centralita-'));
}

export function baseEnv(dir, extra = {}) {
  const env = { ...process.env, ...SANITIZERS };
  for (const k of Object.keys(env)) if (k.startsWith('CENTRALITA_') && k !== 'CENTRALITA_BIN') delete env[k];
  return {
    ...env,
    CENTRALITA_DB: databaseOf(dir),
    CENTRALITA_SECRET_KEY_FILE: join(dir, 'secret.key'),
    CENTRALITA_THREADS: '2',
    ...extra,
  };
}

// Runs a CLI sub-command to completion.
// input, when given, is what the command reads on standard input.
export function cli(dir, args, extraEnv = {}, { input } = {}) {
  const r = spawnSync(BIN, args, { env: baseEnv(dir, extraEnv), encoding: 'utf8', input });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A port that was free a moment ago, for a server whose public URL must be known up front.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// wrap is a command that runs the binary (['prlimit', '--nofile=256:'] starts it with a lower
// descriptor limit); it must exec it, so the child's pid stays the server's.
export async function startServer({ dir = tempDir(), env = {}, args = [], port = 0, wrap = [] } = {}) {
  const command = [...wrap, BIN, 'serve', '--listen', `127.0.0.1:${port}`, ...args];
  const child = spawn(command[0], command.slice(1), {
    env: baseEnv(dir, {
      CENTRALITA_ADMIN_EMAIL: ADMIN_EMAIL,
      CENTRALITA_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ...env,
    }),
  });
  const server = { child, dir, stdout: '', stderr: '', exit: null };
  child.stdout.on('data', (d) => (server.stdout += d));
  child.stderr.on('data', (d) => (server.stderr += d));
  server.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve((server.exit = { code, signal }))));
  await until(() => {
    if (server.exit) throw new Error(`server exited: ${JSON.stringify(server.exit)}\n${server.stderr}`);
    return /listening on (http:\/\/\S+)/.test(server.stdout);
  }, () => `the server to start:\n${server.stderr}`, 20000);
  server.url = server.stdout.match(/listening on (http:\/\/\S+)/)[1];
  server.db = PG ? databaseOf(dir) : join(dir, 'centralita.db');
  // Stops with SIGTERM and checks a clean exit (sanitizers would make it non-zero).
  server.stop = async ({ keepDir = false } = {}) => {
    if (!server.exit) child.kill('SIGTERM');
    const { code, signal } = await server.exited;
    assert.equal(signal, null, `server died of ${signal}\n${server.stderr}`);
    assert.equal(code, 0, `server exited ${code}\n${server.stderr}`);
    if (!keepDir) {
      rmSync(dir, { recursive: true, force: true });
      dropDatabaseOf(dir);
    }
  };
  return server;
}

// The whole database as SQL text, to check that a refused request changed nothing. On
// PostgreSQL: pg_dump's rows, named as sqlite3 names them (INSERT INTO t …) and sorted, since
// an update moves a row in PostgreSQL's storage; without the sequences (a refused insert may
// have used up an id).
export function dump(server, { except = [] } = {}) {
  const r = PG
    ? spawnSync('pg_dump', ['--data-only', '--inserts', '--no-owner', '-d', server.db], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
    : spawnSync('sqlite3', [server.db, '.dump'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = PG
    ? r.stdout.split('\n').filter((line) => line.startsWith('INSERT INTO public.')).map((line) => line.replace('INSERT INTO public.', 'INSERT INTO ')).sort()
    : r.stdout.split('\n');
  return lines.filter((line) => !except.some((t) => line.startsWith(`INSERT INTO ${t} `))).join('\n');
}

// Runs statement beside the server; a write waits (up to 5 s) for one the server is making.
// Rows come one per line, columns separated by |, as sqlite3 prints them.
export function sql(server, statement) {
  // The crash test reads tens of thousands of rows: more than spawnSync's default 1 MB.
  const r = PG
    ? spawnSync('psql', ['-X', '-A', '-t', '-q', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-d', server.db, '-c', `SET lock_timeout = 5000; ${statement}`],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
    : spawnSync('sqlite3', ['-cmd', '.timeout 5000', server.db, statement],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// Holds the database's write lock from another process until release() is called: SQLite's
// one write lock, or on PostgreSQL every table locked against writes.
export async function lockDatabase(server) {
  const locker = PG
    ? spawn('psql', ['-X', '-A', '-t', '-q', '-d', server.db], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('sqlite3', [server.db], { stdio: ['pipe', 'pipe', 'pipe'] });
  locker.stdin.write(PG
    ? "BEGIN;\nSELECT 'LOCK TABLE ' || string_agg(quote_ident(tablename), ', ') || ' IN EXCLUSIVE MODE' FROM pg_tables WHERE schemaname = 'public' \\gexec\nSELECT 1;\n"
    : 'BEGIN IMMEDIATE;\nSELECT 1;\n');
  await new Promise((resolve) => locker.stdout.once('data', resolve));
  return async () => {
    locker.stdin.end('ROLLBACK;\n');
    await new Promise((resolve) => locker.on('exit', resolve));
  };
}

// Waits until the server's log matches pattern (log lines may trail the HTTP answer).
export function waitForLog(server, pattern, timeoutMs = 5000) {
  return until(() => pattern.test(server.stderr), () => `a log line matching ${pattern}:\n${server.stderr.slice(-2000)}`, timeoutMs);
}
