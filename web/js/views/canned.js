// Settings → Canned responses (admins): shortcuts agents type (/horario) for texts they send
// often. Placeholders such as {contact_name} are kept as typed; the conversation view fills
// them in when an agent inserts the text.
import { del, errorMessage, get, patch, post } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { confirmDialog, openDialog } from '../ui/dialog.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { emptyState, pageHeader } from './page.js';

const SHORTCUT_MAX = 33; // 32 characters, after an optional '/'
const TEXT_MAX = 4096;

// The two fields of a canned response, filled with `canned`'s values when editing.
function fields(canned = { shortcut: '', text: '' }, idPrefix = 'canned-new') {
  const shortcut = h('input', { type: 'text', id: `${idPrefix}-shortcut`, required: true, maxlength: SHORTCUT_MAX,
    autocomplete: 'off', spellcheck: 'false', value: canned.shortcut });
  const text = h('textarea', { id: `${idPrefix}-text`, required: true, rows: 4, maxlength: TEXT_MAX, value: canned.text });
  return {
    shortcut,
    text,
    elements: [
      field(t('canned.shortcut'), shortcut, t('canned.shortcutHint')),
      field(t('canned.text'), text, t('canned.placeholders')),
    ],
    value: () => ({ shortcut: shortcut.value.trim(), text: text.value }),
  };
}

function addForm(ctx) {
  const f = fields();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('plus'), t('canned.add.submit'));
  const error = formError();
  const form = h('form', { class: 'canned-form', 'aria-labelledby': 'canned-add-title' }, f.elements,
    h('div', {}, submit), error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      const { canned_response: saved } = await whileBusy(submit, () => post('/canned-responses', f.value()));
      notify(t('canned.added', { shortcut: saved.shortcut }));
      ctx.refresh({ focus: 'canned-new-shortcut' });
    } catch (e) {
      error.show(errorMessage(e));
    }
  });
  return h('section', { class: 'card' },
    h('h2', { class: 'card-title', id: 'canned-add-title' }, t('canned.add.title')),
    form);
}

async function edit(ctx, canned) {
  const f = fields(canned, `canned-${canned.id}-edit`);
  const saved = await openDialog({
    title: t('canned.edit.title', { shortcut: canned.shortcut }),
    content: f.elements,
    submitLabel: t('canned.edit.submit'),
    onSubmit: async () => (await patch(`/canned-responses/${canned.id}`, f.value())).canned_response,
  });
  if (!saved) return;
  notify(t('canned.edited', { shortcut: saved.shortcut }));
  ctx.refresh({ focus: `canned-${canned.id}-edit` });
}

async function remove(ctx, canned) {
  const isDeleted = await confirmDialog({
    title: t('canned.delete.title', { shortcut: canned.shortcut }),
    message: t('canned.delete.text'),
    confirmLabel: t('canned.delete.submit'),
    onConfirm: () => del(`/canned-responses/${canned.id}`),
  });
  if (!isDeleted) return;
  notify(t('canned.deleted', { shortcut: canned.shortcut }));
  ctx.refresh({ focus: 'canned-new-shortcut' });
}

function cannedList(ctx, list) {
  if (list.length === 0) return emptyState('chat', t('canned.none.title'), t('canned.none.text'));
  return h('ul', { class: 'list', role: 'list' }, list.map((canned) => h('li', { class: 'list-row' },
    h('span', { class: 'list-text' },
      h('span', { class: 'list-primary' }, t('canned.shortcutShown', { shortcut: canned.shortcut })),
      h('span', { class: 'list-secondary canned-text' }, canned.text)),
    h('button', { type: 'button', id: `canned-${canned.id}-edit`, class: 'btn btn-ghost btn-small',
      'aria-label': t('canned.edit.label', { shortcut: canned.shortcut }), onclick: () => edit(ctx, canned) },
    icon('pencil'), t('canned.edit.open')),
    h('button', { type: 'button', class: 'btn btn-ghost btn-small',
      'aria-label': t('canned.delete.label', { shortcut: canned.shortcut }), onclick: () => remove(ctx, canned) },
    icon('trash'), t('canned.delete.open')))));
}

export async function cannedView(ctx) {
  const { canned_responses: list } = await get('/canned-responses');
  const content = h('div', { class: 'page' },
    pageHeader(t('canned.title'), t('canned.lead')),
    addForm(ctx),
    h('section', { class: 'card', 'aria-labelledby': 'canned-list-title' },
      h('h2', { class: 'card-title', id: 'canned-list-title' }, t('canned.listTitle')),
      cannedList(ctx, list)));
  return { title: t('canned.title'), content };
}
