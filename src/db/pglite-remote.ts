import { Worker } from 'node:worker_threads';

/**
 * The embedded database (PGlite) in a thread of its own (src/db/pglite-worker.mjs), behind the
 * part of PGlite's interface the app and its libraries use: `query`, `exec` and `transaction`
 * (Drizzle's PGlite driver, pg-boss's PGlite adapter, the statistics pass). Every statement is a
 * message there and its rows a message back, so however long PostgreSQL works on it, the app's
 * event loop goes on serving the other users (before: a 300 ms statement was a 300 ms stall).
 *
 * PGlite is one connection. A transaction has it to itself: while one is open, statements from
 * outside it wait here, in order, as they waited inside PGlite when it ran on this thread.
 */

export interface RemoteResults<T = Record<string, unknown>> {
  rows: T[];
  fields: { name: string; dataTypeID: number }[];
  affectedRows?: number;
}

interface QueryOptions {
  rowMode?: 'array' | 'object';
  /** A type's parser; across threads only "keep the text" can be asked (Drizzle's dates do). */
  parsers?: Record<number, (value: string, typeId?: number) => unknown>;
}

export interface RemoteTransaction {
  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<RemoteResults<T>>;
  exec(sql: string): Promise<RemoteResults[]>;
  rollback(): Promise<void>;
  readonly closed: boolean;
}

type Reply = { id: number; result?: unknown; error?: Record<string, unknown> & { message: string } };
type Message = { op: 'alive' } | { op: 'query'; sql: string; params?: unknown[]; rowMode?: string; raw?: number[] } | { op: 'exec'; sql: string } | { op: 'close' };

/** An error from the database thread, with PostgreSQL's fields (code, detail, constraint…) as pg and PGlite give them. */
function rebuild(plain: Record<string, unknown> & { message: string }): Error {
  const err = new Error(plain.message);
  for (const [k, v] of Object.entries(plain)) if (k !== 'message' && k !== 'stack') (err as unknown as Record<string, unknown>)[k] = v;
  return err;
}

/** bytea values arrive as plain Uint8Array (a Buffer loses its class between threads): Buffers again. */
function buffers<T>(r: RemoteResults<T> & { binary?: boolean }): RemoteResults<T> {
  if (!r.binary) return r;
  const fix = (v: unknown) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
  for (const row of r.rows as unknown[]) {
    if (Array.isArray(row)) for (let i = 0; i < row.length; i++) row[i] = fix(row[i]);
    else if (row && typeof row === 'object') for (const k of Object.keys(row)) (row as Record<string, unknown>)[k] = fix((row as Record<string, unknown>)[k]);
  }
  return r;
}

/** A working database thread that answered this recently is alive (see `alive`). */
const BUSY_ALIVE_MS = 5_000;

export class RemotePglite {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #next = 1;
  #dead: Error | null = null;
  /** The end of the queue: each top-level statement or transaction starts after the one before. */
  #tail: Promise<unknown> = Promise.resolve();
  /** When the thread last answered anything (performance.now()). */
  #answeredAt = performance.now();

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (m: Reply) => {
      this.#answeredAt = performance.now();
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.error) p.reject(rebuild(m.error));
      else p.resolve(m.result);
    });
    const fail = (err: Error) => {
      this.#dead ??= err;
      for (const p of this.#pending.values()) p.reject(this.#dead);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(Object.assign(new Error(`the embedded database stopped (exit ${code})`), { code: '57P01' })));
  }

  /** Starts the database thread on a data directory (undefined: in memory) and waits until it is open. */
  static async create(dataDir: string | undefined): Promise<RemotePglite> {
    const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dataDir } });
    // The process may end without closing it (a test that fails early): the thread does not keep it alive.
    worker.unref();
    const ready = await new Promise<{ ready: boolean; error?: Reply['error'] }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the embedded database did not start (exit ${code})`)));
    });
    if (!ready.ready) {
      await worker.terminate();
      throw rebuild(ready.error ?? { message: 'the embedded database did not start' });
    }
    return new RemotePglite(worker);
  }

  #send<T>(message: Message): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, ...message });
    });
  }

  #query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<RemoteResults<T>> {
    const raw = options?.parsers ? Object.keys(options.parsers).map(Number) : undefined;
    return this.#send<RemoteResults<T> & { binary?: boolean }>({ op: 'query', sql, params, rowMode: options?.rowMode, raw }).then(buffers);
  }

  #exec(sql: string): Promise<RemoteResults[]> {
    return this.#send<(RemoteResults & { binary?: boolean })[]>({ op: 'exec', sql }).then((all) => all.map(buffers));
  }

  /** Runs `fn` when everything queued before it is done; what is queued after waits for it. */
  #queued<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }

  query<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<RemoteResults<T>> {
    return this.#queued(() => this.#query<T>(sql, params, options));
  }

  exec(sql: string): Promise<RemoteResults[]> {
    return this.#queued(() => this.#exec(sql));
  }

  transaction<T>(fn: (tx: RemoteTransaction) => Promise<T>): Promise<T> {
    return this.#queued(async () => {
      let closed = false;
      const open = () => {
        if (closed) throw new Error('the transaction is closed');
      };
      const tx: RemoteTransaction = {
        query: async (sql, params, options) => (open(), this.#query(sql, params, options)),
        exec: async (sql) => (open(), this.#exec(sql)),
        rollback: async () => {
          open();
          await this.#exec('rollback');
          closed = true;
        },
        get closed() {
          return closed;
        },
      };
      await this.#exec('begin');
      try {
        const result = await fn(tx);
        if (!closed) await this.#exec('commit');
        return result;
      } catch (err) {
        if (!closed) await this.#exec('rollback').catch(() => undefined);
        throw err;
      } finally {
        closed = true;
      }
    });
  }

  /**
   * The database thread answers (at once, between two statements, queued behind nothing): what a
   * health check asks. A statement of the queue could wait for a whole import's transaction on the
   * one connection (16.9 s in the event-loop benchmark), long past a supervisor's timeout.
   *
   * The thread answers only between statements, and one statement of an import's preview took
   * 440 ms: while it is working and has answered within BUSY_ALIVE_MS, it is alive without asking.
   */
  async alive(): Promise<void> {
    if (this.#dead) throw this.#dead;
    if (this.#pending.size > 0 && performance.now() - this.#answeredAt < BUSY_ALIVE_MS) return;
    await this.#send({ op: 'alive' });
  }

  async close(): Promise<void> {
    if (this.#dead) return;
    await this.#queued(() => this.#send({ op: 'close' })).catch(() => undefined);
    this.#dead = new Error('database is closed');
    await this.#worker.terminate();
  }
}
