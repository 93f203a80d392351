import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { rows } from '../helpers/db.js';
import { seedDemo } from '../../src/features/demo/seed.js';
import { seedDemoGroups } from '../../src/features/groups/demo.js';
import { CITIES, PUBLIC_ACTIVITIES } from '../../src/features/demo/data.js';

// Issue 16, point 9: a demo directory an office would believe, and one that fills every grouping.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  await seedDemo(t.database.db);
  await seedDemoGroups(t.database.db);
}, 300_000);
afterAll(async () => t?.close());

type Org = { name: string; activity: string | null; category: string | null; region: string | null; locality: string };
const orgs = async () =>
  rows<Org>(
    await t.database.db.execute(sql`
      select o.name, a.name as activity, c.name as category, r.name as region, o.addr_locality as locality
      from organizations o left join activities a on a.id = o.activity_id left join categories c on c.id = o.category_id
      left join regions r on r.id = o.region_id where o.archived_at is null`),
  );

describe('the demo directory', () => {
  it('files public bodies as public bodies and companies as companies', async () => {
    const list = await orgs();
    expect(list.length).toBeGreaterThan(40);
    for (const o of list) {
      const form = /^(ООО|АО|ПАО|ЗАО|ИП|ФГУП|ГБУ)\s/.exec(o.name)?.[1] ?? null;
      if (form === null) continue;
      const isPublic = form === 'ГБУ' || form === 'ФГУП';
      expect(o.category === 'Государственный орган', o.name).toBe(isPublic);
      expect(PUBLIC_ACTIVITIES.includes(o.activity ?? ''), o.name).toBe(isPublic);
    }
  });

  it('puts every city in its own region', async () => {
    const regionOf = new Map(CITIES.map((c) => [c.city, c.region]));
    for (const o of await orgs()) if (o.locality && o.region) expect(o.region, `${o.name}, ${o.locality}`).toBe(regionOf.get(o.locality));
  });

  it('has no person both among the VIP clients and on the blacklist', async () => {
    const both = rows<{ n: number }>(
      await t.database.db.execute(sql`
        select count(*)::int as n from group_memberships v join mailing_groups gv on gv.id = v.group_id and gv.name = 'VIP-клиенты'
        join group_memberships b on b.person_id = v.person_id and b.removed_at is null
        join mailing_groups gb on gb.id = b.group_id and gb.name = 'Чёрный список'
        where v.removed_at is null`),
    );
    expect(Number(both[0].n)).toBe(0);
  });

  it('fills several headers of every grouping on the first page', async () => {
    const c = await t.as('employee');
    for (const g of ['organization', 'region', 'activity', 'category', 'group']) {
      const body = (await c.get(`/contacts?group_by=${g}`)).body;
      const headers = [...body.matchAll(/<tr class="group-header/g)].length;
      expect(headers, g).toBeGreaterThanOrEqual(g === 'group' ? 2 : 3);
    }
  });
});
