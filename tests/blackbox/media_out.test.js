// Agents' files, out: an agent uploads a file to a conversation they may see (the body is the
// file, streamed past the 1 MiB cap into the file store), then replies with it; the outbox
// delivers it in each provider's documented shape (WhatsApp's upload then send by id,
// Messenger's and Instagram's attachment upload, Telegram's sendPhoto/sendDocument multipart).
// Bad uploads (empty, a path or control character in the name, a type no provider takes, too
// large) and files over the provider's limit are refused before anything is kept or queued.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, tempDir } from './lib/server.js';
import { sql, dump } from './lib/db.js';
import { adminClient, assertError } from './lib/client.js';
import { failures, startFakeProvider } from './lib/fake_provider.js';
import { CHANNELS, FIXTURES, customerWrites, twoTeamsOn } from './lib/providers.js';
import { until } from './lib/until.js';
import { Visitor, createWebchat } from './lib/webchat.js';

const PDF = readFileSync(join(FIXTURES, 'media/invoice.pdf'));
const JPEG = readFileSync(join(FIXTURES, 'media/photo.jpg'));
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

let fake, s, admin, ch, ventas, ana, bruno;
before(async () => {
  fake = await startFakeProvider({ tokens: { instagram: [CHANNELS.instagram.access_token] } });
  ({ s, admin, ch, ventas, ana, bruno } = await twoTeamsOn(fake));
});
after(async () => {
  await s.stop();
  await fake.stop();
});

let customers = 0;
// A conversation of Ventas on kind, its customer's id on the provider.
async function conversationOn(kind) {
  const from = kind === 'telegram' ? String(510000000 + ++customers) : String(34622000000 + ++customers);
  const id = await customerWrites(s, kind, from, 'hola, ¿me mandan la factura?', { channelId: ch[kind].id });
  assert.equal((await admin.post(`/api/v1/conversations/${id}/transfer`, { team_id: ventas })).status, 200);
  return { id, from };
}

function upload(client, conversation, bytes, { name = 'file', type } = {}) {
  const query = name === null ? '' : `?name=${encodeURIComponent(name)}`;
  return client.post(`/api/v1/conversations/${conversation}/uploads${query}`, bytes, { headers: type ? { 'content-type': type } : {} });
}

// Every file and folder under the server's files directory, with its size.
function filesTree(dir = join(s.dir, 'files'), prefix = '') {
  return readdirSync(dir).sort().flatMap((name) => {
    const path = join(dir, name);
    const st = statSync(path);
    return st.isDirectory() ? [`${prefix}${name}/`, ...filesTree(path, `${prefix}${name}/`)] : [`${prefix}${name} ${st.size}`];
  });
}

async function messageOf(client, conversation, id) {
  const r = await client.get(`/api/v1/conversations/${conversation}/messages?limit=50`);
  assert.equal(r.status, 200, r.text);
  return r.json.messages.find((m) => m.id === id);
}

async function sentMessage(conversation, id) {
  let m;
  return until(async () => {
    m = await messageOf(ana, conversation, id);
    return m?.status === 'sent' && m;
  }, () => `message ${id} to be sent: ${JSON.stringify(m)}\n${fake.describe()}`);
}

// Uploads the PDF and the photo, replies with each (the photo with a caption), and waits until
// the provider took both (and a caption sent apart): the two messages and the requests the
// fake recorded since.
async function sendBoth(kind) {
  const c = await conversationOn(kind);
  const seen = fake.requests.length;
  const pdf = await upload(ana, c.id, PDF, { name: 'factura 0042.pdf', type: 'application/pdf' });
  assert.equal(pdf.status, 201, pdf.text);
  assert.deepEqual(pdf.json.upload, { id: pdf.json.upload.id, kind: 'document', mime_type: 'application/pdf', file_name: 'factura 0042.pdf', size: PDF.length, sha256: sha256(PDF) });
  const jpeg = await upload(ana, c.id, JPEG, { name: 'foto.jpg', type: 'image/jpeg' });
  assert.equal(jpeg.status, 201, jpeg.text);
  const a = await ana.post(`/api/v1/conversations/${c.id}/messages`, { upload_id: pdf.json.upload.id });
  assert.equal(a.status, 201, a.text);
  const b = await ana.post(`/api/v1/conversations/${c.id}/messages`, { upload_id: jpeg.json.upload.id, text: 'La foto del pedido' });
  assert.equal(b.status, 201, b.text);
  const [pdfMessage, photoMessage] = [await sentMessage(c.id, a.json.message_ids[0]), await sentMessage(c.id, b.json.message_ids[0])];
  // A caption that goes as a text of its own follows the photo: sent after it.
  for (const id of b.json.message_ids.slice(1)) await sentMessage(c.id, id);
  return { c, pdfMessage, photoMessage, replies: [a.json, b.json], requests: () => fake.requests.slice(seen).filter((r) => r.outcome === 'answered') };
}

