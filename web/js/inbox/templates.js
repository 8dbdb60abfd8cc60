// WhatsApp templates in the inbox: a picker of the channel's approved templates with a field
// per variable and a live preview of the text the customer will read, used by the composer
// when the reply window has closed, and by "new conversation" (writing first to a number).
import { get, post } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { openDialog } from '../ui/dialog.js';
import { field } from '../ui/forms.js';

const MEDIA = ['IMAGE', 'VIDEO', 'DOCUMENT'];

function part(template, type) {
  return (template.components ?? []).find((c) => String(c.type).toUpperCase() === type);
}

// text with each {{n}} replaced by values[n - 1] (kept as {{n}} while empty): what the server renders.
function filled(text, values) {
  return String(text ?? '').replace(/\{\{(\d+)\}\}/g, (whole, n) => values[Number(n) - 1] || whole);
}

// The buttons that take a parameter: a URL with a variable, a copy code.
function variableButtons(template) {
  return (part(template, 'BUTTONS')?.buttons ?? []).filter((b) => b.type === 'COPY_CODE' || (b.type === 'URL' && /\{\{\d+\}\}/.test(b.url ?? '')));
}

// The form: { element, value() → {name, language, parameters} or null when nothing is chosen }.
async function templateForm(channelId) {
  const templates = (await get(`/channels/${channelId}/templates`)).templates.filter((x) => x.usable);
  const select = h('select', { required: true },
    h('option', { value: '' }, t('inbox.template.choose')),
    templates.map((x, i) => h('option', { value: String(i) }, `${x.name} · ${x.language}`)));
  const fields = h('div', { class: 'template-fields' });
  const previewId = uid('template-preview');
  const preview = h('p', { id: previewId, class: 'template-preview', 'aria-live': 'polite' });
  let inputs = { header: [], body: [], buttons: [], media: null };

  const chosen = () => (select.value === '' ? null : templates[Number(select.value)]);
  const values = (list) => list.map((i) => i.value);

  function render() {
    const x = chosen();
    if (!x) {
      preview.replaceChildren(t('inbox.template.none'));
      return;
    }
    const lines = [];
    const header = part(x, 'HEADER');
    if (header && !MEDIA.includes(header.format) && header.text) lines.push(filled(header.text, values(inputs.header)));
    if (part(x, 'BODY')) lines.push(filled(part(x, 'BODY').text, values(inputs.body)));
    if (part(x, 'FOOTER')) lines.push(part(x, 'FOOTER').text);
    const labels = (part(x, 'BUTTONS')?.buttons ?? []).map((b) => `[${b.text}]`).join(' ');
    if (labels) lines.push(labels);
    preview.replaceChildren(lines.join('\n\n'));
  }

  function input(label) {
    const el = h('input', { type: 'text', required: true, maxlength: 1024, 'aria-describedby': previewId });
    el.addEventListener('input', render);
    return [el, field(label, el)];
  }

  function build() {
    const x = chosen();
    inputs = { header: [], body: [], buttons: [], media: null };
    const rows = [];
    if (x) {
      const v = x.variables;
      if (MEDIA.includes(v.header_format)) {
        inputs.media = h('input', { type: 'url', required: true, });
        rows.push(field(t('inbox.template.media', { kind: v.header_format.toLowerCase() }), inputs.media));
      } else {
        for (let i = 0; i < v.header; i++) {
          const [el, row] = input(t('inbox.template.header', { n: i + 1 }));
          inputs.header.push(el);
          rows.push(row);
        }
      }
      for (let i = 0; i < v.body; i++) {
        const [el, row] = input(t('inbox.template.body', { n: i + 1 }));
        inputs.body.push(el);
        rows.push(row);
      }
      for (const b of variableButtons(x)) {
        const [el, row] = input(t('inbox.template.button', { label: b.text }));
        inputs.buttons.push(el);
        rows.push(row);
      }
    }
    fields.replaceChildren(...rows);
    render();
  }
  select.addEventListener('change', build);
  build();

  return {
    isEmpty: templates.length === 0,
    element: h('div', { class: 'template-form' },
      templates.length === 0 ? h('p', { class: 'muted' }, t('inbox.template.noneSynced')) : field(t('inbox.template.label'), select),
      fields,
      h('div', { class: 'template-preview-box' }, h('p', { class: 'template-preview-label' }, t('inbox.template.preview')), preview)),
    value() {
      const x = chosen();
      if (!x) return null;
      const parameters = {};
      if (inputs.media) parameters.header = { link: inputs.media.value.trim() };
      else if (inputs.header.length) parameters.header = values(inputs.header);
      if (inputs.body.length) parameters.body = values(inputs.body);
      if (inputs.buttons.length) parameters.buttons = values(inputs.buttons);
      return { name: x.name, language: x.language, parameters };
    },
  };
}

// The composer's picker for a conversation whose window has closed; resolves true once sent.
export async function sendTemplate(conversation) {
  const form = await templateForm(conversation.channel.id);
  return openDialog({
    title: t('inbox.template.title'),
    submitLabel: t('inbox.template.send'),
    content: form.element,
    onSubmit: async () => {
      const template = form.value();
      if (!template) throw new Error(t('inbox.template.choose'));
      await post(`/conversations/${conversation.id}/messages`, { template });
      return true;
    },
  });
}

// Writing first on a WhatsApp channel, to `to` (may be empty: typed in the dialog); resolves
// with the new conversation, or null.
export async function startConversation({ channelId, to = '' }) {
  const form = await templateForm(channelId);
  const number = h('input', { type: 'tel', required: true, value: to, autocomplete: 'off' });
  return openDialog({
    title: t('inbox.newConversation.title'),
    submitLabel: t('inbox.template.send'),
    content: h('div', { class: 'dialog-fields' }, field(t('inbox.newConversation.to'), number, t('inbox.newConversation.toHint')),
      form.element),
    onSubmit: async () => {
      const template = form.value();
      if (!template) throw new Error(t('inbox.template.choose'));
      const r = await post('/conversations', { channel_id: channelId, to: number.value.trim(), template });
      return r.conversation;
    },
  });
}
