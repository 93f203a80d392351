import { describe, expect, it } from 'vitest';
import { sniffImageType } from './sniff.js';
import { encodeBmp } from './test-bmp.js';

describe('sniffImageType', () => {
  it('recognises the three formats by their magic bytes', () => {
    expect(sniffImageType(encodeBmp({ width: 1, height: 1, bpp: 24, pixel: () => 0 }))).toBe('bmp');
    expect(sniffImageType(encodeBmp({ width: 1, height: 1, bpp: 24, headerSize: 12, pixel: () => 0 }))).toBe('bmp');
    expect(sniffImageType(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toBe('png');
    expect(sniffImageType(Buffer.from('ffd8ffe000104a464946', 'hex'))).toBe('jpeg');
  });

  it('returns null for non-images, whatever they are called', () => {
    // A Windows executable renamed to photo.bmp still starts with "MZ".
    expect(sniffImageType(Buffer.from('4d5a90000300000004000000ffff0000', 'hex'))).toBeNull();
    expect(sniffImageType(Buffer.from('%PDF-1.7\n'))).toBeNull();
    expect(sniffImageType(Buffer.alloc(0))).toBeNull();
    // Text that happens to start with "BM" is not a bitmap: no valid DIB header size.
    expect(sniffImageType(Buffer.from('BMW service invoice, 2024'))).toBeNull();
    // Prefixes too short to hold the full signature.
    expect(sniffImageType(Buffer.from('89504e47', 'hex'))).toBeNull();
    expect(sniffImageType(Buffer.from('ffd8', 'hex'))).toBeNull();
  });
});
