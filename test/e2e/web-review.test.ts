/**
 * Reviewing a result in Chromium: each page's image beside its text, the thumbnail strip with
 * statuses, keyboard paging, search that jumps to the page with the match, retrying a failed page
 * from the viewer, the HTML download, and the phone layout. The real stack; only the model is the stub.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { ensureWebBuilt, launchBrowser, openPage, screenshot } from '../helpers/browser.js';
import { stubMarkdown } from '../helpers/model-stub.js';
import { makePdf, pageTags } from '../helpers/pdfs.js';
import { eventually, postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

const FIRST = 1001;
const tags = pageTags(30, FIRST);
/** Page 17's text alone holds this word. */
const WORD = 'photosynthesis';
const answer = (tag: number) => (tag === FIRST + 16 ? `${stubMarkdown(tag)}\n\nOnly this page mentions ${WORD}, and ${WORD.toUpperCase()} twice.` : stubMarkdown(tag));

let stack: Stack;
let browser: Browser;
let taskId: string;
before(async () => {
  await ensureWebBuilt();
  [stack, browser] = await Promise.all([
    startStack({ env: { MAX_RETRIES: '2', PDF_DPI: '100' }, stub: { answer } }),
    launchBrowser(),
  ]);
  // Page 5 fails (both attempts): the task is partial.
  stack.stub.script([{ kind: 'status', status: 502 }, { kind: 'status', status: 502 }], FIRST + 4);
  const { body } = await postFile(`${stack.api}/api/async/pdf`, makePdf(tags, { textLines: 12 }), 'thirty.pdf');
  taskId = body.task_id as string;
  assert.equal((await waitForTask(stack, taskId, 60_000)).status, 'partial');
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

const card = (name: string) => `.card:has(.card-name:text-is("${name}"))`;
const shownPage = async (page: Page) => Number(await page.locator('dialog.result .page-select').inputValue());
/** The tag the page image shows, read in the browser from its pixels (16 bars, as the stub reads them). */
async function imageTag(page: Page): Promise<number> {
  // A string: this program is type-checked without the DOM's types.
  return page.evaluate(`(async () => {
    const img = document.querySelector('dialog.result .page-image');
    await img.decode();
    const canvas = document.createElement('canvas');
    [canvas.width, canvas.height] = [img.naturalWidth, img.naturalHeight];
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const y = Math.floor(canvas.height / 2);
    let tag = 0;
    for (let bar = 0; bar < 16; bar++) {
      const x = Math.floor(((bar + 0.5) * canvas.width) / 16);
      if (g.getImageData(x, y, 1, 1).data[0] < 128) tag |= 1 << bar;
    }
    return tag;
  })()`);
}

async function openResult(page: Page) {
  await page.locator(`${card('thirty.pdf')} .act-view`).click();
  await page.locator('dialog.result .markdown-body h1').waitFor();
}

test('side by side: the page image beside its text, 30 thumbnails with the failed one marked, paging by keyboard and strip', async () => {
  const { page, dialogs, errors } = await openPage(browser, stack.api);
  await openResult(page);
  const dialog = page.locator('dialog.result');
  assert.equal(await shownPage(page), 1);
  assert.equal(await dialog.locator('.markdown-body h1').innerText(), `Page ${FIRST}`);
  assert.equal(await imageTag(page), FIRST);
  // Image and text side by side: the figure's box is left of the text's, at the same height.
  const [figure, text] = await Promise.all([dialog.locator('.page-figure').boundingBox(), dialog.locator('.result-body').boundingBox()]);
  assert.ok(figure && text && figure.x + figure.width <= text.x + 1 && Math.abs(figure.y - text.y) < 2, JSON.stringify({ figure, text }));
  const image = (await dialog.locator('.page-image').getAttribute('src'))!;
  assert.match(image, new RegExp(`/api/tasks/${taskId}/pages/1/image\\?width=1000$`));

  const thumbs = dialog.locator('.page-strip .thumb');
  assert.equal(await thumbs.count(), 30);
  assert.equal(await dialog.locator('.page-strip .thumb.failed').count(), 1);
  assert.equal(await dialog.locator('.page-strip .thumb.failed').getAttribute('data-page'), '5');
  assert.equal(await dialog.locator('.page-strip .thumb[aria-current="page"]').getAttribute('data-page'), '1');
  // The visible thumbnails have loaded their images.
  await eventually(async () => (await page.evaluate("[...document.querySelectorAll('dialog.result .thumb img')].slice(0, 3).every((img) => img.complete && img.naturalWidth > 0)")) || undefined, 'the first thumbnails loaded');
  await screenshot(page, 'review-side-by-side', { fullPage: false });

  // → and ← page through, image and text together.
  await dialog.locator('.result-body').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await shownPage(page), 3);
  assert.equal(await dialog.locator('.markdown-body h1').innerText(), `Page ${FIRST + 2}`);
  assert.equal(await imageTag(page), FIRST + 2);
  assert.equal(await dialog.locator('.page-strip .thumb[aria-current="page"]').getAttribute('data-page'), '3');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await shownPage(page), 2);
  // A thumbnail far down the strip.
  await thumbs.nth(24).click();
  assert.equal(await shownPage(page), 25);
  assert.equal(await imageTag(page), FIRST + 24);
  // The failed page says why, beside its image.
  await dialog.locator('.page-strip .thumb.failed').click();
  assert.match(await dialog.locator('.page-error').innerText(), /^Page 5 could not be recognised: .*502/);
  assert.equal(await imageTag(page), FIRST + 4);
  await screenshot(page, 'review-failed-page', { fullPage: false });
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('search: the count, the matches highlighted, next and previous, and a jump to page 17', async () => {
  const { page, errors } = await openPage(browser, stack.api);
  await openResult(page);
  const dialog = page.locator('dialog.result');
  await dialog.locator('.search-input').fill(WORD);
  await dialog.locator('.search-count').filter({ hasText: '1 of 2' }).waitFor();
  assert.equal(await shownPage(page), 17, 'jumped to the page with the word');
  assert.equal(await imageTag(page), FIRST + 16);
  const marks = dialog.locator('.markdown-body mark.search-hit');
  assert.deepEqual(await marks.allInnerTexts(), [WORD, WORD.toUpperCase()]);
  assert.equal(await dialog.locator('.markdown-body mark.search-hit.current').innerText(), WORD);
  await screenshot(page, 'review-search', { fullPage: false });
  await dialog.locator('.act-next-hit').click();
  assert.equal(await dialog.locator('.search-count').innerText(), '2 of 2');
  assert.equal(await dialog.locator('.markdown-body mark.search-hit.current').innerText(), WORD.toUpperCase());
  await dialog.locator('.search-input').press('Enter');
  assert.equal(await dialog.locator('.search-count').innerText(), '1 of 2', 'wraps round');

  // A word on every page: 30 - 1 failed = 29 pages; the next match after the last page's is page 1's.
  await dialog.locator('.search-input').fill('Tagged image');
  await dialog.locator('.search-count').filter({ hasText: /of 29$/ }).waitFor();
  assert.equal(await shownPage(page), 17, 'the first match from the page shown');
  await dialog.locator('.act-prev-hit').click();
  assert.equal(await shownPage(page), 16);
  // Inside formulas is not a match (KaTeX's glyphs would double every one).
  await dialog.locator('.search-input').fill('mc');
  await dialog.locator('.search-count').filter({ hasText: 'No matches' }).waitFor();
  // In the raw Markdown it is.
  await dialog.locator('.act-raw').click();
  await dialog.locator('.search-count').filter({ hasText: /of 29$/ }).waitFor();
  assert.ok(await dialog.locator('.raw-markdown mark.search-hit').count() >= 1);
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('retry the failed page from the viewer: it is read again and shown, the counts and the card follow; HTML download', async () => {
  const { page, errors } = await openPage(browser, stack.api);
  await openResult(page);
  const dialog = page.locator('dialog.result');
  await dialog.locator('.page-strip .thumb[data-page="5"]').click();
  const retry = dialog.locator('.act-retry-page');
  assert.equal(await retry.innerText(), 'Retry this page');
  await retry.click();
  await dialog.locator('.page-retrying').waitFor();
  // The new result arrives in the open viewer, on the same page.
  await dialog.locator('.markdown-body h1').filter({ hasText: `Page ${FIRST + 4}` }).waitFor({ timeout: 30_000 });
  assert.equal(await shownPage(page), 5);
  assert.equal(await dialog.locator('.page-strip .thumb.failed').count(), 0);
  assert.equal(await dialog.locator('.result-notice').isHidden(), true);
  assert.equal(await dialog.locator('.act-retry-page').innerText(), 'Read this page again');
  const [file] = await Promise.all([page.waitForEvent('download'), dialog.locator('.download-html').click()]);
  assert.equal(file.suggestedFilename(), 'thirty.html');
  // The searchable PDF of the same result, with the retried page's text on its page.
  const [pdf] = await Promise.all([page.waitForEvent('download'), dialog.locator('.download-pdf').click()]);
  assert.equal(pdf.suggestedFilename(), 'thirty.searchable.pdf');
  const { stdout } = await promisify(execFile)('pdftotext', ['-f', '5', '-l', '5', await pdf.path(), '-']);
  assert.match(stdout, new RegExp(`Page ${FIRST + 4}`));
  await page.keyboard.press('Escape');
  await page.locator(`${card('thirty.pdf')}[data-status="completed"]`).waitFor();
  assert.deepEqual(errors, []);
  await page.context().close();
});

test('a phone: thumbnails in a row, the image above its text, nothing wider than the screen; in Chinese', async () => {
  const { page, errors } = await openPage(browser, stack.api, {
    locale: 'zh-CN', colorScheme: 'dark', viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  });
  await openResult(page);
  const dialog = page.locator('dialog.result');
  const [strip, figure, text] = await Promise.all(['.page-strip', '.page-figure', '.result-body'].map((s) => dialog.locator(s).boundingBox()));
  assert.ok(strip && figure && text, 'all three shown');
  assert.ok(strip.y + strip.height <= figure.y + 1 && figure.y + figure.height <= text.y + 1, JSON.stringify({ strip, figure, text }));
  assert.ok(text.width >= 380, `the text is as wide as the screen (${text.width})`);
  const widths = JSON.parse(String(await page.evaluate('JSON.stringify([document.documentElement.scrollWidth, innerWidth])'))) as [number, number];
  assert.ok(widths[0] <= widths[1], `page is ${widths[0]}px wide on a ${widths[1]}px screen`);
  assert.equal(await dialog.locator('.search-input').getAttribute('placeholder'), '在结果中搜索');
  // 390 px at twice the density: the 1000 px image is enough (the 2000 px one is for wide, dense screens).
  await eventually(async () => (await page.evaluate(`(() => {
    const img = document.querySelector('dialog.result .page-image');
    return img?.complete && img.naturalWidth > 0 && img.currentSrc.endsWith('width=1000');
  })()`)) || undefined, 'the 1000 px page image');
  await screenshot(page, 'review-phone', { fullPage: false });
  assert.deepEqual(errors, []);
  await page.context().close();
});
