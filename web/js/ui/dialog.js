// Modal dialogs on the native <dialog> element, which keeps focus inside, closes on
// Escape and gives focus back to what opened it. The submit action runs inside the
// dialog, so a refusal from the server is shown there and the person can correct it.
import { errorMessage } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { formError, whileBusy } from './forms.js';

// Resolves with what onSubmit returned, or null when the dialog was dismissed.
// cancelLabel null leaves only the submit button (for a notice the person acknowledges);
// errorWords is errorMessage()'s overrides.
export function openDialog({ title, content = [], submitLabel, cancelLabel = t('common.cancel'), isDanger = false,
  onSubmit = async () => true, errorWords = {} }) {
  const titleId = uid('dialog-title');
  const error = formError();
  const submit = h('button', { type: 'submit', class: ['btn', isDanger ? 'btn-danger' : 'btn-primary'] }, submitLabel);
  const form = h('form', { class: 'dialog-form' },
    h('h2', { id: titleId, class: 'dialog-title' }, title),
    content,
    error.el,
    h('div', { class: 'dialog-actions' },
      cancelLabel && h('button', { type: 'button', class: 'btn btn-secondary', onclick: () => dialog.close() }, cancelLabel),
      submit));
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId }, form);
  document.body.append(dialog);
  return new Promise((resolve) => {
    let result = null;
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.clear();
      try {
        result = await whileBusy(submit, () => onSubmit(form));
        dialog.close();
      } catch (e) {
        error.show(errorMessage(e, errorWords));
      }
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    dialog.showModal();
  });
}

// Asks before something that cannot be undone; resolves true when confirmed and done.
export function confirmDialog({ title, message, confirmLabel, onConfirm, errorWords }) {
  return openDialog({
    title,
    errorWords,
    content: h('p', { class: 'dialog-text' }, message),
    submitLabel: confirmLabel,
    isDanger: true,
    onSubmit: async () => {
      await onConfirm();
      return true;
    },
  });
}
