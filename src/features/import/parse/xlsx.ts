import { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { oneLine } from './common.js';
import type { ColumnMapping } from './profiles.js';
import { TableReader, type TableColumns, type TableFormat } from './table-reader.js';
import { ParseError, type ContactRow, type FileProblem, type ParseLimits } from './types.js';

/**
 * An Excel workbook (.xlsx) as a table of contacts: the same header recognition, mapping step and
 * reports as a CSV. Read with exceljs's streaming reader, row by row, stopping at the row limit; the
 * zip's declared sizes are checked first, so a zip bomb is refused before anything is unpacked.
 * Formulas give their cached values; merged cells their top-left value (the others are empty).
 */
export interface XlsxResult {
  format: 'xlsx';
  /** Not a text file: always 'xlsx'. */
  encoding: 'xlsx';
  /** The format the header line matched (or 'csv': the user's mapping). */
  layout: TableFormat;
  headerLanguage: 'en' | 'ru' | 'de' | 'unknown';
  sheet: string;
  sheets: string[];
  table: TableColumns;
  mapped: boolean;
  rows: ContactRow[];
  problems: FileProblem[];
}

/** Unpacked, a workbook may take this much in all, and its shared strings this much (bytes). */
export const XLSX_LIMITS = { total: 256 * 1024 * 1024, sharedStrings: 64 * 1024 * 1024, entries: 10_000 };

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function startsWith(buf: Uint8Array, magic: number[]): boolean {
  return buf.length >= magic.length && magic.every((b, i) => buf[i] === b);
}

/** Entries of a zip by its central directory: name and declared sizes. Null when it is not a readable zip. */
export interface ZipEntry {
  name: string;
  size: number;
  compressed: number;
  method: number;
  /** Where the entry's local header starts. */
  offset: number;
}

export function zipEntries(buf: Buffer): ZipEntry[] | null {
  // End of central directory: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  const from = Math.max(0, buf.length - 65557);
  let eocd = -1;
  for (let i = buf.length - 22; i >= from; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || at === 0xffffffff) return [{ name: '(zip64)', size: Number.MAX_SAFE_INTEGER, compressed: 0, method: 0, offset: 0 }];
  const out: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== 0x02014b50) return null;
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const offset = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    out.push({ name, size: size === 0xffffffff ? Number.MAX_SAFE_INTEGER : size, compressed, method, offset });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** A zip that is an Excel workbook (by its parts), or an encrypted Office file. */
export function looksLikeXlsx(buf: Buffer, fileName: string): boolean {
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  if (startsWith(buf, CFB_MAGIC)) return ext === 'xlsx' || ext === 'xlsm' || isEncryptedOffice(buf);
  if (!startsWith(buf, ZIP_MAGIC)) return false;
  if (ext === 'xlsx' || ext === 'xlsm') return true;
  return zipEntries(buf)?.some((e) => e.name === 'xl/workbook.xml') ?? false;
}

/** A password-protected Office file is an OLE compound file with an "EncryptedPackage" stream. */
function isEncryptedOffice(buf: Buffer): boolean {
  return startsWith(buf, CFB_MAGIC) && buf.includes(Buffer.from('EncryptedPackage', 'utf16le'));
}

/** Checks what the zip says it holds before a byte of it is unpacked. */
function checkZip(buf: Buffer): void {
  if (isEncryptedOffice(buf)) throw new ParseError('xlsx_encrypted');
  if (!startsWith(buf, ZIP_MAGIC)) throw new ParseError('xlsx_corrupt', { detail: 'not_zip' });
  const entries = zipEntries(buf);
  if (!entries) throw new ParseError('xlsx_corrupt', { detail: 'zip' });
  if (entries.length > XLSX_LIMITS.entries) throw new ParseError('xlsx_too_big', { detail: 'entries' });
  let total = 0;
  for (const e of entries) {
    total += e.size;
    if (e.name === 'xl/sharedStrings.xml' && e.size > XLSX_LIMITS.sharedStrings) throw new ParseError('xlsx_too_big', { detail: 'shared_strings' });
  }
  if (total > XLSX_LIMITS.total) throw new ParseError('xlsx_too_big', { detail: 'total' });
  if (!entries.some((e) => e.name === 'xl/workbook.xml')) throw new ParseError('xlsx_corrupt', { detail: 'no_workbook' });
  for (const e of entries) checkInflated(buf, e);
}

/**
 * A zip may lie about its sizes: each deflated entry is unpacked here with its declared size as the
 * bound (zlib stops past it), so what the reader then unpacks is what was checked above.
 */
function checkInflated(buf: Buffer, e: ZipEntry): void {
  if (e.method === 0) {
    if (e.compressed !== e.size) throw new ParseError('xlsx_corrupt', { detail: 'stored_size' });
    return;
  }
  if (e.method !== 8) throw new ParseError('xlsx_corrupt', { detail: `method_${e.method}` });
  if (e.offset + 30 > buf.length || buf.readUInt32LE(e.offset) !== 0x04034b50) throw new ParseError('xlsx_corrupt', { detail: 'local_header' });
  const start = e.offset + 30 + buf.readUInt16LE(e.offset + 26) + buf.readUInt16LE(e.offset + 28);
  if (start + e.compressed > buf.length) throw new ParseError('xlsx_corrupt', { detail: 'truncated' });
  let out: Buffer;
  try {
    out = inflateRawSync(buf.subarray(start, start + e.compressed), { maxOutputLength: Math.max(1, e.size) });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new ParseError('xlsx_too_big', { detail: 'inflated' });
    throw new ParseError('xlsx_corrupt', { detail: 'inflate' });
  }
  if (out.length !== e.size) throw new ParseError('xlsx_too_big', { detail: 'inflated' });
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** A cell's value as the text a CSV of it would hold; `formulas` counts formulas without a cached value. */
function cellText(v: unknown, counts: { formulas: number }): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return '';
    const date = `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
    const time = v.getUTCHours() || v.getUTCMinutes() ? ` ${pad(v.getUTCHours())}:${pad(v.getUTCMinutes())}` : '';
    return date + time;
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('formula' in o || 'sharedFormula' in o) {
      if (o.result === undefined) {
        counts.formulas++;
        return '';
      }
      return cellText(o.result, counts);
    }
    if (Array.isArray(o.richText)) return (o.richText as { text?: string }[]).map((r) => r.text ?? '').join('');
    if ('text' in o) return cellText(o.text, counts);
    if ('error' in o) return '';
  }
  return '';
}

/** A row's cells (exceljs: 1-based, sparse) as fields from column A. */
function rowFields(values: unknown, counts: { formulas: number }): string[] {
  if (!Array.isArray(values)) return [];
  const out: string[] = [];
  for (let i = 1; i < values.length; i++) out.push(cellText(values[i], counts));
  return out;
}

/**
 * Reads the chosen sheet (by name), else the first with a header line. Throws ParseError:
 * 'xlsx_encrypted', 'xlsx_corrupt', 'xlsx_too_big', 'xlsx_no_sheet', 'too_many_rows', and
 * 'not_outlook_csv' with the columns (and the sheets) for the mapping step.
 */
export async function parseXlsx(buf: Buffer, limits: ParseLimits | undefined, mapping?: ColumnMapping, wanted?: string, saved?: Record<string, ColumnMapping>): Promise<XlsxResult> {
  checkZip(buf);
  const sheets: string[] = [];
  const counts = { formulas: 0 };
  const problems: FileProblem[] = [];
  let result: { read: ReturnType<TableReader['finish']>; sheet: string } | null = null;
  let unknown: ParseError | null = null;
  const workbook = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from([buf]), {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache',
    worksheets: 'emit',
    entries: 'ignore',
  });
  try {
    for await (const worksheet of workbook) {
      const name = String((worksheet as unknown as { name?: string }).name ?? `Sheet${sheets.length + 1}`);
      sheets.push(name);
      if (result || unknown || (wanted !== undefined && name !== wanted)) continue;
      const reader = new TableReader(limits, mapping, { encoding: 'xlsx', delimiter: null, sheet: name }, saved);
      const before: string[] = [];
      let header = false;
      try {
        for await (const row of worksheet) {
          const r = row as unknown as { number: number; values: unknown };
          const fields = rowFields(r.values, counts);
          if (!header) {
            // Title lines above the table (often merged across it) are no header: the header is
            // the first line with two named cells.
            const named = fields.filter((f) => f.trim() !== '');
            if (named.length < 2) {
              if (named.length) before.push(oneLine(named[0]).slice(0, 200));
              continue;
            }
            header = true;
          }
          reader.push(r.number, fields);
        }
        if (!header) continue; // an empty sheet: the next one
        result = { read: reader.finish(), sheet: name };
        if (before.length) problems.push({ code: 'rows_before_header', detail: before.join('; ') });
      } catch (err) {
        if (err instanceof ParseError && err.code === 'not_outlook_csv' && err.columns) {
          unknown = err;
          continue;
        }
        throw err;
      }
    }
  } catch (err) {
    if (err instanceof ParseError) throw err;
    throw new ParseError('xlsx_corrupt', { detail: err instanceof Error ? err.message.slice(0, 100) : 'read' });
  }
  if (unknown) {
    const columns = JSON.parse(unknown.columns as string) as Record<string, unknown>;
    throw new ParseError('not_outlook_csv', { line: unknown.line, columns: JSON.stringify({ ...columns, sheets }) });
  }
  if (!result) {
    if (wanted !== undefined && !sheets.includes(wanted)) throw new ParseError('xlsx_no_sheet', { detail: 'unknown' });
    throw new ParseError('xlsx_no_sheet');
  }
  if (counts.formulas) problems.push({ code: 'formula_without_value', detail: String(counts.formulas) });
  const { read } = result;
  return { format: 'xlsx', encoding: 'xlsx', layout: read.format, headerLanguage: read.headerLanguage, table: read.table, mapped: read.mapped, sheet: result.sheet, sheets, rows: read.rows, problems: [...read.problems, ...problems] };
}
