// Customers' files, end to end: a media message's file is fetched from each provider (the fake
// serves real small files in each one's documented way) after the webhook was answered,
// kept content-addressed beside the database, and served back byte-identical under the
// conversation's visibility rule, with Range, safe types only inline, nosniff and a sandbox
// CSP. A download survives a restart; a file gone, too large, not matching its SHA-256 or
// answered as a web page ends `failed` with the reason, and nothing partial is kept.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir } from './lib/server.js';
import { sql, jsonField } from './lib/db.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { failures, startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, FIXTURES, customerSends, twoTeamsOn } from './lib/providers.js';
import { until } from './lib/until.js';

const FILES = {
  jpeg: { bytes: readFileSync(join(FIXTURES, 'media/photo.jpg')), mimeType: 'image/jpeg', type: 'image' },
  voice: { bytes: readFileSync(join(FIXTURES, 'media/voice.ogg')), mimeType: 'audio/ogg', type: 'audio' },
  pdf: { bytes: readFileSync(join(FIXTURES, 'media/invoice.pdf')), mimeType: 'application/pdf', type: 'document', fileName: 'factura 0042.pdf' },
};
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

let fake, s, admin, ch, ventas, ana, bruno;
before(async () => {
  fake = await startFakeProvider();
  ({ s, admin, ch, ventas, ana, bruno } = await twoTeamsOn(fake));
});
after(async () => {
  await s.stop();
  await fake.stop();
});

