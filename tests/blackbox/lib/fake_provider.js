// A fake of the providers' send APIs on one local port: the Graph API's WhatsApp Cloud API and
// Messenger Platform (Messenger and Instagram) send endpoints, and the Telegram Bot API methods
// Centralita calls, plus the customers' files each provider lets a business download (see
// addMedia). One base URL serves as both CENTRALITA_GRAPH_API_URL and
// CENTRALITA_TELEGRAM_API_URL. It records every request, answers as the providers document,
// and lets a test inject failures. It listens on 127.0.0.1 only and never calls out, except
// when a test asks it to deliver a Telegram webhook to a URL the code under test registered.
import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';

export const KINDS = Object.freeze(['whatsapp', 'messenger', 'instagram', 'telegram']);
const GRAPH_KINDS = ['whatsapp', 'messenger', 'instagram'];

// Text limits as documented: WhatsApp text.body up to 4096 characters; Messenger message.text
// 2000 characters; Instagram message text 1000 bytes of UTF-8; Telegram sendMessage text
// 1-4096 characters. Characters are counted as Unicode code points.
export const LIMITS = Object.freeze({
  whatsapp: { max: 4096, unit: 'characters' },
  messenger: { max: 2000, unit: 'characters' },
  instagram: { max: 1000, unit: 'bytes' },
  telegram: { max: 4096, unit: 'characters' },
});

const MAX_BODY = 1024 * 1024;
// A multipart upload (a file) may be larger: WhatsApp documents take up to 100 MB.
const MAX_MULTIPART = 101 * 1024 * 1024;

// What each provider takes in a file an app uploads, as their pages document it: WhatsApp's
// Cloud API media types and sizes (sticker aside), the Messenger Platform's 25 MB attachments,
// Instagram's attachment upload (audio aac/m4a/wav/mp4 25 MB, image png/jpeg/gif 8 MB, video
// 25 MB, file pdf 25 MB), and a Telegram bot's multipart upload (photos 10 MB, other files 50 MB).
const MB = 1024 * 1024;
const WHATSAPP_MEDIA = {
  image: { types: ['image/jpeg', 'image/png'], max: 5 * MB },
  audio: { types: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], max: 16 * MB },
  video: { types: ['video/3gpp', 'video/mp4'], max: 16 * MB },
  document: {
    types: ['text/plain', 'application/pdf', 'application/vnd.ms-excel', 'application/msword', 'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    max: 100 * MB,
  },
};
const INSTAGRAM_MEDIA = {
  image: { types: ['image/png', 'image/jpeg', 'image/gif'], max: 8 * MB },
  audio: { types: ['audio/aac', 'audio/mp4', 'audio/wav'], max: 25 * MB },
  video: { types: ['video/mp4', 'video/ogg', 'video/x-msvideo', 'video/quicktime', 'video/webm'], max: 25 * MB },
  file: { types: ['application/pdf'], max: 25 * MB },
};
const TELEGRAM_FILE_METHODS = { sendPhoto: 'photo', sendDocument: 'document', sendAudio: 'audio', sendVideo: 'video' };

// Titles of the Cloud API's template errors (its error-code table).
const TEMPLATE_ERRORS = {
  100: 'Invalid parameter',
  132000: 'Number of parameters does not match the expected number of params',
  132001: 'Template does not exist',
  132015: 'Template is paused',
};
const DEFAULT_WAIT_MS = 2000;

function traceId() {
  return randomBytes(9).toString('base64url');
}

function codePoints(s) {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function textTooLong(kind, text) {
  const { max, unit } = LIMITS[kind];
  return (unit === 'bytes' ? Buffer.byteLength(text, 'utf8') : codePoints(text)) > max;
}

// ---------------------------------------------------------------------------------------------
// Canned failures. Each builder returns { status, body, headers? } for failNext()/failAlways(),
// a fresh object every call. Graph bodies follow the documented error object
// { error: { message, type, code, error_subcode?, error_data?, fbtrace_id } }; Telegram bodies
// { ok: false, error_code, description, parameters? }. Graph builders take overrides
// ({ status, message, subcode, … }): Meta advises keying error handling on code, not on the
// HTTP status, and the status some codes come with is not stable across Meta's pages.

function graphError({ status = 400, code, message, type = 'OAuthException', subcode, errorData, isTransient } = {}) {
  const error = { message, type, code };
  if (subcode !== undefined) error.error_subcode = subcode;
  if (errorData !== undefined) error.error_data = errorData;
  if (isTransient !== undefined) error.is_transient = isTransient;
  error.fbtrace_id = traceId();
  return { status, body: { error } };
}

function whatsappError(code, title, details, o = {}) {
  return graphError({
    status: 400,
    code,
    message: `(#${code}) ${title}`,
    errorData: { messaging_product: 'whatsapp', details },
    ...o,
  });
}

function telegramError(status, description, parameters) {
  const body = { ok: false, error_code: status, description };
  if (parameters) body.parameters = parameters;
  return { status, body };
}

export const failures = Object.freeze({
  graphError,
  telegramError,

  // Graph, any kind. 190 is answered 401 (WhatsApp error-code table).
  invalidToken: (o) => graphError({ status: 401, code: 190, message: 'Invalid OAuth access token - Cannot parse access token', ...o }),
  expiredToken: (o) =>
    graphError({ status: 401, code: 190, subcode: 463, message: 'Error validating access token: Session has expired.', ...o }),
  // What Graph answers a request that carries no token at all.
  missingToken: (o) => graphError({ status: 400, code: 104, message: 'An access token is required to request this resource.', ...o }),
  graphInvalidParameter: (message = '(#100) Invalid parameter', o) => graphError({ status: 400, code: 100, message, ...o }),
  graphUnknown: (o) => graphError({ status: 500, code: 1, message: 'An unknown error occurred', isTransient: true, ...o }),
  graphServiceUnavailable: (o) =>
    graphError({ status: 503, code: 2, message: 'An unexpected error has occurred. Please retry your request later.', isTransient: true, ...o }),

  // WhatsApp Cloud API (codes from the Cloud API error-code table).
  whatsappAccountRateLimit: (o) =>
    graphError({ status: 400, code: 80007, message: '(#80007) There have been too many messages sent from this WhatsApp Business Account.', ...o }),
  whatsappThroughput: (o) =>
    whatsappError(130429, 'Rate limit hit', 'Message failed to send because there were too many messages sent from this phone number in a short period of time', { status: 429, ...o }),
  whatsappPairRateLimit: (o) =>
    whatsappError(131056, '(Business Account, Consumer Account) pair rate limit hit', 'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time', o),
  whatsappReengagement: (o) =>
    whatsappError(131047, 'Re-engagement message', 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.', o),
  whatsappTextTooLong: (o) =>
    whatsappError(100, 'Invalid parameter', `Param text['body'] must be at most ${LIMITS.whatsapp.max} characters long.`, o),

  // Messenger Platform (Messenger and Instagram).
  messengerOutsideWindow: (o) =>
    graphError({ status: 400, code: 10, subcode: 2018278, message: '(#10) This message is sent outside of allowed window.', ...o }),
  messengerUserUnavailable: (o) =>
    graphError({ status: 400, code: 551, subcode: 1545041, message: "(#551) This person isn't available right now.", ...o }),
  messengerRateLimit: (o) => graphError({ status: 400, code: 613, message: '(#613) Calls to this api have exceeded the rate limit.', ...o }),
  messengerTextTooLong: (limit = LIMITS.messenger.max, o) =>
    graphError({ status: 400, code: 100, message: `(#100) Length of param message[text] must be less than or equal to ${limit}`, ...o }),

  // Telegram Bot API.
  telegramTooManyRequests: (retryAfter = 7) =>
    telegramError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter }),
  telegramBlocked: () => telegramError(403, 'Forbidden: bot was blocked by the user'),
  telegramChatNotFound: () => telegramError(400, 'Bad Request: chat not found'),
  telegramTooLong: () => telegramError(400, 'Bad Request: message is too long'),
  telegramUnauthorized: () => telegramError(401, 'Unauthorized'),
  telegramConflict: () =>
    telegramError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'),
  telegramBadGateway: () => telegramError(502, 'Bad Gateway'),

  // A bare HTTP error as a proxy in front of either provider would answer it (HTML by default).
  http: (status, body, headers = {}) => ({
    status,
    body: body ?? `<html>\r\n<head><title>${status} ${http.STATUS_CODES[status] ?? ''}</title></head>\r\n<body><center><h1>${status} ${http.STATUS_CODES[status] ?? ''}</h1></center></body>\r\n</html>\r\n`,
    headers: { 'content-type': 'text/html', ...headers },
  }),
});

// ---------------------------------------------------------------------------------------------
// Request parsing.

