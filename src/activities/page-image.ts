/** Turns a stored file and a page number into the image the model is sent. */
import { readFile } from 'node:fs/promises';
import { convertImageToPng } from '../pdf/images.js';
import { ACCEPTED_IMAGE_TYPES, type ImageInput } from '../vision/client.js';
import { VisionError } from '../vision/errors.js';

export async function loadPageImage(filePath: string, mimeType: string, pageNumber: number): Promise<ImageInput> {
  if (mimeType === 'application/pdf') {
    throw new Error(`PDF page rendering is not available in this build (page ${pageNumber})`);
  }
  const data = await readFile(filePath);
  if (ACCEPTED_IMAGE_TYPES.has(mimeType)) return { data, mimeType };
  try {
    return { data: convertImageToPng(data), mimeType: 'image/png' };
  } catch (err) {
    // The upload passed the magic-byte check but mupdf cannot decode it: no retry will help.
    throw new VisionError('bad_request', `the image could not be decoded (${(err as Error).message})`, undefined, { cause: err });
  }
}
