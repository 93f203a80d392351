import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBmp, type DecodedImage } from './bmp.js';
import { PhotoError, type PhotoErrorCode } from './errors.js';
import { bmpHeaderOnly, encodeBmp, type BmpSpec } from './test-bmp.js';

const LIMITS = { maxPixels: 1_000_000 };
const SAMPLE_BMP = new URL('../../import/parse/__fixtures__/photo-24bit.bmp', import.meta.url);

type Rgba = [number, number, number, number];

function pixels(img: DecodedImage): Rgba[] {
  const out: Rgba[] = [];
  for (let i = 0; i < img.width * img.height * 4; i += 4) {
    out.push([img.rgba[i], img.rgba[i + 1], img.rgba[i + 2], img.rgba[i + 3]]);
  }
  return out;
}

function expected(width: number, height: number, fn: (x: number, y: number) => Rgba): Rgba[] {
  const out: Rgba[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.push(fn(x, y));
  return out;
}

function codeOf(fn: () => unknown): PhotoErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    if (err instanceof PhotoError) return err.code;
    throw err;
  }
}

const scale5 = (v: number) => Math.round((v * 255) / 31);
const scale6 = (v: number) => Math.round((v * 255) / 63);

const PAL2: [number, number, number][] = [
  [255, 0, 0],
  [0, 0, 255],
];
const PAL16 = Array.from({ length: 16 }, (_, i): [number, number, number] => [i * 16, 255 - i * 16, i]);
const PAL256 = Array.from({ length: 256 }, (_, i): [number, number, number] => [i, 255 - i, (i * 7) & 255]);
const fromPalette = (pal: [number, number, number][], i: number): Rgba => [...pal[i], 255];

interface Case {
  name: string;
  spec: Omit<BmpSpec, 'topDown'>;
  want: (x: number, y: number) => Rgba;
  bottomUpOnly?: boolean;
}

// Raw 16-bit value for the 555 and 565 cases; components vary over x and y.
const c5 = (x: number, y: number) => [(x * 11 + y * 3) % 32, (x * 5 + y * 17) % 32, (x * 29 + y) % 32];
const c565 = (x: number, y: number) => [(x * 11 + y * 3) % 32, (x * 23 + y * 9) % 64, (x * 29 + y) % 32];

