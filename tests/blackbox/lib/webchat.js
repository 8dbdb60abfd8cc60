// A web chat visitor, as widget.js talks to the server: the public visitor API with its
// token in X-Visitor-Token (never a cookie or a bearer token), and the page's Origin when
// given.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from './client.js';
import { openStream } from './sse.js';
import { until } from './until.js';

export class Visitor extends Client {
  constructor(url, key, { origin } = {}) {
    super(url);
    this.key = key;
    this.origin = origin;
    this.visitorToken = null;
  }

  request(method, path, body, headers = {}) {
    const h = {};
    if (this.origin) h.origin = this.origin;
    if (this.visitorToken) h['x-visitor-token'] = this.visitorToken;
    return super.request(method, path, { body, headers: { ...h, ...headers } });
  }

  // Starts (or resumes, with the token held) a session.
  async start(extra = {}) {
    const r = await this.request('POST', '/api/v1/webchat/session', { key: this.key, ...(this.visitorToken ? { token: this.visitorToken } : {}), ...extra });
    assert.ok(r.status === 200 || r.status === 201, r.text);
    this.visitorToken = r.json.token;
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
    await until(async () => {
      messages = await this.history();
      return messages.some((m) => m.direction === 'out' && pattern.test(m.text));
    }, `a reply to the visitor matching ${what}`);
    return messages;
  }

  // A single-use ticket for the stream, as widget.js asks for one.
  async ticket() {
    const r = await this.request('POST', '/api/v1/webchat/stream-ticket');
    assert.equal(r.status, 201, r.text);
    return r.json.ticket;
  }

  // Opens the visitor's stream with a fresh ticket (the token never goes in the URL).
  async stream(opts = {}) {
    return openStream({ url: this.url }, { ...opts, path: `/api/v1/webchat/stream?ticket=${encodeURIComponent(await this.ticket())}` });
  }
}

// Creates a web chat channel as admin and answers it.
export async function createWebchat(admin, extra = {}) {
  const r = await admin.post('/api/v1/channels', { kind: 'webchat', name: 'Web', ...extra });
  assert.equal(r.status, 201, r.text);
  return r.json.channel;
}
