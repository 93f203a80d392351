/**
 * At most `n` of the functions given to the returned runner are in flight at once; the others
 * wait their turn in order. Bounds the memory and threads that heavy work (image decoding, file
 * parsing) may take however many requests ask for it together.
 */
export function limitConcurrency(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  if (!Number.isInteger(n) || n < 1) throw new RangeError('concurrency must be a positive integer');
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else active++;
    try {
      return await fn();
    } finally {
      // The slot passes straight to the next in line, so `active` never dips below while work waits.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
}

/** Resolves after the event loop has had a turn: long loops call it so other requests get served. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock for chunked loops: `due()` is true once `sliceMs` have passed since the last yield, so
 * a loop yields about every slice whatever the cost of one step.
 */
/**
 * `items.map(fn)` in slices of at most ~8 ms, yielding to the event loop between them: for work
 * over every row of a file (10,000 rows took 60–170 ms in one piece).
 */
export async function mapSliced<T, U>(items: readonly T[], fn: (item: T, index: number) => U): Promise<U[]> {
  const clock = timeSlicer();
  const out: U[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i], i);
    if (clock.due()) await clock.yield();
  }
  return out;
}

export function timeSlicer(sliceMs = 8) {
  let since = performance.now();
  return {
    due(): boolean {
      return performance.now() - since >= sliceMs;
    },
    async yield(): Promise<void> {
      await yieldToEventLoop();
      since = performance.now();
    },
  };
}
