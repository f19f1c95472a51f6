/** A pool of worker threads for everything mupdf does: PDF inspection, page rendering, image conversion. */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { PageImageFormat } from '../contract/index.js';
import type { ImageEncoding } from '../images/encode.js';
import type { PageSize, PdfInspection } from './document.js';
import type { ImageInspection } from './images.js';
import type { PageDimensions, SearchablePdfRequest } from '../export/searchable-pdf.js';

// From dist/ the thread module is thread.js; from TypeScript source a bootstrap loads thread.ts.
const THREAD_FILE = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './thread-source.mjs' : './thread.js', import.meta.url));

export interface PdfPool {
  inspect(path: string): Promise<PdfInspection>;
  /** Whether mupdf reads the image's header (any format but WebP, which mupdf does not read). */
  inspectImage(path: string): Promise<ImageInspection>;
  /** One page (1-based) encoded for the model, and whether it is blank (then `data` is empty). */
  render(path: string, pageNumber: number, options: RenderOptions, signal?: AbortSignal): Promise<EncodedPage>;
  /** A page (1-based; an image's frame) as a person reviews it beside its text (thread.ts, preview). */
  preview(request: PreviewRequest, signal?: AbortSignal): Promise<Buffer>;
  /** Writes a task's searchable PDF to `request.outPath`; resolves to its size in bytes. */
  searchablePdf(request: SearchablePdfRequest, signal?: AbortSignal): Promise<number>;
  /** Each page of a stored file as displayed: a PDF's in points, an image's frames in pixels. */
  pageSizes(path: string, mimeType: string): Promise<PageDimensions[]>;
  /** PNG of an image in a format the model API does not take. */
  convertImage(path: string, signal?: AbortSignal): Promise<Buffer>;
  /**
   * Starts every thread and renders a small page on each (document.ts, warmUp), so the pages of a
   * task that is about to begin do not wait for threads to start and warm up. Cheap when they are.
   * Resolves to the number of threads it warmed.
   */
  warm(options: RenderOptions): Promise<number>;
  close(): Promise<void>;
}

/** How pages are drawn (PDF_DPI, IMAGE_MAX_SIDE) and encoded (IMAGE_FORMAT, JPEG_QUALITY). */
export interface RenderOptions extends PageSize { encoding: ImageEncoding }

/** Which page of which stored file, at what width and in which format. */
export interface PreviewRequest { path: string; mimeType: string; pageNumber: number; width: number; format: PageImageFormat }

/** A page as the model is sent it: `width` × `height` pixels, or nothing when blank. */
export interface EncodedPage {
  data: Buffer;
  mimeType: string;
  width: number;
  height: number;
  blank: boolean;
  /** Rendered below the asked DPI to keep within IMAGE_MAX_SIDE (or the memory bound). */
  downscaled: boolean;
}

/** mupdf's WebAssembly, compiled once per process and shared by every thread (see shared-wasm.ts). */
let mupdfWasm: WebAssembly.Module | undefined;
function compiledMupdf(): WebAssembly.Module {
  mupdfWasm ??= new WebAssembly.Module(readFileSync(new URL('mupdf-wasm.wasm', import.meta.resolve('mupdf'))));
  return mupdfWasm;
}

const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export interface PoolOptions {
  /**
   * A nice value for the threads (Linux lowers only the calling thread's priority): previews people
   * wait for a moment longer give way to the model's pages and to the API's event loop.
   */
  niceness?: number;
  /** How long an idle thread is kept, ms (default a minute). */
  idleTimeout?: number;
  /** Threads kept even when idle (default 1: the next job needs no start-up). */
  minThreads?: number;
}

export function createPdfPool(threads = availableParallelism(), { niceness, idleTimeout = 60_000, minThreads = 1 }: PoolOptions = {}): PdfPool {
  const pool = new Piscina({
    filename: THREAD_FILE,
    minThreads,
    maxThreads: threads,
    // Threads are cheap to keep but each holds a WASM heap: let idle ones go after a minute.
    idleTimeout,
    workerData: { mupdfWasm: compiledMupdf(), niceness },
  });
  return {
    inspect: (path) => pool.run({ path }, { name: 'inspect' }) as Promise<PdfInspection>,
    inspectImage: (path) => pool.run({ path }, { name: 'inspectImage' }) as Promise<ImageInspection>,
    render: async (path, pageNumber, { dpi, maxSide, encoding }, signal) => {
      const page = (await pool.run({ path, pageNumber, size: { dpi, maxSide }, encoding }, { name: 'render', signal })) as Omit<EncodedPage, 'data'> & { data: Uint8Array };
      return { ...page, data: toBuffer(page.data) };
    },
    preview: async (request, signal) => toBuffer((await pool.run(request, { name: 'preview', signal })) as Uint8Array),
    searchablePdf: (request, signal) => pool.run(request, { name: 'searchablePdf', signal }) as Promise<number>,
    pageSizes: (path, mimeType) => pool.run({ path, mimeType }, { name: 'pageSizes' }) as Promise<PageDimensions[]>,
    convertImage: async (path, signal) => toBuffer((await pool.run({ path }, { name: 'convertImage', signal })) as Uint8Array),
    // As many tasks at once as threads: Piscina starts a thread for a task that finds none free and
    // hands it the task queued for it, so each warms a thread of its own (test/unit/render.test.ts).
    warm: async ({ dpi, maxSide, encoding }) => {
      const warmed = await Promise.all(Array.from({ length: threads }, () => pool.run({ size: { dpi, maxSide }, encoding }, { name: 'warm' }) as Promise<number>));
      return warmed.reduce((a, b) => a + b, 0);
    },
    close: () => pool.destroy(),
  };
}
