// A web chat visitor, as widget.js talks to the server: the public visitor API with the
// token in X-Visitor-Token, and the page's Origin when given. Also a poll-until helper.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openStream } from './sse.js';

export class Visitor {
  constructor(url, key, { origin } = {}) {
    this.url = url;
    this.key = key;
    this.origin = origin;
    this.token = null;
  }

  async request(method, path, body, headers = {}) {
    const h = {};
    if (this.origin) h.origin = this.origin;
    if (this.token) h['x-visitor-token'] = this.token;
    if (body !== undefined) h['content-type'] = 'application/json';
    Object.assign(h, headers);
    const payload = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(this.url + path, { method, headers: h, body: payload });
    const text = await res.text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
    return { status: res.status, json, text, headers: res.headers };
  }

  // Starts (or resumes, with the token held) a session.
  async start(extra = {}) {
    const r = await this.request('POST', '/api/v1/webchat/session', { key: this.key, ...(this.token ? { token: this.token } : {}), ...extra });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    this.token = r.json.token;
    return r;
  }

  send(text, clientId = randomUUID()) {
    return this.request('POST', '/api/v1/webchat/messages', { text, client_id: clientId });
  }

  async history(after = 0) {
    const r = await this.request('GET', `/api/v1/webchat/messages?after=${after}`);
    assert.equal(r.status, 200, r.text);
    return r.json.messages;
  }

  // Waits until the history holds an outgoing message whose text matches.
  async waitForReply(pattern, what = String(pattern)) {
    let messages = [];
    await waitUntil(async () => {
      messages = await this.history();
      return messages.some((m) => m.direction === 'out' && pattern.test(m.text));
    }, `a reply to the visitor matching ${what}`);
    return messages;
  }

  stream() {
    return openStream({ url: this.url }, { path: `/api/v1/webchat/stream?token=${encodeURIComponent(this.token)}` });
  }
}

// Creates a web chat channel as admin and answers it.
export async function createWebchat(admin, extra = {}) {
  const r = await admin.post('/api/v1/channels', { kind: 'webchat', name: 'Web', ...extra });
  assert.equal(r.status, 201, r.text);
  return r.json.channel;
}

export async function waitUntil(pred, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
