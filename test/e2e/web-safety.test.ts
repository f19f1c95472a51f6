/**
 * The web page under hostile input and bad networks, in headless Chromium against the real stack:
 * file names and model output that try to run script, the password form, and a WebSocket that
 * drops in the middle of a job.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ensureWebBuilt, launchBrowser, openPage, screenshot } from '../helpers/browser.js';
import { taggedImage } from '../helpers/images.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
let browser: Browser;
before(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([
    startStack({ env: { BATCH_SIZE: '2', CONCURRENCY: '2', PDF_DPI: '72' } }),
    launchBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

const EVIL_NAME = '<img src=x onerror=alert(1)>.png';
const EVIL_MARKDOWN = [
  '# Report <script>alert("title")</script>',
  '<script>window.__xss = "script"; alert("script")</script>',
  '<img src=x onerror="window.__xss = \'img\'; alert(\'img\')">',
  '[click me](javascript:alert("link"))',
  '<iframe src="javascript:alert(\'iframe\')"></iframe>',
  '$\\href{javascript:alert("katex")}{formula}$ and $x^2$',
  '<svg><script>alert("svg")</script></svg>',
].join('\n\n');

test('hostile file names and model output are shown as text and never run', async () => {
  const tag = 500;
  stack.stub.script([{ kind: 'ok', content: EVIL_MARKDOWN }], tag);
  const { page, dialogs, errors } = await openPage(browser, stack.api);
  await page.setInputFiles('input.file-input', [{ name: EVIL_NAME, mimeType: 'image/png', buffer: await taggedImage(tag) }]);
  const evil = page.locator('.uploads .card').first();
  await evil.locator('.card-name').filter({ hasText: EVIL_NAME }).waitFor();
  await page.locator('.uploads .card[data-status="completed"]').waitFor({ timeout: 30_000 });
  await evil.locator('.act-view').click();
  const body = page.locator('dialog.result .markdown-body');
  await body.locator('.katex').first().waitFor();
  assert.equal(await page.locator('dialog.result .result-title').innerText(), `Result: ${EVIL_NAME}`);

  // Nothing executable made it into the page; the text is still there to read.
  assert.equal(await page.locator('img[src="x"], iframe, script:not([src]), .markdown-body script, .markdown-body svg script').count(), 0);
  assert.equal(await body.locator('[onerror], [onclick], [onload]').count(), 0);
  const hrefs = await Promise.all((await body.locator('a').all()).map(async (a) => (await a.getAttribute('href')) ?? ''));
  assert.ok(hrefs.every((href) => !/^\s*javascript:/i.test(href)), hrefs.join());
  assert.match(await body.innerText(), /Report <script>alert\("title"\)<\/script>/);
  await page.locator('dialog.result .act-raw').click();
  assert.equal(await page.locator('dialog.result .raw-markdown').innerText(), EVIL_MARKDOWN);

  // The history shows the same name, as text, after a reload.
  await page.reload();
  await page.locator('section.history .card-name').filter({ hasText: EVIL_NAME }).waitFor();
  assert.equal(await page.locator('img[src="x"]').count(), 0);
  assert.equal(await page.evaluate('window.__xss'), undefined);
  assert.deepEqual(dialogs, []);
  // Blocked script would show up as CSP reports in the console: there are none, because none was made.
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('the password form refuses a wrong password, opens the app with the right one and stores it nowhere', async () => {
  const { page, dialogs } = await openPage(browser, `${stack.origin}/`);
  await page.locator('#password').fill('wrong-password');
  await page.locator('.login-form button[type="submit"]').click();
  await page.locator('.login-error').filter({ hasText: 'Wrong password' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  await screenshot(page, 'login-wrong-password');

  await page.locator('#password').fill(stack.config.http.password);
  await page.locator('.login-form button[type="submit"]').click();
  await page.waitForURL(`${stack.api}`);
  await page.locator('.dropzone').waitFor();
  const storage = String(await page.evaluate('JSON.stringify({ ...localStorage, ...sessionStorage })'));
  assert.ok(!storage.includes(stack.config.http.password), storage);
  assert.equal(await page.evaluate('document.cookie'), '');
  assert.deepEqual(dialogs, []);
  await page.context().close();

  // The HTML the server sends never holds the password; it carries a CSP without inline script.
  for (const url of [`${stack.origin}/`, stack.api, `${stack.api}/`]) {
    const res = await fetch(url);
    const html = await res.text();
    assert.equal(res.status, 200, url);
    assert.ok(!html.includes(stack.config.http.password), `${url} leaks the password`);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    const script = /<script type="module" src="(\/static\/[^"]+)"/.exec(html)?.[1];
    const asset = await fetch(`${stack.origin}${script}`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    await asset.arrayBuffer();
  }
  assert.equal((await fetch(`${stack.origin}/static/../package.json`)).status, 404);
  assert.equal((await fetch(`${stack.origin}/static/manifest.json`)).status, 404);
});

test('a WebSocket drop in the middle of a job: the page says it is reconnecting, then catches up', async () => {
  const tags = pageTags(4, 600);
  for (const tag of tags) stack.stub.script([{ kind: 'ok', delayMs: 1500 }], tag);
  const { page, context } = await openPage(browser, stack.api);
  await page.locator('.live-status[data-state="open"]').waitFor();
  await page.setInputFiles('input.file-input', [{ name: 'dropped.pdf', mimeType: 'application/pdf', buffer: makePdf(tags) }]);
  const card = page.locator('.uploads .card').first();
  await card.locator('.card-name').filter({ hasText: 'dropped.pdf' }).waitFor();
  await page.locator('.uploads .card[data-status="processing"]').waitFor({ timeout: 20_000 });
  const taskId = (await card.getAttribute('data-task-id'))!;

  await context.setOffline(true);
  await page.locator('.live-status[data-state="reconnecting"]').waitFor();
  await screenshot(page, 'reconnecting');
  // The job goes on without the page; the page cannot know.
  await waitForTask(stack, taskId);
  assert.notEqual(await card.getAttribute('data-status'), 'completed');

  await context.setOffline(false);
  await page.locator('.live-status[data-state="open"]').waitFor({ timeout: 20_000 });
  await page.locator('.uploads .card[data-status="completed"] .bar[aria-valuenow="100"]').waitFor({ timeout: 10_000 });
  assert.match(await card.locator('.card-progress').innerText(), /^4\/4 pages/);
  await context.close();
});

test('BACK_URL: the page uploads to that origin (another one, so CORS) and follows the task from its own', async () => {
  // The page is opened as http://localhost:port, uploads go to http://127.0.0.1:port: two origins.
  // The config object is the API's own, so setting BACK_URL here is what the variable would do.
  stack.config.http.backUrl = stack.origin;
  try {
    const page0 = `${stack.api.replace('127.0.0.1', 'localhost')}`;
    const { page, errors } = await openPage(browser, page0);
    const uploads: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/async/')) uploads.push(`${request.method()} ${new URL(request.url()).host}`);
    });
    await page.setInputFiles('input.file-input', [{ name: 'elsewhere.png', mimeType: 'image/png', buffer: await taggedImage(900) }]);
    await page.locator('.uploads .card[data-status="completed"]').waitFor({ timeout: 30_000 });
    // (The CORS preflight before it is the browser's own and not reported; without the answer the
    // upload would have failed.)
    assert.deepEqual(uploads, [`POST ${new URL(stack.origin).host}`]);
    assert.equal(new URL(page.url()).hostname, 'localhost');
    assert.deepEqual(errors, []);
    await page.context().close();
  } finally {
    stack.config.http.backUrl = '';
  }
});
