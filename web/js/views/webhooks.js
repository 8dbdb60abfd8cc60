// Settings → Webhooks (admins): the company's own endpoints that hear of events. Add one (its
// secret is shown once, in a dialog), choose its events, turn it off and on, rotate its
// secret, delete it, and read its delivery log with "send again". What an endpoint answered is
// its text, shown as text (never as HTML).
import { del, errorMessage, get, patch, post } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { confirmDialog, openDialog } from '../ui/dialog.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { emptyState, pageHeader } from './page.js';

const URL_MAX = 2048;

const EVENTS = {
  'conversation.created': () => t('webhooks.event.conversationCreated'),
  'message.created': () => t('webhooks.event.messageCreated'),
  'message.updated': () => t('webhooks.event.messageUpdated'),
  'conversation.assigned': () => t('webhooks.event.conversationAssigned'),
  'conversation.transferred': () => t('webhooks.event.conversationTransferred'),
  'conversation.resolved': () => t('webhooks.event.conversationResolved'),
  'contact.updated': () => t('webhooks.event.contactUpdated'),
  'csat.answered': () => t('webhooks.event.csatAnswered'),
};

const STATES = {
  pending: () => t('webhooks.state.pending'),
  sending: () => t('webhooks.state.sending'),
  waiting: () => t('webhooks.state.waiting'),
  delivered: () => t('webhooks.state.delivered'),
};

function when(ms) {
  return ms ? new Date(ms).toLocaleString() : '';
}

// One checkbox per event type, checked for those in `chosen`; value() is the checked ones.
function eventBoxes(idPrefix, chosen = []) {
  const boxes = Object.entries(EVENTS).map(([type, label]) => {
    const box = h('input', { type: 'checkbox', id: `${idPrefix}-${type.replace('.', '-')}`, value: type,
      checked: chosen.includes(type) });
    return { box, el: h('div', { class: 'check' }, box, h('label', { for: box.id }, label())) };
  });
  return {
    el: h('fieldset', { class: 'checks' }, h('legend', {}, t('webhooks.events')), boxes.map((b) => b.el)),
    value: () => boxes.filter((b) => b.box.checked).map((b) => b.box.value),
  };
}

// The secret of a new or rotated endpoint, shown this once.
function showSecret(secret) {
  const box = h('input', { type: 'text', id: 'webhook-secret', readonly: true, value: secret, spellcheck: 'false' });
  return openDialog({
    title: t('webhooks.secret.title'),
    content: [h('p', { class: 'dialog-text' }, t('webhooks.secret.text')), field(t('webhooks.secret.label'), box)],
    submitLabel: t('webhooks.secret.done'),
    cancelLabel: null,
  });
}

function addForm(ctx) {
  const url = h('input', { type: 'url', id: 'webhook-new-url', required: true, maxlength: URL_MAX, autocomplete: 'off',
    placeholder: t('webhooks.urlPlaceholder') });
  const events = eventBoxes('webhook-new', ['conversation.created', 'message.created']);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('plus'), t('webhooks.add.submit'));
  const error = formError();
  const form = h('form', { class: 'canned-form', 'aria-labelledby': 'webhook-add-title' },
    field(t('webhooks.url'), url, t('webhooks.urlHint')), events.el, h('div', {}, submit), error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      const { webhook, secret } = await whileBusy(submit, () => post('/webhooks', { url: url.value.trim(), events: events.value() }));
      await showSecret(secret);
      notify(t('webhooks.added'));
      ctx.refresh({ path: `/settings/webhooks/${webhook.id}` });
    } catch (e) {
      error.show(errorMessage(e));
      url.focus();
    }
  });
  return [h('h2', { class: 'card-title', id: 'webhook-add-title' }, t('webhooks.add.title')), form];
}

function endpointList(webhooks, selectedId) {
  if (webhooks.length === 0) return h('p', { class: 'list-empty' }, t('webhooks.none'));
  return h('ul', { class: 'list', role: 'list' }, webhooks.map((w) => h('li', {},
    h('a', { class: 'list-link', href: `/settings/webhooks/${w.id}`, 'aria-current': w.id === selectedId && 'page' },
      h('span', { class: 'list-primary' }, w.url),
      h('span', { class: 'list-secondary' }, w.enabled ? t('webhooks.enabled') : t('webhooks.disabled'))))));
}

async function act(ctx, work, done) {
  try {
    await work();
    notify(done);
    ctx.refresh({});
  } catch (e) {
    notify(errorMessage(e), { isError: true });
  }
}

function eventsForm(ctx, webhook) {
  const events = eventBoxes(`webhook-${webhook.id}`, webhook.events);
  const submit = h('button', { type: 'submit', id: 'webhook-events-save', class: 'btn btn-secondary' }, t('webhooks.events.save'));
  const error = formError();
  const form = h('form', { class: 'assignment-form', 'aria-label': t('webhooks.events') }, events.el, h('div', {}, submit), error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      await whileBusy(submit, () => patch(`/webhooks/${webhook.id}`, { events: events.value() }));
      notify(t('webhooks.events.saved'));
      ctx.refresh({ focus: 'webhook-events-save' });
    } catch (e) {
      error.show(errorMessage(e));
    }
  });
  return form;
}

