import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { bytea } from './types.js';
import { users } from './users.js';

export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const FINISHED_STATES: readonly JobState[] = ['done', 'failed', 'cancelled'];

/**
 * What a user sees of a long piece of work (an import commit, a big PDF, an export file): its
 * state, progress, phase and result. The queueing itself (leases, retries, which instance runs
 * it) is pg-boss's, in its own schema; `boss_id` ties the two.
 */
export const jobs = pgTable(
  'jobs',
  {
    id: serial('id').primaryKey(),
    kind: text('kind').notNull(),
    ownerId: integer('owner_id')
      .notNull()
      .references(() => users.id),
    /** The kind's input, as enqueued (ids, options); never shown as is. */
    payload: jsonb('payload').notNull().default({}),
    /** i18n params of the job's title (group name, file name…). */
    titleParams: jsonb('title_params').notNull().default({}),
    /** Same owner, kind and parameters within a few seconds → the same job (a double click). */
    dedupeKey: text('dedupe_key'),
    bossId: uuid('boss_id'),
    state: text('state', { enum: JOB_STATES }).notNull().default('queued'),
    done: integer('done').notNull().default(0),
    total: integer('total').notNull().default(0),
    /** i18n key of the current phase and its params (localized when the page is rendered). */
    phase: text('phase'),
    phaseParams: jsonb('phase_params').notNull().default({}),
    /** Asked to stop: the running handler sees it through its AbortSignal. */
    cancelRequested: boolean('cancel_requested').notNull().default(false),
    /** The owner was told that it finished (a flash on their next page), or saw it finish. */
    notified: boolean('notified').notNull().default(false),
    attempts: integer('attempts').notNull().default(0),
    /** i18n key of why it failed. */
    error: text('error'),
    /** A report of what was done (counts, links), shown on the job's page. */
    report: jsonb('report'),
    /** A page of the app that shows the result (the import batch). */
    link: text('link'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    /** Last sign of life from the running instance: progress is written at most once a second. */
    beatAt: timestamp('beat_at', { withTimezone: true }),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    /** When the result is deleted (JOB_RESULT_HOURS after it finished). */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
  },
  (t) => [
    check('jobs_state_check', sql`${t.state} in ('queued', 'running', 'done', 'failed', 'cancelled')`),
    index('jobs_owner_idx').on(t.ownerId, t.id),
    index('jobs_unfinished_idx').on(t.ownerId).where(sql`${t.state} in ('queued', 'running')`),
    index('jobs_unnotified_idx').on(t.ownerId).where(sql`not ${t.notified} and ${t.state} in ('done', 'failed', 'cancelled')`),
    index('jobs_dedupe_idx').on(t.dedupeKey, t.createdAt).where(sql`${t.dedupeKey} is not null`),
    index('jobs_expires_idx').on(t.expiresAt).where(sql`${t.expiresAt} is not null`),
    index('jobs_kind_idx').on(t.kind, t.id),
  ],
);

/** A job's file (PDF, XML), kept apart so that lists of jobs never read the bytes. */
export const jobFiles = pgTable('job_files', {
  jobId: integer('job_id')
    .primaryKey()
    .references(() => jobs.id, { onDelete: 'cascade' }),
  name: text('name').notNull(),
  type: text('type').notNull(),
  /** Bytes in all: an export of a big directory with photos may pass 2 GB. */
  size: bigint('size', { mode: 'number' }).notNull(),
});

/**
 * A job's file in pieces, in order (seq from 0): stored and sent one piece at a time, so that a
 * file of any size is never whole in memory (src/lib/jobs.ts, FILE_CHUNK).
 */
export const jobFileChunks = pgTable(
  'job_file_chunks',
  {
    jobId: integer('job_id')
      .notNull()
      .references(() => jobFiles.jobId, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    bytes: bytea('bytes').notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] })],
);

export type Job = typeof jobs.$inferSelect;
