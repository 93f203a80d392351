import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, Tx } from '../../../db/client.js';
import { importBatches, importRows } from '../../../db/schema/imports.js';
import type { User } from '../../../db/schema/users.js';
import { instanceId } from '../../../lib/exchange/keys.js';
import type { ImportOptions } from '../options.js';
import { takeRows } from '../preview/kept-rows.js';
import { unpackRow } from '../pack.js';
import { RowWriter } from './rows.js';
import { PROGRESS_EVERY, type StoredRow } from './state.js';
import type { Stamp } from './writers.js';

/**
 * The commit: every row of a batch written in ONE transaction (all or nothing), with progress.
 * It runs after the request that started it has been answered; the page polls the batch.
 */

/** Progress of commits running in this process, read by the polling page before the database. */
const running = new Map<number, { done: number; total: number }>();

export function liveProgress(batchId: number) {
  return running.get(batchId);
}

/** The batch's rows with the choices made for them: kept from the preview, else read back. */
async function readRows(tx: Tx, batchId: number, version: number): Promise<StoredRow[]> {
  const kept = takeRows(batchId, version);
  if (kept) {
    const chosen = await tx
      .select({ rowNo: importRows.rowNo, decision: importRows.decision })
      .from(importRows)
      .where(and(eq(importRows.batchId, batchId), isNotNull(importRows.duplicateId), isNotNull(importRows.decision)));
    const decisions = new Map(chosen.map((c) => [c.rowNo, c.decision]));
    return kept.map((r) => ({ ...r, decision: decisions.get(r.rowNo) ?? null }));
  }
  return (
    await tx
      .select({ rowNo: importRows.rowNo, kind: importRows.kind, data: importRows.data, decision: importRows.decision, duplicateId: importRows.duplicateId, hasPhoto: sql<boolean>`${importRows.photoOriginal} is not null` })
      .from(importRows)
      .where(eq(importRows.batchId, batchId))
      .orderBy(asc(importRows.rowNo))
  ).map((r) => ({ ...r, data: unpackRow(r.data) }));
}

/** Every import commit and undo takes this lock first (see runCommit). */
const IMPORT_LOCK = 727_003;

/**
 * Two commits (or a commit and an undo) run one after the other: each resolves organizations,
 * groups and reference entries by name and creates the missing ones, so two at once would both
 * create the same organization. A transaction-scoped advisory lock, released by its commit or
 * rollback; the statements after it see what the other one committed.
 */
export async function lockImports(tx: Tx) {
  await tx.execute(sql`select pg_advisory_xact_lock(${IMPORT_LOCK})`);
}

/** The commit failed and the batch says so (status 'failed', nothing written). */
export class CommitFailed extends Error {}

/** Cancelled by the user: the commit's transaction rolls back and the batch goes back to preview. */
export class CommitCancelled extends Error {}

export interface CommitControl {
  /** Aborted on cancel ('cancel') or shutdown: the transaction rolls back at the next progress point. */
  signal?: AbortSignal;
  progress?: (done: number, total: number) => void;
}

export async function runCommit(database: Database, actor: User, batchId: number, log: FastifyBaseLogger, control: CommitControl = {}): Promise<void> {
  const db = database.db;
  const progress = { done: 0, total: 0 };
  running.set(batchId, progress);
  let lastWrite = 0;
  const stopIfAsked = () => {
    if (control.signal?.aborted) throw control.signal.reason === 'cancel' ? new CommitCancelled() : new Error('commit interrupted');
  };
  // On PostgreSQL another connection can record progress while the transaction runs; PGlite has
  // one connection, held by the transaction, so there the in-process counter is all there is.
  const report = async (done: number) => {
    progress.done = done;
    control.progress?.(done, progress.total);
    stopIfAsked();
    if (database.driver !== 'pg' || done - lastWrite < PROGRESS_EVERY) return;
    lastWrite = done;
    await db.update(importBatches).set({ done, progressAt: new Date() }).where(eq(importBatches.id, batchId));
  };
  try {
    // Pipelined: the commit is a long run of bulk writes whose answers it does not wait for.
    await database.pipelinedTransaction(async (tx) => {
      // Not locked: startCommit's conditional update already made this the only commit of the
      // batch, and progress is written to the row from another connection meanwhile.
      await lockImports(tx);
      const [batch] = await tx
        .select({ status: importBatches.status, options: importBatches.options, fileName: importBatches.fileName, version: importBatches.version })
        .from(importBatches)
        .where(eq(importBatches.id, batchId));
      if (!batch || batch.status !== 'committing') return;
      const rows = await readRows(tx, batchId, batch.version);
      progress.total = rows.length;
      control.progress?.(0, rows.length);
      stopIfAsked();
      const stamp: Stamp = { userId: actor.id, at: new Date(), batchId };
      const commit = new RowWriter(tx, stamp, batch.options as ImportOptions, batch.fileName, actor, await instanceId(tx), report);
      const result = await commit.run(rows);
      await tx
        .update(importBatches)
        .set({ status: 'committed', committedAt: stamp.at, committedBy: actor.id, report: result, done: rows.length, progressAt: new Date(), error: null, version: batch.version + 1 })
        .where(eq(importBatches.id, batchId));
    });
  } catch (err) {
    if (err instanceof CommitCancelled) {
      // Nothing was written: the batch is a preview again, with its choices.
      await db.update(importBatches).set({ status: 'preview', done: 0, error: null, progressAt: new Date() }).where(eq(importBatches.id, batchId));
      throw err;
    }
    // Shut down mid-commit: nothing was written, the batch stays 'committing' and the job runs
    // again (here after a restart, or on another instance).
    if (control.signal?.aborted) throw err;
    log.error({ err, batchId }, 'import commit failed');
    await db
      .update(importBatches)
      .set({ status: 'failed', error: 'import.commitFailed', progressAt: new Date() })
      .where(eq(importBatches.id, batchId))
      .catch((e: unknown) => log.error({ err: e, batchId }, 'could not mark the import as failed'));
    throw new CommitFailed();
  } finally {
    running.delete(batchId);
  }
}

