import type { Sharp } from 'sharp';
import { limitConcurrency } from '../../../lib/limit.js';
import { decodeBmpSliced, readBmpHeader } from './bmp.js';
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
  /** Of the thumbnail, upright (after the EXIF orientation is applied). */
  width: number;
  height: number;
  sourceType: ImageType;
}

/**
 * Photos being decoded at once, whatever the number of uploads and imports asking: each may hold a
 * 40-megapixel canvas (160 MB for a bitmap), and sharp runs in libuv's thread pool, which the rest
 * of the server (file system, password hashing) shares.
 */
const PHOTO_JOBS = 2;
const inPhotoSlot = limitConcurrency(PHOTO_JOBS);

type SharpFactory = typeof import('sharp').default;
let sharpModule: Promise<SharpFactory> | null = null;

/**
 * sharp is loaded on first use: the import's parse worker imports this module's neighbours but
 * never decodes a photo, and should not load libvips into its thread.
 */
function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => {
    const sharp = m.default;
    // One libvips thread per image (PHOTO_JOBS images at most), and no cache of decoded images
    // kept between requests: a thumbnail is made once and stored.
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return sharpModule;
}

/**
 * Turns an uploaded photo (BMP, PNG or JPEG, identified by content) into an upright PNG thumbnail.
 * The decoding and scaling run in sharp (libvips, off the main thread); our own BMP decoder runs
 * in slices that yield to the event loop. Throws PhotoError for anything it refuses.
 */
export async function makeThumbnail(buf: Buffer, opts: ThumbnailOptions): Promise<Thumbnail> {
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

  const sharp = await loadSharp();
  return inPhotoSlot(async () => {
    let image: Sharp;
    if (sourceType === 'bmp') {
      // No library decodes hostile bitmaps safely: ours does, and hands sharp the raw pixels.
      const bmp = await decodeBmpSliced(buf, { maxPixels: opts.maxPixels });
      image = sharp(bmp.rgba, { raw: { width: bmp.width, height: bmp.height, channels: 4 }, limitInputPixels: opts.maxPixels });
    } else {
      // sharp checks the pixel limit again from the header; `sequentialRead` lets libvips stream
      // a PNG through the resize instead of holding the whole canvas, and a JPEG is shrunk while
      // it is decoded.
      image = sharp(buf, { limitInputPixels: opts.maxPixels, sequentialRead: true, failOn: 'error' });
    }
    try {
      const { data, info } = await image
        .rotate() // EXIF orientation: a phone's portrait comes out upright
        .resize(opts.size, opts.size, { fit: 'inside', withoutEnlargement: true })
        .png()
        .toBuffer({ resolveWithObject: true });
      return { png: data, width: info.width, height: info.height, sourceType };
    } catch (err) {
      // libvips reports bad input as plain Errors; callers only ever see PhotoError.
      throw new PhotoError('corrupt', `${sourceType}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });
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
      // Baseline, extended sequential and progressive Huffman only, as before: arithmetic and
      // lossless files are rare enough that refusing them keeps the decoder's surface small.
      if (marker > 0xc2) throw new PhotoError('unsupported_format', `jpeg: SOF${marker - 0xc0}`);
      if (pos + 9 > buf.length) throw new PhotoError('truncated', 'jpeg: frame header');
      const height = buf.readUInt16BE(pos + 5);
      const width = buf.readUInt16BE(pos + 7);
      // Height 0 means "defined later by a DNL marker": the header check cannot bound it.
      if (width === 0 || height === 0) throw new PhotoError('unsupported_format', 'jpeg: zero dimension');
      return { width, height };
    }
    pos += 2 + length;
  }
}
