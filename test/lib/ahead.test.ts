import { describe, expect, it } from 'vitest';
import { ahead } from '../../src/lib/ahead.js';

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('ahead', () => {
  it('yields every item in order, the next one read while the current is handled', async () => {
    const log: string[] = [];
    async function* source() {
      for (const n of [1, 2, 3]) {
        log.push(`read ${n}`);
        await tick();
        yield n;
      }
    }
    const got: number[] = [];
    for await (const n of ahead(source())) {
      log.push(`handle ${n}`);
      await tick();
      got.push(n);
    }
    expect(got).toEqual([1, 2, 3]);
    expect(log.slice(0, 3)).toEqual(['read 1', 'read 2', 'handle 1']);
  });

  it('passes on the source failing while the caller is busy, and nothing goes unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      async function* source() {
        yield 1;
        throw new Error('database gone');
      }
      const run = async () => {
        for await (const _ of ahead(source())) await tick();
      };
      await expect(run()).rejects.toThrow('database gone');
      await tick();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('closes the source when the caller stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let n = 0; ; n++) yield n;
      } finally {
        closed = true;
      }
    }
    for await (const n of ahead(source())) if (n === 2) break;
    expect(closed).toBe(true);
  });
});
