import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from './client.js';
import { rowsOf } from './rows.js';

/** A WAL position as PostgreSQL prints it ('16/B374D848': two hex halves) as one number. */
export function parseLsn(lsn: string): bigint {
  const m = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  if (!m) throw new Error(`not a WAL position: ${lsn}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

export type ReplicaHealth = 'starting' | 'ok' | 'lagging' | 'down';

export interface ReplicaStatus {
  health: ReplicaHealth;
  /** How long ago the primary passed the position the replica has replayed (null: unknown). */
  lagMs: number | null;
  replayLsn: string | null;
  /** Why it is down. */
  error: string | null;
  /** Pages that failed on the replica and were read again from the primary, since the start. */
  fallbacks: number;
}

export interface ReplicaOptions {
  /** Further behind than this, nobody reads from the replica. */
  maxLagMs: number;
  /** How often the replica's state is checked in the background. */
  probeMs?: number;
  /** A replay position this fresh answers a read-your-writes question without asking again. */
  cacheMs?: number;
}

/** Errors that mean the replica is away, not that one query failed there. */
const GONE_CODES = /^(08|57P0[123]|E(CONNREFUSED|CONNRESET|HOSTUNREACH|NETUNREACH|TIMEDOUT|PIPE|NOTFOUND|AI_AGAIN)$)/;
const GONE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connection error|Cannot use a pool after calling end/i;

export function isConnectionLoss(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && GONE_CODES.test(e.code)) return true;
    if (typeof e.message === 'string' && GONE_MESSAGES.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.some(isConnectionLoss)) return true;
  }
  return false;
}

/**
 * Read replicas: which database a statement goes to.
 *
 * `db` is what the features hold (`app.db`): every statement goes to the primary, except inside
 * `run(replica, …)`, which the replica plugin wraps around the handlers of the routes that declare
 * `config.replica` (read-only pages). Sessions, jobs and rate limits hold the primary itself.
 *
 * Read-your-writes: a user's request that wrote leaves the primary's WAL position in the session
 * (`writtenAt`); that user's next page reads from the replica only once it has replayed that far
 * (`readerFor`), else from the primary. A replica that is down, or lags more than maxLagMs, is
 * read by nobody until a background check finds it well again.
 */
export class ReplicaRouter {
  readonly db: Db;
  private readonly scope = new AsyncLocalStorage<Db>();
  private health: ReplicaHealth = 'starting';
  private error: string | null = null;
  private lagMs: number | null = null;
  private replay: bigint | null = null;
  private replayText: string | null = null;
  private replayAt = 0;
  /** The primary's WAL position at each check: the lag is how long ago it passed the replica's. */
  private samples: { at: number; lsn: bigint }[] = [];
  private refreshing: Promise<void> | null = null;
  private fallbacks = 0;
  private timer: NodeJS.Timeout | null = null;
  private probing: Promise<void> | null = null;
  /** Each start() begins a new series of checks; stop() ends the current one. */
  private generation = 0;
  private readonly probeMs: number;
  private readonly cacheMs: number;

  constructor(
    readonly primary: Db,
    readonly replica: Db,
    private readonly opts: ReplicaOptions,
    private readonly log: FastifyBaseLogger,
  ) {
    this.probeMs = opts.probeMs ?? 1_000;
    this.cacheMs = opts.cacheMs ?? 5;
    const scope = this.scope;
    // Chosen per statement from the async context: Drizzle's builders take the session of the
    // database object they were made from.
    this.db = new Proxy(primary, {
      get(target, prop) {
        const db = scope.getStore() ?? target;
        const value = Reflect.get(db, prop, db) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(db) : value;
      },
    });
  }

  /** Runs fn with `db` reading from the given database (the replica or, explicitly, the primary). */
  run<T>(db: Db, fn: () => T): T {
    return this.scope.run(db, fn);
  }

  status(): ReplicaStatus {
    return { health: this.health, lagMs: this.lagMs, replayLsn: this.replayText, error: this.error, fallbacks: this.fallbacks };
  }

  /**
   * The database a read-only page of a user reads: the replica, unless it is unwell or has not
   * yet replayed the user's last write (`wroteLsn`, from the session). At most one round trip to
   * the replica, shared by the requests that ask at the same moment.
   */
  async readerFor(wroteLsn: string | undefined): Promise<Db | null> {
    if (this.health !== 'ok') return null;
    if (!wroteLsn) return this.replica;
    let need: bigint;
    try {
      need = parseLsn(wroteLsn);
    } catch {
      return null;
    }
    if (this.replay !== null && this.replay >= need) return this.replica;
    if (Date.now() - this.replayAt > this.cacheMs) {
      this.refreshing ??= this.refreshReplay().finally(() => (this.refreshing = null));
      await this.refreshing;
    }
    return this.health === 'ok' && this.replay !== null && this.replay >= need ? this.replica : null;
  }

  /** The primary's WAL position now: everything committed so far is at or before it. */
  async writtenAt(): Promise<string> {
    const [r] = rowsOf(await this.primary.execute(sql`select pg_current_wal_lsn()::text as lsn`), { lsn: 'string' }, 'replica: primary position');
    return r.lsn;
  }

  /** A read on the replica failed: if it is away, nobody reads from it until the next check. */
  failed(err: unknown): void {
    this.fallbacks++;
    if (isConnectionLoss(err)) this.lost(err);
  }

  private lost(err: unknown): void {
    if (this.health !== 'down') this.log.warn({ err }, 'read replica unavailable: reading from the primary');
    this.health = 'down';
    this.error = err instanceof Error ? err.message : String(err);
  }

  async start(): Promise<void> {
    const generation = ++this.generation;
    await this.probe();
    const tick = () => {
      this.timer = setTimeout(() => {
        this.probing = this.probe().finally(() => {
          this.probing = null;
          if (generation === this.generation) tick();
        });
      }, this.probeMs).unref();
    };
    tick();
  }

  /** Stops the background check (a check under way is awaited). */
  async stop(): Promise<void> {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    await this.probing;
  }

  private setReplay(text: string) {
    const lsn = parseLsn(text);
    this.replay = lsn;
    this.replayText = text;
    this.replayAt = Date.now();
  }

  private async refreshReplay(): Promise<void> {
    try {
      const [r] = rowsOf(await this.replica.execute(sql`select pg_last_wal_replay_lsn()::text as lsn`), { lsn: 'string?' }, 'replica: replay position');
      if (r.lsn) this.setReplay(r.lsn);
    } catch (err) {
      this.lost(err);
    }
  }

  /** The background check: is it a standby that answers, and how far behind is it. */
  async probe(): Promise<void> {
    let primaryLsn: bigint;
    try {
      primaryLsn = parseLsn(await this.writtenAt());
    } catch {
      // The primary itself is away: nothing to compare with; the replica's state stands.
      return;
    }
    const now = Date.now();
    this.samples.push({ at: now, lsn: primaryLsn });
    const keep = now - 2 * this.opts.maxLagMs - 2 * this.probeMs;
    while (this.samples.length > 1 && this.samples[0].at < keep) this.samples.shift();
    let r: { recovery: boolean; lsn: string | null };
    try {
      [r] = rowsOf(
        await this.replica.execute(sql`select pg_is_in_recovery() as recovery, pg_last_wal_replay_lsn()::text as lsn`),
        { recovery: 'boolean', lsn: 'string?' },
        'replica: state',
      );
    } catch (err) {
      this.lost(err);
      this.lagMs = null;
      return;
    }
    // A promoted standby (or a primary named by mistake) no longer follows this primary.
    if (!r.recovery || !r.lsn) {
      if (this.health !== 'down') this.log.warn('DATABASE_REPLICA_URL is not a hot standby (not in recovery): reading from the primary');
      this.health = 'down';
      this.error = 'not a standby';
      this.lagMs = null;
      return;
    }
    this.setReplay(r.lsn);
    const passed = this.samples.find((s) => s.lsn > this.replay!);
    this.lagMs = passed ? now - passed.at : 0;
    const health: ReplicaHealth = this.lagMs > this.opts.maxLagMs ? 'lagging' : 'ok';
    if (health !== this.health) {
      const msg = health === 'ok' ? 'read replica in use' : 'read replica lagging: reading from the primary';
      this.log[health === 'ok' ? 'info' : 'warn']({ lagMs: this.lagMs }, msg);
    }
    this.health = health;
    this.error = null;
  }
}
