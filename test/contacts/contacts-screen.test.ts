import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { activities, categories, regions } from '../../src/db/schema/references.js';
import { normalizeKey } from '../../src/lib/text.js';

let t: TestApp;
const ids: Record<string, number> = {};

/** Organization ids in the order the list shows them. */
function orgIdsOf(body: string): number[] {
  return [...body.matchAll(/data-open="\/organizations\/(\d+)"/g)].map((m) => Number(m[1]));
}
function personIdsOf(body: string): number[] {
  return [...body.matchAll(/data-open="\/persons\/(\d+)"/g)].map((m) => Number(m[1]));
}
function link(body: string, page: string): string | null {
  const m = new RegExp(`href="([^"]+)"[^>]*data-page="${page}"`).exec(body);
  return m ? m[1].replace(/&amp;/g, '&') : null;
}

beforeAll(async () => {
  t = await createTestApp();
  const db = t.database.db;
  const s = t.users.secretary;
  const region = async (name: string) => (await db.select().from(regions).where(eq(regions.name, name)))[0].id;
  const [trade] = await db.insert(activities).values({ name: 'Торговля', sortKey: normalizeKey('Торговля') }).returning();
  const [supplier] = await db.insert(categories).values({ name: 'Поставщик', sortKey: normalizeKey('Поставщик') }).returning();
  const a = await makeOrganization(db, s, { name: 'АО «Альфа»', regionId: await region('Москва'), activityId: trade.id, categoryId: supplier.id });
  const b = await makeOrganization(db, s, { name: 'ООО «Бета»', regionId: await region('Москва') });
  const v = await makeOrganization(db, s, { name: 'ЗАО «Вега»', regionId: await region('Свердловская область'), activityId: trade.id });
  ids.a = a.id;
  ids.b = b.id;
  ids.v = v.id;
  ids.elkin = (await makePerson(db, s, { surname: 'Ёлкин', firstName: 'Пётр', organizationId: v.id, phones: [{ kind: 'work', number: '+7 (343) 555-12-34' }], emails: ['elkin@vega.ru'] })).id;
  ids.sidorov = (await makePerson(db, s, { surname: 'Сидоров', organizationId: b.id })).id;
  ids.sidarov = (await makePerson(db, s, { surname: 'Сидаров', organizationId: b.id })).id;
  ids.other = (await makePerson(db, s, { surname: 'Посторонний', organizationId: b.id })).id;
  ids.free = (await makePerson(db, s, { surname: 'Вольный', organizationId: null })).id;
});
afterAll(async () => t?.close());

