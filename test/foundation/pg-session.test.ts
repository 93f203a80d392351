import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { rows } from '../helpers/db.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

// The app's connections to PostgreSQL compile nothing: JIT cost a card's save 26 ms for a 1 ms update.
describe.skipIf(!process.env.DATABASE_URL)('the PostgreSQL session', () => {
  it('runs without JIT, in transactions too', async () => {
    expect(rows<{ jit: string }>(await t.database.db.execute(sql`show jit`))[0].jit).toBe('off');
    const inside = await t.database.db.transaction(async (tx) => rows<{ jit: string }>(await tx.execute(sql`show jit`))[0].jit);
    expect(inside).toBe('off');
  });
});
