// The thread's log: customer and agent messages with delivery ticks (and the provider's
// reason when one failed), routing's messages, the timeline's lines and notes between them
// by time, replies still being sent, and older pages on demand, with each message's file
// (inbox/media.js). Customer text is always text.
// It opens at the newest message and stays pinned to the bottom as messages arrive or the
// layout changes, unless the agent scrolled up: then "New messages ↓" offers the way down.
import { errorMessage, get, post } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { whileBusy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { timeEl, timeText } from './format.js';
import { lineText } from './lines.js';
import { mediaView } from './media.js';

const PAGE = 50;

const TICKS = {
  queued: { icon: 'clock', label: () => t('inbox.tick.queued') },
  sent: { icon: 'check', label: () => t('inbox.tick.sent') },
  delivered: { icon: 'checks', label: () => t('inbox.tick.delivered') },
  read: { icon: 'checks', label: () => t('inbox.tick.read') },
  failed: { icon: 'alert', label: () => t('inbox.tick.failed') },
};

const TIMELINE_ICONS = { routing: 'route', transfer: 'users', assignment: 'user', status: 'check', note: 'note', tag: 'sliders' };

// The provider's reason for a failed message, in whichever shape the answer carries it.
function failureReason(m) {
  const e = m.error;
  if (e && typeof e === 'object') return [e.code, e.title ?? e.message].filter(Boolean).join(' · ');
  return e || [m.error_code, m.error_title].filter(Boolean).join(' · ') || t('inbox.tick.noReason');
}

function tick(m) {
  const mark = TICKS[m.status];
  if (!mark || m.direction === 'in') return null;
  const label = m.status === 'failed' ? t('inbox.tick.failedBecause', { reason: failureReason(m) }) : mark.label();
  return h('span', { class: ['tick', `tick-${m.status}`], title: label },
    icon(mark.icon), h('span', { class: 'visually-hidden' }, label));
}

function senderName(m, users) {
  if (m.direction === 'in') return null;
  switch (m.sender) {
    case 'routing': return t('inbox.sender.routing');
    case 'provider_app': return t('inbox.sender.providerApp');
    default: return m.user?.name ?? m.sender_user?.name ?? users.get(m.author_id)?.name ?? t('inbox.sender.agent');
  }
}

// A reply that has not reached the customer: refused for good, or waiting to retry after a
// failed attempt (later replies wait behind it). Either way, why, and "retry now".
function undelivered(m, onRetry) {
  const isRetrying = m.delivery?.state === 'retrying';
  if (m.status !== 'failed' && !isRetrying) return null;
  const text = isRetrying
    ? t('inbox.delivery.retrying', { reason: m.delivery.reason ?? t('inbox.tick.noReason'),
      time: timeText(m.delivery.next_attempt_at) })
    : t('inbox.tick.failedBecause', { reason: failureReason(m) });
  return h('div', { class: 'msg-error', role: 'status' }, icon('alert'), h('span', {}, text),
    m.sender !== 'provider_app' && h('button', { type: 'button', class: 'btn btn-secondary btn-small msg-retry',
      onclick: (event) => onRetry(m, event.currentTarget) }, t('inbox.delivery.retryNow')));
}

function messageItem(m, users, media, onRetry) {
  const side = m.direction === 'in' ? 'in' : m.sender === 'routing' ? 'bot' : 'out';
  const file = mediaView(m, media);
  return h('li', { class: ['msg', `msg-${side}`], 'data-message-id': m.id, 'data-status': m.status },
    h('div', { class: 'msg-bubble' }, file,
      (m.text || !file) && h('p', { class: 'msg-text' }, m.text ?? t('inbox.message.media', { type: m.type }))),
    h('div', { class: 'msg-meta' },
      side !== 'in' && h('span', { class: 'msg-sender' }, senderName(m, users)),
      timeEl(m.created_at), tick(m)),
    side !== 'in' && undelivered(m, onRetry));
}

function pendingItem(text) {
  return h('li', { class: ['msg', 'msg-out', 'is-sending'] },
    h('div', { class: 'msg-bubble' }, h('p', { class: 'msg-text' }, text)),
    h('div', { class: 'msg-meta' }, h('span', { class: 'tick tick-sending' }, icon('clock'), t('inbox.tick.sending'))));
}

// A note (from …/notes, in the timeline's shape) or a timeline line.
function timelineItem(e, users) {
  if (e.kind === 'note')
    return h('li', { class: 'note' },
      h('p', { class: 'note-head' }, icon('note'),
        t('inbox.note.by', { name: users.get(e.user_id)?.name ?? t('inbox.sender.agent') }), timeEl(e.created_at)),
      h('p', { class: 'note-text' }, e.text));
  return h('li', { class: 'sysline', 'data-kind': e.kind }, icon(TIMELINE_ICONS[e.kind] ?? 'chat'),
    h('span', {}, lineText(e)), timeEl(e.created_at));
}

// id: the conversation's; users: a Map id → user, to name the authors.
export function createLog({ id, users }) {
  let messages = [];
  let events = [];
  let before; // the id to page back from; null once the first message is loaded
  const pending = [];
  let shownNewest; // the newest message id rendered, to tell when one arrives
  const media = new Map(); // message id → its file's node (inbox/media.js)

  const older = h('button', { type: 'button', class: 'btn btn-ghost btn-small load-older', hidden: true,
    onclick: () => loadOlder() }, t('inbox.thread.older'));
  const log = h('ol', { class: 'thread-log' });
  const pill = h('button', { type: 'button', class: 'btn btn-primary btn-small thread-pill', hidden: true,
    onclick: () => toEnd() }, t('inbox.thread.newMessages'));
  const scroller = h('div', { class: 'thread-scroll', role: 'log', 'aria-label': t('inbox.thread.label'), tabindex: '0' },
    older, log, pill);

  // Pinned while the agent has not scrolled away from the bottom; our own scrolling (to the
  // end, or keeping the place when older messages come in) does not count.
  let isPinned = true;
  let ownTop = null;
  function toEnd() {
    isPinned = true;
    pill.hidden = true;
    scroller.scrollTop = scroller.scrollHeight;
    ownTop = scroller.scrollTop;
  }
  scroller.addEventListener('scroll', () => {
    if (ownTop !== null && Math.abs(scroller.scrollTop - ownTop) < 2) return;
    ownTop = null;
    isPinned = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    if (isPinned) pill.hidden = true;
  });
  // Fonts, the contact panel opening or a longer message change the height: stay at the end.
  const resized = new ResizeObserver(() => {
    if (isPinned) toEnd();
  });
  resized.observe(scroller);
  resized.observe(log);

  function render() {
    const newest = messages.at(-1)?.id;
    // Messages keep the order they were stored in (a customer's time is the provider's, to
    // the second); each timeline line goes before the first message that came after it.
    const items = [];
    const lines = events.filter((e) => before == null || e.created_at >= messages[0].created_at);
    let next = 0;
    for (const m of messages) {
      for (; next < lines.length && lines[next].created_at < m.created_at; next++) items.push(timelineItem(lines[next], users));
      items.push(messageItem(m, users, media, retry));
    }
    items.push(...lines.slice(next).map((e) => timelineItem(e, users)));
    log.replaceChildren(...items, ...pending.map((p) => p.el));
    older.hidden = before == null;
    if (isPinned) toEnd();
    else if (newest !== shownNewest && shownNewest !== undefined) pill.hidden = false;
    shownNewest = newest;
  }

  // "Retry now": the outbox sends it at once; the thread shows it queued again.
  async function retry(m, button) {
    try {
      await whileBusy(button, () => post(`/conversations/${id}/messages/${m.id}/retry`));
      notify(t('inbox.delivery.retried'));
      await loadMessages();
    } catch (e) {
      notify(errorMessage(e), { isError: true });
    }
  }

  async function loadMessages() {
    const answer = await get(`/conversations/${id}/messages?limit=${PAGE}`);
    const known = new Map(messages.map((m) => [m.id, m]));
    for (const m of answer.messages) known.set(m.id, m);
    messages = [...known.values()].sort((a, b) => a.id - b.id);
    if (before === undefined) before = answer.next_before ?? null;
    render();
  }

  async function loadOlder() {
    const answer = await get(`/conversations/${id}/messages?limit=${PAGE}&before=${before}`);
    messages = [...answer.messages.reverse(), ...messages];
    before = answer.next_before ?? null;
    const height = scroller.scrollHeight;
    render();
    scroller.scrollTop += scroller.scrollHeight - height;
    ownTop = scroller.scrollTop;
  }

  // The timeline's lines and the notes, by time; a note stands for its "added a note" line.
  async function loadTimeline() {
    const [timeline, notes] = await Promise.all([get(`/conversations/${id}/events`),
      get(`/conversations/${id}/notes`)]);
    events = [...timeline.events.filter((e) => e.kind !== 'note'), ...notes.notes]
      .sort((a, b) => a.created_at - b.created_at);
    render();
  }

  return {
    element: scroller,
    loadMessages,
    loadTimeline,
    // A reply on its way, shown until remove() (the server queued it, or refused it).
    addPending(text) {
      const item = { el: pendingItem(text) };
      pending.push(item);
      render();
      return () => {
        pending.splice(pending.indexOf(item), 1);
        render();
      };
    },
    scrollToEnd: toEnd,
    dispose: () => resized.disconnect(),
  };
}
