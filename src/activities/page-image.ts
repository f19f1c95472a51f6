/** Turns a stored file and a page number into the image the model is sent. */
import { readFile } from 'node:fs/promises';
import type { PdfPool } from '../pdf/pool.js';
import { ACCEPTED_IMAGE_TYPES, type ImageInput } from '../vision/client.js';
import { VisionError } from '../vision/errors.js';

export async function loadPageImage(pdf: PdfPool, filePath: string, mimeType: string, pageNumber: number, dpi: number, signal: AbortSignal): Promise<ImageInput> {
  if (ACCEPTED_IMAGE_TYPES.has(mimeType)) return { data: await readFile(filePath), mimeType };
  try {
    const data = mimeType === 'application/pdf'
      ? await pdf.render(filePath, pageNumber, dpi, signal)
      : await pdf.convertImage(filePath, signal);
    return { data, mimeType: 'image/png' };
  } catch (err) {
    if (signal.aborted) throw err;
    // The file passed the checks at upload but this page cannot be drawn: no retry will help.
    throw new VisionError('unreadable_page', `the page could not be rendered (${(err as Error).message})`, undefined, { cause: err });
  }
}
