// The API client: JSON in and out under /api/v1, the session's CSRF token on every
// request that changes something, and failures as ApiError with the server's code and
// message. Views show errors with errorMessage(), which translates the codes a person can
// act on and otherwise shows the server's own words.
import { t } from './i18n.js';

let csrfToken = null;
let onSessionLost = () => {};

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = 0, problems = null, rule = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    // A refused routing configuration names each problem: [{ path, reason }].
    this.problems = problems;
    // The input check a form failed: { rule, field, limit } (docs/API.md lists the rules).
    this.rule = rule;
  }
}

// Remembers the token answered by POST /session or GET /me; null forgets it.
export function setCsrfToken(token) {
  csrfToken = token;
}

// fn(notice) is called when a request is refused because the session has ended (expired,
// logged out elsewhere, user deactivated), or through sessionLost(notice) when a change
// ended it (a new password); notice is what the login page says, undefined for the usual.
export function whenSessionLost(fn) {
  onSessionLost = fn;
}

export function sessionLost(notice) {
  onSessionLost(notice);
}

// body: JSON to send.
async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? body : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', '');
  }
  const data = await res.json().catch(() => null);
  if (res.ok) return data;
  throw refused(path, res.status, data, res.headers.get('Retry-After'));
}

// The ApiError of a refused request (data: its JSON body, or null).
function refused(path, status, data, retryAfter) {
  const refusal = data?.error;
  const error = new ApiError(status, refusal?.code ?? 'unknown', refusal?.message ?? '',
    Number(retryAfter) || 0, Array.isArray(refusal?.problems) ? refusal.problems : null,
    typeof refusal?.rule === 'string' ? { rule: refusal.rule, field: String(refusal.field ?? ''), limit: Number(refusal.limit) || 0 } : null);
  if (error.code === 'unauthenticated' && path !== '/me') onSessionLost();
  return error;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body ?? {});
export const patch = (path, body) => request('PATCH', path, body);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);
// Uploads a file (a File or Blob, labelled with its own type) to path as its raw body, with
// XMLHttpRequest because its upload reports progress (fetch's does not): onProgress(sent, total).
export function upload(path, file, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1${path}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.addEventListener('progress', (event) => onProgress(event.loaded, event.total || file.size));
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', '')));
    xhr.addEventListener('load', () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(refused(path, xhr.status, data, xhr.getResponseHeader('Retry-After')));
    });
    xhr.send(file);
  });
}

// The names of the fields a rule can be about, in the reader's language.
const FIELDS = {
  name: () => t('users.name'),
  email: () => t('users.email'),
  password: () => t('profile.password.new'),
  shortcut: () => t('canned.shortcut'),
  text: () => t('canned.text'),
  key: () => t('attributes.key'),
  phone_number_id: () => t('channels.field.phoneNumberId'),
  page_id: () => t('channels.field.pageId'),
  instagram_account_id: () => t('channels.field.instagramAccountId'),
  access_token: () => t('channels.field.accessToken'),
  app_secret: () => t('channels.field.appSecret'),
  verify_token: () => t('channels.field.verifyToken'),
  bot_token: () => t('channels.field.botToken'),
  csat_question: () => t('csat.question'),
};

// A field of the API by its label in the forms, or its own name.
export function fieldLabel(name) {
  return FIELDS[name]?.() ?? name;
}

// The server's rule in the reader's language; undefined for a rule this page does not know,
// whose English message is then shown.
function ruleMessage({ rule, field, limit }) {
  const params = { field: fieldLabel(field), limit };
  switch (rule) {
    case 'required': return t('error.rule.required', params);
    case 'too_long': return t('error.rule.tooLong', params);
    case 'bad_characters': return t('error.rule.badCharacters', params);
    case 'wrong_type': return t('error.rule.wrongType', params);
    case 'unknown_field': return t('error.rule.unknownField', params);
    case 'numeric_id': return t('error.rule.numericId', params);
    case 'email_invalid': return t('error.rule.emailInvalid');
    case 'email_taken': return t('users.emailTaken');
    case 'password_length': return t('error.rule.passwordLength', params);
    case 'last_admin': return t('users.lastAdmin');
    case 'team_name_taken': return t('teams.nameTaken');
    case 'team_in_routing': return t('error.rule.teamInRouting');
    case 'shortcut_invalid': return t('error.rule.shortcutInvalid');
    case 'shortcut_taken': return t('canned.shortcutTaken');
    case 'attribute_taken': return t('attributes.keyTaken');
    case 'bot_token_invalid': return t('error.rule.botTokenInvalid');
    case 'channel_connected': return t('error.rule.channelConnected');
    default: return undefined;
  }
}

// Words for a failed request: the rule it broke when the server names one, else `overrides`,
// which maps error codes to the view's own wording (e.g. { unprocessable: t('…') }), else
// the words for the code.
export function errorMessage(error, overrides = {}) {
  if (!(error instanceof ApiError)) return t('error.unexpected');
  const words = error.rule && ruleMessage(error.rule);
  if (words) return words;
  if (overrides[error.code]) return overrides[error.code];
  switch (error.code) {
    case 'network': return t('error.network');
    case 'unavailable': return t('error.unavailable');
    case 'invalid_credentials': return t('error.invalidCredentials');
    case 'too_many_attempts': return t('error.tooManyAttempts', { seconds: error.retryAfter || 1 });
    case 'unauthenticated':
    case 'csrf_token_invalid': return t('error.sessionEnded');
    case 'forbidden': return t('error.forbidden');
    default: return error.message || t('error.unexpected');
  }
}
