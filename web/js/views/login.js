// The login page: e-mail and password, the server's refusal in words a person can act
// on, and the language switch (the page is the first thing a new colleague sees).
import { errorMessage, get } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { logIn } from '../session.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { logo } from '../ui/icons.js';
import { languageSwitch } from './language.js';

// notice: a line shown above the form (e.g. that the session has ended).
export function loginView({ notice, onLoggedIn, onLanguage }) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true, maxlength: 320 });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true,
    maxlength: 256 });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('login.submit'));
  const error = formError();
  const form = h('form', { class: 'stack', 'aria-labelledby': 'login-title' },
    field(t('login.email'), email),
    field(t('login.password'), password),
    error.el,
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      await whileBusy(submit, () => logIn(email.value.trim(), password.value));
      onLoggedIn();
    } catch (e) {
      error.show(errorMessage(e));
      password.select();
      password.focus();
    }
  });
  // In demo mode, where the demo's passwords are: /api/v1/demo answers only then.
  const demoHint = h('p', { class: 'notice', hidden: true }, t('login.demoHint'));
  get('/demo').then(() => {
    demoHint.hidden = false;
  }, () => {});
  const content = h('main', { class: 'login', id: 'main' },
    h('div', { class: 'login-card' },
      h('div', { class: 'login-brand' }, logo(), h('span', {}, t('app.name'))),
      h('h1', { id: 'login-title', class: 'login-title', tabindex: '-1' }, t('login.title')),
      h('p', { class: 'muted' }, t('login.lead')),
      notice && h('p', { class: 'notice', role: 'status' }, notice),
      demoHint,
      form),
    h('footer', {}, languageSwitch(onLanguage)));
  return { title: t('login.title'), content, focus: email };
}
