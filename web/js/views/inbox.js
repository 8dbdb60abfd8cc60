// An inbox view: General (conversations with no team), Mine (assigned to me), one team's,
// or All (admins). Three columns on a wide screen — the conversation list with its filters,
// the open conversation (/inbox/<view>/<id>) and the contact panel, which folds away —
// and one at a time on a phone, with a way back. Everything follows the event stream, and
// the common actions have keyboard shortcuts (listed by "?").
import { ApiError, errorMessage, get } from '../api.js';
import { h, initials } from '../dom.js';
import { t } from '../i18n.js';
import { askNotifications, canAskNotifications, listen } from '../live.js';
import { navigate } from '../router.js';
import { isAdmin } from '../session.js';
import { openDialog } from '../ui/dialog.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { createContactPanel } from '../inbox/contact.js';
import { STATUSES, channelMark, channelName, statusName, timeEl } from '../inbox/format.js';
import { createThread } from '../inbox/thread.js';
import { emptyState } from './page.js';

const PAGE = 25;
const LIST_DELAY_MS = 200;
const CONTACT_KEY = 'centralita.contactPanel';

// The keys and what they do; Escape's name is a word, the letters are the same in every language.
const SHORTCUTS = [
  ['j', () => t('inbox.keys.next')],
  ['k', () => t('inbox.keys.previous')],
  ['r', () => t('inbox.keys.reply')],
  ['e', () => t('inbox.keys.resolve')],
  ['t', () => t('inbox.keys.transfer')],
  ['a', () => t('inbox.keys.assign')],
  ['/', () => t('inbox.keys.search')],
  [() => t('inbox.keys.esc'), () => t('inbox.keys.close')],
  ['?', () => t('inbox.keys.help')],
];

let instance = null;

async function describe(key, params) {
  switch (key) {
    case 'general': return t('inbox.general.title');
    case 'mine': return t('inbox.mine.title');
    case 'all': return t('inbox.all.title');
    default: return (await get(`/teams/${params.id}`)).team.name;
  }
}

// Shortcuts wait while the person types in a field, a dialog is open or the menu has focus.
function isTyping(target) {
  return target.closest('input, textarea, select, [contenteditable], dialog, #nav');
}

