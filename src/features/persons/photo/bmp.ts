import { timeSlicer } from '../../../lib/limit.js';
import { PhotoError } from './errors.js';

/**
 * Minimal BMP decoder for uploaded person photos.
 *
 * Supported: BITMAPCOREHEADER (OS/2, 12 bytes), BITMAPINFOHEADER (40) and its V2/V3/V4/V5
 * extensions (52/56/108/124); 1/4/8-bit palette, 16-bit (555 or BI_BITFIELDS), 24-bit and
 * 32-bit (BI_RGB or BI_BITFIELDS); bottom-up and top-down rows.
 * Refused: RLE4/RLE8, embedded JPEG/PNG, OS/2 v2 headers, 2- and 64-bit depths.
 *
 * Every size derived from the header is validated against the buffer before it is used, and
 * the pixel budget is checked before the output buffer is allocated, because uploads are
 * hostile input.
 */

export interface BmpLimits {
  /** Largest width × height we are willing to allocate an RGBA buffer for. */
  maxPixels: number;
}

export interface DecodedImage {
  width: number;
  height: number;
  /** Top-down rows, 4 bytes per pixel (R, G, B, A), no padding. */
  rgba: Buffer;
}

export interface BmpHeader {
  width: number;
  /** Always positive; row order is in `topDown`. */
  height: number;
  topDown: boolean;
  bitsPerPixel: number;
  pixelOffset: number;
  /** Only meaningful for ≤ 8 bits per pixel. */
  palette: { offset: number; entrySize: 3 | 4; count: number };
  /** R, G, B, A bit masks; only used for 16 and 32 bits per pixel. */
  masks: [number, number, number, number];
}

const FILE_HEADER_SIZE = 14;

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

// What a 16/32-bit BI_RGB file means; the alpha/unused bits are ignored (mask 0 → opaque).
const DEFAULT_MASKS_16: [number, number, number, number] = [0x7c00, 0x03e0, 0x001f, 0];
const DEFAULT_MASKS_32: [number, number, number, number] = [0xff0000, 0x00ff00, 0x0000ff, 0];

function fail(code: 'not_an_image' | 'unsupported_format' | 'truncated' | 'corrupt', detail: string): never {
  throw new PhotoError(code, `bmp: ${detail}`);
}

