// Settings → Routing (admins): the editor for the routing document (docs/ROUTING.md) and a
// "try it" box. The document lives in memory while it is edited; every change asks the
// explain endpoint, with the unsaved document, which option a sample text would match, so
// the admin sees the effect before saving. Save sends the whole document; a refusal's
// problems are listed at the top and shown next to the fields their paths name
// (`options[1].answers[0]` → that answer's chip, else the answers, else the option).
// Beside the options: the suggestions learnt from the team's corrections (add one to an option,
// then save; or dismiss it) and per option the share of conversations moved away soon after.
import { errorMessage, get, post, put } from '../api.js';
import { h, uid } from '../dom.js';
import { byName, language, t } from '../i18n.js';
import { formError, whileBusy } from '../ui/forms.js';
import { icon } from '../ui/icons.js';
import { notify } from '../ui/toast.js';
import { pageHeader } from './page.js';

const EXPLAIN_DELAY_MS = 250;
const MESSAGE_MAX = 4096;

function blankOption() {
  return { answers: [], team: null, reply: '', button: '' };
}

// The stored document → the editor's state (teams by id, messages as strings).
function fromDocument(doc, teams) {
  const teamId = (team) => {
    if (team === null || team === undefined) return null;
    if (typeof team === 'number') return team;
    return teams.find((x) => x.name === team)?.id ?? null;
  };
  return {
    // Nothing saved yet answers enabled: false; saving a document means wanting routing.
    enabled: doc.welcome_message === undefined ? true : doc.enabled ?? true,
    welcome_message: doc.welcome_message ?? '',
    fallback_message: doc.fallback_message ?? '',
    assignment_message: doc.assignment_message ?? '',
    give_up_message: doc.give_up_message ?? '',
    max_attempts: String(doc.max_attempts ?? 3),
    match_first_message: doc.match_first_message ?? false,
    reopen_routing_after_hours: String(doc.reopen_routing_after_hours ?? 24),
    options: (doc.options ?? []).map((o) => ({ answers: [...o.answers], team: teamId(o.team), reply: o.reply ?? '',
      button: o.button ?? '' })),
  };
}

// A whole number as a number; anything else as typed, so the server names the problem.
function integer(text) {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : text;
}

function toDocument(state) {
  return {
    enabled: state.enabled,
    welcome_message: state.welcome_message,
    fallback_message: state.fallback_message,
    assignment_message: state.assignment_message,
    give_up_message: state.give_up_message,
    max_attempts: integer(state.max_attempts),
    match_first_message: state.match_first_message,
    reopen_routing_after_hours: integer(state.reopen_routing_after_hours),
    options: state.options.map((o) => ({ answers: o.answers, team: o.team, reply: o.reply, button: o.button || null })),
  };
}

// Where each path's error goes: controls register under their path.
function createErrors() {
  const slots = new Map();
  return {
    register(path, control, container, mark = null) {
      slots.set(path, { control, container, mark });
    },
    clear() {
      for (const { control, container, mark } of slots.values()) {
        mark?.classList.remove('is-invalid');
        control.removeAttribute('aria-invalid');
        container.querySelector(':scope > .field-error')?.remove();
        const described = (control.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => !id.startsWith('err-'));
        if (described.length) control.setAttribute('aria-describedby', described.join(' '));
        else control.removeAttribute('aria-describedby');
      }
    },
    reset() {
      slots.clear();
    },
    // The nearest registered path: options[1].answers[0] → options[1].answers → options[1].
    slotFor(path) {
      let p = path;
      while (p) {
        if (slots.has(p)) return slots.get(p);
        const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
        p = cut > 0 ? p.slice(0, cut) : '';
      }
      return null;
    },
    show(problems) {
      for (const problem of problems) {
        const slot = this.slotFor(problem.path);
        if (!slot) continue;
        slot.mark?.classList.add('is-invalid');
        const id = uid('err');
        let line = slot.container.querySelector(':scope > .field-error');
        if (!line) {
          line = h('p', { class: 'field-error', id }, icon('alert'));
          slot.container.append(line);
          slot.control.setAttribute('aria-invalid', 'true');
          const described = slot.control.getAttribute('aria-describedby');
          slot.control.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
        }
        line.append(h('span', {}, t('routing.problem', { path: problem.path, reason: problem.reason })));
      }
    },
  };
}

