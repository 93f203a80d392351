import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import * as schema from './schema/index.js';

export type Schema = typeof schema;
/** One database type above the driver: node-postgres and PGlite share every query. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface Database {
  db: Db;
  driver: 'pg' | 'pglite';
  /**
   * What a library with its own SQL needs to reach the same database (the job queue, pg-boss):
   * the connection string on PostgreSQL, the one embedded client on PGlite.
   */
  connection: { driver: 'pg'; url: string } | { driver: 'pglite'; client: unknown };
  /**
   * A transaction whose statements go to the server without waiting for each answer in turn
   * (PostgreSQL's pipeline mode, node-postgres `pipeline`): for a long run of bulk writes the
   * database works while the app prepares the next ones. Same semantics as `db.transaction`
   * (statements run in order; after a failure the rest fail). PGlite: an ordinary transaction.
   */
  pipelinedTransaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs the committed migrations; safe to call from several instances at once. */
  migrate(): Promise<void>;
  /**
   * Brings the planner's statistics up to date where they are due, as PostgreSQL's autovacuum
   * does by itself (a no-op there); returns the tables analyzed. PGlite has no autovacuum: without
   * this its planner never learns the tables' sizes and chooses nested loops over thousands of rows.
   */
  refreshStatistics(): Promise<string[]>;
  /** The database answers: a `select 1` on PostgreSQL; on PGlite its thread, without waiting for the one connection. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * The read replica (DATABASE_REPLICA_URL: a hot standby of this PostgreSQL database), a pool of
   * its own; unset without one. Only src/db/replica.ts decides what reads from it.
   */
  replica?: Db;
}

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

// Any constant works; it only has to be the same for every instance of this app.
const MIGRATION_LOCK_KEY = 727_001;

/** Sees every statement the app sends (the benchmark replays them to measure the SQL floor). */
export interface QueryLogger {
  logQuery(query: string, params: unknown[]): void;
}

export async function openDatabase(opts: { databaseUrl: string | null; databaseReplicaUrl?: string | null; dataDir: string; logger?: QueryLogger }): Promise<Database> {
  if (opts.databaseUrl) return openPg(opts.databaseUrl, opts.logger, opts.databaseReplicaUrl ?? null);
  return openPglite(opts.dataDir, opts.logger);
}

// A replica that does not answer is given up quickly: its reads then go to the primary.
const REPLICA_CONNECT_TIMEOUT_MS = 2_000;

async function openPg(url: string, logger?: QueryLogger, replicaUrl: string | null = null): Promise<Database> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const { migrate } = await import('drizzle-orm/node-postgres/migrator');
  // Return timestamps as Date and bigint counts as numbers that fit (counts never exceed 2^53).
  pg.types.setTypeParser(20, (v: string) => Number(v));
  // No JIT: PostgreSQL compiles a statement it estimates costly, and the search-text triggers'
  // word lists (string_to_table, estimated at 1,000 words a row) make every card's save look so:
  // 26 ms of compiling for a 1 ms update at 100,000 persons. The app's statements are small.
  const SESSION = '-c jit=off';
  const pool = new pg.Pool({ connectionString: url, max: 10, idleTimeoutMillis: 30_000, options: SESSION });
  // An idle connection that the server ends (restart, failover, a dropped database) is reported
  // on the pool; without a listener Node would crash the process. The pool discards that client
  // and opens a new one on the next query, which surfaces any lasting problem as a query error.
  pool.on('error', () => {});
  const db = drizzle(pool, { schema, logger }) as unknown as Db;
  const replicaPool = replicaUrl
    ? new pg.Pool({ connectionString: replicaUrl, max: 10, idleTimeoutMillis: 30_000, connectionTimeoutMillis: REPLICA_CONNECT_TIMEOUT_MS, options: SESSION })
    : null;
  replicaPool?.on('error', () => {});
  let closed: Promise<void> | null = null;
  return {
    db,
    ...(replicaPool ? { replica: drizzle(replicaPool, { schema, logger }) as unknown as Db } : {}),
    driver: 'pg',
    connection: { driver: 'pg', url },
    async pipelinedTransaction(fn) {
      const client = await pool.connect();
      // Switched only while the connection is idle (just checked out, and after the
      // transaction's last answer), so it goes back to the pool as it came.
      const mode = client as unknown as { pipeline: boolean };
      mode.pipeline = true;
      try {
        return await (drizzle(client, { schema, logger }) as unknown as Db).transaction(fn);
      } finally {
        mode.pipeline = false;
        client.release();
      }
    },
    async migrate() {
      // Several instances may start at once; one migrates while the others wait.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        await migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_DIR });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
        client.release();
      }
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    async refreshStatistics() {
      return [];
    },
    close() {
      // Idempotent: tests and shutdown may both close it.
      closed ??= Promise.all([pool.end(), replicaPool?.end()]).then(() => {});
      return closed;
    },
  };
}

/** PGlite: the first statistics pass soon after start, then a check every minute. */
const STATISTICS_FIRST_MS = 5_000;
const STATISTICS_EVERY_MS = 60_000;
const STATISTICS_TARGET = 10;

async function openPglite(dataDir: string, logger?: QueryLogger): Promise<Database> {
  const { RemotePglite } = await import('./pglite-remote.js');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const memory = dataDir === ':memory:';
  if (!memory) mkdirSync(dataDir, { recursive: true });
  // In a thread of its own (src/db/pglite-worker.mjs, which also sets its type conversions): the
  // statements run there, and the event loop stays free while they do.
  const remote = await RemotePglite.create(memory ? undefined : dataDir);
  // Drizzle and pg-boss take it for a PGlite: they use only query, exec and transaction.
  const client = remote as unknown as import('@electric-sql/pglite').PGlite;
  const db = drizzle(client, { schema, logger }) as unknown as Db;
  let closed = false;
  // Autovacuum's rule for ANALYZE (50 rows + 10 % of the table changed), and every table once per
  // process: PGlite keeps the change counters only in memory. PGlite is one connection, and the
  // app's statements wait while it analyzes, so one table per statement and a small sample (statistics target 10: 3,000 rows,
  // ~35 ms on a 200,000-row table, against ~350 ms at the default 100): table sizes and the
  // commonest values are what the planner was missing.
  const refreshStatistics = async () => {
    // The counters of the last second's changes are flushed on the next statement's end.
    await client.query('select pg_stat_force_next_flush()');
    const due = await client.query<{ name: string }>(`
      select format('%I.%I', s.schemaname, s.relname) as name
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid
      where s.last_analyze is null or s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
      order by s.schemaname, s.relname`);
    const done: string[] = [];
    for (const { name } of due.rows) {
      if (closed) break;
      await client.transaction(async (tx) => {
        await tx.exec(`set local default_statistics_target = ${STATISTICS_TARGET}`);
        await tx.exec(`analyze ${name}`);
      });
      done.push(name);
    }
    return done;
  };
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = refreshStatistics().catch(() => {}).finally(() => {
      if (!closed) timer = setTimeout(tick, STATISTICS_EVERY_MS).unref();
    });
  };
  let timer = setTimeout(tick, STATISTICS_FIRST_MS).unref();
  return {
    db,
    driver: 'pglite',
    connection: { driver: 'pglite', client },
    pipelinedTransaction: (fn) => db.transaction(fn),
    async migrate() {
      await migrate(drizzle(client, { schema }), { migrationsFolder: MIGRATIONS_DIR });
    },
    async ping() {
      if (closed) throw new Error('database is closed');
      await remote.alive();
    },
    refreshStatistics,
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(timer);
      // A pass under way stops after its current table.
      await running;
      await client.close();
    },
  };
}
