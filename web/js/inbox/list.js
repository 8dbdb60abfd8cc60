// The conversation list of one inbox view: its rows (contact, channel, preview, status,
// response target close or past, team, assignee, unread), the total, further pages, and what the event stream says about
// them, applied to the rows in place when the event says enough (docs/ARCHITECTURE.md).
import { ApiError, errorMessage, get } from '../api.js';
import { h, initials } from '../dom.js';
import { t } from '../i18n.js';
import { notify } from '../ui/toast.js';
import { emptyState } from '../views/page.js';
import { channelMark, statusName, timeEl } from './format.js';

const PAGE = 25;
const LIST_DELAY_MS = 200;

// The last message's preview; an outgoing one says who wrote it ("You" only for my own).
function preview(m, userId) {
  if (!m) return '';
  if (m.direction !== 'out') return m.preview;
  if (m.sender === 'routing') return t('inbox.list.routingWrote', { text: m.preview });
  if (m.sender === 'provider_app') return t('inbox.list.appWrote', { text: m.preview });
  if (m.author && m.author.id === userId) return t('inbox.list.youWrote', { text: m.preview });
  return t('inbox.list.agentWrote', { name: m.author?.name ?? t('inbox.sender.agent'), text: m.preview });
}

// query: the address's filters (?status=…), kept when a conversation opens.
function conversationItem(c, base, isCurrent, userId, query) {
  const name = c.contact.name || t('inbox.contact.unnamed');
  return h('li', { class: 'conv-item', 'data-conversation-id': c.id },
    h('a', { class: ['conv', c.unread_count > 0 && 'is-unread'], href: `${base}/${c.id}${query}`,
      'aria-current': isCurrent ? 'true' : null },
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
    h('span', { class: 'conv-body' },
      h('span', { class: 'conv-top' },
        h('span', { class: 'conv-name' }, name),
        channelMark(c.channel.kind),
        c.last_message && timeEl(c.last_message.created_at, 'time conv-time')),
      h('span', { class: 'conv-preview' }, preview(c.last_message, userId)),
      h('span', { class: 'conv-facts' },
        c.undelivered_count > 0 && h('span', { class: 'badge badge-danger conv-undelivered' },
          t('inbox.list.undelivered')),
        c.status !== 'open' && h('span', { class: ['badge', `status-${c.status}`] }, statusName(c.status)),
        (c.due === 'soon' || c.due === 'overdue') && h('span', { class: ['badge', `due-${c.due}`] },
          c.due === 'soon' ? t('inbox.due.soon') : t('inbox.due.overdue')),
        h('span', {}, c.team?.name ?? t('inbox.team.none')),
        h('span', {}, c.assignee ? t('inbox.assignee.is', { name: c.assignee.name }) : t('inbox.assignee.none'))),
      c.unread_count > 0 && h('span', { class: 'conv-unread' },
        h('span', { 'aria-hidden': 'true' }, String(c.unread_count)),
        h('span', { class: 'visually-hidden' }, t('inbox.list.unread', { count: c.unread_count }))))));
}

