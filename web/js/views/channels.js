// Settings → Channels (admins): the connected provider accounts with their health (last
// message received, last delivery error), a form per kind to connect one, and removal
// after confirming. Credentials go to the server and are never shown back: the API
// answers only "…last4" hints. After connecting, the page shows the webhook URL to paste
// at the provider and, for Meta's kinds, which verify token goes with it (a copy button
// copies the one just typed, without showing it). A web chat has no credentials: it shows
// the code to paste in the company's site, and which sites may embed it.
import { del, errorMessage, fieldLabel, get, patch, post } from '../api.js';
import { h } from '../dom.js';
import { language, t } from '../i18n.js';
import { confirmDialog } from '../ui/dialog.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { emptyState, pageHeader } from './page.js';

const SECRET = { type: 'password', autocomplete: 'off', spellcheck: 'false' };

// Each kind: its icon, its name, the field holding the provider's id, and its form fields.
const KINDS = {
  whatsapp: {
    icon: 'phone', label: () => t('channels.kind.whatsapp'), idField: 'phone_number_id',
    idLabel: () => t('channels.field.phoneNumberId'),
  },
  messenger: {
    icon: 'messenger', label: () => t('channels.kind.messenger'), idField: 'page_id',
    idLabel: () => t('channels.field.pageId'),
  },
  instagram: {
    icon: 'camera', label: () => t('channels.kind.instagram'), idField: 'instagram_account_id',
    idLabel: () => t('channels.field.instagramAccountId'),
  },
  telegram: { icon: 'send', label: () => t('channels.kind.telegram'), idField: 'bot_id', idLabel: () => t('channels.field.botId') },
  webchat: { icon: 'globe', label: () => t('channels.kind.webchat'), idField: 'widget_key', idLabel: () => t('channels.field.widgetKey') },
};
const isMeta = (kind) => ['whatsapp', 'messenger', 'instagram'].includes(kind);

