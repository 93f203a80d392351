import { existsSync, readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeBmp } from './bmp.js';
import { PhotoError, type PhotoErrorCode } from './errors.js';
import { bmpHeaderOnly, encodeBmp } from './test-bmp.js';
import { makeThumbnail, type ThumbnailOptions } from './thumbnail.js';

const SAMPLE_BMP = new URL('../../import/parse/__fixtures__/photo-24bit.bmp', import.meta.url);
const OPTS: ThumbnailOptions = { maxBytes: 5 * 1024 * 1024, maxPixels: 4_000_000, size: 64 };

function codeOf(fn: () => unknown): PhotoErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    if (err instanceof PhotoError) return err.code;
    throw err;
  }
}

function pngOf(width: number, height: number, rgba: number[]): Buffer {
  const png = new PNG({ width, height });
  png.data.set(rgba);
  return PNG.sync.write(png);
}

function readPng(buf: Buffer): { width: number; height: number; rgba: number[] } {
  const png = PNG.sync.read(buf);
  return { width: png.width, height: png.height, rgba: [...png.data] };
}

/** SOI, then a frame header with the given SOF marker and dimensions (no scan data). */
function jpegHeader(sof: number, width: number, height: number): Buffer {
  const frame = Buffer.from([0xff, sof, 0x00, 0x11, 8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  frame.writeUInt16BE(height, 5);
  frame.writeUInt16BE(width, 7);
  const app0 = Buffer.from('ffe000104a46494600010100000100010000', 'hex');
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, frame]);
}

describe('makeThumbnail: refusals', () => {
  it('refuses files above maxBytes before looking at them', () => {
    const bmp = encodeBmp({ width: 10, height: 10, bpp: 24, pixel: () => 0 });
    expect(codeOf(() => makeThumbnail(bmp, { ...OPTS, maxBytes: bmp.length - 1 }))).toBe('too_large');
    expect(codeOf(() => makeThumbnail(bmp, { ...OPTS, maxBytes: bmp.length }))).toBe('no error');
  });

  it('refuses an EXE renamed to .bmp, and other non-images', () => {
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(200)]);
    expect(codeOf(() => makeThumbnail(exe, OPTS))).toBe('not_an_image');
    expect(codeOf(() => makeThumbnail(Buffer.from('BM is not a bitmap'), OPTS))).toBe('not_an_image');
    expect(codeOf(() => makeThumbnail(Buffer.alloc(0), OPTS))).toBe('not_an_image');
  });

  it('refuses header dimensions above maxPixels for every format', () => {
    expect(codeOf(() => makeThumbnail(bmpHeaderOnly(60000, 60000), OPTS))).toBe('too_many_pixels');
    const ihdr = Buffer.from('89504e470d0a1a0a0000000d49484452000186a0000186a00806000000', 'hex'); // 100000²
    expect(codeOf(() => makeThumbnail(ihdr, OPTS))).toBe('too_many_pixels');
    expect(codeOf(() => makeThumbnail(jpegHeader(0xc0, 60000, 60000), OPTS))).toBe('too_many_pixels');
    expect(codeOf(() => makeThumbnail(jpegHeader(0xc2, 3000, 2000), { ...OPTS, maxPixels: 5_000_000 }))).toBe(
      'too_many_pixels',
    );
  });

  it('reports damaged PNGs as corrupt', () => {
    const png = pngOf(4, 4, Array.from({ length: 64 }, (_, i) => i * 4));
    const flipped = Buffer.from(png);
    flipped[png.indexOf('IDAT') + 6] ^= 0xff; // breaks the chunk CRC
    expect(codeOf(() => makeThumbnail(flipped, OPTS))).toBe('corrupt');
    expect(codeOf(() => makeThumbnail(png.subarray(0, png.length - 20), OPTS))).toBe('corrupt');
    const notIhdr = Buffer.from(png);
    notIhdr.write('tEXt', 12, 'latin1');
    expect(codeOf(() => makeThumbnail(notIhdr, OPTS))).toBe('corrupt');
  });

  it('refuses JPEG variants the decoder cannot handle and malformed marker streams', () => {
    expect(codeOf(() => makeThumbnail(jpegHeader(0xc9, 100, 100), OPTS))).toBe('unsupported_format'); // arithmetic
    expect(codeOf(() => makeThumbnail(jpegHeader(0xc3, 100, 100), OPTS))).toBe('unsupported_format'); // lossless
    expect(codeOf(() => makeThumbnail(jpegHeader(0xc0, 100, 0), OPTS))).toBe('unsupported_format'); // DNL
    expect(codeOf(() => makeThumbnail(Buffer.from('ffd8ffda000c', 'hex'), OPTS))).toBe('corrupt'); // scan, no frame
    expect(codeOf(() => makeThumbnail(Buffer.from('ffd8ffe00010', 'hex'), OPTS))).toBe('truncated');
    // A frame header with no tables or scan behind it cannot be decoded.
    expect(codeOf(() => makeThumbnail(jpegHeader(0xc0, 16, 16), OPTS))).toBe('corrupt');
  });
});