async function mediaOf(client, conversation, message) {
  const r = await client.get(`/api/v1/conversations/${conversation}/messages?limit=50`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages.find((m) => m.id === message)?.media;
}

async function settled(client, conversation, message, state = 'ready') {
  let media;
  return until(async () => {
    media = await mediaOf(client, conversation, message);
    return media?.state === state && media;
  }, () => `message ${message} to be ${state}: ${JSON.stringify(media)}\n${fake.describe()}`);
}

async function download(client, url, headers = {}) {
  const res = await fetch(s.url + url, { headers: { cookie: client.cookie, ...headers } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

test('the webhook is answered before the download, which then completes; only the team sees the file', async () => {
  const file = fake.addMedia('whatsapp', FILES.jpeg);
  const hold = fake.holdNext(1, { op: 'mediaDownload' });
  const { message, conversation } = await customerSends(s, fake, 'whatsapp', file.ref, FILES.jpeg);
  // Answered 200 while the provider still holds the bytes back.
  await until(() => hold.held.length === 1, 'the download to be under way');
  const pending = await mediaOf(admin, conversation, message);
  assert.equal(pending.state, 'pending');
  assert.equal(pending.url, null);
  assert.equal(pending.ref, file.ref);
  assertError(await admin.get(`/api/v1/messages/${message}/media`), 409, 'conflict');
  hold.release();
  const media = await settled(admin, conversation, message);
  assert.equal(media.url, `/api/v1/messages/${message}/media`);
  assert.equal(media.size, FILES.jpeg.bytes.length);
  assert.equal(media.sha256, sha256(FILES.jpeg.bytes));
  assert.equal(media.mime_type, 'image/jpeg');
  assert.equal(media.error, null);
  // The lookup and the download both carried the channel's token.
  const [lookup] = fake.done({ op: 'mediaLookup', kind: 'whatsapp' }).filter((r) => r.path.endsWith(`/${file.ref}`));
  assert.equal(lookup.token, CHANNELS.whatsapp.access_token);
  assert.match(lookup.path, /^\/v\d+\.\d+\/\d+$/);
  // An event told the inbox.
  assert.equal(sql(s, `SELECT count(*) FROM events WHERE kind = 'message.updated' AND ${jsonField('data', 'message_id')} = '${message}'`), '1');

  assert.equal((await admin.post(`/api/v1/conversations/${conversation}/transfer`, { team_id: ventas })).status, 200);
  const mine = await download(ana, media.url);
  assert.equal(mine.status, 200);
  assert.ok(mine.bytes.equals(FILES.jpeg.bytes), 'the bytes come back identical');
  assert.equal(mine.headers.get('content-type'), 'image/jpeg');
  assert.equal(mine.headers.get('x-content-type-options'), 'nosniff');
  assert.match(mine.headers.get('content-security-policy'), /\bsandbox\b/);
  assert.match(mine.headers.get('content-disposition'), /^inline/);
  // Another team's agent: 404, as for the message itself; logged out: 401.
  assertError(await bruno.get(media.url), 404, 'not_found');
  assertError(await bruno.get(`/api/v1/conversations/${conversation}/messages`), 404, 'not_found');
  assert.equal((await fetch(s.url + media.url)).status, 401);
  assertError(await ana.get('/api/v1/messages/999999/media'), 404, 'not_found');
  // The file lies beside the database, private to the server's user.
  const path = join(s.dir, 'files', media.sha256.slice(0, 2), media.sha256);
  assert.ok(readFileSync(path).equals(FILES.jpeg.bytes));
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(s.dir, 'files')).mode & 0o777, 0o700);
});

for (const kind of ['whatsapp', 'messenger', 'instagram', 'telegram']) {
  test(`${kind}: a photo, a voice note and a PDF come back byte-identical`, async () => {
    for (const [name, f] of Object.entries(FILES)) {
      const file = fake.addMedia(kind, f);
      const { message, conversation } = await customerSends(s, fake, kind, file.ref, f);
      const media = await settled(admin, conversation, message);
      assert.equal(media.sha256, sha256(f.bytes), name);
      const got = await download(admin, media.url);
      assert.equal(got.status, 200, name);
      assert.ok(got.bytes.equals(f.bytes), `${kind} ${name}: the bytes come back identical`);
      assert.equal(got.headers.get('content-type'), f.mimeType, name);
    }
    if (kind === 'telegram') {
      // The largest photo size is the one fetched.
      assert.ok(fake.done({ op: 'mediaLookup', kind }).every((r) => r.params.file_id !== 'small-ignored'));
      assert.ok(!s.stderr.includes(CHANNELS.telegram.bot_token.split(':')[1]), 'the bot token reached the log');
    }
  });
}

test('the same file twice is stored once', async () => {
  const before = Number(sql(s, 'SELECT count(*) FROM files'));
  const bytes = Buffer.concat([FILES.jpeg.bytes, Buffer.from('twice')]);
  const sent = [];
  for (const kind of ['messenger', 'whatsapp']) {
    const file = fake.addMedia(kind, { bytes, mimeType: 'image/jpeg' });
    sent.push(await customerSends(s, fake, kind, file.ref, FILES.jpeg));
  }
  for (const { message, conversation } of sent) await settled(admin, conversation, message);
  assert.equal(Number(sql(s, 'SELECT count(*) FROM files')), before + 1);
  assert.equal(sql(s, `SELECT count(DISTINCT sha256) FROM media WHERE message_id IN (${sent.map((x) => x.message)})`), '1');
});

test('Range: one slice 206, out of bounds 416, a suffix, and the whole file otherwise', async () => {
  const file = fake.addMedia('messenger', FILES.voice);
  const { message, conversation } = await customerSends(s, fake, 'messenger', file.ref, FILES.voice);
  const { url } = await settled(admin, conversation, message);
  const size = FILES.voice.bytes.length;
  let r = await download(admin, url, { range: 'bytes=10-19' });
  assert.equal(r.status, 206);
  assert.equal(r.headers.get('content-range'), `bytes 10-19/${size}`);
  assert.ok(r.bytes.equals(FILES.voice.bytes.subarray(10, 20)));
  r = await download(admin, url, { range: 'bytes=-7' });
  assert.equal(r.status, 206);
  assert.ok(r.bytes.equals(FILES.voice.bytes.subarray(size - 7)));
  r = await download(admin, url, { range: `bytes=${size - 3}-` });
  assert.ok(r.bytes.equals(FILES.voice.bytes.subarray(size - 3)));
  r = await download(admin, url, { range: `bytes=0-${size + 100}` });
  assert.equal(r.status, 206);
  assert.equal(r.bytes.length, size);
  for (const range of [`bytes=${size}-`, `bytes=${size + 5}-${size + 9}`, 'bytes=-0']) {
    r = await download(admin, url, { range });
    assert.equal(r.status, 416, range);
    assert.equal(r.headers.get('content-range'), `bytes */${size}`, range);
  }
  // Ranges this server does not read are ignored: the whole file, as RFC 9110 allows.
  for (const range of ['bytes=5-1', 'items=0-1', 'bytes=0-1,4-5', 'bytes=abc']) {
    r = await download(admin, url, { range });
    assert.equal(r.status, 200, range);
    assert.ok(r.bytes.equals(FILES.voice.bytes), range);
  }
});

test('a file a browser could run is only ever a download', async () => {
  for (const [bytes, mimeType, fileName] of [
    [Buffer.from('<html><script>alert(1)</script></html>'), 'text/html', 'a/../pá"g\r\ne.html'],
    [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), 'image/svg+xml', undefined],
  ]) {
    const file = fake.addMedia('whatsapp', { bytes, mimeType });
    const { message, conversation } = await customerSends(s, fake, 'whatsapp', file.ref, { type: 'document', mimeType, fileName });
    const { url } = await settled(admin, conversation, message);
    const r = await download(admin, url);
    assert.equal(r.status, 200);
    assert.ok(r.bytes.equals(bytes));
    assert.equal(r.headers.get('content-type'), 'application/octet-stream');
    const disposition = r.headers.get('content-disposition');
    assert.match(disposition, /^attachment; filename="[A-Za-z0-9._-]+"/);
    assert.ok(!/[\r\n/\\]/.test(disposition.split('filename*=')[0].slice(10)), disposition);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.match(r.headers.get('content-security-policy'), /\bsandbox\b/);
  }
});

test('a file gone, too large, not matching its SHA-256 or answered as a web page ends failed with the reason', async () => {
  const cases = [
    ['whatsapp', 'expired', () => { const f = fake.addMedia('whatsapp', FILES.jpeg); fake.removeMedia(f.ref); return f; }, /^The provider no longer has the file \(HTTP 400, error 100\)\.$/],
    ['messenger', 'gone from the CDN', () => { const f = fake.addMedia('messenger', FILES.jpeg); fake.removeMedia(f.ref); return f; }, /no longer has the file \(HTTP 404\)/],
    ['whatsapp', 'too large', () => fake.addMedia('whatsapp', { ...FILES.jpeg, fileSize: 6 * 1024 * 1024 }), /too large: 6291456 bytes, over the limit of 5242880 for images/],
    ['whatsapp', 'sha256 mismatch', () => fake.addMedia('whatsapp', { ...FILES.jpeg, sha256: sha256(Buffer.from('other')) }), /SHA-256/],
    ['telegram', 'over 20 MB', () => fake.addMedia('telegram', { ...FILES.pdf, fileSize: 21 * 1024 * 1024 }), /too large for Telegram's bots/],
    ['instagram', 'a web page', () => {
      const f = fake.addMedia('instagram', FILES.jpeg);
      fake.failNext(1, failures.http(200, '<html><body>Log in to continue</body></html>'), { op: 'mediaDownload' });
      return f;
    }, /web page instead of the file/],
  ];
  const files = Number(sql(s, 'SELECT count(*) FROM files'));
  for (const [kind, what, make, reason] of cases) {
    const f = make();
    const { message, conversation } = await customerSends(s, fake, kind, f.ref, kind === 'telegram' ? FILES.pdf : FILES.jpeg);
    const media = await settled(admin, conversation, message, 'failed');
    assert.match(media.error, reason, `${kind} ${what}: ${media.error}`);
    assert.equal(media.url, null, what);
    assertError(await admin.get(`/api/v1/messages/${message}/media`), 409, 'conflict');
    assert.equal(sql(s, `SELECT count(*) FROM events WHERE kind = 'message.updated' AND ${jsonField('data', 'message_id')} = '${message}'`), '1', what);
  }
  // Nothing of them was kept, not even a draft.
  assert.equal(Number(sql(s, 'SELECT count(*) FROM files')), files);
  await until(() => readdirSync(join(s.dir, 'files', 'tmp')).length === 0, 'no draft to be left');
});

test('a transient failure is retried with backoff until the file comes', async () => {
  const file = fake.addMedia('telegram', FILES.voice);
  fake.failNext(1, failures.telegramBadGateway(), { op: 'mediaLookup' });
  fake.failNext(1, failures.http(503), { op: 'mediaDownload' });
  const { message, conversation } = await customerSends(s, fake, 'telegram', file.ref, FILES.voice);
  await settled(admin, conversation, message);
  assert.equal(sql(s, `SELECT attempts FROM media WHERE message_id = ${message}`), '3');
});

test('a restart during a download still completes it', async () => {
  const dir = tempDir();
  const env = { ...fake.env, CENTRALITA_MEDIA_TIMEOUT: '1', CENTRALITA_BUSY_TIMEOUT_MS: '500' };
  let server = await startServer({ dir, env });
  const a = await adminClient(server);
  await a.post('/api/v1/channels', CHANNELS.whatsapp);
  const file = fake.addMedia('whatsapp', FILES.pdf);
  const hold = fake.holdNext(1, { op: 'mediaDownload' });
  const { message, conversation } = await customerSends(server, fake, 'whatsapp', file.ref, FILES.pdf);
  await until(() => hold.held.length === 1, 'the download to be under way');
  server.child.kill('SIGKILL');
  await server.exited;
  hold.release(); // answers a connection nobody holds any more
  server = await startServer({ dir, env });
  const b = await adminClient(server);
  const media = await until(async () => {
    const m = await mediaOf(b, conversation, message);
    return m?.state === 'ready' && m;
  }, 'the download to complete after the restart');
  assert.ok((await fetch(server.url + media.url, { headers: { cookie: b.cookie } }).then((r) => r.arrayBuffer()).then(Buffer.from)).equals(FILES.pdf.bytes));
  await server.stop();
});

test('the operator can lower the limits', async () => {
  const server = await startServer({ env: { ...fake.env, CENTRALITA_MEDIA_MAX_BYTES: String(FILES.jpeg.bytes.length - 1) } });
  const a = await adminClient(server);
  await a.post('/api/v1/channels', CHANNELS.messenger);
  const big = fake.addMedia('messenger', FILES.jpeg);
  const small = fake.addMedia('messenger', { ...FILES.pdf, bytes: FILES.pdf.bytes.subarray(0, 100) });
  const refused = await customerSends(server, fake, 'messenger', big.ref, FILES.jpeg);
  const kept = await customerSends(server, fake, 'messenger', small.ref, FILES.pdf);
  const m = await until(async () => {
    const x = await mediaOf(a, refused.conversation, refused.message);
    return x?.state === 'failed' && x;
  }, 'the large file to be refused');
  assert.match(m.error, /too large/);
  await until(async () => (await mediaOf(a, kept.conversation, kept.message))?.state === 'ready', 'the small file to be kept');
  assert.equal(readdirSync(join(server.dir, 'files', 'tmp')).length, 0);
  await server.stop();
  // A bad value is refused at start.
  const bad = await startServer({ env: { CENTRALITA_MEDIA_MAX_BYTES: '0' } }).catch((e) => e);
  assert.match(String(bad), /CENTRALITA_MEDIA_MAX_BYTES/);
});

test('drafts a crash left in the files folder are cleared at the next start; nothing else there is touched', async () => {
  const dir = tempDir();
  const env = { CENTRALITA_FILES_DIR: join(dir, 'files') };
  let server = await startServer({ dir, env });
  await server.stop({ keepDir: true });
  const tmp = join(dir, 'files', 'tmp');
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'draft-left-by-a-crash'), 'half a file');
  writeFileSync(join(tmp, 'not-a-draft'), 'kept');
  server = await startServer({ dir, env });
  try {
    assert.deepEqual(readdirSync(tmp), ['not-a-draft']);
  } finally {
    await server.stop();
  }
});
