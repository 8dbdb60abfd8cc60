// Outbound webhooks: the company's own endpoints hear of events, signed, in order per
// conversation, at least once; they are refused private addresses unless the operator allows
// them, at save time and at connect time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.js';
import { sql } from './lib/db.js';
import { adminClient, agentClient, assertError } from './lib/client.js';
import { startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, customerWrites } from './lib/providers.js';
import { startReceiver, verifySignature } from './lib/webhook_receiver.js';
import { until } from './lib/until.js';

const ALL = ['conversation.created', 'message.created', 'message.updated', 'conversation.assigned',
  'conversation.transferred', 'conversation.resolved', 'contact.updated'];

let fake, server, admin, receiver;
let phone = 34655000000;
const nextPhone = () => String(++phone);

before(async () => {
  fake = await startFakeProvider();
  receiver = await startReceiver();
  server = await startServer({ env: { ...fake.env, CENTRALITA_WEBHOOKS_ALLOW_PRIVATE: '1', CENTRALITA_WEBHOOKS_TIMEOUT_MS: '1000' } });
  admin = await adminClient(server);
  assert.equal((await admin.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
});

after(async () => {
  await server.stop();
  await receiver.stop();
  await fake.stop();
});

// A new endpoint on receiver (its own path, so tests do not see each other's posts).
async function register(events, path) {
  const r = await admin.post('/api/v1/webhooks', { url: `http://127.0.0.1:${receiver.port}/${path}`, events });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  return { ...r.json.webhook, secret: r.json.secret };
}

const postsTo = (path) => receiver.received.filter((r) => r.path === `/${path}`);
const deliveredTo = (path) => receiver.delivered().filter((r) => r.path === `/${path}`);

test('an endpoint is registered once with its secret, listed, changed, its secret rotated, deleted', async () => {
  const hook = await register(['message.created'], 'crud');
  assert.equal(hook.enabled, true);
  assert.deepEqual(hook.events, ['message.created']);
  const got = await admin.get(`/api/v1/webhooks/${hook.id}`);
  assert.equal(got.status, 200);
  assert.equal(got.json.secret, undefined, 'the secret is shown once only');
  assert.ok(!got.text.includes(hook.secret));
  assert.ok((await admin.get('/api/v1/webhooks')).json.webhooks.some((w) => w.id === hook.id));
  const changed = await admin.patch(`/api/v1/webhooks/${hook.id}`, { events: ['conversation.resolved', 'message.updated'], enabled: false });
  assert.equal(changed.status, 200, changed.text);
  assert.deepEqual(changed.json.webhook.events, ['conversation.resolved', 'message.updated']);
  assert.equal(changed.json.webhook.enabled, false);
  assert.equal(changed.json.webhook.disabled_reason, 'disabled by an admin');
  const rotated = await admin.post(`/api/v1/webhooks/${hook.id}/secret`);
  assert.equal(rotated.status, 200, rotated.text);
  assert.match(rotated.json.secret, /^whsec_/);
  assert.notEqual(rotated.json.secret, hook.secret);
  const sealed = sql(server, `SELECT secret FROM webhooks WHERE id = ${hook.id}`);
  assert.ok(!sealed.includes(rotated.json.secret.slice(6)), 'the secret is stored sealed');
  assert.equal((await admin.del(`/api/v1/webhooks/${hook.id}`)).status, 200);
  assertError(await admin.get(`/api/v1/webhooks/${hook.id}`), 404, 'not_found');
  const agent = await agentClient(server, admin, 'hooks-agent@example.com');
  assertError(await agent.get('/api/v1/webhooks'), 403, 'forbidden');
});

test('bad endpoints are refused with a clear error and change nothing', async () => {
  const before = sql(server, 'SELECT count(*) FROM webhooks') + sql(server, 'SELECT count(*) FROM webhook_subscriptions');
  const url = `http://127.0.0.1:${receiver.port}/bad`;
  const cases = [
    [{ url: 'ftp://example.com/hook', events: ['message.created'] }, 400, /http:\/\/ or https:\/\//],
    [{ url: 'javascript:alert(1)', events: ['message.created'] }, 400, /http:\/\/ or https:\/\//],
    [{ url: `http://example.com/${'a'.repeat(2048)}`, events: ['message.created'] }, 400, /longer than 2048/],
    [{ url: 'http://exa mple.com/', events: ['message.created'] }, 400, /not a valid URL/],
    [{ url, events: ['message.deleted'] }, 400, /'message.deleted', which is not an event type/],
    [{ url, events: ['message.created', 'message.created'] }, 400, /twice/],
    [{ url, events: [] }, 400, /non-empty array/],
    [{ url, events: 'message.created' }, 400, /non-empty array/],
    [{ url }, 400, /events/],
    [{ url, events: ['message.created'], secret: 'mine' }, 400, /secret/],
  ];
  for (const [body, status, message] of cases) {
    const r = await admin.post('/api/v1/webhooks', body);
    assert.equal(r.status, status, `${JSON.stringify(body).slice(0, 80)}: ${r.text}`);
    assert.match(r.json.error.message, message);
  }
  const hook = await register(['message.created'], 'bad');
  const patched = await admin.patch(`/api/v1/webhooks/${hook.id}`, { url: 'gopher://x/', events: ['nope'] });
  assertError(patched, 400, 'invalid_request');
  assert.equal((await admin.get(`/api/v1/webhooks/${hook.id}`)).json.webhook.url, `http://127.0.0.1:${receiver.port}/bad`);
  assert.equal((await admin.del(`/api/v1/webhooks/${hook.id}`)).status, 200);
  assert.equal(sql(server, 'SELECT count(*) FROM webhooks') + sql(server, 'SELECT count(*) FROM webhook_subscriptions'), before);
});

test('every event type reaches the endpoint signed, as the API answers its object', async () => {
  const hook = await register(ALL, 'all');
  const ventas = (await admin.post('/api/v1/teams', { name: 'Ventas Hooks' })).json.team;
  const agent = await agentClient(server, admin, 'hooks-ana@example.com', 'Ana');
  assert.equal((await admin.post(`/api/v1/teams/${ventas.id}/members`, { user_id: agent.user.id })).status, 201);
  const conv = await customerWrites(server, 'whatsapp', nextPhone(), 'Hola, quiero información');
  const api = (await admin.get(`/api/v1/conversations/${conv}`)).json.conversation;
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/messages`, { text: 'Buenos días' })).status, 201);
  await fake.waitForSent(1, { kind: 'whatsapp' });
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/transfer`, { team_id: ventas.id })).status, 200);
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/assign`, { user_id: agent.user.id })).status, 200);
  assert.equal((await admin.post(`/api/v1/conversations/${conv}/resolve`)).status, 200);
  assert.equal((await admin.patch(`/api/v1/contacts/${api.contact.id}`, { name: 'Cliente Renombrado' })).status, 200);

  const types = (posts) => new Set(posts.map((r) => r.json.type));
  await receiver.waitFor(() => ALL.every((t) => types(deliveredTo('all')).has(t)), 'one delivery of every type');
  for (const r of deliveredTo('all')) {
    assert.equal(r.method, 'POST');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.ok(verifySignature(r.headers['x-centralita-signature'], r.body, hook.secret), `signature of ${r.json.type}`);
    assert.ok(!verifySignature(r.headers['x-centralita-signature'], r.body, `${hook.secret}x`));
    assert.ok(!verifySignature(r.headers['x-centralita-signature'], `${r.body} `, hook.secret));
    assert.equal(r.headers['x-centralita-event'], r.json.type);
    assert.ok(Number.isInteger(r.json.event_id));
  }
  const ids = deliveredTo('all').map((r) => r.json.event_id);
  assert.equal(new Set(ids).size, ids.length, 'each event once');
  const of = (type) => deliveredTo('all').filter((r) => r.json.type === type).map((r) => r.json);
  const [created] = of('conversation.created');
  assert.equal(created.conversation.id, conv);
  assert.equal(created.conversation.contact.id, api.contact.id);
  assert.equal(created.conversation.channel.kind, 'whatsapp');
  const texts = of('message.created').map((m) => [m.message.direction, m.message.text]);
  assert.deepEqual(texts, [['in', 'Hola, quiero información'], ['out', 'Buenos días']]);
  assert.ok(of('message.updated').some((m) => m.message.text === 'Buenos días' && m.message.status === 'sent'));
  assert.equal(of('conversation.transferred')[0].conversation.team.id, ventas.id);
  assert.equal(of('conversation.assigned')[0].conversation.assignee.id, agent.user.id);
  assert.equal(of('conversation.resolved')[0].conversation.status, 'resolved');
  assert.equal(of('contact.updated')[0].contact.name, 'Cliente Renombrado');
  // One conversation's deliveries left in the order of its events.
  const ordered = deliveredTo('all').filter((r) => r.json.conversation?.id === conv || r.json.message?.conversation_id === conv);
  assert.deepEqual(ordered.map((r) => r.json.event_id), [...ordered.map((r) => r.json.event_id)].sort((a, b) => a - b));
  // The log shows each delivery with its last attempt (later statuses may still be on their way).
  const log = await until(async () => {
    const list = (await admin.get(`/api/v1/webhooks/${hook.id}/deliveries`)).json.deliveries;
    return list.every((d) => d.state === 'delivered') && list;
  }, 'every delivery recorded');
  assert.ok(log.length >= ALL.length);
  assert.ok(log.every((d) => d.last_attempt.status === 200 && d.last_attempt.answer === 'ok' && d.last_attempt.error === null), JSON.stringify(log));
  assert.equal((await admin.del(`/api/v1/webhooks/${hook.id}`)).status, 200);
});

test('500s and timeouts are retried with backoff, the order per conversation kept', async () => {
  const hook = await register(['conversation.created', 'message.created'], 'retry');
  receiver.failNext('/retry', 1, 500);
  receiver.failNext('/retry', 1, 'hang');
  const from = nextPhone();
  const conv = await customerWrites(server, 'whatsapp', from, 'uno');
  await customerWrites(server, 'whatsapp', from, 'dos');
  await customerWrites(server, 'whatsapp', from, 'tres');
  await receiver.waitFor(() => deliveredTo('retry').length === 4, 'the four deliveries', 30000);
  const posts = postsTo('retry');
  assert.deepEqual(posts.slice(0, 3).map((r) => r.answer), [500, 'hang', 200]);
  // The first event was tried three times with the same body, and nothing after it went first.
  assert.equal(posts[0].body, posts[1].body);
  assert.equal(posts[1].body, posts[2].body);
  assert.equal(posts[0].json.type, 'conversation.created');
  assert.equal(posts[0].json.conversation.id, conv);
  const delivered = deliveredTo('retry').map((r) => r.json);
  assert.deepEqual(delivered.map((d) => d.type), ['conversation.created', 'message.created', 'message.created', 'message.created']);
  assert.deepEqual(delivered.slice(1).map((d) => d.message.text), ['uno', 'dos', 'tres']);
  assert.deepEqual(delivered.map((d) => d.event_id), delivered.map((d) => d.event_id).sort((a, b) => a - b));
  const log = (await admin.get(`/api/v1/webhooks/${hook.id}/deliveries`)).json.deliveries;
  const first = log.find((d) => d.event_id === posts[0].json.event_id);
  assert.equal(first.attempts, 3);
  const attempts = sql(server, `SELECT coalesce(CAST(status AS TEXT), '-') || ' ' || coalesce(error, 'ok') FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = ${hook.id} AND d.event_id = ${first.event_id} ORDER BY a.id`).split('\n');
  assert.deepEqual(attempts, ['500 answered HTTP 500', '- no answer within 1000 ms', '200 ok']);
  assert.equal((await admin.get(`/api/v1/webhooks/${hook.id}`)).json.webhook.failing_since, null);
  assert.equal((await admin.del(`/api/v1/webhooks/${hook.id}`)).status, 200);
});

test('an endpoint failing for its whole period is disabled, saying why; enabled again, what waited goes; send again', async () => {
  const hook = await register(['conversation.created'], 'failing');
  // The period is the endpoint's own, shortened here through the store (not a clock).
  sql(server, `UPDATE webhooks SET disable_after_ms = 1500 WHERE id = ${hook.id}`);
  receiver.failNext('/failing', 50, 503);
  await customerWrites(server, 'whatsapp', nextPhone(), 'hola');
  const disabled = await until(async () => {
    const w = (await admin.get(`/api/v1/webhooks/${hook.id}`)).json.webhook;
    return !w.enabled && w;
  }, 'the endpoint to be disabled', 30000);
  assert.match(disabled.disabled_reason, /^every attempt failed for \d+ s; the last one: answered HTTP 503$/);
  assert.ok(disabled.disabled_at > 0);
  const tries = postsTo('failing').length;
  assert.ok(tries >= 2);
  const log = (await admin.get(`/api/v1/webhooks/${hook.id}/deliveries`)).json.deliveries;
  assert.equal(log.length, 1);
  assert.equal(log[0].last_attempt.status, 503);
  assert.equal(log[0].last_attempt.answer, '<b>no</b> 503', 'the answer is kept as text; the UI escapes it');
  // While disabled it hears of nothing new, and sending again is refused.
  await customerWrites(server, 'whatsapp', nextPhone(), 'otra');
  assert.equal(sql(server, `SELECT count(*) FROM webhook_deliveries WHERE webhook_id = ${hook.id}`), '1');
  assertError(await admin.post(`/api/v1/webhooks/${hook.id}/deliveries/${log[0].id}/resend`), 409, 'conflict');
  receiver.clearFailures('/failing');
  const enabled = await admin.patch(`/api/v1/webhooks/${hook.id}`, { enabled: true });
  assert.equal(enabled.json.webhook.disabled_reason, null);
  await receiver.waitFor(() => deliveredTo('failing').length === 1, 'the waiting delivery once enabled');
  assert.equal(postsTo('failing').length, tries + 1);
  await until(async () => (await admin.get(`/api/v1/webhooks/${hook.id}/deliveries`)).json.deliveries[0].state === 'delivered',
    'the delivery recorded as delivered');
  // Send again: the same event, a new attempt.
  const again = await admin.post(`/api/v1/webhooks/${hook.id}/deliveries/${log[0].id}/resend`);
  assert.equal(again.status, 200, again.text);
  await receiver.waitFor(() => deliveredTo('failing').length === 2, 'the delivery sent again');
  const [a, b] = deliveredTo('failing');
  assert.equal(a.json.event_id, b.json.event_id);
  assert.equal(a.body, b.body);
  assertError(await admin.post(`/api/v1/webhooks/${hook.id}/deliveries/999999/resend`), 404, 'not_found');
  assert.equal((await admin.del(`/api/v1/webhooks/${hook.id}`)).status, 200);
});

test('without the opt-in, a name that resolves to 127.0.0.1 is refused at save time and at connect time', async (t) => {
  const guarded = await startServer({ env: { ...fake.env, CENTRALITA_WEBHOOKS_TIMEOUT_MS: '1000' } });
  t.after(() => guarded.stop());
  const a = await adminClient(guarded);
  assert.equal((await a.post('/api/v1/channels', CHANNELS.whatsapp)).status, 201);
  for (const url of [`http://localhost:${receiver.port}/x`, `http://127.0.0.1:${receiver.port}/x`, 'http://[::1]/x',
    'http://169.254.169.254/latest/meta-data/', 'http://10.1.2.3/', 'http://192.168.0.10/', 'http://[fd00:ec2::254]/',
    'http://[::ffff:127.0.0.1]/', 'http://0.0.0.0/', 'http://100.100.100.200/']) {
    const r = await a.post('/api/v1/webhooks', { url, events: ['conversation.created'] });
    assertError(r, 422, 'unprocessable');
    assert.match(r.json.error.message, /resolves to .*(loopback|private|link-local|metadata|unspecified|carrier-grade).*public addresses only/, url);
  }
  assert.equal(sql(guarded, 'SELECT count(*) FROM webhooks'), '0');
  // An address that was public when saved: the name now resolving to 127.0.0.1 (the stored
  // URL changed behind the server's back, as DNS may) is refused when connecting.
  const r = await a.post('/api/v1/webhooks', { url: 'http://203.0.113.9:9/hook', events: ['conversation.created'] });
  assert.equal(r.status, 201, r.text);
  const id = r.json.webhook.id;
  sql(guarded, `UPDATE webhooks SET url = 'http://localhost:${receiver.port}/rebound' WHERE id = ${id}`);
  await customerWrites(guarded, 'whatsapp', nextPhone(), 'hola');
  const refused = await until(async () => {
    const [d] = (await a.get(`/api/v1/webhooks/${id}/deliveries`)).json.deliveries;
    return d?.last_attempt && d;
  }, 'an attempt');
  assert.match(refused.last_attempt.error, /^refused to connect to (127\.0\.0\.1|::1): a loopback address$/);
  assert.equal(refused.last_attempt.status, null);
  assert.equal(refused.state, 'waiting');
  assert.deepEqual(postsTo('rebound'), [], 'nothing reached the receiver');
});