// The agent's thread shows each file as the customer got it, served back byte-identical.
async function assertShown(c, m, bytes, type, name) {
  assert.equal(m.type, type === 'application/pdf' ? 'document' : 'image');
  assert.equal(m.media.state, 'ready');
  assert.equal(m.media.file_name, name);
  assert.equal(m.media.mime_type, type);
  assert.equal(m.media.size, bytes.length);
  const res = await fetch(s.url + m.media.url, { headers: { cookie: ana.cookie } });
  assert.equal(res.status, 200);
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), 'the sent file is served back identical');
  assertError(await bruno.get(m.media.url), 404, 'not_found');
}

test('whatsapp: uploaded to /{phone-number-id}/media, then sent as document and image by media id', async () => {
  const { c, pdfMessage, photoMessage, requests } = await sendBoth('whatsapp');
  const uploads = requests().filter((r) => r.op === 'upload');
  assert.equal(uploads.length, 2);
  for (const [r, bytes, type, name] of [[uploads[0], PDF, 'application/pdf', 'factura 0042.pdf'], [uploads[1], JPEG, 'image/jpeg', 'foto.jpg']]) {
    assert.equal(r.path, `/v25.0/${CHANNELS.whatsapp.phone_number_id}/media`);
    assert.equal(r.token, CHANNELS.whatsapp.access_token);
    assert.match(r.contentType, /^multipart\/form-data; boundary=/);
    assert.equal(r.body.messaging_product, 'whatsapp');
    assert.equal(r.body.type, type);
    assert.equal(r.media.file.field, 'file');
    assert.equal(r.media.file.type, type);
    assert.equal(r.media.file.name, name);
    assert.ok(r.media.file.bytes.equals(bytes), 'the provider got the bytes identical');
  }
  const sends = requests().filter((r) => r.op === 'send' && r.to === c.from);
  assert.equal(sends.length, 2);
  assert.deepEqual(sends[0].body.document, { id: uploads[0].response.id, filename: 'factura 0042.pdf' });
  assert.equal(sends[0].body.type, 'document');
  assert.deepEqual(sends[1].body.image, { id: uploads[1].response.id, caption: 'La foto del pedido' });
  assert.ok(fake.uploaded(sends[1].body.image.id).bytes.equals(JPEG));
  assert.equal(photoMessage.text, 'La foto del pedido');
  await assertShown(c, pdfMessage, PDF, 'application/pdf', 'factura 0042.pdf');
  await assertShown(c, photoMessage, JPEG, 'image/jpeg', 'foto.jpg');
});

for (const kind of ['messenger', 'instagram']) {
  test(`${kind}: sent with the attachment uploaded as filedata; the caption follows as a text`, async () => {
    const { c, pdfMessage, photoMessage, replies, requests } = await sendBoth(kind);
    const sends = requests().filter((r) => r.op === 'send' && r.to === c.from);
    assert.equal(sends.length, 3, fake.describe());
    for (const [r, bytes, type, name, attachment] of [[sends[0], PDF, 'application/pdf', 'factura 0042.pdf', 'file'], [sends[1], JPEG, 'image/jpeg', 'foto.jpg', 'image']]) {
      assert.equal(r.kind, kind);
      assert.equal(r.path, '/v25.0/me/messages');
      assert.equal(r.token, CHANNELS[kind].access_token);
      assert.match(r.contentType, /^multipart\/form-data; boundary=/);
      assert.deepEqual(r.body.recipient, { id: c.from });
      assert.deepEqual(r.body.message, { attachment: { type: attachment, payload: { is_reusable: false } } });
      assert.equal(r.body.messaging_type, 'RESPONSE');
      assert.equal(r.media.file.field, 'filedata');
      assert.equal(r.media.file.type, type);
      assert.equal(r.media.file.name, name);
      assert.ok(r.media.file.bytes.equals(bytes), 'the provider got the bytes identical');
    }
    assert.equal(sends[2].text, 'La foto del pedido');
    assert.equal(sends[2].files.length, 0);
    // The caption is its own message, right after the photo's.
    assert.deepEqual(replies[1].message_ids.length, 2);
    assert.equal(photoMessage.text, null);
    const caption = await sentMessage(c.id, replies[1].message_ids[1]);
    assert.equal(caption.text, 'La foto del pedido');
    await assertShown(c, pdfMessage, PDF, 'application/pdf', 'factura 0042.pdf');
    await assertShown(c, photoMessage, JPEG, 'image/jpeg', 'foto.jpg');
  });
}

