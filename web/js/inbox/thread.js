// One open conversation: its header with the one-click actions (transfer, assign, snooze,
// back to routing, resolve or reopen), its tags, the thread — customer and agent messages
// with delivery ticks, routing's messages, and the timeline's steps and notes as small
// lines between them — and the composer. Customer text is always shown as text.
import { ApiError, del, errorMessage, get, post, put } from '../api.js';
import { h } from '../dom.js';
import { byName, t } from '../i18n.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { channelMark, channelName, statusName, timeEl } from './format.js';
import { createComposer } from './composer.js';

const PAGE = 50;
const TAG = /^[a-z0-9_-]{1,64}$/;
const HOUR = 3600 * 1000;

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

function messageItem(m, users) {
  const side = m.direction === 'in' ? 'in' : m.sender === 'routing' ? 'bot' : 'out';
  return h('li', { class: ['msg', `msg-${side}`], 'data-message-id': m.id, 'data-status': m.status },
    h('div', { class: 'msg-bubble' },
      h('p', { class: 'msg-text' }, m.text ?? t('inbox.message.media', { type: m.type }))),
    h('div', { class: 'msg-meta' },
      side !== 'in' && h('span', { class: 'msg-sender' }, senderName(m, users)),
      timeEl(m.created_at), tick(m)),
    m.status === 'failed' && h('p', { class: 'msg-error' }, icon('alert'),
      t('inbox.tick.failedBecause', { reason: failureReason(m) })));
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
    h('span', {}, e.text), timeEl(e.created_at));
}

// A <select> whose choice runs at once ("one click") and then shows its prompt again. On the
// closed select the arrow keys only browse (browsers change its value as they go, firing
// "change" within the key's own task): Enter acts. A choice made in the open list acts.
function actionSelect(id, label, options, onPick) {
  const select = h('select', { id, class: 'select-action', 'aria-label': label },
    h('option', { value: '' }, label), options.map(([value, text]) => h('option', { value }, text)));
  let isBrowsing = false;
  const pick = () => {
    const value = select.value;
    select.value = '';
    if (value) onPick(value);
  };
  select.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && select.value) {
      event.preventDefault();
      pick();
    } else if (/^(Arrow|Page|Home|End)|^.$/.test(event.key)) {
      isBrowsing = true;
      setTimeout(() => {
        isBrowsing = false;
      });
    }
  });
  select.addEventListener('change', () => {
    if (!isBrowsing) pick();
  });
  select.addEventListener('blur', () => {
    select.value = '';
  });
  return select;
}

function snoozeOptions() {
  const now = new Date();
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9);
  const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate() + ((8 - now.getDay()) % 7 || 7), 9);
  return [[String(Date.now() + HOUR), t('inbox.snooze.hour')], [String(Date.now() + 4 * HOUR), t('inbox.snooze.hours4')],
    [String(tomorrow.getTime()), t('inbox.snooze.tomorrow')], [String(monday.getTime()), t('inbox.snooze.nextWeek')]];
}

