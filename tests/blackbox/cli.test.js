// The command line: help, flags and environment, and the user and team sub-commands.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir, startServer } from './lib/server.js';
import { Client, adminClient } from './lib/client.js';
import { CHANNELS, whatsappText, postMeta } from './lib/providers.js';

const SUBCOMMANDS = [
  ['serve'], ['migrate'], ['user', 'add'], ['user', 'list'], ['user', 'passwd'],
  ['user', 'deactivate'], ['team', 'add'], ['team', 'list'], ['team', 'rename'],
  ['team', 'delete'], ['team', 'member', 'add'], ['team', 'member', 'remove'], ['copy'], ['version'], ['help'],
];

test('help lists every sub-command, and each has --help', () => {
  const dir = tempDir();
  const help = cli(dir, ['help']);
  assert.equal(help.status, 0);
  for (const words of SUBCOMMANDS) {
    assert.ok(help.stdout.includes(`centralita ${words.join(' ')}`), words.join(' '));
    const r = cli(dir, [...words, '--help']);
    assert.equal(r.status, 0, `${words.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: centralita ${words.join(' ')}`));
  }
  assert.match(cli(dir, ['serve', '--help']).stdout, /--listen.*CENTRALITA_LISTEN/);
  assert.match(help.stdout, /web chat/);
  // A sub-command's help names the settings it reads, not every one of the server's.
  const simulate = cli(dir, ['simulate', '--help']).stdout;
  assert.match(simulate, /--public-url.*CENTRALITA_PUBLIC_URL/);
  assert.match(simulate, /--db.*CENTRALITA_DB/);
  assert.doesNotMatch(simulate, /--threads|--listen|--sse-heartbeat/);
  assert.match(cli(dir, ['serve', '--help']).stdout, /--threads.*CENTRALITA_THREADS/);
  assert.match(cli(dir, ['version']).stdout, /^centralita \d+\.\d+\.\d+/);
  // Every kind a channel can be is named, web chat too, with what channel add prints for it.
  const add = cli(dir, ['channel', 'add', '--help']).stdout;
  assert.match(add, /whatsapp\|messenger\|instagram\|telegram\|webchat/);
  assert.match(add, /embed code/);
});

