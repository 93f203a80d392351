import { PassThrough, type Readable, type Writable } from 'node:stream';
import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
// Loaded with the app, not on the first export: loading it takes ~0.5 s of the event loop (and
// adds ~40 MB of memory, which an export would add anyway).
import ExcelJS from 'exceljs';
import type { Locale } from '../../db/schema/users.js';

/**
 * A table for a spreadsheet: a header row and rows that arrive in batches (database pages), so
 * a writer holds a batch at a time however long the table is. The same table is written as
 * .xlsx (exceljs's streaming writer) and as CSV the way Russian Excel opens it by double-click.
 */
export type Cell = string | number | Date | null;

export interface Column {
  header: string;
  /** Width in characters, as Excel counts them. */
  width: number;
  /** Dates are written as date cells (xlsx) or in the user's date format (CSV). */
  date?: boolean;
}

export interface Table {
  /** The sheet's name (Excel allows 31 characters, none of []:*?/\). */
  sheet: string;
  columns: Column[];
  batches: AsyncIterable<Cell[][]>;
}

/** A calendar date (no time) from 'YYYY-MM-DD', as a date cell holds it (midnight UTC). */
export function dateCell(iso: string | null | undefined): Date | null {
  return iso ? new Date(`${iso.slice(0, 10)}T00:00:00Z`) : null;
}

/** How each locale writes a date: the cell format in .xlsx and the text in CSV agree. */
const DATE_FORMAT: Record<Locale, { excel: string; text: (d: Date) => string }> = {
  ru: { excel: 'dd.mm.yyyy', text: (d) => `${pad(d.getUTCDate())}.${pad(d.getUTCMonth() + 1)}.${d.getUTCFullYear()}` },
  en: { excel: 'yyyy-mm-dd', text: (d) => d.toISOString().slice(0, 10) },
};
const pad = (n: number) => String(n).padStart(2, '0');

/** Excel refuses these in a sheet name. */
export function sheetName(name: string): string {
  return name.replace(/[[\]:*?/\\]/g, ' ').trim().slice(0, 31) || 'Sheet1';
}

/**
 * Pauses the writer while the reader is behind: the reply's back-pressure paces the database
 * reads, and memory holds what one batch makes.
 */
async function whenDrained(out: PassThrough, zipInput: ZipInput | null, closed: Promise<unknown>): Promise<boolean> {
  // The zip first: rows written faster than it deflates would wait in its input, unbounded.
  if (zipBehind(zipInput) && !out.destroyed) await Promise.race([new Promise<void>((resolve) => zipInput!.once('drain', resolve)), closed]);
  if (out.writableNeedDrain && !out.destroyed) await Promise.race([once(out, 'drain'), closed]);
  // Let the zip and the socket take what is pending before the next batch is made.
  await nextTurn();
  // The download was cut (the reply destroys the stream): read nothing more.
  return !out.destroyed;
}

/** Control characters XML 1.0 cannot carry (tab and line breaks can): an imported value may hold one. */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const xlsxValue = (v: Cell) => (typeof v === 'string' ? v.replace(NOT_XML, '') : v);

/**
 * The stream that carries the sheet's XML into the zip. exceljs writes each committed row into
 * the sheet's buffer, which passes it on to the zip's input (a PassThrough archiver reads entry by
 * entry) without ever looking at that stream's back-pressure: when deflating is slower than making
 * rows (a busy machine, the threadpool shared with the database), the XML waited there, 60 MB per
 * 50,000 rows, and the server's memory grew with the file (321 → 532 MB over a 100,000-person
 * export). Reached through exceljs 4's internals (`worksheet.stream.pipes`); null when they
 * change, and then only the reply's back-pressure paces the rows, as before.
 */
export function zipInputOf(ws: unknown): ZipInput | null {
  const pipes = (ws as { stream?: { pipes?: unknown } }).stream?.pipes;
  const first = Array.isArray(pipes) ? (pipes[0] as Partial<ZipInput> | undefined) : undefined;
  return first && typeof first.once === 'function' && typeof first._writableState?.length === 'number' ? (first as ZipInput) : null;
}

/** archiver's PassThrough is readable-stream 2's: its state says what Node's `writableNeedDrain` would. */
export interface ZipInput {
  once(event: 'drain', listener: () => void): unknown;
  _writableState: { length: number; highWaterMark: number };
}

const zipBehind = (z: ZipInput | null) => !!z && z._writableState.length >= z._writableState.highWaterMark;

