// A menu button (the WAI-ARIA menu button pattern): a button that opens a short list of
// choices, each acting at once. Enter, Space or the down arrow open it at the first choice;
// the arrows, Home and End move; Enter or a click picks; Escape and Tab close it, as does a
// click elsewhere. Only a pick acts: browsing changes nothing.
import { h } from '../dom.js';
import { icon } from './icons.js';

// items: [[value, text]…]; onPick(value). The label shows beside the icon where there is
// room and is the button's name everywhere (see .menu-label in app.css).
export function menuButton({ id, label, iconName, items, onPick }) {
  const menuId = `${id}-menu`;
  const button = h('button', { type: 'button', id, class: 'btn btn-secondary btn-small menu-button', title: label,
    'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': menuId },
  icon(iconName), h('span', { class: 'menu-label' }, label));
  const choices = items.map(([value, text]) => h('button', { type: 'button', role: 'menuitem', tabindex: '-1',
    class: 'menu-item', 'data-value': value, onclick: () => pick(value) }, text));
  const menu = h('div', { id: menuId, class: 'menu', role: 'menu', 'aria-label': label, hidden: true }, choices);
  const element = h('div', { class: 'menu-wrap' }, button, menu);
  button.disabled = items.length === 0;

  function onOutside(event) {
    if (!element.contains(event.target)) close(false);
  }

  function open(at = 0) {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', onOutside);
    choices.at(at)?.focus();
  }

  function close(refocus = true) {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', onOutside);
    if (refocus) button.focus();
  }

  function pick(value) {
    close();
    onPick(value);
  }

  button.addEventListener('click', () => (menu.hidden ? open() : close()));
  button.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      open(event.key === 'ArrowDown' ? 0 : -1);
    }
  });
  menu.addEventListener('keydown', (event) => {
    const at = choices.indexOf(document.activeElement);
    const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: choices.length - 1 };
    if (event.key in moves) {
      event.preventDefault();
      choices[(moves[event.key] + choices.length) % choices.length].focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close();
    } else if (event.key === 'Tab') {
      close(false);
    }
  });

  return { element, button };
}
