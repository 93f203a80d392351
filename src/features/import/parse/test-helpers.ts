import { readFileSync } from 'node:fs';
import { bytesDecoderFor, type BytesDecoder } from './decode.js';

/**
 * Helpers for the parser tests only (encoders we do not need in production: Node has no
 * Windows-1251 encoder, and the app never writes quoted-printable).
 */

const reverseMaps = new Map<string, Map<string, number>>();

/** Encode text into a single-byte code page (windows-1251, windows-1252) via TextDecoder's table. */
export function encodeSingleByte(text: string, codepage: 'windows-1251' | 'windows-1252'): Buffer {
  let map = reverseMaps.get(codepage);
  if (map === undefined) {
    map = new Map();
    const dec = bytesDecoderFor(codepage) as BytesDecoder;
    for (let b = 0; b < 256; b++) {
      const ch = dec(Uint8Array.of(b));
      if (ch !== '\uFFFD' && !map.has(ch)) map.set(ch, b);
    }
    reverseMaps.set(codepage, map);
  }
  const out = Buffer.alloc(text.length);
  let i = 0;
  for (const ch of text) {
    const b = map.get(ch);
    if (b === undefined) throw new Error(`cannot encode ${JSON.stringify(ch)} in ${codepage}`);
    out[i++] = b;
  }
  return out.subarray(0, i);
}

export function encodeUtf16(text: string, endian: 'le' | 'be', bom = true): Buffer {
  const le = Buffer.from((bom ? '\uFEFF' : '') + text, 'utf16le');
  if (endian === 'le') return le;
  const be = Buffer.alloc(le.length);
  for (let i = 0; i + 1 < le.length; i += 2) {
    be[i] = le[i + 1];
    be[i + 1] = le[i];
  }
  return be;
}

/**
 * Quoted-printable escaping in Outlook's style: every byte outside printable ASCII, '=' and
 * ';' (so a semicolon inside a component is data, not a separator) as =XX.
 */
export function qpEscape(bytes: Uint8Array): string {
  let enc = '';
  for (const b of bytes) {
    if (b >= 0x21 && b <= 0x7e && b !== 0x3d && b !== 0x3b) enc += String.fromCharCode(b);
    else enc += '=' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return enc;
}

/**
 * Cut an escaped quoted-printable value every `width` characters with `=` CRLF soft breaks —
 * even in the middle of an =XX escape, as Outlook does (see the NOTE of the 2.1 sample).
 */
export function qpWrap(escaped: string, width: number): string {
  const chunks: string[] = [];
  for (let i = 0; i < escaped.length; i += width) chunks.push(escaped.slice(i, i + width));
  return chunks.join('=\r\n');
}

/** Deterministic pseudo-random bytes (xorshift32). */
export function pseudoRandomBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Base64 folded the way Outlook 2.1 does it: first line after the colon, then indented lines. */
export function foldBase64(bytes: Buffer, width: number, indent: string): string {
  const b64 = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(indent + b64.slice(i, i + width));
  return lines.join('\r\n');
}

/** The sample files (Outlook exports, a BMP photo) kept next to the tests. */
export function fixture(name: string): Buffer {
  return readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));
}
