import { WorkerPool, WorkerFailedError, type SerializedError } from '../../lib/worker-pool.js';
import { timeSlicer } from '../../lib/limit.js';
import { mapContactRow, photoToRead, readPhoto } from './read/mapping.js';
import { parseContactsFile, ParseError, type ColumnMapping, type ContactsFileResult, type ParseErrorCode } from './parse/index.js';
import { looksLikeXlsx, parseXlsx } from './parse/xlsx.js';
import type { DraftRow, ParsedImport } from './types.js';

/**
 * An uploaded Outlook CSV or vCard, from its bytes to the rows of a preview. The parsing and the
 * mapping of the rows (text clean-up, phone numbers) are CPU work proportional to the file, so they
 * run in a worker thread; the embedded photos are then decoded by sharp on its own threads. The
 * parser stops at the first contact beyond `maxRows`: a file of a million rows is refused after
 * reading the first `maxRows + 1`.
 *
 * A new format (e.g. a spreadsheet) plugs in at `parseUpload`, which the worker runs.
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

const pool = new WorkerPool<ParseUploadTask, UploadPart, UploadHead>(
  new URL('./parse-worker.ts', import.meta.url),
  // Two parses at once on the 2-core reference machine; a hostile file gets 512 MB of heap at most.
  { size: 2, idleMs: 60_000, maxOldGenerationSizeMb: 512 },
  reviveError,
);

function reviveError(e: SerializedError): Error {
  if (e.name === 'ParseError') {
    const f = e.fields as { code: ParseErrorCode; line?: number; detail?: string; columns?: string };
    return new ParseError(f.code, { line: f.line, detail: f.detail, columns: f.columns });
  }
  return Object.assign(new Error(e.message), { name: e.name });
}

/**
 * `parseUpload` in a worker thread, then the photos: the same result as parsing in place, without
 * holding the event loop. Throws ParseError as the parser does, WorkerFailedError when the worker
 * died (e.g. its heap limit).
 */
/** `chunks`: the file as it was received (emptied here, so the pieces can be collected). */
export async function parseUploadOffThread(
  chunks: Buffer[],
  name: string,
  maxRows: number,
  options: { mapping?: ColumnMapping; sheet?: string; saved?: Record<string, ColumnMapping> } = {},
): Promise<ParsedImport> {
  // One buffer of its own, handed over to the worker rather than copied into it.
  const bytes = new Uint8Array(new ArrayBuffer(chunks.reduce((n, c) => n + c.length, 0)));
  let at = 0;
  for (const c of chunks.splice(0)) {
    bytes.set(c, at);
    at += c.length;
  }
  const rows: DraftRow[] = [];
  const photos: { index: number; bytes: Uint8Array }[] = [];
  const head = await pool.run(
    { bytes, name, maxRows, ...options },
    (part) => {
      photos.push(...part.photos);
      for (const r of part.rows) rows.push(r);
    },
    [bytes.buffer],
  );
  const clock = timeSlicer();
  for (const p of photos) {
    const row = rows[p.index];
    row.photo = await readPhoto(Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength), row.problems);
    if (clock.due()) await clock.yield();
  }
  return { ...head, rows };
}

export { WorkerFailedError };
