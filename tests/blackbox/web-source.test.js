// The web UI's sources, read as text: the two catalogues match, every string goes through
// t() with a key that exists (and every key is used), and nothing builds HTML from strings
// or runs inline script. ui.test.js checks the same from inside the browser.
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

// The code of each module without its whole-line comments (which may mention t('key')).
const sources = scripts().map((file) => ({
  file: file.slice(WEB.length),
  code: readFileSync(file, 'utf8').split('\n').filter((line) => !/^\s*\/\//.test(line)).join('\n'),
}));

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

test('no HTML is built from strings and no code is made from text', () => {
  for (const { file, code } of sources)
    assert.doesNotMatch(code, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|srcdoc/, file);
});

test('index.html has no inline script, style or handler, and no text but its title', () => {
  const html = readFileSync(join(WEB, 'index.html'), 'utf8');
  for (const script of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(script[1], /\bsrc="\/assets\//);
    assert.equal(script[2].trim(), '');
  }
  assert.doesNotMatch(html, /<style|\sstyle=|\son\w+=/i);
  const title = html.match(/<title>([^<]*)<\/title>/)[1];
  for (const language of LANGUAGES) assert.equal(title, catalogue(language)['app.name']);
  const text = html.replace(/<title>[^<]*<\/title>/, '').replace(/<[^>]*>/g, '').trim();
  assert.equal(text, '');
});
