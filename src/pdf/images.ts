/** Images with mupdf: checks at upload, and conversion for formats the vision API does not take (BMP, TIFF…). */
import * as mupdf from 'mupdf';

/** Whether mupdf can read an image's header (its format, size and structure), without decoding its pixels. */
export type ImageInspection = { ok: true } | { ok: false; detail: string };

export function inspectImage(bytes: Uint8Array): ImageInspection {
  try {
    new mupdf.Image(bytes).destroy();
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}

/** Decodes any image mupdf understands and re-encodes it as PNG (RGB or grey, alpha kept). */
export function convertImageToPng(bytes: Uint8Array): Buffer {
  const image = new mupdf.Image(bytes);
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
