export type ImageType = 'bmp' | 'png' | 'jpeg';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** DIB header sizes that real BMP writers produce (core, info, v2, v3, OS/2 v2, v4, v5). */
const BMP_DIB_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

/**
 * Identifies an image by its leading bytes only. File names and client-sent MIME types are
 * attacker-controlled, so they are never consulted.
 */
export function sniffImageType(buf: Buffer): ImageType | null {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  // "BM" alone is only two ASCII letters, so also require a known DIB header size; otherwise a
  // text file starting with "BM" would be reported as a corrupt bitmap instead of not an image.
  if (buf.length >= 18 && buf[0] === 0x42 && buf[1] === 0x4d && BMP_DIB_SIZES.has(buf.readUInt32LE(14))) {
    return 'bmp';
  }
  return null;
}
