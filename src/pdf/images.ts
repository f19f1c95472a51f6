/** Image conversion with mupdf, for formats the vision API does not take (BMP, TIFF…). */
import * as mupdf from 'mupdf';

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
