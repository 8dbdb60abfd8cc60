// The frame around every signed-in view: the top bar (the menu button on phones, the
// product, the user's availability, log out), the navigation column (the inbox views,
// the teams, Settings for admins, the language switch; a restricted agent's inbox is only
// "mine") and the main region the router fills. On phones the navigation is a drawer that
// the menu button opens.
import { h, initials } from '../dom.js';
import { byName, t } from '../i18n.js';
import { homePath } from '../session.js';
import { icon, logo } from '../ui/icons.js';
import { languageSwitch } from './language.js';

export const AVAILABILITY = {
  online: () => t('availability.online'),
  away: () => t('availability.away'),
  offline: () => t('availability.offline'),
};

// countKey names the inbox view whose open conversations the link counts (setCounts).
function navLink(href, iconName, label, countKey = null) {
  return h('li', {}, h('a', { class: 'nav-link', href }, icon(iconName), h('span', { class: 'nav-label' }, label),
    countKey && h('span', { class: 'nav-count', 'data-count': countKey, hidden: true })));
}

// A heading and its links; a group, not a landmark, so the page keeps one "Teams" region.
function navSection(id, heading, list) {
  return h('div', { role: 'group', 'aria-labelledby': id },
    h('h2', { class: 'nav-heading', id }, heading), list);
}

function navList(items) {
  return h('ul', { class: 'nav-list', role: 'list' }, items);
}

function teamLinks(teams, isAdmin) {
  if (teams.length === 0) return h('li', { class: 'nav-empty' }, isAdmin ? t('nav.noTeamsYet') : t('nav.noTeams'));
  return [...teams].sort(byName).map((team) => navLink(`/inbox/team/${team.id}`, 'users', team.name, `team:${team.id}`));
}

function availabilityControl(user, onChange) {
  const wrapper = h('div', { class: 'availability', 'data-state': user.availability });
  const select = h('select', { id: 'availability', class: 'select-plain', value: user.availability },
    Object.entries(AVAILABILITY).map(([value, label]) => h('option', { value }, label())));
  select.addEventListener('change', () => onChange(select.value));
  wrapper.append(h('span', { class: 'status-dot', 'aria-hidden': 'true' }),
    h('label', { for: 'availability', class: 'visually-hidden' }, t('availability.label')), select);
  return {
    el: wrapper,
    show(availability) {
      wrapper.dataset.state = availability;
      select.value = availability;
    },
  };
}

export function createShell({ user, isAdmin, teams, onAvailability, onLogout, onLanguage }) {
  const isRestricted = user.role === 'restricted';
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const teamList = navList(teamLinks(teams, isAdmin));
  const nav = h('nav', { id: 'nav', class: 'nav', 'aria-label': t('nav.label') },
    navSection('nav-inbox', t('nav.inbox'), navList([
      !isRestricted && navLink('/inbox/general', 'inbox', t('nav.general'), 'general'),
      navLink('/inbox/mine', 'user', t('nav.mine'), 'mine'),
      isAdmin && navLink('/inbox/all', 'layers', t('nav.all'), 'all'),
    ])),
    !isRestricted && navSection('nav-teams', isAdmin ? t('nav.teams') : t('nav.myTeams'), teamList),
    isAdmin && navSection('nav-settings', t('nav.settings'), navList([
      navLink('/settings/teams', 'sliders', t('nav.settingsTeams')),
      navLink('/settings/users', 'users', t('nav.settingsUsers')),
      navLink('/settings/channels', 'plug', t('nav.settingsChannels')),
      navLink('/settings/routing', 'route', t('nav.settingsRouting')),
      navLink('/settings/canned-responses', 'chat', t('nav.settingsCanned')),
      navLink('/settings/contact-fields', 'layers', t('nav.settingsContactFields')),
      navLink('/settings/business-hours', 'clock', t('nav.settingsHours')),
      navLink('/settings/webhooks', 'plug', t('nav.settingsWebhooks')),
      navLink('/settings/contact-import', 'users', t('nav.settingsImport')),
    ])),
    h('div', { class: 'nav-footer' }, navList([navLink('/profile', 'user', t('profile.title'))]),
      languageSwitch(onLanguage)));

  const toggle = h('button', { type: 'button', class: 'btn-icon nav-toggle', 'aria-controls': 'nav',
    'aria-expanded': 'false', 'aria-label': t('shell.menu') }, icon('menu'));
  const backdrop = h('div', { class: 'nav-backdrop', hidden: true });
  const setOpen = (isOpen) => {
    nav.classList.toggle('is-open', isOpen);
    backdrop.hidden = !isOpen;
    toggle.setAttribute('aria-expanded', String(isOpen));
    toggle.replaceChildren(icon(isOpen ? 'close' : 'menu'));
    toggle.setAttribute('aria-label', isOpen ? t('shell.closeMenu') : t('shell.menu'));
    if (isOpen) nav.querySelector('a')?.focus();
  };
  toggle.addEventListener('click', () => setOpen(!nav.classList.contains('is-open')));
  backdrop.addEventListener('click', () => setOpen(false));
  nav.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && nav.classList.contains('is-open')) {
      setOpen(false);
      toggle.focus();
    }
  });

  const availability = availabilityControl(user, onAvailability);
  const header = h('header', { class: 'topbar' },
    toggle,
    h('a', { class: 'brand', href: homePath() }, logo(), h('span', { class: 'brand-name' }, t('app.name'))),
    h('div', { class: 'topbar-end' },
      availability.el,
      h('a', { class: 'me', href: '/profile', title: t('profile.title') },
        h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(user.name)),
        h('span', { class: 'me-name' }, user.name)),
      h('button', { type: 'button', class: 'btn btn-ghost btn-small', onclick: onLogout },
        icon('logout'), h('span', { class: 'label-wide' }, t('shell.logout')))));

  const element = h('div', {},
    h('a', { class: 'skip-link', href: '#main' }, t('shell.skip')),
    header,
    h('div', { class: 'body' }, nav, backdrop, main));

  return {
    element,
    main,
    // Marks the current view in the navigation and closes the drawer.
    setActive(path) {
      for (const link of nav.querySelectorAll('a')) {
        const isCurrent = path === link.pathname || path.startsWith(`${link.pathname}/`);
        if (isCurrent) link.setAttribute('aria-current', 'page');
        else link.removeAttribute('aria-current');
      }
      if (nav.classList.contains('is-open')) setOpen(false);
    },
    setTeams(list) {
      teamList.replaceChildren(...[teamLinks(list, isAdmin)].flat());
    },
    showAvailability: availability.show,
    // counts: { general: 3, 'team:2': 0, … }; an unknown (null) count shows nothing.
    setCounts(counts) {
      for (const el of nav.querySelectorAll('[data-count]')) {
        const count = counts[el.dataset.count];
        el.hidden = !(count > 0);
        el.replaceChildren(...(count > 0
          ? [h('span', { 'aria-hidden': 'true' }, String(count)),
            h('span', { class: 'visually-hidden' },
              count === 1 ? t('nav.openCount.one', { count }) : t('nav.openCount.other', { count }))]
          : []));
      }
    },
  };
}