// key: the view (general, mine, team:<id>, all); teams and users (a Map) name the rows'
// teams and assignees; filters: createFilters(); openId() is the open conversation's id.
export function createList({ key, user, teams, users, base, filters, openId }) {
  const teamId = key.startsWith('team:') ? Number(key.slice(5)) : null;
  let conversations = [];
  let total = 0;
  let cursor = null;
  let shown = PAGE;
  let listTimer = null;
  let listSeq = 0;

  const listEl = h('ul', { class: 'conv-list', role: 'list', 'aria-labelledby': 'inbox-title' });
  const summary = h('p', { class: 'conv-summary', role: 'status' });
  const more = h('button', { type: 'button', class: 'btn btn-ghost btn-small load-more', hidden: true,
    onclick: () => loadMore() }, t('inbox.list.more'));

  // A search looks through every conversation the person may see, whatever the view and status.
  function query(limit) {
    const p = new URLSearchParams({ limit: String(limit) });
    const isSearch = Boolean(filters.values.q);
    if (key !== 'all' && !isSearch) p.set('view', key);
    for (const [name, value] of Object.entries(filters.values))
      if (value && !(isSearch && name === 'status')) p.set(name, value);
    return p;
  }

  // Live updates rebuild the rows; the row that had the focus keeps it.
  function render() {
    const focused = listEl.contains(document.activeElement)
      ? document.activeElement.closest('[data-conversation-id]')?.dataset.conversationId : null;
    listEl.replaceChildren(...conversations.map((c) => conversationItem(c, base, c.id === openId(), user.id,
      filters.addressQuery())));
    if (focused) listEl.querySelector(`[data-conversation-id="${focused}"] a`)?.focus();
    summary.textContent = total === 0 ? '' : filters.values.q
      ? (total === 1 ? t('inbox.list.found.one') : t('inbox.list.found.other', { count: total }))
      : total === 1 ? t('inbox.list.totalOne') : t('inbox.list.total', { count: total });
    more.hidden = !cursor;
    if (conversations.length === 0) {
      listEl.replaceChildren(h('li', {}, filters.isNarrowed()
        ? emptyState('search', t('inbox.empty.filteredTitle'), t('inbox.empty.filteredText'))
        : emptyState('chat', t('inbox.empty.title'), t('inbox.empty.text'))));
    }
    filters.learnChannels(conversations);
  }

  // Loads the first page again (as many as are shown), keeping the place in the list.
  async function load() {
    const seq = ++listSeq;
    try {
      const answer = await get(`/conversations?${query(Math.min(shown, 100))}`);
      if (seq !== listSeq) return;
      ({ conversations, total } = answer);
      cursor = answer.next_cursor;
      render();
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
    render();
  }

  function scheduleList(delay = LIST_DELAY_MS) {
    clearTimeout(listTimer);
    listTimer = setTimeout(load, delay);
  }

  // Whether c belongs in this list: its view and status (what an event tells), then the
  // channel and tag filters (q is the server's to judge).
  function inViewAndStatus(c) {
    if (filters.values.q) return true;
    const inView = key === 'all' || (key === 'general' ? c.team_id == null
      : key === 'mine' ? c.assignee_id === user.id : c.team_id === teamId);
    return inView && (!filters.values.status || filters.values.status.split(',').includes(c.status));
  }

  function fits(c) {
    return inViewAndStatus(c) && (!filters.values.channel || c.channel.id === Number(filters.values.channel))
      && (!filters.values.tag || (c.tags ?? []).includes(filters.values.tag));
  }

  // The server's orders (GET /conversations?sort=): the newest activity, or the soonest due.
  const dueKey = (c) => c.due_at ?? Infinity;
  const isBefore = (a, b) => (filters.values.sort === 'due'
    ? dueKey(a) < dueKey(b) || (dueKey(a) === dueKey(b) && a.id < b.id)
    : a.last_activity_at > b.last_activity_at || (a.last_activity_at === b.last_activity_at && a.id > b.id));

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
    render();
  }

  // Conversations to fetch again (their row as the list shows it), a few events at a time.
  const stale = new Set();
  let staleTimer = null;
  function refetch(id) {
    if (filters.values.q) {
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
  // the row when their names are known and no filter or order needs more (the due time may
  // have moved); else the row is fetched.
  function applyUpdate(data) {
    const id = data.conversation_id;
    const row = conversations.find((c) => c.id === id);
    if (data.action === 'read' || data.action === 'tags') {
      if (data.action === 'tags' && filters.values.tag) refetch(id);
      if (data.action === 'read' && row) {
        row.unread_count = 0;
        render();
      }
      return;
    }
    const now = { status: data.status, team_id: data.team_id, assignee_id: data.assignee_id };
    const team = now.team_id == null ? null : teams.find((x) => x.id === now.team_id);
    const assignee = now.assignee_id == null ? null : users.get(now.assignee_id);
    if (!row) {
      if (inViewAndStatus(now)) refetch(id);
    } else if (filters.values.tag || filters.values.q || filters.values.sort || team === undefined
      || assignee === undefined) {
      refetch(id);
    } else {
      place(id, { ...row, ...now, team: team && { id: team.id, name: team.name },
        assignee: assignee && { id: assignee.id, name: assignee.name } });
    }
  }

  return {
    element: h('div', { class: 'conv-scroll' }, listEl, more),
    summary,
    load,
    render,
    // After a filter changed: the first page again, after `delay` ms.
    reload(delay) {
      shown = PAGE;
      scheduleList(delay);
    },
    // The conversation `by` rows away from id (the first or last when id is not shown).
    neighbour(id, by) {
      const index = conversations.findIndex((c) => c.id === id);
      return conversations[index === -1 ? (by > 0 ? 0 : conversations.length - 1) : index + by] ?? null;
    },
    onEvent(name, data) {
      if (name === 'reset') scheduleList();
      else if (name === 'contact.updated') {
        if (filters.values.q || conversations.some((c) => c.contact.id === data.contact_id)) scheduleList();
      } else if (name === 'conversation.updated') applyUpdate(data);
      // A new message changes the row's preview, time, place and unread count; a reply that
      // failed, waits to retry or got through after all changes its "not delivered" mark.
      else if (name === 'message.created') refetch(data.conversation_id);
      else if (name === 'message.updated' && (['failed', 'queued'].includes(data.status)
        || conversations.some((c) => c.id === data.conversation_id && c.undelivered_count > 0))) {
        refetch(data.conversation_id);
      }
    },
    dispose() {
      clearTimeout(listTimer);
      clearTimeout(staleTimer);
    },
  };
}
