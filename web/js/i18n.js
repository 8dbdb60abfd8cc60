// Translations. Every visible string lives in web/i18n/<language>.json and is read with
// t('key') — always a literal key, so a test can check that every key used exists in
// every catalogue and that none is left unused. {name} placeholders are filled from params.
export const LANGUAGES = ['es', 'en'];
const FALLBACK = 'en';
const STORAGE_KEY = 'centralita.language';

let current = FALLBACK;
let strings = {};

// The remembered choice, else the first of the browser's languages we have, else English.
export function preferredLanguage() {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (LANGUAGES.includes(saved)) return saved;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const primary = String(tag).toLowerCase().split('-')[0];
    if (LANGUAGES.includes(primary)) return primary;
  }
  return FALLBACK;
}

export async function loadLanguage(language) {
  const res = await fetch(`/assets/i18n/${language}.json`);
  if (!res.ok) throw new Error(`cannot load the ${language} catalogue: ${res.status}`);
  strings = await res.json();
  current = language;
  document.documentElement.lang = language;
}

// Switches and remembers the language; the caller renders the page again.
export async function chooseLanguage(language) {
  await loadLanguage(language);
  localStorage.setItem(STORAGE_KEY, language);
}

export function language() {
  return current;
}

export function t(key, params = {}) {
  const text = strings[key];
  if (text === undefined) {
    console.error(`missing translation: ${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

// Sorts people and teams by name the way the reader's language does.
export function byName(a, b) {
  return a.name.localeCompare(b.name, current, { sensitivity: 'base' });
}
