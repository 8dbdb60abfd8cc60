// An inbox view: General (conversations with no team), Mine (assigned to me), one team's,
// or All (admins). Three columns on a wide screen — the conversation list with its filters,
// the open conversation (/inbox/<view>/<id>) and the contact panel, which folds away —
// and one at a time on a phone, with a way back. This module lays the panes out and opens
// conversations; inbox/list.js, filters.js, thread.js, contact.js and shortcuts.js own the pieces.
import { ApiError, errorMessage, get } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { askNotifications, canAskNotifications, listen } from '../live.js';
import { navigate } from '../router.js';
import { isAdmin } from '../session.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { createContactPanel } from '../inbox/contact.js';
import { createFilters } from '../inbox/filters.js';
import { createList } from '../inbox/list.js';
import { listenToShortcuts, showShortcuts } from '../inbox/shortcuts.js';
import { startConversation } from '../inbox/templates.js';
import { createThread } from '../inbox/thread.js';
import { emptyState } from './page.js';

const CONTACT_KEY = 'centralita.contactPanel';

let instance = null;

async function describe(key, params) {
  switch (key) {
    case 'general': return t('inbox.general.title');
    case 'mine': return t('inbox.mine.title');
    case 'all': return t('inbox.all.title');
    default: return (await get(`/teams/${params.id}`)).team.name;
  }
}

function isPhone() {
  return window.matchMedia('(max-width: 48rem)').matches;
}

