/**
 * The web page in headless Chromium against the real stack (Postgres, Temporal, worker, API); only
 * the model is the stub. Upload, live progress, the rendered result with math, export, cancel and
 * retry, the password form and the language switch.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { ensureWebBuilt, launchBrowser, openPage, screenshot } from '../helpers/browser.js';
import { taggedImage } from '../helpers/images.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { startStack, type Stack } from '../helpers/stack.js';

let stack: Stack;
let browser: Browser;
before(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([
    startStack({ env: { BATCH_SIZE: '2', CONCURRENCY: '2', PDF_DPI: '72', TITLE: 'OCR test' } }),
    launchBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

const card = (name: string) => `.card:has(.card-name:text-is("${name}"))`;

test('upload an image and a 5-page PDF together: live progress to 100 %, rendered math, MD and JSON downloads', async () => {
  const tags = pageTags(5, 100);
  for (const tag of tags) stack.stub.script([{ kind: 'ok', delayMs: 300 }], tag);
  const { page, dialogs, errors } = await openPage(browser, stack.api);
  await page.locator('.live-status[data-state="open"]').waitFor();
  await page.setInputFiles('input.file-input', [
    { name: 'photo.png', mimeType: 'image/png', buffer: await taggedImage(99) },
    { name: 'paper.pdf', mimeType: 'application/pdf', buffer: makePdf(tags) },
  ]);
  // Cards at once, with type, size and page count.
  await page.locator(card('paper.pdf')).waitFor();
  assert.match(await page.locator(`${card('paper.pdf')} .card-meta`).innerText(), /KB · 5 pages/);
  assert.equal(await page.locator(`${card('paper.pdf')} .badge`).innerText(), 'PDF');
  assert.equal(await page.locator(`${card('photo.png')} .badge`).innerText(), 'Image');
  // Midway, then done: the bars reach 100 %.
  await page.locator(`${card('paper.pdf')}[data-status="processing"]`).waitFor({ timeout: 20_000 });
  await screenshot(page, 'upload-progress');
  for (const name of ['photo.png', 'paper.pdf']) {
    await page.locator(`${card(name)}[data-status="completed"] .bar[aria-valuenow="100"]`).waitFor({ timeout: 30_000 });
  }
  assert.equal(await page.locator(`${card('paper.pdf')} .card-progress`).innerText().then((s) => s.split(' · ')[0]), '5/5 pages');

  await page.locator(`${card('paper.pdf')} .act-view`).click();
  const body = page.locator('dialog.result .markdown-body');
  await body.locator('.katex-display').first().waitFor();
  assert.ok(await body.locator('.katex').count() >= 10, 'inline and display math of five pages');
  assert.equal(await body.locator('h1').first().innerText(), 'Page 100');
  await screenshot(page, 'result-rendered');

  // Page by page, and the raw Markdown.
  await page.locator('dialog.result .page-select').selectOption('3');
  assert.equal(await body.locator('h1').innerText(), 'Page 102');
  await page.locator('dialog.result .act-raw').click();
  assert.equal(await page.locator('dialog.result .raw-markdown').innerText(), stubMarkdown(102));

  const download = async (format: string) => {
    const [file] = await Promise.all([page.waitForEvent('download'), page.locator(`dialog.result .download-${format}`).click()]);
    return { name: file.suggestedFilename(), text: await readFile(await file.path(), 'utf8') };
  };
  const md = await download('md');
  assert.match(md.name, /^task_[0-9a-f-]{36}_result\.md$/);
  assert.ok(md.text.startsWith('# Task '), md.text.slice(0, 40));
  for (const tag of tags) assert.ok(md.text.includes(stubMarkdown(tag)), `page ${tag} in the MD export`);
  const json = JSON.parse((await download('json')).text) as { content: string; task_info: { page_results: unknown[] } };
  assert.equal(json.task_info.page_results.length, 5);
  assert.ok(json.content.includes('$E = mc^2$'));

  await page.keyboard.press('Escape');
  assert.equal(await page.locator('dialog.result[open]').count(), 0);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.context().close();
});
