// The web inbox starts here: the language, the session, then the view for the address.
// The route table below is where new views join (conversations, channels, routing).
import { errorMessage, get, whenSessionLost } from './api.js';
import { chooseLanguage, loadLanguage, preferredLanguage, t } from './i18n.js';
import { refreshCounts, setPageTitle, startLive, stopLive } from './live.js';
import { matchRoute, navigate, startRouter } from './router.js';
import { changeMe, currentUser, forgetSession, homePath, isAdmin, isRestricted, logOut, restoreSession } from './session.js';
import { notify } from './ui/toast.js';
import { cannedView } from './views/canned.js';
import { attributesView } from './views/attributes.js';
import { hoursView } from './views/hours.js';
import { channelsView } from './views/channels.js';
import { inboxView } from './views/inbox.js';
import { loginView } from './views/login.js';
import { profileView } from './views/profile.js';
import { AVAILABILITY, createShell } from './views/shell.js';
import { routingView } from './views/routing.js';
import { failedView, notFoundView } from './views/status.js';
import { teamsView } from './views/teams.js';
import { webhooksView } from './views/webhooks.js';
import { contactImportView } from './views/contact_import.js';
import { usersView } from './views/users.js';


// isPublic: shown without a session; isAdmin: only admins (others get "not found").
// A view gets { route, params, user, refresh } and answers { title, content, focus? }.
const routes = [
  { path: '/login', isPublic: true },
  { path: '/inbox/general', view: inboxView, inbox: 'general' },
  { path: '/inbox/mine', view: inboxView, inbox: 'mine' },
  { path: '/inbox/all', view: inboxView, inbox: 'all', isAdmin: true },
  { path: '/inbox/team/:id', view: inboxView, inbox: 'team' },
  { path: '/inbox/general/:conversation', view: inboxView, inbox: 'general' },
  { path: '/inbox/mine/:conversation', view: inboxView, inbox: 'mine' },
  { path: '/inbox/all/:conversation', view: inboxView, inbox: 'all', isAdmin: true },
  { path: '/inbox/team/:id/:conversation', view: inboxView, inbox: 'team' },
  { path: '/settings/teams', view: teamsView, isAdmin: true },
  { path: '/settings/teams/:id', view: teamsView, isAdmin: true },
  { path: '/settings/users', view: usersView, isAdmin: true },
  { path: '/settings/channels', view: channelsView, isAdmin: true },
  { path: '/settings/routing', view: routingView, isAdmin: true },
  { path: '/settings/canned-responses', view: cannedView, isAdmin: true },
  { path: '/settings/contact-fields', view: attributesView, isAdmin: true },
  { path: '/settings/business-hours', view: hoursView, isAdmin: true },
  { path: '/settings/business-hours/team/:id', view: hoursView, isAdmin: true },
  { path: '/settings/webhooks', view: webhooksView, isAdmin: true },
  { path: '/settings/webhooks/:id', view: webhooksView, isAdmin: true },
  { path: '/settings/contact-import', view: contactImportView, isAdmin: true },
  { path: '/profile', view: profileView },
];

const root = document.getElementById('app');
let shell = null;
let renders = 0;
let lastPath = null;
let afterLogin = null; // the address asked for before logging in; null: home
let loginNotice = null;

function focusAfterRender(page, focusId, isNewPath) {
  const target = (focusId && document.getElementById(focusId))
    || (typeof page.focus === 'string' ? document.getElementById(page.focus) : page.focus)
    || root.querySelector('h1');
  if (focusId || isNewPath || page.focus) target?.focus();
}

async function changeLanguage(language) {
  await chooseLanguage(language);
  shell = null;
  render({ focusId: 'language' });
}

async function changeAvailability(availability) {
  try {
    const user = await changeMe({ availability });
    notify(t('availability.changed', { availability: AVAILABILITY[user.availability]() }));
  } catch (e) {
    notify(errorMessage(e), { isError: true });
  }
  // Shows what the server holds; there is no shell any more when the session has ended.
  shell?.showAvailability(currentUser().availability);
}

