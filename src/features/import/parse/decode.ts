import type { TextEncodingName } from './types.js';

export interface DecodedText {
  text: string;
  encoding: TextEncodingName;
}

/** Bytes → text for one character set. */
export type BytesDecoder = (bytes: Uint8Array) => string;

const decoders = new Map<string, BytesDecoder | null>();

/**
 * A cached, non-fatal decoder for a charset label (case-insensitive, WHATWG labels such as
 * 'Windows-1251', 'utf-8', 'koi8-r'); `null` when the label is not supported.
 */
export function bytesDecoderFor(label: string): BytesDecoder | null {
  const key = label.trim().toLowerCase();
  let d = decoders.get(key);
  if (d === undefined) {
    try {
      // Node 24's TextDecoder maps windows-1252 bytes 0x80–0x9F as the WHATWG table does (€, “, ™…),
      // which Node 20.18–22 decoded as Latin-1 C1 controls (nodejs/node#60888): no table of our own.
      const td = new TextDecoder(key);
      d = (b: Uint8Array) => td.decode(b);
    } catch {
      d = null;
    }
    decoders.set(key, d);
  }
  return d;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decoding; `null` when the bytes are not valid UTF-8. */
export function tryDecodeUtf8(bytes: Uint8Array): string | null {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    return null;
  }
}

function decodeWith(label: string, bytes: Uint8Array): string {
  // Labels used here are all supported by Node's full-ICU TextDecoder.
  return (bytesDecoderFor(label) as BytesDecoder)(bytes);
}

/**
 * BOM-less UTF-16 guess: plain-ASCII punctuation (quotes, commas, digits, Latin letters)
 * produces a zero byte in every other position. Cyrillic UTF-16 has 0x04 high bytes, but a
 * contacts file always has enough ASCII punctuation to trip this.
 */
function guessBomlessUtf16(buf: Buffer): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(buf.length, 8192) & ~1;
  if (n < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (buf[i] === 0) evenZeros++;
    if (buf[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros >= pairs * 0.2 && evenZeros <= pairs * 0.01) return 'utf-16le';
  if (evenZeros >= pairs * 0.2 && oddZeros <= pairs * 0.01) return 'utf-16be';
  return null;
}

function isAsciiLetter(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/**
 * Windows-1251 versus Windows-1252 for bytes that are not valid UTF-8.
 *
 * 1. If bytes 0xC0–0xFF (Cyrillic letters in 1251) do not dominate the high bytes, 1252.
 * 2. Otherwise look at neighbours: Cyrillic words are runs of high letters (two 0xC0–0xFF
 *    bytes side by side), while Western accented letters sit between ASCII letters
 *    ("Müller", "café"). 1252 only when the Latin pattern wins; a tie (e.g. no adjacent
 *    letters at all) goes to 1251, the code page of the Russian Outlook exports we expect.
 */
export function guessSingleByteCodepage(buf: Uint8Array): SingleByteCodepage {
  return codepageStatistics(buf).codepage;
}

export type SingleByteCodepage = 'windows-1250' | 'windows-1251' | 'windows-1252';

/** Letters of Central European text that Windows-1250 has and 1252 writes as other signs. */
const CE_LETTERS = new Set('ąćęłńśźżĄĆĘŁŃŚŹŻčďěňřšťůžČĎĚŇŘŠŤŮŽőűŐŰĺľŕĹĽŔ');
/** Letters of Western European text at the byte values where 1250 and 1252 differ. */
const WE_LETTERS = new Set('àâãäåæçèêëìîïñòõøùûÿœšžŠŽŒÀÂÃÄÅÆÇÈÊËÌÎÏÑÒÕØÙÛß');

let tables: { w1250: string; w1252: string } | null = null;
function codepageTables() {
  if (!tables) {
    const all = Uint8Array.from({ length: 128 }, (_, i) => 0x80 + i);
    tables = { w1250: new TextDecoder('windows-1250').decode(all), w1252: new TextDecoder('windows-1252').decode(all) };
  }
  return tables;
}

/**
 * Windows-1250 versus 1252 for Latin text: a high byte between letters that is a Central European
 * letter in 1250 ("ł", "ř", "ś") and a sign or a rarer letter in 1252 ("³", "ø", "œ") speaks for
 * 1250, and the other way round. `tie` when nothing told them apart (e.g. only "é", "ü": the
 * same in both, or only "ń"/"ñ", a letter in both).
 */
function latinCodepage(buf: Uint8Array): { codepage: 'windows-1250' | 'windows-1252'; tie: boolean } {
  const { w1250, w1252 } = codepageTables();
  let ce = 0;
  let we = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b < 0x80) continue;
    const a = w1250[b - 0x80];
    const w = w1252[b - 0x80];
    if (a === w) continue;
    const aLetter = CE_LETTERS.has(a);
    const wLetter = WE_LETTERS.has(w);
    if (aLetter && !wLetter) ce++;
    else if (wLetter && !aLetter) we++;
    else if (aLetter && wLetter) {
      // A letter in both: the one that is not a letter at all elsewhere decides nothing.
      if (!/\p{L}/u.test(w)) ce++;
      else if (!/\p{L}/u.test(a)) we++;
    }
  }
  if (ce > we) return { codepage: 'windows-1250', tie: false };
  return { codepage: 'windows-1252', tie: ce === we };
}

