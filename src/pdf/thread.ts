/**
 * Runs inside the pool's worker threads: mupdf work is CPU-bound and synchronous, so it must never
 * run on an event loop that also answers HTTP or sends Temporal heartbeats. A page is encoded here
 * too (by libvips, in its own threads): its pixels (4 MB for a grey A4 page at 200 DPI, 12 MB in
 * colour) never leave the thread, and no more pages are being encoded at once than there are
 * threads, which bounds the memory pages take however many wait for the model.
 */
// Must come first: it decides how the mupdf imported by the modules below gets its WebAssembly.
import './shared-wasm.js';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { workerData } from 'node:worker_threads';
import * as mupdf from 'mupdf';
import { Piscina } from 'piscina';
import { encodePixels, type ImageEncoding } from '../images/encode.js';
import { inspectPdf, openPdf, renderLoadedPage, warmUp, type PageSize, type PdfInspection, type PixelBuffer, type RenderedPage } from './document.js';
import { convertImageToPng, inspectImage as inspectImageBytes, type ImageInspection } from './images.js';
import type { EncodedPage, PreviewRequest } from './pool.js';
import { imageSource, uprightNeeds, uprightPipeline } from '../images/upright.js';
import { pageJpeg, renderScan } from './scanned.js';
import type { PageDimensions, SearchablePdfRequest } from '../export/searchable-pdf.js';

// On Linux a thread's own priority (pid 0 is the calling thread); elsewhere, or unpermitted, as it is.
const { niceness } = workerData as { niceness?: number };
if (niceness !== undefined) {
  try {
    setPriority(0, niceness);
  } catch {
    // runs at the normal priority
  }
}

// The pages of one batch usually come from the same file: keep the last few documents open.
const OPEN_DOCUMENTS = 3;
const documents = new Map<string, mupdf.Document>();

function documentFor(path: string): mupdf.Document {
  let doc = documents.get(path);
  if (doc) {
    documents.delete(path); // re-insert as most recently used
  } else {
    doc = openPdf(path);
    if (documents.size >= OPEN_DOCUMENTS) {
      const [oldestPath, oldest] = documents.entries().next().value!;
      documents.delete(oldestPath);
      oldest.destroy();
    }
  }
  documents.set(path, doc);
  return doc;
}

/** This thread has rendered a page (or warmUp's): its first-render costs are paid. */
let warmedUp = false;

/** Transfers the bytes to the caller instead of copying them. */
const move = (bytes: Uint8Array) => Piscina.move(bytes) as unknown as Uint8Array;

export function inspect({ path }: { path: string }): PdfInspection {
  return inspectPdf(path);
}

/**
 * Buffers reused for every page this thread renders (it renders one at a time, and is done with
 * them once the page is encoded): its pixels, and the JPEG of a scanned page (scanned.ts). A new
 * 3–12 MB array a page would be garbage that V8 collects late, up to a hundred MB of it per thread.
 */
function reusedBuffer(): PixelBuffer {
  let bytes = new Uint8Array(0);
  return (length) => {
    if (bytes.length < length) bytes = new Uint8Array(length);
    return bytes.subarray(0, length);
  };
}
const scratchBuffer = reusedBuffer();
const jpegBuffer = reusedBuffer();

/**
 * A loaded PDF page drawn at `size`: from its JPEG when it is a scan (scanned.ts), else by mupdf.
 * mupdf keeps what it loaded and decoded (images above all) in its store, up to 256 MB a thread, for
 * pages drawn again; ours are drawn once, and its WebAssembly memory never shrinks once grown. Shrunk
 * to a tenth after each page, a thread rendering a scanned PDF holds about 145 MB instead of 240, and
 * text pages render as fast as before (their fonts are small, and reloaded cheaply when evicted). A
 * scan's store holds only its JPEG as read (3 MB at 300 DPI), which libvips has drawn: it is emptied,
 * 6 MB less WebAssembly memory a thread over a 64-page scan.
 */
