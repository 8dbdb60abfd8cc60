// Starts a real centralita binary on a free port with its own temporary data folder,
// and talks to it over HTTP. Every test file gets fresh servers; nothing is shared.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import net from 'node:net';
import { until } from './until.js';
import { PG, databaseOf, dbOf, dropDatabaseOf } from './db.js';

export const BIN = process.env.CENTRALITA_BIN;
if (!BIN) throw new Error('CENTRALITA_BIN must name the centralita binary under test');

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password-123';

// Sanitizer reports make the process exit non-zero, which stop() turns into a failure.
const SANITIZERS = {
  ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=66',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
};

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
    // SQLite's files go beside the database, in the data folder; PostgreSQL's there too.
    ...(PG ? { CENTRALITA_FILES_DIR: join(dir, 'files') } : {}),
    CENTRALITA_THREADS: '2',
    // No test reaches the real providers: without a fake, their calls are refused at once.
    CENTRALITA_GRAPH_API_URL: 'http://127.0.0.1:9',
    CENTRALITA_TELEGRAM_API_URL: 'http://127.0.0.1:9',
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
  server.db = dbOf(dir).db;
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

// Waits until the server's log matches pattern (log lines may trail the HTTP answer).
export function waitForLog(server, pattern, timeoutMs = 5000) {
  return until(() => pattern.test(server.stderr), () => `a log line matching ${pattern}:\n${server.stderr.slice(-2000)}`, timeoutMs);
}