function when(ms) {
  return new Intl.DateTimeFormat(language(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

function copyButton(label, text, name) {
  const button = h('button', { type: 'button', class: 'btn btn-secondary btn-small', 'aria-label': name },
    icon('copy'), label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      button.replaceChildren(icon('check'), t('channels.copied'));
    } catch {
      notify(t('channels.copyFailed'), { isError: true });
    }
  });
  return button;
}

// The web chat's code to paste, with a copy button.
function snippet(channel) {
  return h('div', { class: 'secret-row' },
    h('code', { class: 'secret channel-snippet' }, channel.snippet),
    copyButton(t('channels.copy'), () => channel.snippet, t('channels.copySnippet')));
}

// The address to paste into Meta's or Telegram's settings, with a copy button.
function webhookUrl(channel, id) {
  return h('div', { class: 'secret-row' },
    h('code', { class: 'secret channel-url', id }, channel.webhook_url),
    copyButton(t('channels.copy'), () => channel.webhook_url, t('channels.copyUrl')));
}

function origins(channel) {
  return h('p', { class: 'channel-meta' }, channel.allowed_origins
    ? t('channels.origins', { origins: channel.allowed_origins.join(', ') })
    : t('channels.originsAny'));
}

// Whether the widget asks for the visitor's name and e-mail first; saved as it is ticked.
function askContact(channel) {
  const id = `channel-ask-contact-${channel.id}`;
  const box = h('input', { type: 'checkbox', id, checked: Boolean(channel.ask_contact) });
  box.addEventListener('change', async () => {
    try {
      await patch(`/channels/${channel.id}`, { ask_contact: box.checked });
      notify(box.checked ? t('channels.askContact.on', { name: channel.name }) : t('channels.askContact.off', { name: channel.name }));
    } catch (e) {
      box.checked = !box.checked;
      notify(errorMessage(e), { isError: true });
    }
  });
  return h('div', { class: 'check' }, box, h('label', { for: id }, t('channels.askContact.label')));
}

function health(channel) {
  const inbound = channel.last_inbound_at
    ? t('channels.lastInbound', { time: when(channel.last_inbound_at) })
    : t('channels.noInbound');
  const { failed = 0, retrying = 0 } = channel.undelivered ?? {};
  const count = failed + retrying;
  return h('div', { class: 'channel-health' },
    h('span', { class: 'channel-health-line' }, inbound),
    count > 0 && h('span', { class: 'channel-health-line channel-error channel-undelivered' }, icon('alert'),
      count === 1 ? t('channels.undelivered.one', { retrying }) : t('channels.undelivered.other', { count, retrying })),
    channel.last_error
      ? h('span', { class: 'channel-health-line channel-error' }, icon('alert'),
        t('channels.lastError', { error: channel.last_error, time: when(channel.last_error_at) }))
      : h('span', { class: 'channel-health-line channel-ok' }, icon('check'), t('channels.noErrors')));
}

function hints(channel) {
  return Object.entries(channel.credentials ?? {}).filter(([, c]) => c.set && c.last4).map(([name, c]) =>
    h('span', { class: 'hint-chip' }, t('channels.hint', { name: fieldLabel(name), last4: c.last4 })));
}

async function removeChannel(ctx, channel) {
  const isDone = await confirmDialog({
    title: t('channels.remove.title', { name: channel.name }),
    message: t('channels.remove.text'),
    confirmLabel: t('channels.remove.submit'),
    onConfirm: () => del(`/channels/${channel.id}`),
  });
  if (!isDone) return;
  notify(t('channels.removed', { name: channel.name }));
  ctx.refresh({ focus: 'channels-list-title' });
}

function channelRow(ctx, channel) {
  const kind = KINDS[channel.kind];
  return h('li', { class: ['channel', !channel.active && 'is-inactive'] },
    h('span', { class: ['channel-icon', `channel-icon-${channel.kind}`], 'aria-hidden': 'true' }, icon(kind.icon)),
    h('div', { class: 'channel-body' },
      h('div', { class: 'channel-title' },
        h('h3', { class: 'channel-name' }, channel.name),
        channel.active
          ? h('span', { class: 'badge badge-success' }, t('channels.active'))
          : h('span', { class: 'badge' }, t('channels.inactive'))),
      h('p', { class: 'channel-meta' },
        t('channels.kindAndId', { kind: kind.label(), label: kind.idLabel(), id: channel[kind.idField] ?? '' }),
        channel.kind === 'telegram' && h('span', { class: 'channel-mode' },
          channel.mode === 'polling' ? t('channels.mode.polling') : t('channels.mode.webhook'))),
      health(channel),
      channel.kind === 'webchat' && [origins(channel), channel.active && askContact(channel), channel.active && snippet(channel)],
      channel.active && channel.webhook_url && webhookUrl(channel),
      h('div', { class: 'hint-chips' }, hints(channel))),
    channel.active && h('button', { type: 'button', class: 'btn btn-ghost btn-small channel-remove',
      'aria-label': t('channels.remove.label', { name: channel.name }), onclick: () => removeChannel(ctx, channel) },
    icon('trash'), h('span', { class: 'label-wide' }, t('channels.remove.open'))));
}

function channelList(ctx, channels) {
  const list = channels.length === 0
    ? emptyState('plug', t('channels.none.title'), t('channels.none.text'))
    : h('ul', { class: 'channel-list', role: 'list' },
      [...channels].sort((a, b) => Number(b.active) - Number(a.active) || a.id - b.id).map((c) => channelRow(ctx, c)));
  return h('section', { class: 'card', 'aria-labelledby': 'channels-list-title' },
    h('h2', { class: 'card-title', id: 'channels-list-title', tabindex: '-1' }, t('channels.listTitle')),
    list);
}

// The form's fields for a kind, as [name, label, control, hint].
function fieldsFor(kind) {
  const text = (name, attrs = {}) => h('input', { type: 'text', name, autocomplete: 'off', spellcheck: 'false', required: true, ...attrs });
  if (kind === 'telegram') {
    const mode = h('select', { name: 'mode' },
      h('option', { value: 'webhook' }, t('channels.mode.webhook')),
      h('option', { value: 'polling' }, t('channels.mode.polling')));
    return [
      field(t('channels.field.botToken'), h('input', { ...SECRET, name: 'bot_token', required: true }), t('channels.field.botTokenHint')),
      field(t('channels.field.mode'), mode, t('channels.field.modeHint')),
    ];
  }
  if (kind === 'webchat')
    return [field(t('channels.field.allowedOrigins'), text('allowed_origins', { required: false, inputmode: 'url' }),
      t('channels.field.allowedOriginsHint'))];
  const k = KINDS[kind];
  return [
    field(k.idLabel(), text(k.idField, { inputmode: 'numeric' }), t('channels.field.idHint')),
    field(t('channels.field.accessToken'), h('input', { ...SECRET, name: 'access_token', required: true })),
    field(t('channels.field.appSecret'), h('input', { ...SECRET, name: 'app_secret', required: true })),
    field(t('channels.field.verifyToken'), h('input', { ...SECRET, name: 'verify_token', required: true }),
      t('channels.field.verifyTokenHint')),
  ];
}

// What to do at the provider once connected: the webhook URL, and for Meta the verify token.
function connectedPanel(channel, verifyToken) {
  const steps = [];
  if (channel.kind === 'webchat') {
    steps.push(h('p', {}, t('channels.connected.webchat')), snippet(channel));
  } else if (channel.kind === 'telegram' && channel.mode === 'polling') {
    steps.push(h('p', {}, t('channels.connected.polling')));
  } else {
    steps.push(
      h('p', {}, channel.kind === 'telegram' ? t('channels.connected.telegramWebhook') : t('channels.connected.metaWebhook')),
      webhookUrl(channel, 'channel-webhook-url'));
  }
  if (isMeta(channel.kind)) {
    const last4 = channel.credentials?.verify_token?.last4 ?? '';
    steps.push(h('p', {}, t('channels.connected.verifyToken', { last4 })),
      h('div', {}, copyButton(t('channels.copyToken'), () => verifyToken, t('channels.copyToken'))));
  }
  return h('div', { class: 'connected', role: 'status' },
    h('h3', { class: 'connected-title', id: 'channel-connected-title', tabindex: '-1' }, icon('check'),
      t('channels.connected.title', { name: channel.name })),
    steps);
}

function connectForm(ctx) {
  const kind = h('select', { id: 'channel-kind', name: 'kind' },
    Object.entries(KINDS).map(([value, k]) => h('option', { value }, k.label())));
  const name = h('input', { type: 'text', id: 'channel-name', name: 'name', required: true, maxlength: 200, autocomplete: 'off' });
  const kindFields = h('div', { class: 'form-grid' }, fieldsFor('whatsapp'));
  kind.addEventListener('change', () => kindFields.replaceChildren(...fieldsFor(kind.value)));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, icon('plus'), t('channels.connect.submit'));
  const error = formError();
  const result = h('div', { hidden: true });
  const form = h('form', { class: 'stack', 'aria-labelledby': 'channel-connect-title' },
    h('div', { class: 'form-grid' },
      field(t('channels.field.kind'), kind),
      field(t('channels.field.name'), name, t('channels.field.nameHint'))),
    kindFields,
    error.el,
    h('div', {}, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    const body = { kind: kind.value, name: name.value.trim() };
    for (const control of kindFields.querySelectorAll('input, select'))
      body[control.name] = control.tagName === 'SELECT' ? control.value : control.value.trim();
    // A web chat's sites: a list, or absent for any.
    if (body.allowed_origins !== undefined) {
      const list = body.allowed_origins.split(/[\s,]+/).filter(Boolean);
      if (list.length > 0) body.allowed_origins = list;
      else delete body.allowed_origins;
    }
    try {
      const { channel } = await whileBusy(submit, () => post('/channels', body));
      notify(t('channels.created', { name: channel.name }));
      const list = await get('/channels');
      document.getElementById('channels-list')?.replaceChildren(channelList(ctx, list.channels));
      form.reset();
      kindFields.replaceChildren(...fieldsFor(kind.value));
      result.replaceChildren(connectedPanel(channel, body.verify_token));
      result.hidden = false;
      document.getElementById('channel-connected-title')?.focus();
    } catch (e) {
      error.show(errorMessage(e));
    }
  });
  return h('section', { class: 'card', 'aria-labelledby': 'channel-connect-title' },
    h('header', {},
      h('h2', { class: 'card-title', id: 'channel-connect-title' }, t('channels.connect.title')),
      h('p', { class: 'card-lead' }, t('channels.connect.lead'))),
    result,
    form);
}

export async function channelsView(ctx) {
  const { channels } = await get('/channels');
  const content = h('div', { class: 'page' },
    pageHeader(t('channels.title'), t('channels.lead')),
    h('div', { class: 'settings-columns' },
      h('div', { id: 'channels-list' }, channelList(ctx, channels)),
      connectForm(ctx)));
  return { title: t('channels.title'), content };
}
