import { parentPort, Worker } from 'node:worker_threads';
import { limitConcurrency } from './limit.js';

/**
 * CPU-heavy work (parsing an uploaded file) in worker threads, so the event loop keeps serving
 * everyone else. A small pool: at most `size` tasks run at once (the rest wait in line), workers
 * are started on demand, reused, and ended after `idleMs` without work. A worker that dies (its
 * heap limit, a crash) fails only its own task and is replaced by the next one asked for.
 *
 * Messages: the main thread posts a task; the worker posts any number of `part`s (results sent in
 * pieces, so no single message takes long to receive) and then one `done` or `error`.
 */
export interface WorkerPoolOptions {
  size: number;
  idleMs: number;
  /** V8 old-space limit of each worker: what one hostile file can take. */
  maxOldGenerationSizeMb: number;
}

type FromWorker = { type: 'part'; data: unknown } | { type: 'done'; data: unknown } | { type: 'error'; error: SerializedError };

/** What crosses the thread boundary of an error: its class name and own fields. */
export interface SerializedError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

/** A worker that ended without answering (out of memory, killed). */
export class WorkerFailedError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'WorkerFailedError';
  }
}

/**
 * Worker threads do not inherit a TypeScript loader from Vitest, and `npm start` registers tsx
 * with `--import`: each worker registers it itself, which serves both.
 */
const TS_EXEC_ARGV = ['--import', 'tsx'];

export class WorkerPool<Task, Part, Result> {
  private readonly idle: { worker: Worker; timer: NodeJS.Timeout }[] = [];
  private readonly inSlot: <T>(fn: () => Promise<T>) => Promise<T>;

  constructor(
    private readonly entry: URL,
    private readonly opts: WorkerPoolOptions,
    private readonly revive: (e: SerializedError) => Error = (e) => Object.assign(new Error(e.message), { name: e.name }),
  ) {
    this.inSlot = limitConcurrency(opts.size);
  }

  /**
   * `transfer`: ArrayBuffers handed over to the worker instead of copied (a copy of megabytes is
   * made on the main thread); the caller must not use them afterwards.
   */
  run(task: Task, onPart?: (part: Part) => void, transfer: ArrayBuffer[] = []): Promise<Result> {
    return this.inSlot(() => this.runOn(this.take(), task, onPart, transfer));
  }

  /** Ends the idle workers (busy ones end when their task does, as the pool no longer keeps them). */
  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map(({ worker, timer }) => (clearTimeout(timer), worker.terminate())));
  }

  private take(): Worker {
    const kept = this.idle.pop();
    if (kept) {
      clearTimeout(kept.timer);
      return kept.worker;
    }
    const worker = new Worker(this.entry, { execArgv: TS_EXEC_ARGV, resourceLimits: { maxOldGenerationSizeMb: this.opts.maxOldGenerationSizeMb } });
    worker.unref(); // an idle worker never keeps the process alive
    // A worker that dies between tasks leaves the pool quietly (an 'error' nobody listens to would
    // be thrown on the main thread).
    worker.on('error', () => {});
    worker.on('exit', () => {
      const i = this.idle.findIndex((x) => x.worker === worker);
      if (i >= 0) clearTimeout(this.idle.splice(i, 1)[0].timer);
    });
    return worker;
  }

  private release(worker: Worker): void {
    const timer = setTimeout(() => {
      const i = this.idle.findIndex((x) => x.worker === worker);
      if (i >= 0) this.idle.splice(i, 1);
      void worker.terminate();
    }, this.opts.idleMs);
    timer.unref();
    this.idle.push({ worker, timer });
  }

  private runOn(worker: Worker, task: Task, onPart: ((part: Part) => void) | undefined, transfer: ArrayBuffer[]): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      const cleanup = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const onMessage = (msg: FromWorker) => {
        if (msg.type === 'part') {
          try {
            onPart?.(msg.data as Part);
          } catch (err) {
            // The receiver gave up: this worker's remaining output is unwanted.
            cleanup();
            void worker.terminate();
            reject(err);
          }
          return;
        }
        cleanup();
        this.release(worker);
        if (msg.type === 'done') resolve(msg.data as Result);
        else reject(this.revive(msg.error));
      };
      const onError = (err: Error & { code?: string }) => {
        cleanup();
        void worker.terminate();
        reject(new WorkerFailedError(err.message, err.code));
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new WorkerFailedError(`worker exited with code ${code}`, undefined));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(task, transfer);
    });
  }
}

/**
 * The worker's side: answers each task with `handle`, which may send parts through `emit`
 * before it returns the final result.
 */
export function serveTasks<Task, Part, Result>(handle: (task: Task, emit: (part: Part) => void) => Result | Promise<Result>): void {
  const port = parentPort;
  if (!port) throw new Error('serveTasks runs in a worker thread only');
  port.on('message', async (task: Task) => {
    try {
      const data = await handle(task, (part) => port.postMessage({ type: 'part', data: part }));
      port.postMessage({ type: 'done', data });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      const fields: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(e)) if (v === undefined || ['string', 'number', 'boolean'].includes(typeof v)) fields[k] = v;
      port.postMessage({ type: 'error', error: { name: e.name, message: e.message, fields } });
    }
  });
}
