// Settings → Users (admins): invite someone (the server makes a one-time password, shown
// here once), change a role, deactivate and reactivate. One's own row has no actions, so an
// admin cannot lock themself out by a slip.
import { errorMessage, get, patch, post } from '../api.js';
import { h, initials } from '../dom.js';
import { byName, t } from '../i18n.js';
import { confirmDialog, openDialog } from '../ui/dialog.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { pageHeader } from './page.js';
import { AVAILABILITY } from './shell.js';

const ROLES = {
  agent: () => t('role.agent'),
  restricted: () => t('role.restricted'),
  admin: () => t('role.admin'),
};

function roleSelect(id, value) {
  return h('select', { id, value }, Object.entries(ROLES).map(([role, label]) => h('option', { value: role }, label())));
}

function showPassword(user, password) {
  const secret = h('code', { class: 'secret', id: 'invite-password' }, password);
  const copy = h('button', { type: 'button', class: 'btn btn-secondary btn-small' }, icon('copy'), t('users.invited.copy'));
  copy.addEventListener('click', async () => {
    await navigator.clipboard.writeText(password);
    copy.replaceChildren(icon('copy'), t('users.invited.copied'));
  });
  return openDialog({
    title: t('users.invited.title', { name: user.name }),
    content: [
      h('p', { class: 'dialog-text' }, t('users.invited.text', { email: user.email })),
      h('div', { class: 'secret-row' }, secret, copy),
    ],
    submitLabel: t('users.invited.done'),
    cancelLabel: null,
  });
}

function inviteForm(ctx) {
  const name = h('input', { type: 'text', required: true, maxlength: 200, autocomplete: 'off', id: 'invite-name' });
  const email = h('input', { type: 'email', required: true, maxlength: 320, autocomplete: 'off' });
  const role = roleSelect('invite-role', 'agent');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('plus'), t('users.invite.submit'));
  const error = formError();
  const form = h('form', { class: 'invite-form' },
    field(t('users.name'), name),
    field(t('users.email'), email),
    field(t('users.role'), role),
    h('div', { class: 'invite-submit' }, submit),
    error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      const answer = await whileBusy(submit, () =>
        post('/users', { name: name.value.trim(), email: email.value.trim(), role: role.value }));
      await showPassword(answer.user, answer.password);
      notify(t('users.invitedNotice', { name: answer.user.name }));
      ctx.refresh({ focus: 'invite-name' });
    } catch (e) {
      error.show(errorMessage(e));
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'invite-title' },
    h('header', {},
      h('h2', { class: 'card-title', id: 'invite-title' }, t('users.invite.title')),
      h('p', { class: 'card-lead' }, t('users.invite.lead'))),
    form);
}

async function change(ctx, user, changes, message, focus) {
  try {
    await patch(`/users/${user.id}`, changes);
    notify(message);
  } catch (e) {
    notify(errorMessage(e), { isError: true });
  }
  ctx.refresh({ focus });
}

async function deactivate(ctx, user) {
  const isDone = await confirmDialog({
    title: t('users.deactivate.title', { name: user.name }),
    message: t('users.deactivate.text'),
    confirmLabel: t('users.deactivate.submit'),
    onConfirm: () => patch(`/users/${user.id}`, { active: false }),
  });
  if (!isDone) return;
  notify(t('users.deactivated', { name: user.name }));
  ctx.refresh({ focus: `user-${user.id}-action` });
}

function cell(label, ...children) {
  return h('td', { 'data-label': label }, children);
}

function userRow(ctx, user, me) {
  const isMe = user.id === me.id;
  const roleId = `user-${user.id}-role`;
  const actionId = `user-${user.id}-action`;
  let role = h('span', {}, ROLES[user.role]());
  if (!isMe) {
    role = roleSelect(roleId, user.role);
    role.setAttribute('aria-label', t('users.roleOf', { name: user.name }));
    role.addEventListener('change', () =>
      change(ctx, user, { role: role.value }, t('users.roleChanged', { name: user.name }), roleId));
  }
  let action = null;
  if (!isMe && user.active)
    action = h('button', { type: 'button', id: actionId, class: 'btn btn-secondary btn-small',
      'aria-label': t('users.deactivate.label', { name: user.name }), onclick: () => deactivate(ctx, user) },
    t('users.deactivate.open'));
  else if (!isMe)
    action = h('button', { type: 'button', id: actionId, class: 'btn btn-secondary btn-small',
      'aria-label': t('users.reactivate.label', { name: user.name }),
      onclick: () => change(ctx, user, { active: true }, t('users.reactivated', { name: user.name }), actionId) },
    t('users.reactivate.submit'));
  return h('tr', { class: !user.active && 'is-inactive' },
    h('th', { scope: 'row' }, h('div', { class: 'user-cell' },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(user.name)),
      h('span', { class: 'user-name' }, user.name),
      isMe && h('span', { class: 'badge' }, t('users.you')))),
    cell(t('users.email'), h('span', { class: 'user-email' }, user.email)),
    cell(t('users.role'), role),
    cell(t('users.availability'),
      h('span', { class: 'availability-text', 'data-state': user.availability },
        h('span', { class: 'status-dot', 'aria-hidden': 'true' }), AVAILABILITY[user.availability]())),
    cell(t('users.status'), user.active
      ? h('span', { class: 'badge badge-success' }, t('users.active'))
      : h('span', { class: 'badge' }, t('users.inactive'))),
    h('td', { class: 'row-actions' }, action));
}

export async function usersView(ctx) {
  const { users } = await get('/users');
  const table = h('table', { class: 'table' },
    h('caption', { class: 'visually-hidden' }, t('users.tableCaption')),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('users.name')),
      h('th', { scope: 'col' }, t('users.email')),
      h('th', { scope: 'col' }, t('users.role')),
      h('th', { scope: 'col' }, t('users.availability')),
      h('th', { scope: 'col' }, t('users.status')),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('users.actions'))))),
    h('tbody', {}, [...users].sort(byName).map((u) => userRow(ctx, u, ctx.user))));
  const content = h('div', { class: 'page' },
    pageHeader(t('users.title'), t('users.lead')),
    inviteForm(ctx),
    h('section', { class: 'card card-flush', 'aria-labelledby': 'users-list-title' },
      h('h2', { class: 'card-title card-pad', id: 'users-list-title' }, t('users.listTitle', { count: users.length })),
      h('div', { class: 'table-wrap' }, table)));
  return { title: t('users.title'), content };
}
