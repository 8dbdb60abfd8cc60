// Group commit of webhooks: many in flight at once are each answered after their commit
// and stored exactly once; a failing delivery fails alone; a failed commit fails the whole
// group and stores nothing; and routing's cached configuration follows every save.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, cli } from './lib/server.js';
import { sql, lockDatabase, PG } from './lib/db.js';
import { adminClient } from './lib/client.js';
import { CHANNELS, connectAll, customerWrites, sign } from './lib/providers.js';

let s, admin;
before(async () => {
  // A write waits 1 s for another process's lock (5 s by default): the failed group waits it out.
  s = await startServer({ env: { CENTRALITA_BUSY_TIMEOUT_MS: '1000' } });
  admin = await adminClient(s);
  await connectAll(admin);
});
after(async () => s.stop());

// A signed WhatsApp text from contact `from` with message id `wamid.<id>`.
function whatsappText(from, id, text = 'Hola') {
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [{ field: 'messages', value: {
    messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: CHANNELS.whatsapp.phone_number_id },
    contacts: [{ profile: { name: `Cliente ${from}` }, wa_id: from }],
    messages: [{ from, id: `wamid.${id}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }] } }] }] });
}

// Posts bodies at once over `connections` keep-alive connections; the answers in order.
// Its `written` resolves once every request is out on its connection.
function postAll(bodies, connections) {
  const written = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(`${s.url}/webhooks/whatsapp`);
  const post = (body) => new Promise((resolve, reject) => {
    const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        'x-hub-signature-256': sign(body, CHANNELS.whatsapp.app_secret) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, text, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    written.push(new Promise((w) => req.on('finish', w)));
    req.end(body);
  });
  const answers = Promise.all(bodies.map(post)).finally(() => agent.destroy());
  answers.written = Promise.all(written);
  return answers;
}

const count = (where) => Number(sql(s, `SELECT count(*) FROM messages WHERE ${where}`));

test('200 webhooks in flight over 20 connections: each answered 200 and stored exactly once', async () => {
  const bodies = Array.from({ length: 200 }, (_, i) => whatsappText(`3461000${String(i).padStart(4, '0')}`, `many-${i}`));
  const answers = await postAll(bodies, 20);
  for (const a of answers) assert.deepEqual([a.status, a.json], [200, { stored: 1, duplicates: 0 }], a.text);
  assert.equal(count("provider_message_id LIKE 'wamid.many-%'"), 200);
  assert.equal(Number(sql(s, "SELECT count(DISTINCT provider_message_id) FROM messages WHERE provider_message_id LIKE 'wamid.many-%'")), 200);
  assert.equal(Number(sql(s, "SELECT count(*) FROM contact_identities WHERE external_id LIKE '3461000%'")), 200);
  // The same 200 again, concurrently: all duplicates, nothing new.
  const again = await postAll(bodies, 20);
  for (const a of again) assert.deepEqual([a.status, a.json], [200, { stored: 0, duplicates: 1 }], a.text);
  assert.equal(count("provider_message_id LIKE 'wamid.many-%'"), 200);
});

test('a delivery that fails in a group fails alone: the others are stored and answered 200', async () => {
  // A trigger makes one message id violate a constraint, as a bad row would.
  sql(s, PG
    ? "CREATE FUNCTION refuse_bad() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
      + " RAISE EXCEPTION USING ERRCODE = 'check_violation'; END$$;"
      + " CREATE TRIGGER refuse_bad BEFORE INSERT ON messages FOR EACH ROW"
      + " WHEN (NEW.provider_message_id = 'wamid.group-bad') EXECUTE FUNCTION refuse_bad()"
    : "CREATE TRIGGER refuse_bad BEFORE INSERT ON messages WHEN NEW.provider_message_id = 'wamid.group-bad'"
      + " BEGIN SELECT RAISE(ABORT, 'refused'); END;");
  try {
    // While the lock is held the writer waits, so the webhooks queue up into one group.
    const release = await lockDatabase(s);
    const bodies = Array.from({ length: 20 }, (_, i) => whatsappText(`3462000${String(i).padStart(4, '0')}`, i === 15 ? 'group-bad' : `group-${i}`));
    const answering = postAll(bodies, 20);
    await answering.written;
    await release();
    const answers = await answering;
    answers.forEach((a, i) => {
      if (i === 15) {
        assert.equal(a.status, 409, a.text);
        assert.equal(a.json.error.code, 'conflict');
      } else {
        assert.deepEqual([a.status, a.json], [200, { stored: 1, duplicates: 0 }], `${i}: ${a.text}`);
      }
    });
    assert.equal(count("provider_message_id LIKE 'wamid.group-%'"), 19);
    assert.equal(count("provider_message_id = 'wamid.group-bad'"), 0);
    // Its contact and conversation went with it: only its own work was undone.
    assert.equal(Number(sql(s, "SELECT count(*) FROM contact_identities WHERE external_id = '34620000015'")), 0);
  } finally {
    sql(s, PG ? 'DROP TRIGGER refuse_bad ON messages; DROP FUNCTION refuse_bad' : 'DROP TRIGGER refuse_bad');
  }
});

test('when the group cannot commit, every member is answered 503 and nothing is stored', async () => {
  const before = Number(sql(s, 'SELECT count(*) FROM messages'));
  const release = await lockDatabase(s);
  let answers;
  try {
    const bodies = Array.from({ length: 10 }, (_, i) => whatsappText(`3463000${String(i).padStart(4, '0')}`, `down-${i}`));
    answers = await postAll(bodies, 10);
  } finally {
    await release();
  }
  for (const a of answers) {
    assert.equal(a.status, 503, a.text);
    assert.equal(a.json.error.code, 'unavailable');
  }
  assert.equal(Number(sql(s, 'SELECT count(*) FROM messages')), before);
  assert.equal(Number(sql(s, "SELECT count(*) FROM contact_identities WHERE external_id LIKE '3463000%'")), 0);
});

test('routing uses a saved configuration from the next message on, whoever saved it', async () => {
  const team = (await admin.post('/api/v1/teams', { name: 'Caché' })).json.team.id;
  assert.ok(team > 0);
  const config = (welcome) => ({ enabled: true, welcome_message: welcome, fallback_message: 'No te he entendido.',
    options: [{ answers: ['1'], team: 'Caché' }] });
  const welcome = (conversation) => sql(s, `SELECT coalesce(group_concat(text, '|'), '') FROM messages
    WHERE conversation_id = ${conversation} AND sender = 'routing'`);
  let r = await admin.put('/api/v1/routing', config('Bienvenida uno'));
  assert.equal(r.status, 200, r.text);
  assert.equal(welcome(await customerWrites(s, 'whatsapp', '34640000001', 'Hola')), 'Bienvenida uno');
  r = await admin.put('/api/v1/routing', config('Bienvenida dos'));
  assert.equal(r.status, 200, r.text);
  assert.equal(welcome(await customerWrites(s, 'whatsapp', '34640000002', 'Hola')), 'Bienvenida dos');
  // Saved by another process (the CLI), in the same millisecond or not.
  const file = join(s.dir, 'routing.json');
  writeFileSync(file, JSON.stringify(config('Bienvenida tres')));
  const out = cli(s.dir, ['routing', 'import', file]);
  assert.equal(out.status, 0, out.stdout + out.stderr);
  assert.equal(welcome(await customerWrites(s, 'whatsapp', '34640000003', 'Hola')), 'Bienvenida tres');
  r = await admin.put('/api/v1/routing', { ...config('Bienvenida cuatro'), enabled: false });
  assert.equal(r.status, 200, r.text);
  assert.equal(welcome(await customerWrites(s, 'whatsapp', '34640000004', 'Hola')), '');
});