test('telegram: sendDocument and sendPhoto, multipart, with the caption', async () => {
  const { c, pdfMessage, photoMessage, requests } = await sendBoth('telegram');
  const sends = requests().filter((r) => r.op === 'send' && r.to === c.from);
  assert.equal(sends.length, 2, fake.describe());
  for (const [r, method, field, bytes, type, name] of [[sends[0], 'sendDocument', 'document', PDF, 'application/pdf', 'factura 0042.pdf'],
    [sends[1], 'sendPhoto', 'photo', JPEG, 'image/jpeg', 'foto.jpg']]) {
    assert.equal(r.path, `/bot${CHANNELS.telegram.bot_token}/${method}`);
    assert.match(r.contentType, /^multipart\/form-data; boundary=/);
    assert.equal(r.body.chat_id, c.from);
    assert.equal(r.media.file.field, field);
    assert.equal(r.media.file.type, type);
    assert.equal(r.media.file.name, name);
    assert.ok(r.media.file.bytes.equals(bytes), 'Telegram got the bytes identical');
  }
  assert.equal(sends[0].body.caption, undefined);
  assert.equal(sends[1].body.caption, 'La foto del pedido');
  await assertShown(c, pdfMessage, PDF, 'application/pdf', 'factura 0042.pdf');
  await assertShown(c, photoMessage, JPEG, 'image/jpeg', 'foto.jpg');
});

test('web chat: the visitor sees the file in the widget\'s history and fetches it with its token', async () => {
  const web = await createWebchat(admin);
  const visitor = new Visitor(s.url, web.widget_key);
  await visitor.start();
  assert.equal((await visitor.send('¿me mandan la factura?')).status, 201);
  const id = Number(sql(s, `SELECT id FROM conversations WHERE channel_id = ${web.id} ORDER BY id DESC LIMIT 1`));
  assert.equal((await admin.post(`/api/v1/conversations/${id}/transfer`, { team_id: ventas })).status, 200);
  const pdf = await upload(ana, id, PDF, { name: 'factura 0042.pdf', type: 'application/pdf' });
  const jpeg = await upload(ana, id, JPEG, { name: 'foto.jpg', type: 'image/jpeg' });
  assert.equal((await ana.post(`/api/v1/conversations/${id}/messages`, { upload_id: pdf.json.upload.id })).status, 201);
  assert.equal((await ana.post(`/api/v1/conversations/${id}/messages`, { upload_id: jpeg.json.upload.id, text: 'La foto' })).status, 201);
  let files = [];
  await until(async () => {
    files = (await visitor.history()).filter((m) => m.direction === 'out' && m.file);
    return files.length === 2;
  }, () => `both files in the visitor's history: ${JSON.stringify(files)}`);
  assert.deepEqual(files.map((m) => [m.type, m.text, m.file.name, m.file.mime_type, m.file.size]),
    [['document', null, 'factura 0042.pdf', 'application/pdf', PDF.length], ['image', 'La foto', 'foto.jpg', 'image/jpeg', JPEG.length]]);
  for (const [m, bytes] of [[files[0], PDF], [files[1], JPEG]]) {
    assert.match(m.file.url, /^\/api\/v1\/webchat\/messages\/\d+\/media$/);
    const res = await fetch(s.url + m.file.url, { headers: { 'x-visitor-token': visitor.visitorToken } });
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), 'the visitor gets the file identical');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(res.headers.get('content-security-policy'), /\bsandbox\b/);
  }
  // Another visitor, no token, an agent's cookie: none of them reads it here.
  const stranger = new Visitor(s.url, web.widget_key);
  await stranger.start();
  assertError(await stranger.get(files[0].file.url), 404, 'not_found');
  assert.equal((await fetch(s.url + files[0].file.url)).status, 401);
  assert.equal((await fetch(s.url + files[0].file.url, { headers: { cookie: ana.cookie } })).status, 401);
});