/** Parses and validates the headers only; cheap, allocates nothing proportional to the image. */
export function readBmpHeader(buf: Buffer): BmpHeader {
  if (buf.length < 2 || buf[0] !== 0x42 || buf[1] !== 0x4d) fail('not_an_image', 'missing BM signature');
  if (buf.length < FILE_HEADER_SIZE + 4) fail('truncated', 'file header');

  const pixelOffset = buf.readUInt32LE(10);
  const dibSize = buf.readUInt32LE(14);
  if (dibSize === 64) fail('unsupported_format', 'OS/2 v2 header');
  if (![12, 40, 52, 56, 108, 124].includes(dibSize)) fail('corrupt', `unknown DIB header size ${dibSize}`);
  if (buf.length < FILE_HEADER_SIZE + dibSize) fail('truncated', 'DIB header');

  let width: number;
  let rawHeight: number;
  let bitsPerPixel: number;
  let compression = BI_RGB;
  let colorsUsed = 0;
  let entrySize: 3 | 4 = 4;
  let paletteOffset = FILE_HEADER_SIZE + dibSize;
  let masks: [number, number, number, number] = [0, 0, 0, 0];

  if (dibSize === 12) {
    // BITMAPCOREHEADER: unsigned 16-bit dimensions, always bottom-up, 3-byte palette entries.
    width = buf.readUInt16LE(18);
    rawHeight = buf.readUInt16LE(20);
    bitsPerPixel = buf.readUInt16LE(24);
    entrySize = 3;
  } else {
    width = buf.readInt32LE(18);
    rawHeight = buf.readInt32LE(22);
    bitsPerPixel = buf.readUInt16LE(28);
    compression = buf.readUInt32LE(30);
    colorsUsed = buf.readUInt32LE(46);

    if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
      // The masks sit at file offset 54 in every variant: inside the V2+ headers, or directly
      // after a 40-byte header (where they push the palette back).
      const maskCount = compression === BI_ALPHABITFIELDS || dibSize >= 56 ? 4 : 3;
      if (buf.length < 54 + maskCount * 4) fail('truncated', 'bit masks');
      for (let i = 0; i < maskCount; i++) masks[i] = buf.readUInt32LE(54 + i * 4);
      if (dibSize === 40) paletteOffset += maskCount * 4;
    } else if (compression !== BI_RGB) {
      // RLE4/RLE8 (2/1), embedded JPEG/PNG (4/5) and the CMYK variants are not implemented.
      fail('unsupported_format', `compression ${compression}`);
    }
  }

  if (width <= 0) fail('corrupt', `width ${width}`);
  if (rawHeight === 0) fail('corrupt', 'height 0');
  if (![1, 4, 8, 16, 24, 32].includes(bitsPerPixel)) fail('unsupported_format', `${bitsPerPixel} bits per pixel`);

  if (compression !== BI_RGB) {
    if (bitsPerPixel !== 16 && bitsPerPixel !== 32) fail('corrupt', `bit fields with ${bitsPerPixel} bits per pixel`);
  } else if (bitsPerPixel === 16) {
    masks = DEFAULT_MASKS_16;
  } else if (bitsPerPixel === 32) {
    masks = DEFAULT_MASKS_32;
  }

  if (pixelOffset < paletteOffset) fail('corrupt', 'pixel data overlaps the headers');

  let paletteCount = 0;
  if (bitsPerPixel <= 8) {
    // More entries than the depth can index are harmless but never used; fewer entries than the
    // gap before the pixel data allows means the writer stored a short palette, which is legal.
    paletteCount = Math.min(colorsUsed || 1 << bitsPerPixel, 1 << bitsPerPixel);
    paletteCount = Math.min(paletteCount, Math.floor((pixelOffset - paletteOffset) / entrySize));
    if (paletteCount === 0) fail('corrupt', 'missing palette');
    if (paletteOffset + paletteCount * entrySize > buf.length) fail('truncated', 'palette');
  }

  return {
    width,
    height: Math.abs(rawHeight),
    topDown: rawHeight < 0,
    bitsPerPixel,
    pixelOffset,
    palette: { offset: paletteOffset, entrySize, count: paletteCount },
    masks,
  };
}

interface Channel {
  mask: number;
  shift: number;
  /** Largest value after masking and shifting; 0 when the mask is empty. */
  max: number;
}

function toChannel(mask: number, bitsPerPixel: number): Channel {
  if (mask === 0) return { mask: 0, shift: 0, max: 0 };
  if (bitsPerPixel === 16 && mask > 0xffff) fail('corrupt', 'bit mask wider than the pixel');
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const run = mask >>> shift;
  // A contiguous run of ones plus one is a power of two, so the AND is zero.
  if ((run & (run + 1)) !== 0) fail('corrupt', 'non-contiguous bit mask');
  return { mask, shift, max: run };
}

/** Extracts one channel and scales it to 0..255 (e.g. 5-bit 31 → 255). */
function channelValue(px: number, c: Channel): number {
  const v = (px & c.mask) >>> c.shift;
  return c.max === 255 ? v : Math.round((v * 255) / c.max);
}

