// The open conversation's header: the contact's name; its channel, status, team, assignee
// and tags on one line; the actions on one line beside it (menus to transfer, assign,
// snooze and send back to routing; resolve or reopen; the contact panel), so the messages
// keep most of the height. Live updates re-render it without taking the focus away.
import { ApiError, del, errorMessage, post, put } from '../api.js';
import { h } from '../dom.js';
import { byName, t } from '../i18n.js';
import { icon } from '../ui/icons.js';
import { menuButton } from '../ui/menu.js';
import { notify } from '../ui/toast.js';
import { channelMark, channelName, statusName } from './format.js';

const TAG = /^[a-z0-9_-]{1,64}$/;
const HOUR = 3600 * 1000;

function snoozeOptions() {
  const now = new Date();
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 9);
  const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate() + ((8 - now.getDay()) % 7 || 7), 9);
  return [[String(Date.now() + HOUR), t('inbox.snooze.hour')], [String(Date.now() + 4 * HOUR), t('inbox.snooze.hours4')],
    [String(tomorrow.getTime()), t('inbox.snooze.tomorrow')], [String(monday.getTime()), t('inbox.snooze.nextWeek')]];
}

// The customer's rating of the conversation (its latest question), or nothing.
function csatMark(csat) {
  if (csat?.state === 'answered') {
    const long = csat.agent_name ? t('csat.ratedBy', { rating: csat.rating, name: csat.agent_name })
      : t('csat.ratedNoAgent', { rating: csat.rating });
    return h('span', { class: 'badge csat', id: 'thread-csat', title: long, 'aria-label': long },
      t('csat.rated', { rating: csat.rating }));
  }
  if (csat?.state === 'asked') {
    return h('span', { class: 'badge csat', id: 'thread-csat', title: t('csat.askedLong') }, t('csat.asked'));
  }
  return '';
}

// ctx: the thread's (createThread); onActed() after an action changed the conversation.
export function createHeader(ctx, onActed) {
  let conversation = null;
  let members = null; // the people of the conversation's team, for "Assign to…"

  const heading = h('h2', { id: 'thread-heading', class: 'thread-title', tabindex: '-1' });
  const sub = h('p', { class: 'thread-sub' });
  const contactToggle = h('button', { type: 'button', class: 'btn btn-ghost btn-small', 'aria-controls': 'contact-panel',
    title: t('inbox.contact.toggle'), onclick: () => ctx.onToggleContact() },
  icon('user'), h('span', { class: 'menu-label' }, t('inbox.contact.toggle')));
  const menus = h('div', { class: 'thread-menus' });
  const statusButton = h('div', { class: 'thread-status' });
  const actions = h('div', { class: 'thread-actions', role: 'group', 'aria-label': t('inbox.actions.label') },
    menus, statusButton, contactToggle);
  const tags = h('div', { class: 'thread-tags' });
  // Only on a phone, where the list and its filters are out of sight while the thread is open.
  const back = h('a', { class: 'back-link' }, icon('back'), t('inbox.thread.back'));
  const header = h('header', { class: 'thread-header' },
    back,
    heading, actions, h('div', { class: 'thread-line' }, sub, tags));

  function teamName() {
    return conversation?.team?.name ?? ctx.teams.find((x) => x.id === conversation?.team_id)?.name ?? null;
  }

  function assigneeName() {
    return conversation?.assignee?.name ?? ctx.users.get(conversation?.assignee_id)?.name ?? null;
  }

  function renderHeader() {
    const c = conversation;
    heading.textContent = c.contact.name || t('inbox.contact.unnamed');
    back.href = ctx.listUrl();
    sub.replaceChildren(channelMark(c.channel.kind), h('span', {}, channelName(c.channel.kind)),
      h('span', { class: ['badge', `status-${c.status}`] }, statusName(c.status)),
      h('span', {}, teamName() ?? t('inbox.team.none')),
      h('span', {}, assigneeName() ? t('inbox.assignee.is', { name: assigneeName() }) : t('inbox.assignee.none')),
      csatMark(c.csat));
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
    const focused = actions.contains(document.activeElement) ? document.activeElement.id : null;
    const teamOptions = [...ctx.teams].sort(byName).filter((x) => x.id !== c.team_id).map((x) => [String(x.id), x.name]);
    const people = (members ?? [...ctx.users.values()]).filter((u) => u.active !== false && u.id !== c.assignee_id);
    const assignOptions = [
      c.assignee_id !== ctx.user.id && people.some((u) => u.id === ctx.user.id) && [String(ctx.user.id), t('inbox.assign.me')],
      ...people.filter((u) => u.id !== ctx.user.id).sort(byName).map((u) => [String(u.id), u.name]),
      c.assignee_id && ['none', t('inbox.assign.nobody')],
    ].filter(Boolean);
    const isResolved = c.status === 'resolved';
    menus.replaceChildren(...[
      menuButton({ id: 'action-transfer', label: t('inbox.action.transfer'), iconName: 'users', items: teamOptions,
        onPick: (id) => act('transfer', { team_id: Number(id) }, t('inbox.done.transferred')) }),
      menuButton({ id: 'action-assign', label: t('inbox.action.assign'), iconName: 'user', items: assignOptions,
        onPick: (id) => (id === 'none' ? act('unassign', undefined, t('inbox.done.unassigned'))
          : act('assign', { user_id: Number(id) }, t('inbox.done.assigned'))) }),
      !isResolved && menuButton({ id: 'action-snooze', label: t('inbox.action.snooze'), iconName: 'clock',
        items: snoozeOptions(), onPick: (until) => act('snooze', { until: Number(until) }, t('inbox.done.snoozed')) }),
      !isResolved && c.status !== 'routing' && menuButton({ id: 'action-more', label: t('inbox.action.more'),
        iconName: 'more', items: [['routing', t('inbox.action.routing')]],
        onPick: () => act('routing', undefined, t('inbox.done.routing')) }),
    ].filter(Boolean).map((m) => m.element));
    statusButton.replaceChildren(isResolved || c.status === 'snoozed'
        ? h('button', { type: 'button', class: 'btn btn-secondary btn-small', id: 'action-reopen',
          onclick: () => act('reopen', undefined, t('inbox.done.reopened')) },
        icon('undo'), h('span', {}, t('inbox.action.reopen')))
        : h('button', { type: 'button', class: 'btn btn-primary btn-small', id: 'action-resolve', onclick: resolve },
          icon('check'), h('span', {}, t('inbox.action.resolve'))));
    if (focused) document.getElementById(focused)?.focus();
  }

  // Rebuilt only when the tags change, so a live update keeps a tag being typed.
  let tagsFor = null;
  function renderTags() {
    const list = conversation.tags ?? [];
    if (JSON.stringify(list) === tagsFor) return;
    tagsFor = JSON.stringify(list);
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
      tagsFor = null;
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
    element: header,
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
