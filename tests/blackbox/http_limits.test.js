// The HTTP server's limits from outside, over raw sockets: a request's headers must arrive
// before a deadline (a client trickling bytes is cut), connections per client address are
// capped while other addresses are served, the descriptor limit is raised at start, and a
// request whose body framing is ambiguous is refused with 400 and its connection closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startServer, dump } from './lib/server.js';
import { adminClient } from './lib/client.js';

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

async function until(check, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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
    await until(() => c.received.includes('{"status":"ok"}'), 'an answer on a held connection');
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
