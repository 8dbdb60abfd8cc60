// contrib/centralita.service, the unit the README installs: systemd-analyze verify accepts it
// without a warning (it needs ExecStart's binary to exist, so a copy of the unit points at the
// binary under test), its hardening scores as systemd's own "OK" or better, and every setting
// it gives is one the binary knows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from './lib/server.js';

const UNIT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'contrib', 'centralita.service');
const text = readFileSync(UNIT, 'utf8');

// A copy of the unit whose ExecStart runs BIN, in a folder of its own; removed after fn.
function withCopy(fn) {
  assert.match(text, /^ExecStart=\/usr\/local\/bin\/centralita serve$/m);
  const dir = mkdtempSync(join(tmpdir(), 'centralita-unit-'));
  try {
    const path = join(dir, 'centralita.service');
    writeFileSync(path, text.replace('/usr/local/bin/centralita', BIN));
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const analyze = (...args) => spawnSync('systemd-analyze', args, { encoding: 'utf8' });

test('systemd-analyze verify accepts the unit without a warning', () => {
  withCopy((path) => {
    const r = analyze('verify', path);
    assert.equal(r.error, undefined, 'systemd-analyze is missing (Debian\'s systemd package)');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'verify warns (an unknown key, a bad value)');
  });
  // It does warn about a value it cannot read: the check above can fail.
  withCopy((path) => {
    writeFileSync(path, readFileSync(path, 'utf8').replace('ProtectSystem=strict', 'ProtectSystem=everything'));
    assert.match(analyze('verify', path).stderr, /protect system value/);
  });
});

test('the hardening the unit asks for: exposure at most 2.0 of 10 (systemd calls 2.0 OK)', () => {
  for (const option of ['ProtectSystem=strict', 'ReadWritePaths=/var/lib/centralita', 'NoNewPrivileges=yes', 'PrivateTmp=yes', 'CapabilityBoundingSet=', 'UMask=0077'])
    assert.ok(text.split('\n').includes(option), option);
  withCopy((path) => {
    const r = analyze('security', '--offline=yes', '--threshold=20', path);
    assert.equal(r.status, 0, r.stdout.split('\n').slice(-3).join('\n'));
    const level = Number(r.stdout.match(/Overall exposure level for centralita\.service: ([\d.]+)/)[1]);
    assert.ok(level <= 2.0, `exposure ${level}`);
  });
});

test('every setting in the unit is one the binary reads, with a value it accepts', () => {
  const help = spawnSync(BIN, ['serve', '--help'], { encoding: 'utf8' }).stdout;
  const env = {};
  for (const [, name, value] of text.matchAll(/^Environment=(CENTRALITA_[A-Z_]+)=(.*)$/gm)) {
    assert.ok(help.includes(`[${name}]`), `${name} is no setting of serve`);
    env[name] = value;
  }
  assert.ok(Object.keys(env).length >= 4);
  // The values are good: migrate reads them as serve does (its database moved to a folder of
  // the test's own); a bad one would stop it with exit status 2.
  assert.equal(env.CENTRALITA_DB, 'sqlite:/var/lib/centralita/centralita.db');
  const dir = mkdtempSync(join(tmpdir(), 'centralita-unit-'));
  const r = spawnSync(BIN, ['migrate'], {
    encoding: 'utf8', env: { PATH: process.env.PATH, ...env, CENTRALITA_DB: `sqlite:${join(dir, 'c.db')}` },
  });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
});
