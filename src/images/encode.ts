/**
 * How every image the model is sent gets encoded, when it must be (a PDF page, a TIFF frame, a photo
 * turned upright): as IMAGE_FORMAT and JPEG_QUALITY say. Used by the render threads (PDF pages) and
 * by the page-image preparation (images), with libvips, whose encoders are native and run in its
 * own threads.
 */
import sharp from 'sharp';
import type { ImageFormat } from '../contract/index.js';

// Each image is encoded once: libvips's cache of operation results would only hold memory.
sharp.cache(false);
// One libvips thread per operation: pages are encoded side by side (one per render thread, PNG and
// JPEG at once), so more threads per operation would only add their buffers to the worker's memory.
sharp.concurrency(1);

/** IMAGE_FORMAT and JPEG_QUALITY (which WebP uses too). */
export interface ImageEncoding { format: ImageFormat; quality: number }

export interface EncodedImage { data: Buffer; mimeType: string }

/** Raw pixels, `channels` bytes each (1 grey, 2 grey and alpha, 3 RGB, 4 RGBA), rows top to bottom. */
export interface RawImage { pixels: Uint8Array; width: number; height: number; channels: 1 | 2 | 3 | 4 }

/**
 * JPEG as pages are sent: with ImageMagick's quantisation tables, tuned to how eyes see, and
 * progressive. Together they make a page 20 % smaller than libjpeg's defaults at the same quality
 * for a tenth more time; mozjpeg's trellis quantisation would take another 10 % off for ten times
 * the time (measured on A4 pages at 200 DPI, scanned and born-digital).
 */
const jpegOptions = (quality: number): sharp.JpegOptions => ({ quality, quantisationTable: 3, progressive: true });

/**
 * Encodes what the pipeline makes in the configured format. `auto` encodes both PNG and JPEG (at
 * once, in libvips's threads) and keeps the smaller: text on a clean page is smaller as lossless
 * PNG (a third of its JPEG), a scan or a photo as JPEG (a quarter of its PNG or less), and a
 * rule of thumb would get the pages between wrong.
 */
export async function encode(pipeline: sharp.Sharp, { format, quality }: ImageEncoding): Promise<EncodedImage> {
  if (format === 'auto') {
    const [png, jpeg] = await Promise.all([encode(pipeline.clone(), { format: 'png', quality }), encode(pipeline.clone(), { format: 'jpeg', quality })]);
    return jpeg.data.length < png.data.length ? jpeg : png;
  }
  const encoder = format === 'png' ? pipeline.png() : format === 'jpeg' ? pipeline.jpeg(jpegOptions(quality)) : pipeline.webp({ quality });
  return { data: await encoder.toBuffer(), mimeType: `image/${format}` };
}

export function encodePixels({ pixels, width, height, channels }: RawImage, encoding: ImageEncoding): Promise<EncodedImage> {
  let pipeline = sharp(pixels, { raw: { width, height, channels } });
  // Else libvips takes one channel for sRGB and writes three.
  if (channels <= 2) pipeline = pipeline.toColourspace('b-w');
  return encode(pipeline, encoding);
}