async function createInbox(key, params, user) {
  const base = key.startsWith('team:') ? `/inbox/team/${params.id}` : `/inbox/${key}`;
  const [title, teams, users, channels] = await Promise.all([
    describe(key, params),
    get('/teams').then((r) => r.teams),
    get('/users').then((r) => new Map(r.users.map((u) => [u.id, u])), () => new Map()),
    isAdmin() ? get('/channels').then((r) => r.channels, () => []) : [],
  ]);
  let thread = null;
  let contact = null;
  let isContactOpen = localStorage.getItem(CONTACT_KEY) !== 'closed';

  const filters = createFilters({ channels, onChange: (delay) => list.reload(delay) });
  const list = createList({ key, user, teams, users, base, filters, openId: () => thread?.id });
  // The list's address, or one of its conversations', with the filters the address keeps.
  const here = (id) => `${base}${id ? `/${id}` : ''}${filters.addressQuery()}`;

  const notifyButton = h('button', { type: 'button', class: 'btn-icon', 'aria-label': t('notify.enable'),
    title: t('notify.enable'), hidden: !canAskNotifications(), onclick: async () => {
      const answer = await askNotifications();
      notifyButton.hidden = true;
      notify(answer === 'granted' ? t('notify.enabled') : t('notify.denied'));
    } }, icon('bell'));
  const helpButton = h('button', { type: 'button', class: 'btn-icon', 'aria-label': t('inbox.keys.title'),
    title: t('inbox.keys.title'), onclick: showShortcuts }, icon('keyboard'));

  // Writing first (on the first connected WhatsApp channel; agents start from a contact).
  const whatsapp = channels.find((c) => c.kind === 'whatsapp' && c.active);
  const newButton = whatsapp && h('button', { type: 'button', class: 'btn-icon', 'aria-label': t('inbox.newConversation.action'),
    title: t('inbox.newConversation.action'), onclick: async () => {
      try {
        const started = await startConversation({ channelId: whatsapp.id });
        if (started) navigate(`/inbox/mine/${started.id}`);
      } catch (e) {
        notify(errorMessage(e), { isError: true });
      }
    } }, icon('plus'));

  const listPane = h('section', { class: 'inbox-list', 'aria-labelledby': 'inbox-title' },
    h('header', { class: 'inbox-list-header' },
      h('h1', { id: 'inbox-title', class: 'page-title', tabindex: '-1' }, title),
      h('div', { class: 'inbox-tools' }, newButton, notifyButton, helpButton)),
    filters.element, list.summary, list.element);
  const threadPane = h('div', { class: 'inbox-thread' });
  const contactPane = h('div', { class: 'inbox-contact' });
  const element = h('div', { class: 'inbox', 'data-pane': 'list' }, listPane, threadPane, contactPane);

  function showContact() {
    contactPane.replaceChildren();
    contact = null;
    if (!thread?.conversation()) return;
    element.classList.toggle('has-contact', isContactOpen);
    if (!isContactOpen) return;
    contact = createContactPanel({ conversation: thread.conversation(), base, onClose: () => toggleContact(false) });
    contactPane.append(contact.element);
    contact.load();
  }

  // On a phone the panel is a screen of its own, opened from the thread and left with "back";
  // on a wide screen it folds away, and the choice is remembered.
  function toggleContact(open = isPhone() || !isContactOpen) {
    isContactOpen = open;
    if (!isPhone()) localStorage.setItem(CONTACT_KEY, open ? 'open' : 'closed');
    element.classList.toggle('has-contact', open);
    element.dataset.pane = open && isPhone() ? 'contact' : thread ? 'thread' : 'list';
    thread?.contactToggled();
    if (open) {
      showContact();
      contact?.focus();
    } else {
      contactPane.replaceChildren();
      contact = null;
      document.getElementById('thread-heading')?.focus();
    }
  }

  function closeThread() {
    thread?.dispose();
    thread = null;
    contact = null;
    threadPane.replaceChildren(h('div', { class: 'thread-empty' },
      emptyState('chat', t('inbox.thread.noneTitle'), t('inbox.thread.noneText'))));
    contactPane.replaceChildren();
    element.classList.remove('has-contact');
    element.dataset.pane = 'list';
    list.render();
  }

  async function open(id) {
    if (id === null) {
      closeThread();
      return;
    }
    if (thread?.id === id) return;
    thread?.dispose();
    thread = createThread({
      id, base, user, users, teams,
      onGone: (message) => {
        notify(message);
        navigate(here());
      },
      listUrl: () => here(),
      onToggleContact: () => toggleContact(),
      isContactOpen: () => isContactOpen,
    });
    try {
      await thread.load();
    } catch (e) {
      thread = null;
      if (e instanceof ApiError && e.status === 404) throw e;
      notify(errorMessage(e), { isError: true });
      closeThread();
      return;
    }
    threadPane.replaceChildren(thread.element);
    element.dataset.pane = 'thread';
    thread.scrollToEnd();
    showContact();
    list.render();
  }

  function step(by) {
    const next = list.neighbour(thread?.id, by);
    if (next) navigate(here(next.id));
  }

  const stopShortcuts = listenToShortcuts(element, {
    j: () => step(1),
    k: () => step(-1),
    r: () => thread?.focusComposer(),
    e: () => thread?.resolve(),
    t: () => thread?.focusAction('action-transfer'),
    a: () => thread?.focusAction('action-assign'),
    '/': () => filters.focusSearch(),
    Escape: () => thread && navigate(here()),
  });

  const stopListening = listen((name, data) => {
    list.onEvent(name, data);
    if (name === 'reset') {
      thread?.reload();
      contact?.load();
    } else if (name === 'contact.updated') {
      if (contact && contact.contactId() === data.contact_id) contact.load();
    } else if (thread && data.conversation_id === thread.id) {
      thread.onEvent(name, data);
    }
  });

  closeThread();
  await list.load();

  return {
    key,
    element,
    title,
    open,
    focus: () => (thread ? 'thread-heading' : null),
    dispose() {
      list.dispose();
      thread?.dispose();
      stopListening();
      stopShortcuts();
    },
  };
}

export async function inboxView({ route, params, user }) {
  const key = route.inbox === 'team' ? `team:${params.id}` : route.inbox;
  if (!instance || instance.key !== key || !instance.element.isConnected) {
    instance?.dispose();
    instance = null;
    instance = await createInbox(key, params, user);
  }
  const conversation = params.conversation ? Number(params.conversation) : null;
  if (params.conversation && !(conversation > 0)) throw new ApiError(404, 'not_found', '');
  await instance.open(conversation);
  return { title: instance.title, content: instance.element, focus: instance.focus() };
}
