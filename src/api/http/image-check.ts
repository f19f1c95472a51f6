/**
 * Accepts or refuses an uploaded image before a task is made of it: a readable header, a sane size,
 * and its pages (a multi-page TIFF, a fax or a scanner's output, is a document of one page a frame).
 */
import { imageSizeFromFile } from 'image-size/fromFile';
import sharp from 'sharp';
import type { PdfPool } from '../../pdf/pool.js';
import { httpError } from './errors.js';

/**
 * The most pixels an image may have: 300 million, e.g. 20,000 × 15,000 (a panorama, a poster scan
 * at 600 DPI). Decoded it is 900 MB as RGB, as much as a worker should hold for one page; a larger
 * one is refused at upload instead of failing in the worker, as are headers that claim absurd sizes.
 */
export const IMAGE_MAX_PIXELS = 300_000_000;

const corrupt = (detail: string) =>
  httpError(400, 'image_corrupt', `图片文件损坏，无法读取 (the image could not be read: ${detail})`);

/**
 * Reads the image's header twice, cheaply and without decoding its pixels: its dimensions (image-size,
 * from the first bytes), then its structure (mupdf, which draws it in the worker: a broken JPEG
 * marker shows here). WebP, which mupdf does not read, is sent to the model as it is: its header
 * check is the first only. Answers the image's pages (its frames for a TIFF, else 1: an animated
 * GIF is read as its first frame) or throws the 400 for the problem.
 */
export async function checkImage(pdf: PdfPool, path: string, mimeType: string, maxPages: number): Promise<number> {
  let size: { width: number; height: number };
  try {
    size = await imageSizeFromFile(path);
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  const { width, height } = size;
  if (!(width > 0 && height > 0)) throw corrupt('its header gives no size');
  if (width * height > IMAGE_MAX_PIXELS) {
    throw httpError(400, 'image_too_large',
      `图片尺寸过大，最多${IMAGE_MAX_PIXELS / 1e6}百万像素 (the image is ${width} × ${height} pixels; at most ${IMAGE_MAX_PIXELS / 1e6} million are accepted)`);
  }
  if (mimeType !== 'image/webp') {
    const inspected = await pdf.inspectImage(path);
    if (!inspected.ok) throw corrupt(inspected.detail);
  }
  if (mimeType !== 'image/tiff') return 1;
  // The frames of a TIFF, from its directory of frames (libvips reads no pixels for this).
  const pages = (await sharp(path).metadata().catch((err: Error) => { throw corrupt(err.message); })).pages ?? 1;
  if (pages > maxPages) {
    throw httpError(400, 'image_too_many_pages', `TIFF页数过多，最大支持${maxPages}页 (the TIFF has ${pages} pages)`);
  }
  return pages;
}
