/** Turns a stored file and a page number into the image the model is sent. */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { PdfPool } from '../pdf/pool.js';

// Each frame is decoded once: libvips's cache of operation results would only hold memory.
sharp.cache(false);
import { ACCEPTED_IMAGE_TYPES, type ImageInput } from '../vision/client.js';

/**
 * The file passed the checks at upload but this page cannot be drawn (or the image decoded): the
 * page fails at once, since no retry will help. Recorded with the error class `unreadable_page`.
 */
export class UnreadablePageError extends Error {
  readonly kind = 'unreadable_page';
  readonly scope = 'page';
  readonly attempts = 1;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UnreadablePageError';
  }
}

/** What the model is sent; `blank`: a PDF page with nothing on it, which the model need not see. */
export interface PageImage extends ImageInput { blank: boolean }

export async function loadPageImage(pdf: PdfPool, filePath: string, mimeType: string, pageNumber: number, dpi: number, signal: AbortSignal): Promise<PageImage> {
  // An uploaded image is sent as it is: someone chose to have it read.
  if (ACCEPTED_IMAGE_TYPES.has(mimeType)) return { data: await readFile(filePath), mimeType, blank: false };
  try {
    // A TIFF's page is its frame (libvips decodes only that one, off the event loop, colour spaces
    // such as CMYK made RGB); other types the model does not take are converted by mupdf.
    if (mimeType === 'image/tiff') return { data: await sharp(filePath, { page: pageNumber - 1 }).png().toBuffer(), mimeType: 'image/png', blank: false };
    if (mimeType !== 'application/pdf') return { data: await pdf.convertImage(filePath, signal), mimeType: 'image/png', blank: false };
    const { png, blank } = await pdf.render(filePath, pageNumber, dpi, signal);
    return { data: png, mimeType: 'image/png', blank };
  } catch (err) {
    if (signal.aborted) throw err;
    throw new UnreadablePageError(`the page could not be rendered (${(err as Error).message})`, { cause: err });
  }
}
