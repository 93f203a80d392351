import type { StoredRow } from '../commit/state.js';

/**
 * The rows a preview has just stored, kept in this process for its commit, so that the commit
 * need not read back and unpack 10,000 rows it was handed a moment ago. Only a shortcut: a
 * commit on another instance, after a restart, after a long wait or for a batch pushed out by
 * newer ones reads the rows from import_rows as before. The rows never change after the preview;
 * the choices made since are read from the database either way.
 */
const KEEP_MS = 30 * 60 * 1000;
/** About 1 KB a row: memory stays bounded whatever the uploads. */
const MAX_ROWS = 20_000;

const kept = new Map<number, { rows: StoredRow[]; version: number; timer: NodeJS.Timeout }>();
let keptRows = 0;

export function forgetRows(batchId: number): void {
  const entry = kept.get(batchId);
  if (!entry) return;
  clearTimeout(entry.timer);
  kept.delete(batchId);
  keptRows -= entry.rows.length;
}

/** `version`: the batch's version the rows belong to (a batch read again has other rows). */
export function keepRows(batchId: number, rows: StoredRow[], version = 1): void {
  if (rows.length > MAX_ROWS) return;
  forgetRows(batchId);
  // Oldest first (a Map iterates in insertion order).
  for (const id of kept.keys()) {
    if (keptRows + rows.length <= MAX_ROWS) break;
    forgetRows(id);
  }
  const timer = setTimeout(() => forgetRows(batchId), KEEP_MS);
  timer.unref();
  kept.set(batchId, { rows, version, timer });
  keptRows += rows.length;
}

/** The rows of the batch as its preview stored them, once; null when they are not here. */
export function takeRows(batchId: number, version = 1): StoredRow[] | null {
  const entry = kept.get(batchId);
  if (!entry) return null;
  forgetRows(batchId);
  return entry.version === version ? entry.rows : null;
}
