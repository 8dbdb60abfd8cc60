// The tests' one way to the database beside a server, on either back end: SQLite through the
// sqlite3 tool, or (with CENTRALITA_TEST_PG: scripts/with-postgres.sh, make blackbox-pg) a
// PostgreSQL database of each data folder's own through psql and pg_dump. A test that reads or
// changes the database directly goes through here, never through sqlite3 or psql itself.
// docs/DECISIONS.md ("The black-box suite on both back ends") says where the two differ.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

export const PG = process.env.CENTRALITA_TEST_PG;
const databases = new Map(); // data folder -> database name

function psql(database, statement) {
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', `${PG} dbname=${database}`, '-c', statement], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

// SQLite's group_concat, for the tests' own statements (the server never uses it).
const TEST_FUNCTIONS = `
  CREATE FUNCTION group_concat_step(acc text, v anyelement, sep text) RETURNS text LANGUAGE sql
    IMMUTABLE AS $$SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text
    ELSE acc || sep || v::text END$$;
  CREATE FUNCTION group_concat_step(acc text, v anyelement) RETURNS text LANGUAGE sql
    IMMUTABLE AS $$SELECT group_concat_step(acc, v, ',')$$;
  CREATE AGGREGATE group_concat(anyelement, text) (SFUNC = group_concat_step, STYPE = text);
  CREATE AGGREGATE group_concat(anyelement) (SFUNC = group_concat_step, STYPE = text);`;

// The CENTRALITA_DB of the data folder dir (on PostgreSQL its database, made the first time).
export function databaseOf(dir) {
  if (!PG) return `sqlite:${join(dir, 'centralita.db')}`;
  if (!databases.has(dir)) {
    const name = `t_${basename(dir).replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
    psql('postgres', `CREATE DATABASE ${name}`);
    databases.set(dir, name);
    psql(name, TEST_FUNCTIONS);
  }
  return `${PG} dbname=${databases.get(dir)}`;
}

// What sql(), dump() and lockDatabase() take for the database of dir: a server has it as .db.
export function dbOf(dir) {
  return { db: PG ? databaseOf(dir) : join(dir, 'centralita.db') };
}

export function dropDatabaseOf(dir) {
  if (!databases.has(dir)) return;
  psql('postgres', `DROP DATABASE ${databases.get(dir)} WITH (FORCE)`);
  databases.delete(dir);
}

// A handle is on PostgreSQL in a run on it, unless it says otherwise (databaseAt's SQLite file).
const isPg = (server) => (server.backend ? server.backend === 'postgres' : Boolean(PG));

const sqlArgs = (server, statement) => (isPg(server)
  ? ['psql', ['-X', '-A', '-t', '-q', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-d', server.db, '-c', `SET lock_timeout = 10000; ${statement}`]]
  : ['sqlite3', ['-cmd', '.timeout 10000', server.db, statement]]);

// Runs statement beside the server (anything with .db: a server, dbOf(dir)); a write waits (up
// to 10 s) for one the server is making. Rows come one per line, columns separated by |, as
// sqlite3 prints them.
export function sql(server, statement) {
  // The crash test reads tens of thousands of rows: more than spawnSync's default 1 MB.
  const [tool, args] = sqlArgs(server, statement);
  const r = spawnSync(tool, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// sql() in the background, for a write made while the test goes on.
export function sqlLater(server, statement) {
  const [tool, args] = sqlArgs(server, statement);
  return new Promise((resolve, reject) => {
    const p = spawn(tool, args);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err))));
  });
}

// The SQL text of a JSON document's top-level field as text: SQLite's json_extract, or
// PostgreSQL's ->> on the document read as jsonb (the server keeps JSON as text in both); a number reads as its digits.
export function jsonField(column, key) {
  return PG ? `(CAST(${column} AS jsonb) ->> '${key}')` : `CAST(json_extract(${column}, '$.${key}') AS TEXT)`;
}

// The whole database as SQL text, to check that a refused request changed nothing. On
// PostgreSQL: pg_dump's rows, named as sqlite3 names them (INSERT INTO t …) and sorted, since
// an update moves a row in PostgreSQL's storage; without the sequences (a refused insert may
// have used up an id).
export function dump(server, { except = [] } = {}) {
  const r = isPg(server)
    ? spawnSync('pg_dump', ['--data-only', '--inserts', '--no-owner', '-d', server.db], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })
    : spawnSync('sqlite3', [server.db, '.dump'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = isPg(server)
    ? r.stdout.split('\n').filter((line) => line.startsWith('INSERT INTO public.')).map((line) => line.replace('INSERT INTO public.', 'INSERT INTO ')).sort()
    : r.stdout.split('\n');
  return lines.filter((line) => !except.some((t) => line.startsWith(`INSERT INTO ${t} `))).join('\n');
}

// Runs statements in a session of its own that stays open, holding its transaction's locks,
// until release() rolls it back. Resolves once they ran.
export async function holdSession(server, statements) {
  const session = isPg(server)
    ? spawn('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-d', server.db], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('sqlite3', ['-bail', server.db], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  session.stderr.on('data', (d) => (err += d));
  session.stdin.write(`${statements}\nSELECT 'held';\n`);
  let out = '';
  await new Promise((resolve, reject) => {
    session.stdout.on('data', (d) => ((out += d).includes('held') ? resolve() : null));
    session.on('exit', () => reject(new Error(`the session ended: ${err}`)));
  });
  return async () => {
    session.stdin.end('ROLLBACK;\n');
    await new Promise((resolve) => (session.exitCode !== null ? resolve() : session.on('exit', resolve)));
  };
}

// Holds the database's write lock from another process until release() is called: SQLite's
// one write lock, or on PostgreSQL every table locked against writes.
export function lockDatabase(server) {
  return holdSession(server, isPg(server)
    ? "BEGIN;\nSELECT 'LOCK TABLE ' || string_agg(quote_ident(tablename), ', ') || ' IN EXCLUSIVE MODE' FROM pg_tables WHERE schemaname = 'public' \\gexec"
    : 'BEGIN IMMEDIATE;');
}

// Makes the database of dir as an older release left it: the migrations up to version of the
// back end in use (or of backend), each applied in a transaction of its own and recorded as the
// server's runner does, and nothing after. A test then writes the rows that release would have
// and starts today's server on dir, which migrates the rest. Returns what sql() takes.
export function databaseAt(dir, version, { backend = PG ? 'postgres' : 'sqlite' } = {}) {
  const folder = fileURLToPath(new URL(`../../../src/store/migrations/${backend}/`, import.meta.url));
  const files = readdirSync(folder).filter((f) => /^\d{4}_.*\.sql$/.test(f) && Number(f.slice(0, 4)) <= version).sort();
  assert.equal(files.length, version, `migrations 1 to ${version} in ${folder}`);
  const onPg = backend === 'postgres';
  const script = [
    'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);',
    ...files.map((f) => {
      const text = readFileSync(join(folder, f), 'utf8');
      // SQLite's table rebuilds turn foreign keys off, which it heeds outside a transaction only.
      const rebuild = !onPg && text.startsWith('-- centralita: foreign_keys=off');
      return `${rebuild ? 'PRAGMA foreign_keys=OFF;\n' : ''}BEGIN;\n${text}
INSERT INTO schema_migrations (version, name, applied_at) VALUES (${Number(f.slice(0, 4))}, '${f}', 0);
COMMIT;${rebuild ? '\nPRAGMA foreign_keys=ON;' : ''}`;
    }),
  ].join('\n');
  const db = onPg ? dbOf(dir) : { db: join(dir, 'centralita.db'), backend };
  const r = onPg
    ? spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.db], { input: script, encoding: 'utf8' })
    : spawnSync('sqlite3', ['-bail', db.db], { input: `PRAGMA foreign_keys=ON;\n${script}`, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return db;
}
