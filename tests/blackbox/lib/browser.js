// A real browser for the web inbox: playwright-core driving Debian's chromium, headless.
// Nothing is downloaded: the browser is /usr/bin/chromium (scripts/deps.sh installs it).
// Each test opens its own context, so cookies and storage never leak between tests.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { ADMIN_EMAIL, ADMIN_PASSWORD, BIN } from './server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 360, height: 740 };

// Playwright gives every launch a fresh, temporary user-data directory.
export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

const catalogues = {};
export function catalogue(language) {
  catalogues[language] ??= JSON.parse(readFileSync(new URL(`../../../web/i18n/${language}.json`, import.meta.url)));
  return catalogues[language];
}

// A page in a new context. Script errors, console errors and alert() fail the test when
// checked with assertNoErrors(). Chromium also logs every HTTP error answer to the console;
// those are the API refusing (a wrong password, GET /me before logging in) and are not.
export async function openPage(browser, server, { viewport = DESKTOP, locale = 'en-GB', path = '/' } = {}) {
  const context = await browser.newContext({ viewport, locale });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded/.test(m.text()))
      page.errors.push(m.text());
  });
  page.on('dialog', (d) => {
    page.errors.push(`unexpected ${d.type()}: ${d.message()}`);
    d.dismiss();
  });
  await page.goto(server.url + path);
  return page;
}

// Screenshots go beside the binary under test (build/debug/screenshots), so a test run never
// changes a tracked file; `make screenshots` sets SCREENSHOT_DIR to docs/screenshots to
// refresh the pictures the README shows.
const SCREENSHOT_DIR = resolve(process.env.SCREENSHOT_DIR ?? join(dirname(BIN), 'screenshots'));

export async function screenshot(page, name) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

export function assertNoErrors(page) {
  assert.deepEqual(page.errors, []);
}

// Logs in through the form and waits for the inbox.
export async function logIn(page, email = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
  await page.locator('input[type=email]').fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.locator('form button[type=submit]').click();
  await page.locator('main h1.page-title').waitFor();
}

function pattern(text) {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{\w+\\\}/g, '.+');
  return new RegExp(`^${escaped}$`, 's');
}

// Every string the page shows or speaks (text, labels, placeholders, titles and the
// document title) must come from the language's catalogue or be data the test put in.
// Text under aria-hidden (avatars' initials, icons) is decoration and not checked.
export async function assertAllTextTranslated(page, language, data = []) {
  const patterns = Object.values(catalogue(language)).map(pattern);
  const strings = await page.evaluate(() => {
    const out = [document.title];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('script, style, [aria-hidden="true"]')) continue;
      out.push(node.data);
    }
    for (const el of document.body.querySelectorAll('[aria-label], [placeholder], [title], [alt], [data-label]'))
      for (const a of ['aria-label', 'placeholder', 'title', 'alt', 'data-label'])
        if (el.hasAttribute(a)) out.push(el.getAttribute(a));
    return out.map((s) => s.trim()).filter(Boolean);
  });
  const stray = strings.filter((s) => !data.includes(s) && !patterns.some((p) => p.test(s)));
  assert.deepEqual(stray, [], `strings outside the ${language} catalogue on ${page.url()}`);
}

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// Runs axe-core's WCAG 2 A and AA rules (contrast, labels, landmarks, names…) on the page.
export async function assertAccessible(page) {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
    return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  });
  assert.deepEqual(violations, [], `accessibility problems on ${page.url()}`);
}
