// Your profile (everyone): the name others see, and the password. A new password ends every
// session of the person, this one too: the login page comes back and says why.
import { errorMessage, sessionLost } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { changeMe } from '../session.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { notify } from '../ui/toast.js';
import { pageHeader } from './page.js';

const NAME_MAX = 100;
const PASSWORD_MIN = 8;

function nameForm(ctx, user) {
  const name = h('input', { type: 'text', id: 'profile-name', required: true, maxlength: NAME_MAX, autocomplete: 'name',
    value: user.name });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('profile.name.save'));
  const error = formError();
  const form = h('form', { class: 'card profile-form', 'aria-labelledby': 'profile-name-title' },
    h('h2', { class: 'section-title', id: 'profile-name-title' }, t('profile.name.title')),
    field(t('profile.name.label'), name, t('profile.name.hint')), h('div', {}, submit), error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    try {
      const saved = await whileBusy(submit, () => changeMe({ name: name.value.trim() }));
      notify(t('profile.name.saved', { name: saved.name }));
      ctx.refresh({ shell: true, focus: 'profile-name' });
    } catch (e) {
      error.show(errorMessage(e));
    }
  });
  return form;
}

function passwordForm() {
  const current = h('input', { type: 'password', id: 'profile-current', required: true, autocomplete: 'current-password' });
  const fresh = h('input', { type: 'password', id: 'profile-new', required: true, minlength: PASSWORD_MIN,
    autocomplete: 'new-password' });
  const again = h('input', { type: 'password', id: 'profile-again', required: true, autocomplete: 'new-password' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('profile.password.save'));
  const error = formError();
  const form = h('form', { class: 'card profile-form', 'aria-labelledby': 'profile-password-title' },
    h('h2', { class: 'section-title', id: 'profile-password-title' }, t('profile.password.title')),
    field(t('profile.password.current'), current),
    field(t('profile.password.new'), fresh, t('profile.password.hint')),
    field(t('profile.password.again'), again), h('div', {}, submit), error.el);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    if (fresh.value !== again.value) {
      error.show(t('profile.password.mismatch'));
      again.focus();
      return;
    }
    try {
      await whileBusy(submit, () => changeMe({ password: fresh.value, current_password: current.value }));
      sessionLost(t('profile.password.done'));
    } catch (e) {
      error.show(errorMessage(e, { unprocessable: t('profile.password.wrong') }));
    }
  });
  return form;
}

export async function profileView({ user, refresh }) {
  return {
    title: t('profile.title'),
    content: h('div', { class: 'page' },
      pageHeader(t('profile.title'), t('profile.lead', { email: user.email })),
      nameForm({ refresh }, user), passwordForm()),
  };
}
