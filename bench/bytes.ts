/**
 * `npm run bench -- bytes`: what a page costs to send. For a scanned-like page, a page of text and a
 * page with a photo, each rendered at 200 DPI: the bytes of the lossless PNG sent before IMAGE_FORMAT
 * existed and of what is sent now, the time to render and encode it, and how much of the text a real
 * OCR engine (Debian's tesseract) reads the same from both.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as mupdf from 'mupdf';
import sharp from 'sharp';
import { loadPageImage } from '../src/activities/page-image.js';
import { createPdfPool, type RenderOptions } from '../src/pdf/pool.js';
import { makePdf, makeScanPdf } from '../test/helpers/pdfs.js';

const A4: [number, number, number, number] = [0, 0, 595, 842];

/** Tesseract, installed from Debian's packages when missing (the tests never need it). */
export function ensureTesseract(): void {
  try {
    execFileSync('tesseract', ['--version'], { stdio: 'ignore' });
  } catch {
    console.log('# installing tesseract-ocr (apt-get)');
    execFileSync('apt-get', ['install', '-y', '-q', 'tesseract-ocr'], { stdio: 'ignore' });
  }
}

/**
 * A page with a colour photo across its upper half (smooth shapes with grain, as a camera's JPEG
 * has, stored at 300 DPI) and a caption of text below it.
 */
async function photoPdf(): Promise<Buffer> {
  const [width, height] = [2480, 1750];
  const small = Buffer.alloc(62 * 44 * 3);
  for (let i = 0; i < small.length; i++) small[i] = Math.floor(Math.random() * 256);
  const photo = await sharp(small, { raw: { width: 62, height: 44, channels: 3 } })
    .resize(width, height, { kernel: 'cubic' }).blur(6).modulate({ saturation: 1.4 })
    .composite([{ input: { create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 10 } } }, blend: 'overlay' }])
    .jpeg({ quality: 85 }).toBuffer();
  const doc = new mupdf.PDFDocument();
  try {
    const font = doc.addSimpleFont(new mupdf.Font('Helvetica'));
    const image = doc.addImage(new mupdf.Image(photo));
    let caption = 'BT /F1 10 Tf 56 380 Td 13 TL\n';
    for (let i = 0; i < 24; i++) caption += `(Figure ${i + 1}: the quick brown fox jumps over the lazy dog near the river bank.) '\n`;
    caption += 'ET\n';
    const content = `q 483 0 0 341 56 440 cm /Im0 Do Q\n${caption}`;
    doc.insertPage(-1, doc.addPage(A4, 0, doc.addObject({ Font: { F1: font }, XObject: { Im0: image } }), content));
    return Buffer.from(doc.saveToBuffer('compress').asUint8Array());
  } finally {
    doc.destroy();
  }
}

/** The words tesseract reads from an image file, lowercased, without punctuation. */
function wordsIn(file: string): string[] {
  const text = execFileSync('tesseract', [file, 'stdout', '--psm', '3'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return text.toLowerCase().split(/\s+/).map((w) => w.replace(/[^\p{L}\p{N}]/gu, '')).filter(Boolean);
}

/** Share of the reference's words read the same from the other (as multisets). */
function agreement(reference: string[], other: string[]): number {
  const counts = new Map<string, number>();
  for (const w of other) counts.set(w, (counts.get(w) ?? 0) + 1);
  let same = 0;
  for (const w of reference) {
    const n = counts.get(w) ?? 0;
    if (n > 0) {
      same++;
      counts.set(w, n - 1);
    }
  }
  return reference.length === 0 ? 1 : same / Math.max(reference.length, other.length);
}

export interface BytesLine { kind: string; pngBytes: number; sentBytes: number; sentType: string; msPerPage: number; words: number; agreement: number }

const REPEATS = 5;

/** One line per page kind, measured with IMAGE_FORMAT auto at the default JPEG_QUALITY. */
export async function bytesFigures(options: RenderOptions): Promise<BytesLine[]> {
  ensureTesseract();
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'ocr-bytes-'));
  const pool = createPdfPool(1);
  try {
    const kinds: Array<[string, Buffer]> = [
      ['scanned', await makeScanPdf([1234])],
      ['text', makePdf([1234], { textLines: 40 })],
      ['photo', await photoPdf()],
    ];
    const lines: BytesLine[] = [];
    for (const [kind, pdf] of kinds) {
      const file = path.join(scratch, `${kind}.pdf`);
      await writeFile(file, pdf);
      const signal = new AbortController().signal;
      await loadPageImage(pool, file, 'application/pdf', 1, options, signal); // the thread warmed up, the file opened
      const started = performance.now();
      let sent = await loadPageImage(pool, file, 'application/pdf', 1, options, signal);
      for (let i = 1; i < REPEATS; i++) sent = await loadPageImage(pool, file, 'application/pdf', 1, options, signal);
      const msPerPage = (performance.now() - started) / REPEATS;
      // What was sent before: the same page as lossless PNG.
      const { data: png } = await pool.render(file, 1, { ...options, encoding: { format: 'png', quality: options.encoding.quality } }, signal);
      const pngFile = path.join(scratch, `${kind}-before.png`);
      const sentFile = path.join(scratch, `${kind}-sent.${sent.mimeType.slice('image/'.length)}`);
      await writeFile(pngFile, png);
      await writeFile(sentFile, sent.data);
      const reference = wordsIn(pngFile);
      lines.push({
        kind, pngBytes: png.length, sentBytes: sent.data.length, sentType: sent.mimeType, msPerPage,
        words: reference.length, agreement: agreement(reference, wordsIn(sentFile)),
      });
    }
    return lines;
  } finally {
    await pool.close();
    await rm(scratch, { recursive: true, force: true });
  }
}
