import { parseOutlookCsvText, type CsvDelimiter } from './csv.js';
import type { ColumnMapping } from './profiles.js';
import type { TableColumns, TableFormat } from './table-reader.js';
import { decodeText } from './decode.js';
import { ParseError, type ContactRow, type FileProblem, type ParseLimits, type TextEncodingName } from './types.js';
import { parseVcard } from './vcard.js';

export { decodeText, type DecodedText } from './decode.js';
export { detectDelimiter, parseCsv, parseOutlookCsv, type CsvDelimiter, type CsvRecord, type OutlookCsvResult } from './csv.js';
export { parseVcard, type VcardResult } from './vcard.js';
export * from './types.js';
export * from './profiles.js';
export type { TableColumns, TableFormat, UnknownColumns } from './table-reader.js';

export interface ContactsFileResult {
  format: TableFormat | 'vcard' | 'xlsx';
  encoding: TextEncodingName | string;
  /** vCard: how its 8-bit text was read (declared charsets, or decided by statistics). */
  charsets?: { charset: string; how: 'declared' | 'statistics'; count: number }[];
  /** CSV only. */
  delimiter?: CsvDelimiter;
  /** CSV only. */
  headerLanguage?: 'en' | 'ru' | 'de' | 'unknown';
  /** Tables: their columns (for the mapping step), and whether a user's mapping read them. */
  table?: TableColumns;
  mapped?: boolean;
  /** vCard only: distinct VERSION values. */
  version?: string[];
  rows: ContactRow[];
  problems: FileProblem[];
}

const SAMPLE_CHARS = 65536;

/** Control characters (other than tab, LF, CR, FF), NULs and U+FFFD in the first 64 KiB. */
function looksBinary(text: string): boolean {
  const n = Math.min(text.length, SAMPLE_CHARS);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return true;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c && c !== 0x0b) || c === 0x7f || c === 0xfffd) {
      bad++;
    }
  }
  return bad > 0 && bad * 100 > n;
}

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? '' : fileName.slice(dot + 1).toLowerCase();
}

/**
 * Parse an uploaded contacts file, sniffed by content (not by name): `BEGIN:VCARD` → vCard,
 * otherwise Outlook CSV. Throws `ParseError`: 'empty', 'not_a_contacts_file' (binary),
 * 'not_outlook_csv', 'unterminated_quote', 'vcard_unterminated', and 'too_many_rows' as soon as
 * the file has more contacts than `limits.maxRows` (the rest is not read).
 */
export function parseContactsFile(buf: Buffer, fileName: string, limits?: ParseLimits, mapping?: ColumnMapping, saved?: Record<string, ColumnMapping>): ContactsFileResult {
  if (buf.length === 0) throw new ParseError('empty');
  const decoded = decodeText(buf);
  const utf16 = decoded.encoding === 'utf-16le' || decoded.encoding === 'utf-16be';
  if (!utf16 && buf.includes(0)) {
    const zip = buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
    throw new ParseError('not_a_contacts_file', { detail: zip ? 'zip' : 'binary' });
  }
  if (looksBinary(decoded.text)) throw new ParseError('not_a_contacts_file', { detail: 'binary' });
  const start = decoded.text.search(/\S/);
  if (start < 0) throw new ParseError('empty');

  const ext = extensionOf(fileName);
  const isVcard = decoded.text.slice(start, start + 11).toUpperCase() === 'BEGIN:VCARD';
  if (isVcard) {
    const r = parseVcard(buf, limits);
    const problems = [...r.problems];
    if (ext === 'csv' || ext === 'txt') problems.unshift({ code: 'extension_mismatch', detail: ext });
    return { format: 'vcard', encoding: r.encoding, charsets: r.charsets, version: r.version, rows: r.rows, problems };
  }
  const r = parseOutlookCsvText(decoded.text, decoded.encoding, limits, mapping, saved);
  const problems = [...r.problems];
  if (ext === 'vcf' || ext === 'vcard') problems.unshift({ code: 'extension_mismatch', detail: ext });
  return {
    format: r.format,
    encoding: r.encoding,
    delimiter: r.delimiter,
    headerLanguage: r.headerLanguage,
    table: r.table,
    mapped: r.mapped,
    rows: r.rows,
    problems,
  };
}
