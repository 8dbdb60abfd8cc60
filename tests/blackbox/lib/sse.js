// A Server-Sent Events reader over raw http.get (no keep-alive agent): one connection per
// stream, the events parsed as they arrive, and waits with a deadline.
import http from 'node:http';
import { until } from './until.js';

// Opens GET path (default /api/v1/events) as client (its cookie or token), from localAddress
// when given (127.0.0.2 is another client on loopback); resolves once the answer's head
// arrived, with { status, headers, events, comments, text, res, waitFor, close } (res.pause()
// stops reading).
export function openStream(client, { path = '/api/v1/events', lastEventId, localAddress } = {}) {
  const headers = { accept: 'text/event-stream' };
  if (client.cookie) headers.cookie = client.cookie;
  if (client.token) headers.authorization = `Bearer ${client.token}`;
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  return new Promise((resolve, reject) => {
    const req = http.get(client.url + path, { headers, agent: false, localAddress }, (res) => {
      const stream = { status: res.statusCode, headers: res.headers, events: [], comments: [], text: '', ended: false, res };
      let pending = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        stream.text += chunk;
        pending += chunk;
        let at;
        while ((at = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, at);
          pending = pending.slice(at + 2);
          const ev = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) stream.comments.push(line);
            else if (line.startsWith('id: ')) ev.id = Number(line.slice(4));
            else if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('data: ')) ev.data = JSON.parse(line.slice(6));
          }
          if (ev.event) stream.events.push(ev);
        }
      });
      res.on('end', () => (stream.ended = true));
      res.on('error', () => (stream.ended = true));
      stream.close = () => req.destroy();
      // Waits until pred(stream) holds.
      stream.waitFor = (pred, what, timeoutMs = 5000) =>
        until(() => pred(stream), () => `${what}; got:\n${stream.text.slice(-2000)}`, timeoutMs);
      resolve(stream);
    });
    req.on('error', reject);
  });
}

// The event of kind about conversation, or undefined.
export function findEvent(stream, kind, conversationId) {
  return stream.events.find((e) => e.event === kind && e.data.conversation_id === conversationId);
}
