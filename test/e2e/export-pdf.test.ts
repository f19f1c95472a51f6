/**
 * GET /api/tasks/{id}/export?format=pdf: the original pages with an invisible text layer. Read back
 * by tools nobody here wrote: poppler's pdftotext and pdfinfo (page by page), mupdf, and Chromium's
 * own PDF viewer; the original's bytes stay a prefix of the export (an incremental update), a
 * retried page changes the ETag and the text, and an image task becomes a PDF of its frames.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as mupdf from 'mupdf';
import sharp from 'sharp';
import type { Browser } from 'playwright-core';
import { launchBrowser, openPage, screenshot } from '../helpers/browser.js';
import { eventually } from '../helpers/eventually.js';
import { testEnv } from '../helpers/env.js';
import { taggedImage } from '../helpers/images.js';
import type { StubAction } from '../helpers/model-stub.js';
import { makePdf } from '../helpers/pdfs.js';
import { postFile, startStack, waitForTask, type Stack } from '../helpers/stack.js';

const run = promisify(execFile);

let stack: Stack;
let browser: Browser;
before(async () => {
  [stack, browser] = await Promise.all([
    startStack({ env: { PDF_DPI: '72', BATCH_SIZE: '4', CONCURRENCY: '2', MAX_RETRIES: '3' } }),
    launchBrowser(),
  ]);
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function saved(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(testEnv.scratchDir, name);
  await writeFile(file, bytes);
  return file;
}

/** pdftotext of one page (1-based), whitespace collapsed. */
async function pageText(file: string, page: number): Promise<string> {
  const { stdout } = await run('pdftotext', ['-f', String(page), '-l', String(page), '-enc', 'UTF-8', file, '-']);
  return stdout.replace(/\s+/g, ' ').trim();
}

/** pdfinfo's page count and each page's size (points, as displayed) and rotation. */
async function pdfPages(file: string): Promise<string[]> {
  const { stdout } = await run('pdfinfo', ['-f', '1', '-l', '9999', file]);
  return stdout.split('\n').filter((line) => /^Page\s+\d+\s+(size|rot):/.test(line)).map((line) => line.replace(/\s+/g, ' ').replace(/ \(.*\)$/, ''));
}

const exportPdf = (id: string, headers: Record<string, string> = {}) => fetch(`${stack.api}/api/tasks/${id}/export?format=pdf`, { headers });

describe('a PDF in English and Chinese, with a failed page and a turned page', () => {
  const english = '# Quarterly report\n\nRevenue grew by **twelve** percent, see $E = mc^2$.\n\n| Region | Sales |\n|---|---|\n| North | 42 |';
  const chinese = '## 第二章 光学字符识别\n\n这是一段中文文本，用于测试可搜索的PDF。';
  const later = 'Appendix: zebra quokka';
  let id: string;
  let original: Buffer;
  let exported: Buffer;
  let file: string;
  let etag: string;

  before(async () => {
    const failing: StubAction = { kind: 'status', status: 502, message: 'bad gateway' };
    stack.stub.script([{ kind: 'ok', content: english }], 1601);
    stack.stub.script([{ kind: 'ok', content: chinese }], 1602);
    stack.stub.script([failing, failing, failing], 1603);
    // Turned, page 4's bars no longer read as its tag: the stub sees tag 0.
    stack.stub.script([{ kind: 'ok', content: later }], 0);
    // Page 4 is shown turned a quarter (its /Rotate): the layer must follow what a reader shows.
    const doc = new mupdf.PDFDocument(makePdf([1601, 1602, 1603, 1604]));
    doc.loadPage(3).getObject().put('Rotate', 90);
    original = Buffer.from(doc.saveToBuffer('').asUint8Array());
    const { status, body } = await postFile(`${stack.api}/api/async/pdf`, original, '季度 report.pdf');
    assert.equal(status, 200, JSON.stringify(body));
    id = String(body.task_id);
    assert.equal((await waitForTask(stack, id)).status, 'partial');
  });

  test('is a PDF download named after the upload, the original bytes followed by an update', async () => {
    const res = await exportPdf(id);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.match(res.headers.get('content-disposition') ?? '', /^attachment; filename="report.searchable.pdf"; filename\*=UTF-8''%E5%AD%A3%E5%BA%A6%20report.searchable.pdf$/);
    etag = res.headers.get('etag') ?? '';
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    exported = Buffer.from(await res.arrayBuffer());
    assert.equal(Number(res.headers.get('content-length')), exported.length);
    assert.ok(exported.length > original.length);
    assert.ok(exported.subarray(0, original.length).equals(original), 'the original is kept byte for byte');
    file = await saved(exported, `export-${id}.pdf`);
  });

  test('pdftotext finds each page\'s text on its page, and pdfinfo the original\'s pages and sizes', async () => {
    assert.deepEqual(await pdfPages(file), await pdfPages(await saved(original, `original-${id}.pdf`)));
    const [one, two, three, four] = await Promise.all([1, 2, 3, 4].map((n) => pageText(file, n)));
    assert.equal(one, 'Quarterly report Revenue grew by twelve percent, see E = mc^2. Region Sales North 42');
    assert.equal(two, '第二章 光学字符识别 这是一段中文文本，用于测试可搜索的PDF。');
    assert.equal(three, '', 'a failed page keeps its page, without text');
    assert.equal(four, later);
  });

  test('mupdf reads the layer inside the page, top down, and draws nothing of it', () => {
    const doc = mupdf.Document.openDocument(exported, 'application/pdf');
    assert.equal(doc.countPages(), 4);
    for (const n of [1, 4]) {
      const page = doc.loadPage(n - 1);
      const [, , width, height] = page.getBounds();
      const blocks = (JSON.parse(page.toStructuredText('preserve-whitespace').asJSON()) as { blocks: Array<{ bbox: { x: number; y: number; w: number; h: number } }> }).blocks;
      assert.ok(blocks.length > 0);
      for (const { bbox } of blocks) assert.ok(bbox.x >= 0 && bbox.y >= 0 && bbox.x + bbox.w <= width && bbox.y + bbox.h <= height, `page ${n}: ${JSON.stringify(bbox)} within ${width}×${height}`);
      assert.ok(blocks[0]!.bbox.y < height / 4, 'the first line is near the top of the page as shown');
    }
    // Drawn, the export's pages are the original's pixels: the layer is invisible.
    const before = mupdf.Document.openDocument(original, 'application/pdf');
    for (let i = 0; i < 4; i++) {
      const draw = (d: mupdf.Document) => d.loadPage(i).toPixmap(mupdf.Matrix.scale(0.5, 0.5), mupdf.ColorSpace.DeviceGray).getPixels();
      assert.deepEqual(draw(doc), draw(before), `page ${i + 1} looks the same`);
    }
  });

  test("Chromium's PDF viewer opens it with its four pages", async () => {
    const { page, context } = await openPage(browser, pathToFileURL(file).href);
    const viewer = await eventually(() => page.frames().find((f) => f.url().startsWith('chrome-extension://')), 'the PDF viewer');
    // '0' until the document is loaded.
    const pages = async () => Number(await viewer.locator('#pagelength').innerText().catch(() => '0')) || undefined;
    assert.equal(await eventually(pages, 'its page count'), 4);
    await screenshot(page, 'export-pdf', { fullPage: false });
    await context.close();
  });

  test('revalidates with its ETag; a retried page changes it and gets its text', async () => {
    const same = await exportPdf(id, { 'if-none-match': etag, 'cache-control': 'max-age=0' });
    assert.equal(same.status, 304);

    stack.stub.script([{ kind: 'ok', content: 'Recovered page three' }], 1603);
    assert.equal((await fetch(`${stack.api}/api/tasks/${id}/pages/3/retry`, { method: 'POST' })).status, 202);
    assert.equal((await waitForTask(stack, id)).status, 'completed');
    const res = await exportPdf(id, { 'if-none-match': etag, 'cache-control': 'max-age=0' });
    assert.equal(res.status, 200);
    assert.notEqual(res.headers.get('etag'), etag);
    const again = await saved(Buffer.from(await res.arrayBuffer()), `export-${id}-retried.pdf`);
    assert.equal(await pageText(again, 3), 'Recovered page three');
    assert.equal(await pageText(again, 2), '第二章 光学字符识别 这是一段中文文本，用于测试可搜索的PDF。');
  });
});

