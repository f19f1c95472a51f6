/**
 * What an uploaded image needs before anyone looks at it as a page: its orientation, whether it has
 * transparency and on what to flatten it. The model's copy (activities/page-image.ts) and the page
 * previews (pdf/thread.ts) decide it the same way, so a person reviews what the model saw.
 */
import sharp from 'sharp';

/** Image types OpenAI-compatible vision APIs accept as data URLs (and libvips reads); others are converted to PNG first. */
export const ACCEPTED_IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/gif']);

/** An image file, or one mupdf converted; and which of its frames. */
export interface Source { input: string | Buffer; page: number }

/**
 * Where page `pageNumber` of a stored image is, for libvips: a TIFF's page is its frame, an
 * accepted type is its first frame; undefined for a type mupdf must convert first (BMP…).
 */
export function imageSource(path: string, mimeType: string, pageNumber: number): Source | undefined {
  if (mimeType === 'image/tiff') return { input: path, page: pageNumber - 1 };
  return ACCEPTED_IMAGE_TYPES.has(mimeType) ? { input: path, page: 0 } : undefined;
}

/** What an image or frame needs before the model sees it. */
export interface Needs {
  /** The EXIF (or TIFF) orientation: 1 is upright, 2–8 mirrored or turned. */
  orientation: number;
  /** It has an alpha channel (which may still be opaque everywhere). */
  alpha: boolean;
  /** Its size as stored, in pixels. */
  width: number;
  height: number;
}

async function needsOf({ input, page }: Source): Promise<Needs> {
  const { orientation, hasAlpha, width, height } = await sharp(input, { page }).metadata();
  return { orientation: orientation ?? 1, alpha: hasAlpha, width, height };
}

// Luminance (0–255) above which the opaque part of an image is light ink, to be set on black.
const LIGHT_INK = 160;

/**
 * The background for an image with transparency, or undefined when nothing of it is transparent.
 * Models see transparent pixels as whatever colour they hold (often black, or white), so black text
 * on transparency can become black on black and white text white on white: the opaque pixels (the
 * ink) decide, light ink goes on black and dark ink on white.
 */
async function backgroundFor({ input, page }: Source): Promise<string | undefined> {
  const { data } = await sharp(input, { page }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let transparent = false;
  let ink = 0;
  let luminance = 0;
  for (let i = 0; i < data.length; i += 4) {
    const alpha = data[i + 3]!;
    if (alpha < 255) transparent = true;
    if (alpha < 128) continue;
    ink++;
    luminance += 0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!;
  }
  if (!transparent) return undefined;
  return ink > 0 && luminance / ink > LIGHT_INK ? '#000000' : '#ffffff';
}

/** What the image needs, and the background its transparency is set on (undefined: opaque). */
export async function uprightNeeds(source: Source): Promise<Needs & { background: string | undefined }> {
  const needs = await needsOf(source);
  return { ...needs, background: needs.alpha ? await backgroundFor(source) : undefined };
}

/** The image or frame turned upright and set on its background (from backgroundFor): what the model is sent, before scaling. */
export function uprightPipeline({ input, page }: Source, background: string | undefined): sharp.Sharp {
  const pipeline = sharp(input, { page }).rotate();
  return background === undefined ? pipeline : pipeline.flatten({ background });
}