const cases: Case[] = [
  {
    name: '1-bit, width not a multiple of 8',
    spec: { width: 10, height: 3, bpp: 1, palette: PAL2, pixel: (x, y) => ((x + y) % 3 === 0 ? 1 : 0) },
    want: (x, y) => fromPalette(PAL2, (x + y) % 3 === 0 ? 1 : 0),
  },
  {
    name: '4-bit, odd width',
    spec: { width: 5, height: 3, bpp: 4, palette: PAL16, pixel: (x, y) => (x + 5 * y) % 16 },
    want: (x, y) => fromPalette(PAL16, (x + 5 * y) % 16),
  },
  {
    name: '8-bit, padded rows',
    spec: { width: 3, height: 2, bpp: 8, palette: PAL256, pixel: (x, y) => (x * 97 + y * 31) % 256 },
    want: (x, y) => fromPalette(PAL256, (x * 97 + y * 31) % 256),
  },
  {
    name: '8-bit, short palette (biClrUsed = 16)',
    spec: { width: 3, height: 2, bpp: 8, palette: PAL16, pixel: (x, y) => x + 3 * y },
    want: (x, y) => fromPalette(PAL16, x + 3 * y),
  },
  {
    name: '8-bit OS/2 core header (3-byte palette entries)',
    spec: { width: 3, height: 2, bpp: 8, headerSize: 12, palette: PAL256, pixel: (x, y) => 200 + x + 3 * y },
    want: (x, y) => fromPalette(PAL256, 200 + x + 3 * y),
    bottomUpOnly: true,
  },
  {
    name: '16-bit BI_RGB (555, top bit ignored)',
    spec: {
      width: 3,
      height: 2,
      bpp: 16,
      pixel: (x, y) => {
        const [r, g, b] = c5(x, y);
        return 0x8000 | (r << 10) | (g << 5) | b;
      },
    },
    want: (x, y) => [...c5(x, y).map(scale5), 255] as Rgba,
  },
  {
    name: '16-bit BI_BITFIELDS 565',
    spec: {
      width: 3,
      height: 2,
      bpp: 16,
      compression: 3,
      masks: [0xf800, 0x07e0, 0x001f],
      pixel: (x, y) => {
        const [r, g, b] = c565(x, y);
        return (r << 11) | (g << 5) | b;
      },
    },
    want: (x, y) => {
      const [r, g, b] = c565(x, y);
      return [scale5(r), scale6(g), scale5(b), 255];
    },
  },
  {
    name: '24-bit, padded rows',
    spec: { width: 3, height: 2, bpp: 24, pixel: (x, y) => 0x102030 * (x + 1) + 0x010101 * y * 50 },
    want: (x, y) => {
      const v = 0x102030 * (x + 1) + 0x010101 * y * 50;
      return [v >> 16, (v >> 8) & 255, v & 255, 255];
    },
  },
  {
    name: '24-bit OS/2 core header',
    spec: { width: 2, height: 2, bpp: 24, headerSize: 12, pixel: (x, y) => (x === y ? 0xff8001 : 0x00ff7f) },
    want: (x, y) => (x === y ? [255, 128, 1, 255] : [0, 255, 127, 255]),
    bottomUpOnly: true,
  },
  {
    name: '32-bit BI_RGB: the fourth byte is not alpha',
    spec: { width: 2, height: 2, bpp: 32, pixel: (x, y) => 0x7f000000 | (x * 0x400000) | (y * 0x80) | 0x3300 },
    want: (x, y) => [x * 0x40, 0x33, y * 0x80, 255],
  },
  {
    name: '32-bit BI_RGB in a V5 header: masks in the header are ignored',
    spec: {
      width: 2,
      height: 1,
      bpp: 32,
      headerSize: 124,
      masks: [0xff0000, 0xff00, 0xff, 0xff000000],
      pixel: (x) => (x === 0 ? 0x10203040 : 0xff506070),
    },
    want: (x) => (x === 0 ? [0x20, 0x30, 0x40, 255] : [0x50, 0x60, 0x70, 255]),
  },
  {
    name: '32-bit BI_BITFIELDS V5 with alpha mask: alpha honoured',
    spec: {
      width: 2,
      height: 2,
      bpp: 32,
      headerSize: 124,
      compression: 3,
      masks: [0xff0000, 0xff00, 0xff, 0xff000000],
      pixel: (x, y) => ((x * 0x7f + y * 0x40) << 24) | 0x123456,
    },
    want: (x, y) => [0x12, 0x34, 0x56, x * 0x7f + y * 0x40],
  },
  {
    name: '32-bit BI_BITFIELDS V4 with zero alpha mask: opaque',
    spec: {
      width: 2,
      height: 1,
      bpp: 32,
      headerSize: 108,
      compression: 3,
      masks: [0xff0000, 0xff00, 0xff, 0],
      pixel: () => 0x00abcdef,
    },
    want: () => [0xab, 0xcd, 0xef, 255],
  },
  {
    name: '32-bit BI_BITFIELDS after a 40-byte header, RGBX byte order',
    spec: {
      width: 2,
      height: 1,
      bpp: 32,
      compression: 3,
      masks: [0x000000ff, 0x0000ff00, 0x00ff0000],
      pixel: (x) => (x === 0 ? 0x99332211 : 0x00665544),
    },
    want: (x) => (x === 0 ? [0x11, 0x22, 0x33, 255] : [0x44, 0x55, 0x66, 255]),
  },
  {
    name: '32-bit BI_ALPHABITFIELDS (compression 6) with a 40-byte header',
    spec: {
      width: 1,
      height: 1,
      bpp: 32,
      compression: 6,
      masks: [0xff0000, 0xff00, 0xff, 0xff000000],
      pixel: () => 0x80102030,
    },
    want: () => [0x10, 0x20, 0x30, 0x80],
  },
];

