import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization } from '../helpers/factories.js';
import { rows } from '../../src/db/rows.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const reltuples = async (table: string) =>
  Number(rows<{ n: number }>(await t.database.db.execute(sql`select reltuples as n from pg_class where relname = ${table}`))[0].n);

// PGlite has no autovacuum: the app keeps the planner's statistics itself (PostgreSQL's server does).
describe.skipIf(Boolean(process.env.DATABASE_URL))('planner statistics on the embedded database', () => {
  it('are gathered once for every table, then again only for tables changed enough', async () => {
    const first = await t.database.refreshStatistics();
    expect(first).toEqual(expect.arrayContaining(['public.organizations', 'public.persons', 'public.group_memberships', 'public.regions']));
    expect(await reltuples('regions')).toBeGreaterThanOrEqual(89);
    expect(await t.database.refreshStatistics()).toEqual([]);

    for (let i = 0; i < 60; i++) await makeOrganization(t.database.db, t.users.secretary);
    const again = await t.database.refreshStatistics();
    expect(again).toContain('public.organizations');
    expect(again).not.toContain('public.regions');
    expect(await reltuples('organizations')).toBe(60);
    expect(await t.database.refreshStatistics()).toEqual([]);
  });
});
