// The open conversation's header: the contact's name, channel, status, team and assignee;
// the one-click actions (transfer, assign, snooze, back to routing, resolve or reopen) and
// the tags. Live updates re-render it without taking the focus away.
import { ApiError, del, errorMessage, post, put } from '../api.js';
import { h } from '../dom.js';
import { byName, t } from '../i18n.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { channelMark, channelName, statusName } from './format.js';

const TAG = /^[a-z0-9_-]{1,64}$/;
const HOUR = 3600 * 1000;

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

// ctx: the thread's (createThread); onActed() after an action changed the conversation.
export function createHeader(ctx, onActed) {
  let conversation = null;
  let members = null; // the people of the conversation's team, for "Assign to…"

  const heading = h('h2', { id: 'thread-heading', class: 'thread-title', tabindex: '-1' });
  const sub = h('p', { class: 'thread-sub' });
  const contactToggle = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-controls': 'contact-panel',
    onclick: () => ctx.onToggleContact() }, icon('user'), h('span', { class: 'label-wide' }, t('inbox.contact.toggle')));
  const statusButton = h('div', { class: 'thread-status' });
  const actions = h('div', { class: 'thread-actions', role: 'group', 'aria-label': t('inbox.actions.label') });
  const tags = h('div', { class: 'thread-tags' });
  const header = h('header', { class: 'thread-header' },
    h('a', { class: 'back-link', href: ctx.base }, icon('back'), t('inbox.thread.back')),
    h('div', { class: 'thread-heading' }, heading, sub),
    statusButton, contactToggle);

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
      await onActed();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) ctx.onGone(t('inbox.gone.notVisible'));
      else notify(errorMessage(e), { isError: true });
    }
  }

  function resolve() {
    if (conversation && conversation.status !== 'resolved') act('resolve', undefined, t('inbox.done.resolved'));
  }

  return {
    elements: [header, actions, tags],
    teamName,
    // The conversation as GET /conversations/:id answers it, and its team's members.
    render(c, teamMembers) {
      conversation = c;
      members = teamMembers;
      renderHeader();
    },
    contactToggled() {
      contactToggle.setAttribute('aria-expanded', String(ctx.isContactOpen()));
    },
    resolve,
  };
}
