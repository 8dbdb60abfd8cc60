// The inbox's keyboard shortcuts: the keys, the "?" dialog that lists them, and the one
// keydown listener that runs them — never while the person types in a field, a dialog is
// open or the navigation has focus.
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { openDialog } from '../ui/dialog.js';

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

function isTyping(target) {
  return target.closest('input, textarea, select, [contenteditable], dialog, #nav');
}

export function showShortcuts() {
  openDialog({
    title: t('inbox.keys.title'),
    submitLabel: t('inbox.keys.done'),
    cancelLabel: null,
    content: h('dl', { class: 'shortcuts' }, SHORTCUTS.map(([keyName, label]) =>
      h('div', {}, h('dt', {}, h('kbd', {}, typeof keyName === 'function' ? keyName() : keyName)), h('dd', {}, label())))),
  });
}

// actions: { j, k, r, e, t, a, '/', Escape } → functions ('?' shows the list); they run while
// `element` is on the page. Returns the function that stops listening.
export function listenToShortcuts(element, actions) {
  function onKey(event) {
    if (!element.isConnected || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    const action = { ...actions, '?': showShortcuts }[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  }
  document.addEventListener('keydown', onKey);
  return () => document.removeEventListener('keydown', onKey);
}
