/** Blank pages, as rendered at 200 DPI: white, a grey scan with noise, a footer alone are blank; text is not. */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as mupdf from 'mupdf';
import { isBlankPage } from '../../src/pdf/blank.js';
import { openPdf, renderPage } from '../../src/pdf/document.js';
import { makePdf } from '../helpers/pdfs.js';

/** Deterministic pseudo-random numbers, so the noise is the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

/** A scanned blank page: grey paper, light speckle all over, a few dark dust specks. */
function scanNoise(): string {
  const next = random(7);
  let content = '0.92 g 0 0 595 842 re f\n';
  for (let i = 0; i < 3000; i++) content += `${(0.84 + next() * 0.12).toFixed(2)} g ${(next() * 595).toFixed(1)} ${(next() * 842).toFixed(1)} 1.2 1.2 re f\n`;
  for (let i = 0; i < 8; i++) content += `0.2 g ${(next() * 595).toFixed(1)} ${(next() * 842).toFixed(1)} 0.6 0.6 re f\n`;
  return content;
}

const text = (grey: number, size: number, x: number, y: number, words: string) => `${grey} g BT /F1 ${size} Tf ${x} ${y} Td (${words}) Tj ET\n`;

const PAGES: Record<string, string> = {
  white: '',
  'grey scan with noise': scanNoise(),
  'light footer only': text(0.55, 8, 180, 28, 'Confidential - Example Ltd - Page 3 of 10'),
  'page number only': text(0.3, 10, 290, 30, '17'),
  'one short faint line': text(0.6, 10, 56, 500, 'Note: see page 4.'),
  'a heading': text(0, 18, 56, 760, 'Chapter 2'),
};
const BLANK = new Set(['white', 'grey scan with noise', 'light footer only', 'page number only']);

async function renderAll(): Promise<Map<string, boolean>> {
  const doc = new mupdf.PDFDocument();
  const font = doc.addSimpleFont(new mupdf.Font('Helvetica'));
  for (const content of Object.values(PAGES)) doc.insertPage(-1, doc.addPage([0, 0, 595, 842], 0, doc.addObject({ Font: { F1: font } }), content));
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'ocr-blank-')), 'pages.pdf');
  await writeFile(file, doc.saveToBuffer('compress').asUint8Array());
  doc.destroy();
  const opened = openPdf(file);
  try {
    return new Map(Object.keys(PAGES).map((name, i) => [name, renderPage(opened, i + 1, { dpi: 200, maxSide: 0 }).blank]));
  } finally {
    opened.destroy();
  }
}

test('rendered pages: white, a noisy grey scan and a lone footer or page number are blank; a faint line or a heading is not', async () => {
  const blank = await renderAll();
  for (const name of Object.keys(PAGES)) assert.equal(blank.get(name), BLANK.has(name), name);
});

test('a page of text, and a page carrying only the test tag bars, are not blank', async () => {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'ocr-blank-')), 'text.pdf');
  await writeFile(file, makePdf([5, 6], { textLines: 40 }));
  const doc = openPdf(file);
  try {
    assert.equal(renderPage(doc, 1, { dpi: 200, maxSide: 0 }).blank, false);
  } finally {
    doc.destroy();
  }
  await writeFile(file, makePdf([1]));
  const bars = openPdf(file);
  try {
    assert.equal(renderPage(bars, 1, { dpi: 200, maxSide: 0 }).blank, false, 'one black bar across the middle');
  } finally {
    bars.destroy();
  }
});

test('the rule on raw pixels: colour pages use their grey level; light text on a dark page is ink too', () => {
  const [w, h] = [100, 100];
  const rgb = new Uint8Array(w * h * 3).fill(250);
  assert.equal(isBlankPage(rgb, w, h, 3), true);
  for (let x = 10; x < 60; x++) rgb.set([200, 0, 0], (50 * w + x) * 3); // a red stroke in the body
  assert.equal(isBlankPage(rgb, w, h, 3), false);
  const dark = new Uint8Array(w * h).fill(30);
  for (let x = 10; x < 60; x++) dark[50 * w + x] = 250;
  assert.equal(isBlankPage(dark, w, h, 1), false, 'a slide with white text on black');
  assert.equal(isBlankPage(new Uint8Array(w * h).fill(30), w, h, 1), true, 'an all-dark page');
});