describe('decodeBmp: pixel formats', () => {
  for (const c of cases) {
    for (const topDown of c.bottomUpOnly ? [false] : [false, true]) {
      it(`${c.name} (${topDown ? 'top-down' : 'bottom-up'})`, () => {
        const img = decodeBmp(encodeBmp({ ...c.spec, topDown }), LIMITS);
        expect([img.width, img.height]).toEqual([c.spec.width, c.spec.height]);
        expect(pixels(img)).toEqual(expected(c.spec.width, c.spec.height, c.want));
      });
    }
  }

  it('stores bottom-up rows last-row-first (checked against hand-written bytes)', () => {
    // 1×2, 24-bit: the first row in the file is the bottom (blue) pixel.
    const file = bmpHeaderOnly(1, 2);
    const data = Buffer.from([0xff, 0, 0, 0, /* next row */ 0, 0, 0xff, 0]);
    const img = decodeBmp(Buffer.concat([file, data]), LIMITS);
    expect(pixels(img)).toEqual([
      [255, 0, 0, 255],
      [0, 0, 255, 255],
    ]);
  });

  it('accepts a file whose last row lacks its padding', () => {
    const full = encodeBmp({ width: 3, height: 2, bpp: 24, pixel: () => 0x010203 });
    const img = decodeBmp(full.subarray(0, full.length - 3), LIMITS);
    expect(pixels(img)).toEqual(expected(3, 2, () => [1, 2, 3, 255]));
  });
});

describe('decodeBmp: the real sample', () => {
  it('decodes photo-24bit.bmp (120×160, bottom-up gradient)', () => {
    const img = decodeBmp(readFileSync(SAMPLE_BMP), LIMITS);
    expect([img.width, img.height]).toEqual([120, 160]);
    const at = (x: number, y: number) => pixels(img)[y * img.width + x];
    // Values read with a hex dump: green fades top→bottom, blue grows left→right.
    expect(at(0, 0)).toEqual([128, 255, 0, 255]);
    expect(at(119, 0)).toEqual([128, 255, 255, 255]);
    expect(at(0, 159)).toEqual([128, 0, 0, 255]);
    expect(at(60, 80)).toEqual([128, 126, 128, 255]);
  });
});

