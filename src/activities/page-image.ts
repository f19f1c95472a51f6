/** Turns a stored file and a page number into the image the model is sent. */
import { readFile } from 'node:fs/promises';
import type { PageWarning } from '../contract/index.js';
import { encodePixels } from '../images/encode.js';
import { ACCEPTED_IMAGE_TYPES, imageSource, uprightNeeds, uprightPipeline, type Source } from '../images/upright.js';
import type { PdfPool, RenderOptions } from '../pdf/pool.js';
import type { ImageInput } from '../vision/client.js';

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

/**
 * What the model is sent, `width` × `height` pixels; `blank`: a PDF page with nothing on it, which
 * the model need not see (and is not encoded: `data` is empty); `warnings`: what was done to the
 * file's image on its way (a photo turned upright).
 */
export interface PageImage extends ImageInput { width: number; height: number; blank: boolean; warnings: PageWarning[] }

/**
 * An image or frame as the model should see it: turned upright as its orientation says (a phone
 * photo stored sideways or upside down: the model reads pixels as stored), set on an opaque
 * background when it has transparency, and scaled down to `maxSide` on its longer side when larger
 * (IMAGE_MAX_SIDE: model services scale larger images down anyway, or refuse them), then encoded.
 * `sendable`: the file as it is, when it needs none of this (an upload in a type the model takes; a
 * TIFF frame, an image mupdf converted, are always encoded).
 */
async function prepared(source: Source, { maxSide, encoding }: RenderOptions, sendable?: { data: () => Promise<Buffer>; mimeType: string }): Promise<PageImage> {
  const { background, ...needs } = await uprightNeeds(source);
  const downscale = maxSide > 0 && Math.max(needs.width, needs.height) > maxSide;
  if (sendable && needs.orientation <= 1 && background === undefined && !downscale) {
    return { data: await sendable.data(), mimeType: sendable.mimeType, width: needs.width, height: needs.height, blank: false, warnings: [] };
  }
  let pipeline = uprightPipeline(source, background);
  if (downscale) pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: 'inside' });
  // Encoded from pixels made once: each encoding would otherwise decode the file again.
  const { data: pixels, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const warnings: PageWarning[] = [];
  if (needs.orientation > 1) warnings.push('orientation_applied');
  if (background !== undefined) warnings.push('alpha_flattened');
  if (downscale) warnings.push('downscaled');
  const encoded = await encodePixels({ pixels, width: info.width, height: info.height, channels: info.channels }, encoding);
  return { ...encoded, width: info.width, height: info.height, blank: false, warnings };
}

/** `options`: the PDF resolution, IMAGE_MAX_SIDE and the encoding. */
export async function loadPageImage(pdf: PdfPool, filePath: string, mimeType: string, pageNumber: number, options: RenderOptions, signal: AbortSignal): Promise<PageImage> {
  try {
    // An uploaded image is sent as it is (someone chose to have it read), but upright, opaque and
    // no larger than IMAGE_MAX_SIDE. A TIFF's page is its frame (libvips decodes only that one, off
    // the event loop, CMYK made RGB); other types the model does not take are converted by mupdf.
    if (mimeType !== 'application/pdf') {
      const source = imageSource(filePath, mimeType, pageNumber) ?? { input: await pdf.convertImage(filePath, signal), page: 0 };
      return await prepared(source, options, ACCEPTED_IMAGE_TYPES.has(mimeType) ? { data: () => readFile(filePath), mimeType } : undefined);
    }
    const { downscaled, ...page } = await pdf.render(filePath, pageNumber, options, signal);
    return { ...page, warnings: downscaled ? ['downscaled'] : [] };
  } catch (err) {
    if (signal.aborted) throw err;
    throw new UnreadablePageError(`the page could not be rendered (${(err as Error).message})`, { cause: err });
  }
}
