import { existsSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeBmp } from './bmp.js';
import { PhotoError, type PhotoErrorCode } from './errors.js';
import { bmpHeaderOnly, encodeBmp } from './test-bmp.js';
import { makeThumbnail, type ThumbnailOptions } from './thumbnail.js';

const SAMPLE_BMP = new URL('../../import/parse/__fixtures__/photo-24bit.bmp', import.meta.url);
const OPTS: ThumbnailOptions = { maxBytes: 5 * 1024 * 1024, maxPixels: 4_000_000, size: 64 };

async function codeOf(fn: () => Promise<unknown>): Promise<PhotoErrorCode | 'no error'> {
  try {
    await fn();
    return 'no error';
  } catch (err) {
    if (err instanceof PhotoError) return err.code;
    throw err;
  }
}

function pngOf(width: number, height: number, rgba: number[]): Promise<Buffer> {
  return sharp(Buffer.from(rgba), { raw: { width, height, channels: 4 } }).png().toBuffer();
}

function jpegOf(width: number, height: number, rgba: Buffer, quality: number): Promise<Buffer> {
  return sharp(rgba, { raw: { width, height, channels: 4 } }).jpeg({ quality }).toBuffer();
}

async function readPng(buf: Buffer): Promise<{ width: number; height: number; rgba: number[] }> {
  expect(buf.subarray(1, 4).toString('latin1')).toBe('PNG');
  const { data, info } = await sharp(buf).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgba: [...data] };
}

/** SOI, then a frame header with the given SOF marker and dimensions (no scan data). */
function jpegHeader(sof: number, width: number, height: number): Buffer {
  const frame = Buffer.from([0xff, sof, 0x00, 0x11, 8, 0, 0, 0, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  frame.writeUInt16BE(height, 5);
  frame.writeUInt16BE(width, 7);
  const app0 = Buffer.from('ffe000104a46494600010100000100010000', 'hex');
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, frame]);
}

describe('makeThumbnail: refusals', async () => {
  it('refuses files above maxBytes before looking at them', async () => {
    const bmp = encodeBmp({ width: 10, height: 10, bpp: 24, pixel: () => 0 });
    expect(await codeOf(async () => makeThumbnail(bmp, { ...OPTS, maxBytes: bmp.length - 1 }))).toBe('too_large');
    expect(await codeOf(async () => makeThumbnail(bmp, { ...OPTS, maxBytes: bmp.length }))).toBe('no error');
  });

  it('refuses an EXE renamed to .bmp, and other non-images', async () => {
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'latin1'), Buffer.alloc(200)]);
    expect(await codeOf(async () => makeThumbnail(exe, OPTS))).toBe('not_an_image');
    expect(await codeOf(async () => makeThumbnail(Buffer.from('BM is not a bitmap'), OPTS))).toBe('not_an_image');
    expect(await codeOf(async () => makeThumbnail(Buffer.alloc(0), OPTS))).toBe('not_an_image');
  });

  it('refuses header dimensions above maxPixels for every format', async () => {
    expect(await codeOf(async () => makeThumbnail(bmpHeaderOnly(60000, 60000), OPTS))).toBe('too_many_pixels');
    const ihdr = Buffer.from('89504e470d0a1a0a0000000d49484452000186a0000186a00806000000', 'hex'); // 100000²
    expect(await codeOf(async () => makeThumbnail(ihdr, OPTS))).toBe('too_many_pixels');
    expect(await codeOf(async () => makeThumbnail(jpegHeader(0xc0, 60000, 60000), OPTS))).toBe('too_many_pixels');
    expect(await codeOf(async () => makeThumbnail(jpegHeader(0xc2, 3000, 2000), { ...OPTS, maxPixels: 5_000_000 }))).toBe(
      'too_many_pixels',
    );
  });

  it('reports damaged PNGs as corrupt', async () => {
    const png = await pngOf(4, 4, Array.from({ length: 64 }, (_, i) => i * 4));
    const flipped = Buffer.from(png);
    flipped[png.indexOf('IDAT') + 6] ^= 0xff; // breaks the chunk CRC
    expect(await codeOf(async () => makeThumbnail(flipped, OPTS))).toBe('corrupt');
    expect(await codeOf(async () => makeThumbnail(png.subarray(0, png.length - 20), OPTS))).toBe('corrupt');
    const notIhdr = Buffer.from(png);
    notIhdr.write('tEXt', 12, 'latin1');
    expect(await codeOf(async () => makeThumbnail(notIhdr, OPTS))).toBe('corrupt');
  });

  it('refuses JPEG variants the decoder cannot handle and malformed marker streams', async () => {
    expect(await codeOf(async () => makeThumbnail(jpegHeader(0xc9, 100, 100), OPTS))).toBe('unsupported_format'); // arithmetic
    expect(await codeOf(async () => makeThumbnail(jpegHeader(0xc3, 100, 100), OPTS))).toBe('unsupported_format'); // lossless
    expect(await codeOf(async () => makeThumbnail(jpegHeader(0xc0, 100, 0), OPTS))).toBe('unsupported_format'); // DNL
    expect(await codeOf(async () => makeThumbnail(Buffer.from('ffd8ffda000c', 'hex'), OPTS))).toBe('corrupt'); // scan, no frame
    expect(await codeOf(async () => makeThumbnail(Buffer.from('ffd8ffe00010', 'hex'), OPTS))).toBe('truncated');
    // A frame header with no tables or scan behind it cannot be decoded.
    expect(await codeOf(async () => makeThumbnail(jpegHeader(0xc0, 16, 16), OPTS))).toBe('corrupt');
  });
});