function headerToken(headers) {
  const m = /^\s*(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m ? m[1] : null;
}

// Graph form bodies carry JSON-encoded fields (recipient={"id":"…"}); the Messenger docs'
// curl example writes them with single quotes, so those are taken too.
function decodeFormJson(v) {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (!s.startsWith('{') && !s.startsWith('[')) return v;
  try {
    return JSON.parse(s);
  } catch {
    try {
      return JSON.parse(s.replace(/'/g, '"'));
    } catch {
      return v;
    }
  }
}

// A multipart/form-data body, read with Node's own parser (undici's Response.formData): its
// text fields, and its files as { field, name, type, bytes }.
async function parseMultipart(buf, contentType) {
  try {
    const form = await new Response(buf, { headers: { 'content-type': contentType } }).formData();
    const fields = {};
    const files = [];
    for (const [field, v] of form.entries()) {
      if (typeof v === 'string') fields[field] = v;
      else files.push({ field, name: v.name, type: v.type, bytes: Buffer.from(await v.arrayBuffer()) });
    }
    return { body: fields, files, form: true };
  } catch (e) {
    return { error: `malformed multipart body: ${e.message}` };
  }
}

function parseBody(raw, contentType) {
  const ct = (contentType ?? '').toLowerCase();
  if (raw.length === 0) return { body: {} };
  if (ct.includes('json')) {
    try {
      return { body: JSON.parse(raw) };
    } catch (e) {
      return { error: `invalid JSON: ${e.message}` };
    }
  }
  if (ct.includes('x-www-form-urlencoded')) return { body: Object.fromEntries(new URLSearchParams(raw)), form: true };
  try {
    return { body: JSON.parse(raw) };
  } catch {
    return { body: Object.fromEntries(new URLSearchParams(raw)), form: true };
  }
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const nonEmptyString = (v) => typeof v === 'string' && v.length > 0;

// Telegram method names are case-insensitive.
const TELEGRAM_METHODS = new Map(
  ['sendMessage', 'sendPhoto', 'sendDocument', 'sendAudio', 'sendVideo', 'getMe', 'setWebhook', 'deleteWebhook', 'getWebhookInfo', 'getUpdates', 'getFile', 'answerCallbackQuery',
    'editMessageReplyMarkup'].map((m) => [m.toLowerCase(), m]),
);
const TELEGRAM_TOKEN = /^\d+:[A-Za-z0-9_-]+$/;
const UPDATE_TYPES = ['message', 'edited_message', 'channel_post', 'edited_channel_post', 'callback_query'];

function boolParam(v) {
  return v === true || v === 'true' || v === '1' || v === 1;
}

function listParam(v) {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' && v.trim().startsWith('[')) {
    try {
      return JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

// What is wrong with a WhatsApp "interactive" object (reply buttons or a list, as the Cloud
// API documents them), or null.
function interactiveProblem(i) {
  const chars = (v) => (typeof v === 'string' ? codePoints(v) : -1);
  if (!isObject(i) || !isObject(i.body) || !nonEmptyString(i.body.text)) return "The parameter interactive['body']['text'] is required.";
  if (chars(i.body.text) > 1024) return "interactive['body']['text'] must be at most 1024 characters long.";
  const ids = new Set();
  const item = (id, title, max) => {
    if (!nonEmptyString(id) || id.length > 256) return 'Each choice needs an id of 1 to 256 characters.';
    if (ids.has(id)) return 'Choice ids must be unique.';
    ids.add(id);
    if (chars(title) < 1 || chars(title) > max) return `A choice title must be 1 to ${max} characters long.`;
    return null;
  };
  if (i.type === 'button') {
    const buttons = i.action?.buttons;
    if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) return 'A button message takes 1 to 3 buttons.';
    for (const b of buttons) {
      if (b?.type !== 'reply' || !isObject(b.reply)) return "Each button must be of type 'reply'.";
      const p = item(b.reply.id, b.reply.title, 20);
      if (p) return p;
    }
    return null;
  }
  if (i.type === 'list') {
    if (chars(i.action?.button) < 1 || chars(i.action?.button) > 20) return "interactive['action']['button'] must be 1 to 20 characters long.";
    const sections = i.action.sections;
    if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10) return 'A list takes 1 to 10 sections.';
    const rows = sections.flatMap((sec) => (Array.isArray(sec?.rows) ? sec.rows : [null]));
    if (rows.length < 1 || rows.length > 10) return 'A list takes 1 to 10 rows in all.';
    for (const r of rows) {
      const p = item(r?.id, r?.title, 24);
      if (p) return p;
    }
    return null;
  }
  return `This fake provider implements interactive types button and list, not ${JSON.stringify(i.type)}.`;
}

// Messenger Platform quick replies: at most 13, text ones with a title of up to 20 characters
// and a payload of up to 1000.
function quickRepliesProblem(list) {
  if (!Array.isArray(list) || list.length < 1 || list.length > 13) return '(#100) param message[quick_replies] must have 1 to 13 items';
  for (const q of list) {
    if (q?.content_type !== 'text') return '(#100) This fake provider implements text quick replies only';
    if (!nonEmptyString(q.title) || codePoints(q.title) > 20) return '(#100) quick reply titles must be 1 to 20 characters long';
    if (!nonEmptyString(q.payload) || q.payload.length > 1000) return '(#100) quick reply payloads must be 1 to 1000 characters long';
  }
  return null;
}

// A Telegram reply_markup carrying an inline keyboard: rows of buttons with a text and 1 to 64
// bytes of callback_data. mayBeEmpty: editMessageReplyMarkup may remove every button.
function keyboardProblem(markup, mayBeEmpty) {
  const rows = isObject(markup) ? markup.inline_keyboard : undefined;
  if (!Array.isArray(rows) || (!mayBeEmpty && rows.length === 0)) return "can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays";
  for (const row of rows) {
    if (!Array.isArray(row)) return "can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays";
    for (const b of row) {
      if (!nonEmptyString(b?.text)) return 'inline keyboard button text must be non-empty';
      const data = b.callback_data;
      if (typeof data !== 'string' || Buffer.byteLength(data) < 1 || Buffer.byteLength(data) > 64) return 'BUTTON_DATA_INVALID';
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------

class FakeProvider extends EventEmitter {
  constructor({ tokens = {}, host = '127.0.0.1' } = {}) {
    super();
    this.host = host;
    this.url = null;
    this.port = null;
    this.requests = [];
    this.latencyMs = 0;
    this.telegram = new TelegramState(this);
    this._templates = new Map(); // WhatsApp Business Account id → its message templates
    this._tokens = new Map(); // kind → Set of allowed tokens; a kind with a set is strict
    this._rules = [];
    this._sockets = new Set();
    this._timers = new Set();
    this._waiters = new Set();
    this._seq = 0;
    this._idSeq = 0;
    this._media = new Map(); // ref (WhatsApp media id, Telegram file_id, Meta URL) → file
    this._uploads = new Map(); // WhatsApp media id of a business's upload → { bytes, mimeType, fileName, phoneNumberId }
    this._stopped = false;
    for (const [kind, list] of Object.entries(tokens)) for (const t of list) this.allowToken(kind, t);
    this.server = http.createServer((req, res) => this._onRequest(req, res));
    this.server.on('connection', (s) => {
      this._sockets.add(s);
      s.on('close', () => this._sockets.delete(s));
    });
  }

  get env() {
    return { CENTRALITA_GRAPH_API_URL: this.url, CENTRALITA_TELEGRAM_API_URL: this.url };
  }

  // Accept only registered tokens for this kind from now on (any non-empty token is accepted for
  // a kind with none registered). A Messenger Platform token registered for 'instagram' is also
  // what makes a /me/messages request count as Instagram rather than Messenger.
  allowToken(kind, token) {
    if (!KINDS.includes(kind)) throw new Error(`unknown provider kind ${kind}`);
    if (!nonEmptyString(token)) throw new Error('a token must be a non-empty string');
    if (!this._tokens.has(kind)) this._tokens.set(kind, new Set());
    this._tokens.get(kind).add(token);
    return this;
  }

  // The message templates a WhatsApp Business Account has, as GET /{waba-id}/message_templates
  // lists them: [{ name, language, status, category, components }]; each gets an id. Template
  // sends are checked against every account's templates, as Meta checks them against the
  // sender's: an unknown name or language is 132001, a parameter count that does not match the
  // template's {{n}} is 132000.
  setTemplates(wabaId, list) {
    this._templates.set(String(wabaId), list.map((t, i) => ({ id: String(9000000000 + i), ...structuredClone(t) })));
    return this;
  }

  _tokenAllowed(kind, token) {
    const set = this._tokens.get(kind);
    return !set || set.has(token);
  }

  _messengerKind(token) {
    const ig = this._tokens.get('instagram');
    const fb = this._tokens.get('messenger');
    return ig?.has(token) && !fb?.has(token) ? 'instagram' : 'messenger';
  }

  // ---- failure injection ------------------------------------------------------------------
  // match: { kind, to, op, token } — kind may be a list; op defaults to 'send' (the outbox's
  // requests), '*' matches every request. Rules are tried in the order they were added; the
  // first one that matches and has uses left takes the request.

  _addRule(times, match, action) {
    if (!(times > 0)) throw new Error('times must be a positive number (or Infinity)');
    const rule = {
      remaining: times,
      hits: [],
      match: { op: 'send', ...match },
      action,
      cancel: () => {
        this._rules = this._rules.filter((r) => r !== rule);
      },
    };
    this._rules.push(rule);
    return rule;
  }

  failNext(n, failure, match = {}) {
    if (!failure || !Number.isInteger(failure.status)) throw new Error('failNext needs a failure { status, body, headers? }');
    return this._addRule(n, match, { type: 'respond', ...failure });
  }

  failAlways(failure, match = {}) {
    return this.failNext(Infinity, failure, match);
  }

  // Destroys the connection once the request is read, without answering (curl: empty reply).
  closeNext(n, match = {}) {
    return this._addRule(n, match, { type: 'close' });
  }

  // Sends the status line, headers and half the body, then resets the connection.
  resetNext(n, match = {}) {
    return this._addRule(n, match, { type: 'reset' });
  }

  // Never answers (until stop()): for client timeouts.
  hangNext(n, match = {}) {
    return this._addRule(n, match, { type: 'hang' });
  }

  // Answers normally, ms later.
  delayNext(n, ms, match = {}) {
    return this._addRule(n, match, { type: 'delay', ms });
  }

  // Keeps the next n matching requests waiting, unanswered, until rule.release() answers
  // them as usual: for "the webhook was answered before the download finished".
  holdNext(n, match = {}) {
    const rule = this._addRule(n, match, { type: 'hold' });
    rule.held = [];
    rule.release = () => {
      rule.cancel();
      for (const go of rule.held.splice(0)) go();
    };
    return rule;
  }

  // ---- customers' files ---------------------------------------------------------------------
  // addMedia(kind, { bytes, mimeType, fileName, sha256, fileSize }) makes a file the provider
  // serves the way it documents, and returns { ref, ... } where ref is what a webhook names:
  //   whatsapp: a media id; GET /{version}/{id} with the channel's Bearer token answers
  //     { messaging_product, url, mime_type, sha256, file_size, id }, and GET url with the same
  //     token answers the bytes;
  //   messenger, instagram: the attachment's payload.url, a CDN link needing no token;
  //   telegram: a file_id; getFile answers { file_id, file_unique_id, file_size, file_path },
  //     and GET /file/bot<token>/<file_path> answers the bytes.
  // sha256 and fileSize override what the lookup announces (to test a mismatch or a size
  // over a limit). removeMedia(ref) makes the provider forget the file (expired).
  // Requests are recorded with op 'mediaLookup' or 'mediaDownload', for the rules above.

  addMedia(kind, { bytes, mimeType = 'application/octet-stream', fileName, sha256, fileSize } = {}) {
    if (!KINDS.includes(kind)) throw new Error(`unknown provider kind ${kind}`);
    if (!Buffer.isBuffer(bytes)) throw new Error('addMedia needs bytes (a Buffer)');
    const n = ++this._idSeq;
    const secret = randomBytes(12).toString('hex');
    const ext = { 'image/jpeg': 'jpg', 'audio/ogg': 'oga', 'application/pdf': 'pdf', 'video/mp4': 'mp4' }[mimeType] ?? 'bin';
    const file = {
      kind, bytes, mimeType, fileName,
      sha256: sha256 ?? createHash('sha256').update(bytes).digest('hex'),
      fileSize: fileSize ?? bytes.length,
      cdnPath: `/cdn/${secret}/${encodeURIComponent(fileName ?? `file_${n}.${ext}`)}`,
    };
    if (kind === 'whatsapp') file.ref = String(1000000000000000 + n);
    else if (kind === 'telegram') {
      file.ref = `BQACAgQAAxkBAAI${secret}`;
      file.filePath = `${mimeType.startsWith('image/') ? 'photos' : mimeType.startsWith('audio/') ? 'voice' : 'documents'}/file_${n}.${ext}`;
    } else file.ref = `${this.url}${file.cdnPath}?_nc_cat=1&oh=${secret}`;
    this._media.set(file.ref, file);
    return { ...file };
  }

  // The file a business uploaded to WhatsApp (POST /{phone-number-id}/media) under this media id.
  uploaded(id) {
    return this._uploads.get(String(id)) ?? null;
  }

  removeMedia(ref) {
    this._media.delete(ref);
    return this;
  }

  _mediaByCdn(path) {
    return [...this._media.values()].find((f) => f.cdnPath === path && f.kind !== 'telegram');
  }

  _mediaByTelegramPath(token, path) {
    return [...this._media.values()].find((f) => f.kind === 'telegram' && f.filePath === path);
  }

  _serveFile(rec, res, file) {
    if (rec.outcome !== 'pending' || res.destroyed) return;
    res.writeHead(200, { 'content-type': file.mimeType, 'content-length': file.bytes.length });
    res.end(file.bytes);
    rec.status = 200;
    rec.accepted = true;
    this._finish(rec, 'answered');
  }

  _routeMediaLookup(rec, version, id) {
    rec.kind = 'whatsapp';
    rec.op = 'mediaLookup';
    rec.version = version;
    rec.token = headerToken(rec.headers);
    rec.tokenVia = rec.token ? 'header' : null;
    return (res) => {
      const fail = (f) => this._answer(rec, res, f.status, f.body);
      if (rec.method !== 'GET') return fail(failures.graphError({ code: 100, subcode: 33, type: 'GraphMethodException', message: `Unsupported ${rec.method.toLowerCase()} request.` }));
      if (!rec.token) return fail(failures.missingToken());
      if (!this._tokenAllowed('whatsapp', rec.token)) return fail(failures.invalidToken());
      const file = this._media.get(id);
      if (!file || file.kind !== 'whatsapp') {
        return fail(failures.graphError({ code: 100, subcode: 33, type: 'GraphMethodException',
          message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.` }));
      }
      file.token = rec.token;
      this._answer(rec, res, 200, { messaging_product: 'whatsapp', url: `${this.url}${file.cdnPath}?ext=${Date.now()}`,
        mime_type: file.mimeType, sha256: file.sha256, file_size: String(file.fileSize), id });
    };
  }

  _routeMediaDownload(rec) {
    rec.op = 'mediaDownload';
    const tg = /^\/file\/bot([^/]*)\/(.+)$/.exec(rec.path);
    const file = tg ? this._mediaByTelegramPath(safeDecode(tg[1]), tg[2]) : this._mediaByCdn(rec.path);
    rec.kind = tg ? 'telegram' : file?.kind ?? null;
    rec.token = tg ? safeDecode(tg[1]) : headerToken(rec.headers);
    return (res) => {
      const notFound = () => this._answer(rec, res, 404, '<html><body><h1>404 Not Found</h1></body></html>', { 'content-type': 'text/html' });
      if (rec.method !== 'GET' || !file) return notFound();
      // WhatsApp's media URLs take the same token as the lookup; a CDN link takes none.
      if (file.kind === 'whatsapp' && (!rec.token || rec.token !== file.token)) {
        return this._answer(rec, res, 401, failures.invalidToken().body);
      }
      if (tg && !this._tokenAllowed('telegram', rec.token)) return this._answer(rec, res, 401, failures.telegramUnauthorized().body);
      this._serveFile(rec, res, file);
    };
  }

  // POST /{version}/{phone-number-id}/media, multipart: messaging_product=whatsapp, type (the
  // file's MIME type) and the file itself as "file". Answers { id }, the media id a send names.
  _routeWhatsappUpload(rec, version, phoneNumberId) {
    rec.kind = 'whatsapp';
    rec.op = 'upload';
    rec.version = version;
    rec.account = phoneNumberId;
    rec.token = headerToken(rec.headers);
    rec.tokenVia = rec.token ? 'header' : null;
    const file = rec.files.find((f) => f.field === 'file') ?? null;
    rec.media = { type: rec.body?.type ?? null, file };
    return (res) => {
      const fail = (f) => this._answer(rec, res, f.status, f.body);
      const bad = (details) => this._answer(rec, res, 400, whatsappError(100, 'Invalid parameter', details).body);
      const uploadError = (details) => this._answer(rec, res, 400, whatsappError(131053, 'Media upload error', details).body);
      if (rec.method !== 'POST') return fail(failures.graphError({ code: 100, subcode: 33, type: 'GraphMethodException', message: `Unsupported ${rec.method.toLowerCase()} request.` }));
      if (!rec.token) return fail(failures.missingToken());
      if (!this._tokenAllowed('whatsapp', rec.token)) return fail(failures.invalidToken());
      if (rec.bodyError) return bad(rec.bodyError);
      if (!rec.form || rec.files.length === 0) return bad('The media upload is a multipart/form-data body with the file as "file".');
      if (rec.body.messaging_product !== 'whatsapp') return bad("The parameter messaging_product must be 'whatsapp'.");
      if (!file) return bad('The parameter file is required.');
      if (!nonEmptyString(rec.body.type)) return bad('The parameter type is required.');
      const kind = Object.values(WHATSAPP_MEDIA).find((m) => m.types.includes(file.type));
      if (!kind) return uploadError(`Unsupported file type ${file.type}.`);
      if (file.bytes.length === 0) return uploadError('The file is empty.');
      if (file.bytes.length > kind.max) return uploadError(`The file is larger than ${kind.max} bytes.`);
      const id = String(2000000000000000 + ++this._idSeq);
      this._uploads.set(id, { bytes: file.bytes, mimeType: file.type, fileName: file.name, phoneNumberId });
      this._answer(rec, res, 200, { id });
    };
  }

  setLatency(ms) {
    this.latencyMs = ms;
    return this;
  }

  clearFailures() {
    this._rules = [];
    this.latencyMs = 0;
    return this;
  }

  _ruleMatches(rule, rec) {
    const m = rule.match;
    if (rule.remaining <= 0) return false;
    if (m.op !== '*' && m.op !== rec.op) return false;
    if (m.kind !== undefined && !(Array.isArray(m.kind) ? m.kind : [m.kind]).includes(rec.kind)) return false;
    if (m.to !== undefined && String(m.to) !== String(rec.to)) return false;
    if (m.token !== undefined && m.token !== rec.token) return false;
    return true;
  }

  _takeRule(rec) {
    const rule = this._rules.find((r) => this._ruleMatches(r, rec));
    if (!rule) return null;
    rule.remaining--;
    rule.hits.push(rec);
    if (rule.remaining <= 0) rule.cancel();
    return rule;
  }

  // ---- recording and waiting --------------------------------------------------------------

  // Filters: { kind, op, to, token, accepted, status, outcome }. accepted means answered 2xx
  // (and for Telegram, ok: true).
  _matches(rec, f = {}) {
    if (f.kind !== undefined && !(Array.isArray(f.kind) ? f.kind : [f.kind]).includes(rec.kind)) return false;
    if (f.op !== undefined && f.op !== '*' && f.op !== rec.op) return false;
    if (f.to !== undefined && String(f.to) !== String(rec.to)) return false;
    if (f.token !== undefined && f.token !== rec.token) return false;
    if (f.status !== undefined && f.status !== rec.status) return false;
    if (f.outcome !== undefined && f.outcome !== rec.outcome) return false;
    if (f.accepted !== undefined && f.accepted !== rec.accepted) return false;
    return true;
  }

  // Requests that are done (answered, or deliberately closed, reset or left hanging).
  done(filter = {}) {
    return this.requests.filter((r) => r.outcome !== 'pending' && this._matches(r, filter));
  }

  // Send requests the provider accepted: the messages a customer would have received.
  sent(kind, to) {
    return this.done({ kind, to, op: 'send', accepted: true });
  }

  // Every send attempt, accepted or not.
  attempts(kind, to) {
    return this.done({ kind, to, op: 'send' });
  }

  // Accepted sends per recipient: { [to]: count }.
  countsByRecipient(kind) {
    const counts = {};
    for (const r of this.sent(kind)) counts[r.to] = (counts[r.to] ?? 0) + 1;
    return counts;
  }

  clearRequests() {
    this.requests = [];
    return this;
  }

  // waitFor(n, { timeout, ...filter }) resolves with the matching done requests once there are
  // at least n; waitFor(predicate, { timeout }) resolves with the first done request the
  // predicate accepts. Both reject after timeout ms (default 2000) with what was seen.
  waitFor(what, { timeout = DEFAULT_WAIT_MS, ...filter } = {}) {
    const check =
      typeof what === 'function'
        ? () => this.done().find((r) => what(r))
        : () => {
            const found = this.done(filter);
            return found.length >= what ? found : undefined;
          };
    const wanted = typeof what === 'function' ? 'a request matching the predicate' : `${what} request(s) matching ${JSON.stringify(filter)}`;
    return new Promise((resolve, reject) => {
      const first = check();
      if (first !== undefined) return resolve(first);
      if (this._stopped) return reject(new Error('fake provider is stopped'));
      const waiter = {
        check: () => {
          const v = check();
          if (v !== undefined) finish(null, v);
        },
        fail: (err) => finish(err),
      };
      const timer = setTimeout(() => finish(new Error(`fake provider: timed out after ${timeout} ms waiting for ${wanted}; saw:\n${this.describe()}`)), timeout);
      const finish = (err, v) => {
        clearTimeout(timer);
        this._waiters.delete(waiter);
        if (err) reject(err);
        else resolve(v);
      };
      this._waiters.add(waiter);
    });
  }

  waitForSent(n, { kind, to, timeout } = {}) {
    return this.waitFor(n, { kind, to, op: 'send', accepted: true, timeout });
  }

  // One line per request, for failure messages.
  describe() {
    if (this.requests.length === 0) return '  (no requests)';
    return this.requests
      .map((r) => `  #${r.seq} ${r.method} ${r.path} [${r.kind ?? '?'} ${r.op}${r.to != null ? ` to ${r.to}` : ''}] → ${r.outcome === 'answered' ? r.status : r.outcome}`)
      .join('\n');
  }

  _changed() {
    this.emit('change');
    for (const w of [...this._waiters]) w.check();
  }

  // ---- HTTP -------------------------------------------------------------------------------

  _onRequest(req, res) {
    const at = Date.now();
    const chunks = [];
    let size = 0;
    let tooBig = false;
    const contentType = req.headers['content-type'] ?? '';
    const isMultipart = /^multipart\/form-data/i.test(contentType);
    req.on('data', (c) => {
      size += c.length;
      if (size > (isMultipart ? MAX_MULTIPART : MAX_BODY)) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', async () => {
      if (this._stopped) return req.socket.destroy();
      if (tooBig) {
        res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
        return res.end('payload too large\n');
      }
      const buf = Buffer.concat(chunks);
      const multipart = isMultipart ? await parseMultipart(buf, contentType) : null;
      if (this._stopped) return req.socket.destroy();
      this._handle(req, res, at, isMultipart ? `<multipart body, ${buf.length} bytes>` : buf.toString('utf8'), multipart);
    });
    req.on('error', () => {});
  }

  _handle(req, res, at, rawBody, multipart) {
    const u = new URL(req.url, 'http://fake');
    const rec = {
      seq: ++this._seq,
      at,
      kind: null,
      op: 'unknown',
      method: req.method,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: { ...req.headers },
      contentType: req.headers['content-type'] ?? null,
      rawBody,
      body: null,
      token: null,
      tokenVia: null,
      account: null,
      to: null,
      text: null,
      outcome: 'pending',
      status: null,
      response: null,
      accepted: false,
      messageId: null,
      injected: null,
      answeredAt: null,
    };
    const parsed = multipart ?? parseBody(rawBody, rec.contentType);
    rec.body = parsed.body ?? null;
    rec.bodyError = parsed.error ?? null;
    rec.form = Boolean(parsed.form);
    rec.files = parsed.files ?? []; // a multipart body's file parts
    rec.media = null; // a file send: { type, file, caption, ... } as the provider read it
    const route = this._route(rec);
    this.requests.push(rec);
    res.on('close', () => {
      if (rec.outcome === 'pending') {
        rec.outcome = 'aborted';
        this._changed();
      }
    });

    const rule = this._takeRule(rec);
    let delay = this.latencyMs;
    if (rule) {
      rec.injected = rule.action.type;
      const a = rule.action;
      if (a.type === 'close') return this._finish(rec, 'closed', () => req.socket.destroy());
      if (a.type === 'hang') return this._finish(rec, 'hung');
      if (a.type === 'hold') return rule.held.push(() => this._later(delay, () => route(res)));
      if (a.type === 'reset') rec.resetting = true;
      if (a.type === 'delay') delay += a.ms;
      if (a.type === 'respond') {
        return this._later(delay + (a.delayMs ?? 0), () => this._answer(rec, res, a.status, a.body, a.headers));
      }
    }
    this._later(delay, () => route(res));
  }

  _later(ms, fn) {
    if (!(ms > 0)) return fn();
    const t = setTimeout(() => {
      this._timers.delete(t);
      fn();
    }, ms);
    this._timers.add(t);
  }

  _finish(rec, outcome, then) {
    rec.outcome = outcome;
    rec.answeredAt = Date.now();
    then?.();
    this._changed();
  }

  // Sends an answer; for a request picked by resetNext(), sends the status line, the headers
  // and half the body of the answer it would have had, then resets the connection.
  _answer(rec, res, status, body, headers = {}) {
    if (rec.outcome !== 'pending' || res.destroyed || res.writableEnded) return;
    const isText = typeof body === 'string';
    const payload = Buffer.from(isText ? body : JSON.stringify(body));
    const h = { 'content-type': isText ? 'text/plain' : 'application/json; charset=UTF-8', ...headers };
    h['content-length'] = payload.length;
    res.writeHead(status, h);
    rec.status = status;
    rec.response = body;
    if (rec.resetting) {
      rec.accepted = false;
      rec.messageId = null;
      res.write(payload.subarray(0, Math.max(1, payload.length >> 1)), () => {
        const s = res.socket;
        if (s && typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
        else s?.destroy();
      });
      return this._finish(rec, 'reset');
    }
    res.end(payload);
    rec.accepted = status >= 200 && status < 300 && !(isObject(body) && body.ok === false);
    if (!rec.accepted) rec.messageId = null;
    this._finish(rec, 'answered');
  }

  // Works out what the request is, fills the record, and returns the function that answers it.
  _route(rec) {
    if (/^\/(?:cdn|file)\//.test(rec.path)) return this._routeMediaDownload(rec);
    const upload = /^\/(v\d+(?:\.\d+)?)\/(\d+)\/media\/?$/.exec(rec.path);
    if (upload) return this._routeWhatsappUpload(rec, upload[1], upload[2]);
    const lookup = /^\/(v\d+(?:\.\d+)?)\/(\d+)\/?$/.exec(rec.path);
    if (lookup) return this._routeMediaLookup(rec, lookup[1], lookup[2]);
    const tg = /^\/bot([^/]*)\/([^/]+)\/?$/.exec(rec.path);
    if (tg) return this._routeTelegram(rec, safeDecode(tg[1]), tg[2]);
    const templates = /^\/(v\d+(?:\.\d+)?)\/([^/]+)\/message_templates\/?$/.exec(rec.path);
    if (templates) return this._routeTemplates(rec, templates[1], safeDecode(templates[2]));
    const graph = /^\/(?:(v\d+(?:\.\d+)?)\/)?([^/]+)\/messages\/?$/.exec(rec.path);
    if (graph) return this._routeGraph(rec, graph[1] ?? null, safeDecode(graph[2]));
    if (/^\/v\d+(?:\.\d+)?\//.test(rec.path)) {
      rec.kind = null;
      return (res) =>
        this._answer(rec, res, 400, failures.graphError({ code: 100, subcode: 33, type: 'GraphMethodException', message: `Unsupported ${rec.method.toLowerCase()} request.` }).body);
    }
    return (res) => this._answer(rec, res, 404, { error: 'not_found', path: rec.path });
  }

  // ---- Graph ------------------------------------------------------------------------------

  _routeGraph(rec, version, account) {
    const body = isObject(rec.body) ? rec.body : {};
    if (rec.form) for (const k of Object.keys(body)) body[k] = decodeFormJson(body[k]);
    rec.version = version;
    rec.account = account;
    rec.token = headerToken(rec.headers);
    rec.tokenVia = rec.token ? 'header' : null;
    if (!rec.token && nonEmptyString(rec.query.access_token)) [rec.token, rec.tokenVia] = [rec.query.access_token, 'query'];
    if (!rec.token && nonEmptyString(body.access_token)) [rec.token, rec.tokenVia] = [body.access_token, 'body'];

    if (body.messaging_product !== undefined) rec.kind = 'whatsapp';
    else if (body.recipient !== undefined || account === 'me') rec.kind = this._messengerKind(rec.token);
    else rec.kind = GRAPH_KINDS.find((k) => this._tokens.get(k)?.has(rec.token)) ?? 'whatsapp';
    rec.op = 'send';
    if (rec.kind === 'whatsapp') {
      rec.to = typeof body.to === 'string' ? body.to : null;
      rec.text = typeof body.text?.body === 'string' ? body.text.body : null;
      rec.template = body.type === 'template' ? body.template ?? null : null;
      rec.interactive = body.type === 'interactive' ? body.interactive ?? null : null;
      if (rec.interactive && typeof rec.interactive.body?.text === 'string') rec.text = rec.interactive.body.text;
    } else {
      rec.to = body.recipient?.id != null ? String(body.recipient.id) : null;
      rec.text = typeof body.message?.text === 'string' ? body.message.text : null;
      if (body.sender_action !== undefined && body.message === undefined) rec.op = 'senderAction';
    }

    return (res) => {
      const fail = (f) => this._answer(rec, res, f.status, f.body);
      if (rec.method !== 'POST') return fail(failures.graphError({ code: 100, subcode: 33, type: 'GraphMethodException', message: `Unsupported ${rec.method.toLowerCase()} request.` }));
      if (!rec.token) return fail(failures.missingToken());
      if (!this._tokenAllowed(rec.kind, rec.token)) return fail(failures.invalidToken());
      if (rec.bodyError || !isObject(rec.body)) return fail(failures.graphInvalidParameter(`(#100) ${rec.bodyError ?? 'The request body must be a JSON object'}`));
      if (rec.kind === 'whatsapp') return this._whatsappSend(rec, res, body);
      return this._messengerSend(rec, res, body);
    };
  }

  // GET /{version}/{waba-id}/message_templates?fields=…&limit=…&after=…: a page of the
  // account's templates, with Graph's cursor paging (paging.next only when there is more).
  _routeTemplates(rec, version, waba) {
    rec.kind = 'whatsapp';
    rec.op = 'templates';
    rec.version = version;
    rec.account = waba;
    rec.token = headerToken(rec.headers) ?? (nonEmptyString(rec.query.access_token) ? rec.query.access_token : null);
    return (res) => {
      const fail = (f) => this._answer(rec, res, f.status, f.body);
      if (rec.method !== 'GET') return fail(failures.graphError({ code: 100, subcode: 33, type: 'GraphMethodException', message: `Unsupported ${rec.method.toLowerCase()} request.` }));
      if (!rec.token) return fail(failures.missingToken());
      if (!this._tokenAllowed('whatsapp', rec.token)) return fail(failures.invalidToken());
      const list = this._templates.get(waba);
      if (!list) {
        return fail(failures.graphError({ code: 100, subcode: 33, type: 'GraphMethodException',
          message: `Unsupported get request. Object with ID '${waba}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.` }));
      }
      const limit = rec.query.limit === undefined ? 25 : Number(rec.query.limit);
      if (!Number.isInteger(limit) || limit < 1) return fail(failures.graphInvalidParameter('(#100) Param limit must be a positive integer'));
      let start = 0;
      if (rec.query.after !== undefined) {
        start = Number(Buffer.from(rec.query.after, 'base64url').toString('utf8').replace(/^after:/, ''));
        if (!Number.isInteger(start) || start < 0) return fail(failures.graphInvalidParameter('(#100) Invalid cursor'));
      }
      const fields = rec.query.fields ? rec.query.fields.split(',') : ['name', 'language', 'status', 'category', 'id'];
      const data = list.slice(start, start + limit).map((t) => Object.fromEntries(Object.entries(t).filter(([k]) => k === 'id' || fields.includes(k))));
      const cursor = (i) => Buffer.from(`after:${i}`).toString('base64url');
      const paging = { cursors: { before: cursor(start), after: cursor(start + data.length) } };
      if (start + data.length < list.length) {
        const next = new URL(`${this.url}${rec.path}`);
        for (const [k, v] of Object.entries(rec.query)) if (k !== 'after') next.searchParams.set(k, v);
        next.searchParams.set('after', paging.cursors.after);
        paging.next = next.href;
      }
      this._answer(rec, res, 200, { data, paging });
    };
  }

  // What is wrong with a Cloud API "template" object, or null: the documented shape, then the
  // template itself (name and language known, as many parameters as it has variables).
  _templateProblem(t) {
    if (!isObject(t) || !nonEmptyString(t.name)) return [100, "The parameter template['name'] is required."];
    if (!isObject(t.language) || !nonEmptyString(t.language.code)) return [100, "The parameter template['language']['code'] is required."];
    const components = t.components ?? [];
    if (!Array.isArray(components)) return [100, "The parameter template['components'] must be an array."];
    for (const [i, c] of components.entries()) {
      if (!isObject(c) || !['header', 'body', 'button'].includes(c.type)) return [100, `components[${i}]['type'] must be header, body or button.`];
      if (!Array.isArray(c.parameters) || c.parameters.length === 0) return [100, `components[${i}]['parameters'] must be a non-empty array.`];
      if (c.type === 'button' && (!['quick_reply', 'url', 'copy_code'].includes(c.sub_type) || !/^\d+$/.test(String(c.index)))) {
        return [100, `components[${i}] of type button needs sub_type and index.`];
      }
      for (const p of c.parameters) {
        const ok = (p?.type === 'text' && nonEmptyString(p.text)) || (p?.type === 'coupon_code' && nonEmptyString(p.coupon_code)) ||
          (['image', 'video', 'document'].includes(p?.type) && isObject(p[p.type]) && (nonEmptyString(p[p.type].link) || nonEmptyString(p[p.type].id)));
        if (!ok) return [100, `components[${i}] has a malformed parameter.`];
        if (p.type === 'text' && codePoints(p.text) > 1024) return [100, 'A text parameter is longer than 1024 characters.'];
      }
    }
    const known = [...this._templates.values()].flat().find((x) => x.name === t.name && x.language === t.language.code);
    if (!known) return [132001, `template name (${t.name}) does not exist in ${t.language.code}`];
    if (known.status !== 'APPROVED') return [132015, `template ${t.name} is ${known.status}`];
    const count = (text) => new Set([...String(text ?? '').matchAll(/\{\{(\d+)\}\}/g)].map((m) => m[1])).size;
    const part = (type) => (known.components ?? []).find((c) => c.type?.toUpperCase() === type);
    const given = (type) => components.filter((c) => c.type === type).reduce((n, c) => n + c.parameters.length, 0);
    const header = part('HEADER');
    const wantHeader = !header ? 0 : ['IMAGE', 'VIDEO', 'DOCUMENT'].includes(header.format) ? 1 : count(header.text);
    const wantButtons = (part('BUTTONS')?.buttons ?? []).filter((b) => b.type === 'COPY_CODE' || (b.type === 'URL' && count(b.url) > 0)).length;
    if (given('header') !== wantHeader || given('body') !== count(part('BODY')?.text) || given('button') !== wantButtons) {
      return [132000, 'Number of parameters does not match the expected number of params'];
    }
    return null;
  }

  _whatsappSend(rec, res, body) {
    const bad = (details) =>
      this._answer(rec, res, 400, whatsappError(100, 'Invalid parameter', details).body);
    if (body.messaging_product !== 'whatsapp') return bad("The parameter messaging_product must be 'whatsapp'.");
    if (body.recipient_type !== undefined && body.recipient_type !== 'individual') return bad('The parameter recipient_type must be individual.');
    if (!nonEmptyString(body.to)) return bad('The parameter to is required.');
    const waId = body.to.replace(/\D/g, '');
    if (waId.length === 0) return bad('The parameter to must be a phone number.');
    const type = body.type ?? 'text';
    if (type === 'template') {
      const problem = this._templateProblem(body.template);
      if (problem) return this._answer(rec, res, 400, whatsappError(problem[0], TEMPLATE_ERRORS[problem[0]], problem[1]).body);
    } else if (type === 'interactive') {
      const problem = interactiveProblem(body.interactive);
      if (problem) return bad(problem);
    } else if (WHATSAPP_MEDIA[type]) {
      const m = body[type];
      if (!isObject(m) || (!nonEmptyString(m.id) && !nonEmptyString(m.link))) return bad(`The parameter ${type}['id'] or ${type}['link'] is required.`);
      if (m.caption !== undefined && (type === 'audio' || typeof m.caption !== 'string' || codePoints(m.caption) > 1024)) {
        return bad(`${type}['caption'] must be a string of up to 1024 characters, and audio takes none.`);
      }
      if (m.filename !== undefined && type !== 'document') return bad(`Only a document takes a filename, not ${type}.`);
      const file = m.id !== undefined ? this._uploads.get(m.id) : null;
      if (m.id !== undefined && (!file || file.phoneNumberId !== rec.account)) {
        return this._answer(rec, res, 400, whatsappError(131053, 'Media upload error', `No media with id ${m.id} was uploaded for this number.`).body);
      }
      if (file && !WHATSAPP_MEDIA[type].types.includes(file.mimeType)) return bad(`A ${file.mimeType} file cannot be sent as ${type}.`);
      rec.media = { type, id: m.id ?? null, link: m.link ?? null, caption: m.caption ?? null, filename: m.filename ?? null, file };
      rec.text = m.caption ?? null;
    } else if (type !== 'text') {
      return bad(`This fake provider implements types text, template, interactive and media, not ${JSON.stringify(type)}.`);
    }
    if (type === 'text' && (!isObject(body.text) || !nonEmptyString(body.text.body))) return bad("The parameter text['body'] is required.");
    if (type === 'text' && textTooLong('whatsapp', body.text.body)) {
      const f = failures.whatsappTextTooLong();
      return this._answer(rec, res, f.status, f.body);
    }
    const id = `wamid.${Buffer.concat([Buffer.from(`fake:${++this._idSeq}:`), randomBytes(18)]).toString('base64')}`;
    rec.messageId = id;
    this._answer(rec, res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: body.to, wa_id: waId }],
      messages: [{ id }],
    });
  }

  _messengerSend(rec, res, body) {
    const bad = (message) => this._answer(rec, res, 400, failures.graphInvalidParameter(message).body);
    if (!isObject(body.recipient) || body.recipient.id == null || String(body.recipient.id) === '') {
      return bad('(#100) The parameter recipient is required');
    }
    const recipientId = String(body.recipient.id);
    // A sender action goes with the recipient only.
    if (rec.op === 'senderAction') {
      if (!['typing_on', 'typing_off', 'mark_seen'].includes(body.sender_action)) return bad('(#100) param sender_action must be one of {typing_on, typing_off, mark_seen}');
      return this._answer(rec, res, 200, { recipient_id: recipientId });
    }
    const types = ['RESPONSE', 'UPDATE', 'MESSAGE_TAG'];
    // The Send API reference marks messaging_type required; Instagram's send guide omits it.
    if (body.messaging_type === undefined ? rec.kind === 'messenger' : !types.includes(body.messaging_type)) {
      return bad(`(#100) param messaging_type must be one of {${types.join(', ')}}`);
    }
    if (body.messaging_type === 'MESSAGE_TAG' && !nonEmptyString(body.tag)) return bad('(#100) param tag is required when messaging_type is MESSAGE_TAG');
    // The message tags Meta documents for the Send API.
    const tags = ['CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE', 'ACCOUNT_UPDATE', 'HUMAN_AGENT'];
    if (body.messaging_type === 'MESSAGE_TAG' && !tags.includes(body.tag)) return bad(`(#100) param tag must be one of {${tags.join(', ')}}`);
    if (!isObject(body.message)) return bad('(#100) The parameter message is required');
    if (body.message.attachment !== undefined) return this._messengerAttachment(rec, res, body, recipientId);
    if (body.message.text === undefined) return bad('(#100) This fake provider implements text and attachment messages only');
    if (body.message.quick_replies !== undefined) {
      const problem = quickRepliesProblem(body.message.quick_replies);
      if (problem) return bad(problem);
    }
    if (!nonEmptyString(body.message.text)) return bad('(#100) param message[text] must be a non-empty UTF-8 encoded string');
    if (textTooLong(rec.kind, body.message.text)) {
      const f = failures.messengerTextTooLong(LIMITS[rec.kind].max);
      return this._answer(rec, res, f.status, f.body);
    }
    this._answer(rec, res, 200, { recipient_id: recipientId, message_id: this._messengerMessageId(rec) });
  }

  // An attachment, by URL or uploaded in the same call as the multipart part "filedata" (the
  // Send API's attachment upload), with message.attachment.type image, audio, video or file.
  _messengerAttachment(rec, res, body, recipientId) {
    const bad = (message) => this._answer(rec, res, 400, failures.graphInvalidParameter(message).body);
    const a = body.message.attachment;
    if (!isObject(a) || !['image', 'audio', 'video', 'file'].includes(a.type)) return bad('(#100) param message[attachment][type] must be one of {image, audio, video, file}');
    if (!isObject(a.payload)) return bad('(#100) param message[attachment][payload] is required');
    if (body.message.text !== undefined) return bad('(#100) A message takes text or an attachment, not both');
    const file = rec.files.find((f) => f.field === 'filedata') ?? null;
    if (!file && !nonEmptyString(a.payload.url)) return bad('(#100) Upload the file as filedata or give payload[url]');
    if (file) {
      if (file.bytes.length === 0) return bad('(#100) The uploaded file is empty');
      const limit = rec.kind === 'instagram' ? INSTAGRAM_MEDIA[a.type] : { types: null, max: 25 * MB };
      if (limit.types && !limit.types.includes(file.type)) return bad(`(#100) Instagram does not take ${file.type} as ${a.type}`);
      if (file.bytes.length > limit.max) return bad(`(#100) The attachment is larger than ${limit.max} bytes`);
    }
    rec.media = { type: a.type, url: a.payload.url ?? null, isReusable: a.payload.is_reusable ?? null, file };
    const answer = { recipient_id: recipientId, message_id: this._messengerMessageId(rec) };
    if (a.payload.is_reusable === true) answer.attachment_id = String(3000000000000000 + this._idSeq);
    this._answer(rec, res, 200, answer);
  }

  // A new message id in the form Messenger's or Instagram's Send API answers, kept on rec.
  _messengerMessageId(rec) {
    const n = ++this._idSeq;
    rec.messageId =
      rec.kind === 'instagram'
        ? Buffer.from(`ig_message_item:1:${n}:${randomBytes(12).toString('hex')}`).toString('base64url')
        : `m_${n}_${randomBytes(15).toString('base64url')}`;
    return rec.messageId;
  }

  // ---- Telegram ---------------------------------------------------------------------------

  _routeTelegram(rec, token, rawMethod) {
    rec.kind = 'telegram';
    rec.token = token;
    rec.tokenVia = 'path';
    const method = TELEGRAM_METHODS.get(rawMethod.toLowerCase());
    rec.op = method ?? 'unknown';
    const params = { ...rec.query, ...(isObject(rec.body) ? rec.body : {}) };
    rec.params = params;
    if (TELEGRAM_TOKEN.test(token)) rec.account = token.split(':')[0];
    if (method === 'getFile') rec.op = 'mediaLookup';
    if (method === 'sendMessage') {
      rec.op = 'send';
      rec.to = params.chat_id != null && params.chat_id !== '' ? String(params.chat_id) : null;
      rec.text = typeof params.text === 'string' ? params.text : null;
    }
    if (TELEGRAM_FILE_METHODS[method]) {
      const field = TELEGRAM_FILE_METHODS[method];
      rec.op = 'send';
      rec.to = params.chat_id != null && params.chat_id !== '' ? String(params.chat_id) : null;
      rec.text = typeof params.caption === 'string' ? params.caption : null;
      rec.media = { method, field, caption: rec.text, file: rec.files.find((f) => f.field === field) ?? null, ref: typeof params[field] === 'string' ? params[field] : null };
    }
    const t = this.telegram;
    return (res) => {
      const send = (status, body) => this._answer(rec, res, status, body, { 'content-type': 'application/json' });
      const fail = (f) => send(f.status, f.body);
      if (!TELEGRAM_TOKEN.test(token) || !method) return fail(telegramError(404, 'Not Found'));
      if (!this._tokenAllowed('telegram', token)) return fail(failures.telegramUnauthorized());
      if (rec.bodyError) return fail(telegramError(400, `Bad Request: ${rec.bodyError}`));
      const bot = t._bot(token);
      switch (method) {
        case 'getMe':
          return send(200, { ok: true, result: bot.me() });
        case 'sendMessage':
          return this._telegramSend(rec, params, bot, send);
        case 'sendPhoto':
        case 'sendDocument':
        case 'sendAudio':
        case 'sendVideo':
          return this._telegramSendFile(rec, params, bot, send);
        case 'answerCallbackQuery':
          if (!nonEmptyString(String(params.callback_query_id ?? ''))) return send(400, telegramError(400, 'Bad Request: query is too old and response timeout expired or query ID is invalid').body);
          return send(200, { ok: true, result: true });
        case 'editMessageReplyMarkup': {
          const problem = params.reply_markup === undefined ? null : keyboardProblem(params.reply_markup, true);
          if (problem) return send(400, telegramError(400, `Bad Request: ${problem}`).body);
          const m = bot.sent.find((x) => String(x.chat.id) === String(params.chat_id) && x.message_id === Number(params.message_id));
          if (!m) return send(400, telegramError(400, 'Bad Request: message to edit not found').body);
          if (params.reply_markup === undefined || params.reply_markup.inline_keyboard.length === 0) delete m.reply_markup;
          else m.reply_markup = params.reply_markup;
          return send(200, { ok: true, result: m });
        }
        case 'setWebhook':
          return send(...t._setWebhook(bot, params));
        case 'deleteWebhook':
          return send(...t._deleteWebhook(bot, params));
        case 'getWebhookInfo':
          return send(200, { ok: true, result: t._webhookInfo(bot) });
        case 'getUpdates':
          return t._getUpdates(bot, params, rec, res, send);
        case 'getFile': {
          const file = this._media.get(String(params.file_id ?? ''));
          if (!file || file.kind !== 'telegram') return fail(telegramError(400, 'Bad Request: invalid file_id'));
          // Bots may download files of up to 20 MB; getFile refuses bigger ones.
          if (file.fileSize > 20 * 1024 * 1024) return fail(telegramError(400, 'Bad Request: file is too big'));
          return send(200, { ok: true, result: { file_id: file.ref, file_unique_id: `AQAD${file.ref.slice(-8)}`, file_size: file.fileSize, file_path: file.filePath } });
        }
      }
    };
  }

  _telegramSend(rec, params, bot, send) {
    if (rec.to === null) return send(400, telegramError(400, 'Bad Request: chat_id is empty').body);
    if (!nonEmptyString(rec.text)) return send(400, telegramError(400, 'Bad Request: message text is empty').body);
    if (textTooLong('telegram', rec.text)) return send(400, failures.telegramTooLong().body);
    const problem = params.reply_markup === undefined ? null : keyboardProblem(params.reply_markup, false);
    if (problem) return send(400, telegramError(400, `Bad Request: ${problem}`).body);
    const chatId = /^-?\d+$/.test(rec.to) ? Number(rec.to) : rec.to;
    let chat;
    if (typeof chatId === 'string') chat = { id: -1001000000001, title: chatId, username: chatId.replace(/^@/, ''), type: 'channel' };
    else if (chatId > 0) chat = { id: chatId, type: 'private' };
    else chat = { id: chatId, title: 'Group', type: String(chatId).startsWith('-100') ? 'supergroup' : 'group' };
    const message = {
      message_id: bot.nextMessageId++,
      from: bot.user(),
      chat,
      date: Math.floor(Date.now() / 1000),
      text: rec.text,
    };
    if (params.reply_markup?.inline_keyboard) message.reply_markup = params.reply_markup;
    bot.sent.push(message);
    rec.messageId = message.message_id;
    send(200, { ok: true, result: message });
  }

  // sendPhoto, sendDocument, sendAudio, sendVideo: the file uploaded as multipart/form-data in
  // the part the method names (photo, document, audio, video), with an optional caption of up
  // to 1024 characters. A bot's upload takes photos of up to 10 MB and other files up to 50 MB.
  _telegramSendFile(rec, params, bot, send) {
    const { method, field, file } = rec.media;
    if (rec.to === null) return send(400, telegramError(400, 'Bad Request: chat_id is empty').body);
    if (!file && rec.media.ref === null) return send(400, telegramError(400, `Bad Request: there is no ${field} in the request`).body);
    if (!file) return send(400, telegramError(400, 'Bad Request: this fake provider takes uploaded files only').body);
    if (file.bytes.length === 0) return send(400, telegramError(400, 'Bad Request: file must be non-empty').body);
    if (file.bytes.length > (method === 'sendPhoto' ? 10 : 50) * MB) return send(413, telegramError(413, 'Request Entity Too Large').body);
    if (rec.text !== null && codePoints(rec.text) > 1024) return send(400, telegramError(400, 'Bad Request: message caption is too long').body);
    const id = `${{ photo: 'AgAC', document: 'BQAC', audio: 'CQAC', video: 'BAAC' }[field]}${randomBytes(12).toString('base64url')}`;
    const about = { file_id: id, file_unique_id: `AQAD${id.slice(-8)}`, file_size: file.bytes.length };
    const message = {
      message_id: bot.nextMessageId++,
      from: bot.user(),
      chat: { id: Number(rec.to), type: 'private' },
      date: Math.floor(Date.now() / 1000),
    };
    if (field === 'photo') message.photo = [{ ...about, width: 1, height: 1 }];
    else message[field] = { ...about, file_name: file.name, mime_type: file.type };
    if (rec.text !== null) message.caption = rec.text;
    bot.sent.push(message);
    rec.messageId = message.message_id;
    send(200, { ok: true, result: message });
  }

  // ---- lifecycle --------------------------------------------------------------------------

  async _listen(port = 0) {
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = this.server.address().port;
    this.url = `http://${this.host}:${this.port}`;
    return this;
  }

  // Closes everything: pending answers are dropped, hanging requests and long polls are cut,
  // waiters reject. Safe to call twice.
  async stop() {
    if (this._stopped) return;
    this._stopped = true;
    for (const t of this._timers) clearTimeout(t);
    this._timers.clear();
    this.telegram._stop();
    for (const w of [...this._waiters]) w.fail(new Error('fake provider stopped'));
    const closed = new Promise((resolve) => this.server.close(() => resolve()));
    for (const s of this._sockets) s.destroy();
    await closed;
  }
}

// Per-bot Telegram state: webhook registration, queued updates for getUpdates, message ids.
class TelegramState {
  constructor(fake) {
    this._fake = fake;
    this._bots = new Map();
  }

  _bot(token) {
    let bot = this._bots.get(token);
    if (!bot) {
      const id = Number(token.split(':')[0]);
      bot = {
        token,
        id,
        first_name: 'Centralita Fake Bot',
        username: `fake_${id}_bot`,
        webhook: null,
        updates: [],
        nextUpdateId: 1,
        nextMessageId: 1,
        sent: [], // the bot's messages, with their keyboards as edited since
        allowedUpdates: null,
        poll: null,
        // The bot as a message's sender, and as getMe describes it.
        user() {
          return { id: this.id, is_bot: true, first_name: this.first_name, username: this.username };
        },
        me() {
          return { ...this.user(), can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false };
        },
      };
      this._bots.set(token, bot);
    }
    return bot;
  }

  // Sets what getMe answers for this bot.
  setBot(token, { first_name, username } = {}) {
    const bot = this._bot(token);
    if (first_name) bot.first_name = first_name;
    if (username) bot.username = username;
    return bot.me();
  }

  // The webhook the code under test registered: { url, secret_token, allowed_updates,
  // max_connections, set_at } or null.
  webhook(token) {
    const w = this._bot(token).webhook;
    return w ? { ...w } : null;
  }

  // Updates waiting for getUpdates (not yet confirmed with a higher offset).
  pending(token) {
    return this._bot(token).updates.map((u) => structuredClone(u));
  }

  // Queues an update for getUpdates; update_id is assigned (increasing per bot) unless given.
  queueUpdate(token, update) {
    const bot = this._bot(token);
    const u = { ...structuredClone(update) };
    if (u.update_id === undefined) u.update_id = bot.nextUpdateId;
    bot.nextUpdateId = Math.max(bot.nextUpdateId, u.update_id + 1);
    bot.updates.push(u);
    this._wake(bot);
    return structuredClone(u);
  }

  // An update as a private-chat user's text message would arrive (see makeTelegramUserUpdate).
  makeUserMessage(token, text, { updateId, ...opts } = {}) {
    const bot = this._bot(token);
    return makeTelegramUserUpdate(text, { updateId: updateId ?? bot.nextUpdateId, messageId: bot.nextMessageId++, ...opts });
  }

  // The bot's messages as sent, with their inline keyboards as edited since (newest last).
  sentMessages(token) {
    return this._bot(token).sent.map((m) => structuredClone(m));
  }

  // A tap on an inline button of one of the bot's messages, as Telegram delivers it: a
  // callback_query carrying the message as the chat shows it and the button's data.
  makeCallbackQuery(token, message, data, { updateId, userId = message.chat.id, firstName = 'Marta' } = {}) {
    const bot = this._bot(token);
    return {
      update_id: updateId ?? bot.nextUpdateId,
      callback_query: {
        id: String(BigInt(`0x${randomBytes(7).toString('hex')}`)),
        from: { id: userId, is_bot: false, first_name: firstName, language_code: 'es' },
        message: { ...structuredClone(message), chat: { id: message.chat.id, first_name: firstName, type: 'private' } },
        chat_instance: String(-BigInt(`0x${randomBytes(7).toString('hex')}`)),
        data,
      },
    };
  }

  queueUserMessage(token, text, opts) {
    return this.queueUpdate(token, this.makeUserMessage(token, text, opts));
  }

  // Posts an update to the webhook the code under test registered, the way Telegram does:
  // JSON body, X-Telegram-Bot-Api-Secret-Token set to the registered secret (override with
  // { secretToken }, or null to leave it out). Answers { status, text }.
  async deliverWebhook(token, update, { secretToken, timeout = DEFAULT_WAIT_MS } = {}) {
    const w = this._bot(token).webhook;
    if (!w) throw new Error(`no webhook is set for bot ${token}`);
    const headers = { 'content-type': 'application/json' };
    const secret = secretToken === undefined ? w.secret_token : secretToken;
    if (secret != null) headers['x-telegram-bot-api-secret-token'] = secret;
    const res = await fetch(w.url, { method: 'POST', headers, body: JSON.stringify(update), signal: AbortSignal.timeout(timeout) });
    return { status: res.status, text: await res.text() };
  }

  _setWebhook(bot, p) {
    if (p.url === undefined || p.url === '') return this._deleteWebhook(bot, p);
    let url;
    try {
      url = new URL(String(p.url));
    } catch {
      return [400, telegramError(400, 'Bad Request: bad webhook: Failed to parse URL').body];
    }
    // Telegram requires https on ports 443, 80, 88 or 8443; the fake also takes http so a
    // test can point it at a local server.
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return [400, telegramError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook').body];
    if (p.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(String(p.secret_token))) {
      return [400, telegramError(400, 'Bad Request: secret token contains unallowed characters').body];
    }
    const max = p.max_connections === undefined ? 40 : Number(p.max_connections);
    if (!Number.isInteger(max) || max < 1 || max > 100) return [400, telegramError(400, 'Bad Request: bad webhook: max_connections must be between 1 and 100').body];
    // allowed_updates left out keeps the previous setting.
    const allowed = p.allowed_updates === undefined ? undefined : listParam(p.allowed_updates);
    if (p.allowed_updates !== undefined && !Array.isArray(allowed)) return [400, telegramError(400, "Bad Request: can't parse allowed updates").body];
    if (boolParam(p.drop_pending_updates)) bot.updates = [];
    const same = bot.webhook?.url === url.href;
    bot.webhook = {
      url: String(p.url),
      secret_token: p.secret_token === undefined ? null : String(p.secret_token),
      max_connections: max,
      allowed_updates: allowed ?? bot.allowedUpdates,
      set_at: Date.now(),
    };
    if (allowed) bot.allowedUpdates = allowed;
    if (bot.poll) this._endPoll(bot, 409, telegramError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first").body);
    return [200, { ok: true, result: true, description: same ? 'Webhook is already set' : 'Webhook was set' }];
  }

  _deleteWebhook(bot, p) {
    const had = bot.webhook !== null;
    bot.webhook = null;
    if (boolParam(p.drop_pending_updates)) bot.updates = [];
    return [200, { ok: true, result: true, description: had ? 'Webhook was deleted' : 'Webhook is already deleted' }];
  }

  _webhookInfo(bot) {
    const info = { url: bot.webhook?.url ?? '', has_custom_certificate: false, pending_update_count: bot.updates.length };
    if (bot.webhook) {
      info.max_connections = bot.webhook.max_connections;
      if (bot.webhook.allowed_updates) info.allowed_updates = bot.webhook.allowed_updates;
    }
    return info;
  }

  _select(bot, limit) {
    const allowed = bot.allowedUpdates && bot.allowedUpdates.length > 0 ? bot.allowedUpdates : null;
    return bot.updates.filter((u) => !allowed || UPDATE_TYPES.filter((k) => k in u).some((k) => allowed.includes(k))).slice(0, limit);
  }

  _getUpdates(bot, p, rec, res, send) {
    if (bot.webhook) {
      return send(409, telegramError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first").body);
    }
    const offset = p.offset === undefined ? undefined : Number(p.offset);
    const limit = p.limit === undefined ? 100 : Number(p.limit);
    const timeout = p.timeout === undefined ? 0 : Number(p.timeout);
    if ([offset ?? 0, limit, timeout].some((n) => !Number.isFinite(n))) return send(400, telegramError(400, 'Bad Request: invalid parameter').body);
    if (p.allowed_updates !== undefined) {
      const a = listParam(p.allowed_updates);
      if (!Array.isArray(a)) return send(400, telegramError(400, "Bad Request: can't parse allowed updates").body);
      bot.allowedUpdates = a;
    }
    // An update is confirmed once getUpdates is called with an offset above its update_id; a
    // negative offset keeps only the last -offset updates.
    if (offset !== undefined && offset > 0) bot.updates = bot.updates.filter((u) => u.update_id >= offset);
    else if (offset !== undefined && offset < 0) bot.updates = bot.updates.slice(offset);
    const n = Math.min(100, Math.max(1, Math.trunc(limit)));
    // A second poller ends the first one's request with 409, as Telegram does.
    if (bot.poll) this._endPoll(bot, 409, failures.telegramConflict().body);
    const now = this._select(bot, n);
    if (now.length > 0 || timeout <= 0) return send(200, { ok: true, result: structuredClone(now) });
    const poll = {
      rec,
      limit: n,
      send,
      timer: setTimeout(() => this._endPoll(bot, 200, { ok: true, result: [] }), Math.trunc(timeout) * 1000),
    };
    res.on('close', () => {
      if (bot.poll === poll) {
        clearTimeout(poll.timer);
        bot.poll = null;
      }
    });
    bot.poll = poll;
  }

  _endPoll(bot, status, body) {
    const poll = bot.poll;
    if (!poll) return;
    bot.poll = null;
    clearTimeout(poll.timer);
    poll.send(status, body);
  }

  _wake(bot) {
    if (!bot.poll) return;
    const ready = this._select(bot, bot.poll.limit);
    if (ready.length > 0) this._endPoll(bot, 200, { ok: true, result: structuredClone(ready) });
  }

  _stop() {
    for (const bot of this._bots.values()) {
      if (bot.poll) {
        clearTimeout(bot.poll.timer);
        bot.poll = null;
      }
    }
  }
}

// A Bot API Update carrying a private-chat user's text message (entities for a leading
// /command), as getUpdates returns it and as Telegram posts it to a webhook.
export function makeTelegramUserUpdate(text, { updateId = 1, messageId = 1, chatId = 5123456789, userId = chatId, firstName = 'Marta', username, date } = {}) {
  const from = { id: userId, is_bot: false, first_name: firstName, language_code: 'es' };
  const chat = { id: chatId, first_name: firstName, type: 'private' };
  if (username) from.username = chat.username = username;
  const message = { message_id: messageId, from, chat, date: date ?? Math.floor(Date.now() / 1000), text };
  if (text.startsWith('/')) message.entities = [{ offset: 0, length: text.split(/\s/)[0].length, type: 'bot_command' }];
  return { update_id: updateId, message };
}

// Starts a fake on a free port of 127.0.0.1. options.tokens: { kind: [token, …] } as allowToken.
export async function startFakeProvider(options = {}) {
  return new FakeProvider(options)._listen(options.port ?? 0);
}