async function leave() {
  try {
    await logOut();
    stopLive();
    shell = null;
    navigate('/login');
  } catch (e) {
    notify(errorMessage(e), { isError: true });
  }
}

// The navigation's teams: every team for admins, an agent's own teams for agents (GET /teams
// lists every team, for transfers).
async function navTeams() {
  const { teams } = await get('/teams');
  return isAdmin() ? teams : teams.filter((team) => team.is_member);
}

async function buildShell() {
  const teams = await navTeams();
  return createShell({ user: currentUser(), isAdmin: isAdmin(), teams, onAvailability: changeAvailability,
    onLogout: leave, onLanguage: changeLanguage });
}

// Renders the view again after a change: teams reloads the navigation's teams, shell builds
// the header and navigation again (the person's name changed), path goes elsewhere, focus
// names the element to give focus to afterwards.
async function refresh({ teams = false, shell: isShellStale = false, path = null, focus = null } = {}) {
  if (isShellStale) shell = null;
  if (teams) {
    try {
      shell.setTeams(await navTeams());
      refreshCounts();
    } catch (e) {
      notify(errorMessage(e), { isError: true });
    }
  }
  if (path) history.pushState(null, '', path);
  render({ focusId: focus });
}

function showLogin() {
  shell = null;
  const page = loginView({
    notice: loginNotice,
    onLanguage: changeLanguage,
    onLoggedIn: () => {
      loginNotice = null;
      navigate(afterLogin ?? homePath(), { replace: true });
      afterLogin = null;
    },
  });
  root.replaceChildren(page.content);
  return page;
}

async function viewFor(match) {
  if (!match || (match.route.isAdmin && !isAdmin())) return notFoundView();
  try {
    return await match.route.view({ route: match.route, params: match.params, user: currentUser(), refresh });
  } catch (e) {
    return e.status === 404 ? notFoundView() : failedView(e, () => render());
  }
}

async function render({ focusId = null } = {}) {
  const seq = ++renders;
  const path = location.pathname;
  const match = matchRoute(routes, path);
  const isNewPath = path !== lastPath && lastPath !== null;
  if (!currentUser() && !match?.route.isPublic) {
    if (path !== '/') afterLogin = path;
    navigate('/login', { replace: true });
    return;
  }
  if (currentUser() && (path === '/' || match?.route.isPublic)) {
    navigate(homePath(), { replace: true });
    return;
  }
  // A restricted agent's conversations are all in "mine", whatever view a link names.
  if (isRestricted() && ['general', 'team'].includes(match?.route.inbox)) {
    navigate(`/inbox/mine${match.params.conversation ? `/${match.params.conversation}` : ''}`, { replace: true });
    return;
  }
  let page;
  if (!currentUser()) {
    page = showLogin();
  } else {
    if (!shell) {
      try {
        shell = await buildShell();
      } catch (e) {
        if (seq === renders) root.replaceChildren(failedView(e, () => render()).content);
        return;
      }
      root.replaceChildren(shell.element);
      startLive(shell);
    }
    shell.setActive(path);
    page = await viewFor(match);
    if (seq !== renders) return;
    // A view that kept its element (the inbox, between conversations) stays in place, scroll and all.
    if (shell.main.firstChild !== page.content) shell.main.replaceChildren(page.content);
  }
  lastPath = path;
  setPageTitle(t('app.pageTitle', { page: page.title }));
  focusAfterRender(page, focusId, isNewPath);
}

whenSessionLost((notice = t('login.sessionEnded')) => {
  forgetSession();
  stopLive();
  loginNotice = notice;
  afterLogin = location.pathname;
  navigate('/login', { replace: true });
});

async function start() {
  await loadLanguage(preferredLanguage());
  try {
    await restoreSession();
  } catch (e) {
    root.replaceChildren(failedView(e, () => location.reload()).content);
    return;
  }
  startRouter(render);
}

start();