describe('image tasks', () => {
  test('a photo stored sideways becomes one upright page of it, with its text', async () => {
    const tag = 1610;
    stack.stub.script([{ kind: 'ok', content: 'Receipt total 42 元' }], tag);
    // 320×48 upright, stored turned with EXIF orientation 6 (as phones do).
    const sideways = await sharp(await taggedImage(tag, 'png', 320, 48)).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6, density: 144 }).toBuffer();
    const { body } = await postFile(`${stack.api}/api/async/image`, sideways, 'receipt.jpg');
    const id = String(body.task_id);
    assert.equal((await waitForTask(stack, id)).status, 'completed');
    const res = await exportPdf(id);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /filename="receipt.searchable.pdf"/);
    const file = await saved(Buffer.from(await res.arrayBuffer()), `image-${id}.pdf`);
    // 320×48 pixels at 144 DPI: 160×24 points, upright.
    assert.deepEqual(await pdfPages(file), ['Page 1 size: 160 x 24 pts', 'Page 1 rot: 0']);
    assert.equal(await pageText(file, 1), 'Receipt total 42 元');
  });

  test('a three-frame TIFF becomes three pages', async () => {
    const tags = [1621, 1622, 1623];
    for (const tag of tags) stack.stub.script([{ kind: 'ok', content: `Fax page ${tag}` }], tag);
    const frames = await Promise.all(tags.map((tag) => taggedImage(tag, 'png', 320, 48)));
    const tiff = await sharp(frames, { join: { animated: true } }).tiff().toBuffer();
    const { body } = await postFile(`${stack.api}/api/async/image`, tiff, 'fax.tiff');
    const id = String(body.task_id);
    assert.equal((await waitForTask(stack, id)).status, 'completed');
    const file = await saved(Buffer.from(await (await exportPdf(id)).arrayBuffer()), `tiff-${id}.pdf`);
    assert.equal((await pdfPages(file)).filter((line) => line.includes('size')).length, 3);
    assert.deepEqual(await Promise.all([1, 2, 3].map((n) => pageText(file, n))), tags.map((tag) => `Fax page ${tag}`));
  });
});

test('refusals: an unfinished task, an unknown format', async () => {
  stack.stub.script([{ kind: 'hang' }], 1630);
  const { body } = await postFile(`${stack.api}/api/async/image`, await taggedImage(1630), 'slow.png');
  const id = String(body.task_id);
  const res = await exportPdf(id);
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { code: string }).code, 'task_not_finished');
  const bad = await fetch(`${stack.api}/api/tasks/${id}/export?format=docx`);
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as { detail: string }).detail, /json, txt, md, html, pdf/);
  await fetch(`${stack.api}/api/tasks/${id}/cancel`, { method: 'POST' });
});
