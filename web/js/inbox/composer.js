// The composer: a reply to the customer or a private note. Enter sends, Shift+Enter is a
// new line; typing "/" offers the canned responses (arrows to choose, Enter or Tab to
// insert, Escape to close), with {contact_name}, {agent_name} and {team_name} filled in by the
// server for this conversation, as routing's messages are.
// When the provider's reply window has closed it says so and only notes can be written; on
// WhatsApp it offers a template instead (inbox/templates.js). A reply may carry one file —
// from the clip button, dropped on the composer, or an image pasted into the text — and the
// text is then its caption.
// What is typed and not sent stays in the browser (localStorage), one draft per person and
// conversation, until it is sent or emptied.
import { ApiError, errorMessage, get } from '../api.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n.js';
import { whileBusy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { formatSize } from './media.js';
import { sendTemplate } from './templates.js';

const SLASH = /(^|\s)\/([\w-]*)$/;

// ctx: { id (the conversation's), conversation(), user, onReply(text), onFile(file, caption),
// onNote(text), onTemplateSent() }.
export function createComposer(ctx) {
  let mode = 'reply';
  let attached = null; // the File going with the reply
  let choices = [];
  let active = -1;
  let lookup = 0;
  const listId = uid('canned');
  const textarea = h('textarea', { class: 'composer-input', rows: 2, 'aria-label': t('inbox.composer.reply'),
    placeholder: t('inbox.composer.replyPlaceholder'), 'aria-autocomplete': 'list', 'aria-controls': listId,
    'aria-describedby': `${listId}-hint` });
  const list = h('ul', { id: listId, class: 'canned-list', role: 'listbox', 'aria-label': t('inbox.canned.label'),
    hidden: true });
  const templateButton = h('button', { type: 'button', class: 'btn btn-secondary btn-small', hidden: true,
    onclick: pickTemplate }, t('inbox.template.open'));
  const warning = h('div', { class: 'composer-warning', role: 'status', hidden: true }, icon('clock'),
    h('span', {}, t('inbox.composer.windowClosed')), templateButton);
  const send = h('button', { type: 'submit', class: 'btn btn-primary btn-small' }, icon('send'),
    h('span', { class: 'composer-send-label' }, t('inbox.composer.send')));
  const picker = h('input', { type: 'file', hidden: true, onchange: () => {
    if (picker.files.length > 0) attach(picker.files[0]);
    picker.value = '';
  } });
  const attachButton = h('button', { type: 'button', class: 'btn-icon composer-attach', title: t('inbox.composer.attach'),
    'aria-label': t('inbox.composer.attach'), onclick: () => picker.click() }, icon('clip'));
  const fileName = h('span', { class: 'composer-file-name' });
  const fileSize = h('span', { class: 'composer-file-size' });
  const fileChip = h('div', { class: 'composer-file', hidden: true }, icon('file'), fileName, fileSize,
    h('button', { type: 'button', class: 'btn-icon', title: t('inbox.composer.removeFile'),
      'aria-label': t('inbox.composer.removeFile'), onclick: () => attach(null) }, icon('close')));
  const tabs = {
    reply: h('button', { type: 'button', class: 'composer-tab', 'aria-pressed': 'true', onclick: () => setMode('reply') },
      t('inbox.composer.replyTab')),
    note: h('button', { type: 'button', class: 'composer-tab', 'aria-pressed': 'false', onclick: () => setMode('note') },
      icon('note'), t('inbox.composer.noteTab')),
  };
  // One line under the text: the mode, the hint and the send button.
  const form = h('form', { class: 'composer', 'data-mode': mode },
    warning,
    fileChip,
    h('div', { class: 'composer-box' }, list, textarea),
    h('div', { class: 'composer-foot' },
      h('div', { class: 'composer-tabs', role: 'group', 'aria-label': t('inbox.composer.mode') }, tabs.reply, tabs.note),
      h('p', { class: 'composer-hint', id: `${listId}-hint` }, t('inbox.composer.hint')), picker, attachButton, send));

  const draftKey = `centralita.draft.${ctx.user.id}.${ctx.id}`;
  textarea.value = localStorage.getItem(draftKey) ?? '';
  // After every change of the text: the draft is kept, and the box grows with the text up
  // to its CSS max-height, then scrolls.
  function keepDraft() {
    if (textarea.value.trim()) localStorage.setItem(draftKey, textarea.value);
    else localStorage.removeItem(draftKey);
    textarea.style.height = '';
    if (textarea.scrollHeight > textarea.clientHeight) textarea.style.height = `${textarea.scrollHeight + 2}px`;
  }

  function isWindowClosed() {
    return ctx.conversation()?.window_open === false;
  }

  function update() {
    const isBlocked = mode === 'reply' && isWindowClosed();
    warning.hidden = !isBlocked;
    templateButton.hidden = ctx.conversation()?.channel?.kind !== 'whatsapp';
    send.disabled = isBlocked;
    attachButton.hidden = mode !== 'reply';
    fileChip.hidden = attached === null;
    textarea.setAttribute('aria-label', mode === 'reply' ? t('inbox.composer.reply') : t('inbox.composer.note'));
    textarea.placeholder = mode !== 'reply' ? t('inbox.composer.notePlaceholder')
      : attached ? t('inbox.composer.captionPlaceholder') : t('inbox.composer.replyPlaceholder');
    form.dataset.mode = mode;
    for (const [name, tab] of Object.entries(tabs)) tab.setAttribute('aria-pressed', String(name === mode));
  }

  function setMode(next) {
    mode = next;
    if (mode !== 'reply') attached = null; // notes carry no files
    update();
    textarea.focus();
  }

  // The file for the reply (null: none); the text becomes its caption.
  function attach(file) {
    attached = file;
    if (file) {
      if (mode !== 'reply') mode = 'reply';
      fileName.textContent = file.name;
      fileSize.textContent = formatSize(file.size);
    }
    update();
    textarea.focus();
  }

  function closeList() {
    choices = [];
    active = -1;
    list.hidden = true;
    list.replaceChildren();
    textarea.removeAttribute('aria-activedescendant');
  }

  function showList() {
    list.replaceChildren(...choices.map((c, i) => h('li', { id: `${listId}-${i}`, role: 'option', class: 'canned-option',
      'aria-selected': String(i === active), onmousedown: (event) => {
        event.preventDefault();
        insert(i);
      } }, h('span', { class: 'canned-shortcut' }, `/${c.shortcut}`), h('span', { class: 'canned-text' }, c.filled_text))));
    list.hidden = choices.length === 0;
    if (active >= 0) textarea.setAttribute('aria-activedescendant', `${listId}-${active}`);
    else textarea.removeAttribute('aria-activedescendant');
  }

  // Offers the canned responses whose shortcut or text matches what follows the "/".
  async function suggest() {
    const match = textarea.value.slice(0, textarea.selectionStart).match(SLASH);
    if (!match) {
      closeList();
      return;
    }
    const seq = ++lookup;
    try {
      const answer = await get(`/canned-responses?q=${encodeURIComponent(match[2])}&conversation_id=${ctx.id}`);
      if (seq !== lookup) return;
      choices = answer.canned_responses.slice(0, 8);
      active = choices.length ? 0 : -1;
      showList();
    } catch {
      closeList();
    }
  }

  function insert(i) {
    const text = choices[i].filled_text;
    const caret = textarea.selectionStart;
    const head = textarea.value.slice(0, caret).replace(/\/[\w-]*$/, text);
    textarea.value = head + textarea.value.slice(caret);
    textarea.setSelectionRange(head.length, head.length);
    keepDraft();
    closeList();
    textarea.focus();
  }

  async function pickTemplate() {
    try {
      if (await sendTemplate(ctx.conversation())) await ctx.onTemplateSent();
    } catch (e) {
      notify(errorMessage(e), { isError: true });
    }
  }

  async function submit() {
    const text = textarea.value;
    const file = mode === 'reply' ? attached : null;
    if ((!text.trim() && !file) || send.disabled) return;
    textarea.value = '';
    attached = null;
    keepDraft();
    closeList();
    update();
    try {
      await whileBusy(send, () => (file ? ctx.onFile(file, text.trim())
        : mode === 'reply' ? ctx.onReply(text) : ctx.onNote(text)));
    } catch (e) {
      if (!textarea.value) textarea.value = text;
      if (file && !attached) attach(file);
      keepDraft();
      if (e instanceof ApiError && e.status === 409 && mode === 'reply') {
        ctx.conversation().window_open = false;
        update();
      } else {
        notify(errorMessage(e), { isError: true });
      }
    }
  }

  textarea.addEventListener('input', () => {
    keepDraft();
    suggest();
  });
  textarea.addEventListener('blur', () => setTimeout(closeList, 100));
  // A pasted image (a screenshot) is attached; pasted text goes in as text.
  textarea.addEventListener('paste', (event) => {
    const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (!file || mode !== 'reply') return;
    event.preventDefault();
    attach(file);
  });
  // A file dropped anywhere on the composer.
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes('Files');
  form.addEventListener('dragover', (event) => {
    if (!hasFiles(event) || mode !== 'reply') return;
    event.preventDefault();
    form.classList.add('is-dropping');
  });
  form.addEventListener('dragleave', (event) => {
    if (!form.contains(event.relatedTarget)) form.classList.remove('is-dropping');
  });
  form.addEventListener('drop', (event) => {
    form.classList.remove('is-dropping');
    if (!hasFiles(event) || mode !== 'reply') return;
    event.preventDefault();
    if (event.dataTransfer.files.length > 0) attach(event.dataTransfer.files[0]);
  });
  textarea.addEventListener('keydown', (event) => {
    if (choices.length > 0) {
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        active = (active + (event.key === 'ArrowDown' ? 1 : choices.length - 1)) % choices.length;
        showList();
        return;
      }
      if (event.key === 'Enter' || event.key === 'Tab') {
        event.preventDefault();
        insert(active);
        return;
      }
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        closeList();
        return;
      }
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });

  return {
    element: form,
    update,
    focus: () => textarea.focus(),
    dispose: () => {
      lookup += 1;
    },
  };
}
