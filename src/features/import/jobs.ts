import { and, eq, inArray } from 'drizzle-orm';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Db } from '../../db/client.js';
import { importBatches, importChanges } from '../../db/schema/imports.js';
import { users, type User } from '../../db/schema/users.js';
import { cardsSaved, type CardKind } from '../../lib/card-hooks.js';
import { JobError } from '../../lib/jobs.js';
import { CommitCancelled, CommitFailed, runCommit } from './commit/run.js';
import { undoBatch } from './commit/undo.js';

export const COMMIT_JOB = 'import.commit';
export const UNDO_JOB = 'import.undo';

export interface BatchJob {
  batchId: number;
}

/** The persons and organizations a batch created or updated. */
async function batchCards(db: Db, batchId: number): Promise<Record<CardKind, number[]>> {
  const list = await db
    .select({ type: importChanges.entityType, id: importChanges.entityId })
    .from(importChanges)
    .where(and(eq(importChanges.batchId, batchId), inArray(importChanges.entityType, ['person', 'organization'])));
  return {
    person: list.filter((c) => c.type === 'person').map((c) => c.id),
    organization: list.filter((c) => c.type === 'organization').map((c) => c.id),
  };
}

/**
 * The batch's cards are checked by whoever watches saved cards (the duplicate finder), in bulk,
 * as a card saved by its form is: after the write committed, a failure reported, not fatal.
 */
async function checkCards(db: Db, cards: Record<CardKind, number[]>, log: FastifyBaseLogger) {
  const onError = (err: unknown) => log.error({ err }, 'checking the imported cards failed');
  await cardsSaved(db, 'organization', cards.organization, onError);
  await cardsSaved(db, 'person', cards.person, onError);
}

/**
 * The import's commit and undo run as jobs: durable (a restart or another instance takes them
 * up), one at a time per instance, with progress on the job's page and the batch's.
 */
export function registerImportJobs(app: FastifyInstance) {
  const db = app.db;
  const actorOf = async (id: number): Promise<User> => {
    const [u] = await db.select().from(users).where(eq(users.id, id));
    if (!u) throw new JobError('jobs.error.failed');
    return u;
  };

  const origin = (payload: BatchJob) => ({ href: `/import/${payload.batchId}`, label: 'import.job.batch', params: { id: payload.batchId } });

  app.jobs.registerHandler<BatchJob>(COMMIT_JOB, {
    title: 'import.job.commit',
    shared: 'secretaries',
    origin,
    async run(ctx) {
      const actor = await actorOf(ctx.ownerId);
      try {
        await runCommit(app.database, actor, ctx.payload.batchId, ctx.log, {
          signal: ctx.signal,
          progress: (done, total) => ctx.progress(done, total, 'import.job.phase.commit'),
        });
      } catch (err) {
        if (err instanceof CommitFailed) throw new JobError('import.commitFailed');
        if (err instanceof CommitCancelled) throw err;
        throw err;
      }
      const [batch] = await db.select({ status: importBatches.status, report: importBatches.report }).from(importBatches).where(eq(importBatches.id, ctx.payload.batchId));
      if (batch?.status !== 'committed') throw new JobError('import.commitFailed');
      ctx.progress(0, 1, 'import.job.phase.check');
      await checkCards(db, await batchCards(db, ctx.payload.batchId), ctx.log);
      return { link: `/import/${ctx.payload.batchId}`, report: batch.report };
    },
    // Cancelled before it started, or lost with its instance after the retries: say so on the batch.
    async abandoned(payload) {
      await db
        .update(importBatches)
        .set({ status: 'failed', error: 'jobs.error.lost', progressAt: new Date() })
        .where(and(eq(importBatches.id, payload.batchId), eq(importBatches.status, 'committing')));
    },
  });

  app.jobs.registerHandler<BatchJob>(UNDO_JOB, {
    title: 'import.job.undo',
    shared: 'secretaries',
    origin,
    async run(ctx) {
      const actor = await actorOf(ctx.ownerId);
      ctx.progress(0, 1, 'import.job.phase.undo');
      // Read before: the cards the batch created are gone after, and their pairs with them.
      const cards = await batchCards(db, ctx.payload.batchId);
      const report = await undoBatch(db, actor, ctx.payload.batchId);
      await checkCards(db, cards, ctx.log);
      return { link: `/import/${ctx.payload.batchId}`, report };
    },
  });
}
