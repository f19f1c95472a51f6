/** Turns a stored file and a page number into the image the model is sent. */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { PageWarning } from '../contract/index.js';
import type { PdfPool } from '../pdf/pool.js';
import { ACCEPTED_IMAGE_TYPES, type ImageInput } from '../vision/client.js';

// Each frame is decoded once: libvips's cache of operation results would only hold memory.
sharp.cache(false);

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
 * What the model is sent; `blank`: a PDF page with nothing on it, which the model need not see;
 * `warnings`: what was done to the file's image on its way (a photo turned upright).
 */
export interface PageImage extends ImageInput { blank: boolean; warnings: PageWarning[] }

const image = (data: Buffer, mimeType: string, warnings: PageWarning[] = []): PageImage => ({ data, mimeType, blank: false, warnings });

/** The EXIF (or TIFF) orientation of an image or frame: 1 is upright, 2–8 mirrored or turned. */
const orientationOf = async (filePath: string, page: number) => (await sharp(filePath, { page }).metadata()).orientation ?? 1;

/**
 * An image or frame decoded and turned as its orientation says (a phone photo stored sideways or
 * upside down: the model reads pixels as stored), then encoded: PNG losslessly, a JPEG at quality 95.
 */
async function decoded(filePath: string, page: number, as: 'png' | 'jpeg', orientation: number): Promise<PageImage> {
  const turned = sharp(filePath, { page }).rotate();
  const data = as === 'jpeg' ? await turned.jpeg({ quality: 95 }).toBuffer() : await turned.png().toBuffer();
  return image(data, `image/${as}`, orientation > 1 ? ['orientation_applied'] : []);
}

export async function loadPageImage(pdf: PdfPool, filePath: string, mimeType: string, pageNumber: number, dpi: number, signal: AbortSignal): Promise<PageImage> {
  try {
    // An uploaded image is sent as it is (someone chose to have it read), upright. A TIFF's page is
    // its frame (libvips decodes only that one, off the event loop, CMYK made RGB); GIF has no
    // orientation, and other types the model does not take are converted by mupdf.
    if (mimeType === 'image/tiff') return await decoded(filePath, pageNumber - 1, 'png', await orientationOf(filePath, pageNumber - 1));
    if (ACCEPTED_IMAGE_TYPES.has(mimeType)) {
      const orientation = mimeType === 'image/gif' ? 1 : await orientationOf(filePath, 0);
      if (orientation > 1) return await decoded(filePath, 0, mimeType === 'image/jpeg' ? 'jpeg' : 'png', orientation);
      return image(await readFile(filePath), mimeType);
    }
    if (mimeType !== 'application/pdf') return image(await pdf.convertImage(filePath, signal), 'image/png');
    const { png, blank } = await pdf.render(filePath, pageNumber, dpi, signal);
    return { data: png, mimeType: 'image/png', blank, warnings: [] };
  } catch (err) {
    if (signal.aborted) throw err;
    throw new UnreadablePageError(`the page could not be rendered (${(err as Error).message})`, { cause: err });
  }
}
