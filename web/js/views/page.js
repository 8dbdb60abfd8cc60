// Pieces every view uses: the page header (a heading that takes focus after navigation,
// and a line saying what the page is for) and the empty state.
import { h } from '../dom.js';
import { icon } from '../ui/icons.js';

export function pageHeader(title, lead) {
  return h('header', { class: 'page-header' },
    h('h1', { class: 'page-title', tabindex: '-1' }, title),
    h('p', { class: 'page-lead' }, lead));
}

export function emptyState(iconName, title, text) {
  return h('div', { class: 'empty' },
    h('div', { class: 'empty-icon' }, icon(iconName)),
    h('h2', { class: 'empty-title' }, title),
    h('p', { class: 'empty-text' }, text));
}
