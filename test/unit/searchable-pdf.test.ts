/**
 * The searchable PDF's parts: Markdown made plain text, and the layer as readers see it — every line
 * inside its page however much text there is, scripts beyond Latin extractable, a damaged PDF
 * written anew where an intact one is only appended to.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import * as mupdf from 'mupdf';
import { markdownToPlainText } from '../../src/export/plain-text.js';
import { writeSearchablePdf } from '../../src/export/searchable-pdf.js';
import { damagedPdf, makePdf } from '../helpers/pdfs.js';

const run = promisify(execFile);

test('Markdown becomes the text a reader sees: markup gone, words, lists, table rows and TeX kept', () => {
  const markdown = [
    '# Title with **bold** and `code`',
    'A line with $E = mc^2$ and [a link](https://example.com).\nIts second line.',
    '- one\n- two\n  1. nested',
    '| Region | Sales |\n|---|---|\n| North | 42 |',
    '$$\n\\frac{a}{b}\n$$',
    '![a chart](chart.png) 中文识别',
  ].join('\n\n');
  assert.equal(markdownToPlainText(markdown), [
    'Title with bold and code',
    '',
    'A line with E = mc^2 and a link.',
    'Its second line.',
    '',
    '- one',
    '- two',
    '  1. nested',
    '',
    'Region  Sales',
    'North  42',
    '',
    '\\frac{a}{b}',
    '',
    'a chart 中文识别',
  ].join('\n'));
  // Raw HTML is text like any other (the renderers never trust it either).
  assert.equal(markdownToPlainText('<b>bold</b>'), '<b>bold</b>');
});

async function layered(original: Buffer, pages: Array<{ pageNumber: number; markdown: string }>): Promise<{ file: string; bytes: Buffer }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ocr-searchable-'));
  const input = path.join(dir, 'in.pdf');
  const file = path.join(dir, 'out.pdf');
  await writeFile(input, original);
  await writeSearchablePdf({ path: input, mimeType: 'application/pdf', pages, outPath: file });
  return { file, bytes: await readFile(file) };
}

const pdftotext = async (file: string, page: number) =>
  (await run('pdftotext', ['-f', String(page), '-l', String(page), '-enc', 'UTF-8', file, '-'])).stdout;

test('a page of 400 long lines: every line inside the page, every word extracted, in order', async () => {
  const lines = Array.from({ length: 400 }, (_, i) => `Line ${i + 1} says something long enough to need wrapping across the width of an A4 page, twice over perhaps.`);
  const { file, bytes } = await layered(makePdf([1]), [{ pageNumber: 1, markdown: lines.join('\n\n') }]);
  const words = (await pdftotext(file, 1)).split(/\s+/).filter(Boolean);
  assert.deepEqual(words, lines.join(' ').split(' '));
  const page = mupdf.Document.openDocument(bytes, 'application/pdf').loadPage(0);
  const [, , width, height] = page.getBounds();
  const blocks = (JSON.parse(page.toStructuredText('preserve-whitespace').asJSON()) as { blocks: Array<{ bbox: { x: number; y: number; w: number; h: number } }> }).blocks;
  for (const { bbox } of blocks) assert.ok(bbox.x >= 0 && bbox.y >= 0 && bbox.x + bbox.w <= width + 0.5 && bbox.y + bbox.h <= height + 0.5, JSON.stringify(bbox));
});

test('Greek, Cyrillic, Japanese and Korean come out as they went in', async () => {
  const text = 'Αλφάβητο Кириллица 日本語のテキスト 한국어 텍스트';
  const { file } = await layered(makePdf([1]), [{ pageNumber: 1, markdown: text }]);
  assert.equal((await pdftotext(file, 1)).trim(), text);
});

test('an intact PDF is appended to; a damaged one (mupdf rebuilt its table) is written anew and reads the same', async () => {
  const intact = makePdf([1, 2]);
  const pages = [{ pageNumber: 2, markdown: 'Second page text' }];
  const appended = await layered(intact, pages);
  assert.ok(appended.bytes.subarray(0, intact.length).equals(intact));
  const damaged = damagedPdf([1, 2]);
  const rewritten = await layered(damaged, pages);
  assert.ok(!rewritten.bytes.subarray(0, damaged.length).equals(damaged));
  for (const { file } of [appended, rewritten]) {
    assert.equal((await pdftotext(file, 1)).trim(), '');
    assert.equal((await pdftotext(file, 2)).trim(), 'Second page text');
  }
});
