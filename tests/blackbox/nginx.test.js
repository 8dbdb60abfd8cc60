// The README's proxy set-up, followed with a real nginx (installed by scripts/deps.sh test):
// its `location /` block, read from README.md itself so the two cannot drift, in a throwaway
// configuration on a free port, nginx running as an unprivileged user. Through it: a signed
// webhook is stored, the event stream is not buffered, the server sees each visitor's address
// (X-Forwarded-For, with --trusted-proxies naming nginx) and limits web chats per visitor, and a
// visitor's stream leaves no token in nginx's access log. On PostgreSQL, the README's upstream
// of several servers: requests reach both, and one server stopping changes nothing for clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, freePort, waitForLog } from './lib/server.js';
import { sql, PG } from './lib/db.js';
import { adminClient, requestFrom } from './lib/client.js';
import { CHANNELS, postMeta, whatsappText } from './lib/providers.js';
import { openStream } from './lib/sse.js';
import { Visitor, createWebchat } from './lib/webchat.js';
import { until } from './lib/until.js';

const README = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md');
const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => spawnSync(p, ['-v']).status === 0);
const NOBODY = 65534;

const readmeBlocks = () => [...readFileSync(README, 'utf8').matchAll(/```nginx\n([\s\S]*?)```/g)]
  .map((m) => m[1].split('\n').map((line) => line.trim()).join('\n'));

// The README's nginx location block, pointed at the server (or upstream) under test.
function readmeLocation(serverUrl) {
  const blocks = readmeBlocks().filter((b) => b.includes('location /'));
  assert.equal(blocks.length, 1, 'the README has one nginx location block');
  assert.match(blocks[0], /proxy_pass http:\/\/127\.0\.0\.1:8080;/);
  return blocks[0].replace('http://127.0.0.1:8080', serverUrl);
}

// The README's upstream of several servers, with the servers under test in place of its own.
function readmeUpstream(urls) {
  const blocks = readmeBlocks().filter((b) => b.includes('upstream centralita'));
  assert.equal(blocks.length, 1, 'the README has one upstream block');
  const servers = blocks[0].split('\n').filter((line) => line.startsWith('server '));
  assert.equal(servers.length, urls.length, 'as many servers as the README shows');
  let i = 0;
  return blocks[0].replace(/^server \S+/gm, () => `server ${new URL(urls[i++]).host}`);
}

