/**
 * PDFs made with mupdf for tests and benchmarks. Each page carries its tag as 16 bars across a strip
 * through the middle of the page (the same code images.ts draws), so the model stub can read which
 * page a rendered image came from; optional lines of text make rendering cost what a real page costs.
 */
import * as mupdf from 'mupdf';
import sharp from 'sharp';

const A4: [number, number, number, number] = [0, 0, 595, 842];

export interface PdfOptions {
  /** Lines of text per page (0 = bars only). */
  textLines?: number;
  /** mupdf save options, e.g. "encrypt=aes-256,user-password=u,owner-password=o". */
  save?: string;
}

function pageContent(tag: number, textLines: number): string {
  let content = '';
  if (textLines > 0) {
    content += 'BT /F1 10 Tf 56 800 Td 13 TL\n';
    for (let i = 0; i < textLines; i++) {
      if (i === 28) content += '0 -120 Td\n'; // skip over the bar strip
      content += `(Page ${tag}, line ${i + 1}: The quick brown fox jumps over the lazy dog; E = mc2, a2 + b2 = c2.) '\n`;
    }
    content += 'ET\n';
  }
  // The strip spans y 380..460, around the vertical middle (421) where the stub samples.
  for (let bar = 0; bar < 16; bar++) {
    if ((tag >> bar) & 1) content += `${(bar * 595) / 16} 380 ${595 / 16} 80 re f\n`;
  }
  return content;
}

/** A PDF with one page per tag, in order. */
export function makePdf(tags: number[], opts: PdfOptions = {}): Buffer {
  const doc = new mupdf.PDFDocument();
  try {
    const font = doc.addSimpleFont(new mupdf.Font('Helvetica'));
    for (const tag of tags) {
      const resources = doc.addObject({ Font: { F1: font } });
      doc.insertPage(-1, doc.addPage(A4, 0, resources, pageContent(tag, opts.textLines ?? 0)));
    }
    return Buffer.from(doc.saveToBuffer(opts.save ?? 'compress').asUint8Array());
  } finally {
    doc.destroy();
  }
}

/** Tags 1..n. */
export const pageTags = (n: number, first = 1) => Array.from({ length: n }, (_, i) => first + i);

export interface ScanOptions {
  /** Resolution of the scan, pixels per inch (a scanner's 300 by default). */
  dpi?: number;
  /** Lines of text on each page. */
  textLines?: number;
  /**
   * Grey levels of noise: `grain` for the paper's texture and the scanner's optics (noise blurred over
   * a couple of pixels, as a sensor behind a lens sees it), `speckle` for the sensor's noise pixel by pixel.
   */
  grain?: number;
  speckle?: number;
  /** How the page images are stored in the PDF: a JPEG at this quality (as scanners store them), or 'lossless'. */
  stored?: number | 'lossless';
}

/**
 * A scanned-looking PDF: each page one grey image of a page of makePdf (its tag bars included) on
 * grey paper, its text softened by the optics, with noise over all of it. The noise is random (made
 * once a PDF: its pages differ by their text), so the images are as costly to compress as a real
 * scan's. By default a page is stored as ~2.2 MB of JPEG, and rendered at 200 DPI it is ~1.9 MB of PNG.
 */
export async function makeScanPdf(tags: number[], opts: ScanOptions = {}): Promise<Buffer> {
  const { dpi = 300, textLines = 40, grain = 3, speckle = 1.5, stored = 95 } = opts;
  const source = mupdf.Document.openDocument(makePdf(tags, { textLines }), 'application/pdf');
  const doc = new mupdf.PDFDocument();
  let noiseField: Buffer | undefined;
  try {
    for (let i = 0; i < tags.length; i++) {
      const page = source.loadPage(i);
      const pixmap = page.toPixmap(mupdf.Matrix.scale(dpi / 72, dpi / 72), mupdf.ColorSpace.DeviceGray, false, true);
      const [width, height] = [pixmap.getWidth(), pixmap.getHeight()];
      const clean = Buffer.from(pixmap.getPixels());
      pixmap.destroy();
      page.destroy();
      const raw = { width, height, channels: 1 as const };
      // Ink at 30, paper at 225, the edges softened as a lens does.
      const softened = await sharp(clean, { raw }).linear(195 / 255, 30).blur(0.7).toColourspace('b-w').raw().toBuffer();
      noiseField ??= await noiseOf(width, height, grain, speckle);
      const scan = Buffer.alloc(width * height);
      for (let p = 0; p < scan.length; p++) scan[p] = Math.max(0, Math.min(255, softened[p]! + noiseField[p]! - 128));
      const grey = sharp(scan, { raw }).toColourspace('b-w');
      const encoded = await (stored === 'lossless' ? grey.png() : grey.jpeg({ quality: stored })).toBuffer();
      const image = doc.addImage(new mupdf.Image(encoded));
      const resources = doc.addObject({ XObject: { Im0: image } });
      doc.insertPage(-1, doc.addPage(A4, 0, resources, `q ${A4[2]} 0 0 ${A4[3]} 0 0 cm /Im0 Do Q`));
    }
    return Buffer.from(doc.saveToBuffer('compress').asUint8Array());
  } finally {
    doc.destroy();
    source.destroy();
  }
}

/** Grain (noise blurred over a couple of pixels) and speckle (pixel by pixel) around 128. */
async function noiseOf(width: number, height: number, grain: number, speckle: number): Promise<Buffer> {
  const raw = { width, height, channels: 1 as const };
  const grainField = await sharp(noise(width * height, grain * 2.2), { raw }).blur(1.2).toColourspace('b-w').raw().toBuffer();
  const specks = noise(width * height, speckle);
  for (let p = 0; p < specks.length; p++) specks[p] = Math.max(0, Math.min(255, grainField[p]! + specks[p]! - 128));
  return specks;
}

/** `n` grey levels around 128, normally distributed with standard deviation `sd` (Box–Muller). */
function noise(n: number, sd: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - Math.random()));
    const a = 2 * Math.PI * Math.random();
    out[i] = Math.max(0, Math.min(255, Math.round(128 + sd * r * Math.cos(a))));
    if (i + 1 < n) out[i + 1] = Math.max(0, Math.min(255, Math.round(128 + sd * r * Math.sin(a))));
  }
  return out;
}

/**
 * A PDF whose cross-reference offset points nowhere: readers (mupdf too) rebuild the table by
 * scanning the objects, and the pages are all there.
 */
export const damagedPdf = (tags: number[]): Buffer =>
  Buffer.from(makePdf(tags).toString('latin1').replace(/startxref\s+\d+/, 'startxref\n99999'), 'latin1');
