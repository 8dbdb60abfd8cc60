// Form pieces shared by the views: a labelled field, the error line of a form, and
// buttons that say they are busy while a request is in flight.
import { h, uid } from '../dom.js';

// A label above its control, with an optional hint the control is described by.
export function field(label, control, hint) {
  control.id ||= uid('field');
  const hintEl = hint && h('p', { class: 'hint', id: uid('hint') }, hint);
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

// The error line under a form: empty and hidden until show(message).
export function formError() {
  const el = h('p', { class: 'form-error', role: 'alert', hidden: true });
  return {
    el,
    show(message) {
      el.textContent = message;
      el.hidden = false;
    },
    clear() {
      el.textContent = '';
      el.hidden = true;
    },
  };
}

// Runs work() with the button disabled and marked busy; returns what work() returns.
export async function whileBusy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}