describe('makeThumbnail: output', () => {
  it('round-trips a small PNG unchanged (never upscales), including alpha', () => {
    const rgba = [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 10, 20, 30, 40, 50, 60, 70, 80, 1, 2, 3, 255];
    const thumb = makeThumbnail(pngOf(3, 2, rgba), OPTS);
    expect(thumb).toMatchObject({ width: 3, height: 2, sourceType: 'png' });
    expect(readPng(thumb.png)).toEqual({ width: 3, height: 2, rgba });
  });

  it('averages whole blocks, weighting colour by alpha', () => {
    // 4×2 → 2×1. Left block: opaque reds 0/10/20/31 → 15.25 → 15.
    // Right block: one transparent red among three opaque blues; a transparent pixel's colour
    // must not leak, so the result is pure blue with alpha 3/4 × 255.
    const px = (r: number, g: number, b: number, a: number) => [r, g, b, a];
    const rgba = [
      ...px(0, 0, 0, 255), ...px(10, 0, 0, 255), ...px(255, 0, 0, 0), ...px(0, 0, 255, 255),
      ...px(20, 0, 0, 255), ...px(31, 0, 0, 255), ...px(0, 0, 255, 255), ...px(0, 0, 255, 255),
    ];
    const thumb = makeThumbnail(pngOf(4, 2, rgba), { ...OPTS, size: 2 });
    expect(readPng(thumb.png)).toEqual({ width: 2, height: 1, rgba: [15, 0, 0, 255, 0, 0, 255, 191] });
  });

  it('weights partially covered pixels by their coverage', () => {
    // 3 → 2 columns: each output pixel covers 1.5 source pixels.
    const rgba = [0, 0, 0, 255, 90, 90, 90, 255, 180, 180, 180, 255];
    const thumb = makeThumbnail(pngOf(3, 1, rgba), { ...OPTS, size: 2 });
    // (0·1 + 90·0.5) / 1.5 = 30 and (90·0.5 + 180·1) / 1.5 = 150; height stays 1 (never 0).
    expect(readPng(thumb.png)).toEqual({ width: 2, height: 1, rgba: [30, 30, 30, 255, 150, 150, 150, 255] });
  });

  it('thumbnails the real 120×160 BMP sample, keeping the aspect ratio', () => {
    expect(existsSync(SAMPLE_BMP)).toBe(true);
    const bmp = readFileSync(SAMPLE_BMP);
    const thumb = makeThumbnail(bmp, { ...OPTS, size: 64 });
    expect(thumb).toMatchObject({ width: 48, height: 64, sourceType: 'bmp' });
    expect(thumb.png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const out = readPng(thumb.png);
    expect([out.width, out.height]).toEqual([48, 64]);
    // Each output pixel covers 2.5 × 2.5 source pixels. Source values (hex dump): top rows
    // G = 255, 253, 251; left columns B = 0, 2, 4; bottom rows G = 3, 1, 0; right columns
    // B = 250, 252, 255. Top-left: G = (255 + 253 + ½·251) / 2.5 = 253.4, B = (0 + 2 + ½·4) / 2.5
    // = 1.6. Bottom-right: G = (½·3 + 1 + 0) / 2.5 = 1, B = (½·250 + 252 + 255) / 2.5 = 252.8.
    expect(out.rgba.slice(0, 4)).toEqual([128, 253, 2, 255]);
    expect(out.rgba.slice(-4)).toEqual([128, 1, 253, 255]);
  });

  it('halves the sample exactly to 2×2 block averages', () => {
    const bmp = readFileSync(SAMPLE_BMP);
    const src = decodeBmp(bmp, { maxPixels: OPTS.maxPixels });
    const out = readPng(makeThumbnail(bmp, { ...OPTS, size: 80 }).png);
    expect([out.width, out.height]).toEqual([60, 80]);
    const want: number[] = [];
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 60; x++) {
        for (let c = 0; c < 4; c++) {
          const at = (dx: number, dy: number) => src.rgba[((2 * y + dy) * 120 + 2 * x + dx) * 4 + c];
          want.push(Math.round((at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4));
        }
      }
    }
    expect(out.rgba).toEqual(want);
  });

  it('decodes and scales a JPEG', () => {
    // Two flat 8×8 blocks so that JPEG loss stays tiny.
    const w = 16;
    const h = 8;
    const data = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      const left = i % w < 8;
      data.set(left ? [200, 100, 50, 255] : [30, 60, 220, 255], i * 4);
    }
    const file = jpeg.encode({ width: w, height: h, data }, 100).data;
    const thumb = makeThumbnail(file, { ...OPTS, size: 2 });
    expect(thumb).toMatchObject({ width: 2, height: 1, sourceType: 'jpeg' });
    const got = readPng(thumb.png).rgba;
    const want = [200, 100, 50, 255, 30, 60, 220, 255];
    got.forEach((v, i) => expect(Math.abs(v - want[i]), `channel ${i}`).toBeLessThanOrEqual(3));
  });

  it('only ever throws PhotoError on randomly damaged PNG and JPEG files', () => {
    let seed = 0x1234567;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pixels = Buffer.from(Array.from({ length: 16 * 16 * 4 }, (_, i) => (i * 37) & 255));
    const bases = [pngOf(16, 16, [...pixels]), jpeg.encode({ width: 16, height: 16, data: pixels }, 80).data];
    for (let i = 0; i < 600; i++) {
      const b = Buffer.from(bases[i % 2]);
      for (let k = 1 + rand(4); k > 0; k--) b[rand(b.length)] = rand(256);
      const cut = rand(3) === 0 ? b.subarray(0, rand(b.length)) : b;
      try {
        const t = makeThumbnail(cut, { ...OPTS, maxPixels: 100_000, size: 8 });
        expect(t.width * t.height).toBeGreaterThan(0);
      } catch (err) {
        if (!(err instanceof PhotoError)) throw err;
      }
    }
  });
});
