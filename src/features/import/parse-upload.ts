import { mapContactRow, photoToRead } from './read/mapping.js';
import { parseContactsFile, type ColumnMapping, type ContactsFileResult } from './parse/index.js';
import { looksLikeXlsx, parseXlsx } from './parse/xlsx.js';
import type { DraftRow, ParsedImport } from './types.js';

/**
 * An uploaded Outlook CSV or vCard, from its bytes to the rows of a preview. The parsing and the
 * mapping of the rows (text clean-up, phone numbers) are CPU work proportional to the file, so they
 * run in a worker thread; the embedded photos are then decoded by sharp on its own threads. The
 * parser stops at the first contact beyond `maxRows`: a file of a million rows is refused after
 * reading the first `maxRows + 1`.
 *
 * A new format (e.g. a spreadsheet) plugs in at `parseUpload`, which the worker runs. The app's
 * thread reaches it through `parse-off-thread.ts` only, so it never loads the parsers' libraries
 * (exceljs: about 30 MB).
 */
export interface ParseUploadTask {
  bytes: Uint8Array;
  name: string;
  maxRows: number;
  /** The user's column mapping, for a table whose header no known format has. */
  mapping?: ColumnMapping;
  /** A spreadsheet: the sheet to read (by name); the first one when absent. */
  sheet?: string;
  /** The mappings users gave before, by header signature (data, like `mapping`). */
  saved?: Record<string, ColumnMapping>;
}

/** The rows with the photos still to be decoded (their bytes, by row index). */
export interface UploadPart {
  rows: DraftRow[];
  photos: { index: number; bytes: Uint8Array }[];
}

export type UploadHead = Omit<ParsedImport, 'rows'>;

/** Rows per message from the worker: each message is received in a millisecond or two. */
const PART_ROWS = 500;

/** The synchronous parse, as the worker runs it (tests and tools may call it directly). */
export async function parseUpload(task: ParseUploadTask, emit: (part: UploadPart) => void): Promise<UploadHead> {
  const buf = Buffer.from(task.bytes.buffer, task.bytes.byteOffset, task.bytes.byteLength);
  const limits = { maxRows: task.maxRows };
  const r: ContactsFileResult & { layout?: string; sheet?: string; sheets?: string[] } = looksLikeXlsx(buf, task.name)
    ? await parseXlsx(buf, limits, task.mapping, task.sheet, task.saved)
    : parseContactsFile(buf, task.name, limits, task.mapping, task.saved);
  let part: UploadPart = { rows: [], photos: [] };
  const dropped = new Map<string, number>();
  for (let i = 0; i < r.rows.length; i++) {
    const row = r.rows[i];
    for (const column of new Set((row.dropped ?? []).map((d) => d.column))) dropped.set(column, (dropped.get(column) ?? 0) + 1);
    const draft = mapContactRow(row);
    const photo = photoToRead(row, draft);
    if (photo) part.photos.push({ index: i, bytes: photo });
    part.rows.push(draft);
    if (part.rows.length === PART_ROWS) {
      emit(part);
      part = { rows: [], photos: [] };
    }
    r.rows[i] = undefined as never; // the parsed row is not needed once mapped
  }
  if (part.rows.length) emit(part);
  return {
    format: r.format,
    encoding: r.format === 'xlsx' ? 'xlsx' : r.encoding,
    delimiter: r.delimiter ?? null,
    details: {
      headerLanguage: r.headerLanguage,
      versions: r.version,
      problems: r.problems.map((p) => ({ code: p.code, ...(p.detail ? { detail: p.detail } : {}) })),
      ...(dropped.size ? { dropped: [...dropped].map(([column, count]) => ({ column, count })) } : {}),
      ...(r.mapped ? { mapped: true } : {}),
      ...(r.table ? { table: r.table } : {}),
      ...(r.charsets?.length ? { charsets: r.charsets } : {}),
      ...(r.sheet ? { sheet: r.sheet, sheets: r.sheets, layout: r.layout } : {}),
    },
  };
}
