// Small pieces the inbox's list, thread and contact panel share: a channel's icon and
// name, a time as the reader's language writes it, and a conversation's status.
import { h } from '../dom.js';
import { language, t } from '../i18n.js';
import { icon } from '../ui/icons.js';

const CHANNELS = {
  whatsapp: { icon: 'whatsapp', label: () => t('channels.kind.whatsapp') },
  messenger: { icon: 'messenger', label: () => t('channels.kind.messenger') },
  instagram: { icon: 'camera', label: () => t('channels.kind.instagram') },
  telegram: { icon: 'send', label: () => t('channels.kind.telegram') },
  webchat: { icon: 'globe', label: () => t('channels.kind.webchat') },
};

export function channelName(kind) {
  return (CHANNELS[kind] ?? CHANNELS.webchat).label();
}

// The channel's icon in its colour, named for screen readers.
export function channelMark(kind) {
  return h('span', { class: ['channel-mark', `channel-mark-${kind}`], title: channelName(kind) },
    icon((CHANNELS[kind] ?? CHANNELS.webchat).icon), h('span', { class: 'visually-hidden' }, channelName(kind)));
}

const STATUS = {
  routing: () => t('inbox.status.routing'),
  open: () => t('inbox.status.open'),
  pending: () => t('inbox.status.pending'),
  snoozed: () => t('inbox.status.snoozed'),
  resolved: () => t('inbox.status.resolved'),
};
export const STATUSES = Object.keys(STATUS);

export function statusName(status) {
  return STATUS[status]?.() ?? status;
}

// Today's times as 14:05, older ones as a short date.
export function timeText(ms) {
  const date = new Date(ms);
  const isToday = date.toDateString() === new Date().toDateString();
  return new Intl.DateTimeFormat(language(), isToday ? { hour: '2-digit', minute: '2-digit' }
    : { day: 'numeric', month: 'short' }).format(date);
}

export function timeEl(ms, className = 'time') {
  const date = new Date(ms);
  return h('time', { class: className, datetime: date.toISOString(),
    title: new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'short' }).format(date) }, timeText(ms));
}
