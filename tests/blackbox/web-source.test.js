// The web UI's sources, read as text: the two catalogues match, every string goes through
// t() with a key that exists (and every key is used), and nothing — the inbox's modules, the
// web chat widget other sites embed, the demo shop — builds HTML from strings, runs inline
// script or leaves a hook on window for tests. ui.test.js checks the same from inside the browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
const LANGUAGES = ['es', 'en'];

function catalogue(language) {
  return JSON.parse(readFileSync(join(WEB, 'i18n', `${language}.json`), 'utf8'));
}

function scripts(dir = join(WEB, 'js')) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? scripts(join(dir, e.name)) : [join(dir, e.name)]);
}

// The code of each file without its whole-line comments (which may mention t('key')).
function source(file) {
  return { file: file.slice(WEB.length),
    code: readFileSync(file, 'utf8').split('\n').filter((line) => !/^\s*\/\//.test(line)).join('\n') };
}

// The inbox's modules, which speak through t(); the widget and the demo shop carry their own words.
const sources = scripts().map(source);
const everyScript = [...sources, ...['widget.js', 'demo.js'].map((name) => source(join(WEB, name)))];

function placeholders(text) {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
}

test('the Spanish and English catalogues have the same keys, each a non-empty string with the same placeholders', () => {
  const [es, en] = LANGUAGES.map(catalogue);
  assert.deepEqual(Object.keys(es).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en)) {
    for (const c of [es, en]) assert.ok(typeof c[key] === 'string' && c[key].trim() !== '', key);
    assert.deepEqual(placeholders(es[key]), placeholders(en[key]), key);
  }
});

test('every t() call names a literal key that exists, and every key is used', () => {
  const keys = new Set(Object.keys(catalogue('en')));
  const used = new Set();
  for (const { file, code } of sources) {
    for (const call of code.matchAll(/(?<!function )\bt\(([^)]*)/g)) {
      const literal = call[1].match(/^'([\w.]+)'/);
      assert.ok(literal, `${file}: t(${call[1]}…) must name its key as a literal`);
      assert.ok(keys.has(literal[1]), `${file}: '${literal[1]}' is in no catalogue`);
      used.add(literal[1]);
    }
  }
  assert.deepEqual([...keys].filter((k) => !used.has(k)), [], 'catalogue keys no code uses');
});

test('no HTML is built from strings and no code is made from text, in the inbox, the widget and the demo', () => {
  assert.ok(everyScript.some((s) => s.file === 'widget.js'));
  for (const { file, code } of everyScript)
    assert.doesNotMatch(code, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|srcdoc/, file);
});

// Tests watch the page as a person would, or through the browser's own hooks.
test('nothing is put on window or globalThis for tests or anyone else', () => {
  for (const { file, code } of everyScript)
    assert.doesNotMatch(code, /\b(window|globalThis|self)\.\w+\s*=[^=]|\b(window|globalThis)\[[^\]]+\]\s*=[^=]/, file);
});

test('index.html and demo.html have no inline script, style or handler; index.html no text but its title', () => {
  for (const name of ['index.html', 'demo.html']) {
    const page = readFileSync(join(WEB, name), 'utf8');
    for (const script of page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
      assert.match(script[1], /\bsrc="\/assets\//, name);
      assert.equal(script[2].trim(), '', name);
    }
    assert.doesNotMatch(page, /<style|\sstyle=|\son\w+=/i, name);
  }
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  const title = html.match(/<title>([^<]*)<\/title>/)[1];
  for (const language of LANGUAGES) assert.equal(title, catalogue(language)['app.name']);
  const text = html.replace(/<title>[^<]*<\/title>/, '').replace(/<[^>]*>/g, '').trim();
  assert.equal(text, '');
});
