import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { decodeBmp, readBmpHeader, type DecodedImage } from './bmp.js';
import { PhotoError } from './errors.js';
import { sniffImageType, type ImageType } from './sniff.js';

export interface ThumbnailOptions {
  /** Upload size limit in bytes. */
  maxBytes: number;
  /** Largest source width × height we agree to decode. */
  maxPixels: number;
  /** Longest side of the thumbnail in pixels; smaller images are never upscaled. */
  size: number;
}

export interface Thumbnail {
  png: Buffer;
  width: number;
  height: number;
  sourceType: ImageType;
}

/**
 * Turns an uploaded photo (BMP, PNG or JPEG, identified by content) into a PNG thumbnail.
 * Throws PhotoError for anything it refuses.
 */
export function makeThumbnail(buf: Buffer, opts: ThumbnailOptions): Thumbnail {
  if (!Number.isInteger(opts.size) || opts.size < 1) throw new RangeError('size must be a positive integer');
  if (buf.length > opts.maxBytes) throw new PhotoError('too_large', `${buf.length} bytes`);

  const sourceType = sniffImageType(buf);
  if (sourceType === null) throw new PhotoError('not_an_image');

  // Header dimensions are checked before decoding so that a small file claiming a huge canvas
  // is refused before any decoder allocates for it.
  const dims = readDimensions(buf, sourceType);
  if (dims.width * dims.height > opts.maxPixels) {
    throw new PhotoError('too_many_pixels', `${sourceType}: ${dims.width}x${dims.height}`);
  }

  const image = decode(buf, sourceType, opts.maxPixels);
  const scaled = downscale(image, opts.size);

  const png = new PNG({ width: scaled.width, height: scaled.height });
  scaled.rgba.copy(png.data);
  return { png: PNG.sync.write(png), width: scaled.width, height: scaled.height, sourceType };
}

export function readDimensions(buf: Buffer, type: ImageType): { width: number; height: number } {
  switch (type) {
    case 'bmp':
      return readBmpHeader(buf);
    case 'png':
      return readPngDimensions(buf);
    case 'jpeg':
      return readJpegDimensions(buf);
  }
}

function readPngDimensions(buf: Buffer): { width: number; height: number } {
  // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4); the PNG spec requires
  // IHDR to be the first chunk.
  if (buf.length < 24) throw new PhotoError('truncated', 'png: IHDR');
  if (buf.toString('latin1', 12, 16) !== 'IHDR') throw new PhotoError('corrupt', 'png: first chunk is not IHDR');
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  if (width === 0 || height === 0) throw new PhotoError('corrupt', 'png: zero dimension');
  return { width, height };
}

/** Walks the marker segments up to the first SOFn, which carries the frame dimensions. */
function readJpegDimensions(buf: Buffer): { width: number; height: number } {
  let pos = 2; // after SOI
  for (;;) {
    if (pos + 4 > buf.length) throw new PhotoError('truncated', 'jpeg: no frame header');
    if (buf[pos] !== 0xff) throw new PhotoError('corrupt', `jpeg: expected marker at ${pos}`);
    const marker = buf[pos + 1];
    if (marker === 0xff) {
      pos++; // fill byte before a marker
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      pos += 2; // TEM, RSTn and SOI carry no length
      continue;
    }
    if (marker === 0xda || marker === 0xd9) throw new PhotoError('corrupt', 'jpeg: scan before frame header');
    const length = buf.readUInt16BE(pos + 2);
    if (length < 2) throw new PhotoError('corrupt', 'jpeg: bad segment length');
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // jpeg-js decodes baseline, extended sequential and progressive Huffman only.
      if (marker > 0xc2) throw new PhotoError('unsupported_format', `jpeg: SOF${marker - 0xc0}`);
      if (pos + 9 > buf.length) throw new PhotoError('truncated', 'jpeg: frame header');
      const height = buf.readUInt16BE(pos + 5);
      const width = buf.readUInt16BE(pos + 7);
      // Height 0 means "defined later by a DNL marker", which jpeg-js does not support.
      if (width === 0 || height === 0) throw new PhotoError('unsupported_format', 'jpeg: zero dimension');
      return { width, height };
    }
    pos += 2 + length;
  }
}