async function drawPage(loaded: mupdf.Page, size: PageSize): Promise<RenderedPage> {
  const scan = pageJpeg(loaded, jpegBuffer);
  const fromJpeg = scan && (await renderScan(loaded, scan, size));
  if (fromJpeg) {
    mupdf.emptyStore();
    return fromJpeg;
  }
  const page = renderLoadedPage(loaded, size, scratchBuffer);
  mupdf.shrinkStore(10);
  return page;
}

/** The page's bytes are copied to the caller (a few hundred KB: libvips's buffers cannot be moved). */
export async function render({ path, pageNumber, size, encoding }: { path: string; pageNumber: number; size: PageSize; encoding: ImageEncoding }): Promise<EncodedPage> {
  const loaded = documentFor(path).loadPage(pageNumber - 1);
  let page: RenderedPage;
  try {
    page = await drawPage(loaded, size);
  } finally {
    loaded.destroy();
  }
  warmedUp = true; // as warm as a warm-up would make it
  const { width, height, blank, downscaled } = page;
  // A blank page is not sent: nothing to encode.
  const { data, mimeType } = blank ? { data: Buffer.alloc(0), mimeType: 'image/png' } : await encodePixels(page, encoding);
  return { data, mimeType, width, height, blank, downscaled };
}

/**
 * Warms this thread once (see warmUp), its encoders too: 1 when it did, 0 when the thread was
 * warm already.
 */
export async function warm({ size, encoding }: { size: PageSize; encoding: ImageEncoding }): Promise<number> {
  if (warmedUp) return 0;
  warmedUp = true;
  await encodePixels(warmUp(size), encoding);
  return 1;
}

/** Previews of a page people look at, whatever the model was sent: WebP at this quality is sharp enough to read. */
const PREVIEW_QUALITY = 80;

/**
 * A page as the model saw it (upright, flattened, the same rendering) at `width` pixels across, for
 * a person to review beside its text: a PDF page is drawn at that width (sharper than the model's
 * copy scaled), an image is scaled down to it, never up.
 */
export async function preview({ path, mimeType, pageNumber, width, format }: PreviewRequest): Promise<Uint8Array> {
  const encoding = { format, quality: PREVIEW_QUALITY };
  if (mimeType === 'application/pdf') {
    const loaded = documentFor(path).loadPage(pageNumber - 1);
    let page: RenderedPage;
    try {
      const [x0, , x1] = loaded.getBounds();
      page = await drawPage(loaded, { dpi: (72 * width) / Math.max(1, x1 - x0), maxSide: 0 });
    } finally {
      loaded.destroy();
    }
    return (await encodePixels(page, encoding)).data;
  }
  // The frame the model saw, from the same source (formats libvips does not read converted by mupdf).
  const source = imageSource(path, mimeType, pageNumber) ?? { input: convertImageToPng(readFileSync(path)), page: 0 };
  const { background } = await uprightNeeds(source);
  const pipeline = uprightPipeline(source, background).resize({ width, withoutEnlargement: true });
  return format === 'png' ? pipeline.png().toBuffer() : pipeline.webp({ quality: PREVIEW_QUALITY }).toBuffer();
}

export function inspectImage({ path }: { path: string }): ImageInspection {
  return inspectImageBytes(readFileSync(path));
}

export function convertImage({ path }: { path: string }): Uint8Array {
  return move(new Uint8Array(convertImageToPng(readFileSync(path))));
}

/**
 * The searchable PDF's modules (markdown-it and KaTeX among them), loaded by the API's threads that
 * make one: the worker's render threads never do, and keep a few MB of heap each the lighter.
 */
const searchablePdfModule = () => import('../export/searchable-pdf.js');

/** A task's searchable PDF, written to `outPath` (export/searchable-pdf.ts); its size in bytes. */
export async function searchablePdf(request: SearchablePdfRequest): Promise<number> {
  return (await searchablePdfModule()).writeSearchablePdf(request);
}

export async function pageSizes(request: { path: string; mimeType: string }): Promise<PageDimensions[]> {
  return (await searchablePdfModule()).pageDimensions(request);
}
