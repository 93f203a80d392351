import type { Writable } from 'node:stream';

/** A sheet as the writer thread gets it (see `xlsxStream` in table.ts). */
export interface WriterSheet {
  sheet: string;
  columns: { header: string; width: number; date?: boolean }[];
  dateFormat: string;
  lastColumn: string;
  batches: AsyncIterable<(string | number | Date | null)[][]>;
}

/** archiver's PassThrough is readable-stream 2's: its state says what Node's `writableNeedDrain` would. */
export interface ZipInput {
  once(event: 'drain', listener: () => void): unknown;
  _writableState: { length: number; highWaterMark: number };
}

export function zipInputOf(ws: unknown): ZipInput | null;
export function writeXlsx(sheet: WriterSheet, out: Writable): Promise<void>;