describe('/contacts', () => {
  it('shows organizations grouped alphabetically, with header counts, full page and fragment', async () => {
    const c = await t.as('employee');
    const page = await c.get('/contacts');
    expect(page.statusCode).toBe(200);
    expect(orgIdsOf(page.body)).toEqual([ids.a, ids.b, ids.v]);
    expect(page.body).toMatch(/<th colspan="3">А\s*<span class="count">1<\/span>/);
    expect(page.body).toContain('Найдено 3 организации');
    const frag = await c.get('/contacts?q=', { 'hx-request': 'true', 'hx-request-type': 'partial' });
    expect(frag.body).not.toContain('<html');
    expect(frag.body).not.toContain('id="contacts-filter"');
    expect(orgIdsOf(frag.body)).toEqual([ids.a, ids.b, ids.v]);
  });

  it('groups by region, activity and category, with "not set" last', async () => {
    const c = await t.as('employee');
    const byRegion = await c.get('/contacts?group_by=region');
    expect(orgIdsOf(byRegion.body)).toEqual([ids.a, ids.b, ids.v]);
    expect(byRegion.body).toMatch(/Москва\s*<span class="count">2<\/span>/);
    expect(byRegion.body).toMatch(/Свердловская область\s*<span class="count">1<\/span>/);
    const byActivity = await c.get('/contacts?group_by=activity');
    expect(orgIdsOf(byActivity.body)).toEqual([ids.a, ids.v, ids.b]);
    expect(byActivity.body).toMatch(/Торговля\s*<span class="count">2<\/span>/);
    expect(byActivity.body).toMatch(/Вид деятельности не указан\s*<span class="count">1<\/span>/);
    const byCategory = await c.get('/contacts?group_by=category');
    expect(byCategory.body).toMatch(/Поставщик\s*<span class="count">1<\/span>/);
    expect(byCategory.body).toMatch(/Категория не указана\s*<span class="count">2<\/span>/);
    expect((await c.get('/contacts?group_by=nonsense')).statusCode).toBe(200);
  });

  it('shows the person cards of the selected organization', async () => {
    const c = await t.as('employee');
    const res = await c.get(`/contacts?org=${ids.b}`);
    expect(personIdsOf(res.body)).toEqual([ids.other, ids.sidarov, ids.sidorov]);
    const none = await c.get('/contacts?org=none');
    expect(personIdsOf(none.body)).toEqual([ids.free]);
    expect(res.body).toContain('Без организации: 1 человек');
  });

  it('finds "Ёлкин" by "елкин", by a typo, by phone digits and by e-mail, case-insensitively', async () => {
    const c = await t.as('employee');
    for (const q of ['елкин', 'ЁЛКИН', 'Елкин П', 'ёлкен', '5551234', '343 555', 'elkin@vega', 'вега']) {
      const res = await c.get(`/contacts?q=${encodeURIComponent(q)}&org=${ids.v}`);
      expect(orgIdsOf(res.body), q).toEqual([ids.v]);
      expect(personIdsOf(res.body), q).toEqual([ids.elkin]);
    }
    const none = await c.get(`/contacts?q=${encodeURIComponent('Шварценеггер')}`);
    expect(orgIdsOf(none.body)).toEqual([]);
    expect(none.body).toContain('ничего не найдено');
  });

  it('ranks exact prefix matches above typo matches', async () => {
    const c = await t.as('employee');
    const res = await c.get(`/contacts?q=${encodeURIComponent('сидоров')}&org=${ids.b}`);
    expect(personIdsOf(res.body)).toEqual([ids.sidorov, ids.sidarov]);
  });

  it('leaves near misses out once exact matches are plenty (FUZZY_WHEN_FEWER), and counts them consistently', async () => {
    const { FUZZY_WHEN_FEWER } = await import('../../src/lib/search/locator.js');
    const local = await createTestApp();
    try {
      const db = local.database.db;
      const s = local.users.secretary;
      const org = await makeOrganization(db, s, { name: 'ООО «Многолюдное»' });
      const exact = [];
      for (let i = 0; i < FUZZY_WHEN_FEWER; i++) exact.push(await makePerson(db, s, { surname: 'Петрищев', organizationId: org.id }));
      const near = await makePerson(db, s, { surname: 'Петришев', organizationId: org.id });
      const c = await local.as('employee');
      const many = await c.get(`/contacts?q=${encodeURIComponent('петрищев')}&org=${org.id}&size=200`);
      expect(personIdsOf(many.body)).not.toContain(near.id);
      expect(personIdsOf(many.body)).toHaveLength(FUZZY_WHEN_FEWER);
      // The typo alone matches nothing exactly: the near misses come back, the typo's own card first.
      const typo = await c.get(`/contacts?q=${encodeURIComponent('петришев')}&org=${org.id}&size=200`);
      expect(personIdsOf(typo.body)[0]).toBe(near.id);
      // "Add this selection" counts what the list shows.
      const { countSelection } = await import('../../src/features/groups/service.js');
      expect((await countSelection(db, { q: 'петрищев', org: org.id })).total).toBe(FUZZY_WHEN_FEWER);
    } finally {
      await local.close();
    }
  });

  it('survives hostile and odd locator input', async () => {
    const c = await t.as('employee');
    for (const q of ["'; drop table persons; --", '%', '_', '\\', '<script>alert(1)</script>', 'ё'.repeat(600)]) {
      const res = await c.get(`/contacts?q=${encodeURIComponent(q)}`);
      expect(res.statusCode, q).toBeLessThan(500);
    }
    const res = await c.get(`/contacts?q=${encodeURIComponent('<script>alert(1)</script>')}`);
    expect(res.body).not.toContain('<script>alert(1)');
    expect(orgIdsOf((await c.get('/contacts?q=%25')).body)).toEqual([]);
  });

  it('treats a malformed cursor as the first page', async () => {
    const c = await t.as('employee');
    for (const cursor of ['garbage', Buffer.from('[1,2]').toString('base64url'), Buffer.from('{"a":1}').toString('base64url')]) {
      const res = await c.get(`/contacts?after=${cursor}`);
      expect(res.statusCode).toBe(200);
      expect(orgIdsOf(res.body)).toEqual([ids.a, ids.b, ids.v]);
    }
  });
});

