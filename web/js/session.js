// The signed-in user: log in and out, pick the session up again after a reload (GET /me
// answers the CSRF token too), and change one's availability.
import { ApiError, del, get, patch, post, setCsrfToken } from './api.js';

let user = null;

export function currentUser() {
  return user;
}

export function isAdmin() {
  return user?.role === 'admin';
}

// A restricted agent sees only the conversations assigned to them: no general inbox, no
// team queues.
export function isRestricted() {
  return user?.role === 'restricted';
}

// Where the inbox starts: the general inbox, or "mine" for a restricted agent.
export function homePath() {
  return isRestricted() ? '/inbox/mine' : '/inbox/general';
}

function begin(answer) {
  user = answer.user;
  setCsrfToken(answer.csrf_token);
}

export function forgetSession() {
  user = null;
  setCsrfToken(null);
}

// The user when the session cookie is still good, else null.
export async function restoreSession() {
  try {
    begin(await get('/me'));
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
    forgetSession();
  }
  return user;
}

export async function logIn(email, password) {
  begin(await post('/session', { email, password }));
  return user;
}

// Ends the session on the server; one that has already ended there is fine too.
export async function logOut() {
  try {
    await del('/session');
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
  }
  forgetSession();
}

// PATCH /me: availability, name, or password with current_password.
export async function changeMe(changes) {
  user = (await patch('/me', changes)).user;
  return user;
}
