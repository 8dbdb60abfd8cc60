// The contact panel beside a conversation: the person's identities per channel, phone,
// e-mail, tags, notes, custom attributes and previous conversations, and a dialog to edit
// them. What the contacts API does not answer (an older server) is left out, not guessed.
import { ApiError, errorMessage, get, patch } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { openDialog } from '../ui/dialog.js';
import { field } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { navigate } from '../router.js';
import { channelMark, channelName, statusName, timeEl } from './format.js';
import { startConversation } from './templates.js';

function section(title, ...content) {
  return h('section', { class: 'contact-section' }, h('h3', { class: 'contact-section-title' }, title), content);
}

function facts(rows) {
  return h('dl', { class: 'contact-facts' }, rows.filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([label, value]) => h('div', {}, h('dt', {}, label), h('dd', {}, value))));
}

function tagsInput(tags) {
  return h('input', { type: 'text', value: tags.join(', '), autocomplete: 'off' });
}

// ctx: { conversation (the open one), base (the view's path), onClose() }.
export function createContactPanel(ctx) {
  const body = h('div', { class: 'contact-body' });
  const element = h('aside', { id: 'contact-panel', class: 'contact-panel', 'aria-labelledby': 'contact-heading' },
    h('header', { class: 'contact-header' },
      h('button', { type: 'button', class: 'back-link btn-link', onclick: () => ctx.onClose() }, icon('back'),
        t('inbox.contact.backToThread')),
      h('h2', { id: 'contact-heading', class: 'contact-heading', tabindex: '-1' }, t('inbox.contact.title')),
      h('button', { type: 'button', class: 'btn-icon contact-close', 'aria-label': t('inbox.contact.close'),
        onclick: () => ctx.onClose() }, icon('close'))),
    body);
  let contact = null;
  let attributes = [];

  function showBasic() {
    const c = ctx.conversation.contact;
    body.replaceChildren(
      h('p', { class: 'contact-name' }, c.name || t('inbox.contact.unnamed')),
      facts([[t('inbox.contact.phone'), c.phone]]),
      h('p', { class: 'muted' }, t('inbox.contact.unavailable')));
  }

  function conversationsList(list) {
    const others = list.filter((x) => x.id !== ctx.conversation.id);
    if (others.length === 0) return h('p', { class: 'muted' }, t('inbox.contact.noOther'));
    return h('ul', { class: 'contact-conversations', role: 'list' }, others.map((x) =>
      h('li', {}, h('a', { href: `${ctx.base}/${x.id}` }, channelMark(x.channel.kind),
        h('span', {}, statusName(x.status)),
        h('span', { class: 'muted' }, x.team?.name ?? t('inbox.team.none')),
        timeEl(x.last_activity_at)))));
  }

  function show() {
    const c = contact;
    const declared = attributes.length ? attributes : Object.keys(c.attributes ?? {}).map((key) => ({ key, label: key }));
    body.replaceChildren(...[
      h('div', { class: 'contact-top' },
        h('p', { class: 'contact-name' }, c.name || t('inbox.contact.unnamed')),
        h('button', { type: 'button', class: 'btn btn-secondary btn-small', onclick: edit }, icon('pencil'),
          t('inbox.contact.edit'))),
      facts([[t('inbox.contact.phone'), c.phone], [t('inbox.contact.email'), c.email]]),
      section(t('inbox.contact.identities'), h('ul', { class: 'contact-identities', role: 'list' },
        (c.identities ?? []).map((i) => h('li', {}, channelMark(i.channel.kind),
          h('span', {}, i.name || i.channel.name || channelName(i.channel.kind)),
          h('span', { class: 'muted' }, i.external_id),
          i.channel.kind === 'whatsapp' && h('button', { type: 'button', class: 'btn btn-secondary btn-small',
            onclick: () => writeFirst(i) }, icon('send'), t('inbox.newConversation.action')))))),
      section(t('inbox.contact.tags'), (c.tags ?? []).length
        ? h('ul', { class: 'tag-list', role: 'list' }, c.tags.map((x) => h('li', { class: 'tag' }, x)))
        : h('p', { class: 'muted' }, t('inbox.contact.noTags'))),
      section(t('inbox.contact.notes'), c.notes ? h('p', { class: 'contact-notes' }, c.notes)
        : h('p', { class: 'muted' }, t('inbox.contact.noNotes'))),
      declared.some((a) => c.attributes?.[a.key]) && section(t('inbox.contact.attributes'),
        facts(declared.map((a) => [a.label, c.attributes?.[a.key] ?? null]))),
      section(t('inbox.contact.conversations'), conversationsList(c.conversations ?? [])),
    ].filter(Boolean));
  }

  // Writing first to this contact on a WhatsApp channel, with a template; then its thread.
  async function writeFirst(identity) {
    try {
      const started = await startConversation({ channelId: identity.channel.id, to: identity.external_id });
      if (started) navigate(`/inbox/mine/${started.id}`);
    } catch (e) {
      notify(errorMessage(e), { isError: true });
    }
  }

  async function edit() {
    const inputs = {
      name: h('input', { type: 'text', value: contact.name ?? '', maxlength: 200 }),
      phone: h('input', { type: 'tel', value: contact.phone ?? '' }),
      email: h('input', { type: 'email', value: contact.email ?? '' }),
      tags: tagsInput(contact.tags ?? []),
      notes: h('textarea', { rows: 4, value: contact.notes ?? '' }),
    };
    const attrInputs = attributes.map((a) => [a.key, h('input', { type: 'text', value: contact.attributes?.[a.key] ?? '' })]);
    const saved = await openDialog({
      title: t('inbox.contact.editTitle'),
      submitLabel: t('inbox.contact.save'),
      content: h('div', { class: 'dialog-fields' },
        field(t('inbox.contact.name'), inputs.name),
        field(t('inbox.contact.phone'), inputs.phone),
        field(t('inbox.contact.email'), inputs.email),
        field(t('inbox.contact.tags'), inputs.tags, t('inbox.contact.tagsHint')),
        field(t('inbox.contact.notes'), inputs.notes),
        attrInputs.map(([key, input]) => field(attributes.find((a) => a.key === key).label, input))),
      // An emptied field is cleared (null); the name can be changed but not removed.
      onSubmit: () => patch(`/contacts/${contact.id}`, {
        ...(inputs.name.value.trim() && { name: inputs.name.value.trim() }),
        phone: inputs.phone.value.trim() || null,
        email: inputs.email.value.trim() || null,
        notes: inputs.notes.value.trim() ? inputs.notes.value : null,
        tags: inputs.tags.value.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean),
        ...(attrInputs.length && { attributes: Object.fromEntries(attrInputs.map(([key, input]) =>
          [key, input.value.trim() || null])) }),
      }),
    });
    if (saved) {
      contact = saved.contact;
      notify(t('inbox.contact.saved'));
      show();
    }
  }

  async function load() {
    try {
      const [answer, declared] = await Promise.all([get(`/contacts/${ctx.conversation.contact.id}`),
        get('/contact-attributes').catch(() => ({ attributes: [] }))]);
      contact = answer.contact;
      attributes = declared.attributes;
      show();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) showBasic();
      else body.replaceChildren(h('p', { class: 'form-error' }, errorMessage(e)));
    }
  }

  return {
    element,
    contactId: () => ctx.conversation.contact.id,
    load,
    focus: () => element.querySelector('#contact-heading').focus(),
  };
}
