import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { and, desc, eq, inArray, lt, lte, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { fromPglite, PgBoss, type ConstructorOptions } from 'pg-boss';
import type { Database, Db, Tx } from '../db/client.js';
import { FINISHED_STATES, jobFileChunks, jobFiles, jobs, type Job, type JobState } from '../db/schema/jobs.js';
import { users, type Role, type User } from '../db/schema/users.js';
import { AppError, ConflictError, ForbiddenError, NotFoundError } from './errors.js';

/**
 * One job system for the app's long work, on pg-boss in the database the app already has
 * (PostgreSQL, or the embedded PGlite through pg-boss's adapter). pg-boss queues the work, leases
 * it to one instance's worker, retries it after a crash or a shutdown; the `jobs` table is what
 * the user sees (state, progress, phase, result). Features register their kinds at startup and
 * enqueue work; this module imports no feature.
 */

type Params = Record<string, string | number>;

export interface JobContext<P> {
  jobId: number;
  payload: P;
  ownerId: number;
  /** 1 for the first run, more when the job was taken up again after a crash or a shutdown. */
  attempt: number;
  /** Aborted when the job is cancelled or the instance shuts down: stop at the next safe point. */
  signal: AbortSignal;
  /** Progress and phase (an i18n key with params); cheap, written to the database once a second. */
  progress(done: number, total: number, phase?: string, params?: Params): void;
  log: FastifyBaseLogger;
  /**
   * A path for a file the job writes (a big result, streamed to disk as it is made), in a
   * directory of its own that the job system removes when the job ends, whatever its end.
   */
  tempFile(name: string): Promise<string>;
}

/** A file to download from the job's page: in memory (small), or written to a tempFile (any size). */
export type JobFile = { name: string; type: string } & ({ bytes: Buffer | Uint8Array } | { path: string });

export interface JobOutcome {
  /** A file to download from the job's page (kept JOB_RESULT_HOURS), stored in FILE_CHUNK pieces. */
  file?: JobFile;
  /** What was done, shown on the job's page by the kind's own template. */
  report?: unknown;
  /** A page of the app that shows the result. */
  link?: string;
}

export interface JobKind<P> {
  /** i18n key of the job's title; the job's titleParams fill it. */
  title: string;
  /**
   * Who sees the job besides its owner: admins always, unless `private` (an employee's own
   * envelopes are that employee's only); `secretaries` shares it with every secretary (import
   * batches belong to all of them).
   */
  shared?: 'secretaries';
  private?: boolean;
  /** Longest a single run may take before pg-boss takes the job back (seconds). */
  maxSeconds?: number;
  run(ctx: JobContext<P>): Promise<JobOutcome | void>;
  /**
   * The app's page the job works for (an import's batch): linked from the job's page from the
   * start, as that page links to the job. `label` is an i18n key, `params` fill it.
   */
  origin?(payload: P): { href: string; label: string; params?: Params };
  /** The job ended without its handler's say (cancelled while queued, lost with its instance). */
  abandoned?(payload: P, log: FastifyBaseLogger): Promise<void>;
}

/** A handler's refusal with a localized reason: the job fails with it, and is not retried. */
export class JobError extends AppError {
  constructor(messageKey: string, params: Params = {}) {
    super(422, messageKey, params);
  }
}

/** The job's result has been deleted (JOB_RESULT_HOURS passed). */
export class GoneError extends AppError {
  constructor() {
    super(410, 'jobs.error.expired');
  }
}

export interface JobSettings {
  workers: number;
  kinds: string[] | null;
  resultHours: number;
  shutdownSeconds: number;
}

export interface EnqueueOptions {
  owner: Pick<User, 'id'>;
  /** Same owner and key within DEDUPE_SECONDS → the job already asked for (two clicks on "print"). */
  dedupeKey?: string;
  titleParams?: Params;
  /** The size of the work when the request already knows it: the job's page shows it from the start. */
  total?: number;
}

export type JobView = Job & { ownerName: string; ownerRole: Role };

const DEDUPE_SECONDS = 10;
/** A job's file is stored and sent in pieces of this size: memory stays flat whatever the file. */
export const FILE_CHUNK = 1024 * 1024;
/** How often a running job writes its progress and reads whether it was cancelled. */
const BEAT_MS = 1000;
/** A running job whose instance has been silent this long is checked against pg-boss. */
const LOST_SECONDS = 60;
const SWEEP_MS = 30_000;
const ACTIVE_STATES: JobState[] = ['queued', 'running'];

/** The parameters of a request as a short stable key (for deduplication). */
export function dedupeKeyOf(...parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

export function isFinished(state: string): boolean {
  return (FINISHED_STATES as readonly string[]).includes(state);
}

export class JobSystem {
  private readonly kinds = new Map<string, JobKind<unknown>>();
  private boss: PgBoss | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly db: Db;
  /** Jobs running in this process (PGlite: the only place their progress is while a transaction holds the connection). */
  private readonly local = new Map<number, { done: number; total: number; phase: string | null; params: Params }>();

  constructor(
    private readonly database: Database,
    private readonly settings: JobSettings,
    private readonly log: FastifyBaseLogger,
  ) {
    this.db = database.db;
  }

  /** Features register their kinds at startup, before the app is ready. */
  registerHandler<P>(kind: string, def: JobKind<P>): void {
    if (this.boss) throw new Error(`job kind ${kind} registered after the job system started`);
    if (!/^[a-z][a-z0-9.-]*$/.test(kind)) throw new Error(`bad job kind ${kind}`);
    this.kinds.set(kind, def as JobKind<unknown>);
  }

  kind(kind: string): JobKind<unknown> | undefined {
    return this.kinds.get(kind);
  }

  /** The page the job works for, if its kind names one. */
  originOf(job: Pick<Job, 'kind' | 'payload'>): { href: string; label: string; params?: Params } | null {
    return this.kinds.get(job.kind)?.origin?.(job.payload) ?? null;
  }

  private runsHere(kind: string): boolean {
    return this.settings.workers > 0 && (!this.settings.kinds || this.settings.kinds.includes(kind));
  }

  async start(): Promise<void> {
    const pg = this.database.connection.driver === 'pg';
    const common: ConstructorOptions = {
      schema: 'pgboss',
      migrate: true,
      supervise: true,
      schedule: false,
      // A crashed instance's job is failed (and so retried) within seconds, not the default minute.
      monitorIntervalSeconds: 10,
      superviseIntervalSeconds: 10,
      registerInstance: false,
      openTelemetry: { enabled: false },
    };
    const boss =
      this.database.connection.driver === 'pg'
        ? new PgBoss({ ...common, connectionString: this.database.connection.url, max: 4, useListenNotify: true, application_name: 'crm-jobs' })
        : new PgBoss({ ...common, db: fromPglite(this.database.connection.client as Parameters<typeof fromPglite>[0]), backend: 'pglite', useListenNotify: true });
    boss.on('error', (err) => this.log.error({ err }, 'job queue error'));
    await boss.start();
    this.boss = boss;
    for (const [name, def] of this.kinds) {
      await boss.createQueue(name, {
        retryLimit: 3,
        retryDelay: 0,
        expireInSeconds: def.maxSeconds ?? 4 * 3600,
        // PostgreSQL: a worker proves it is alive every few seconds; an instance that died gives its
        // job back after 10 s. PGlite is one process: whatever it ran died with it (see below).
        ...(pg ? { heartbeatSeconds: 10 } : {}),
        notify: true,
        deleteAfterSeconds: 7 * 24 * 3600,
      });
    }
    if (!pg) await this.requeueOrphans();
    for (const name of this.kinds.keys()) {
      if (!this.runsHere(name)) continue;
      await boss.work<{ jobId: number }>(name, {
          localConcurrency: this.settings.workers,
          // With NOTIFY on, pg-boss otherwise polls only every 30 s as a backstop: a worker that
          // finished a job would leave the rest of a backlog waiting up to 30 s (a wakeup comes
          // only with a new job). Both intervals at 2 s drain a backlog at one job per worker
          // every 2 s at worst, and an idle instance costs one query per kind and worker per 2 s.
          pollingIntervalSeconds: 2,
          notifyPollingIntervalSeconds: 2,
          includeMetadata: true,
        }, async ([job]) => {
        await this.execute(name, job.data.jobId, job.signal, job.retryCount);
      });
    }
    this.sweeper = setInterval(() => void this.sweep().catch((err: unknown) => this.log.error({ err }, 'job sweep failed')), SWEEP_MS);
    this.sweeper.unref();
    void this.sweep().catch((err: unknown) => this.log.error({ err }, 'job sweep failed'));
  }

  /**
   * Stops taking jobs and gives the running ones the shutdown limit; pg-boss then fails what is
   * still running (its signal is aborted), and another instance, or this one after a restart,
   * takes it up again.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const boss = this.boss;
    if (!boss) return;
    await boss.stop({ graceful: true, timeout: Math.max(1, this.settings.shutdownSeconds - 2) * 1000, close: true });
    this.boss = null;
  }

  /**
   * PGlite is one process: a job that was running when it stopped is no longer running anywhere.
   * Failing it in pg-boss puts it up for retry at once instead of after its expiry.
   */
  private async requeueOrphans() {
    const boss = this.boss!;
    const orphans = await this.db.select({ id: jobs.id, kind: jobs.kind, bossId: jobs.bossId }).from(jobs).where(eq(jobs.state, 'running'));
    for (const o of orphans) {
      if (!o.bossId || !this.kinds.has(o.kind)) continue;
      await boss.fail(o.kind, o.bossId, { message: 'instance stopped' }).catch((err: unknown) => this.log.warn({ err, jobId: o.id }, 'could not requeue a job'));
      await this.db.update(jobs).set({ state: 'queued', phase: 'jobs.phase.resumed', phaseParams: {} }).where(and(eq(jobs.id, o.id), eq(jobs.state, 'running')));
    }
  }

  /** Queues work of a registered kind for its owner; a repeat within a few seconds gets the same job. */
  async enqueue<P extends object>(kind: string, payload: P, opts: EnqueueOptions): Promise<{ id: number; deduped: boolean }> {
    if (!this.kinds.has(kind)) throw new Error(`unknown job kind ${kind}`);
    if (!this.boss) throw new Error('the job system is not running');
    const dedupe = opts.dedupeKey ? dedupeKeyOf(opts.owner.id, kind, opts.dedupeKey) : null;
    const bossId = randomUUID();
    const found = await this.db.transaction(async (tx) => {
      if (dedupe) {
        // Two clicks at once: the second waits for the first's row and finds it.
        await tx.execute(sql`select pg_advisory_xact_lock(727002, hashtext(${dedupe}))`);
        const [same] = await tx
          .select({ id: jobs.id })
          .from(jobs)
          .where(and(eq(jobs.dedupeKey, dedupe), sql`${jobs.createdAt} > now() - make_interval(secs => ${DEDUPE_SECONDS})`, inArray(jobs.state, ['queued', 'running', 'done'])))
          .orderBy(desc(jobs.id))
          .limit(1);
        if (same) return { id: same.id, deduped: true };
      }
      const [row] = await tx.insert(jobs).values({ kind, ownerId: opts.owner.id, payload, titleParams: opts.titleParams ?? {}, dedupeKey: dedupe, bossId, phase: 'jobs.phase.queued', total: opts.total ?? 0 }).returning({ id: jobs.id });
      return { id: row.id, deduped: false };
    });
    if (found.deduped) return found;
    try {
      await this.boss.send(kind, { jobId: found.id }, { id: bossId });
    } catch (err) {
      await this.db.update(jobs).set({ state: 'failed', error: 'jobs.error.failed', finishedAt: new Date() }).where(eq(jobs.id, found.id));
      throw err;
    }
    return found;
  }

  /** Runs one job on this instance (called by pg-boss's worker). */
  private async execute(kind: string, jobId: number, bossSignal: AbortSignal, retryCount: number): Promise<void> {
    const def = this.kinds.get(kind)!;
    const [row] = await this.db
      .update(jobs)
      .set({ state: 'running', startedAt: sql`coalesce(${jobs.startedAt}, now())`, beatAt: sql`now()`, attempts: sql`${jobs.attempts} + 1`, phase: retryCount > 0 ? 'jobs.phase.resumed' : 'jobs.phase.started', phaseParams: {} })
      .where(and(eq(jobs.id, jobId), inArray(jobs.state, ACTIVE_STATES)))
      .returning();
    if (!row) return; // cancelled or finished meanwhile
    if (row.cancelRequested) {
      await this.finish(jobId, { state: 'cancelled' });
      return;
    }
    const abort = new AbortController();
    const onShutdown = () => abort.abort('shutdown');
    if (bossSignal.aborted) onShutdown();
    bossSignal.addEventListener('abort', onShutdown, { once: true });
    const live = { done: row.done, total: row.total, phase: row.phase, params: {} as Params };
    this.local.set(jobId, live);
    let dirty = false;
    let beating: Promise<void> | null = null;
    const beat = async () => {
      const wasDirty = dirty;
      dirty = false;
      const [r] = await this.db
        .update(jobs)
        .set(wasDirty ? { done: live.done, total: live.total, phase: live.phase, phaseParams: live.params, beatAt: sql`now()` } : { beatAt: sql`now()` })
        .where(eq(jobs.id, jobId))
        .returning({ cancel: jobs.cancelRequested });
      if (r?.cancel && !abort.signal.aborted) abort.abort('cancel');
    };
    const timer = setInterval(() => {
      if (beating) return;
      beating = beat()
        .catch((err: unknown) => this.log.warn({ err, jobId }, 'job progress not written'))
        .finally(() => {
          beating = null;
        });
    }, BEAT_MS);
    const log = this.log.child({ jobId, kind });
    let tempDir: string | null = null;
    try {
      const outcome = await def.run({
        jobId,
        payload: row.payload,
        ownerId: row.ownerId,
        attempt: row.attempts,
        signal: abort.signal,
        log,
        progress(done, total, phase, params) {
          live.done = done;
          live.total = total;
          if (phase !== undefined) {
            live.phase = phase;
            live.params = params ?? {};
          }
          dirty = true;
        },
        async tempFile(name) {
          tempDir ??= await mkdtemp(path.join(tmpdir(), `crm-job-${process.pid}-${jobId}-`));
          return path.join(tempDir, path.basename(name));
        },
      });
      clearInterval(timer);
      await beating;
      if (abort.signal.reason === 'shutdown') throw new Error('instance stopped');
      await this.finish(jobId, { state: 'done', outcome: outcome ?? {}, total: live.total });
    } catch (err) {
      clearInterval(timer);
      await beating;
      if (abort.signal.reason === 'shutdown' || (bossSignal.aborted && !(err instanceof AppError))) {
        // Given back to pg-boss, which runs it again here after a restart or on another instance.
        await this.db.update(jobs).set({ state: 'queued', phase: 'jobs.phase.interrupted', phaseParams: {} }).where(and(eq(jobs.id, jobId), eq(jobs.state, 'running')));
        throw err;
      }
      if (abort.signal.reason === 'cancel') {
        await this.finish(jobId, { state: 'cancelled' });
        return;
      }
      if (err instanceof AppError) {
        await this.finish(jobId, { state: 'failed', error: err.messageKey, params: err.params });
        return;
      }
      log.error({ err }, 'job failed');
      // Not retried: a job that failed by itself would fail the same way again.
      await this.finish(jobId, { state: 'failed', error: 'jobs.error.failed' });
    } finally {
      bossSignal.removeEventListener('abort', onShutdown);
      this.local.delete(jobId);
      if (tempDir) await rm(tempDir, { recursive: true, force: true }).catch((err: unknown) => log.warn({ err }, 'job temp files not removed'));
    }
  }

  /**
   * Stores a job's file in FILE_CHUNK pieces, in the caller's transaction (the file appears with
   * the job's end, never half-written). A file on disk is read one piece at a time.
   */
  private async storeFile(tx: Tx, jobId: number, file: JobFile) {
    const put = async (seq: number, bytes: Buffer) => {
      await tx.insert(jobFileChunks).values({ jobId, seq, bytes });
    };
    if ('bytes' in file) {
      const all = Buffer.isBuffer(file.bytes) ? file.bytes : Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength);
      const [row] = await tx.insert(jobFiles).values({ jobId, name: file.name, type: file.type, size: all.length }).onConflictDoNothing().returning({ jobId: jobFiles.jobId });
      if (!row) return;
      for (let seq = 0, at = 0; at < all.length || seq === 0; seq++, at += FILE_CHUNK) await put(seq, all.subarray(at, at + FILE_CHUNK));
      return;
    }
    const handle = await open(file.path, 'r');
    try {
      const { size } = await handle.stat();
      const [row] = await tx.insert(jobFiles).values({ jobId, name: file.name, type: file.type, size }).onConflictDoNothing().returning({ jobId: jobFiles.jobId });
      if (!row) return;
      const buf = Buffer.alloc(FILE_CHUNK);
      for (let seq = 0; ; seq++) {
        const { bytesRead } = await handle.read(buf, 0, FILE_CHUNK, null);
        if (bytesRead === 0) {
          if (seq === 0) await put(0, Buffer.alloc(0));
          break;
        }
        // A copy: the driver may hold on to the value until the statement is sent.
        await put(seq, Buffer.from(buf.subarray(0, bytesRead)));
      }
    } finally {
      await handle.close();
    }
  }

  private async finish(jobId: number, end: { state: 'done'; outcome: JobOutcome; total?: number } | { state: 'failed'; error: string; params?: Params } | { state: 'cancelled' }) {
    const expiresAt = new Date(Date.now() + this.settings.resultHours * 3600_000);
    await this.db.transaction(async (tx) => {
      if (end.state === 'done') {
        const file = end.outcome.file;
        if (file) await this.storeFile(tx, jobId, file);
        await tx
          .update(jobs)
          // A job shorter than a beat has not written its progress yet: its last total counts.
          .set({ state: 'done', total: sql`greatest(${jobs.total}, ${end.total ?? 0})`, done: sql`greatest(${jobs.done}, ${jobs.total}, ${end.total ?? 0})`, phase: 'jobs.phase.done', phaseParams: {}, report: end.outcome.report ?? null, link: end.outcome.link ?? null, finishedAt: sql`now()`, expiresAt })
          .where(and(eq(jobs.id, jobId), inArray(jobs.state, ACTIVE_STATES)));
        return;
      }
      await tx
        .update(jobs)
        .set({
          state: end.state,
          error: end.state === 'failed' ? end.error : null,
          phase: end.state === 'failed' ? 'jobs.phase.failed' : 'jobs.phase.cancelled',
          phaseParams: end.state === 'failed' ? (end.params ?? {}) : {},
          finishedAt: sql`now()`,
          expiresAt,
        })
        .where(and(eq(jobs.id, jobId), inArray(jobs.state, ACTIVE_STATES)));
    });
  }

  /**
   * Housekeeping, on every instance (each statement is safe to run twice): results past their
   * time are deleted; a job whose instance went silent and that pg-boss no longer holds (retries
   * used up) is failed with a clear reason.
   */
  async sweep(): Promise<void> {
    if (this.stopping) return;
    await this.db.delete(jobFiles).where(sql`${jobFiles.jobId} in (select ${jobs.id} from ${jobs} where ${jobs.expiresAt} <= now())`);
    await this.db.update(jobs).set({ report: null, expiresAt: null, phase: 'jobs.phase.expired' }).where(and(lte(jobs.expiresAt, new Date()), eq(jobs.state, 'done')));
    await this.db.update(jobs).set({ expiresAt: null }).where(lte(jobs.expiresAt, new Date()));
    const boss = this.boss;
    if (!boss) return;
    const silent = await this.db
      .select()
      .from(jobs)
      .where(and(inArray(jobs.state, ACTIVE_STATES), lt(sql`coalesce(${jobs.beatAt}, ${jobs.createdAt})`, sql`now() - make_interval(secs => ${LOST_SECONDS})`)));
    for (const j of silent) {
      if (this.local.has(j.id)) continue;
      const def = this.kinds.get(j.kind);
      const held = j.bossId && def ? (await boss.findJobs(j.kind, { id: j.bossId }).catch(() => []))[0] : undefined;
      if (held && (held.state === 'created' || held.state === 'retry' || held.state === 'active')) continue;
      const [lost] = await this.db
        .update(jobs)
        .set({ state: 'failed', error: 'jobs.error.lost', phase: 'jobs.phase.failed', finishedAt: sql`now()`, expiresAt: new Date(Date.now() + this.settings.resultHours * 3600_000) })
        .where(and(eq(jobs.id, j.id), inArray(jobs.state, ACTIVE_STATES)))
        .returning({ id: jobs.id });
      if (lost && def?.abandoned) await def.abandoned(j.payload, this.log).catch((err: unknown) => this.log.error({ err, jobId: j.id }, 'could not clean up a lost job'));
    }
  }

  /** Lets the next sweep see the job system at work (tests, benchmarks). */
  bossInstance(): PgBoss | null {
    return this.boss;
  }

  // ── what the pages read ───────────────────────────────────────────────────────────────────

  liveProgress(jobId: number) {
    return this.local.get(jobId);
  }

  async find(id: number): Promise<JobView | null> {
    const [row] = await this.db
      .select({ job: jobs, ownerName: users.name, ownerRole: users.role })
      .from(jobs)
      .innerJoin(users, eq(users.id, jobs.ownerId))
      .where(eq(jobs.id, id));
    return row ? { ...row.job, ownerName: row.ownerName, ownerRole: row.ownerRole } : null;
  }

  canSee(job: JobView, actor: User): boolean {
    if (job.ownerId === actor.id) return true;
    const def = this.kinds.get(job.kind);
    if (def?.private && job.ownerRole === 'employee') return false;
    if (actor.role === 'admin') return true;
    return def?.shared === 'secretaries' && actor.role === 'secretary';
  }

  canCancel(job: JobView, actor: User): boolean {
    return this.canSee(job, actor) && (job.ownerId === actor.id || actor.role !== 'employee');
  }

  /** A job the actor may see; 404 otherwise (another user's job is not even confirmed to exist). */
  async load(id: number, actor: User): Promise<JobView> {
    const job = await this.find(id);
    if (!job || !this.canSee(job, actor)) throw new NotFoundError('jobs.error.notFound');
    return job;
  }

  /**
   * Cancels a job: a queued one at once, a running one cooperatively (its handler sees the
   * signal within a second and stops at its next safe point).
   */
  async cancel(id: number, actor: User): Promise<'cancelled' | 'requested'> {
    const job = await this.load(id, actor);
    if (!this.canCancel(job, actor)) throw new ForbiddenError('jobs.error.cannotCancel');
    if (isFinished(job.state)) throw new ConflictError('jobs.error.alreadyFinished');
    const [queued] = await this.db
      .update(jobs)
      .set({ state: 'cancelled', cancelRequested: true, phase: 'jobs.phase.cancelled', finishedAt: sql`now()`, notified: true, expiresAt: new Date(Date.now() + this.settings.resultHours * 3600_000) })
      .where(and(eq(jobs.id, id), eq(jobs.state, 'queued')))
      .returning({ id: jobs.id });
    if (queued) {
      if (job.bossId) await this.boss?.cancel(job.kind, job.bossId).catch(() => {});
      const def = this.kinds.get(job.kind);
      if (def?.abandoned) await def.abandoned(job.payload, this.log);
      return 'cancelled';
    }
    const [running] = await this.db.update(jobs).set({ cancelRequested: true }).where(and(eq(jobs.id, id), eq(jobs.state, 'running'))).returning({ id: jobs.id });
    if (!running) throw new ConflictError('jobs.error.alreadyFinished');
    return 'requested';
  }

  /**
   * The job's file, for its owner (or whoever may see the job) while it is kept: its pieces read
   * one at a time as the stream is consumed (the reply's back-pressure paces the reads).
   */
  async file(id: number, actor: User): Promise<{ name: string; type: string; size: number; stream: Readable }> {
    const job = await this.load(id, actor);
    if (job.state !== 'done') throw new NotFoundError('jobs.error.noResult');
    const [f] = await this.db.select().from(jobFiles).where(eq(jobFiles.jobId, id));
    if (!f) {
      if (!job.expiresAt || job.expiresAt.getTime() <= Date.now()) throw new GoneError();
      throw new NotFoundError('jobs.error.noResult');
    }
    if (job.expiresAt && job.expiresAt.getTime() <= Date.now()) throw new GoneError();
    const db = this.db;
    async function* pieces() {
      for (let seq = 0; ; seq++) {
        const [c] = await db.select({ bytes: jobFileChunks.bytes }).from(jobFileChunks).where(and(eq(jobFileChunks.jobId, id), eq(jobFileChunks.seq, seq)));
        if (!c) return;
        if (c.bytes.length) yield c.bytes;
      }
    }
    return { name: f.name, type: f.type, size: f.size, stream: Readable.from(pieces(), { objectMode: false }) };
  }

  async hasFile(id: number): Promise<{ name: string; size: number } | null> {
    const [f] = await this.db.select({ name: jobFiles.name, size: jobFiles.size }).from(jobFiles).where(eq(jobFiles.jobId, id));
    return f ?? null;
  }

  /** The user's jobs, newest first. */
  async listFor(userId: number, limit = 100): Promise<Job[]> {
    return this.db.select().from(jobs).where(eq(jobs.ownerId, userId)).orderBy(desc(jobs.id)).limit(limit);
  }

  /** The newest job of a kind whose payload contains `match` (the commit job of an import batch). */
  async latestOf(kind: string, match: object): Promise<Job | null> {
    const [row] = await this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.kind, kind), sql`${jobs.payload} @> ${JSON.stringify(match)}::jsonb`))
      .orderBy(desc(jobs.id))
      .limit(1);
    return row ?? null;
  }

  /**
   * For the layout: how many of the user's jobs are running, and the finished ones not yet
   * announced (each announced once: the flash on the next page).
   */
  async pageInfo(userId: number): Promise<{ running: number; finished: { id: number; kind: string; state: string; titleParams: unknown }[] }> {
    const finished = await this.db
      .update(jobs)
      .set({ notified: true })
      .where(and(eq(jobs.ownerId, userId), eq(jobs.notified, false), inArray(jobs.state, [...FINISHED_STATES])))
      .returning({ id: jobs.id, kind: jobs.kind, state: jobs.state, titleParams: jobs.titleParams });
    const [{ n }] = await this.db
      .select({ n: sql<number>`count(*)::int` })
      .from(jobs)
      .where(and(eq(jobs.ownerId, userId), inArray(jobs.state, ACTIVE_STATES)));
    return { running: n, finished };
  }

  /** Waits up to `ms` for a job to finish (a request that can answer at once when the job is short). */
  async waitFor(id: number, ms: number): Promise<Job | null> {
    const until = Date.now() + ms;
    for (;;) {
      const [row] = await this.db.select().from(jobs).where(eq(jobs.id, id));
      if (!row || isFinished(row.state)) return row ?? null;
      if (Date.now() >= until) return null;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async markSeen(id: number): Promise<void> {
    await this.db.update(jobs).set({ notified: true }).where(and(eq(jobs.id, id), eq(jobs.notified, false), inArray(jobs.state, [...FINISHED_STATES])));
  }
}
