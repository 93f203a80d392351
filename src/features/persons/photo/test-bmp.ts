/**
 * Test-only BMP writer. It is written independently of the decoder (straight from the format
 * description) so that decoder tests compare against known bytes rather than against itself.
 */

export interface BmpSpec {
  width: number;
  height: number;
  bpp: 1 | 4 | 8 | 16 | 24 | 32;
  /**
   * Raw stored value of the pixel at (x, y), y = 0 being the top row: a palette index for
   * ≤ 8 bits, otherwise the little-endian integer written to the file (24 bits: 0xRRGGBB).
   */
  pixel: (x: number, y: number) => number;
  topDown?: boolean;
  headerSize?: 12 | 40 | 108 | 124;
  /** RGB triples. */
  palette?: [number, number, number][];
  compression?: number;
  /** R, G, B[, A] masks, written where the header variant expects them. */
  masks?: number[];
  /** biClrUsed; defaults to the palette length. */
  colorsUsed?: number;
}

export function encodeBmp(spec: BmpSpec): Buffer {
  const headerSize = spec.headerSize ?? 40;
  const core = headerSize === 12;
  const masks = spec.masks ?? [];
  const palette = spec.palette ?? [];
  const entrySize = core ? 3 : 4;
  // A 40-byte header stores bit masks after itself; larger headers contain them.
  const extraMasks = headerSize === 40 ? masks.length * 4 : 0;
  const pixelOffset = 14 + headerSize + extraMasks + palette.length * entrySize;
  const stride = Math.floor((spec.width * spec.bpp + 31) / 32) * 4;
  const file = Buffer.alloc(pixelOffset + stride * spec.height);

  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(file.length, 2);
  file.writeUInt32LE(pixelOffset, 10);
  file.writeUInt32LE(headerSize, 14);
  if (core) {
    file.writeUInt16LE(spec.width, 18);
    file.writeUInt16LE(spec.height, 20);
    file.writeUInt16LE(1, 22);
    file.writeUInt16LE(spec.bpp, 24);
  } else {
    file.writeInt32LE(spec.width, 18);
    file.writeInt32LE(spec.topDown ? -spec.height : spec.height, 22);
    file.writeUInt16LE(1, 26);
    file.writeUInt16LE(spec.bpp, 28);
    file.writeUInt32LE(spec.compression ?? 0, 30);
    file.writeUInt32LE(stride * spec.height, 34);
    file.writeUInt32LE(spec.colorsUsed ?? palette.length, 46);
    masks.forEach((m, i) => file.writeUInt32LE(m >>> 0, 54 + i * 4));
  }

  let p = 14 + headerSize + extraMasks;
  for (const [r, g, b] of palette) {
    file[p] = b;
    file[p + 1] = g;
    file[p + 2] = r;
    p += entrySize;
  }

  for (let y = 0; y < spec.height; y++) {
    const row = pixelOffset + (spec.topDown ? y : spec.height - 1 - y) * stride;
    for (let x = 0; x < spec.width; x++) {
      const v = spec.pixel(x, y);
      switch (spec.bpp) {
        case 1:
          file[row + (x >> 3)] |= v << (7 - (x % 8));
          break;
        case 4:
          file[row + (x >> 1)] |= x % 2 === 0 ? v << 4 : v;
          break;
        case 8:
          file[row + x] = v;
          break;
        case 16:
          file.writeUInt16LE(v, row + x * 2);
          break;
        case 24:
          file.writeUIntLE(v, row + x * 3, 3);
          break;
        case 32:
          file.writeUInt32LE(v >>> 0, row + x * 4);
          break;
      }
    }
  }
  return file;
}

/** Header-only BMP (no pixel data) claiming the given dimensions. */
export function bmpHeaderOnly(width: number, height: number, bpp = 24): Buffer {
  const file = Buffer.alloc(54);
  file.write('BM', 0, 'latin1');
  file.writeUInt32LE(54, 10);
  file.writeUInt32LE(40, 14);
  file.writeInt32LE(width, 18);
  file.writeInt32LE(height, 22);
  file.writeUInt16LE(1, 26);
  file.writeUInt16LE(bpp, 28);
  return file;
}
