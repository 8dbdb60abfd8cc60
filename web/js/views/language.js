// The language switch, on the login page and in the navigation: the languages are
// listed in their own words, and the choice is remembered in this browser.
import { h } from '../dom.js';
import { LANGUAGES, language, t } from '../i18n.js';
import { icon } from '../ui/icons.js';

const NAMES = { es: () => t('language.es'), en: () => t('language.en') };

export function languageSwitch(onChoose) {
  const select = h('select', { id: 'language', class: 'select-plain', onchange: (e) => onChoose(e.target.value),
    value: language() },
  LANGUAGES.map((code) => h('option', { value: code, lang: code }, NAMES[code]())));
  return h('div', { class: 'language' },
    icon('globe'),
    h('label', { for: 'language', class: 'visually-hidden' }, t('language.label')),
    select);
}
