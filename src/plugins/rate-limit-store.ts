import { sql } from 'drizzle-orm';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Db } from '../db/client.js';
import { rowsOf } from '../db/rows.js';

type Result = { current: number; ttl: number };
const RESULT = { current: 'number', ttl: 'number' } as const;
type Callback = (error: Error | null, result?: Result) => void;

interface StoreOptions {
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
}

interface RouteInfo {
  routeInfo?: { method?: string | string[]; url?: string };
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
}

// Expired windows are deleted now and then by whichever instance counts an attempt.
const SWEEP_EVERY_MS = 5 * 60_000;

/**
 * @fastify/rate-limit's counters in the `rate_limits` table (both drivers), so every instance on
 * one database counts the same attempts: with N instances a client gets the configured limit,
 * not N times it. One statement counts an attempt atomically, and the window is measured by the
 * database's clock, so instances whose clocks differ still agree. Fixed windows as the plugin's
 * own stores keep them (`continueExceeding` restarts the window on every attempt over the limit;
 * `exponentialBackoff` is not supported).
 */
export function pgRateLimitStore(db: Db): FastifyRateLimitStoreCtor {
  let lastSweep = 0;
  const sweep = () => {
    const now = Date.now();
    if (now - lastSweep < SWEEP_EVERY_MS) return;
    lastSweep = now;
    // Best effort: a failed sweep leaves rows that the next one deletes.
    db.execute(sql`delete from rate_limits where window_ends < now()`).catch(() => {});
  };

  class PgRateLimitStore implements FastifyRateLimitStore {
    private readonly prefix: string;
    private readonly continueExceeding: boolean;

    constructor(options: StoreOptions, prefix = '') {
      if (options.exponentialBackoff) throw new Error('the PostgreSQL rate-limit store does not support exponentialBackoff');
      this.continueExceeding = Boolean(options.continueExceeding);
      this.prefix = prefix;
    }

    incr(key: string, cb: Callback, timeWindow: number, max: number) {
      const window = sql`(${timeWindow}::float8 * interval '1 millisecond')`;
      db.execute(sql`
        insert into rate_limits as r (key, hits, window_ends)
        values (${this.prefix + key}, 1, now() + ${window})
        on conflict (key) do update set
          hits = case when r.window_ends <= now() then 1 else r.hits + 1 end,
          window_ends = case
            when r.window_ends <= now() then now() + ${window}
            when ${this.continueExceeding}::boolean and r.hits + 1 > ${max}::int then now() + ${window}
            else r.window_ends
          end
        returning r.hits as current,
          greatest(0, ceil(extract(epoch from r.window_ends - now()) * 1000))::float8 as ttl`)
        .then((result) => {
          const [row] = rowsOf(result, RESULT, 'rate limit: count');
          cb(null, { current: Number(row.current), ttl: Number(row.ttl) });
          sweep();
        }, cb);
    }

    /** The current count without counting an attempt (the plugin's `increment: false`). */
    read(key: string, cb: Callback) {
      db.execute(sql`
        select hits as current, greatest(0, ceil(extract(epoch from window_ends - now()) * 1000))::float8 as ttl
        from rate_limits where key = ${this.prefix + key} and window_ends > now()`)
        .then((result) => {
          const [row] = rowsOf(result, RESULT, 'rate limit: read');
          cb(null, row ? { current: Number(row.current), ttl: Number(row.ttl) } : { current: 0, ttl: 0 });
        }, cb);
    }

    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const route = routeOptions as unknown as RouteInfo;
      const method = [route.routeInfo?.method ?? ''].flat().join(',');
      return new PgRateLimitStore(
        { continueExceeding: route.continueExceeding, exponentialBackoff: route.exponentialBackoff },
        `${this.prefix}${method}${route.routeInfo?.url ?? ''}-`,
      );
    }
  }
  return PgRateLimitStore as unknown as FastifyRateLimitStoreCtor;
}