function labelled(label, control, { hint, path, errors, className = 'field' } = {}) {
  control.id ||= uid('field');
  const hintEl = hint && h('p', { class: 'hint', id: uid('hint') }, hint);
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  const el = h('div', { class: className }, h('label', { for: control.id }, label), control, hintEl);
  if (path) errors.register(path, control, el);
  return el;
}

function messageField(editor, name, label, hint) {
  const area = h('textarea', { id: `routing-${name.replace(/_/g, '-')}`, rows: 3, maxlength: MESSAGE_MAX * 2, value: editor.state[name] });
  area.addEventListener('input', () => {
    editor.state[name] = area.value;
    editor.changed();
  });
  return labelled(label, area, { hint, path: name, errors: editor.errors });
}

function numberField(editor, name, label, hint, max) {
  const input = h('input', { type: 'number', id: `routing-${name.replace(/_/g, '-')}`, min: 0, max, step: 1, inputmode: 'numeric',
    value: editor.state[name] });
  input.addEventListener('input', () => {
    editor.state[name] = input.value;
    editor.changed();
  });
  return labelled(label, input, { hint, path: name, errors: editor.errors });
}

function checkField(editor, name, label, hint) {
  const box = h('input', { type: 'checkbox', id: `routing-${name.replace(/_/g, '-')}`, checked: editor.state[name] });
  box.addEventListener('change', () => {
    editor.state[name] = box.checked;
    editor.changed();
  });
  const hintEl = h('p', { class: 'hint', id: uid('hint') }, hint);
  box.setAttribute('aria-describedby', hintEl.id);
  const el = h('div', { class: 'check' }, box, h('div', {}, h('label', { for: box.id }, label), hintEl));
  editor.errors.register(name, box, el);
  return el;
}

// The answers of option i as chips; typing and Enter adds one, × removes it.
function answerChips(editor, option, i) {
  const n = i + 1;
  const inputId = `routing-option-${i}-answer`;
  const list = h('ul', { class: 'chips', role: 'list', 'aria-label': t('routing.answers.listLabel', { n }) });
  const input = h('input', { type: 'text', id: inputId, class: 'chip-input', maxlength: 200, autocomplete: 'off',
    placeholder: t('routing.answers.placeholder') });
  const wrap = h('div', { class: 'field' },
    h('label', { for: inputId }, t('routing.answers.label')),
    h('div', { class: 'chip-box' }, list, input),
    h('p', { class: 'hint', id: `${inputId}-hint` }, t('routing.answers.hint')));
  input.setAttribute('aria-describedby', `${inputId}-hint`);
  editor.errors.register(`options[${i}].answers`, input, wrap);
  const draw = () => list.replaceChildren(...option.answers.map((answer, j) => {
    const chip = h('li', { class: 'chip' },
      h('span', { class: 'chip-text' }, answer),
      h('button', { type: 'button', class: 'chip-remove', 'aria-label': t('routing.answers.remove', { answer, n }),
        onclick: () => {
          option.answers.splice(j, 1);
          draw();
          editor.changed();
          input.focus();
        } }, icon('close')));
    editor.errors.register(`options[${i}].answers[${j}]`, input, wrap, chip);
    return chip;
  }));
  const add = () => {
    const answer = input.value.trim();
    if (!answer) return false;
    option.answers.push(answer);
    input.value = '';
    draw();
    editor.changed();
    return true;
  };
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      add();
    } else if (event.key === 'Backspace' && input.value === '' && option.answers.length > 0) {
      option.answers.pop();
      draw();
      editor.changed();
    }
  });
  input.addEventListener('change', add);
  draw();
  return wrap;
}

function teamPicker(editor, option, i) {
  const select = h('select', { id: `routing-option-${i}-team` },
    h('option', { value: '' }, t('routing.team.none')),
    editor.teams.map((team) => h('option', { value: String(team.id) }, team.name)));
  select.value = option.team === null ? '' : String(option.team);
  select.addEventListener('change', () => {
    option.team = select.value ? Number(select.value) : null;
    editor.changed();
  });
  return labelled(t('routing.team.label'), select, { path: `options[${i}].team`, errors: editor.errors });
}

function replyField(editor, option, i) {
  const area = h('textarea', { id: `routing-option-${i}-reply`, rows: 2, value: option.reply });
  area.addEventListener('input', () => {
    option.reply = area.value;
    editor.changed();
  });
  return labelled(t('routing.reply.label'), area, { hint: t('routing.reply.hint'), path: `options[${i}].reply`,
    errors: editor.errors });
}

