// One open conversation: its header (inbox/header.js), its log of messages, timeline lines
// and notes (inbox/log.js) and the composer (inbox/composer.js). It loads them, marks the
// conversation read while it is in view, and reloads what each live event changed.
import { ApiError, errorMessage, get, post, upload } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { notify } from '../ui/toast.js';
import { createComposer } from './composer.js';
import { createHeader } from './header.js';
import { createLog } from './log.js';

// ctx: { id, base, listUrl() (the list's address with its filters), user, users (Map id → user),
// teams (array), onGone(message), onToggleContact(), isContactOpen() }.
export function createThread(ctx) {
  let conversation = null;
  let members = null;
  let membersTeam = null;
  let reloadTimer = null;

  const header = createHeader(ctx, async () => {
    await loadConversation();
    await log.loadTimeline();
  });
  const log = createLog({ id: ctx.id, users: ctx.users });
  const composer = createComposer({
    id: ctx.id,
    conversation: () => conversation,
    user: ctx.user,
    onReply: sendReply,
    onFile: sendFile,
    onNote: addNote,
    onTemplateSent: () => log.loadMessages(),
  });
  const element = h('section', { class: 'thread', 'aria-labelledby': 'thread-heading' },
    header.element, log.element, composer.element);

  async function loadConversation() {
    conversation = (await get(`/conversations/${ctx.id}`)).conversation;
    if (conversation.team_id !== membersTeam) {
      membersTeam = conversation.team_id;
      members = membersTeam ? await get(`/teams/${membersTeam}`).then((r) => r.team.members, () => null) : null;
    }
    header.render(conversation, members);
    composer.update();
  }

  function markRead() {
    if (document.visibilityState === 'visible' && conversation) post(`/conversations/${ctx.id}/read`).catch(() => {});
  }
  document.addEventListener('visibilitychange', markRead);

  // Uploads the file, then replies with it (caption: "" for none).
  async function sendFile(file, caption) {
    const done = log.addPending(caption || file.name);
    try {
      const { upload: u } = await upload(`/conversations/${ctx.id}/uploads?name=${encodeURIComponent(file.name)}`, file);
      await post(`/conversations/${ctx.id}/messages`, caption ? { upload_id: u.id, text: caption } : { upload_id: u.id });
      await log.loadMessages();
    } finally {
      done();
    }
  }

  async function sendReply(text) {
    const done = log.addPending(text);
    try {
      await post(`/conversations/${ctx.id}/messages`, { text });
      await log.loadMessages();
    } finally {
      done();
    }
  }

  async function addNote(text) {
    await post(`/conversations/${ctx.id}/notes`, { text });
    await log.loadTimeline();
  }

  // Reloads after events, a few at a time: each event adds what it changed, and one run
  // reloads all of it, so an event is never lost to the next one's timer.
  const due = new Set();
  function schedule(...parts) {
    for (const part of parts) due.add(part);
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(reloadDue, 150);
  }

  async function reloadDue() {
    const parts = new Set(due);
    due.clear();
    try {
      if (parts.has('conversation')) await loadConversation();
      await Promise.all([parts.has('messages') && log.loadMessages(), parts.has('timeline') && log.loadTimeline()]);
      if (parts.has('read')) markRead();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) ctx.onGone(t('inbox.gone.notVisible'));
      else notify(errorMessage(e), { isError: true });
    }
  }

  return {
    element,
    id: ctx.id,
    conversation: () => conversation,
    async load() {
      await loadConversation();
      await Promise.all([log.loadMessages(), log.loadTimeline()]);
      markRead();
    },
    reload: () => schedule('conversation', 'messages', 'timeline'),
    onEvent(name, data) {
      if (name === 'message.created' && data.direction === 'in') schedule('messages', 'read');
      else if (name === 'message.created' || name === 'message.updated') schedule('messages');
      else if (name === 'note.created') schedule('timeline');
      // Its read mark changes nothing the thread shows.
      else if (name === 'conversation.updated' && data.action !== 'read') schedule('conversation', 'timeline');
    },
    // Once on the page: the newest message in view.
    scrollToEnd: () => log.scrollToEnd(),
    contactToggled: () => header.contactToggled(),
    focusComposer: () => composer.focus(),
    focusAction: (id) => element.querySelector(`#${id}`)?.focus(),
    resolve: () => header.resolve(),
    dispose() {
      clearTimeout(reloadTimer);
      document.removeEventListener('visibilitychange', markRead);
      composer.dispose();
      log.dispose();
    },
  };
}