describe('/contacts paging', () => {
  it('walks first → next → … → last and back with keyset cursors, each row once', async () => {
    const local = await createTestApp();
    try {
      const made: number[] = [];
      for (let i = 0; i < 12; i++) {
        made.push((await makeOrganization(local.database.db, local.users.secretary, { name: `Организация ${String(i).padStart(2, '0')}` })).id);
      }
      const c = await local.as('employee');
      const first = await c.get('/contacts?size=5');
      expect(orgIdsOf(first.body)).toEqual(made.slice(0, 5));
      expect(link(first.body, 'prev')).toBeNull();
      const seen: number[] = [...orgIdsOf(first.body)];
      let page = first;
      for (;;) {
        const next = link(page.body, 'next');
        if (!next) break;
        page = await c.get(next);
        seen.push(...orgIdsOf(page.body));
      }
      expect(seen).toEqual(made);
      const last = await c.get(link(first.body, 'last')!);
      // The last page is the true remainder: pages stay aligned with the first (1–5, 6–10, 11–12).
      expect(orgIdsOf(last.body)).toEqual(made.slice(10));
      expect(last.body).toContain('11–12 из 12');
      expect(link(last.body, 'next')).toBeNull();
      const prev = await c.get(link(last.body, 'prev')!);
      expect(orgIdsOf(prev.body)).toEqual(made.slice(5, 10));
      const prev2 = await c.get(link(prev.body, 'prev')!);
      expect(orgIdsOf(prev2.body)).toEqual(made.slice(0, 5));
      expect(link(prev2.body, 'first')).toBeNull();
    } finally {
      await local.close();
    }
  });
});

