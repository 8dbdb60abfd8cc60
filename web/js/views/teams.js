// Settings → Teams (admins): create, rename and delete teams, and choose their members.
// The list is on the left and the chosen team (/settings/teams/:id) on the right; on a
// phone the chosen team takes the whole width, with a way back to the list.
import { del, errorMessage, get, patch, post } from '../api.js';
import { h, initials } from '../dom.js';
import { byName, t } from '../i18n.js';
import { confirmDialog, openDialog } from '../ui/dialog.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { emptyState, pageHeader } from './page.js';

const NAME_MAX = 200;
const CSAT_QUESTION_MAX = 500; // bytes, as the server counts them

function memberCount(team) {
  const count = team.member_count;
  return count === 1 ? t('teams.members.one', { count }) : t('teams.members.other', { count });
}

function createForm(ctx) {
  const name = h('input', { type: 'text', id: 'team-new-name', required: true, maxlength: NAME_MAX, autocomplete: 'off' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('plus'), t('teams.create.submit'));
  const error = formError();
  const form = h('form', { class: 'inline-form' },
    field(t('teams.create.label'), name),
    submit,
    error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      const { team } = await whileBusy(submit, () => post('/teams', { name: name.value.trim() }));
      notify(t('teams.created', { team: team.name }));
      ctx.refresh({ teams: true, path: `/settings/teams/${team.id}` });
    } catch (e) {
      error.show(errorMessage(e));
      name.focus();
    }
  });
  return form;
}

function teamList(teams, selectedId) {
  if (teams.length === 0) return h('p', { class: 'list-empty' }, t('teams.none'));
  return h('ul', { class: 'list', role: 'list' },
    [...teams].sort(byName).map((team) => h('li', {},
      h('a', { class: 'list-link', href: `/settings/teams/${team.id}`, 'aria-current': team.id === selectedId && 'page' },
        h('span', { class: 'list-primary' }, team.name),
        h('span', { class: 'list-secondary' }, memberCount(team))))));
}

async function renameTeam(ctx, team) {
  const name = h('input', { type: 'text', required: true, maxlength: NAME_MAX, value: team.name, autocomplete: 'off' });
  const renamed = await openDialog({
    title: t('teams.rename.title', { team: team.name }),
    content: field(t('teams.rename.label'), name),
    submitLabel: t('teams.rename.submit'),
    onSubmit: async () => (await patch(`/teams/${team.id}`, { name: name.value.trim() })).team,
  });
  if (!renamed) return;
  notify(t('teams.renamed', { team: renamed.name }));
  ctx.refresh({ teams: true, focus: 'team-rename' });
}

async function deleteTeam(ctx, team) {
  const isDeleted = await confirmDialog({
    title: t('teams.delete.title', { team: team.name }),
    message: t('teams.delete.text'),
    confirmLabel: t('teams.delete.submit'),
    onConfirm: () => del(`/teams/${team.id}`),
  });
  if (!isDeleted) return;
  notify(t('teams.deleted', { team: team.name }));
  ctx.refresh({ teams: true, path: '/settings/teams' });
}

async function removeMember(ctx, team, user) {
  try {
    await del(`/teams/${team.id}/members/${user.id}`);
    notify(t('teams.memberRemoved', { name: user.name, team: team.name }));
    ctx.refresh({ teams: true, focus: 'team-member-add' });
  } catch (e) {
    notify(errorMessage(e), { isError: true });
  }
}

function memberList(ctx, team) {
  if (team.members.length === 0) return h('p', { class: 'list-empty' }, t('teams.noMembers'));
  return h('ul', { class: 'list', role: 'list' },
    [...team.members].sort(byName).map((user) => h('li', { class: 'list-row' },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(user.name)),
      h('span', { class: 'list-text' },
        h('span', { class: 'list-primary' }, user.name),
        h('span', { class: 'list-secondary' }, user.email)),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small',
        'aria-label': t('teams.removeMember.label', { name: user.name, team: team.name }),
        onclick: () => removeMember(ctx, team, user) }, t('teams.removeMember.submit')))));
}

