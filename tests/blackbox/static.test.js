// The web UI's files as served by the binary: index.html for client-side routes, assets
// with their content type, a strong ETag and 304s, the Content-Security-Policy, scripts and
// style sheets gzip-compressed at build time for browsers that take it, refusal of anything
// that tries to leave web/, and --web-dir for development.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, startServer, tempDir } from './lib/server.js';
import { assertError } from './lib/client.js';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

function webFiles(dir = WEB) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? webFiles(join(dir, e.name)) : [relative(WEB, join(dir, e.name))]);
}

function etagOf(bytes) {
  return `"${createHash('sha256').update(bytes).digest('hex')}"`;
}

// Sends the request line exactly as written (fetch would normalise "..") and returns
// the status and the body.
function rawGet(url, path) {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () =>
      sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    sock.on('data', (d) => (data += d));
    sock.on('end', () => resolve({ status: Number(data.split(' ')[1]), body: data.split('\r\n\r\n').slice(1).join('') }));
    sock.on('error', reject);
  });
}

test('/ and client-side routes answer index.html with the CSP, no-cache and an ETag', async () => {
  const s = await startServer();
  const index = readFileSync(join(WEB, 'index.html'));
  for (const path of ['/', '/login', '/inbox/general', '/inbox/team/12', '/settings/teams']) {
    const r = await fetch(s.url + path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers.get('content-type'), TYPES['.html']);
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.equal(r.headers.get('etag'), etagOf(index));
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /style-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), index);
  }
  await s.stop();
});

// What a client that takes no compression sends (fetch asks for gzip unless told).
const IDENTITY = { 'accept-encoding': 'identity' };

test('every file of web/ is served byte for byte, with its type, its SHA-256 as ETag and 304 when unchanged', async () => {
  const s = await startServer();
  const files = webFiles();
  assert.ok(files.length > 10, files.join());
  for (const file of files) {
    const bytes = readFileSync(join(WEB, file));
    const url = `${s.url}/assets/${file}`;
    const r = await fetch(url, { headers: IDENTITY });
    assert.equal(r.status, 200, file);
    assert.equal(r.headers.get('content-type'), TYPES[file.slice(file.lastIndexOf('.'))], file);
    assert.equal(r.headers.get('etag'), etagOf(bytes), `${file}: rebuild after changing web/`);
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), bytes, file);
    for (const validator of [etagOf(bytes), `W/${etagOf(bytes)}`, `"other", ${etagOf(bytes)}`, '*']) {
      const again = await fetch(url, { headers: { ...IDENTITY, 'if-none-match': validator } });
      assert.equal(again.status, 304, `${file} ${validator}`);
      assert.equal(again.headers.get('etag'), etagOf(bytes));
      assert.equal((await again.arrayBuffer()).byteLength, 0);
    }
    const stale = await fetch(url, { headers: { ...IDENTITY, 'if-none-match': '"0123"' } });
    assert.equal(stale.status, 200);
    await stale.arrayBuffer();
  }
  const head = await fetch(`${s.url}/assets/js/main.js`, { method: 'HEAD', headers: IDENTITY });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('etag'), etagOf(readFileSync(join(WEB, 'js/main.js'))));
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  await s.stop();
});

