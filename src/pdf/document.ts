/**
 * PDF inspection and page rendering with mupdf. Documents are opened through a read-on-demand
 * stream over the file, so mupdf reads the cross-reference table and the objects of the pages it
 * needs, and a 200 MB PDF never sits in memory as a whole.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import * as mupdf from 'mupdf';
import { isBlankPage } from './blank.js';

export function openPdf(path: string): mupdf.Document {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const stream = new mupdf.Stream({
    fileSize: () => size,
    read: (memory, offset, length, position) => readSync(fd, memory, offset, length, position),
    close: () => closeSync(fd),
  });
  try {
    return mupdf.Document.openDocument(stream, 'application/pdf');
  } finally {
    // The document keeps its own reference to the stream; ours can go.
    stream.destroy();
  }
}

export type PdfInspection =
  | { ok: true; pageCount: number; repaired: boolean }
  | { ok: false; problem: 'corrupt' | 'encrypted' | 'no_pages'; detail: string };

/** What the API needs to accept or refuse an upload: can it be opened, is it locked, how many pages. */
export function inspectPdf(path: string): PdfInspection {
  let doc: mupdf.Document;
  try {
    doc = openPdf(path);
  } catch (err) {
    return { ok: false, problem: 'corrupt', detail: (err as Error).message };
  }
  try {
    if (doc.needsPassword()) return { ok: false, problem: 'encrypted', detail: 'the PDF needs a password to open' };
    const pageCount = doc.countPages();
    const repaired = doc.asPDF()?.wasRepaired() ?? false;
    // A file mupdf had to rebuild and still found no page in is damaged, not empty.
    if (pageCount === 0) return repaired ? { ok: false, problem: 'corrupt', detail: 'no page could be recovered' } : { ok: false, problem: 'no_pages', detail: 'the PDF has no pages' };
    // Loading the first and last page catches a page tree that points at missing objects.
    for (const index of new Set([0, pageCount - 1])) doc.loadPage(index).destroy();
    return { ok: true, pageCount, repaired };
  } catch (err) {
    return { ok: false, problem: 'corrupt', detail: (err as Error).message };
  } finally {
    doc.destroy();
  }
}

// Vision APIs scale large images down anyway (OpenAI to 2048 px); beyond this a poster-sized page
// would only cost memory (a 100-inch page at 200 DPI is a 1.2 GB pixmap).
const MAX_SIDE_PX = 5000;

// A channel difference above this on any pixel of the low-resolution probe means the page has colour.
// Grey anti-aliasing keeps channels equal, so black-and-white pages never trip it.
const COLOUR_THRESHOLD = 24;
const PROBE_DPI = 24;

/** The size of the colour probe for a page `width` × `height` points (or pixels at 72 DPI). */
export const colourProbeSize = (width: number, height: number) => ({ width: Math.max(1, Math.round((width * PROBE_DPI) / 72)), height: Math.max(1, Math.round((height * PROBE_DPI) / 72)) });

/** Whether the probe's pixels (`components` bytes each, RGB first) show any colour. */
export function probeShowsColour(pixels: Uint8Array | Uint8ClampedArray, components: number): boolean {
  for (let i = 0; i + 2 < pixels.length; i += components) {
    const r = pixels[i]!, g = pixels[i + 1]!, b = pixels[i + 2]!;
    if (Math.max(r, g, b) - Math.min(r, g, b) > COLOUR_THRESHOLD) return true;
  }
  return false;
}

/** Whether a page shows any colour, judged from a cheap low-resolution rendering. */
export function hasColour(page: mupdf.Page): boolean {
  const probe = page.toPixmap(mupdf.Matrix.scale(PROBE_DPI / 72, PROBE_DPI / 72), mupdf.ColorSpace.DeviceRGB, false, true);
  try {
    return probeShowsColour(probe.getPixels(), probe.getNumberOfComponents());
  } finally {
    probe.destroy();
  }
}

/**
 * A rendered page: its pixels (rows top to bottom, `channels` bytes a pixel: 1 grey, 3 RGB), for
 * images/encode.ts to encode (libvips: twice mupdf's speed, and a choice of formats), and whether
 * nothing is on it worth a model call (blank.ts).
 */