function addMemberForm(ctx, team, users) {
  const memberIds = new Set(team.members.map((m) => m.id));
  const candidates = users.filter((u) => u.active && !memberIds.has(u.id)).sort(byName);
  if (candidates.length === 0) return h('p', { class: 'hint' }, t('teams.addMember.nobody'));
  const select = h('select', { id: 'team-member-user', required: true },
    candidates.map((u) => h('option', { value: u.id }, t('teams.addMember.option', { name: u.name, email: u.email }))));
  const submit = h('button', { type: 'submit', id: 'team-member-add', class: 'btn btn-secondary' }, icon('plus'),
    t('teams.addMember.submit'));
  const error = formError();
  const form = h('form', { class: 'inline-form' }, field(t('teams.addMember.label'), select), submit, error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    const user = candidates.find((u) => u.id === Number(select.value));
    try {
      await whileBusy(submit, () => post(`/teams/${team.id}/members`, { user_id: user.id }));
      notify(t('teams.memberAdded', { name: user.name, team: team.name }));
      ctx.refresh({ teams: true, focus: 'team-member-add' });
    } catch (e) {
      error.show(errorMessage(e));
    }
  });
  return form;
}

const METHODS = {
  manual: () => t('teams.assignment.manual'),
  round_robin: () => t('teams.assignment.roundRobin'),
  balanced: () => t('teams.assignment.balanced'),
};

// Minutes as the team's settings keep them: an empty box is none (null).
const MINUTE_FIELDS = ['first_response_minutes', 'next_response_minutes', 'reassign_after_minutes'];
const MINUTE_LABELS = {
  first_response_minutes: () => t('teams.targets.first'),
  next_response_minutes: () => t('teams.targets.next'),
  reassign_after_minutes: () => t('teams.targets.reassign'),
};

// How the team's new conversations reach its members: the method, online members only,
// a cap of open conversations per member (0: none), whether replying to an unassigned one
// makes the member its assignee; its response targets and when a conversation goes to
// another member (silence, or its assignee going offline).
function assignmentForm(ctx, team) {
  const method = h('select', { id: 'team-assignment', value: team.assignment ?? 'manual' },
    Object.entries(METHODS).map(([value, label]) => h('option', { value }, label())));
  const onlineOnly = h('input', { type: 'checkbox', id: 'team-online-only', checked: Boolean(team.online_only) });
  const replyAssigns = h('input', { type: 'checkbox', id: 'team-reply-assigns', checked: team.reply_assigns !== false });
  const maxOpen = h('input', { type: 'number', id: 'team-max-open', min: 0, max: 1000, step: 1, required: true,
    inputmode: 'numeric', value: String(team.max_open ?? 0) });
  const minutes = Object.fromEntries(MINUTE_FIELDS.map((name) => [name, h('input', { type: 'number',
    id: `team-${name.replaceAll('_', '-')}`, min: 1, step: 1, inputmode: 'numeric',
    placeholder: t('teams.targets.none'), value: team[name] == null ? '' : String(team[name]) })]));
  const reassignOffline = h('input', { type: 'checkbox', id: 'team-reassign-offline',
    checked: Boolean(team.reassign_when_offline) });
  const submit = h('button', { type: 'submit', id: 'team-assignment-save', class: 'btn btn-secondary' },
    t('teams.assignment.save'));
  const error = formError();
  const form = h('form', { class: 'assignment-form', 'aria-labelledby': 'team-assignment-title' },
    field(t('teams.assignment.method'), method, t('teams.assignment.methodHint')),
    field(t('teams.assignment.maxOpen'), maxOpen, t('teams.assignment.maxOpenHint')),
    h('div', { class: 'check' }, onlineOnly,
      h('label', { for: 'team-online-only' }, t('teams.assignment.onlineOnly'))),
    h('div', { class: 'check' }, replyAssigns,
      h('label', { for: 'team-reply-assigns' }, t('teams.assignment.replyAssigns'))),
    MINUTE_FIELDS.map((name) => field(MINUTE_LABELS[name](), minutes[name],
      name === 'reassign_after_minutes' ? t('teams.targets.reassignHint') : t('teams.targets.hint'))),
    h('div', { class: 'check' }, reassignOffline,
      h('label', { for: 'team-reassign-offline' }, t('teams.targets.reassignOffline'))),
    h('p', { class: 'hint' }, h('a', { href: `/settings/business-hours/team/${team.id}` }, t('teams.targets.hours'))),
    h('div', {}, submit),
    error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      await whileBusy(submit, () => patch(`/teams/${team.id}`, {
        assignment: method.value, online_only: onlineOnly.checked, max_open: Number(maxOpen.value),
        reply_assigns: replyAssigns.checked, reassign_when_offline: reassignOffline.checked,
        ...Object.fromEntries(MINUTE_FIELDS.map((name) => [name,
          minutes[name].value.trim() === '' ? null : Number(minutes[name].value)])),
      }));
      notify(t('teams.assignment.saved', { team: team.name }));
      ctx.refresh({ focus: 'team-assignment-save' });
    } catch (e) {
      error.show(errorMessage(e));
    }
  });
  return [h('h3', { class: 'section-title', id: 'team-assignment-title' }, t('teams.assignment.title')), form];
}