test('a file larger than 1 MiB streams in; the same content twice is stored once', async () => {
  const c = await conversationOn('whatsapp');
  const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x25);
  big.write('%PDF-1.4\n', 0);
  const first = await upload(ana, c.id, big, { name: 'catálogo.pdf', type: 'application/pdf' });
  assert.equal(first.status, 201, first.text);
  const again = await upload(ana, c.id, big, { name: 'copia.pdf', type: 'application/pdf' });
  assert.equal(again.status, 201, again.text);
  assert.notEqual(again.json.upload.id, first.json.upload.id);
  assert.equal(again.json.upload.sha256, sha256(big));
  const stored = join(s.dir, 'files', sha256(big).slice(0, 2), sha256(big));
  assert.ok(readFileSync(stored).equals(big));
  assert.equal(sql(s, `SELECT count(*) FROM files WHERE sha256 = '${sha256(big)}'`), '1');
  const r = await ana.post(`/api/v1/conversations/${c.id}/messages`, { upload_id: again.json.upload.id });
  assert.equal(r.status, 201, r.text);
  await sentMessage(c.id, r.json.message_ids[0]);
  const [up] = fake.done({ op: 'upload' }).filter((x) => x.media.file?.name === 'copia.pdf');
  assert.ok(up.media.file.bytes.equals(big), 'the provider got all 3 MiB identical');
});

test('bad uploads are refused with a clear error and nothing is kept', async () => {
  const c = await conversationOn('whatsapp');
  const m = await conversationOn('messenger');
  const tree = filesTree();
  const before = dump(s);
  const cases = [
    [await upload(ana, c.id, Buffer.alloc(0), { name: 'vacío.pdf', type: 'application/pdf' }), 400, /empty/],
    [await upload(ana, c.id, PDF, { name: '../../etc/passwd', type: 'application/pdf' }), 400, /path/],
    [await upload(ana, c.id, PDF, { name: 'dir\\factura.pdf', type: 'application/pdf' }), 400, /path/],
    [await upload(ana, c.id, PDF, { name: 'factura\n.pdf', type: 'application/pdf' }), 400, /control/],
    [await upload(ana, c.id, PDF, { name: 'fac\u0001tura.pdf', type: 'application/pdf' }), 400, /control/],
    [await upload(ana, c.id, PDF, { name: '..', type: 'application/pdf' }), 400, /path/],
    [await upload(ana, c.id, PDF, { name: 'x'.repeat(256), type: 'application/pdf' }), 400, /1 to 255/],
    [await upload(ana, c.id, PDF, { name: null, type: 'application/pdf' }), 400, /name the file/],
    [await upload(ana, c.id, PDF, { name: 'page.html', type: 'text/html' }), 422, /text\/html cannot be sent/],
    [await upload(ana, c.id, PDF, { name: 'setup.exe', type: 'application/x-msdownload' }), 422, /cannot be sent/],
    [await upload(ana, c.id, PDF, { name: 'x.pdf', type: 'not a type' }), 400, /Content-Type/],
    // A type one provider takes and this one does not: WhatsApp takes no GIF.
    [await upload(ana, c.id, JPEG, { name: 'anim.gif', type: 'image/gif' }), 422, /WhatsApp does not take files of type image\/gif/],
    // Over WhatsApp's 5 MB for images, refused before anything is queued.
    [await upload(ana, c.id, Buffer.alloc(5 * 1024 * 1024 + 1, 0xff), { name: 'grande.jpg', type: 'image/jpeg' }), 422, /image files on WhatsApp may be at most 5 MB/],
    [await upload(ana, m.id, readFileSync(join(FIXTURES, 'media/voice.ogg')), { name: 'nota.ogg', type: 'audio/ogg' }), 422, /Messenger does not take/],
    // The one visibility rule: Bruno is not in Ventas.
    [await upload(bruno, c.id, PDF, { name: 'factura.pdf', type: 'application/pdf' }), 404, /no such conversation/],
    [await upload(ana, 999999, PDF, { name: 'factura.pdf', type: 'application/pdf' }), 404, /no such conversation/],
  ];
  for (const [r, status, message] of cases) {
    assert.equal(r.status, status, r.text);
    assert.match(r.json.error.message, message);
  }
  // Without the CSRF token, and without a session: refused before the body is read.
  const noCsrf = await ana.post(`/api/v1/conversations/${c.id}/uploads?name=a.pdf`, PDF, { headers: { 'content-type': 'application/pdf' }, csrf: false });
  assertError(noCsrf, 403, 'csrf_token_invalid');
  const anonymous = await fetch(`${s.url}/api/v1/conversations/${c.id}/uploads?name=a.pdf`, { method: 'POST', body: PDF, headers: { 'content-type': 'application/pdf' } });
  assert.equal(anonymous.status, 401);
  assert.deepEqual(filesTree(), tree, 'no file, whole or partial, is left behind');
  const now = dump(s);
  assert.deepEqual(now.split('\n').filter((l) => !before.includes(l)), [], 'nothing was added to the database');
  assert.equal(now, before, 'nothing changed in the database');

  // A reply naming an upload of another conversation, or none: refused, nothing queued.
  const other = await upload(ana, m.id, PDF, { name: 'factura.pdf', type: 'application/pdf' });
  assert.equal(other.status, 201, other.text);
  const beforeReply = dump(s, { except: ['uploads', 'files'] });
  const sent = fake.requests.length;
  for (const body of [{ upload_id: other.json.upload.id }, { upload_id: 999999 }, { upload_id: 0 }, { upload_id: 'x' },
    { upload_id: other.json.upload.id, template: { name: 'x', language: 'es' } }]) {
    const r = await ana.post(`/api/v1/conversations/${c.id}/messages`, body);
    assert.ok([400, 422].includes(r.status), r.text);
  }
  const long = await upload(ana, c.id, JPEG, { name: 'foto.jpg', type: 'image/jpeg' });
  const beforeCaption = dump(s);
  assertError(await ana.post(`/api/v1/conversations/${c.id}/messages`, { upload_id: long.json.upload.id, text: 'a'.repeat(1025) }), 422, 'unprocessable');
  assert.equal(dump(s), beforeCaption, 'a caption too long queues nothing');
  const after = dump(s, { except: ['uploads', 'files'] }).split('\n');
  assert.deepEqual(after.filter((l) => !beforeReply.includes(l)), [], 'refused replies queue nothing');
  assert.equal(fake.requests.length, sent, 'nothing went to the provider');
});

