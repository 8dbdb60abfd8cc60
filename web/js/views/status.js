// What shows instead of a view: an unknown address (or a thing this user may not see),
// or a view that could not load (the server did not answer).
import { errorMessage } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { homePath } from '../session.js';
import { pageHeader } from './page.js';

export function notFoundView() {
  const content = h('div', { class: 'page' },
    pageHeader(t('notFound.title'), t('notFound.text')),
    h('p', {}, h('a', { class: 'btn btn-secondary', href: homePath() }, t('notFound.back'))));
  return { title: t('notFound.title'), content };
}

export function failedView(error, retry) {
  const content = h('div', { class: 'page' },
    pageHeader(t('failed.title'), errorMessage(error)),
    h('p', {}, h('button', { type: 'button', class: 'btn btn-primary', onclick: retry }, t('failed.retry'))));
  return { title: t('failed.title'), content };
}
