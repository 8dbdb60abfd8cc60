// Settings → Business hours (admins): the weekly schedule, time zone, holidays and
// out-of-hours message of the account (/settings/business-hours) or of one team
// (/settings/business-hours/team/:id), and (the account's) whether the welcome goes out while
// closed. A team without its own uses the account's: its form starts from them, saving gives
// the team its own, and "Use the account's hours" removes them.
// A day's hours are typed as "09:00-14:00, 16:00-19:00"; a holiday per line, "2026-12-25" or
// "2026-12-24 09:00-13:00". The server checks everything and its message names the field.
import { del, errorMessage, get, put } from '../api.js';
import { h } from '../dom.js';
import { byName, t } from '../i18n.js';
import { navigate } from '../router.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { notify } from '../ui/toast.js';
import { pageHeader } from './page.js';

const DAYS = {
  monday: () => t('hours.day.monday'),
  tuesday: () => t('hours.day.tuesday'),
  wednesday: () => t('hours.day.wednesday'),
  thursday: () => t('hours.day.thursday'),
  friday: () => t('hours.day.friday'),
  saturday: () => t('hours.day.saturday'),
  sunday: () => t('hours.day.sunday'),
};
const DAY_NAMES = Object.keys(DAYS);

const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

function holidayLines(holidays) {
  return holidays.map((d) => [d.date, ...(d.hours ?? [])].join(' ')).join('\n');
}

function readHolidays(text) {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const [date, ...hours] = line.split(/[\s,]+/);
    return hours.length > 0 ? { date, hours } : { date };
  });
}

const ownerPath = (teamId) => (teamId ? `/settings/business-hours/team/${teamId}` : '/settings/business-hours');

// Whose hours the page shows: the account or a team.
function ownerPicker(teams, teamId) {
  const select = h('select', { id: 'hours-owner', 'aria-label': t('hours.owner') },
    h('option', { value: '' }, t('hours.ownerAccount')),
    [...teams].sort(byName).map((team) => h('option', { value: team.id }, team.name)));
  select.value = teamId ? String(teamId) : '';
  select.addEventListener('change', () => navigate(ownerPath(select.value)));
  return h('div', { class: 'card hours-owner' }, field(t('hours.owner'), select));
}

function statusLine(answer, teamId) {
  if (teamId && answer.inherited) return t('hours.inherited');
  if (!answer.business_hours) return t('hours.none');
  return answer.open_now ? t('hours.openNow') : t('hours.closedNow');
}

export async function hoursView(ctx) {
  const teamId = ctx.params.id ? Number(ctx.params.id) : null;
  const path = teamId ? `/teams/${teamId}/business-hours` : '/business-hours';
  const [answer, account, { teams }] = await Promise.all([get(path),
    teamId ? get('/business-hours') : null, get('/teams')]);
  const team = teams.find((x) => x.id === teamId);
  const doc = answer.business_hours ?? account?.business_hours ?? {
    time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone, week: {}, holidays: [], out_of_hours_message: {} };
  const zone = h('input', { type: 'text', id: 'hours-zone', required: true, value: doc.time_zone,
    autocomplete: 'off', spellcheck: 'false' });
  const days = Object.fromEntries(DAY_NAMES.map((d) => [d, h('input', { type: 'text', id: `hours-${d}`,
    value: (doc.week[d] ?? []).join(', '), placeholder: t('hours.dayClosed'), autocomplete: 'off' })]));
  const holidays = h('textarea', { id: 'hours-holidays', rows: 4, spellcheck: 'false' });
  holidays.value = holidayLines(doc.holidays ?? []);
  const messages = Object.fromEntries(['es', 'en'].map((lang) => {
    const area = h('textarea', { id: `hours-message-${lang}`, rows: 2, maxlength: 1024 });
    area.value = doc.out_of_hours_message?.[lang] ?? '';
    return [lang, area];
  }));
  // Only the account's hours say whether the welcome goes out while closed: it goes before
  // any team is chosen.
  const welcome = teamId ? null : h('input', { type: 'checkbox', id: 'hours-welcome',
    checked: doc.welcome_when_closed !== false });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('hours.save'));
  const status = h('p', { class: 'hint', id: 'hours-status' }, statusLine(answer, teamId));
  const error = formError();
  // A team's own hours can be given back to the account's.
  const inherit = teamId && answer.business_hours ? h('button', { type: 'button', class: 'btn', id: 'hours-inherit' },
    t('hours.useAccount')) : null;
  inherit?.addEventListener('click', async () => {
    try {
      await whileBusy(inherit, () => del(path));
      notify(t('hours.inheritedNow'));
      ctx.refresh({ focus: 'hours-owner' });
    } catch (e) {
      error.show(errorMessage(e));
    }
  });
  const form = h('form', { class: 'card hours-form', 'aria-labelledby': 'hours-title' },
    h('h2', { class: 'card-title', id: 'hours-title' },
      team ? t('hours.teamSchedule', { team: team.name }) : t('hours.schedule')),
    status,
    field(t('hours.zone'), zone, t('hours.zoneHint')),
    DAY_NAMES.map((d) => field(DAYS[d](), days[d])),
    field(t('hours.holidays'), holidays, t('hours.holidaysHint')),
    field(t('hours.messageEs'), messages.es, t('hours.messageHint', { opens_at: '{opens_at}' })),
    field(t('hours.messageEn'), messages.en),
    welcome && h('div', { class: 'check' }, welcome, h('label', { for: 'hours-welcome' }, t('hours.welcome'))),
    h('div', { class: 'invite-submit' }, inherit, submit),
    error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    const week = Object.fromEntries(DAY_NAMES.map((d) => [d, list(days[d].value)]).filter(([, v]) => v.length > 0));
    const message = Object.fromEntries(['es', 'en'].map((l) => [l, messages[l].value.trim()]).filter(([, v]) => v));
    try {
      await whileBusy(submit, () => put(path, { time_zone: zone.value.trim(), week,
        holidays: readHolidays(holidays.value), out_of_hours_message: message,
        ...(welcome && !welcome.checked ? { welcome_when_closed: false } : {}) }));
      notify(t('hours.saved'));
      ctx.refresh({ focus: 'hours-zone' });
    } catch (e) {
      error.show(errorMessage(e));
    }
  });
  const content = h('div', { class: 'page' }, pageHeader(t('hours.title'), t('hours.lead')),
    teams.length > 0 ? ownerPicker(teams, teamId) : null, form);
  return { title: t('hours.title'), content };
}
