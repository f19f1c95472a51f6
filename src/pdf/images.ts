/** Images with mupdf: checks at upload, and conversion for formats the vision API does not take (BMP, TIFF…). */
import * as mupdf from 'mupdf';

/** Whether mupdf can read an image's header (its format, size and structure), without decoding its pixels. */
export type ImageInspection = { ok: true } | { ok: false; detail: string };

/**
 * An mupdf Image of these bytes. Given a Uint8Array, mupdf.js copies it into a Buffer that only the
 * garbage collector releases (the Image holds a reference of its own): made and released here, the
 * copy goes with the image instead of staying in the thread's WebAssembly memory, which never
 * shrinks, until a collection. The API's threads inspect every uploaded image, and grew by a few MB
 * a minute under a day's load (bench mixed).
 */
export function imageOf(bytes: Uint8Array): mupdf.Image {
  const buffer = new mupdf.Buffer(bytes);
  try {
    return new mupdf.Image(buffer);
  } finally {
    buffer.destroy();
  }
}

export function inspectImage(bytes: Uint8Array): ImageInspection {
  try {
    imageOf(bytes).destroy();
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/** Decodes any image mupdf understands and re-encodes it as PNG (RGB or grey, alpha kept). */
export function convertImageToPng(bytes: Uint8Array): Buffer {
  const image = imageOf(bytes);
  let pixmap = image.toPixmap();
  try {
    // PNG holds only grey or RGB: CMYK and other spaces (common in TIFF scans) become RGB first.
    const colorspace = pixmap.getColorSpace();
    if (colorspace && !colorspace.isRGB() && !colorspace.isGray()) {
      const rgb = pixmap.convertToColorSpace(mupdf.ColorSpace.DeviceRGB);
      pixmap.destroy();
      pixmap = rgb;
    }
    return Buffer.from(pixmap.asPNG());
  } finally {
    pixmap.destroy();
    image.destroy();
  }
}
