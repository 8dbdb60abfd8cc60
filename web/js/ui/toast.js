// Short notices ("Team created") in a live region, so screen readers announce them too;
// errors are announced at once (role="alert"). Each fades after a few seconds.
import { h } from '../dom.js';
import { icon } from './icons.js';

const SHOWN_MS = 5000;
let region = null;

export function notify(message, { isError = false } = {}) {
  if (!region) {
    region = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const toast = h('div', { class: ['toast', isError && 'toast-error'], role: isError ? 'alert' : null },
    isError && icon('alert'), h('span', {}, message));
  region.append(toast);
  setTimeout(() => toast.remove(), SHOWN_MS);
}
