// The live side of the inbox: one EventSource on /api/v1/events for the whole session,
// handed to whoever listens (the open inbox view); the counts beside the views in the
// navigation; the unread count in the tab's title; and, when the tab is hidden, a desktop
// notification and a short tone for each new customer message in my views.
// A dropped stream reconnects from the last event it saw (?last_event_id=N), so nothing
// said meanwhile is lost and nothing arrives twice.
import { get } from './api.js';
import { t } from './i18n.js';
import { navigate } from './router.js';
import { homePath } from './session.js';

const EVENTS = ['message.created', 'message.updated', 'conversation.updated', 'note.created', 'contact.updated', 'reset'];
const RECONNECT_MS = 1000;
const RECONNECT_MAX_MS = 30000;
const COUNTS_DELAY_MS = 400;

let source = null;
let lastId = null;
let reconnectTimer = null;
let reconnectDelay = RECONNECT_MS;
let listeners = new Set();
let countTargets = null;
let countsTimer = null;
let pageTitle = '';
let unread = 0;

function connect() {
  clearTimeout(reconnectTimer);
  const query = lastId === null ? '' : `?last_event_id=${encodeURIComponent(lastId)}`;
  source = new EventSource(`/api/v1/events${query}`);
  for (const name of EVENTS) {
    source.addEventListener(name, (event) => {
      if (event.lastEventId) lastId = event.lastEventId;
      let data = {};
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      dispatch(name, data);
    });
  }
  source.addEventListener('open', () => {
    reconnectDelay = RECONNECT_MS;
  });
  // The browser retries by itself while the stream is CONNECTING; a refused answer closes
  // it for good, so the retry with the last id seen is ours, slower each time. A refusal
  // may mean the session ended: any API call finds out (and brings the login back).
  source.addEventListener('error', () => {
    if (source?.readyState !== EventSource.CLOSED) return;
    get('/teams').catch(() => {});
    drop(reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, RECONNECT_MAX_MS);
  });
}

function drop(delay) {
  source?.close();
  source = null;
  clearTimeout(reconnectTimer);
  reconnectTimer = setTimeout(connect, delay);
}

// The counts change with a conversation's status, team, assignee or read mark, and with a
// customer's message (unread, or a new conversation); other events leave them as they are.
function changesCounts(name, data) {
  if (name === 'conversation.updated') return data.action !== 'tags';
  return name === 'reset' || (name === 'message.created' && data.direction === 'in');
}

function dispatch(name, data) {
  for (const fn of listeners) fn(name, data);
  if (changesCounts(name, data)) scheduleCounts();
  if (name === 'message.created' && data.direction === 'in') alertNewMessage(data.conversation_id);
}

// Starts the stream and the counts for a signed-in session; stopLive() ends both.
// shell shows the counts (setCounts()).
export function startLive(shell) {
  countTargets = shell;
  if (!source) connect();
  scheduleCounts(0);
}

export function stopLive() {
  source?.close();
  source = null;
  lastId = null;
  reconnectDelay = RECONNECT_MS;
  clearTimeout(reconnectTimer);
  clearTimeout(countsTimer);
  countTargets = null;
  listeners = new Set();
  setUnread(0);
}

// fn(name, data) for every event; returns the function that stops listening.
export function listen(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Counts: open conversations per view and the conversations with unread customer messages
// among those I may see (for the title), all in one answer of GET /conversations/counts.
function scheduleCounts(delay = COUNTS_DELAY_MS) {
  clearTimeout(countsTimer);
  countsTimer = setTimeout(refreshCounts, delay);
}

export async function refreshCounts() {
  const shell = countTargets;
  if (!shell) return;
  try {
    const { views, unread: count, capped } = await get('/conversations/counts');
    if (shell !== countTargets) return;
    shell.setCounts(views);
    setUnread(capped.includes('unread') ? `${count}+` : count);
  } catch {
    // The counts wait for the next event; the view shows its own errors.
  }
}

// The title is "(3) General · Centralita" while three conversations have unread messages.
export function setPageTitle(title) {
  pageTitle = title;
  showTitle();
}

// count: a number, or "1000+" past what the server counts.
function setUnread(count) {
  unread = count;
  showTitle();
}

function showTitle() {
  if (!pageTitle) return;
  document.title = unread !== 0 ? t('app.unreadTitle', { count: unread, title: pageTitle }) : pageTitle;
}

// Desktop notifications are asked for from a button (never on load).
export function canAskNotifications() {
  return 'Notification' in window && Notification.permission === 'default';
}

export async function askNotifications() {
  if (!('Notification' in window)) return 'denied';
  return Notification.requestPermission();
}

async function alertNewMessage(conversationId) {
  if (document.visibilityState !== 'hidden') return;
  beep();
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  try {
    const { conversation } = await get(`/conversations/${conversationId}`);
    const note = new Notification(conversation.contact.name || t('inbox.contact.unnamed'), {
      body: conversation.last_message?.preview ?? t('notify.newMessage'),
      tag: `conversation-${conversationId}`,
    });
    note.addEventListener('click', () => {
      window.focus();
      const view = location.pathname.match(/^\/inbox\/(general|mine|all|team\/\d+)/)?.[0] ?? homePath();
      navigate(`${view}/${conversationId}`);
    });
  } catch {
    // A conversation that went out of sight meanwhile is not announced.
  }
}

// A short, soft two-note chime made with WebAudio: no sound file to fetch.
let audio = null;
function beep() {
  try {
    audio ??= new AudioContext();
    const now = audio.currentTime;
    for (const [i, freq] of [660, 880].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + i * 0.12);
      gain.gain.exponentialRampToValueAtTime(0.15, now + i * 0.12 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.12 + 0.25);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + i * 0.12);
      osc.stop(now + i * 0.12 + 0.3);
    }
  } catch {
    // No audio device: the notification alone has to do.
  }
}

