/**
 * Runs inside the pool's worker threads: mupdf work is CPU-bound and synchronous, so it must never
 * run on an event loop that also answers HTTP or sends Temporal heartbeats.
 */
// Must come first: it decides how the mupdf imported by the modules below gets its WebAssembly.
import './shared-wasm.js';
import { readFileSync } from 'node:fs';
import * as mupdf from 'mupdf';
import { Piscina } from 'piscina';
import { inspectPdf, openPdf, renderPage, warmUp, type PageSize, type PdfInspection, type RenderedPage } from './document.js';
import { convertImageToPng, inspectImage as inspectImageBytes, type ImageInspection } from './images.js';

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

export function render({ path, pageNumber, size }: { path: string; pageNumber: number; size: PageSize }): RenderedPage {
  const page = renderPage(documentFor(path), pageNumber, size);
  warmedUp = true; // as warm as a warm-up would make it
  // mupdf keeps what it decoded (images above all) in its store, up to 256 MB a thread, for pages
  // drawn again; ours are drawn once. Shrunk to a tenth after each page, a thread rendering a scanned
  // PDF holds about 145 MB instead of 240, and text pages render as fast as before (their fonts are
  // small, and reloaded cheaply when evicted).
  mupdf.shrinkStore(10);
  // Its pixels (4 MB for a grey A4 page at 200 DPI, 12 MB in colour) move to the caller, uncopied.
  const transferable = { [Piscina.transferableSymbol]: [page.pixels.buffer], [Piscina.valueSymbol]: page };
  return Piscina.move(transferable as never) as unknown as RenderedPage;
}

/** Warms this thread once (see warmUp): 1 when it did, 0 when the thread was warm already. */
export function warm({ size }: { size: PageSize }): number {
  if (warmedUp) return 0;
  warmUp(size);
  warmedUp = true;
  return 1;
}

export function inspectImage({ path }: { path: string }): ImageInspection {
  return inspectImageBytes(readFileSync(path));
}

export function convertImage({ path }: { path: string }): Uint8Array {
  return move(new Uint8Array(convertImageToPng(readFileSync(path))));
}