describe('/contacts paging by region, activity and category, with and without the locator', () => {
  /** Header texts and counts as the page shows them. */
  function headersOf(body: string): [string, number][] {
    return [...body.matchAll(/<tr class="group-header"><th colspan="3">([^<]*?)\s*<span class="count">(\d+)<\/span>/g)].map((m) => [m[1].trim(), Number(m[2])]);
  }

  it('visits every organization once, in group order, forward and backward, with each group counted in full, at page sizes below and above a group', async () => {
    const local = await createTestApp();
    try {
      const db = local.database.db;
      const s = local.users.secretary;
      const regionId = async (name: string) => (await db.select().from(regions).where(eq(regions.name, name)))[0].id;
      const zones = [await regionId('Москва'), await regionId('Тверская область'), await regionId('Алтайский край'), null];
      const [trade] = await db.insert(activities).values({ name: 'Торговля', sortKey: normalizeKey('Торговля') }).returning();
      const [build] = await db.insert(activities).values({ name: 'Строительство', sortKey: normalizeKey('Строительство') }).returning();
      const [buyer] = await db.insert(categories).values({ name: 'Покупатель', sortKey: normalizeKey('Покупатель') }).returning();
      const names = ['Яблоко', 'Ёлка', 'Берёза', 'Альфа', 'Омега', 'Дельта', 'Гамма', 'Эпсилон', 'Каппа', 'Лямбда', 'Сигма', 'Тау', 'Фи', 'Хи', 'Пси', 'Ро', 'Ню', 'Мю'];
      const orgs: { id: number; name: string; region: number | null; activity: number | null; category: number | null; petrov: boolean }[] = [];
      for (const [i, name] of names.entries()) {
        const o = {
          name: `ООО «${name}»`,
          region: zones[i % zones.length],
          activity: [trade.id, build.id, null][i % 3],
          category: i % 2 ? buyer.id : null,
          petrov: i % 3 !== 1,
        };
        const made = await makeOrganization(db, s, { name: o.name, regionId: o.region, activityId: o.activity, categoryId: o.category });
        if (o.petrov) await makePerson(db, s, { surname: `Петров${i % 2 ? '' : 'а'}`, organizationId: made.id });
        orgs.push({ id: made.id, ...o });
      }
      // An archived organization stays out of every page and count.
      const gone = await makeOrganization(db, s, { name: 'ООО «Архив»', regionId: zones[0] });
      await makePerson(db, s, { surname: 'Петров', organizationId: gone.id });
      const c = await local.as('secretary');
      expect((await c.post(`/organizations/${gone.id}/archive`, {})).statusCode).toBeLessThan(400);

      const labelsOf = {
        region: new Map((await db.select().from(regions)).map((r) => [r.id, r.name])),
        activity: new Map([trade, build].map((r) => [r.id, r.name])),
        category: new Map([[buyer.id, buyer.name]]),
      };

      const walk = async (first: string, direction: 'next' | 'prev') => {
        let page = await c.get(first);
        const seen = [...orgIdsOf(page.body)];
        const headers = new Map(headersOf(page.body));
        for (let guard = 0; guard < 50; guard++) {
          const href = link(page.body, direction);
          if (!href) break;
          page = await c.get(href);
          const ids = orgIdsOf(page.body);
          if (direction === 'next') seen.push(...ids);
          // Near the start "previous" shows the full first page, overlapping what was seen.
          else seen.unshift(...ids.filter((id) => !seen.includes(id)));
          for (const [h, n] of headersOf(page.body)) headers.set(h, n);
        }
        return { seen, headers };
      };

      // Size 5: a group of four to six fills a page; 13: a page takes several whole groups, which
      // the walk then reads several to a statement.
      for (const [groupBy, size] of [['region', 5], ['activity', 5], ['category', 5], ['region', 13], ['activity', 13]] as const) {
        for (const q of ['', 'петров']) {
          const chosen = orgs.filter((o) => !q || o.petrov);
          const keyOf = (o: (typeof orgs)[number]) => o[groupBy];
          const labels = labelsOf[groupBy];
          // Expected: groups by name (not set last), then organizations by name within a group.
          const expected = [...chosen]
            .sort((a, b) => {
              const ka = keyOf(a);
              const kb = keyOf(b);
              if ((ka === null) !== (kb === null)) return ka === null ? 1 : -1;
              const byGroup = ka === null ? 0 : normalizeKey(labels.get(ka)!) < normalizeKey(labels.get(kb!)!) ? -1 : normalizeKey(labels.get(ka)!) > normalizeKey(labels.get(kb!)!) ? 1 : 0;
              return byGroup || (normalizeKey(a.name) < normalizeKey(b.name) ? -1 : 1);
            })
            .map((o) => o.id);
          const base = `/contacts?group_by=${groupBy}&size=${size}${q ? `&q=${encodeURIComponent(q)}` : ''}`;
          const forward = await walk(base, 'next');
          expect(forward.seen, `${groupBy} "${q}" forward`).toEqual(expected);
          const backward = await walk(`${base}&page=last`, 'prev');
          expect(backward.seen, `${groupBy} "${q}" backward`).toEqual(expected);
          // Every header counts its whole group, whichever page it is read on.
          expect(forward.headers.size, `${groupBy} "${q}" headers shown`).toBeGreaterThan(1);
          for (const [label, n] of forward.headers) {
            const members = chosen.filter((o) => (keyOf(o) === null ? /не указан/.test(label) : labels.get(keyOf(o)!) === label));
            expect(n, `${groupBy} "${q}" ${label}`).toBe(members.length);
          }
          expect(backward.headers, `${groupBy} "${q}" headers`).toEqual(forward.headers);
          expect((await c.get(base)).body).toContain(`Найдено ${chosen.length} организац`);
        }
      }
    } finally {
      await local.close();
    }
  }, 180_000);
});