function buttonField(editor, option, i) {
  const input = h('input', { type: 'text', id: `routing-option-${i}-button`, value: option.button, maxlength: 24 });
  input.addEventListener('input', () => {
    option.button = input.value;
    editor.changed();
  });
  return labelled(t('routing.button.label'), input, { hint: t('routing.button.hint'), path: `options[${i}].button`,
    errors: editor.errors });
}

const FORM_NAMES = {
  text: () => t('routing.preview.text'),
  buttons: () => t('routing.preview.buttons'),
  list: () => t('routing.preview.list'),
  quick: () => t('routing.preview.quick'),
  keyboard: () => t('routing.preview.keyboard'),
};

// How the welcome goes out on each channel with these labels (the server's rule, docs/ROUTING.md).
function buttonsPreview(editor) {
  const list = h('ul', { class: 'menu-preview', role: 'list' });
  const draw = () => {
    const labels = editor.state.options.map((o) => o.button.trim());
    const n = labels.length;
    const longest = Math.max(0, ...labels.map((l) => [...l].length));
    const all = n > 0 && labels.every(Boolean);
    const forms = [
      ['WhatsApp', !all ? 'text' : n <= 3 && longest <= 20 ? 'buttons' : n <= 10 ? 'list' : 'text'],
      [t('routing.preview.meta'), all && n <= 13 && longest <= 20 ? 'quick' : 'text'],
      ['Telegram', all ? 'keyboard' : 'text'],
      [t('routing.preview.webchat'), 'text'],
    ];
    list.replaceChildren(...forms.map(([channel, form]) => h('li', { class: 'menu-preview-row' },
      h('span', { class: 'menu-preview-channel' }, channel),
      h('span', {}, FORM_NAMES[form]()),
      form !== 'text' && h('span', { class: 'menu-preview-buttons' }, labels.map((l) => h('span', { class: 'chip' }, l))))));
  };
  editor.onChange.push(draw);
  draw();
  return h('section', { class: 'card', 'aria-labelledby': 'routing-preview-title' },
    h('h2', { class: 'card-title', id: 'routing-preview-title' }, t('routing.preview.title')),
    h('p', { class: 'card-lead' }, t('routing.preview.lead')), list);
}

function moveOption(editor, from, to, focusWhich) {
  if (to < 0 || to >= editor.state.options.length || from === to) return;
  const [option] = editor.state.options.splice(from, 1);
  editor.state.options.splice(to, 0, option);
  editor.drawOptions();
  editor.changed();
  notify(t('routing.option.moved', { from: from + 1, to: to + 1 }));
  if (focusWhich) {
    const button = document.getElementById(`routing-option-${to}-${focusWhich}`);
    (button && !button.disabled ? button : document.getElementById(`routing-option-${to}-title`))?.focus();
  }
}

