import { once } from 'node:events';
import { PassThrough, type Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { Locale } from '../../db/schema/users.js';
import { limitConcurrency } from '../../lib/limit.js';

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

/** Rows per message to the writer: each is copied across threads in well under 50 ms. */
const SLICE = 250;
/** Writers at once; a further export waits for one of them (each holds a thread and ~40 MB). */
const inWriterSlot = limitConcurrency(2);
const XLSX_WORKER = new URL('./xlsx-worker.mjs', import.meta.url);

/** What the writer thread says: a piece of the file, "send more rows", the end, or a failure. */
export type FromXlsxWorker = { type: 'chunk'; data: ArrayBuffer } | { type: 'want' } | { type: 'done' } | { type: 'error'; message: string };
export type ToXlsxWorker = { type: 'rows'; rows: Cell[][] } | { type: 'end' };

/**
 * The table as an .xlsx stream, written by exceljs in a worker thread (`xlsx-worker.mjs`): the
 * sheet's XML and its deflating (about 5 s of CPU for 100,000 rows) stay off the event loop, and
 * the garbage they make lives in the worker's own small heap. In the server's heap it survived
 * long enough to be promoted and waited there for a major collection: 219 → 460 MB resident over
 * a 100,000-person export. This thread reads the rows and hands them over a slice at a time, only
 * when the worker asks for more and the reply has room, so the reader's pace paces the database.
 */
export function xlsxStream(table: Table, locale: Locale): Readable {
  const out = new PassThrough({ highWaterMark: 256 * 1024 });
  void inWriterSlot(() => feedWriter(table, locale, out)).catch((err: unknown) => out.destroy(err as Error));
  return out;
}

async function feedWriter(table: Table, locale: Locale, out: PassThrough): Promise<void> {
  if (out.destroyed) return;
  const workerData = { sheet: sheetName(table.sheet), columns: table.columns, dateFormat: DATE_FORMAT[locale].excel, lastColumn: columnLetters(table.columns.length) };
  // No inherited flags: the server's `--import tsx` would load the TypeScript loader in the thread
  // too. A small young generation: the writer's garbage is short-lived, and the process's 16 MB
  // semi-spaces would otherwise be its own again. The old generation is capped so that a writer
  // gone wrong fails its download, not the server's memory (it uses about 30 MB).
  const worker = new Worker(XLSX_WORKER, { workerData, execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 128 } });
  const closed = once(out, 'close').then(() => 'closed' as const, () => 'closed' as const);
  let wanted = 0;
  let onWant: (() => void) | null = null;
  let finish!: (v: 'done') => void;
  let fail!: (err: Error) => void;
  const finished = new Promise<'done'>((resolve, reject) => ((finish = resolve), (fail = reject)));
  finished.catch(() => undefined);
  worker.on('message', (m: FromXlsxWorker) => {
    if (m.type === 'chunk') {
      if (!out.destroyed) out.write(Buffer.from(m.data));
    }
    else if (m.type === 'want') {
      wanted++;
      onWant?.();
    } else if (m.type === 'done') finish('done');
    else fail(new Error(m.message));
  });
  worker.on('error', (err) => fail(err));
  worker.on('exit', (code) => fail(new Error(`the .xlsx writer exited with code ${code}`)));
  /** Until the worker wants rows and the reply has room; false when the download was cut. */
  const ready = async (): Promise<boolean> => {
    while (wanted === 0) {
      const woke = new Promise<'want'>((resolve) => (onWant = () => resolve('want')));
      const why = await Promise.race([woke, closed, finished]);
      if (why === 'closed') return false;
      // Finished before it was sent the end: it must not be waited for again (that would spin).
      if (why === 'done') throw new Error('the .xlsx writer ended before the rows did');
    }
    wanted--;
    if (out.writableNeedDrain && !out.destroyed) await Promise.race([once(out, 'drain'), closed]);
    return !out.destroyed;
  };
  try {
    for await (const batch of table.batches) {
      for (let i = 0; i < batch.length; i += SLICE) {
        // Leaving the loop closes the source: its database reads stop.
        if (!(await ready())) return;
        worker.postMessage({ type: 'rows', rows: batch.slice(i, i + SLICE) } satisfies ToXlsxWorker);
      }
    }
    if (!(await ready())) return;
    worker.postMessage({ type: 'end' } satisfies ToXlsxWorker);
    if ((await Promise.race([finished, closed])) === 'done') out.end();
  } finally {
    void worker.terminate();
  }
}

/** A column's letters as a reference writes them: 1 → A, 26 → Z, 27 → AA. */
export function columnLetters(n: number): string {
  let s = '';
  for (let k = n; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return s;
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
