// The HTTP server's limits from outside, over raw sockets: a request's headers must arrive
// before a deadline (a client trickling bytes is cut), connections per client address are
// capped while other addresses are served, the descriptor limit is raised at start and a
// reserve of it kept (idle sockets piling up never starve the outbox), and a request whose
// body framing is ambiguous is refused with 400 and its connection closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { startServer } from './lib/server.js';
import { dump } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, sign, whatsappText } from './lib/providers.js';
import { until } from './lib/until.js';

const port = (server) => Number(new URL(server.url).port);

// A raw connection from localAddress (127.0.0.2 is another client on loopback), with what it
// received and whether the server ended it.
function connect(server, localAddress = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port: port(server), localAddress });
    const conn = { socket, received: '', ended: false };
    socket.setEncoding('latin1');
    socket.on('data', (d) => (conn.received += d));
    socket.on('close', () => (conn.ended = true));
    socket.on('error', () => (conn.ended = true));
    socket.once('connect', () => resolve(conn));
    socket.once('error', reject);
  });
}

// Sends a whole request on a new connection and waits for the server to close it.
async function exchange(server, request) {
  const conn = await connect(server);
  conn.socket.write(request, 'latin1');
  await until(() => conn.ended, 'the server to close the connection');
  return conn.received;
}

test('a client trickling its headers is cut at the deadline; others are served', async (t) => {
  const s = await startServer({ args: ['--header-timeout', '1000'] });
  t.after(() => s.stop());
  const slow = await connect(s);
  const started = Date.now();
  slow.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
  // A byte every 100 ms keeps libmicrohttpd's idle timeout (60 s) from ever firing.
  const trickle = setInterval(() => !slow.ended && slow.socket.write('a'), 100);
  t.after(() => clearInterval(trickle));
  await until(() => slow.ended, 'the trickling client to be cut', 20000);
  clearInterval(trickle);
  assert.ok(Date.now() - started >= 900, `cut after ${Date.now() - started} ms, before the deadline`);
  assert.equal(slow.received, '');
  const r = await fetch(`${s.url}/healthz`);
  assert.equal(r.status, 200);
});

test('beyond the per-address cap a connection is refused; another address is served', async (t) => {
  const s = await startServer({ args: ['--connections-per-address', '4'] });
  t.after(() => s.stop());
  // Four kept-alive connections, each answered once, so the server holds all four.
  const held = [];
  for (let i = 0; i < 4; i++) {
    const c = await connect(s);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => c.received.includes('"status":"ok"'), 'an answer on a held connection');
    held.push(c);
  }
  const fifth = await connect(s);
  fifth.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => fifth.ended, 'the fifth connection to be closed');
  assert.equal(fifth.received, '');
  const other = await connect(s, '127.0.0.2');
  other.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  await until(() => other.ended, 'the other address to be answered');
  assert.match(other.received, /^HTTP\/1\.1 200 /);
  for (const c of held) c.socket.destroy();
});

test('the descriptor limit is raised to the hard limit at start', async (t) => {
  const s = await startServer({ wrap: ['prlimit', '--nofile=256:'] });
  t.after(() => s.stop());
  const [, soft, hard] = readFileSync(`/proc/${s.child.pid}/limits`, 'utf8').match(/Max open files\s+(\d+)\s+(\d+)/);
  assert.ok(Number(hard) > 256, 'this test needs a hard limit above 256');
  assert.equal(soft, hard);
  await until(() => /serving at most \d+ connections/.test(s.stderr), 'the limit in the log');
});