describe('decodeBmp: hostile and broken input', () => {
  const valid24 = () => encodeBmp({ width: 3, height: 2, bpp: 24, pixel: () => 0 });
  const withHeader = (mutate: (b: Buffer) => void, base: Buffer = valid24()) => {
    const b = Buffer.from(base);
    mutate(b);
    return b;
  };

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('refuses a file without the BM signature', () => {
    expect(codeOf(() => decodeBmp(Buffer.from('MZ\x90\x00 this is an exe'), LIMITS))).toBe('not_an_image');
    expect(codeOf(() => decodeBmp(Buffer.alloc(0), LIMITS))).toBe('not_an_image');
  });

  it('refuses truncated files at every stage', () => {
    const full = valid24();
    expect(codeOf(() => decodeBmp(full.subarray(0, 10), LIMITS))).toBe('truncated'); // file header
    expect(codeOf(() => decodeBmp(full.subarray(0, 30), LIMITS))).toBe('truncated'); // DIB header
    expect(codeOf(() => decodeBmp(full.subarray(0, full.length - 5), LIMITS))).toBe('truncated'); // pixels
    const pal = encodeBmp({ width: 3, height: 2, bpp: 8, palette: PAL256, pixel: () => 0 });
    expect(codeOf(() => decodeBmp(pal.subarray(0, 54 + 40), LIMITS))).toBe('truncated'); // palette
  });

  it('refuses a pixel data offset beyond the file or inside the headers', () => {
    expect(codeOf(() => decodeBmp(withHeader((b) => b.writeUInt32LE(0xfffffff0, 10)), LIMITS))).toBe('truncated');
    expect(codeOf(() => decodeBmp(withHeader((b) => b.writeUInt32LE(20, 10)), LIMITS))).toBe('corrupt');
  });

  it('refuses 60000×60000 before allocating anything large', () => {
    const alloc = vi.spyOn(Buffer, 'alloc');
    const allocUnsafe = vi.spyOn(Buffer, 'allocUnsafe');
    expect(codeOf(() => decodeBmp(bmpHeaderOnly(60000, 60000), LIMITS))).toBe('too_many_pixels');
    expect(codeOf(() => decodeBmp(bmpHeaderOnly(60000, -60000), LIMITS))).toBe('too_many_pixels');
    // 5000×5000 would be allocatable (100 MB), so this distinguishes "checked" from "got lucky".
    expect(codeOf(() => decodeBmp(bmpHeaderOnly(5000, 5000), LIMITS))).toBe('too_many_pixels');
    const big = [...alloc.mock.calls, ...allocUnsafe.mock.calls].filter(([size]) => size > 1_000_000);
    expect(big).toEqual([]);
  });

  it('refuses zero or negative width and zero height', () => {
    expect(codeOf(() => decodeBmp(bmpHeaderOnly(0, 10), LIMITS))).toBe('corrupt');
    expect(codeOf(() => decodeBmp(bmpHeaderOnly(-5, 10), LIMITS))).toBe('corrupt');
    expect(codeOf(() => decodeBmp(bmpHeaderOnly(5, 0), LIMITS))).toBe('corrupt');
  });

  it('refuses unsupported compression, depths and header variants', () => {
    for (const compression of [1, 2, 4, 5, 11, 99]) {
      const b = withHeader((f) => f.writeUInt32LE(compression, 30));
      expect(codeOf(() => decodeBmp(b, LIMITS)), `compression ${compression}`).toBe('unsupported_format');
    }
    expect(codeOf(() => decodeBmp(withHeader((b) => b.writeUInt16LE(2, 28)), LIMITS))).toBe('unsupported_format');
    expect(codeOf(() => decodeBmp(withHeader((b) => b.writeUInt16LE(0, 28)), LIMITS))).toBe('unsupported_format');
    expect(codeOf(() => decodeBmp(withHeader((b) => b.writeUInt32LE(64, 14)), LIMITS))).toBe('unsupported_format');
    expect(codeOf(() => decodeBmp(withHeader((b) => b.writeUInt32LE(20, 14)), LIMITS))).toBe('corrupt');
  });

  it('refuses bad bit fields', () => {
    const fields = (bpp: 16 | 24 | 32, masks: number[]) =>
      encodeBmp({ width: 1, height: 1, bpp, compression: 3, masks, pixel: () => 0 });
    expect(codeOf(() => decodeBmp(fields(24, [0xff0000, 0xff00, 0xff]), LIMITS))).toBe('corrupt');
    expect(codeOf(() => decodeBmp(fields(32, [0xff00ff, 0xff00, 0xff]), LIMITS))).toBe('corrupt'); // gap
    expect(codeOf(() => decodeBmp(fields(16, [0x1f0000, 0x7e0, 0x1f]), LIMITS))).toBe('corrupt'); // > 16 bits
  });

  it('refuses a palette index beyond the palette', () => {
    const b = encodeBmp({ width: 3, height: 1, bpp: 8, palette: PAL2, pixel: (x) => (x === 2 ? 5 : 1) });
    expect(codeOf(() => decodeBmp(b, LIMITS))).toBe('corrupt');
    const ok = encodeBmp({ width: 3, height: 1, bpp: 8, palette: PAL2, pixel: (x) => x % 2 });
    expect(pixels(decodeBmp(ok, LIMITS))).toEqual([
      [255, 0, 0, 255],
      [0, 0, 255, 255],
      [255, 0, 0, 255],
    ]);
  });

  it('only ever throws PhotoError on randomly damaged files', () => {
    // Deterministic xorshift so a failure is reproducible.
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const bases = [
      valid24(),
      encodeBmp({ width: 7, height: 5, bpp: 4, palette: PAL16, pixel: (x) => x }),
      encodeBmp({ width: 4, height: 3, bpp: 32, headerSize: 124, compression: 3, masks: [0xff, 0xff00, 0xff0000, 0xff000000], pixel: () => 1 }),
      encodeBmp({ width: 5, height: 2, bpp: 8, headerSize: 12, palette: PAL256, pixel: (x) => x }),
    ];
    for (let i = 0; i < 4000; i++) {
      const b = Buffer.from(bases[i % bases.length]);
      for (let k = 1 + rand(4); k > 0; k--) b[rand(Math.min(b.length, 80))] = rand(256);
      const cut = rand(3) === 0 ? b.subarray(0, rand(b.length)) : b;
      try {
        const img = decodeBmp(cut, { maxPixels: 100_000 });
        expect(img.rgba.length).toBe(img.width * img.height * 4);
      } catch (err) {
        if (!(err instanceof PhotoError)) throw err;
      }
    }
  });
});