/** Checks the header against the limits and the file's length; allocates nothing yet. */
function prepare(buf: Buffer, limits: BmpLimits) {
  const h = readBmpHeader(buf);
  const { width, height, bitsPerPixel: bpp } = h;

  // Before any allocation: a tiny file may claim 60000 × 60000.
  if (width * height > limits.maxPixels) {
    throw new PhotoError('too_many_pixels', `bmp: ${width}x${height}`);
  }

  const stride = Math.floor((width * bpp + 31) / 32) * 4; // rows are padded to 4 bytes
  const rowBytes = Math.ceil((width * bpp) / 8);
  // The padding of the last row is often omitted by writers, so it is not required.
  if (h.pixelOffset + stride * (height - 1) + rowBytes > buf.length) fail('truncated', 'pixel data');
  return { h, stride };
}

/** Decodes rows [y0, y1) of the image into `rgba`. */
function decodeRows(buf: Buffer, h: BmpHeader, stride: number, rgba: Buffer, y0: number, y1: number): void {
  const { width, height, bitsPerPixel: bpp } = h;
  const palette = h.palette;
  const putIndex = (out: number, index: number): void => {
    if (index >= palette.count) fail('corrupt', `palette index ${index} out of range`);
    const p = palette.offset + index * palette.entrySize;
    rgba[out] = buf[p + 2];
    rgba[out + 1] = buf[p + 1];
    rgba[out + 2] = buf[p];
    rgba[out + 3] = 255; // the 4th palette byte is reserved, not alpha
  };

  const [r, g, b, a] = h.masks.map((m) => toChannel(m, bpp));

  for (let y = y0; y < y1; y++) {
    const row = h.pixelOffset + (h.topDown ? y : height - 1 - y) * stride;
    let out = y * width * 4;
    for (let x = 0; x < width; x++, out += 4) {
      switch (bpp) {
        case 1:
          putIndex(out, (buf[row + (x >> 3)] >> (7 - (x & 7))) & 1);
          break;
        case 4:
          putIndex(out, (buf[row + (x >> 1)] >> ((x & 1) === 0 ? 4 : 0)) & 0x0f);
          break;
        case 8:
          putIndex(out, buf[row + x]);
          break;
        case 24: {
          const p = row + x * 3;
          rgba[out] = buf[p + 2];
          rgba[out + 1] = buf[p + 1];
          rgba[out + 2] = buf[p];
          rgba[out + 3] = 255;
          break;
        }
        default: {
          // 16 and 32 bits: BI_RGB is expressed as fixed masks, so one path serves both.
          const px = bpp === 16 ? buf.readUInt16LE(row + x * 2) : buf.readUInt32LE(row + x * 4);
          rgba[out] = channelValue(px, r);
          rgba[out + 1] = channelValue(px, g);
          rgba[out + 2] = channelValue(px, b);
          // Alpha only when the file declares an alpha mask; otherwise the spare bits are junk.
          rgba[out + 3] = a.max === 0 ? 255 : channelValue(px, a);
        }
      }
    }
  }
}

export function decodeBmp(buf: Buffer, limits: BmpLimits): DecodedImage {
  const { h, stride } = prepare(buf, limits);
  const rgba = Buffer.alloc(h.width * h.height * 4);
  decodeRows(buf, h, stride, rgba, 0, h.height);
  return { width: h.width, height: h.height, rgba };
}

/**
 * The same as `decodeBmp`, in slices of rows with a turn of the event loop between them, so a
 * 40-megapixel bitmap (a 5 MB 1-bit file) never holds the server for more than a few milliseconds.
 */
export async function decodeBmpSliced(buf: Buffer, limits: BmpLimits, sliceMs = 8): Promise<DecodedImage> {
  const { h, stride } = prepare(buf, limits);
  const rgba = Buffer.alloc(h.width * h.height * 4);
  const clock = timeSlicer(sliceMs);
  // Rows per step: about 64k pixels, small enough that one step stays well inside a slice.
  const step = Math.max(1, Math.floor(65536 / h.width));
  for (let y = 0; y < h.height; y += step) {
    decodeRows(buf, h, stride, rgba, y, Math.min(h.height, y + step));
    if (clock.due()) await clock.yield();
  }
  return { width: h.width, height: h.height, rgba };
}