function conversationItem(c, base, isCurrent) {
  const name = c.contact.name || t('inbox.contact.unnamed');
  const preview = c.last_message?.preview ?? '';
  return h('li', { class: 'conv-item', 'data-conversation-id': c.id },
    h('a', { class: ['conv', c.unread_count > 0 && 'is-unread'], href: `${base}/${c.id}`,
      'aria-current': isCurrent ? 'true' : null },
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
    h('span', { class: 'conv-body' },
      h('span', { class: 'conv-top' },
        h('span', { class: 'conv-name' }, name),
        channelMark(c.channel.kind),
        c.last_message && timeEl(c.last_message.created_at, 'time conv-time')),
      h('span', { class: 'conv-preview' }, c.last_message?.direction === 'out' ? t('inbox.list.youWrote', { text: preview })
        : preview),
      h('span', { class: 'conv-facts' },
        c.status !== 'open' && h('span', { class: ['badge', `status-${c.status}`] }, statusName(c.status)),
        h('span', {}, c.team?.name ?? t('inbox.team.none')),
        h('span', {}, c.assignee ? t('inbox.assignee.is', { name: c.assignee.name }) : t('inbox.assignee.none'))),
      c.unread_count > 0 && h('span', { class: 'conv-unread' },
        h('span', { 'aria-hidden': 'true' }, String(c.unread_count)),
        h('span', { class: 'visually-hidden' }, t('inbox.list.unread', { count: c.unread_count }))))));
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
  const filters = { status: 'open', channel: '', tag: '', q: '' };
  let conversations = [];
  let total = 0;
  let cursor = null;
  let shown = PAGE;
  let thread = null;
  let contact = null;
  let isContactOpen = localStorage.getItem(CONTACT_KEY) !== 'closed';
  let listTimer = null;
  let listSeq = 0;

  const listEl = h('ul', { class: 'conv-list', role: 'list', 'aria-labelledby': 'inbox-title' });
  const summary = h('p', { class: 'conv-summary', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn btn-ghost btn-small load-more', hidden: true,
    onclick: () => loadMore() }, t('inbox.list.more'));

  const search = h('input', { type: 'search', id: 'inbox-search', class: 'search-input', maxlength: 200,
    placeholder: t('inbox.filter.search'), 'aria-label': t('inbox.filter.search') });
  const status = h('select', { id: 'filter-status', 'aria-label': t('inbox.filter.status'), value: filters.status },
    STATUSES.map((s) => h('option', { value: s }, statusName(s))), h('option', { value: '' }, t('inbox.filter.anyStatus')));
  status.value = filters.status;
  const channel = h('select', { id: 'filter-channel', 'aria-label': t('inbox.filter.channel') });
  const tag = h('input', { type: 'text', id: 'filter-tag', class: 'tag-filter', maxlength: 64, autocomplete: 'off',
    placeholder: t('inbox.filter.tag'), 'aria-label': t('inbox.filter.tag') });
  const filterForm = h('form', { class: 'inbox-filters', role: 'search', 'aria-label': t('inbox.filter.label') },
    h('div', { class: 'search-box' }, icon('search'), search),
    h('div', { class: 'filter-row' }, status, channel, tag));

  // Admins pick among the connected channels; agents among those their conversations came in on.
  const channelOptions = new Map(channels.map((c) => [c.id, c]));
  function renderChannels() {
    const value = channel.value;
    const sameKind = (kind) => [...channelOptions.values()].filter((x) => x.kind === kind).length > 1;
    channel.replaceChildren(h('option', { value: '' }, t('inbox.filter.anyChannel')),
      ...[...channelOptions.values()].map((c) => h('option', { value: c.id },
        c.name && sameKind(c.kind) ? t('inbox.filter.channelNamed', { kind: channelName(c.kind), name: c.name })
          : channelName(c.kind))));
    channel.value = value;
  }
  renderChannels();

  const notifyButton = h('button', { type: 'button', class: 'btn-icon', 'aria-label': t('notify.enable'),
    title: t('notify.enable'), hidden: !canAskNotifications(), onclick: async () => {
      const answer = await askNotifications();
      notifyButton.hidden = true;
      notify(answer === 'granted' ? t('notify.enabled') : t('notify.denied'));
    } }, icon('bell'));
  const helpButton = h('button', { type: 'button', class: 'btn-icon', 'aria-label': t('inbox.keys.title'),
    title: t('inbox.keys.title'), onclick: () => showHelp() }, icon('keyboard'));

  const listPane = h('section', { class: 'inbox-list', 'aria-labelledby': 'inbox-title' },
    h('header', { class: 'inbox-list-header' },
      h('h1', { id: 'inbox-title', class: 'page-title', tabindex: '-1' }, title),
      h('div', { class: 'inbox-tools' }, notifyButton, helpButton)),
    filterForm, summary,
    h('div', { class: 'conv-scroll' }, listEl, more));
  const threadPane = h('div', { class: 'inbox-thread' });
  const contactPane = h('div', { class: 'inbox-contact' });
  const element = h('div', { class: 'inbox', 'data-pane': 'list' }, listPane, threadPane, contactPane);

  function query(limit) {
    const p = new URLSearchParams({ limit: String(limit) });
    if (key !== 'all') p.set('view', key);
    for (const [name, value] of Object.entries(filters)) if (value) p.set(name, value);
    return p;
  }

  // Live updates rebuild the rows; the row that had the focus keeps it.
  function renderList() {
    const openId = thread?.id;
    const focused = listEl.contains(document.activeElement)
      ? document.activeElement.closest('[data-conversation-id]')?.dataset.conversationId : null;
    listEl.replaceChildren(...conversations.map((c) => conversationItem(c, base, c.id === openId)));
    if (focused) listEl.querySelector(`[data-conversation-id="${focused}"] a`)?.focus();
    summary.textContent = total === 0 ? '' : total === 1 ? t('inbox.list.totalOne') : t('inbox.list.total', { count: total });
    more.hidden = !cursor;
    if (conversations.length === 0) {
      const isFiltered = filters.q || filters.tag || filters.channel || filters.status !== 'open';
      listEl.replaceChildren(h('li', {}, isFiltered
        ? emptyState('search', t('inbox.empty.filteredTitle'), t('inbox.empty.filteredText'))
        : emptyState('chat', t('inbox.empty.title'), t('inbox.empty.text'))));
    }
    let isNew = false;
    for (const c of conversations) {
      if (!channelOptions.has(c.channel.id)) {
        channelOptions.set(c.channel.id, { id: c.channel.id, kind: c.channel.kind });
        isNew = true;
      }
    }
    if (isNew) renderChannels();
  }

  // Loads the first page again (as many as are shown), keeping the place in the list.
  async function loadList() {
    const seq = ++listSeq;
    try {
      const answer = await get(`/conversations?${query(Math.min(shown, 100))}`);
      if (seq !== listSeq) return;
      ({ conversations, total } = answer);
      cursor = answer.next_cursor;
      renderList();
    } catch (e) {
      if (seq === listSeq) notify(errorMessage(e), { isError: true });
    }
  }

  async function loadMore() {
    const seq = ++listSeq;
    const answer = await get(`/conversations?${query(PAGE)}&cursor=${encodeURIComponent(cursor)}`);
    if (seq !== listSeq) return;
    const known = new Set(conversations.map((c) => c.id));
    conversations = [...conversations, ...answer.conversations.filter((c) => !known.has(c.id))];
    shown = conversations.length;
    cursor = answer.next_cursor;
    renderList();
  }

  function scheduleList(delay = LIST_DELAY_MS) {
    clearTimeout(listTimer);
    listTimer = setTimeout(loadList, delay);
  }

  function onFilter() {
    Object.assign(filters, { status: status.value, channel: channel.value, tag: tag.value.trim().toLowerCase(),
      q: search.value.trim() });
    shown = PAGE;
    scheduleList(0);
  }
  search.addEventListener('input', () => {
    filters.q = search.value.trim();
    shown = PAGE;
    scheduleList(300);
  });
  for (const control of [status, channel]) control.addEventListener('change', onFilter);
  tag.addEventListener('change', onFilter);
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    onFilter();
  });

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
    renderList();
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
        navigate(base);
      },
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
    renderList();
  }

  function step(by) {
    const index = conversations.findIndex((c) => c.id === thread?.id);
    const next = conversations[index === -1 ? (by > 0 ? 0 : conversations.length - 1) : index + by];
    if (next) navigate(`${base}/${next.id}`);
  }

  function showHelp() {
    openDialog({
      title: t('inbox.keys.title'),
      submitLabel: t('inbox.keys.done'),
      cancelLabel: null,
      content: h('dl', { class: 'shortcuts' }, SHORTCUTS.map(([keyName, label]) =>
        h('div', {}, h('dt', {}, h('kbd', {}, typeof keyName === 'function' ? keyName() : keyName)), h('dd', {}, label())))),
    });
  }

  function onKey(event) {
    if (!element.isConnected || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    const actions = {
      j: () => step(1),
      k: () => step(-1),
      r: () => thread?.focusComposer(),
      e: () => thread?.resolve(),
      t: () => thread?.focusAction('action-transfer'),
      a: () => thread?.focusAction('action-assign'),
      '/': () => search.focus(),
      '?': showHelp,
      Escape: () => thread && navigate(base),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }
  document.addEventListener('keydown', onKey);

  // Whether c belongs in this list: its view and status (what an event tells), then the
  // channel and tag filters (q is the server's to judge).
  function inViewAndStatus(c) {
    const inView = key === 'all' || (key === 'general' ? c.team_id == null
      : key === 'mine' ? c.assignee_id === user.id : c.team_id === Number(params.id));
    return inView && (!filters.status || c.status === filters.status);
  }

  function fits(c) {
    return inViewAndStatus(c) && (!filters.channel || c.channel.id === Number(filters.channel))
      && (!filters.tag || (c.tags ?? []).includes(filters.tag));
  }

  const isBefore = (a, b) => a.last_activity_at > b.last_activity_at
    || (a.last_activity_at === b.last_activity_at && a.id > b.id);

  // Puts c (as GET /conversations/:id answers it; null when gone from sight) where the list
  // order wants it, or takes it out. When there are more pages, one not shown before may
  // already be in `total`: then the page is loaded again.
  function place(id, c) {
    const index = conversations.findIndex((x) => x.id === id);
    const belongs = c !== null && fits(c);
    if (index === -1 && belongs && cursor) {
      scheduleList();
      return;
    }
    if (index !== -1) conversations.splice(index, 1);
    if (belongs) {
      const at = conversations.findIndex((x) => isBefore(c, x));
      if (at !== -1) conversations.splice(at, 0, c);
      else if (!cursor) conversations.push(c);
      // else it belongs past the loaded page: "more" brings it.
    }
    if (index === -1 && belongs) total += 1;
    if (index !== -1 && !belongs) total -= 1;
    renderList();
  }

  // Conversations to fetch again (their row as the list shows it), a few events at a time.
  const stale = new Set();
  let staleTimer = null;
  function refetch(id) {
    if (filters.q) {
      scheduleList();
      return;
    }
    stale.add(id);
    clearTimeout(staleTimer);
    staleTimer = setTimeout(fetchStale, LIST_DELAY_MS);
  }

  function fetchStale() {
    const ids = [...stale];
    stale.clear();
    for (const id of ids) {
      get(`/conversations/${id}`).then((answer) => place(id, answer.conversation), (e) => {
        if (e instanceof ApiError && e.status === 404) place(id, null);
        else notify(errorMessage(e), { isError: true });
      });
    }
  }

  // A conversation.updated carries the status, team and assignee as they are now: applied to
  // the row when their names are known and no filter needs more; else the row is fetched.
  function applyUpdate(data) {
    const id = data.conversation_id;
    const row = conversations.find((c) => c.id === id);
    if (data.action === 'read' || data.action === 'tags') {
      if (data.action === 'tags' && filters.tag) refetch(id);
      if (data.action === 'read' && row) {
        row.unread_count = 0;
        renderList();
      }
      return;
    }
    const now = { status: data.status, team_id: data.team_id, assignee_id: data.assignee_id };
    const team = now.team_id == null ? null : teams.find((x) => x.id === now.team_id);
    const assignee = now.assignee_id == null ? null : users.get(now.assignee_id);
    if (!row) {
      if (inViewAndStatus(now)) refetch(id);
    } else if (filters.tag || filters.q || team === undefined || assignee === undefined) {
      refetch(id);
    } else {
      place(id, { ...row, ...now, team: team && { id: team.id, name: team.name },
        assignee: assignee && { id: assignee.id, name: assignee.name } });
    }
  }

  const stopListening = listen((name, data) => {
    if (name === 'reset') {
      scheduleList();
      thread?.reload();
      contact?.load();
      return;
    }
    if (name === 'contact.updated') {
      if (contact && contact.contactId() === data.contact_id) contact.load();
      if (filters.q || conversations.some((c) => c.contact.id === data.contact_id)) scheduleList();
      return;
    }
    if (name === 'conversation.updated') applyUpdate(data);
    // A new message changes the row's preview, time, place and unread count.
    else if (name === 'message.created') refetch(data.conversation_id);
    if (thread && data.conversation_id === thread.id) thread.onEvent(name, data);
  });

  closeThread();
  await loadList();

  return {
    key,
    element,
    title,
    open,
    focus: () => (thread ? 'thread-heading' : null),
    dispose() {
      clearTimeout(listTimer);
      clearTimeout(staleTimer);
      thread?.dispose();
      stopListening();
      document.removeEventListener('keydown', onKey);
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
