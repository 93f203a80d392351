import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

/**
 * A supervisor's health check (Docker: 5 s, three tries) must not wait behind a long transaction:
 * on PGlite there is one connection, and an import's commit holds it for many seconds (16.9 s in
 * the event-loop benchmark) — the container would have been restarted in the middle of it.
 */
describe('/healthz', () => {
  it('answers while a transaction holds the database', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inside: () => void = () => undefined;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const held = t.database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
      inside();
      await gate;
    });
    await entered;
    try {
      // The transaction never ends by itself: whichever comes first says whether /healthz waited for it.
      const answer = await Promise.race([
        t.app.inject({ method: 'GET', url: '/healthz' }).then((r) => r.statusCode),
        new Promise<string>((resolve) => setTimeout(() => resolve('waited for the transaction'), 5_000)),
      ]);
      expect(answer).toBe(200);
    } finally {
      release();
      await held;
    }
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});
