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
import { damagedPdf, makePdf, pageTags } from '../helpers/pdfs.js';
import { getJson, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

let stack: Stack;
let browser: Browser;
before(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([
    startStack({ env: { BATCH_SIZE: '2', CONCURRENCY: '2', PDF_DPI: '72', TITLE: 'OCR test', MAX_IMAGE_SIZE_MB: '1', MAX_PDF_PAGES: '6', MODELS: 'stub-model,other-model' } }),
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
  for (const tag of tags.filter((t) => t !== 101)) stack.stub.script([{ kind: 'ok', delayMs: 300 }], tag);
  // Page 2's reply comes with an introduction: the service removes it and the viewer says so.
  stack.stub.script([{ kind: 'ok', delayMs: 300, content: `Sure! Here is the transcription:\n\n${stubMarkdown(101)}` }], 101);
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
  // A PDF opens on its first page, beside its image; "all pages" is its whole text.
  assert.equal(await page.locator('dialog.result .page-select').inputValue(), '1');
  assert.equal(await body.locator('h1').innerText(), 'Page 100');
  assert.equal(await page.locator('dialog.result .page-figure').isVisible(), true);
  await page.locator('dialog.result .page-select').selectOption('0');
  assert.ok(await body.locator('.katex').count() >= 10, 'inline and display math of five pages');
  assert.equal(await page.locator('dialog.result .page-figure').isHidden(), true);
  assert.equal(await body.locator('h1').first().innerText(), 'Page 100');
  await screenshot(page, 'result-rendered', { fullPage: false });

  // Page by page, and the raw Markdown.
  await page.locator('dialog.result .page-select').selectOption('2');
  assert.equal(await body.locator('h1').innerText(), 'Page 101', 'the introduction is gone');
  assert.equal(await page.locator('dialog.result .page-warnings').innerText(), "Done to this page: removed the model's introduction");
  await screenshot(page, 'result-page-warnings', { fullPage: false });
  await page.locator('dialog.result .page-select').selectOption('3');
  assert.equal(await body.locator('h1').innerText(), 'Page 102');
  assert.equal(await page.locator('dialog.result .page-warnings').count(), 0, 'nothing was done to page 3');
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

test('cancel a running PDF; retry the failed page of a partial one; delete a task', async () => {
  const hanging = pageTags(3, 200);
  for (const tag of hanging) stack.stub.script([{ kind: 'hang' }], tag);
  const partial = pageTags(3, 210);
  // Page 2 is refused the first time only (400 is permanent: the page fails at once).
  stack.stub.script([{ kind: 'status', status: 400, message: 'stub refused page 211' }], 211);
  const { page, dialogs, errors } = await openPage(browser, stack.api);
  await page.setInputFiles('input.file-input', [
    { name: 'long.pdf', mimeType: 'application/pdf', buffer: makePdf(hanging) },
    { name: 'flaky.pdf', mimeType: 'application/pdf', buffer: makePdf(partial) },
  ]);

  await page.locator(`${card('long.pdf')}[data-status="processing"]`).waitFor({ timeout: 20_000 });
  await page.locator(`${card('long.pdf')} .act-cancel`).click();
  await page.locator(`${card('long.pdf')}[data-status="cancelled"]`).waitFor({ timeout: 20_000 });
  assert.equal(await page.locator(`${card('long.pdf')} .act-cancel`).isHidden(), true);

  const flaky = page.locator(`${card('flaky.pdf')}[data-status="partial"]`);
  await flaky.waitFor({ timeout: 30_000 });
  assert.match(await flaky.locator('.card-progress').innerText(), /^3\/3 pages · 1 failed/);
  await screenshot(page, 'cancelled-and-partial');
  // The failed page is marked in the result, with its error.
  await flaky.locator('.act-view').click();
  await page.locator('dialog.result .result-notice').filter({ hasText: 'Pages that could not be recognised: 2' }).waitFor();
  await page.locator('dialog.result .page-select').selectOption('2');
  assert.match(await page.locator('dialog.result .page-error').innerText(), /^Page 2 could not be recognised: .*stub refused page 211/);
  await screenshot(page, 'result-failed-page', { fullPage: false });
  await page.locator('dialog.result .act-close').click();

  await flaky.locator('.act-retry').click();
  const done = page.locator(`${card('flaky.pdf')}[data-status="completed"]`);
  await done.waitFor({ timeout: 30_000 });
  assert.match(await done.locator('.card-progress').innerText(), /^3\/3 pages(?! · 1 failed)/);
  assert.equal(stack.stub.callsFor(210).length, 1, 'pages done before are not sent again');

  // Delete asks once more before it deletes.
  const taskId = await page.locator(card('long.pdf')).getAttribute('data-task-id');
  await page.locator(`${card('long.pdf')} .act-delete`).click();
  assert.equal(await page.locator(`${card('long.pdf')} .act-delete`).innerText(), 'Really delete?');
  await page.locator(`${card('long.pdf')} .act-delete`).click();
  await page.locator(card('long.pdf')).waitFor({ state: 'detached' });
  assert.equal((await getJson(`${stack.api}/api/tasks/${taskId}`)).status, 404);
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('a damaged PDF the service repaired says so on its card, live and in the history', async () => {
  const { page, errors } = await openPage(browser, stack.api);
  await page.locator('.live-status[data-state="open"]').waitFor();
  await page.setInputFiles('input.file-input', [{ name: 'damaged.pdf', mimeType: 'application/pdf', buffer: damagedPdf(pageTags(2, 150)) }]);
  const notice = 'The PDF was damaged and has been repaired to be read: some pages may be missing or wrong.';
  await page.locator(`${card('damaged.pdf')}[data-status="completed"]`).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator(`${card('damaged.pdf')} .card-notice`).innerText(), notice);
  await screenshot(page, 'repaired-pdf', { fullPage: false });
  await page.reload();
  const history = page.locator(`section.history ${card('damaged.pdf')}`);
  await history.waitFor();
  assert.equal(await history.locator('.card-notice').innerText(), notice);
  assert.equal(await page.locator(`section.history .card:not(${card('damaged.pdf')}) .card-notice:visible`).count(), 0, 'other tasks have no notice');
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('the options panel: pages, model, DPI and instructions go with the next uploads, show on their cards, and are remembered', async () => {
  const { page, errors } = await openPage(browser, stack.api);
  await page.locator('.live-status[data-state="open"]').waitFor();
  const panel = page.locator('details.options-panel');
  assert.equal(await panel.getAttribute('open'), null, 'collapsed at first');
  await panel.locator('summary').click();
  // The models come from GET /api/models.
  await panel.locator('select.opt-model option[value="other-model"]').waitFor({ state: 'attached' });
  assert.deepEqual(await panel.locator('select.opt-model option').allInnerTexts(), ['Default (stub-model)', 'stub-model', 'other-model']);
  await panel.locator('select.opt-model').selectOption('other-model');
  await panel.locator('input.opt-pages').fill('1');
  await panel.locator('input.opt-pages').dispatchEvent('change');
  await panel.locator('input.opt-dpi').fill('100');
  await panel.locator('input.opt-dpi').dispatchEvent('change');
  const instructions = 'Tables as <b>HTML</b>, please.';
  await panel.locator('textarea.opt-prompt').fill(instructions);
  await screenshot(page, 'options-panel', { fullPage: false });
  await page.setInputFiles('input.file-input', [{ name: 'with-options.pdf', mimeType: 'application/pdf', buffer: makePdf([160, 161]) }]);
  await page.locator(`${card('with-options.pdf')}[data-status="completed"]`).waitFor({ timeout: 30_000 });
  const [call] = stack.stub.callsFor(160);
  assert.equal(call!.model, 'other-model');
  assert.ok(call!.systemPrompt.endsWith(instructions));
  assert.deepEqual(call!.size, { width: 827, height: 1170 }, 'A4 at 100 DPI');
  assert.equal(stack.stub.callsFor(161).length, 0, 'only page 1 was chosen');
  const line = `pages 1 · other-model · 100 DPI · “${instructions}”`;
  assert.equal(await page.locator(`${card('with-options.pdf')} .card-options`).innerText(), line, 'shown as text, not HTML');
  // The same file with the same options again: its page is copied from the first task.
  await page.setInputFiles('input.file-input', [{ name: 'again.pdf', mimeType: 'application/pdf', buffer: makePdf([160, 161]) }]);
  await page.locator(`${card('again.pdf')}[data-status="completed"]`).waitFor({ timeout: 30_000 });
  await page.locator(`${card('again.pdf')} .card-progress`).filter({ hasText: '1 reused from earlier tasks' }).waitFor();
  assert.equal(stack.stub.callsFor(160).length, 1, 'not sent again');
  // Unless asked not to.
  await panel.locator('input.opt-fresh').check();
  await page.setInputFiles('input.file-input', [{ name: 'fresh.pdf', mimeType: 'application/pdf', buffer: makePdf([160, 161]) }]);
  await page.locator(`${card('fresh.pdf')}[data-status="completed"]`).waitFor({ timeout: 30_000 });
  assert.equal(stack.stub.callsFor(160).length, 2);
  assert.equal(await page.locator(`${card('fresh.pdf')} .card-options`).innerText(), `${line} · read afresh`);
  await panel.locator('input.opt-fresh').uncheck();
  await page.reload();
  await page.locator(`section.history ${card('with-options.pdf')} .card-options`).filter({ hasText: line }).waitFor();
  await page.locator('details.options-panel summary').click();
  await page.locator('select.opt-model option[value="other-model"]').waitFor({ state: 'attached' });
  assert.equal(await page.locator('select.opt-model').inputValue(), 'other-model', 'remembered');
  assert.equal(await page.locator('input.opt-dpi').inputValue(), '100');
  assert.equal(await page.locator('input.opt-pages').inputValue(), '1');
  assert.equal(await page.locator('textarea.opt-prompt').inputValue(), instructions);
  await page.locator('.act-reset-options').click();
  assert.equal(await page.locator('select.opt-model').inputValue(), '');
  await page.reload();
  assert.equal(await page.locator('textarea.opt-prompt').inputValue(), '', 'the reset is remembered too');
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('the history comes from the server: kept across reloads, paginated, filtered by status', async () => {
  // A stack of its own would be cleaner; this one has the tasks of the tests before, so count them.
  const ids: string[] = [];
  for (let i = 0; i < 11; i++) {
    const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(300 + i), `history-${i}.png`);
    ids.push(String(body.task_id));
  }
  stack.stub.script([{ kind: 'status', status: 400 }], 400);
  const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(400), 'broken.png');
  for (const id of [...ids, String(body.task_id)]) await waitForTask(stack, id);
  const { body: all } = await getJson<{ pagination: { total: number } }>(`${stack.api}/api/tasks?limit=1`);
  const total = all.pagination.total;

  const { page, errors } = await openPage(browser, stack.api);
  const history = page.locator('section.history');
  await history.locator('.card').first().waitFor();
  assert.equal(await history.locator('.card').count(), 10);
  assert.equal(await history.locator('.card .card-name').first().innerText(), 'broken.png', 'newest first');
  assert.equal(await history.locator('.page-info').innerText(), `Page 1 of ${Math.ceil(total / 10)} · ${total} tasks`);
  await history.locator('.act-next-page').click();
  await history.locator('.page-info').filter({ hasText: `Page 2 of` }).waitFor();
  assert.ok(!(await history.locator('.card-name').allInnerTexts()).includes('broken.png'));

  await history.locator('.status-filter').selectOption('failed');
  await history.locator(card('broken.png')).waitFor();
  const statuses = await Promise.all((await history.locator('.card').all()).map((c) => c.getAttribute('data-status')));
  assert.ok(statuses.length > 0 && statuses.every((s) => s === 'failed'), statuses.join());
  assert.match(await history.locator(`${card('broken.png')} .card-error`).innerText(), /400/);
  await screenshot(page, 'history-failed');

  await page.reload();
  await page.locator('section.history .card').first().waitFor();
  assert.equal(await page.locator('section.history .card').count(), 10);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('Chinese or English: follows the browser, switches, and remembers the choice', async () => {
  const { page, errors } = await openPage(browser, stack.api, { locale: 'zh-CN' });
  await page.locator('.drop-title').filter({ hasText: '拖放图片或 PDF 到这里' }).waitFor();
  assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
  await page.locator('section.history .card').first().waitFor();
  assert.equal(await page.locator('section.history .section-title').innerText(), '历史任务');
  assert.ok((await page.locator('section.history .card-status').allInnerTexts()).includes('已完成'));
  await screenshot(page, 'zh');

  await page.locator('.lang-select').first().selectOption('en');
  await page.locator('.drop-title').filter({ hasText: 'Drop images or PDFs here' }).waitFor();
  assert.ok((await page.locator('section.history .card-status').allInnerTexts()).includes('Completed'));
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  await page.reload();
  await page.locator('.drop-title').filter({ hasText: 'Drop images or PDFs here' }).waitFor();
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('a phone-sized screen in dark mode: nothing wider than the screen, the result full screen', async () => {
  const { page, errors } = await openPage(browser, stack.api, {
    locale: 'zh-CN', colorScheme: 'dark', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  await page.locator('section.history .card').first().waitFor();
  const widths = async () => JSON.parse(String(await page.evaluate('JSON.stringify([document.documentElement.scrollWidth, innerWidth])'))) as [number, number];
  const [scroll, inner] = await widths();
  assert.ok(scroll <= inner, `page is ${scroll}px wide on a ${inner}px screen`);
  assert.notEqual(await page.evaluate('getComputedStyle(document.body).backgroundColor'), 'rgb(245, 246, 248)', 'dark colours');
  await screenshot(page, 'phone-dark');
  await page.locator('section.history .card[data-status="completed"] .act-view').first().click();
  await page.locator('dialog.result .markdown-body .katex').first().waitFor();
  const box = await page.locator('dialog.result').boundingBox();
  assert.ok(box && box.width >= 389 && box.x <= 1, JSON.stringify(box));
  await screenshot(page, 'phone-dark-result', { fullPage: false });
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('files over the limits are refused in the browser, before any upload, with the server\'s own words', async () => {
  // A PNG signature followed by 1.5 MB: too large for MAX_IMAGE_SIZE_MB=1; 7 pages for MAX_PDF_PAGES=6.
  const bigImage = Buffer.concat([(await taggedImage(700)).subarray(0, 8), Buffer.alloc(1536 * 1024, 1)]);
  const longPdf = makePdf(pageTags(7, 710));
  const text = Buffer.from('not an image');
  const { body: before } = await getJson<{ pagination: { total: number } }>(`${stack.api}/api/tasks?limit=1`);
  const { page, errors } = await openPage(browser, stack.api, { locale: 'zh-CN' });
  await page.locator('.live-status[data-state="open"]').waitFor();
  await page.setInputFiles('input.file-input', [
    { name: 'big.png', mimeType: 'image/png', buffer: bigImage },
    { name: 'long.pdf', mimeType: 'application/pdf', buffer: longPdf },
    { name: 'notes.txt', mimeType: 'text/plain', buffer: text },
  ]);
  const refused = async (name: string) => {
    const found = page.locator(`.uploads ${card(name)}[data-status="refused"]`);
    await found.waitFor();
    return found.locator('.card-error').innerText();
  };
  const server = async (route: string, bytes: Buffer, name: string) => String((await postFile(`${stack.api}/api/async/${route}`, bytes, name)).body.detail);
  assert.equal(await refused('big.png'), await server('image', bigImage, 'big.png'));
  assert.equal(await refused('long.pdf'), await server('pdf', longPdf, 'long.pdf'));
  assert.equal(await refused('long.pdf'), 'PDF页数过多，最大支持6页 (the PDF has 7 pages)');
  assert.match(await refused('notes.txt'), /^不支持的文件类型/);
  assert.match(await page.locator(`${card('long.pdf')} .card-meta`).innerText(), /7 页/);
  await screenshot(page, 'refused-zh');
  const { body: after } = await getJson<{ pagination: { total: number } }>(`${stack.api}/api/tasks?limit=1`);
  assert.equal(after.pagination.total, before.pagination.total, 'nothing was uploaded');
  await page.locator('.uploads .act-clear').click();
  await page.locator('section.uploads').waitFor({ state: 'hidden' });
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('an image pasted from the clipboard becomes a task', async () => {
  const { page, errors } = await openPage(browser, stack.api);
  await page.locator('.live-status[data-state="open"]').waitFor();
  const png = (await taggedImage(800)).toString('base64');
  // What a browser hands the page when a screenshot is pasted: a paste event carrying a file.
  await page.evaluate(`(() => {
    const bytes = Uint8Array.from(atob(${JSON.stringify(png)}), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
  })()`);
  await page.locator(`.uploads ${card('image.png')}[data-status="completed"]`).waitFor({ timeout: 30_000 });
  assert.equal(stack.stub.callsFor(800).length, 1);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('keyboard only: reach the file picker, open a result, close it and land back where you were', async () => {
  const { page, errors } = await openPage(browser, stack.api);
  await page.locator('section.history .card[data-status="completed"]').first().waitFor();
  const focused = async () => String(await page.evaluate('document.activeElement?.className ?? ""'));
  let presses = 0;
  while (!(await focused()).includes('act-pick') && presses++ < 10) await page.keyboard.press('Tab');
  assert.match(await focused(), /act-pick/, 'Choose files is reachable with Tab');
  await screenshot(page, 'keyboard-focus', { fullPage: false });

  const view = page.locator('section.history .card[data-status="completed"] .act-view').first();
  await view.focus();
  await page.keyboard.press('Enter');
  await page.locator('dialog.result .markdown-body .katex').first().waitFor();
  assert.equal(await page.evaluate('Boolean(document.activeElement?.closest("dialog[open]"))'), true, 'focus moves into the dialog');
  await page.keyboard.press('Escape');
  await page.locator('dialog.result[open]').waitFor({ state: 'detached' });
  assert.match(await focused(), /act-view/, 'focus returns to the button that opened it');
  assert.deepEqual(errors, []);
  await page.context().close();
});
