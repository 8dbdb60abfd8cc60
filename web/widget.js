// Centralita's web chat widget, embedded on a company's site with one tag:
//   <script src="https://HOST/widget.js" data-key="wck_…" async></script>
// It runs on other people's pages, so it is one self-contained script: its UI lives in a
// shadow root with its own constructed stylesheet (no inline style for the page's CSP to
// refuse), texts are always set as text, and it talks only to the server it came from
// (docs/API.md, "Web chat visitors"). The visitor's token is kept in localStorage.
(() => {
  'use strict';

  const script = document.currentScript;
  const key = script?.dataset.key;
  if (!key || !script.src) return;
  const base = new URL(script.src).origin;
  const api = `${base}/api/v1/webchat`;
  const storeKey = `centralita.webchat.${key}`;

  const TEXTS = {
    es: {
      open: 'Abrir el chat', close: 'Cerrar el chat', title: 'Chatea con nosotros',
      intro: 'Escríbenos y te responderemos aquí mismo.', placeholder: 'Escribe un mensaje',
      send: 'Enviar', failed: 'No se pudo enviar. Inténtalo de nuevo.',
      busy: 'Demasiados mensajes seguidos: espera un momento.', you: 'Tú', them: 'Equipo',
      assistant: 'Asistente', ask: 'Antes de empezar, dinos cómo te llamas y tu correo.',
      name: 'Tu nombre', email: 'Tu correo electrónico', begin: 'Empezar',
      badName: 'Escribe tu nombre (una línea, hasta 100 caracteres).',
      badEmail: 'Escribe una dirección de correo válida, como nombre@ejemplo.com.',
    },
    en: {
      open: 'Open the chat', close: 'Close the chat', title: 'Chat with us',
      intro: 'Write to us and we will answer right here.', placeholder: 'Type a message',
      send: 'Send', failed: 'Could not send. Please try again.',
      busy: 'Too many messages in a row: wait a moment.', you: 'You', them: 'Team',
      assistant: 'Assistant', ask: 'Before we start, tell us your name and e-mail.',
      name: 'Your name', email: 'Your e-mail', begin: 'Start',
      badName: 'Type your name (one line, up to 100 characters).',
      badEmail: 'Type a valid e-mail address, like name@example.com.',
    },
  };
  // The page's language when it says one we speak, else the first of the browser's we do.
  const languages = [document.documentElement.lang, ...(navigator.languages ?? [navigator.language])];
  const language = languages.map((tag) => String(tag ?? '').toLowerCase().split('-')[0])
    .find((primary) => primary in TEXTS) ?? 'en';
  const text = TEXTS[language];

  const CSS = `
    :host { all: initial; }
    * { box-sizing: border-box; font-family: system-ui, sans-serif; }
    .launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 56px;
      height: 56px; display: grid; place-items: center; border: 0; border-radius: 50%;
      background: #0b5cad; color: #fff; cursor: pointer; box-shadow: 0 4px 12px rgb(0 0 0 / 25%); }
    .launcher:focus-visible, button:focus-visible, textarea:focus-visible {
      outline: 3px solid #f5a623; outline-offset: 2px; }
    .panel { position: fixed; right: 20px; bottom: 88px; z-index: 2147483000;
      width: min(360px, calc(100vw - 40px)); height: min(520px, calc(100vh - 120px));
      display: flex; flex-direction: column; background: #fff; color: #1a1a1a;
      border-radius: 12px; box-shadow: 0 8px 28px rgb(0 0 0 / 30%); overflow: hidden; }
    .panel[hidden] { display: none; }
    header { display: flex; align-items: center; justify-content: space-between;
      padding: 12px 16px; background: #0b5cad; color: #fff; }
    h2 { margin: 0; font-size: 16px; }
    header button { border: 0; background: transparent; color: #fff; font-size: 22px;
      cursor: pointer; line-height: 1; }
    .messages { flex: 1; margin: 0; padding: 12px; overflow-y: auto;
      background: #f3f5f8; }
    .messages > p { max-width: 80%; margin: 6px 0; padding: 8px 12px; border-radius: 12px;
      white-space: pre-wrap; overflow-wrap: anywhere; font-size: 14px; line-height: 1.4; }
    .intro { color: #444; font-size: 13px; }
    .msg.in { margin-left: auto; background: #0b5cad; color: #fff; }
    .msg.out { margin-right: auto; background: #fff; border: 1px solid #d5dbe3; }
    .msg.pending { opacity: 0.7; }
    .file-image { display: block; max-width: 100%; max-height: 240px; border-radius: 8px; }
    .file { display: block; color: inherit; font-weight: 600; }
    .who { display: block; margin-bottom: 2px; font-size: 12px; font-weight: 600; color: #444; }
    .msg.in .who { color: #dce9f7; }
    time { display: block; margin-top: 2px; font-size: 11px; opacity: 0.75; }
    .status { min-height: 0; margin: 0; padding: 0 12px; color: #a30000; font-size: 13px; }
    form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #d5dbe3; }
    textarea { flex: 1; resize: none; height: 40px; padding: 9px 10px; border: 1px solid #8a94a3;
      border-radius: 8px; font-size: 14px; color: #1a1a1a; background: #fff; }
    form button { padding: 0 14px; border: 0; border-radius: 8px; background: #0b5cad;
      color: #fff; font-size: 14px; cursor: pointer; }
    form[hidden] { display: none; }
    form.details { flex-direction: column; }
    .details p { margin: 0; color: #444; font-size: 13px; }
    .details label { display: flex; flex-direction: column; gap: 4px; font-size: 13px; color: #1a1a1a; }
    .details input { height: 36px; padding: 0 10px; border: 1px solid #8a94a3; border-radius: 8px;
      font-size: 14px; color: #1a1a1a; background: #fff; }
    .details input:focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }
    .details button { height: 38px; }
  `;

  // Elements from tag, attributes and children; strings become text nodes, never HTML.
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, value);
    for (const child of children) el.append(child);
    return el;
  }

  const host = h('div', { 'data-centralita': 'webchat' });
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  root.adoptedStyleSheets = [sheet];

  // A speech bubble, drawn rather than an emoji (not every system has an emoji font).
  const SVG = 'http://www.w3.org/2000/svg';
  const bubble = document.createElementNS(SVG, 'svg');
  const path = document.createElementNS(SVG, 'path');
  for (const [name, value] of [['viewBox', '0 0 24 24'], ['width', '28'], ['height', '28'], ['aria-hidden', 'true']])
    bubble.setAttribute(name, value);
  path.setAttribute('d', 'M4 5.5A1.5 1.5 0 0 1 5.5 4h13A1.5 1.5 0 0 1 20 5.5v9a1.5 1.5 0 0 1-1.5 1.5H9l-5 4z');
  path.setAttribute('fill', 'currentColor');
  bubble.append(path);
  const launcher = h('button', { class: 'launcher', type: 'button', 'aria-label': text.open,
    'aria-expanded': 'false' }, bubble);
  const closeButton = h('button', { type: 'button', 'aria-label': text.close }, '×');
  const list = h('div', { class: 'messages', role: 'log', 'aria-live': 'polite' },
    h('p', { class: 'intro' }, text.intro));
  const status = h('p', { class: 'status', role: 'status' });
  const input = h('textarea', { 'aria-label': text.placeholder, placeholder: text.placeholder,
    maxlength: '4000' });
  const form = h('form', {}, input, h('button', { type: 'submit' }, text.send));
  // The name and e-mail, asked before the chat when the channel wants them; the server
  // checks them (the form does not, so there is one rule).
  const nameInput = h('input', { type: 'text', autocomplete: 'name', maxlength: '100' });
  const emailInput = h('input', { type: 'email', autocomplete: 'email', maxlength: '320' });
  const details = h('form', { class: 'details', novalidate: '', hidden: '' }, h('p', {}, text.ask),
    h('label', {}, text.name, nameInput), h('label', {}, text.email, emailInput),
    h('button', { type: 'submit' }, text.begin));
  const panel = h('section', { class: 'panel', 'aria-label': text.title, hidden: '' },
    h('header', {}, h('h2', {}, text.title), closeButton), list, status, details, form);
  root.append(launcher, panel);

  let token = localStorage.getItem(storeKey);
  let lastId = 0;
  let stream = null;
  let session = null;
  const shown = new Map(); // message id → its element
  const files = new Map(); // message id → its file's element

  async function call(method, path, body) {
    const headers = { 'Content-Type': 'application/json' };
    if (token) headers['X-Visitor-Token'] = token;
    const res = await fetch(api + path, { method, headers, body: body && JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      throw Object.assign(new Error(data.error?.message || res.statusText),
        { status: res.status, rule: data.error?.rule, field: data.error?.field });
    }
    return data;
  }

  // Shows the name and e-mail form instead of the composer, or the composer.
  function askDetails(ask) {
    details.hidden = !ask;
    form.hidden = ask;
    (ask ? nameInput : input).focus();
  }

  // Starts the visitor's session, or resumes the one this browser holds.
  function start() {
    session ??= call('POST', '/session', token ? { key, token } : { key }).then((s) => {
      token = s.token;
      localStorage.setItem(storeKey, token);
      if (s.has_conversation) follow();
      askDetails(s.ask_contact);
      return s;
    }).catch((e) => {
      session = null;
      throw e;
    });
    return session;
  }

  const clock = new Intl.DateTimeFormat(language, { hour: '2-digit', minute: '2-digit' });

  // A file of the chat, fetched with the visitor's token (a link or an image cannot carry it)
  // and shown from memory: a photo inline, anything else as a link that saves it.
  function fileView(m) {
    if (!m.file) return null;
    if (files.has(m.id)) return files.get(m.id);
    const name = m.file.name || 'file';
    const isImage = /^image\/(jpeg|png|gif|webp)$/.test(m.file.mime_type);
    const el = isImage ? h('img', { class: 'file-image', alt: name }) : h('a', { class: 'file', download: name }, name);
    files.set(m.id, el);
    fetch(base + m.file.url, { headers: { 'X-Visitor-Token': token } })
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(r.statusText))))
      .then((b) => el.setAttribute(isImage ? 'src' : 'href', URL.createObjectURL(b)))
      .catch(() => files.delete(m.id));
    return el;
  }

  // A message: who wrote it (an answer: the agent's name, or the assistant for routing's
  // menu), its file, its text with its line breaks, and when.
  function show(m, el = shown.get(m.id)) {
    const item = el || h('p');
    const who = m.direction === 'in' ? text.you : m.sender === 'agent' ? m.agent_name || text.them : text.assistant;
    item.className = `msg ${m.direction}`;
    item.setAttribute('aria-label', who);
    item.replaceChildren(...[m.direction !== 'in' && h('span', { class: 'who' }, who), fileView(m), m.text,
      m.created_at && h('time', { datetime: new Date(m.created_at).toISOString() }, clock.format(new Date(m.created_at)))]
      .filter(Boolean));
    if (!el) list.append(item);
    if (m.id) shown.set(m.id, item);
    list.scrollTop = list.scrollHeight;
    return item;
  }

  async function catchUp() {
    const { messages } = await call('GET', `/messages?after=${lastId}`);
    for (const m of messages) {
      lastId = Math.max(lastId, m.id);
      // A message still being sent may come back here before its answer does.
      const pending = m.direction === 'in' &&
        [...list.querySelectorAll('.pending')].find((el) => el.dataset.text === m.text);
      if (pending) show(m, pending);
      else if (!shown.has(m.id)) show(m);
    }
  }

  // Follows the conversation live: every message sent to the visitor pokes the stream. Its URL
  // holds a single-use ticket, never the token (URLs end up in logs), so a stream that drops
  // is opened anew with a fresh ticket rather than by the browser's retry of the spent one;
  // one refused before it opened waits for the next message.
  function follow() {
    if (stream) return;
    const asking = { close() {} }; // stands for the stream while its ticket is asked for
    stream = asking;
    call('POST', '/stream-ticket').then(({ ticket }) => {
      if (stream !== asking) return;
      const opened = new EventSource(`${api}/stream?ticket=${encodeURIComponent(ticket)}`);
      let isOpen = false;
      stream = opened;
      opened.addEventListener('open', () => {
        isOpen = true;
        catchUp().catch(() => {});
      });
      opened.addEventListener('message.updated', () => catchUp().catch(() => {}));
      opened.addEventListener('error', () => {
        if (stream !== opened) return;
        opened.close();
        stream = null;
        if (isOpen) setTimeout(follow, 1000);
      });
    }).catch(() => {
      if (stream === asking) stream = null;
    });
  }

  function clientId() {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function send(words) {
    const item = show({ direction: 'in', text: words, created_at: Date.now() });
    item.dataset.text = words;
    item.classList.add('pending');
    status.textContent = '';
    const id = clientId();
    try {
      await start();
      let r;
      try {
        r = await call('POST', '/messages', { text: words, client_id: id });
      } catch (e) {
        if (e.status !== 401 && e.status !== undefined && e.status < 500) throw e;
        if (e.status === 401) { // the chat was closed: start a new one
          token = null;
          session = null;
          stream?.close();
          stream = null;
          lastId = 0;
          await start();
        }
        r = await call('POST', '/messages', { text: words, client_id: id }); // stored once
      }
      item.classList.remove('pending');
      shown.set(r.message_id, item);
      follow();
    } catch (e) {
      item.remove();
      input.value = input.value || words;
      status.textContent = e.status === 429 ? text.busy : text.failed;
    }
  }

  function toggle(open) {
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      start().catch(() => {});
      input.focus();
    } else {
      launcher.focus();
    }
  }

  details.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    status.textContent = '';
    for (const el of [nameInput, emailInput]) el.removeAttribute('aria-invalid');
    try {
      await call('POST', '/contact', { name: nameInput.value.trim(), email: emailInput.value.trim() });
      askDetails(false);
    } catch (e) {
      const field = e.field === 'email' ? emailInput : nameInput;
      status.textContent = e.status !== 400 ? text.failed : field === emailInput ? text.badEmail : text.badName;
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  });
  launcher.addEventListener('click', () => toggle(panel.hidden));
  closeButton.addEventListener('click', () => toggle(false));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const words = input.value.trim();
    if (!words) return;
    input.value = '';
    send(words);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });

  document.body.append(host);
})();
