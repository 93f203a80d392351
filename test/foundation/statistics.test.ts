import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization } from '../helpers/factories.js';
import { rows } from '../helpers/db.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const reltuples = async (table: string) =>
  Number(rows<{ n: number }>(await t.database.db.execute(sql`select reltuples as n from pg_class where relname = ${table}`))[0].n);

const analyzed = async () =>
  new Map(
    rows<{ name: string; at: string | null }>(
      await t.database.db.execute(sql`select relname as name, last_analyze::text as at from pg_stat_user_tables where schemaname = 'public'`),
    ).map((r) => [r.name, r.at]),
  );

// PGlite has no autovacuum: the app keeps the planner's statistics itself (PostgreSQL's server does).
// The app's own timer may make a pass while the test runs (its first comes 5 s after start): what
// is checked is the tables' state, whichever pass analyzed them.
describe.skipIf(Boolean(process.env.DATABASE_URL))('planner statistics on the embedded database', () => {
  it('are gathered once for every table, then again only for tables changed enough', async () => {
    await t.database.refreshStatistics();
    const first = await analyzed();
    for (const table of ['organizations', 'persons', 'group_memberships', 'regions']) expect(first.get(table), table).toBeTruthy();
    expect(await reltuples('regions')).toBeGreaterThanOrEqual(89);
    expect(await t.database.refreshStatistics()).toEqual([]);

    for (let i = 0; i < 60; i++) await makeOrganization(t.database.db, t.users.secretary);
    await t.database.refreshStatistics();
    const again = await analyzed();
    expect(again.get('organizations')).not.toBe(first.get('organizations'));
    expect(again.get('regions')).toBe(first.get('regions'));
    expect(await reltuples('organizations')).toBe(60);
    expect(await t.database.refreshStatistics()).toEqual([]);
  });
});
