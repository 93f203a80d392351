import { timeSlicer } from '../../lib/limit.js';
import { WorkerPool, WorkerFailedError, type SerializedError } from '../../lib/worker-pool.js';
import { readPhoto } from './read/mapping.js';
import type { ColumnMapping } from './parse/index.js';
import { ParseError, type ParseErrorCode } from './parse/types.js';
import type { ParseUploadTask, UploadHead, UploadPart } from './parse-upload.js';
import type { DraftRow, ParsedImport } from './types.js';

// The app's side of the upload parse: the pool of parse workers (parse-worker.ts runs
// `parseUpload`), then the photos. Only types come from parse-upload.ts.

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
