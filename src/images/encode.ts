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

/** Encodes the pipeline's image in one format (not auto). */
async function encodeAs(pipeline: sharp.Sharp, format: Exclude<ImageFormat, 'auto'>, quality: number): Promise<EncodedImage> {
  const encoder = format === 'png' ? pipeline.png() : format === 'jpeg' ? pipeline.jpeg(jpegOptions(quality)) : pipeline.webp({ quality });
  return { data: await encoder.toBuffer(), mimeType: `image/${format}` };
}

/** The share of the rows the estimate of `auto` encodes: a band across the middle of the image. */
const BAND_FRACTION = 1 / 8;
/** How many times smaller one format's band must be for `auto` to encode only that format. */
const CLEAR_WIN = 1.5;

function pipelineOf({ pixels, width, height, channels }: RawImage): sharp.Sharp {
  const pipeline = sharp(pixels, { raw: { width, height, channels } });
  // Else libvips takes one channel for sRGB and writes three.
  return channels <= 2 ? pipeline.toColourspace('b-w') : pipeline;
}

/**
 * Encodes raw pixels in the configured format. `auto` sends the smaller of PNG and JPEG: text on a
 * clean page is smaller as lossless PNG (half its JPEG), a scan or a photo as JPEG (a quarter of
 * its PNG or less), and a rule of thumb would get the pages between wrong. So both encode a band
 * across the middle of the image first (an eighth of its rows); a format whose band is less than
 * two thirds of the other's wins outright and only it encodes the whole image, otherwise both do
 * and the smaller is kept. A scanned page thus costs one JPEG and an eighth of a PNG, not a PNG
 * (four times the JPEG's time on noise) as well, and a page of text one PNG: rendering and encoding
 * a text page at 200 DPI went from 53–66 ms to 41 ms, a scan from 290 to 156 (bench/bytes.ts).
 */
export async function encodePixels(image: RawImage, { format, quality }: ImageEncoding): Promise<EncodedImage> {
  if (format !== 'auto') return encodeAs(pipelineOf(image), format, quality);
  const bandHeight = Math.max(1, Math.round(image.height * BAND_FRACTION));
  if (bandHeight < image.height) {
    const rowBytes = image.width * image.channels;
    const top = Math.floor((image.height - bandHeight) / 2);
    const band = { ...image, height: bandHeight, pixels: image.pixels.subarray(top * rowBytes, (top + bandHeight) * rowBytes) };
    const [png, jpeg] = await Promise.all([encodeAs(pipelineOf(band), 'png', quality), encodeAs(pipelineOf(band), 'jpeg', quality)]);
    if (png.data.length * CLEAR_WIN < jpeg.data.length) return encodeAs(pipelineOf(image), 'png', quality);
    if (jpeg.data.length * CLEAR_WIN < png.data.length) return encodeAs(pipelineOf(image), 'jpeg', quality);
  }
  const [png, jpeg] = await Promise.all([encodeAs(pipelineOf(image), 'png', quality), encodeAs(pipelineOf(image), 'jpeg', quality)]);
  return jpeg.data.length < png.data.length ? jpeg : png;
}