function decode(buf: Buffer, type: ImageType, maxPixels: number): DecodedImage {
  if (type === 'bmp') return decodeBmp(buf, { maxPixels });

  // Third-party decoders throw plain Errors on bad input; those become 'corrupt' so callers only
  // ever see PhotoError. Anything else (our own PhotoError) passes through unchanged.
  try {
    if (type === 'png') {
      const png = PNG.sync.read(buf); // always yields 8-bit RGBA
      return { width: png.width, height: png.height, rgba: png.data };
    }
    const img = jpeg.decode(buf, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: maxPixels / 1e6,
      // jpeg-js accounts roughly 4 bytes per pixel per component for DCT blocks plus the colour
      // planes and the output; 32 bytes per pixel covers 4-component (CMYK) files.
      maxMemoryUsageInMB: Math.ceil((maxPixels * 32) / 2 ** 20) + 16,
    });
    return { width: img.width, height: img.height, rgba: Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength) };
  } catch (err) {
    if (err instanceof PhotoError) throw err;
    throw new PhotoError('corrupt', `${type}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Area-averaging downscale so that the longest side becomes `size` (never upscales).
 * Colours are averaged premultiplied by alpha, so fully transparent pixels (whose RGB is
 * arbitrary) do not bleed into their neighbours.
 */
export function downscale(src: DecodedImage, size: number): DecodedImage {
  const scale = Math.min(1, size / Math.max(src.width, src.height));
  if (scale === 1) return src;
  const width = Math.max(1, Math.round(src.width * scale));
  const height = Math.max(1, Math.round(src.height * scale));

  const xs = boxWeights(src.width, width);
  const ys = boxWeights(src.height, height);

  // Horizontal pass: src.height rows × width columns, premultiplied RGBA as floats.
  const tmp = new Float64Array(width * src.height * 4);
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < width; x++) {
      const { start, weights } = xs[x];
      let r = 0, g = 0, b = 0, a = 0;
      for (let i = 0; i < weights.length; i++) {
        const p = (y * src.width + start + i) * 4;
        const wa = weights[i] * src.rgba[p + 3];
        r += wa * src.rgba[p];
        g += wa * src.rgba[p + 1];
        b += wa * src.rgba[p + 2];
        a += wa;
      }
      const t = (y * width + x) * 4;
      tmp[t] = r;
      tmp[t + 1] = g;
      tmp[t + 2] = b;
      tmp[t + 3] = a;
    }
  }

  // Vertical pass, then undo the premultiplication.
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    const { start, weights } = ys[y];
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let i = 0; i < weights.length; i++) {
        const t = ((start + i) * width + x) * 4;
        r += weights[i] * tmp[t];
        g += weights[i] * tmp[t + 1];
        b += weights[i] * tmp[t + 2];
        a += weights[i] * tmp[t + 3];
      }
      const o = (y * width + x) * 4;
      if (a > 0) {
        // Buffer assignment truncates, so round explicitly; the clamp guards float drift.
        rgba[o] = Math.min(255, Math.round(r / a));
        rgba[o + 1] = Math.min(255, Math.round(g / a));
        rgba[o + 2] = Math.min(255, Math.round(b / a));
        rgba[o + 3] = Math.min(255, Math.round(a));
      }
    }
  }
  return { width, height, rgba };
}

/** For each destination index: the first source index it covers and the normalized coverage of each. */
function boxWeights(srcLen: number, dstLen: number): { start: number; weights: number[] }[] {
  const step = srcLen / dstLen;
  const result: { start: number; weights: number[] }[] = [];
  for (let i = 0; i < dstLen; i++) {
    const lo = i * step;
    const hi = Math.min(srcLen, (i + 1) * step);
    const start = Math.floor(lo);
    const weights: number[] = [];
    let sum = 0;
    for (let j = start; j < hi; j++) {
      const w = Math.min(hi, j + 1) - Math.max(lo, j);
      weights.push(w);
      sum += w;
    }
    result.push({ start, weights: weights.map((w) => w / sum) });
  }
  return result;
}