test('with connections at their limit, a webhook is stored and its reply still sent', async (t) => {
  const fake = await startFakeProvider();
  t.after(() => fake.stop());
  // 600 descriptors and no way to raise them: the server may hold 300 connections and
  // streams, 75 of them connections.
  const s = await startServer({ env: fake.env, args: ['--header-timeout', '60000'], wrap: ['prlimit', '--nofile=600:600'] });
  t.after(() => s.stop());
  const limit = Number((await until(() => s.stderr.match(/serving at most (\d+) connections and \d+ event streams \(600 file/), 'the limit in the log'))[1]);
  const admin = await adminClient(s);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  const routing = await admin.put('/api/v1/routing', { enabled: true,
    welcome_message: 'Hola, ¿en qué te ayudo?', fallback_message: 'No te he entendido.', options: [{ answers: ['1'], reply: 'Vale.' }] });
  assert.equal(routing.status, 200, routing.text);
  // A connection the provider opened before the pile-up, kept alive.
  const provider = await connect(s);
  provider.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await until(() => provider.received.includes('"status":"ok"'), 'the provider connection to be served');
  // More idle sockets than the process has descriptors, from another address: beyond the
  // limit they wait in the listen queue, so the descriptors left are the reserve's.
  const idle = [];
  t.after(() => idle.forEach((c) => c.socket.destroy()));
  for (let i = 0; i < 700; i++) idle.push(await connect(s, '127.0.0.3'));
  const sockets = () => readdirSync(`/proc/${s.child.pid}/fd`)
    .filter((fd) => { try { return readlinkSync(`/proc/${s.child.pid}/fd/${fd}`).startsWith('socket:'); } catch { return false; } }).length;
  await until(() => sockets() > limit, () => `the server to hold its ${limit} connections (it holds ${sockets()} sockets)`);
  // The webhook is stored, and its welcome goes out: the outbox still gets a socket.
  const body = whatsappText('34600555000', 'wamid.reserve-1', 'Hola');
  provider.received = '';
  provider.socket.write(`POST /webhooks/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `X-Hub-Signature-256: ${sign(body, CHANNELS.whatsapp.app_secret)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  await until(() => /\r\n\r\n/.test(provider.received), 'the webhook to be answered');
  assert.match(provider.received, /^HTTP\/1\.1 200 /);
  const [welcome] = await fake.waitForSent(1, { kind: 'whatsapp', to: '34600555000', timeout: 15000 });
  assert.equal(welcome.text, 'Hola, ¿en qué te ayudo?');
  assert.doesNotMatch(s.stderr, /Too many open files/);
  provider.socket.destroy();
});

test('ambiguous framing is refused with 400 and the connection closed; nothing is stored', async (t) => {
  const s = await startServer();
  t.after(() => s.stop());
  await adminClient(s);
  const before = dump(s, { except: ['sessions'] });
  const body = '{"name":"Ventas"}';
  const smuggled = 'GET /api/v1/nope HTTP/1.1\r\nHost: x\r\n\r\n';
  const head = 'POST /api/v1/teams HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
  const cases = {
    'both Content-Length and Transfer-Encoding': `${head}Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n${smuggled}`,
    'more than one Content-Length': `${head}Content-Length: ${body.length}\r\nContent-Length: 0\r\n\r\n${body}${smuggled}`,
    'more than one Content-Length, equal': `${head}Content-Length: ${body.length}\r\nContent-Length: ${body.length}\r\n\r\n${body}${smuggled}`,
    'a Transfer-Encoding other than chunked': `${head}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n${smuggled}`,
    'more than one Transfer-Encoding': `${head}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`,
  };
  for (const [what, request] of Object.entries(cases)) {
    const answer = await exchange(s, request);
    assert.match(answer, /^HTTP\/1\.1 400 /, what);
    assert.equal(answer.match(/HTTP\/1\.1 /g).length, 1, `${what}: the smuggled request was answered`);
    const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    assert.equal(json.error.code, 'invalid_request', what);
    assert.match(json.error.message, /^ambiguous request framing: /, what);
  }
  // HTTP/1.1 without Host is refused too (libmicrohttpd's strict mode).
  assert.match(await exchange(s, 'GET /healthz HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400 /);
  assert.equal(dump(s, { except: ['sessions'] }), before);
  // A well-framed request on the same server is served.
  assert.match(await exchange(s, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 200 /);
});
