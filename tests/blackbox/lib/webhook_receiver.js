// A company's own webhook endpoint on 127.0.0.1, for the outbound webhooks: it keeps every
// POST (headers and raw body) and answers as told — 200 unless failNext queued other answers
// for a path (an HTTP status, or 'hang': no answer at all, until the server gives up).
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { until } from './until.js';

// The documented check (docs/API.md): X-Centralita-Signature is t=<unix seconds>,v1=<hex
// HMAC-SHA256 of "<t>.<raw body>" keyed with the secret>; a t too far from now is a replay.
export function verifySignature(header, rawBody, secret, toleranceS = 300) {
  const parts = Object.fromEntries(String(header).split(',').map((p) => p.split('=')));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(Date.now() / 1000 - t) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export async function startReceiver() {
  const received = [];
  const plans = new Map(); // path → the next answers
  const hung = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const plan = plans.get(req.url) ?? [];
      const answer = plan.length > 0 ? plan.shift() : 200;
      let json = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      received.push({ method: req.method, path: req.url, headers: req.headers, body, json, answer });
      if (answer === 'hang') {
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/html' });
      res.end(answer < 300 ? 'ok' : `<b>no</b> ${answer}`);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    port,
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    // The next n posts to path get answer (a status or 'hang').
    failNext(path, n, answer) {
      if (!plans.has(path)) plans.set(path, []);
      for (let i = 0; i < n; i++) plans.get(path).push(answer);
    },
    clearFailures(path) {
      plans.delete(path);
    },
    // The posts answered 2xx.
    delivered() {
      return received.filter((r) => typeof r.answer === 'number' && r.answer < 300);
    },
    waitFor(check, what, timeoutMs = 20000) {
      return until(() => check(received), () => `${what}; received: ${received.map((r) => `${r.json?.type}#${r.json?.event_id}→${r.answer}`).join(' ')}`, timeoutMs);
    },
    async stop() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
