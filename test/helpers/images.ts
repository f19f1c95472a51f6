/**
 * Test images that carry a number: 16 vertical bars across the whole image, bar i black when bit i
 * of the tag is set. The tag survives format conversion, JPEG loss and scaling, so the model stub
 * can tell which upload (or, later, which PDF page) a request came from.
 */
import zlib from 'node:zlib';
import sharp from 'sharp';

const BARS = 16;
export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff' | 'bmp';

function barPixels(tag: number, width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height, 255);
  for (let x = 0; x < width; x++) {
    const bar = Math.floor((x * BARS) / width);
    if ((tag >> bar) & 1) for (let y = 0; y < height; y++) pixels[y * width + x] = 0;
  }
  return pixels;
}

/** An uncompressed 24-bit BMP (sharp cannot write BMP). */
function encodeBmp(grey: Buffer, width: number, height: number): Buffer {
  const rowSize = Math.ceil((width * 3) / 4) * 4;
  const file = Buffer.alloc(54 + rowSize * height);
  file.write('BM', 0, 'ascii');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(24, 28);
  file.writeUInt32LE(rowSize * height, 34);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * rowSize; // rows are stored bottom-up
    for (let x = 0; x < width; x++) file.fill(grey[y * width + x]!, row + x * 3, row + x * 3 + 3);
  }
  return file;
}

export async function taggedImage(tag: number, format: ImageFormat = 'png', width = 320, height = 48): Promise<Buffer> {
  const grey = barPixels(tag, width, height);
  if (format === 'bmp') return encodeBmp(grey, width, height);
  return sharp(grey, { raw: { width, height, channels: 1 } }).toFormat(format).toBuffer();
}

/** Reads the tag back from any image sharp can decode (PNG, JPEG, WebP, GIF, TIFF). */
export async function readTag(image: Buffer): Promise<number> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  const y = Math.floor(info.height / 2);
  let tag = 0;
  for (let bar = 0; bar < BARS; bar++) {
    const x = Math.floor(((bar + 0.5) * info.width) / BARS);
    if (data[(y * info.width + x) * info.channels]! < 128) tag |= 1 << bar;
  }
  return tag;
}

/**
 * Files whose headers lie, made by hand (no encoder writes them): a PNG whose IHDR claims `width` ×
 * `height` pixels (with one tiny IDAT), and a BMP header claiming as much with no pixels behind it.
 */
export function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // 8 bits, greyscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(Buffer.alloc(64))), chunk('IEND', Buffer.alloc(0))]);
}

export function bmpClaiming(width: number, height: number): Buffer {
  const bmp = Buffer.alloc(54 + 16);
  bmp.write('BM', 0, 'latin1');
  bmp.writeUInt32LE(bmp.length, 2);
  bmp.writeUInt32LE(54, 10); // pixels start after the headers
  bmp.writeUInt32LE(40, 14); // BITMAPINFOHEADER
  bmp.writeInt32LE(width, 18);
  bmp.writeInt32LE(height, 22);
  bmp.writeUInt16LE(1, 26); // planes
  bmp.writeUInt16LE(24, 28); // bits per pixel
  return bmp;
}

/**
 * A real JPEG of the tag whose frame header (SOF0) says its samples have 0 bits: its type and size
 * still read right, but no decoder can draw it.
 */
export async function brokenJpeg(tag: number): Promise<Buffer> {
  const jpeg = Buffer.from(await taggedImage(tag, 'jpeg'));
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  jpeg[sof + 4] = 0; // after the marker and its 2-byte length: the sample precision
  return jpeg;
}

/**
 * The tag's bars in `ink` (0 black, 255 white) on a transparent background whose hidden colour is the
 * ink's too: seen without its alpha it is one flat colour, and no tag can be read from it.
 */
export async function transparentTaggedImage(tag: number, ink: 0 | 255, width = 320, height = 48): Promise<Buffer> {
  const grey = barPixels(tag, width, height);
  const rgba = Buffer.alloc(width * height * 4, ink);
  for (let i = 0; i < grey.length; i++) rgba[i * 4 + 3] = grey[i] === 0 ? 255 : 0; // a bar is opaque ink
  return sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer();
}