// The satisfaction question the team asks when one of its conversations is resolved: off
// (null) or its text, offered in the admin's language the first time.
function csatForm(ctx, team) {
  const enabled = h('input', { type: 'checkbox', id: 'team-csat-enabled', checked: team.csat_question != null });
  const question = h('input', { type: 'text', id: 'team-csat-question', maxlength: CSAT_QUESTION_MAX, autocomplete: 'off',
    value: team.csat_question ?? t('csat.default'), disabled: team.csat_question == null });
  enabled.addEventListener('change', () => {
    question.disabled = !enabled.checked;
  });
  const submit = h('button', { type: 'submit', id: 'team-csat-save', class: 'btn btn-secondary' }, t('csat.save'));
  const error = formError();
  const form = h('form', { class: 'assignment-form', 'aria-labelledby': 'team-csat-title' },
    h('div', { class: 'check' }, enabled, h('label', { for: 'team-csat-enabled' }, t('csat.enabled'))),
    field(t('csat.question'), question, t('csat.questionHint')),
    h('div', {}, submit),
    error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      await whileBusy(submit, () => patch(`/teams/${team.id}`, { csat_question: enabled.checked ? question.value : null }));
      notify(t('csat.saved', { team: team.name }));
      ctx.refresh({ focus: 'team-csat-save' });
    } catch (e) {
      error.show(errorMessage(e));
      question.focus();
    }
  });
  return [h('h3', { class: 'section-title', id: 'team-csat-title' }, t('csat.title')), form];
}

function teamDetail(ctx, team, users) {
  return [
    h('a', { class: 'back-link', href: '/settings/teams' }, icon('back'), t('teams.back')),
    h('header', { class: 'card-header' },
      h('div', {},
        h('h2', { class: 'card-title', id: 'team-title', tabindex: '-1' }, team.name),
        h('p', { class: 'card-lead' }, memberCount(team))),
      h('div', { class: 'card-actions' },
        h('button', { type: 'button', id: 'team-rename', class: 'btn btn-secondary btn-small',
          onclick: () => renameTeam(ctx, team) }, icon('pencil'), t('teams.rename.open')),
        h('button', { type: 'button', class: 'btn btn-danger-quiet btn-small', onclick: () => deleteTeam(ctx, team) },
          icon('trash'), t('teams.delete.open')))),
    h('h3', { class: 'section-title' }, t('teams.membersTitle')),
    memberList(ctx, team),
    addMemberForm(ctx, team, users),
    assignmentForm(ctx, team),
    csatForm(ctx, team),
  ];
}

export async function teamsView(ctx) {
  const selectedId = ctx.params.id ? Number(ctx.params.id) : null;
  const [{ teams }, selected, users] = await Promise.all([
    get('/teams'),
    selectedId && get(`/teams/${selectedId}`).then((r) => r.team),
    selectedId && get('/users').then((r) => r.users),
  ]);
  const detail = selected
    ? teamDetail(ctx, selected, users)
    : emptyState('users', t('teams.choose.title'), t('teams.choose.text'));
  const content = h('div', { class: 'page' },
    pageHeader(t('teams.title'), t('teams.lead')),
    h('div', { class: ['split', selected && 'has-selection'] },
      h('section', { class: 'card split-list', 'aria-label': t('teams.listLabel') },
        createForm(ctx),
        teamList(teams, selectedId)),
      h('section', { class: 'card split-detail', 'aria-labelledby': selected ? 'team-title' : null }, detail)));
  return { title: selected ? selected.name : t('teams.title'), content, focus: selected && 'team-title' };
}
