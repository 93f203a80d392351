import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { importBatches } from '../../db/schema/imports.js';
import { users, type User } from '../../db/schema/users.js';
import { JobError } from '../../lib/jobs.js';
import { CommitCancelled, CommitFailed, runCommit } from './commit.js';
import { undoBatch } from './undo.js';

export const COMMIT_JOB = 'import.commit';
export const UNDO_JOB = 'import.undo';

export interface BatchJob {
  batchId: number;
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

  app.jobs.registerHandler<BatchJob>(COMMIT_JOB, {
    title: 'import.job.commit',
    shared: 'secretaries',
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
    async run(ctx) {
      const actor = await actorOf(ctx.ownerId);
      ctx.progress(0, 1, 'import.job.phase.undo');
      const report = await undoBatch(db, actor, ctx.payload.batchId);
      return { link: `/import/${ctx.payload.batchId}`, report };
    },
  });
}
