import { decodeText } from './decode.js';
import type { ColumnMapping } from './profiles.js';
import { TableReader, type TableColumns, type TableFormat } from './table-reader.js';
import { ParseError, type ContactRow, type FileProblem, type ParseLimits, type TextEncodingName } from './types.js';
export type CsvDelimiter = ',' | ';' | '\t';

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * Delimiter of the header line: the most frequent of comma, semicolon and tab outside
 * quotes on the first record (comma on a tie or when none occurs).
 */
export function detectDelimiter(text: string): CsvDelimiter {
  let comma = 0;
  let semi = 0;
  let tab = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      inQuotes = !inQuotes; // a doubled quote toggles twice: no net change
    } else if (!inQuotes) {
      if (c === LF || c === CR) break;
      if (c === 0x2c) comma++;
      else if (c === 0x3b) semi++;
      else if (c === TAB) tab++;
    }
  }
  if (semi > comma && semi >= tab) return ';';
  if (tab > comma && tab > semi) return '\t';
  return ',';
}

/** Newlines in text[from, to): CRLF, LF and lone CR each count once. */
function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR && text.charCodeAt(i + 1) !== LF) n++;
  }
  return n;
}

/**
 * RFC 4180 parser: quoted fields, doubled quotes, line breaks inside quotes, CRLF / LF / CR
 * record ends. Linear: quoted fields are scanned with indexOf, no regular expressions.
 *
 * Lenient about quotes inside unquoted fields (`ab"c` stays as is) and about blanks between a
 * closing quote and the delimiter. Strict about a quoted field that never closes, or whose
 * closing quote is followed by text: in an Outlook file, where every field is quoted, that
 * is what a missing quote looks like (the quote pairing has shifted by one), so we throw
 * `unterminated_quote` with the line where that field began rather than silently parsing the
 * rest of the file inside out.
 *
 * Records consisting of one empty field (blank lines) are dropped.
 */
export function parseCsv(text: string, delimiter: CsvDelimiter): CsvRecord[] {
  const records: CsvRecord[] = [];
  forEachCsvRecord(text, delimiter, (line, fields) => {
    records.push({ line, fields });
  });
  return records;
}

/** Streaming form of `parseCsv`: calls `onRecord` for each non-blank record, in order. */
export function forEachCsvRecord(
  text: string,
  delimiter: CsvDelimiter,
  onRecord: (line: number, fields: string[]) => void,
): void {
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let field: string;
      if (i < n && text.charCodeAt(i) === QUOTE) {
        const fieldLine = line;
        i++;
        let value = '';
        let segStart = i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new ParseError('unterminated_quote', { line: fieldLine, detail: 'eof' });
          line += countLines(text, i, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(segStart, q + 1);
            i = q + 2;
            segStart = i;
            continue;
          }
          value += text.slice(segStart, q);
          i = q + 1;
          break;
        }
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === delim || c === LF || c === CR) break;
          if (c === SPACE || c === TAB) {
            i++;
            continue;
          }
          throw new ParseError('unterminated_quote', { line: fieldLine, detail: 'text_after_closing_quote' });
        }
        field = value;
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === delim || c === LF || c === CR) break;
          j++;
        }
        field = text.slice(i, j);
        i = j;
      }
      fields.push(field);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === delim) {
        i++;
        if (i >= n) {
          fields.push('');
          break;
        }
        continue;
      }
      // End of record.
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      break;
    }
    if (!(fields.length === 1 && fields[0] === '')) onRecord(recordLine, fields);
  }
}

// ---------------------------------------------------------------------------------------------
// Records as contacts: the header line picks the format (see profiles.ts), or a given mapping.

export interface OutlookCsvResult {
  /** Outlook, Google or Thunderbird by the header signature; 'csv' with the user's mapping. */
  format: TableFormat;
  table: TableColumns;
  mapped: boolean;
  encoding: TextEncodingName;
  delimiter: CsvDelimiter;
  headerLanguage: 'en' | 'ru' | 'de' | 'unknown';
  rows: ContactRow[];
  problems: FileProblem[];
}

/** Parse already-decoded CSV text (no BOM); `mapping`: the user's, for a header no profile knows. */
export function parseOutlookCsvText(text: string, encoding: TextEncodingName, limits?: ParseLimits, mapping?: ColumnMapping, saved?: Record<string, ColumnMapping>): OutlookCsvResult {
  if (text.trim() === '') throw new ParseError('empty');
  const delimiter = detectDelimiter(text);
  const reader = new TableReader(limits, mapping, { encoding, delimiter }, saved);
  forEachCsvRecord(text, delimiter, (line, fields) => reader.push(line, fields));
  const r = reader.finish();
  return { ...r, encoding, delimiter };
}

/**
 * Parse a CSV contacts export (Outlook in English, Russian or German, Google, Thunderbird; comma,
 * semicolon or tab; UTF-8, UTF-16 or Windows-1251/1252). Throws `ParseError` ('empty',
 * 'not_outlook_csv', 'unterminated_quote').
 */
export function parseOutlookCsv(buf: Buffer): OutlookCsvResult {
  if (buf.length === 0) throw new ParseError('empty');
  const { text, encoding } = decodeText(buf);
  return parseOutlookCsvText(text, encoding);
}