// A GET as a browser sends it, its body as it came (fetch would decode gzip itself).
function getRaw(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('scripts and style sheets go gzip-compressed to who accepts it, with their own ETag and the same CSP', async () => {
  const s = await startServer();
  const files = webFiles().filter((f) => /\.(js|css)$/.test(f));
  assert.ok(files.length > 10, files.join());
  let plainBytes = 0;
  let gzipBytes = 0;
  for (const file of files) {
    const bytes = readFileSync(join(WEB, file));
    const url = `${s.url}/assets/${file}`;
    const plain = await getRaw(url, { 'accept-encoding': 'identity' });
    const gz = await getRaw(url, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(gz.status, 200, file);
    assert.equal(gz.headers['content-encoding'], 'gzip', file);
    assert.equal(gz.headers.vary, 'Accept-Encoding', file);
    assert.equal(plain.headers.vary, 'Accept-Encoding', file);
    assert.equal(plain.headers['content-encoding'], undefined, file);
    assert.deepEqual(gunzipSync(gz.body), bytes, `${file}: rebuild after changing web/`);
    // Prepared by gzip -9 -n: no file name, no time, so every build gives the same bytes.
    assert.equal(gz.body[3] & 0x08, 0, `${file}: a file name in the gzip header`);
    assert.equal(gz.body.readUInt32LE(4), 0, `${file}: a time in the gzip header`);
    // The variant has its own strong ETag (its bytes' SHA-256), revalidated like the plain one.
    assert.equal(gz.headers.etag, etagOf(gz.body), file);
    assert.notEqual(gz.headers.etag, plain.headers.etag);
    const fresh = await getRaw(url, { 'accept-encoding': 'gzip', 'if-none-match': gz.headers.etag });
    assert.equal(fresh.status, 304, file);
    assert.equal(fresh.headers.etag, gz.headers.etag);
    assert.equal((await getRaw(url, { 'accept-encoding': 'identity', 'if-none-match': gz.headers.etag })).status, 200);
    for (const h of ['content-type', 'content-security-policy', 'cache-control', 'x-content-type-options'])
      assert.equal(gz.headers[h], plain.headers[h], `${file} ${h}`);
    plainBytes += bytes.length;
    gzipBytes += gz.body.length;
  }
  assert.ok(gzipBytes * 2 < plainBytes, `${gzipBytes} gzip bytes for ${plainBytes}`);
  // What Accept-Encoding asks decides; q=0 refuses.
  const main = readFileSync(join(WEB, 'js/main.js'));
  for (const [accept, isGzip] of [['gzip', true], ['GZIP;q=0.5', true], ['*', true], ['br, *;q=0.1', true],
    ['identity', false], ['gzip;q=0', false], ['*, gzip;q=0', false], ['*;q=0', false], ['br', false], [undefined, false]]) {
    const r = await getRaw(`${s.url}/assets/js/main.js`, accept === undefined ? {} : { 'accept-encoding': accept });
    assert.equal(r.headers['content-encoding'], isGzip ? 'gzip' : undefined, String(accept));
    assert.deepEqual(isGzip ? gunzipSync(r.body) : r.body, main, String(accept));
  }
  // Pages, JSON and images are sent as they are, with nothing to vary.
  for (const path of ['/', '/assets/i18n/es.json']) {
    const r = await getRaw(`${s.url}${path}`, { 'accept-encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], undefined, path);
    assert.equal(r.headers.vary, undefined, path);
  }
  // HEAD gives the variant's headers alone.
  const head = await fetch(`${s.url}/assets/js/main.js`, { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(head.headers.get('content-encoding'), 'gzip');
  await s.stop();
});

test('paths that leave web/, hide, encode or cut themselves short are refused with a JSON 404', async () => {
  const s = await startServer();
  const refused = [
    '/assets/../CMakeLists.txt',
    '/assets/js/../../../CMakeLists.txt',
    '/assets/%2e%2e/%2e%2e/CMakeLists.txt',
    '/assets/%2E%2E%2F%2E%2E%2FCMakeLists.txt',
    '/assets/js%2f..%2f..%2f..%2fetc%2fpasswd',
    '/assets/%252e%252e/js/main.js',
    '/assets/..%5c..%5cCMakeLists.txt',
    '/assets/js/main.js%00.html',
    '/assets/js/main.js%00',
    '/inbox%00/../../etc/passwd',
    '/assets/.gitignore',
    '/assets//js/main.js',
    '/assets/js/main.js/',
    '/assets/js/nope.js',
    '/assets/js',
    '/assets/',
    '/assets/css/app.css.map',
    '/favicon.ico',
    '/..',
    '/inbox/../../etc/passwd',
    '/inbox/',
    '/etc/passwd%00',
  ];
  for (const path of refused) {
    const r = await rawGet(s.url, path);
    assert.equal(r.status, 404, path);
    assert.equal(JSON.parse(r.body).error.code, 'not_found', path);
  }
  await s.stop();
});

test('the API keeps its own JSON answers; pages and files answer only GET and HEAD', async () => {
  const s = await startServer();
  const api = await fetch(`${s.url}/api/v1/nope`);
  assert.equal(api.status, 404);
  assert.equal((await api.json()).error.message, 'no such endpoint');
  assert.equal(api.headers.get('cache-control'), 'no-store');
  assert.equal(api.headers.get('etag'), null);
  assert.equal(api.headers.get('content-security-policy'), null);
  for (const path of ['/api', '/webhooks', '/webhooks/telegram'])
    assert.equal((await fetch(s.url + path)).status, 404, path);
  for (const [method, path] of [['POST', '/'], ['PUT', '/inbox/general'], ['DELETE', '/assets/js/main.js']]) {
    const r = await fetch(s.url + path, { method });
    assertError({ status: r.status, json: await r.json() }, 405, 'method_not_allowed');
  }
  await s.stop();
});

test('--web-dir (or CENTRALITA_WEB_DIR) serves the files from disk, changes included', async () => {
  const web = tempDir();
  mkdirSync(join(web, 'js'));
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>dev</title>');
  writeFileSync(join(web, 'js', 'main.js'), 'export const version = 1;\n');
  const s = await startServer({ args: ['--web-dir', web] });
  const first = await fetch(`${s.url}/assets/js/main.js`);
  assert.equal(await first.text(), 'export const version = 1;\n');
  const etag = first.headers.get('etag');
  assert.equal(etag, etagOf('export const version = 1;\n'));
  assert.equal((await fetch(`${s.url}/assets/js/main.js`, { headers: { 'if-none-match': etag } })).status, 304);
  writeFileSync(join(web, 'js', 'main.js'), 'export const version = 2;\n');
  const second = await fetch(`${s.url}/assets/js/main.js`, { headers: { 'if-none-match': etag } });
  assert.equal(second.status, 200);
  assert.equal(await second.text(), 'export const version = 2;\n');
  // From disk, as it is: no compressed copy to serve.
  const plain = await getRaw(`${s.url}/assets/js/main.js`, { 'accept-encoding': 'gzip' });
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.body.toString(), 'export const version = 2;\n');
  assert.equal(await (await fetch(`${s.url}/settings/users`)).text(), '<!doctype html><title>dev</title>');
  assert.equal((await rawGet(s.url, '/assets/../index.html')).status, 404);
  assert.equal((await fetch(`${s.url}/assets/js`)).status, 404);
  await s.stop();

  const env = await startServer({ env: { CENTRALITA_WEB_DIR: web } });
  assert.equal(await (await fetch(`${env.url}/`)).text(), '<!doctype html><title>dev</title>');
  await env.stop();

  for (const [args, extra, pattern] of [
    [['serve', '--web-dir', '/nonexistent'], {}, /--web-dir: expected a folder holding index.html/],
    [['serve'], { CENTRALITA_WEB_DIR: join(web, 'js') }, /CENTRALITA_WEB_DIR/],
  ]) {
    const r = cli(tempDir(), args, extra);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, pattern);
  }
});