function deliveryLog(ctx, webhook, deliveries) {
  if (deliveries.length === 0) return h('p', { class: 'list-empty' }, t('webhooks.log.none'));
  const head = [t('webhooks.log.event'), t('webhooks.log.state'), t('webhooks.log.attempts'), t('webhooks.log.last'),
    t('webhooks.log.answer')];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'webhook-log' },
    h('caption', { class: 'visually-hidden' }, t('webhooks.log.title')),
    h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('webhooks.log.actions'))))),
    h('tbody', {}, deliveries.map((d) => {
      const last = d.last_attempt;
      return h('tr', { 'data-delivery': d.id },
        h('td', {}, EVENTS[d.type]?.() ?? d.type),
        h('td', {}, STATES[d.state]?.() ?? d.state),
        h('td', {}, String(d.attempts)),
        h('td', {}, last ? t('webhooks.log.lastAttempt', { when: when(last.at), status: last.status ?? '—', ms: last.duration_ms ?? 0 }) : ''),
        h('td', { class: 'log-answer' }, last ? [last.error && h('span', { class: 'hint' }, last.error), ' ',
          last.answer && h('code', {}, last.answer)] : ''),
        h('td', {}, d.state !== 'sending' && h('button', { type: 'button', class: 'btn btn-ghost btn-small',
          'aria-label': t('webhooks.log.resendLabel', { id: d.id }),
          onclick: () => act(ctx, () => post(`/webhooks/${webhook.id}/deliveries/${d.id}/resend`), t('webhooks.log.resent')) },
        t('webhooks.log.resend'))));
    }))));
}

function detail(ctx, webhook, deliveries) {
  const toggle = webhook.enabled
    ? h('button', { type: 'button', id: 'webhook-toggle', class: 'btn btn-secondary btn-small',
      onclick: () => act(ctx, () => patch(`/webhooks/${webhook.id}`, { enabled: false }), t('webhooks.turnedOff')) },
    t('webhooks.turnOff'))
    : h('button', { type: 'button', id: 'webhook-toggle', class: 'btn btn-secondary btn-small',
      onclick: () => act(ctx, () => patch(`/webhooks/${webhook.id}`, { enabled: true }), t('webhooks.turnedOn')) },
    t('webhooks.turnOn'));
  const rotate = async () => {
    let secret = null;
    const isRotated = await confirmDialog({ title: t('webhooks.rotate.title'), message: t('webhooks.rotate.text'),
      confirmLabel: t('webhooks.rotate.submit'),
      onConfirm: async () => {
        ({ secret } = await post(`/webhooks/${webhook.id}/secret`));
      } });
    if (!isRotated) return;
    await showSecret(secret);
    notify(t('webhooks.rotated'));
    ctx.refresh({ focus: 'webhook-rotate' });
  };
  const remove = async () => {
    const isDeleted = await confirmDialog({ title: t('webhooks.delete.title'), message: t('webhooks.delete.text'),
      confirmLabel: t('webhooks.delete.submit'), onConfirm: () => del(`/webhooks/${webhook.id}`) });
    if (!isDeleted) return;
    notify(t('webhooks.deleted'));
    ctx.refresh({ path: '/settings/webhooks' });
  };
  return [
    h('a', { class: 'back-link', href: '/settings/webhooks' }, icon('back'), t('webhooks.back')),
    h('header', { class: 'card-header' },
      h('div', {},
        h('h2', { class: 'card-title', id: 'webhook-title', tabindex: '-1' }, webhook.url),
        h('p', { class: 'card-lead', id: 'webhook-state' }, webhook.enabled ? t('webhooks.enabled')
          : t('webhooks.disabledBecause', { reason: webhook.disabled_reason ?? '' }))),
      h('div', { class: 'card-actions' }, toggle,
        h('button', { type: 'button', id: 'webhook-rotate', class: 'btn btn-secondary btn-small', onclick: rotate }, t('webhooks.rotate.open')),
        h('button', { type: 'button', class: 'btn btn-danger-quiet btn-small', onclick: remove }, icon('trash'), t('webhooks.delete.open')))),
    eventsForm(ctx, webhook),
    h('h3', { class: 'section-title' }, t('webhooks.log.title')),
    deliveryLog(ctx, webhook, deliveries),
  ];
}

export async function webhooksView(ctx) {
  const selectedId = ctx.params.id ? Number(ctx.params.id) : null;
  const [{ webhooks }, selected, log] = await Promise.all([
    get('/webhooks'),
    selectedId && get(`/webhooks/${selectedId}`).then((r) => r.webhook),
    selectedId && get(`/webhooks/${selectedId}/deliveries`).then((r) => r.deliveries),
  ]);
  const content = h('div', { class: 'page' },
    pageHeader(t('webhooks.title'), t('webhooks.lead')),
    h('div', { class: ['split', selected && 'has-selection'] },
      h('section', { class: 'card split-list', 'aria-label': t('webhooks.listLabel') },
        addForm(ctx), endpointList(webhooks, selectedId)),
      h('section', { class: 'card split-detail', 'aria-labelledby': selected ? 'webhook-title' : null },
        selected ? detail(ctx, selected, log) : emptyState('plug', t('webhooks.choose.title'), t('webhooks.choose.text')))));
  return { title: t('webhooks.title'), content, focus: selected && 'webhook-title' };
}