function optionCard(editor, option, i) {
  const n = i + 1;
  const count = editor.state.options.length;
  const titleId = `routing-option-${i}-title`;
  const card = h('li', { class: ['option', editor.matchedOption === i && 'is-match'], 'aria-labelledby': titleId });
  // Only the handle drags (the whole card as the picture), so text in the fields stays selectable.
  const handle = h('span', { class: 'option-grip', title: t('routing.option.drag'), 'aria-hidden': 'true', draggable: 'true' },
    icon('grip'));
  handle.addEventListener('dragstart', (event) => {
    event.dataTransfer.effectAllowed = 'move';
    event.dataTransfer.setData('text/plain', String(i));
    event.dataTransfer.setDragImage(card, 24, 24);
    card.classList.add('is-dragging');
  });
  handle.addEventListener('dragend', () => card.classList.remove('is-dragging'));
  card.addEventListener('dragover', (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = 'move';
    card.classList.add('is-drop-target');
  });
  card.addEventListener('dragleave', () => card.classList.remove('is-drop-target'));
  card.addEventListener('drop', (event) => {
    event.preventDefault();
    card.classList.remove('is-drop-target');
    const from = Number(event.dataTransfer.getData('text/plain'));
    if (Number.isInteger(from)) moveOption(editor, from, i, null);
  });
  card.append(
    h('div', { class: 'option-header' },
      handle,
      h('h3', { class: 'option-title', id: titleId, tabindex: '-1' }, t('routing.option.title', { n })),
      h('span', { class: 'badge badge-success option-match', hidden: editor.matchedOption !== i }, t('routing.option.matches')),
      h('div', { class: 'option-actions' },
        h('button', { type: 'button', id: `routing-option-${i}-up`, class: 'btn-icon', disabled: i === 0,
          'aria-label': t('routing.option.up', { n }), onclick: () => moveOption(editor, i, i - 1, 'up') }, icon('up')),
        h('button', { type: 'button', id: `routing-option-${i}-down`, class: 'btn-icon', disabled: i === count - 1,
          'aria-label': t('routing.option.down', { n }), onclick: () => moveOption(editor, i, i + 1, 'down') }, icon('down')),
        h('button', { type: 'button', class: 'btn-icon btn-icon-danger', 'aria-label': t('routing.option.remove', { n }),
          onclick: () => {
            editor.state.options.splice(i, 1);
            editor.drawOptions();
            editor.changed();
            document.getElementById(editor.state.options.length ? `routing-option-${Math.max(0, i - 1)}-title` : 'routing-add-option')?.focus();
          } }, icon('trash')))),
    answerChips(editor, option, i),
    h('div', { class: 'form-grid' }, teamPicker(editor, option, i), replyField(editor, option, i)),
    buttonField(editor, option, i));
  editor.errors.register(`options[${i}]`, card.querySelector('.chip-input'), card);
  return card;
}

function candidateText(c) {
  const how = c.source === 'number_word' ? t('routing.try.numberWord', { matched: c.matched })
    : c.match === 'slip' ? t('routing.try.slip', { matched: c.matched }) : t('routing.try.exact');
  const text = t('routing.try.candidate', { n: c.option + 1, answer: c.answer, how });
  return c.negated_by ? t('routing.try.negated', { candidate: text, negation: c.negated_by }) : text;
}

const REASONS = {
  matched: () => t('routing.try.reason.matched'),
  no_match: () => t('routing.try.reason.noMatch'),
  negated: () => t('routing.try.reason.negated'),
  tie: () => t('routing.try.reason.tie'),
  no_words: () => t('routing.try.reason.noWords'),
  not_text: () => t('routing.try.reason.notText'),
};

function outcomeText(answer) {
  if (answer.outcome === 'team') return t('routing.try.outcome.team', { team: answer.team ?? '' });
  if (answer.outcome === 'reply') return t('routing.try.outcome.reply');
  return t('routing.try.outcome.fallback');
}

function explanation(answer) {
  const m = answer.match;
  const rows = [
    [t('routing.try.normalized'), h('code', {}, answer.normalized || t('routing.try.empty'))],
    [t('routing.try.reason'), (REASONS[answer.reason] ?? (() => answer.reason))()],
  ];
  if (m) {
    rows.push([t('routing.try.option'), t('routing.option.title', { n: m.option + 1 })]);
    rows.push([t('routing.try.answer'), m.source === 'number_word'
      ? t('routing.try.answerNumberWord', { answer: m.answer, matched: m.matched })
      : m.match === 'slip'
        ? t('routing.try.answerSlip', { answer: m.answer, matched: m.matched })
        : t('routing.try.answerExact', { answer: m.answer })]);
  }
  const candidates = answer.candidates ?? [];
  return [
    h('p', { class: ['try-outcome', `try-outcome-${answer.outcome}`] },
      icon(answer.outcome === 'fallback' ? 'alert' : 'check'), h('span', {}, outcomeText(answer))),
    h('dl', { class: 'try-facts' }, rows.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v)))),
    (candidates.length > 1 || candidates.some((c) => c.negated_by)) && h('div', {},
      h('p', { class: 'try-subtitle' }, t('routing.try.candidates')),
      h('ul', { class: 'try-candidates', role: 'list' }, candidates.map((c) => h('li', {}, candidateText(c))))),
    answer.truncated && h('p', { class: 'hint' }, t('routing.try.truncated')),
  ];
}

function problemList(problems, editor) {
  return h('ul', { class: 'problem-list' }, problems.map((p) => {
    const slot = p.path ? editor.errors.slotFor(p.path) : null;
    const text = p.path ? t('routing.problem', { path: p.path, reason: p.reason }) : p.reason;
    return h('li', {}, slot
      ? h('a', { href: `#${slot.control.id}`, onclick: (event) => {
        event.preventDefault();
        slot.control.focus();
      } }, text)
      : text);
  }));
}