/** Rows per slice between turns of the event loop: each slice stays well under 50 ms of work. */
const SLICE = 250;

/**
 * The table as an .xlsx stream. The workbook is zipped as it is written (no shared strings: each
 * cell carries its text), so the first bytes leave before the last rows are read. Header row in
 * bold and frozen, autofilter over the whole table, widths set.
 */
export function xlsxStream(table: Table, locale: Locale): Readable {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  void writeXlsx(table, locale, out).catch((err: unknown) => out.destroy(err as Error));
  return out;
}

async function writeXlsx(table: Table, locale: Locale, out: PassThrough) {
  const closed = once(out, 'close').catch(() => undefined);
  // Fastest deflate: a third larger than the default level, at well under half the time.
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out as unknown as Writable, useStyles: true, useSharedStrings: false, zip: { zlib: { level: 1 } } });
  const ws = wb.addWorksheet(sheetName(table.sheet), { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  const n = table.columns.length;
  // A style only where one is needed: exceljs looks up every styled cell's style (a third of its time).
  ws.columns = table.columns.map((c, i) => ({ key: String(i), width: c.width, ...(c.date ? { style: { numFmt: DATE_FORMAT[locale].excel } } : {}) }));
  const header = ws.addRow(table.columns.map((c) => c.header));
  header.font = { bold: true };
  header.commit();
  // Known once the sheet's stream exists (it is opened with the first row).
  const zipInput = zipInputOf(ws);
  let last = 1;
  for await (const batch of table.batches) {
    for (let i = 0; i < batch.length; i += SLICE) {
      for (const row of batch.slice(i, i + SLICE)) {
        ws.addRow(row.map(xlsxValue)).commit();
        last++;
      }
      // Leaving the loop closes the source: its database reads stop.
      if (!(await whenDrained(out, zipInput, closed))) return;
    }
  }
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: last, column: n } };
  filterDatabase(wb, ws.name, `$A$1:$${columnLetters(n)}$${last}`);
  ws.commit();
  await wb.commit();
}

/** A column's letters as a reference writes them: 1 → A, 26 → Z, 27 → AA. */
export function columnLetters(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
}

/**
 * The sheet-local name `_xlnm._FilterDatabase` over the filtered range, as Excel writes it beside
 * the sheet's <autoFilter>: LibreOffice shows the filter buttons only with it. exceljs's streaming
 * writer writes the workbook's defined names from `definedNames.model` but has no way to make a
 * name local to a sheet (localSheetId), so the model is given here whole.
 */
function filterDatabase(wb: { definedNames: unknown }, sheet: string, range: string) {
  const name = { name: '_xlnm._FilterDatabase', ranges: [`'${sheet.replace(/'/g, "''")}'!${range}`], localSheetId: 0 };
  Object.defineProperty(wb.definedNames, 'model', { value: [name], configurable: true });
}

const BOM = '\ufeff';
const CRLF = '\r\n';
/** Values that need quotes: the separator, a quote, a line break, or spaces at an end (Excel trims them). */
const NEEDS_QUOTES = /[;"\r\n]|^\s|\s$/;
/**
 * Text a spreadsheet would take for a formula (CSV injection, OWASP): "=", "@", a tab or CR first,
 * or "+"/"-" not followed by what a phone number or a signed number starts with. Such a value is
 * written with a leading apostrophe, which keeps it text.
 */
const FORMULA_LIKE = /^(?:[=@\t\r]|[+-](?![\d(]))/;

export function csvValue(v: string): string {
  const safe = FORMULA_LIKE.test(v) ? `'${v}` : v;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * The table as CSV the way Russian Excel opens it by double-click: UTF-8 with a BOM (else it reads
 * Windows-1251), ";" between values (the list separator of the Russian locale), CRLF line ends,
 * values quoted when they hold ";", quotes or line breaks (quotes doubled; line breaks inside a
 * value stay, quoted, as Excel writes them).
 */
export async function* csvChunks(table: Table, locale: Locale): AsyncGenerator<Buffer> {
  const text = DATE_FORMAT[locale].text;
  const cell = (v: Cell) => (v === null ? '' : v instanceof Date ? text(v) : typeof v === 'number' ? String(v) : csvValue(v));
  yield Buffer.from(BOM + table.columns.map((c) => csvValue(c.header)).join(';') + CRLF, 'utf8');
  for await (const batch of table.batches) {
    let chunk = '';
    for (const row of batch) chunk += row.map(cell).join(';') + CRLF;
    yield Buffer.from(chunk, 'utf8');
  }
}