// Starts nginx with only the README's location in a server on a free port, in front of one
// server or (several URLs) the README's upstream of them; as root, it runs as nobody (its
// folder is given to that user).
async function startNginx(...serverUrls) {
  assert.ok(NGINX, 'nginx is not installed: scripts/deps.sh test installs it');
  const dir = mkdtempSync(join(tmpdir(), 'centralita-nginx-'));
  const port = await freePort();
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((k) => `${k}_temp_path ${dir}/${k};`).join('\n  ');
  writeFileSync(join(dir, 'nginx.conf'), `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  ${temp}
  ${serverUrls.length > 1 ? readmeUpstream(serverUrls) : ''}
  server {
    listen 127.0.0.1:${port};
    ${readmeLocation(serverUrls.length > 1 ? 'http://centralita' : serverUrls[0])}
  }
}
`);
  const isRoot = process.getuid() === 0;
  if (isRoot) chownSync(dir, NOBODY, NOBODY);
  const child = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'], ...(isRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  let stderr = '';
  let exit = null;
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve((exit = { code, signal }))));
  const accepts = () => new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
    c.on('error', () => resolve(false));
  });
  await until(async () => {
    if (exit) throw new Error(`nginx exited ${JSON.stringify(exit)}: ${stderr}`);
    return accepts();
  }, 'nginx to listen');
  return {
    url: `http://127.0.0.1:${port}`,
    accessLog: () => readFileSync(join(dir, 'access.log'), 'utf8'),
    stop: async () => {
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let s, proxy, admin;
before(async () => {
  s = await startServer({ env: { CENTRALITA_TRUSTED_PROXIES: '127.0.0.1' } });
  proxy = await startNginx(s.url);
  admin = await adminClient(proxy);
});
after(async () => {
  await proxy?.stop();
  await s?.stop();
});

test('a signed webhook through nginx is stored, and its event reaches a stream at once', async () => {
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  const stream = await openStream(admin);
  assert.equal(stream.status, 200);
  assert.match(stream.headers['content-type'], /^text\/event-stream/);
  const r = await postMeta(proxy, 'whatsapp', whatsappText('34600111222', 'wamid.nginx-1', 'Hola por el proxy'));
  assert.equal(r.status, 200, r.text);
  assert.equal(sql(s, "SELECT text FROM messages WHERE provider_message_id = 'wamid.nginx-1'"), 'Hola por el proxy');
  // The stream stays open: the event arrives while nginx holds the connection, not at its end.
  await stream.waitFor((st) => st.events.some((e) => e.event === 'message.created'), 'the webhook\'s event through nginx');
  assert.equal(stream.ended, false);
  stream.close();
});

test('the server sees each visitor\'s own address through nginx, not one it wrote itself', async () => {
  const r = await requestFrom(proxy.url, '127.0.0.5', 'GET', '/healthz', { headers: { 'x-forwarded-for': '203.0.113.50' } });
  assert.equal(r.status, 200);
  await waitForLog(s, /127\.0\.0\.5 GET \/healthz 200/);
  assert.doesNotMatch(s.stderr, /203\.0\.113\.50/);
});

test('behind nginx, the limit of new web chats counts each visitor apart', async () => {
  const web = await createWebchat(admin);
  const start = (from) => requestFrom(proxy.url, from, 'POST', '/api/v1/webchat/session', { body: { key: web.widget_key } });
  for (let i = 0; i < 20; i++) assert.equal((await start('127.0.0.6')).status, 201);
  assert.equal((await start('127.0.0.6')).status, 429);
  assert.equal((await start('127.0.0.7')).status, 201);
  assert.equal(sql(s, "SELECT count(*) FROM webchat_visitors WHERE address = '127.0.0.6'"), '20');
  assert.equal(sql(s, "SELECT count(*) FROM webchat_visitors WHERE address = '127.0.0.7'"), '1');
});

test('a visitor\'s stream through nginx leaves no token in its access log', async () => {
  const web = await createWebchat(admin, { name: 'Tienda' });
  const v = new Visitor(proxy.url, web.widget_key);
  await v.start();
  assert.equal((await v.send('hola desde el proxy')).status, 201);
  const stream = await v.stream();
  assert.equal(stream.status, 200);
  stream.close();
  await until(() => /GET \/api\/v1\/webchat\/stream\?ticket=wst_/.test(proxy.accessLog()), 'the stream in nginx\'s access log');
  assert.ok(!proxy.accessLog().includes(v.visitorToken.slice(4)), 'the visitor token is in the access log');
});

test('two servers behind the README\'s upstream: both serve, and one stopping changes nothing for clients', { skip: !PG && 'PostgreSQL only (make blackbox-pg): one SQLite file has one server' }, async (t) => {
  const env = { CENTRALITA_TRUSTED_PROXIES: '127.0.0.1' };
  const one = await startServer({ env });
  const two = await startServer({ dir: one.dir, env });
  const lb = await startNginx(one.url, two.url);
  t.after(async () => {
    await lb.stop();
    await two.stop({ keepDir: true });
    await one.stop();
  });
  const client = await adminClient(lb);
  assert.equal((await client.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  for (let i = 0; i < 6; i++) {
    const r = await postMeta(lb, 'whatsapp', whatsappText('34600222333', `wamid.upstream-${i}`, `mensaje ${i}`));
    assert.equal(r.status, 200, r.text);
  }
  assert.equal(sql(one, "SELECT count(*) FROM messages WHERE provider_message_id LIKE 'wamid.upstream-%'"), '6');
  // nginx took turns: each server answered webhooks, and the session works on both.
  await waitForLog(one, /POST \/webhooks\/whatsapp 200/);
  await waitForLog(two, /POST \/webhooks\/whatsapp 200/);
  await two.stop({ keepDir: true });
  for (let i = 0; i < 4; i++) assert.equal((await client.get('/api/v1/me')).status, 200);
  const r = await postMeta(lb, 'whatsapp', whatsappText('34600222333', 'wamid.upstream-after', 'con un servidor'));
  assert.equal(r.status, 200, r.text);
  assert.equal(sql(one, "SELECT count(*) FROM messages WHERE provider_message_id = 'wamid.upstream-after'"), '1');
});