test('an unknown flag or a bad value stops it with one line naming the flag, status 2', () => {
  const dir = tempDir();
  const cases = [
    [['serve', '--bogus'], {}, /--bogus/],
    [['serve', '--listen', 'nonsense'], {}, /--listen/],
    [['serve', '--listen', '127.0.0.1:99999'], {}, /--listen/],
    [['serve', '--threads', '0'], {}, /--threads/],
    [['serve', '--public-url', 'ftp://x'], {}, /--public-url/],
    [['migrate', '--db', 'mysql://x'], {}, /--db/],
    [['serve'], { CENTRALITA_LISTEN: 'nowhere' }, /CENTRALITA_LISTEN/],
    [['serve'], { CENTRALITA_DB: 'oracle:x' }, /CENTRALITA_DB/],
    [['team', 'add'], {}, /expected/],
    [['team', 'add', 'a', 'b'], {}, /unexpected argument 'b'/],
    [['frobnicate'], {}, /unknown command 'frobnicate'/],
    [['serve', '--listen'], {}, /--listen needs a value/],
  ];
  for (const [args, env, pattern] of cases) {
    const r = cli(dir, args, env);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('flags beat the environment, which beats the defaults', async () => {
  const dir = tempDir();
  // The environment names a port that is taken by nobody but is overridden by the flag.
  const s = await startServer({ dir, env: { CENTRALITA_LISTEN: '127.0.0.1:1' } });
  assert.notEqual(new URL(s.url).port, '1');
  await s.stop();
});

test('migrate brings the schema up to date and says so', () => {
  const dir = tempDir();
  const r = cli(dir, ['migrate']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /schema version [1-9]/);
});

test('users and teams from the command line are what the API sees', async () => {
  const dir = tempDir();
  assert.equal(cli(dir, ['migrate']).status, 0);
  let r = cli(dir, ['user', 'add', 'ana@example.com', '--name', 'Ana Pérez', '--password', 'ana-password-1']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /user \d+ ana@example.com \(agent\)/);
  assert.doesNotMatch(r.stdout, /password:/);
  r = cli(dir, ['user', 'add', 'luis@example.com']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /password: \S{12,}/);
  r = cli(dir, ['user', 'add', 'ana@example.com']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /already exists/);
  assert.equal(cli(dir, ['team', 'add', 'Soporte']).status, 0);
  assert.equal(cli(dir, ['team', 'add', 'Ventas']).status, 0);
  r = cli(dir, ['team', 'add', 'SOPORTE']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /already exists/);
  assert.equal(cli(dir, ['team', 'member', 'add', 'Soporte', 'ana@example.com']).status, 0);
  assert.equal(cli(dir, ['team', 'member', 'add', 'soporte', 'luis@example.com']).status, 0);
  assert.equal(cli(dir, ['team', 'member', 'remove', 'Soporte', 'luis@example.com']).status, 0);
  r = cli(dir, ['team', 'member', 'add', 'Nope', 'ana@example.com']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no such team/);
  assert.equal(cli(dir, ['team', 'rename', 'Ventas', 'Comercial']).status, 0);
  r = cli(dir, ['team', 'list']);
  assert.match(r.stdout, /Comercial\t0 members/);
  assert.match(r.stdout, /Soporte\t1 members/);
  assert.match(cli(dir, ['user', 'list']).stdout, /ana@example.com\tagent\tactive\tAna Pérez/);

  const s = await startServer({ dir });
  const admin = await adminClient(s);
  const teams = (await admin.get('/api/v1/teams')).json.teams;
  assert.deepEqual(teams.map((t) => t.name), ['Comercial', 'Soporte']);
  const soporte = (await admin.get(`/api/v1/teams/${teams[1].id}`)).json.team;
  assert.deepEqual(soporte.members.map((m) => m.email), ['ana@example.com']);
  await s.stop({ keepDir: true });

  assert.equal(cli(dir, ['user', 'passwd', 'ana@example.com', '--password', 'new-password-9']).status, 0);
  assert.equal(cli(dir, ['user', 'deactivate', 'luis@example.com']).status, 0);
  assert.match(cli(dir, ['user', 'list']).stdout, /luis@example.com\tagent\tdeactivated/);
  assert.equal(cli(dir, ['team', 'delete', 'Comercial']).status, 0);
  assert.doesNotMatch(cli(dir, ['team', 'list']).stdout, /Comercial/);
});

// Secrets in flags are in /proc/PID/cmdline for every local user to read: each secret flag
// also reads from a file, or from standard input with "-".
test('secret flags read from a file or standard input, and --help says so', async () => {
  const dir = tempDir();
  for (const words of [['user', 'add'], ['user', 'passwd'], ['channel', 'add']]) {
    const help = cli(dir, [...words, '--help']).stdout;
    for (const flag of words[0] === 'user' ? ['password'] : ['access-token', 'app-secret', 'verify-token', 'bot-token']) {
      assert.match(help, new RegExp(`--${flag}-file PATH .*standard input`), `${words.join(' ')} --${flag}-file`);
    }
  }
  assert.equal(cli(dir, ['migrate']).status, 0);
  const file = join(dir, 'ana.pass');
  writeFileSync(file, 'ana-from-a-file-1\n');
  let r = cli(dir, ['user', 'add', 'ana@example.com', '--password-file', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /password:/);
  r = cli(dir, ['user', 'add', 'luis@example.com', '--password-file', '-'], {}, { input: 'luis-from-stdin-2\r\n' });
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(join(dir, 'secret'), 'cli-file-secret\nsecond line ignored\n');
  r = cli(dir, ['channel', 'add', 'whatsapp', '--name', 'WA', '--phone-number-id', CHANNELS.whatsapp.phone_number_id,
    '--access-token-file', '-', '--app-secret-file', join(dir, 'secret'), '--verify-token', 'v'], {}, { input: 'EAAstdin-token\n' });
  assert.equal(r.status, 0, r.stderr);
  for (const [args, input, pattern] of [
    [['user', 'passwd', 'ana@example.com', '--password-file', join(dir, 'missing')], undefined, /--password-file: cannot open/],
    [['user', 'passwd', 'ana@example.com', '--password-file', '-'], '', /--password-file: standard input has no value/],
    [['user', 'passwd', 'ana@example.com', '--password-file', '-'], '\nlater', /no value on its first line/],
  ]) {
    r = cli(dir, args, {}, { input });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, pattern);
  }
  const s = await startServer({ dir });
  assert.ok(await new Client(s.url).login('ana@example.com', 'ana-from-a-file-1'));
  assert.ok(await new Client(s.url).login('luis@example.com', 'luis-from-stdin-2'));
  const signed = await postMeta(s, 'whatsapp', whatsappText('34600000009', 'wamid.cli-secret', 'Hola'), { secret: 'cli-file-secret' });
  assert.equal(signed.status, 200, signed.text);
  const admin = await adminClient(s);
  const [ch] = (await admin.get('/api/v1/channels')).json.channels;
  assert.equal(ch.phone_number_id, CHANNELS.whatsapp.phone_number_id);
  await s.stop();
});
