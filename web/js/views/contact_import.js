// Settings → Import contacts (admins): a CSV in the export's columns is checked whole first (a
// dry run: the report of every bad row, or what it would create and update, nothing written),
// then imported. Each upload shows its progress, then that the server is at work.
import { ApiError, errorMessage, upload } from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n.js';
import { field, formError, whileBusy } from '../ui/forms.js';
import { notify } from '../ui/toast.js';
import { pageHeader } from './page.js';

const BYTES_MAX = 32 * 1024 * 1024;

// Sends file (dryRun: only checked), showing the upload's progress and then the server's work.
function send(file, dryRun, progress) {
  const bar = h('progress', { class: 'import-progress', id: 'import-progress', max: 100, value: 0,
    'aria-label': t('import.progress.uploading') });
  const label = h('p', { class: 'hint', id: 'import-progress-text', 'aria-live': 'polite' }, t('import.progress.uploading'));
  progress.replaceChildren(bar, label);
  const path = `/contacts/import${dryRun ? '?dry_run=1' : ''}`;
  return upload(path, new Blob([file], { type: 'text/csv' }), (sent, total) => {
    const percent = total > 0 ? Math.round((100 * sent) / total) : 100;
    if (percent < 100) {
      bar.value = percent;
      label.textContent = t('import.progress.percent', { percent });
      return;
    }
    bar.removeAttribute('value'); // indeterminate: the server checks (and applies) the file
    bar.setAttribute('aria-label', t('import.progress.working'));
    label.textContent = t('import.progress.working');
  }).finally(() => progress.replaceChildren());
}

function problemTable(problems) {
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', id: 'import-problems' },
    h('caption', { class: 'visually-hidden' }, t('import.problems.caption')),
    h('thead', {}, h('tr', {}, [t('import.problems.line'), t('import.problems.column'), t('import.problems.reason')]
      .map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, problems.map((p) => h('tr', {},
      h('td', {}, String(p.line)), h('td', {}, p.column ?? '—'), h('td', {}, p.reason))))));
}

export async function contactImportView() {
  const file = h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv', required: true });
  const check = h('button', { type: 'submit', id: 'import-check', class: 'btn btn-primary' }, t('import.check'));
  const error = formError();
  const progress = h('div', { class: 'import-status' });
  const report = h('div', { id: 'import-report' });
  const form = h('form', { class: 'canned-form', 'aria-labelledby': 'import-title' },
    field(t('import.file'), file, t('import.fileHint')), h('div', {}, check), error.el);

  async function apply(chosen, button) {
    try {
      const r = await whileBusy(button, () => send(chosen, false, progress));
      report.replaceChildren(h('p', { class: 'card-lead', id: 'import-done', role: 'status' },
        t('import.done', { created: r.created, updated: r.updated })));
      notify(t('import.done', { created: r.created, updated: r.updated }));
    } catch (e) {
      error.show(errorMessage(e));
    }
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.clear();
    report.replaceChildren();
    const chosen = file.files[0];
    if (!chosen) return;
    if (chosen.size > BYTES_MAX) {
      error.show(t('import.tooLarge'));
      return;
    }
    try {
      const r = await whileBusy(check, () => send(chosen, true, progress));
      const go = h('button', { type: 'button', id: 'import-apply', class: 'btn btn-primary' }, t('import.apply'));
      go.addEventListener('click', () => apply(chosen, go));
      report.replaceChildren(h('p', { class: 'card-lead', id: 'import-checked', role: 'status' },
        t('import.checked', { created: r.created, updated: r.updated })), go);
    } catch (e) {
      if (e instanceof ApiError && e.problems) {
        report.replaceChildren(h('p', { class: 'form-error', id: 'import-refused', role: 'alert' },
          t('import.problems.summary', { count: e.problems.length })), problemTable(e.problems));
      } else {
        error.show(errorMessage(e));
      }
    }
  });

  const content = h('div', { class: 'page' },
    pageHeader(t('import.title'), t('import.lead')),
    h('section', { class: 'card' }, h('h2', { class: 'card-title', id: 'import-title' }, t('import.formTitle')),
      form, progress, report));
  return { title: t('import.title'), content };
}
