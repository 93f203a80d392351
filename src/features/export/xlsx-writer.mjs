// The .xlsx writer itself: exceljs's streaming workbook, run in an export's worker thread
// (xlsx-worker.mjs; the app's side is `xlsxStream` in table.ts). Plain JavaScript, as the worker
// starts without the TypeScript loader, and only exceljs's writer is loaded, not its readers and
// CSV parsers: the thread costs about 30 MB instead of 70.
import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import WorkbookWriter from 'exceljs/lib/stream/xlsx/workbook-writer.js';

/**
 * Pauses the writer while the reader is behind: the reply's back-pressure paces the database
 * reads, and memory holds what one batch makes.
 */
async function whenDrained(out, zipInput, closed) {
  // The zip first: rows written faster than it deflates would wait in its input, unbounded.
  if (zipBehind(zipInput) && !out.destroyed) await Promise.race([new Promise((resolve) => zipInput.once('drain', resolve)), closed]);
  if (out.writableNeedDrain && !out.destroyed) await Promise.race([once(out, 'drain'), closed]);
  // Let the zip and the output take what is pending before the next rows are made.
  await nextTurn();
  // The download was cut: write nothing more.
  return !out.destroyed;
}

/** Control characters XML 1.0 cannot carry (tab and line breaks can): an imported value may hold one. */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const xlsxValue = (v) => (typeof v === 'string' ? v.replace(NOT_XML, '') : v);

/**
 * The stream that carries the sheet's XML into the zip. exceljs writes each committed row into
 * the sheet's buffer, which passes it on to the zip's input (a PassThrough archiver reads entry by
 * entry) without ever looking at that stream's back-pressure: when deflating is slower than making
 * rows (a busy machine), the XML waited there, 60 MB per 50,000 rows. Reached through exceljs 4's
 * internals (`worksheet.stream.pipes`); null when they change, and then only the output's
 * back-pressure paces the rows. A test fails if an upgrade changes them.
 */
export function zipInputOf(ws) {
  const pipes = ws?.stream?.pipes;
  const first = Array.isArray(pipes) ? pipes[0] : undefined;
  return first && typeof first.once === 'function' && typeof first._writableState?.length === 'number' ? first : null;
}

/** archiver's PassThrough is readable-stream 2's: its state says what Node's `writableNeedDrain` would. */
const zipBehind = (z) => !!z && z._writableState.length >= z._writableState.highWaterMark;

/** Rows per slice between turns of the loop, where the zip and the output catch up. */
const SLICE = 250;

/**
 * Writes the sheet into `out`: header row in bold and frozen, autofilter over the whole table,
 * widths set, dates as date cells in `dateFormat`. No shared strings: each cell carries its text,
 * so the file is zipped as it is written. `lastColumn` is the last column's letters (table.ts
 * computes them, as every reference does).
 */
export async function writeXlsx({ sheet, columns, dateFormat, lastColumn, batches }, out) {
  const closed = once(out, 'close').catch(() => undefined);
  // Fastest deflate: a third larger than the default level, at well under half the time.
  const wb = new WorkbookWriter({ stream: out, useStyles: true, useSharedStrings: false, zip: { zlib: { level: 1 } } });
  const ws = wb.addWorksheet(sheet, { views: [{ state: 'frozen', xSplit: 0, ySplit: 1 }] });
  // A style only where one is needed: exceljs looks up every styled cell's style (a third of its time).
  ws.columns = columns.map((c, i) => ({ key: String(i), width: c.width, ...(c.date ? { style: { numFmt: dateFormat } } : {}) }));
  const header = ws.addRow(columns.map((c) => c.header));
  header.font = { bold: true };
  header.commit();
  // Known once the sheet's stream exists (it is opened with the first row).
  const zipInput = zipInputOf(ws);
  let last = 1;
  for await (const batch of batches) {
    for (let i = 0; i < batch.length; i += SLICE) {
      for (const row of batch.slice(i, i + SLICE)) {
        ws.addRow(row.map(xlsxValue)).commit();
        last++;
      }
      // Leaving the loop closes the source.
      if (!(await whenDrained(out, zipInput, closed))) return;
    }
  }
  ws.autoFilter = { from: { row: 1, column: 1 }, to: { row: last, column: columns.length } };
  filterDatabase(wb, ws.name, `$A$1:$${lastColumn}$${last}`);
  ws.commit();
  await wb.commit();
}

/**
 * The sheet-local name `_xlnm._FilterDatabase` over the filtered range, as Excel writes it beside
 * the sheet's <autoFilter>: LibreOffice shows the filter buttons only with it. exceljs's streaming
 * writer writes the workbook's defined names from `definedNames.model` but has no way to make a
 * name local to a sheet (localSheetId), so the model is given here whole.
 */
function filterDatabase(wb, sheet, range) {
  const name = { name: '_xlnm._FilterDatabase', ranges: [`'${sheet.replace(/'/g, "''")}'!${range}`], localSheetId: 0 };
  Object.defineProperty(wb.definedNames, 'model', { value: [name], configurable: true });
}