export interface RenderedPage {
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
  blank: boolean;
  /** Rendered below `dpi` to keep within `maxSide` (or the memory bound). */
  downscaled: boolean;
}

/** Where a page's pixels are copied: `length` bytes (by default a new array for each page). */
export type PixelBuffer = (length: number) => Uint8Array;

/** How a page is drawn: at `dpi`, its longer side at most `maxSide` pixels (IMAGE_MAX_SIDE; 0 = no bound). */
export interface PageSize { dpi: number; maxSide: number }

/**
 * Renders one page (1-based) at `dpi`, lowering the resolution only for pages that would be
 * larger than `maxSide` (or than the memory bound) at it.
 * Pages without colour are rendered in grey: the model sees the same page, rendering takes half the
 * time and its PNG is about 40 % smaller (measured on A4 text pages at 200 DPI).
 */
export function renderPage(doc: mupdf.Document, pageNumber: number, size: PageSize, buffer: PixelBuffer = (n) => new Uint8Array(n)): RenderedPage {
  const page = doc.loadPage(pageNumber - 1);
  try {
    return renderLoadedPage(page, size, buffer);
  } finally {
    page.destroy();
  }
}

/** How far a page is scaled from points to pixels: to `dpi`, unless that would exceed `maxSide` (or the memory bound). */
export function pageScale(page: mupdf.Page, { dpi, maxSide }: PageSize): { scale: number; downscaled: boolean } {
  const [x0, y0, x1, y1] = page.getBounds();
  const longestPt = Math.max(x1 - x0, y1 - y0, 1);
  const longestPx = Math.min(maxSide > 0 ? maxSide : MAX_SIDE_PX, MAX_SIDE_PX);
  const scale = Math.min(dpi / 72, longestPx / longestPt);
  return { scale, downscaled: scale < dpi / 72 };
}

/** The page's size in pixels at `scale`, rounded as mupdf rounds a pixmap's bounds. */
export function pixelSize(page: mupdf.Page, scale: number): { width: number; height: number } {
  const [x0, y0, x1, y1] = page.getBounds();
  return {
    width: Math.ceil(x1 * scale - 0.001) - Math.floor(x0 * scale + 0.001),
    height: Math.ceil(y1 * scale - 0.001) - Math.floor(y0 * scale + 0.001),
  };
}

/** renderPage for a page already loaded (which the caller destroys). */
export function renderLoadedPage(page: mupdf.Page, size: PageSize, buffer: PixelBuffer = (n) => new Uint8Array(n)): RenderedPage {
  const { scale, downscaled } = pageScale(page, size);
  const colorspace = hasColour(page) ? mupdf.ColorSpace.DeviceRGB : mupdf.ColorSpace.DeviceGray;
  const pixmap = page.toPixmap(mupdf.Matrix.scale(scale, scale), colorspace, false, true);
  try {
    const [width, height, channels] = [pixmap.getWidth(), pixmap.getHeight(), pixmap.getNumberOfComponents() as 1 | 3];
    // A view into mupdf's memory, copied out before the pixmap is freed.
    const view = pixmap.getPixels();
    const blank = isBlankPage(view, width, height, channels);
    const pixels = buffer(view.length);
    pixels.set(view);
    return { pixels, width, height, channels, blank, downscaled };
  } finally {
    pixmap.destroy();
  }
}

/**
 * A thread's first render is about three times slower than the next (mupdf's code tiers up, the
 * base-14 font is loaded, caches fill): rendering a small page of text once, on a new thread, moves
 * that cost out of the first real page's way.
 */
export function warmUp(size: PageSize): RenderedPage {
  const doc = new mupdf.PDFDocument();
  try {
    const font = doc.addSimpleFont(new mupdf.Font('Helvetica'));
    const text = Array.from({ length: 8 }, (_, i) => `(Line ${i + 1}: The quick brown fox jumps over the lazy dog, 0123456789.) '`).join('\n');
    doc.insertPage(-1, doc.addPage([0, 0, 298, 210], 0, doc.addObject({ Font: { F1: font } }), `BT /F1 9 Tf 20 190 Td 11 TL\n${text}\nET`));
    return renderPage(doc, 1, size);
  } finally {
    doc.destroy();
  }
}