test('a provider refusal shows on the message, and retry sends it', async () => {
  const c = await conversationOn('whatsapp');
  const up = await upload(ana, c.id, PDF, { name: 'factura.pdf', type: 'application/pdf' });
  assert.equal(up.status, 201, up.text);
  fake.failNext(1, failures.graphError({ code: 131053, message: '(#131053) Media upload error', status: 400 }), { op: 'upload' });
  const r = await ana.post(`/api/v1/conversations/${c.id}/messages`, { upload_id: up.json.upload.id });
  assert.equal(r.status, 201, r.text);
  const id = r.json.message_ids[0];
  let m;
  await until(async () => {
    m = await messageOf(ana, c.id, id);
    return m?.status === 'failed';
  }, () => `the message to fail: ${JSON.stringify(m)}`);
  assert.equal(m.error.code, 131053);
  assert.match(m.error.message, /WhatsApp/);
  assert.equal(fake.sent('whatsapp', c.from).length, 0, 'nothing reached the customer');
  assert.equal((await ana.post(`/api/v1/conversations/${c.id}/messages/${id}/retry`, {})).status, 200);
  await sentMessage(c.id, id);
  const [send] = fake.sent('whatsapp', c.from).filter((x) => x.body.type === 'document');
  assert.ok(fake.uploaded(send.body.document.id).bytes.equals(PDF));
});

test('the operator\'s limit: an upload over it is cut off, a reply with an older upload over it is refused before queuing', async () => {
  const dir = tempDir();
  let server = await startServer({ dir, env: fake.env });
  let a = await adminClient(server);
  await a.post('/api/v1/channels', CHANNELS.whatsapp);
  const conversation = await customerWrites(server, 'whatsapp', '34633000001', 'hola');
  const up = await a.post(`/api/v1/conversations/${conversation}/uploads?name=factura.pdf`, PDF, { headers: { 'content-type': 'application/pdf' } });
  assert.equal(up.status, 201, up.text);
  await server.stop({ keepDir: true });
  server = await startServer({ dir, env: { ...fake.env, CENTRALITA_MEDIA_MAX_BYTES: String(PDF.length - 1) } });
  a = await adminClient(server);
  const tree = filesTree(join(dir, 'files'));
  const before = dump(server, { except: ['sessions', 'login_attempts'] });
  const sent = fake.requests.length;
  const over = await a.post(`/api/v1/conversations/${conversation}/uploads?name=dos.pdf`, Buffer.concat([PDF, PDF]), { headers: { 'content-type': 'application/pdf' } });
  assertError(over, 413, 'payload_too_large');
  const r = await a.post(`/api/v1/conversations/${conversation}/messages`, { upload_id: up.json.upload.id });
  assertError(r, 422, 'unprocessable');
  assert.match(r.json.error.message, /at most/);
  assert.deepEqual(filesTree(join(dir, 'files')), tree, 'nothing partial is kept');
  assert.equal(dump(server, { except: ['sessions', 'login_attempts'] }), before, 'nothing was queued');
  assert.equal(fake.requests.length, sent);
  await server.stop();
});
