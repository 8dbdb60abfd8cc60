// The API client: JSON in and out under /api/v1, the session's CSRF token on every
// request that changes something, and failures as ApiError with the server's code and
// message. Views show errors with errorMessage(), which translates the codes a person can
// act on and otherwise shows the server's own words.
import { t } from './i18n.js';

let csrfToken = null;
let onSessionLost = () => {};

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = 0, problems = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
    // A refused routing configuration names each problem: [{ path, reason }].
    this.problems = problems;
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

// body: JSON to send, or a File sent as it is (an upload, labelled with its own type).
async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  const isFile = body instanceof Blob;
  if (body !== undefined) headers['Content-Type'] = isFile ? body.type || 'application/octet-stream' : 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined || isFile ? body : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'network', '');
  }
  const data = await res.json().catch(() => null);
  if (res.ok) return data;
  const error = new ApiError(res.status, data?.error?.code ?? 'unknown', data?.error?.message ?? '',
    Number(res.headers.get('Retry-After')) || 0, Array.isArray(data?.error?.problems) ? data.error.problems : null);
  if (error.code === 'unauthenticated' && path !== '/me') onSessionLost();
  throw error;
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body ?? {});
export const patch = (path, body) => request('PATCH', path, body);
export const put = (path, body) => request('PUT', path, body);
export const del = (path) => request('DELETE', path);
// Uploads a file (a File or Blob) to path as its raw body.
export const upload = (path, file) => request('POST', path, file);

// Words for a failed request. `overrides` maps error codes to the view's own wording
// (e.g. { conflict: t('teams.nameTaken') }).
export function errorMessage(error, overrides = {}) {
  if (!(error instanceof ApiError)) return t('error.unexpected');
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