// ctx: { id, base, user, users (Map id → user), teams (array), onGone(message), onToggleContact(),
// isContactOpen() }.
export function createThread(ctx) {
  let conversation = null;
  let messages = [];
  let events = [];
  let before; // the id to page back from; null once the first message is loaded
  const pending = [];
  let members = null; // the people of the conversation's team, for "Assign to…"
  let membersTeam = null;
  let reloadTimer = null;

  const heading = h('h2', { id: 'thread-heading', class: 'thread-title', tabindex: '-1' });
  const sub = h('p', { class: 'thread-sub' });
  const contactToggle = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-controls': 'contact-panel',
    onclick: () => ctx.onToggleContact() }, icon('user'), h('span', { class: 'label-wide' }, t('inbox.contact.toggle')));
  const statusButton = h('div', { class: 'thread-status' });
  const actions = h('div', { class: 'thread-actions', role: 'group', 'aria-label': t('inbox.actions.label') });
  const tags = h('div', { class: 'thread-tags' });
  const older = h('button', { type: 'button', class: 'btn btn-ghost btn-small load-older', hidden: true,
    onclick: () => loadOlder() }, t('inbox.thread.older'));
  const log = h('ol', { class: 'thread-log' });
  const scroller = h('div', { class: 'thread-scroll', role: 'log', 'aria-label': t('inbox.thread.label'), tabindex: '0' },
    older, log);
  const composer = createComposer({
    conversation: () => conversation,
    user: ctx.user,
    teamName: () => teamName(),
    onReply: sendReply,
    onNote: addNote,
  });
  const element = h('section', { class: 'thread', 'aria-labelledby': 'thread-heading' },
    h('header', { class: 'thread-header' },
      h('a', { class: 'back-link', href: ctx.base }, icon('back'), t('inbox.thread.back')),
      h('div', { class: 'thread-heading' }, heading, sub),
      statusButton, contactToggle),
    actions, tags, scroller, composer.element);

  function teamName() {
    return conversation?.team?.name ?? ctx.teams.find((x) => x.id === conversation?.team_id)?.name ?? null;
  }

  function assigneeName() {
    return conversation?.assignee?.name ?? ctx.users.get(conversation?.assignee_id)?.name ?? null;
  }

  function renderHeader() {
    const c = conversation;
    heading.textContent = c.contact.name || t('inbox.contact.unnamed');
    sub.replaceChildren(channelMark(c.channel.kind), h('span', {}, channelName(c.channel.kind)),
      h('span', { class: ['badge', `status-${c.status}`] }, statusName(c.status)),
      h('span', {}, teamName() ?? t('inbox.team.none')),
      h('span', {}, assigneeName() ? t('inbox.assignee.is', { name: assigneeName() }) : t('inbox.assignee.none')));
    contactToggle.setAttribute('aria-expanded', String(ctx.isContactOpen()));
    renderActions();
    renderTags();
    composer.update();
  }

  // Rebuilt only when what it offers changes, so a live update does not take the focus away.
  let actionsFor = '';
  function renderActions() {
    const c = conversation;
    const state = JSON.stringify([c.status, c.team_id, c.assignee_id, members?.map((u) => u.id)]);
    if (state === actionsFor) return;
    actionsFor = state;
    const focused = actions.contains(document.activeElement) || statusButton.contains(document.activeElement)
      ? document.activeElement.id : null;
    const teamOptions = [...ctx.teams].sort(byName).filter((x) => x.id !== c.team_id).map((x) => [String(x.id), x.name]);
    const people = (members ?? [...ctx.users.values()]).filter((u) => u.active !== false && u.id !== c.assignee_id);
    const assignOptions = [
      c.assignee_id !== ctx.user.id && people.some((u) => u.id === ctx.user.id) && [String(ctx.user.id), t('inbox.assign.me')],
      ...people.filter((u) => u.id !== ctx.user.id).sort(byName).map((u) => [String(u.id), u.name]),
      c.assignee_id && ['none', t('inbox.assign.nobody')],
    ].filter(Boolean);
    const isResolved = c.status === 'resolved';
    actions.replaceChildren(...[
      actionSelect('action-transfer', t('inbox.action.transfer'), teamOptions,
        (id) => act('transfer', { team_id: Number(id) }, t('inbox.done.transferred'))),
      actionSelect('action-assign', t('inbox.action.assign'), assignOptions,
        (id) => (id === 'none' ? act('unassign', undefined, t('inbox.done.unassigned'))
          : act('assign', { user_id: Number(id) }, t('inbox.done.assigned')))),
      !isResolved && actionSelect('action-snooze', t('inbox.action.snooze'), snoozeOptions(),
        (until) => act('snooze', { until: Number(until) }, t('inbox.done.snoozed'))),
      !isResolved && c.status !== 'routing' && h('button', { type: 'button', class: 'btn btn-secondary btn-small',
        onclick: () => act('routing', undefined, t('inbox.done.routing')) }, icon('route'), t('inbox.action.routing')),
    ].filter(Boolean));
    statusButton.replaceChildren(isResolved || c.status === 'snoozed'
        ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'action-reopen',
          onclick: () => act('reopen', undefined, t('inbox.done.reopened')) },
        icon('undo'), h('span', { class: 'label-wide' }, t('inbox.action.reopen')))
        : h('button', { type: 'button', class: 'btn btn-primary btn-small', id: 'action-resolve', onclick: resolve },
          icon('check'), h('span', { class: 'label-wide' }, t('inbox.action.resolve'))));
    if (focused) document.getElementById(focused)?.focus();
  }

  function renderTags() {
    const list = conversation.tags ?? [];
    const input = h('input', { type: 'text', class: 'tag-input', maxlength: 64, autocomplete: 'off',
      'aria-label': t('inbox.tags.add'), placeholder: t('inbox.tags.add') });
    const form = h('form', { class: 'tag-form' }, input);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const name = input.value.trim().toLowerCase();
      if (!TAG.test(name)) {
        notify(t('inbox.tags.invalid'), { isError: true });
        return;
      }
      await changeTag(put, name);
    });
    tags.replaceChildren(h('ul', { class: 'tag-list', role: 'list', 'aria-label': t('inbox.tags.label') },
      list.map((name) => h('li', { class: 'tag' }, h('span', {}, name),
        h('button', { type: 'button', class: 'tag-remove', 'aria-label': t('inbox.tags.remove', { tag: name }),
          onclick: () => changeTag(del, name) }, icon('close'))))), form);
  }

  async function changeTag(method, name) {
    try {
      const answer = await method(`/conversations/${ctx.id}/tags/${encodeURIComponent(name)}`);
      conversation.tags = answer.tags;
      renderTags();
      tags.querySelector('input').focus();
    } catch (e) {
      notify(errorMessage(e), { isError: true });
    }
  }

  async function act(action, body, done) {
    try {
      const path = action === 'routing' ? `/conversations/${ctx.id}/routing` : `/conversations/${ctx.id}/${action}`;
      const answer = await post(path, body);
      notify(done);
      if (!answer.conversation) {
        ctx.onGone(t('inbox.gone.transferred'));
        return;
      }
      await loadConversation();
      loadTimeline();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) ctx.onGone(t('inbox.gone.notVisible'));
      else notify(errorMessage(e), { isError: true });
    }
  }

  function resolve() {
    if (conversation && conversation.status !== 'resolved') act('resolve', undefined, t('inbox.done.resolved'));
  }

  function render() {
    const isNearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
    // Messages keep the order they were stored in (a customer's time is the provider's, to
    // the second); each timeline line goes before the first message that came after it.
    const items = [];
    const lines = events.filter((e) => before == null || e.created_at >= messages[0].created_at);
    let next = 0;
    for (const m of messages) {
      for (; next < lines.length && lines[next].created_at < m.created_at; next++) items.push(timelineItem(lines[next], ctx.users));
      items.push(messageItem(m, ctx.users));
    }
    items.push(...lines.slice(next).map((e) => timelineItem(e, ctx.users)));
    log.replaceChildren(...items, ...pending.map((p) => p.el));
    older.hidden = before == null;
    if (isNearBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  async function loadConversation() {
    conversation = (await get(`/conversations/${ctx.id}`)).conversation;
    if (conversation.team_id !== membersTeam) {
      membersTeam = conversation.team_id;
      members = membersTeam ? await get(`/teams/${membersTeam}`).then((r) => r.team.members, () => null) : null;
    }
    renderHeader();
  }

  async function loadMessages() {
    const answer = await get(`/conversations/${ctx.id}/messages?limit=${PAGE}`);
    const known = new Map(messages.map((m) => [m.id, m]));
    for (const m of answer.messages) known.set(m.id, m);
    messages = [...known.values()].sort((a, b) => a.id - b.id);
    if (before === undefined) before = answer.next_before ?? null;
    render();
  }

  async function loadOlder() {
    const answer = await get(`/conversations/${ctx.id}/messages?limit=${PAGE}&before=${before}`);
    messages = [...answer.messages.reverse(), ...messages];
    before = answer.next_before ?? null;
    const height = scroller.scrollHeight;
    render();
    scroller.scrollTop += scroller.scrollHeight - height;
  }

  // The timeline's lines and the notes, by time; a note stands for its "added a note" line.
  async function loadTimeline() {
    const [timeline, notes] = await Promise.all([get(`/conversations/${ctx.id}/events`),
      get(`/conversations/${ctx.id}/notes`)]);
    events = [...timeline.events.filter((e) => e.kind !== 'note'), ...notes.notes]
      .sort((a, b) => a.created_at - b.created_at);
    render();
  }

  function markRead() {
    if (document.visibilityState === 'visible' && conversation) post(`/conversations/${ctx.id}/read`).catch(() => {});
  }
  document.addEventListener('visibilitychange', markRead);

  async function sendReply(text) {
    const item = { el: pendingItem(text) };
    pending.push(item);
    render();
    try {
      await post(`/conversations/${ctx.id}/messages`, { text });
      await loadMessages();
    } finally {
      pending.splice(pending.indexOf(item), 1);
      render();
    }
  }

  async function addNote(text) {
    await post(`/conversations/${ctx.id}/notes`, { text });
    await loadTimeline();
  }

  // Reloads after events, a few at a time: each event adds what it changed, and one run
  // reloads all of it, so an event is never lost to the next one's timer.
  const due = new Set();
  function schedule(...parts) {
    for (const part of parts) due.add(part);
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(reloadDue, 150);
  }

  async function reloadDue() {
    const parts = new Set(due);
    due.clear();
    try {
      if (parts.has('conversation')) await loadConversation();
      await Promise.all([parts.has('messages') && loadMessages(), parts.has('timeline') && loadTimeline()]);
      if (parts.has('read')) markRead();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) ctx.onGone(t('inbox.gone.notVisible'));
      else notify(errorMessage(e), { isError: true });
    }
  }

  return {
    element,
    id: ctx.id,
    conversation: () => conversation,
    async load() {
      await loadConversation();
      await Promise.all([loadMessages(), loadTimeline()]);
      markRead();
    },
    reload: () => schedule('conversation', 'messages', 'timeline'),
    onEvent(name, data) {
      if (name === 'message.created' && data.direction === 'in') schedule('messages', 'read');
      else if (name === 'message.created' || name === 'message.updated') schedule('messages');
      else if (name === 'note.created') schedule('timeline');
      // Its read mark changes nothing the thread shows.
      else if (name === 'conversation.updated' && data.action !== 'read') schedule('conversation', 'timeline');
    },
    // Once on the page: the newest message in view.
    scrollToEnd() {
      scroller.scrollTop = scroller.scrollHeight;
    },
    contactToggled() {
      contactToggle.setAttribute('aria-expanded', String(ctx.isContactOpen()));
    },
    focusComposer: () => composer.focus(),
    focusAction: (id) => element.querySelector(`#${id}`)?.focus(),
    resolve,
    dispose() {
      clearTimeout(reloadTimer);
      document.removeEventListener('visibilitychange', markRead);
      composer.dispose();
    },
  };
}
