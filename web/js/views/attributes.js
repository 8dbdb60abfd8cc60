// Settings → Contact fields (admins): the custom attribute keys contacts may carry (plan,
// city…). Add a key with its label, delete one after confirming (its values go with it).
import { del, errorMessage, get, post } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { confirmDialog } from '../ui/dialog.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { emptyState, pageHeader } from './page.js';

function addForm(ctx) {
  const key = h('input', { type: 'text', id: 'attribute-new-key', required: true, maxlength: 64,
    pattern: '[a-z0-9_]+', autocomplete: 'off', spellcheck: 'false' });
  const label = h('input', { type: 'text', required: true, maxlength: 200, autocomplete: 'off' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('plus'), t('attributes.add.submit'));
  const error = formError();
  const form = h('form', { class: 'invite-form', 'aria-labelledby': 'attribute-add-title' },
    field(t('attributes.key'), key),
    field(t('attributes.label'), label),
    h('div', { class: 'invite-submit' }, submit),
    error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      const { attribute } = await whileBusy(submit, () =>
        post('/contact-attributes', { key: key.value.trim(), label: label.value.trim() }));
      notify(t('attributes.added', { key: attribute.key }));
      ctx.refresh({ focus: 'attribute-new-key' });
    } catch (e) {
      error.show(errorMessage(e));
      key.focus();
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'attribute-add-title' },
    h('header', {},
      h('h2', { class: 'card-title', id: 'attribute-add-title' }, t('attributes.add.title')),
      h('p', { class: 'card-lead' }, t('attributes.add.lead'))),
    form);
}

async function deleteAttribute(ctx, attribute) {
  const isDeleted = await confirmDialog({
    title: t('attributes.delete.title', { key: attribute.key }),
    message: t('attributes.delete.text'),
    confirmLabel: t('attributes.delete.submit'),
    onConfirm: () => del(`/contact-attributes/${attribute.key}`),
  });
  if (!isDeleted) return;
  notify(t('attributes.deleted', { key: attribute.key }));
  ctx.refresh({ focus: 'attribute-new-key' });
}

function attributeRow(ctx, attribute) {
  return h('tr', {},
    h('th', { scope: 'row' }, h('code', {}, attribute.key)),
    h('td', { 'data-label': t('attributes.label') }, attribute.label),
    h('td', { class: 'row-actions' },
      h('button', { type: 'button', class: 'btn btn-secondary btn-small',
        'aria-label': t('attributes.delete.label', { key: attribute.key }), onclick: () => deleteAttribute(ctx, attribute) },
      icon('trash'), t('attributes.delete.open'))));
}

function attributeTable(ctx, attributes) {
  if (attributes.length === 0)
    return h('div', { class: 'card-pad' }, emptyState('layers', t('attributes.none.title'), t('attributes.none.text')));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
    h('caption', { class: 'visually-hidden' }, t('attributes.tableCaption')),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, t('attributes.key')),
      h('th', { scope: 'col' }, t('attributes.label')),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('attributes.actions'))))),
    h('tbody', {}, attributes.map((a) => attributeRow(ctx, a)))));
}

export async function attributesView(ctx) {
  const { attributes } = await get('/contact-attributes');
  const content = h('div', { class: 'page' },
    pageHeader(t('attributes.title'), t('attributes.lead')),
    addForm(ctx),
    h('section', { class: 'card card-flush', 'aria-labelledby': 'attributes-list-title' },
      h('h2', { class: 'card-title card-pad', id: 'attributes-list-title' }, t('attributes.listTitle')),
      attributeTable(ctx, attributes)));
  return { title: t('attributes.title'), content };
}
