/** Page rendering: resolution honoured, grey pages rendered grey, colour pages kept in colour; the thread pool warms each of its threads. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as mupdf from 'mupdf';
import sharp from 'sharp';
import { inspectPdf, openPdf, renderPage, type RenderedPage } from '../../src/pdf/document.js';
import { createPdfPool } from '../../src/pdf/pool.js';
import { readTag } from '../helpers/images.js';
import { makePdf } from '../helpers/pdfs.js';

async function pdfFile(bytes: Buffer): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'ocr-render-')), 'doc.pdf');
  await writeFile(file, bytes);
  return file;
}

/** One A4 page with a red rectangle: colour that must survive. */
function colourPdf(): Buffer {
  const doc = new mupdf.PDFDocument();
  doc.insertPage(-1, doc.addPage([0, 0, 595, 842], 0, doc.addObject({}), '1 0 0 rg 100 400 200 40 re f\n'));
  return Buffer.from(doc.saveToBuffer('').asUint8Array());
}

const PNG = { format: 'png', quality: 85 } as const;

/** The rendered pixels as a PNG, to read the tag from. */
const pngOf = ({ pixels, width, height, channels }: RenderedPage) => sharp(pixels, { raw: { width, height, channels } }).png().toBuffer();

test('A4 at 200 DPI is about 1654 × 2339, grey, and carries its page tag', async () => {
  const doc = openPdf(await pdfFile(makePdf([5, 77], { textLines: 10 })));
  try {
    const page = renderPage(doc, 2, { dpi: 200, maxSide: 0 });
    assert.deepEqual([page.width, page.height, page.channels, page.pixels.length], [1653, 2339, 1, 1653 * 2339]);
    assert.equal(await readTag(await pngOf(page)), 77);
    const small = renderPage(doc, 1, { dpi: 72, maxSide: 0 });
    assert.deepEqual([small.width, small.height], [595, 842]);
  } finally {
    doc.destroy();
  }
});

test('IMAGE_MAX_SIDE bounds the longer side of a rendered page, and says when it lowered the resolution', async () => {
  const doc = openPdf(await pdfFile(makePdf([9])));
  try {
    const within = renderPage(doc, 1, { dpi: 200, maxSide: 2560 });
    assert.deepEqual([within.height, within.downscaled], [2339, false], 'A4 at 200 DPI fits 2560');
    const bounded = renderPage(doc, 1, { dpi: 200, maxSide: 1024 });
    assert.deepEqual([bounded.height, bounded.downscaled], [1024, true]);
    assert.ok(Math.abs(bounded.width - (1024 * 595) / 842) < 1, `width ${bounded.width}: the page's proportions kept`);
    assert.equal(await readTag(await pngOf(bounded)), 9);
  } finally {
    doc.destroy();
  }
});

test('a page with colour is rendered in colour', async () => {
  const doc = openPdf(await pdfFile(colourPdf()));
  try {
    const { channels, pixels, width, height } = renderPage(doc, 1, { dpi: 100, maxSide: 0 });
    assert.deepEqual([channels, pixels.length], [3, width * height * 3]);
  } finally {
    doc.destroy();
  }
});

test('inspection counts pages and names the problem of a bad file', async () => {
  assert.deepEqual(inspectPdf(await pdfFile(makePdf([1, 2, 3]))), { ok: true, pageCount: 3, repaired: false });
  const locked = inspectPdf(await pdfFile(makePdf([1], { save: 'encrypt=aes-256,user-password=u,owner-password=o' })));
  assert.equal(locked.ok ? 'ok' : locked.problem, 'encrypted');
  const empty = inspectPdf(await pdfFile(makePdf([])));
  assert.equal(empty.ok ? 'ok' : empty.problem, 'no_pages');
  const junk = inspectPdf(await pdfFile(Buffer.from('%PDF-1.7\nnot really')));
  assert.equal(junk.ok ? 'ok' : junk.problem, 'corrupt');
});

test('warming the pool warms each thread not yet warm, each on its own, once', async () => {
  const pool = createPdfPool(2);
  try {
    const file = await pdfFile(makePdf([5]));
    // One render at a time runs on the pool's one thread so far, which it warms.
    assert.equal(await readTag((await pool.render(file, 1, { dpi: 72, maxSide: 0, encoding: PNG })).data), 5);
    assert.equal(await pool.warm({ dpi: 72, maxSide: 0, encoding: PNG }), 1, 'the second thread is started and warmed (the warm first one must not take both warm-ups)');
    assert.equal(await pool.warm({ dpi: 72, maxSide: 0, encoding: PNG }), 0, 'warm threads are not warmed again');
    assert.equal(await readTag((await pool.render(file, 1, { dpi: 72, maxSide: 0, encoding: PNG })).data), 5);
  } finally {
    await pool.close();
  }
});