// The try-it box: a sample text, explained with the unsaved document as it changes.
function tryBox(editor) {
  const input = h('input', { type: 'text', id: 'routing-try', autocomplete: 'off', maxlength: 1024,
    placeholder: t('routing.try.placeholder') });
  const output = h('div', { class: 'try-output', id: 'routing-try-result', 'aria-live': 'polite' },
    h('p', { class: 'hint' }, t('routing.try.idle')));
  let timer = null;
  let seq = 0;
  const run = async () => {
    const text = input.value;
    const mine = ++seq;
    if (!text.trim()) {
      editor.setMatch(null);
      output.replaceChildren(h('p', { class: 'hint' }, t('routing.try.idle')));
      return;
    }
    try {
      const answer = await post('/routing/explain', { text, config: toDocument(editor.state) });
      if (mine !== seq) return;
      editor.setMatch(answer.match ? answer.match.option : null);
      output.replaceChildren(...explanation(answer).filter(Boolean));
    } catch (e) {
      if (mine !== seq) return;
      editor.setMatch(null);
      output.replaceChildren(e.problems
        ? h('div', { class: 'try-problems' }, h('p', { class: 'try-outcome try-outcome-fallback' }, icon('alert'),
          h('span', {}, t('routing.try.invalid'))), problemList(e.problems, editor))
        : h('p', { class: 'form-error' }, errorMessage(e)));
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(run, EXPLAIN_DELAY_MS);
  };
  input.addEventListener('input', schedule);
  editor.onChange.push(schedule);
  return h('section', { class: 'card try-card', 'aria-labelledby': 'routing-try-title' },
    h('header', {},
      h('h2', { class: 'card-title', id: 'routing-try-title' }, t('routing.try.title')),
      h('p', { class: 'card-lead' }, t('routing.try.lead'))),
    h('div', { class: 'field' }, h('label', { for: 'routing-try' }, t('routing.try.label')), input),
    output);
}

// "fell back 4 times, moved to Soporte 3 times", from the suggestion's counts.
function suggestionWhy(s) {
  const parts = [];
  if (s.fallbacks > 0)
    parts.push(s.fallbacks === 1 ? t('routing.suggest.fellBack.one') : t('routing.suggest.fellBack.other', { count: s.fallbacks }));
  if (s.moves > 0) {
    const team = s.team ?? t('routing.suggest.otherTeam');
    parts.push(s.moves === 1 ? t('routing.suggest.moved.one', { team }) : t('routing.suggest.moved.other', { team, count: s.moves }));
  }
  return parts.length === 2 ? t('routing.suggest.both', { fellBack: parts[0], moved: parts[1] }) : parts[0];
}

function suggestionConflict(s) {
  if (!s.conflict) return null;
  const n = s.conflict.option + 1;
  return h('p', { class: 'hint suggestion-conflict' }, icon('alert'),
    h('span', {}, s.conflict.kind === 'duplicate' ? t('routing.suggest.duplicate', { n }) : t('routing.suggest.tie', { n })));
}

// One suggestion: the word, why, an option to add it to (its team's by default), add, dismiss.
function suggestionRow(editor, s, remove) {
  const select = h('select', { id: uid('suggestion-option'), 'aria-label': t('routing.suggest.optionLabel', { text: s.text }) },
    h('option', { value: '' }, t('routing.suggest.chooseOption')),
    editor.state.options.map((o, i) => h('option', { value: String(i) }, t('routing.option.title', { n: i + 1 }))));
  select.value = s.option !== null && s.option < editor.state.options.length ? String(s.option) : '';
  const add = h('button', { type: 'button', class: 'btn btn-secondary btn-small', disabled: select.value === '' },
    icon('plus'), t('routing.suggest.add'));
  add.setAttribute('aria-label', t('routing.suggest.addLabel', { text: s.text }));
  select.addEventListener('change', () => {
    add.disabled = select.value === '';
  });
  add.addEventListener('click', () => {
    const i = Number(select.value);
    editor.state.options[i].answers.push(s.text);
    remove();
    editor.drawOptions();
    editor.changed();
    notify(t('routing.suggest.added', { text: s.text, n: i + 1 }));
  });
  const dismiss = h('button', { type: 'button', class: 'btn btn-ghost btn-small',
    'aria-label': t('routing.suggest.dismissLabel', { text: s.text }) }, t('routing.suggest.dismiss'));
  dismiss.addEventListener('click', async () => {
    try {
      await whileBusy(dismiss, () => post('/routing/suggestions/dismiss', { text: s.text }));
      remove();
      notify(t('routing.suggest.dismissed', { text: s.text }));
    } catch (e) {
      notify(errorMessage(e));
    }
  });
  return h('li', { class: 'suggestion' },
    h('div', { class: 'suggestion-word' }, h('span', { class: 'chip' }, s.text),
      h('span', { class: 'hint' }, suggestionWhy(s))),
    suggestionConflict(s),
    h('div', { class: 'suggestion-actions' }, select, add, dismiss));
}

function percent(share) {
  return new Intl.NumberFormat(language(), { style: 'percent', maximumFractionDigits: 0 }).format(share);
}

// Per option, over the last 7 days: conversations routed there and the share moved elsewhere.
function movedStats(stats) {
  const rows = (stats.routed ?? []).filter((r) => r.conversations > 0 || r.moved > 0);
  if (!rows.length) return h('p', { class: 'list-empty' }, t('routing.stats.none'));
  return h('ul', { class: 'routing-stats', role: 'list' }, rows.map((r) => h('li', {},
    t('routing.stats.row', { n: r.option + 1, routed: r.conversations, moved: r.moved,
      share: r.moved_share === null ? '—' : percent(r.moved_share) }))));
}

function suggestionsCard(editor, suggestions, stats) {
  const list = h('ul', { class: 'suggestions', role: 'list' });
  const empty = h('p', { class: 'list-empty' }, t('routing.suggest.none'));
  const draw = () => {
    list.replaceChildren(...suggestions.map((s) => suggestionRow(editor, s, () => {
      suggestions = suggestions.filter((x) => x !== s);
      draw();
      document.getElementById('routing-suggestions-title')?.focus();
    })));
    empty.hidden = suggestions.length > 0;
  };
  editor.onOptions.push(draw);
  draw();
  return h('section', { class: 'card', id: 'routing-suggestions', 'aria-labelledby': 'routing-suggestions-title' },
    h('header', {},
      h('h2', { class: 'card-title', id: 'routing-suggestions-title', tabindex: '-1' }, t('routing.suggest.title')),
      h('p', { class: 'card-lead' }, t('routing.suggest.lead'))),
    empty, list,
    h('h3', { class: 'try-subtitle' }, t('routing.stats.title')),
    movedStats(stats));
}

export async function routingView(ctx) {
  const [doc, { teams }, { suggestions }, stats] = await Promise.all([get('/routing'), get('/teams'),
    get('/routing/suggestions'), get('/routing/stats')]);
  teams.sort(byName);
  const editor = {
    teams,
    state: fromDocument(doc, teams),
    errors: createErrors(),
    matchedOption: null,
    onChange: [],
    onOptions: [], // after the options are drawn again (added, removed, moved)
    changed() {
      for (const fn of this.onChange) fn();
    },
    setMatch(index) {
      if (index === this.matchedOption) return;
      this.matchedOption = index;
      [...optionList.children].forEach((card, i) => {
        card.classList.toggle('is-match', i === index);
        card.querySelector('.option-match').hidden = i !== index;
      });
    },
    drawOptions() {},
  };

  const optionList = h('ol', { class: 'options', role: 'list' });
  const emptyOptions = h('p', { class: 'list-empty' }, t('routing.options.none'));
  editor.drawOptions = () => {
    const active = document.activeElement;
    const activeId = optionList.contains(active) ? active.id : null;
    const caret = activeId && 'selectionStart' in active ? [active.selectionStart, active.selectionEnd] : null;
    editor.errors.reset();
    registerFixed();
    optionList.replaceChildren(...editor.state.options.map((o, i) => optionCard(editor, o, i)));
    emptyOptions.hidden = editor.state.options.length > 0;
    for (const fn of editor.onOptions) fn();
    if (activeId) {
      const again = document.getElementById(activeId);
      again?.focus();
      if (caret && again?.setSelectionRange) again.setSelectionRange(...caret);
    }
  };

  const summary = h('div', { class: 'problems', id: 'routing-problems', role: 'alert', tabindex: '-1', hidden: true });
  const showProblems = (problems, message) => {
    editor.errors.clear();
    editor.errors.show(problems);
    summary.replaceChildren(
      h('h2', { class: 'problems-title' }, icon('alert'),
        problems.length === 1 ? t('routing.problems.one') : t('routing.problems.other', { count: problems.length })),
      message && h('p', { class: 'hint' }, message),
      problemList(problems, editor));
    summary.hidden = false;
    summary.focus();
  };

  const fixed = {
    enabled: checkField(editor, 'enabled', t('routing.enabled.label'), t('routing.enabled.hint')),
    welcome: messageField(editor, 'welcome_message', t('routing.welcome.label'), t('routing.welcome.hint')),
    fallback: messageField(editor, 'fallback_message', t('routing.fallback.label'), t('routing.fallback.hint')),
    assignment: messageField(editor, 'assignment_message', t('routing.assignment.label'), t('routing.assignment.hint')),
    giveUp: messageField(editor, 'give_up_message', t('routing.giveUp.label'), t('routing.giveUp.hint')),
    attempts: numberField(editor, 'max_attempts', t('routing.maxAttempts.label'), t('routing.maxAttempts.hint'), 20),
    reopen: numberField(editor, 'reopen_routing_after_hours', t('routing.reopen.label'), t('routing.reopen.hint'), 8760),
    first: checkField(editor, 'match_first_message', t('routing.matchFirst.label'), t('routing.matchFirst.hint')),
  };
  // The fixed fields keep their error slots when the options are drawn again.
  const fixedSlots = new Map();
  for (const name of ['enabled', 'welcome_message', 'fallback_message', 'assignment_message', 'give_up_message',
    'max_attempts', 'reopen_routing_after_hours', 'match_first_message'])
    fixedSlots.set(name, editor.errors.slotFor(name));
  const optionsHeading = h('h2', { class: 'card-title', id: 'routing-options-title', tabindex: '-1' }, t('routing.options.title'));
  function registerFixed() {
    for (const [name, slot] of fixedSlots) editor.errors.register(name, slot.control, slot.container);
    editor.errors.register('options', addButton, optionsCard);
  }

  const addButton = h('button', { type: 'button', id: 'routing-add-option', class: 'btn btn-secondary' },
    icon('plus'), t('routing.options.add'));
  addButton.addEventListener('click', () => {
    editor.state.options.push(blankOption());
    editor.drawOptions();
    editor.changed();
    document.getElementById(`routing-option-${editor.state.options.length - 1}-answer`)?.focus();
  });
  const optionsCard = h('section', { class: 'card', 'aria-labelledby': 'routing-options-title' },
    h('header', {}, optionsHeading, h('p', { class: 'card-lead' }, t('routing.options.lead'))),
    emptyOptions, optionList, h('div', {}, addButton));

  const save = h('button', { type: 'submit', id: 'routing-save', class: 'btn btn-primary' }, t('routing.save'));
  const error = formError();
  const form = h('form', { class: 'routing-form', 'aria-label': t('routing.formLabel'), novalidate: true },
    summary,
    h('section', { class: 'card', 'aria-labelledby': 'routing-messages-title' },
      h('header', {},
        h('h2', { class: 'card-title', id: 'routing-messages-title' }, t('routing.messages.title')),
        h('p', { class: 'card-lead' }, t('routing.messages.lead'))),
      fixed.enabled, fixed.welcome, fixed.fallback, fixed.assignment, fixed.giveUp,
      h('div', { class: 'form-grid' }, fixed.attempts, fixed.reopen), fixed.first),
    optionsCard,
    suggestionsCard(editor, suggestions, stats),
    buttonsPreview(editor),
    h('div', { class: 'save-bar' }, error.el, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      const saved = await whileBusy(save, () => put('/routing', toDocument(editor.state)));
      editor.state = fromDocument(saved, teams);
      editor.errors.clear();
      summary.hidden = true;
      notify(t('routing.saved'));
      ctx.refresh({ focus: 'routing-save' });
    } catch (e) {
      if (e.problems) showProblems(e.problems, e.message);
      else error.show(errorMessage(e));
    }
  });

  editor.drawOptions();
  const content = h('div', { class: 'page' },
    pageHeader(t('routing.title'), t('routing.lead')),
    h('div', { class: 'routing-layout' }, form, h('aside', { class: 'routing-aside' }, tryBox(editor))));
  return { title: t('routing.title'), content };
}
