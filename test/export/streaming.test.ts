import { randomBytes } from 'node:crypto';
import { PassThrough, Readable, type Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { columnLetters, csvChunks, csvValue, xlsxStream, type Cell, type Table } from '../../src/features/export/table.js';
import { zipInputOf } from '../../src/features/export/xlsx-writer.mjs';

/**
 * The spreadsheet writers stream: the reader gets the first rows while the last are still to be
 * read from the database. The table's source refuses to give its second half until the reader
 * holds bytes only the first half can have made; a writer that built the whole file before
 * sending anything would wait for ever (the test's timeout), one that streams goes on.
 */
const BATCHES = 40;
const ROWS = 500;
const COLUMNS = 5;

function table(gate: () => Promise<void>): Table & { produced: () => number } {
  let produced = 0;
  async function* batches(): AsyncGenerator<Cell[][]> {
    for (let b = 0; b < BATCHES; b++) {
      if (b === BATCHES / 2) await gate();
      // Random text: it does not deflate to nothing, so bytes out measure rows written.
      const rows = Array.from({ length: ROWS }, () => Array.from({ length: COLUMNS }, () => randomBytes(16).toString('hex')));
      produced += rows.length;
      yield rows;
    }
  }
  return { sheet: 'Test', columns: Array.from({ length: COLUMNS }, (_, i) => ({ header: `c${i}`, width: 34 })), batches: batches(), produced: () => produced };
}

/** Reads a stream; `gate` resolves once `min` bytes have come out. */
function reader(min: number) {
  let received = 0;
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    gate: () => opened,
    async read(stream: Readable) {
      const chunks: Buffer[] = [];
      for await (const c of stream) {
        chunks.push(c as Buffer);
        received += (c as Buffer).length;
        if (received >= min) open();
      }
      return Buffer.concat(chunks);
    },
  };
}

describe('spreadsheet export streaming', () => {
  // 19 batches × 500 rows × 5 cells × 32 hex characters ≈ 1.5 MB of text, ≥ 700 kB deflated.
  it('sends the .xlsx rows as they are read, before the last ones are', { timeout: 60_000 }, async () => {
    const r = reader(300_000);
    const t = table(r.gate);
    const file = await r.read(xlsxStream(t, 'ru'));
    expect(t.produced()).toBe(BATCHES * ROWS);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(file as unknown as ArrayBuffer);
    expect(wb.worksheets[0].rowCount).toBe(BATCHES * ROWS + 1);
  });

  it('sends the CSV rows as they are read', { timeout: 60_000 }, async () => {
    const r = reader(600_000);
    const t = table(r.gate);
    const file = await r.read(Readable.from(csvChunks(t, 'ru')));
    expect(file.toString('utf8').split('\r\n')).toHaveLength(BATCHES * ROWS + 2);
  });

  it('stops reading when the download is cut', { timeout: 60_000 }, async () => {
    let produced = 0;
    let stopped: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (stopped = resolve));
    async function* batches(): AsyncGenerator<Cell[][]> {
      try {
        for (let b = 0; b < 1000; b++) {
          produced += ROWS;
          yield Array.from({ length: ROWS }, () => Array.from({ length: COLUMNS }, () => randomBytes(16).toString('hex')));
        }
      } finally {
        stopped();
      }
    }
    const stream = xlsxStream({ sheet: 'Test', columns: Array.from({ length: COLUMNS }, (_, i) => ({ header: `c${i}`, width: 34 })), batches: batches() }, 'ru');
    let received = 0;
    for await (const c of stream) {
      received += (c as Buffer).length;
      if (received > 100_000) break;
    }
    // The source is closed (its finally ran) long before its 500,000 rows were made.
    await closed;
    expect(produced).toBeLessThan(1000 * ROWS);
  });

  // The writer paces its rows by the zip's input as well as by the reply (a slow deflate once let
  // the sheet's XML pile up there: 200 MB over a 100,000-person export). That input is reached
  // through exceljs's internals; an exceljs that changes them must fail here, not grow memory.
  it("finds the zip's input to pace the rows by", async () => {
    const sink = new PassThrough();
    sink.resume();
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: sink as unknown as Writable, useSharedStrings: false });
    const ws = wb.addWorksheet('Test');
    ws.addRow(['a', 'b']).commit();
    const input = zipInputOf(ws);
    expect(input).not.toBeNull();
    expect(input!._writableState.highWaterMark).toBeGreaterThan(0);
    ws.addRow(['x'.repeat(200_000)]).commit();
    // The row passed on to the zip's input (not kept in the sheet's own buffer).
    expect(input!._writableState.length).toBeGreaterThan(0);
    ws.commit();
    await wb.commit();
  });

  it('names columns and quotes values as a spreadsheet reads them', () => {
    expect([1, 9, 25, 26, 27, 52, 703].map(columnLetters)).toEqual(['A', 'I', 'Y', 'Z', 'AA', 'AZ', 'AAA']);
    expect(csvValue('просто')).toBe('просто');
    expect(csvValue('a;b')).toBe('"a;b"');
    expect(csvValue('он сказал "да"')).toBe('"он сказал ""да"""');
    expect(csvValue('две\nстроки')).toBe('"две\nстроки"');
    expect(csvValue(' с пробелом')).toBe('" с пробелом"');
    expect(csvValue('+7 495 123-45-67')).toBe('+7 495 123-45-67');
    expect(csvValue('-5')).toBe('-5');
    for (const formula of ['=1+2', '@SUM(A1)', '+A1', '-A1', '- пункт списка']) expect(csvValue(formula)).toBe(`'${formula}`);
  });
});