describe('makeThumbnail: output', () => {
  it('round-trips a small PNG unchanged (never upscales), including alpha', async () => {
    const rgba = [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 10, 20, 30, 40, 50, 60, 70, 80, 1, 2, 3, 255];
    const thumb = await makeThumbnail(await pngOf(3, 2, rgba), OPTS);
    expect(thumb).toMatchObject({ width: 3, height: 2, sourceType: 'png' });
    expect(await readPng(thumb.png)).toEqual({ width: 3, height: 2, rgba });
  });

  it('scales with alpha taken into account: a transparent pixel’s colour does not leak', async () => {
    // 4×2 → 2×1. Left block: opaque dark reds. Right block: one transparent pure red among three
    // opaque blues: the result must be blue, not purple.
    const px = (r: number, g: number, b: number, a: number) => [r, g, b, a];
    const rgba = [
      ...px(0, 0, 0, 255), ...px(10, 0, 0, 255), ...px(255, 0, 0, 0), ...px(0, 0, 255, 255),
      ...px(20, 0, 0, 255), ...px(31, 0, 0, 255), ...px(0, 0, 255, 255), ...px(0, 0, 255, 255),
    ];
    const out = await readPng((await makeThumbnail(await pngOf(4, 2, rgba), { ...OPTS, size: 2 })).png);
    expect([out.width, out.height]).toEqual([2, 1]);
    const [lr, lg, lb] = out.rgba;
    const [rr, rg, rb, ra] = out.rgba.slice(4);
    expect(Math.abs(lr - 15)).toBeLessThanOrEqual(3);
    expect([lg, lb]).toEqual([0, 0]);
    expect(rr).toBeLessThanOrEqual(5);
    expect(rg).toBe(0);
    expect(rb).toBeGreaterThanOrEqual(230);
    expect(ra).toBeGreaterThan(150);
    expect(ra).toBeLessThan(255);
  });

  it('thumbnails the real 120×160 BMP sample, keeping the aspect ratio and its colours', async () => {
    expect(existsSync(SAMPLE_BMP)).toBe(true);
    const bmp = readFileSync(SAMPLE_BMP);
    const thumb = await makeThumbnail(bmp, { ...OPTS, size: 64 });
    expect(thumb).toMatchObject({ width: 48, height: 64, sourceType: 'bmp' });
    const out = await readPng(thumb.png);
    expect([out.width, out.height]).toEqual([48, 64]);
    // Source (hex dump): top rows G = 255, 253, 251; left columns B = 0, 2, 4; bottom rows
    // G = 3, 1, 0; right columns B = 250, 252, 255; R = 128 throughout.
    const near = (got: number[], want: number[]) => got.forEach((v, i) => expect(Math.abs(v - want[i]), `channel ${i}`).toBeLessThanOrEqual(2));
    near(out.rgba.slice(0, 4), [128, 253, 2, 255]);
    near(out.rgba.slice(-4), [128, 1, 253, 255]);
  });

  it('halves the sample close to 2×2 block averages', async () => {
    const bmp = readFileSync(SAMPLE_BMP);
    const src = decodeBmp(bmp, { maxPixels: OPTS.maxPixels });
    const out = await readPng((await makeThumbnail(bmp, { ...OPTS, size: 80 })).png);
    expect([out.width, out.height]).toEqual([60, 80]);
    let worst = 0;
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 60; x++) {
        for (let c = 0; c < 4; c++) {
          const at = (dx: number, dy: number) => src.rgba[((2 * y + dy) * 120 + 2 * x + dx) * 4 + c];
          const want = (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1)) / 4;
          worst = Math.max(worst, Math.abs(out.rgba[(y * 60 + x) * 4 + c] - want));
        }
      }
    }
    // A smooth gradient: any decent filter stays within a few levels of the box average.
    expect(worst).toBeLessThanOrEqual(4);
  });

  it('decodes and scales a JPEG', async () => {
    // Two flat 8×8 blocks so that JPEG loss stays tiny.
    const w = 16;
    const h = 8;
    const data = Buffer.alloc(w * h * 4);
    for (let i = 0; i < w * h; i++) {
      const left = i % w < 8;
      data.set(left ? [200, 100, 50, 255] : [30, 60, 220, 255], i * 4);
    }
    const thumb = await makeThumbnail(await jpegOf(w, h, data, 100), { ...OPTS, size: 2 });
    expect(thumb).toMatchObject({ width: 2, height: 1, sourceType: 'jpeg' });
    const got = (await readPng(thumb.png)).rgba;
    const want = [200, 100, 50, 255, 30, 60, 220, 255];
    // JPEG's chroma subsampling and the resampling filter blur the edge between the blocks a little.
    got.forEach((v, i) => expect(Math.abs(v - want[i]), `channel ${i}`).toBeLessThanOrEqual(12));
  });

  it('turns a phone photo upright by its EXIF orientation', async () => {
    // A landscape 40×20 file that the camera says to turn 90° clockwise (orientation 6).
    const raw = Buffer.alloc(40 * 20 * 4, 255);
    const file = await sharp(raw, { raw: { width: 40, height: 20, channels: 4 } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(file).metadata()).orientation).toBe(6);
    const thumb = await makeThumbnail(file, { ...OPTS, size: 64 });
    expect([thumb.width, thumb.height]).toEqual([20, 40]);
    const out = await readPng(thumb.png);
    expect([out.width, out.height]).toEqual([20, 40]);
  });

  it('decodes a large bitmap in slices that leave the event loop free', async () => {
    // 6000×6000 1-bit: 36 megapixels in a 4.5 MB file, a canvas that took seconds in one piece.
    const bmp = encodeBmp({ width: 6000, height: 6000, bpp: 1, palette: [[10, 20, 30], [200, 210, 220]], pixel: (x) => x & 1 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const thumb = await makeThumbnail(bmp, { ...OPTS, maxPixels: 40_000_000, size: 64 });
    clearInterval(timer);
    expect([thumb.width, thumb.height]).toEqual([64, 64]);
    // The timer ran while the bitmap was decoded: the work was not one long block.
    expect(ticks).toBeGreaterThan(2);
  });

  it('only ever throws PhotoError on randomly damaged PNG and JPEG files', async () => {
    let seed = 0x1234567;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const pixels = Buffer.from(Array.from({ length: 16 * 16 * 4 }, (_, i) => (i * 37) & 255));
    const bases = [await pngOf(16, 16, [...pixels]), await jpegOf(16, 16, pixels, 80)];
    for (let i = 0; i < 600; i++) {
      const b = Buffer.from(bases[i % 2]);
      for (let k = 1 + rand(4); k > 0; k--) b[rand(b.length)] = rand(256);
      const cut = rand(3) === 0 ? b.subarray(0, rand(b.length)) : b;
      try {
        const t = await makeThumbnail(cut, { ...OPTS, maxPixels: 100_000, size: 8 });
        expect(t.width * t.height).toBeGreaterThan(0);
      } catch (err) {
        if (!(err instanceof PhotoError)) throw err;
      }
    }
  });
});
