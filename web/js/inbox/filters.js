// The conversation list's filters: free-text search, status, channel and tag, and its order
// (the newest activity, or the soonest response target first). It owns the form and the
// values; the channel choices grow with the conversations the list has seen (admins start
// from every connected channel). "Open", the default, includes those still in routing (a
// human may step in). The status and the order are kept in the address (?status=, ?sort=),
// like the view.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { icon } from '../ui/icons.js';
import { STATUSES, channelName, statusName } from './format.js';

const DEFAULT_STATUS = 'open,routing';
const STATUS_CHOICES = STATUSES.map((s) => (s === 'open' ? DEFAULT_STATUS : s));

// The status the address asks for (?status=resolved, ?status=any), else the default.
function statusFromAddress() {
  const asked = new URLSearchParams(location.search).get('status');
  return asked === 'any' ? '' : STATUS_CHOICES.includes(asked) ? asked : DEFAULT_STATUS;
}

// The order: '' (the newest activity) or 'due' (?sort=due).
const sortFromAddress = () => (new URLSearchParams(location.search).get('sort') === 'due' ? 'due' : '');

// channels: the connected channels (admins) or []; onChange(delay) after each change, with
// the time to wait before asking (typing in the search box waits a little).
export function createFilters({ channels, onChange }) {
  const values = { status: statusFromAddress(), channel: '', tag: '', q: '', sort: sortFromAddress() };
  const search = h('input', { type: 'search', id: 'inbox-search', class: 'search-input', maxlength: 200,
    placeholder: t('inbox.filter.search'), 'aria-label': t('inbox.filter.search') });
  const status = h('select', { id: 'filter-status', 'aria-label': t('inbox.filter.status') },
    STATUS_CHOICES.map((s) => h('option', { value: s }, statusName(s.split(',')[0]))),
    h('option', { value: '' }, t('inbox.filter.anyStatus')));
  status.value = values.status;
  const sort = h('select', { id: 'filter-sort', 'aria-label': t('inbox.filter.sort') },
    h('option', { value: '' }, t('inbox.filter.sortActivity')),
    h('option', { value: 'due' }, t('inbox.filter.sortDue')));
  sort.value = values.sort;
  const channel = h('select', { id: 'filter-channel', 'aria-label': t('inbox.filter.channel') });
  const tag = h('input', { type: 'text', id: 'filter-tag', class: 'tag-filter', maxlength: 64, autocomplete: 'off',
    placeholder: t('inbox.filter.tag'), 'aria-label': t('inbox.filter.tag') });
  const element = h('form', { class: 'inbox-filters', role: 'search', 'aria-label': t('inbox.filter.label') },
    h('div', { class: 'search-box' }, icon('search'), search),
    h('div', { class: 'filter-row' }, status, channel, tag, sort));

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

  function changed() {
    Object.assign(values, { status: status.value, channel: channel.value, tag: tag.value.trim().toLowerCase(),
      q: search.value.trim(), sort: sort.value });
    history.replaceState(null, '', location.pathname + addressQuery());
    onChange(0);
  }

  // What the address carries: the status and the order, when they are not the default.
  function addressQuery() {
    const p = new URLSearchParams();
    if (values.status !== DEFAULT_STATUS) p.set('status', values.status || 'any');
    if (values.sort) p.set('sort', values.sort);
    const text = p.toString();
    return text ? `?${text}` : '';
  }
  search.addEventListener('input', () => {
    values.q = search.value.trim();
    onChange(300);
  });
  for (const control of [status, channel, tag, sort]) control.addEventListener('change', changed);
  element.addEventListener('submit', (event) => {
    event.preventDefault();
    changed();
  });

  return {
    element,
    values,
    isNarrowed: () => Boolean(values.q || values.tag || values.channel || values.status !== DEFAULT_STATUS),
    addressQuery,
    focusSearch: () => search.focus(),
    // Agents pick among the channels their conversations came in on.
    learnChannels(conversations) {
      let isNew = false;
      for (const c of conversations) {
        if (!channelOptions.has(c.channel.id)) {
          channelOptions.set(c.channel.id, { id: c.channel.id, kind: c.channel.kind });
          isNew = true;
        }
      }
      if (isNew) renderChannels();
    },
  };
}
