// An API client that keeps the session cookie and CSRF token the way a browser would.
import assert from 'node:assert/strict';
import http from 'node:http';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './server.js';

export class Client {
  constructor(url) {
    this.url = url;
    this.cookie = null;
    this.csrf = null;
    this.token = null;
  }

  // Sends a request; body is JSON unless it is a string or Buffer (sent as is), labelled
  // application/json unless headers give another content-type.
  async request(method, path, { body, headers = {}, csrf = true } = {}) {
    const h = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    if (this.token) h.authorization = `Bearer ${this.token}`;
    if (csrf && this.csrf && method !== 'GET') h['x-csrf-token'] = this.csrf;
    let payload = body;
    if (body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body)) payload = JSON.stringify(body);
    if (body !== undefined && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
      h['content-type'] = 'application/json';
    }
    const res = await fetch(this.url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const value = setCookie.split(';')[0];
      this.cookie = value.endsWith('=') ? null : value;
    }
    return { status: res.status, json, text, headers: res.headers };
  }

  get(path, opts) { return this.request('GET', path, opts); }
  post(path, body, opts = {}) { return this.request('POST', path, { ...opts, body }); }
  patch(path, body, opts = {}) { return this.request('PATCH', path, { ...opts, body }); }
  put(path, body, opts = {}) { return this.request('PUT', path, { ...opts, body }); }
  del(path, opts) { return this.request('DELETE', path, opts); }

  async login(email, password) {
    const r = await this.post('/api/v1/session', { email, password });
    assert.equal(r.status, 200, r.text);
    this.csrf = r.json.csrf_token;
    return r.json.user;
  }
}

export async function adminClient(server) {
  const c = new Client(server.url);
  await c.login(ADMIN_EMAIL, ADMIN_PASSWORD);
  return c;
}

// Creates an agent (through the API, as admin; role 'restricted' for a restricted one) and
// returns a client logged in as them.
export async function agentClient(server, admin, email, name = 'Agent', { role = 'agent' } = {}) {
  const password = 'agent-password-123';
  const r = await admin.post('/api/v1/users', { email, name, role, password });
  assert.equal(r.status, 201, r.text);
  const c = new Client(server.url);
  c.user = await c.login(email, password);
  return c;
}

// Asserts an API error answer: status and error code, with a message for people.
export function assertError(r, status, code) {
  assert.equal(r.status, status, r.text);
  assert.equal(r.json?.error?.code, code, r.text);
  assert.ok(r.json.error.message.length > 0);
}

// Every conversation the client may see, page after page of the list.
export async function allConversations(client) {
  const all = [];
  for (let cursor = ''; ;) {
    const r = await client.get(`/api/v1/conversations?limit=100${cursor}`);
    assert.equal(r.status, 200, r.text);
    all.push(...r.json.conversations);
    if (!r.json.next_cursor) return all;
    cursor = `&cursor=${encodeURIComponent(r.json.next_cursor)}`;
  }
}

// One request on a connection of its own from the loopback address `from` (127.x.y.z, ::1): a
// client that is not the tests' usual 127.0.0.1. Answers { status, text, headers }.
export function requestFrom(url, from, method, path, { headers = {}, body } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const h = { ...headers };
  if (payload !== undefined) Object.assign(h, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}${path}`, { method, agent: false, localAddress: from, headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