/**
 * The single-byte code page of bytes that are not UTF-8, and whether the statistics decided it
 * (`tie`: nothing told the Latin pages apart; the caller may decide on more text).
 */
export function codepageStatistics(buf: Uint8Array): { codepage: SingleByteCodepage; tie: boolean } {
  const cyrillicOrLatin = cyrillicOrLatinCodepage(buf);
  if (cyrillicOrLatin === 'windows-1251') return { codepage: 'windows-1251', tie: false };
  return latinCodepage(buf);
}

function cyrillicOrLatinCodepage(buf: Uint8Array): 'windows-1251' | 'windows-1252' {
  let high = 0;
  let letters = 0;
  let cyrPairs = 0;
  let latinNeighbours = 0;
  const n = buf.length;
  for (let i = 0; i < n; i++) {
    const b = buf[i];
    if (b < 0x80) continue;
    high++;
    if (b < 0xc0) continue;
    letters++;
    const next = i + 1 < n ? buf[i + 1] : 0;
    const prev = i > 0 ? buf[i - 1] : 0;
    if (next >= 0xc0) cyrPairs++;
    if (isAsciiLetter(prev) || isAsciiLetter(next)) latinNeighbours++;
  }
  if (high === 0) return 'windows-1252';
  if (letters * 2 < high) return 'windows-1252';
  return latinNeighbours > cyrPairs ? 'windows-1252' : 'windows-1251';
}

/**
 * Decode a text file of unknown encoding: BOM first (UTF-8, UTF-16 LE/BE), then a BOM-less
 * UTF-16 guess (zero bytes in every other position), then strict UTF-8, then a heuristic
 * choice between Windows-1251 and Windows-1252. The BOM is not part of `text`.
 */
export function decodeText(buf: Buffer): DecodedText {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    return { text: decodeWith('utf-8', buf.subarray(3)), encoding: 'utf-8-bom' };
  }
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) {
    return { text: decodeWith('utf-16le', buf.subarray(2)), encoding: 'utf-16le' };
  }
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    return { text: decodeWith('utf-16be', buf.subarray(2)), encoding: 'utf-16be' };
  }
  const utf16 = guessBomlessUtf16(buf);
  if (utf16 !== null) {
    return { text: decodeWith(utf16, buf), encoding: utf16 };
  }
  const utf8 = tryDecodeUtf8(buf);
  if (utf8 !== null) return { text: utf8, encoding: 'utf-8' };
  const cp = guessSingleByteCodepage(buf);
  return { text: decodeWith(cp, buf), encoding: cp };
}
