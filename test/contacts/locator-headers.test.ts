import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { activities, categories, regions } from '../../src/db/schema/references.js';
import { normalizeKey } from '../../src/lib/text.js';
import { addMember, createGroup } from '../../src/features/groups/service.js';
import { LATIN_BLOCK, organizationNameKey, sortNameOf, transliterate, withoutLegalForm } from '../../src/features/organizations/model.js';
import { rows } from '../helpers/db.js';
import { GROUP_ROWS_EXACT_UP_TO } from '../../src/features/contacts/queries.js';

// The locator matches the grouping's headers as well as names (issue 16, point 1); several words
// narrow, near misses come last under "похожие" and stay out of the selection unless asked for
// (point 2); the alphabetical grouping files by the name without legal form (point 6).

let t: TestApp;
const ids: Record<string, number> = {};

function orgIdsOf(body: string): number[] {
  return [...body.matchAll(/data-open="\/organizations\/(\d+)"/g)].map((m) => Number(m[1]));
}

beforeAll(async () => {
  t = await createTestApp();
  const db = t.database.db;
  const s = t.users.secretary;
  const region = async (name: string) => (await db.select().from(regions).where(eq(regions.name, name)))[0].id;
  const [edu] = await db.insert(activities).values({ name: 'Образование', sortKey: normalizeKey('Образование') }).returning();
  const [partner] = await db.insert(categories).values({ name: 'Партнёр', sortKey: normalizeKey('Партнёр') }).returning();
  ids.fish = (await makeOrganization(db, s, { name: 'ООО «Северная рыба»', regionId: await region('Москва'), addrLocality: 'Москва' })).id;
  ids.amber = (await makeOrganization(db, s, { name: 'АО «Янтарь»', regionId: await region('Калининградская область'), addrLocality: 'Калининград', categoryId: partner.id })).id;
  ids.school = (await makeOrganization(db, s, { name: 'ГБОУ «Школа № 5»', activityId: edu.id, addrLocality: 'Тверь' })).id;
  ids.acme = (await makeOrganization(db, s, { name: 'Acme Ltd', addrLocality: 'London' })).id;
  ids.kirill1 = (await makePerson(db, s, { surname: 'Давыдов', firstName: 'Кирилл', organizationId: ids.fish })).id;
  ids.ivan = (await makePerson(db, s, { surname: 'Давыдов', firstName: 'Иван', organizationId: ids.amber })).id;
  ids.kirill2 = (await makePerson(db, s, { surname: 'Смирнов', firstName: 'Кирилл', organizationId: ids.school })).id;
  ids.petrova = (await makePerson(db, s, { surname: 'Петрова', firstName: 'Анна', organizationId: ids.school })).id;
  ids.petrovich = (await makePerson(db, s, { surname: 'Петровичев', firstName: 'Олег', organizationId: ids.acme })).id;
  const vip = await createGroup(db, s, { name: 'VIP', description: '', mark: 'none' });
  await addMember(db, s, vip.id, { personId: ids.ivan });
});
afterAll(async () => t?.close());

describe('the locator matches the grouping headers', () => {
  const cases: [string, string, string][] = [
    ['region', 'Москва', 'fish'],
    ['region', 'Калининградская', 'amber'],
    ['activity', 'Образование', 'school'],
    ['category', 'Партнер', 'amber'],
    ['group', 'VIP', 'amber'],
    ['organization', 'Калининград', 'amber'],
  ];
  for (const [groupBy, q, who] of cases) {
    it(`${groupBy}: «${q}» finds the organizations under it and marks what matched`, async () => {
      const c = await t.as('employee');
      const res = await c.get(`/contacts?group_by=${groupBy}&q=${encodeURIComponent(q)}`);
      expect(res.statusCode).toBe(200);
      expect(orgIdsOf(res.body)).toEqual([ids[who]]);
      expect(res.body).toMatch(groupBy === 'organization' ? /data-matched="city">Калининград</ : /data-matched="header"/);
    });
  }

  it('the selection export follows the header match', async () => {
    const c = await t.as('employee');
    const res = await c.get(`/export.xml?group_by=region&q=${encodeURIComponent('Москва')}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Северная рыба');
    expect(res.body).toContain('Давыдов');
    expect(res.body).not.toContain('Янтарь');
  });

  it('a header that matched opens all its persons on the right', async () => {
    const c = await t.as('employee');
    const res = await c.get(`/contacts?group_by=region&q=${encodeURIComponent('Москва')}&org=${ids.fish}`);
    expect(res.body).toContain(`data-open="/persons/${ids.kirill1}"`);
  });
});

describe('several words narrow; near misses last and only when asked for', () => {
  it('«Давыдов Кирилл» finds the one Давыдов Кирилл, «Давыдов» both', async () => {
    const c = await t.as('employee');
    expect(orgIdsOf((await c.get(`/contacts?q=${encodeURIComponent('Давыдов Кирилл')}`)).body)).toEqual([ids.fish]);
    expect(orgIdsOf((await c.get(`/contacts?q=${encodeURIComponent('кирилл давыд')}`)).body)).toEqual([ids.fish]);
    expect(orgIdsOf((await c.get(`/contacts?q=${encodeURIComponent('Давыдов')}`)).body).sort()).toEqual([ids.fish, ids.amber].sort());
  });

  it('«Петрова»: the exact match first, the near miss under "похожие", left out of the selection unless ticked', async () => {
    const c = await t.as('secretary');
    const res = await c.get(`/contacts?q=${encodeURIComponent('Петрова')}`);
    const body = res.body;
    expect(orgIdsOf(body)).toContain(ids.school);
    const approx = body.indexOf('data-testid="approx-divider"');
    expect(approx).toBeGreaterThan(-1);
    expect(body).toContain('похожие');
    // The near miss stands after the divider.
    expect(body.indexOf(`data-open="/organizations/${ids.acme}"`)).toBeGreaterThan(approx);
    const exact = await c.get(`/groups/choose?q=${encodeURIComponent('Петрова')}`);
    expect(exact.body).toContain('В ней 1 человек.');
    const plain = await c.get(`/export.xml?q=${encodeURIComponent('Петрова')}`);
    expect(plain.body).toContain('Петрова');
    expect(plain.body).not.toContain('Петровичев');
    const wide = await c.get(`/export.xml?q=${encodeURIComponent('Петрова')}&approx=1`);
    expect(wide.body).toContain('Петровичев');
  });
});

describe('near misses only', () => {
  it('say so once above the list, not under every header', async () => {
    const c = await t.as('employee');
    const body = (await c.get(`/contacts?q=${encodeURIComponent('Петрава')}`)).body;
    expect(orgIdsOf(body).length).toBeGreaterThan(0);
    expect(body).toContain('data-testid="only-similar"');
    expect(body).toContain('Точных совпадений с «Петрава» нет — показаны похожие.');
    expect(body).not.toContain('data-testid="approx-divider"');
  });
});

describe('alphabetical order without legal form', () => {
  it('files «АО «Янтарь»» under Я, «ГБОУ «Школа № 5»» under Ш, Latin names in an A–Z block last', async () => {
    const c = await t.as('employee');
    const body = (await c.get('/contacts')).body;
    expect(orgIdsOf(body)).toEqual([ids.fish, ids.school, ids.amber, ids.acme]);
    expect(body).toMatch(/<th colspan="3">Я\s*<span class="count">1<\/span>/);
    expect(body).toMatch(/<th colspan="3">A–Z\s*<span class="count">1<\/span>/);
  });

  it('the model and the migration backfill agree', async () => {
    const names = ['ООО «Ромашка»', 'АО "Курская аномалия"', 'Индивидуальный предприниматель Петров', 'Рога и копыта, ООО', 'Acme Ltd', 'ООО', 'ПАО «Сбербанк России»', 'Общество с ограниченной ответственностью «Вектор»', '«Ёлка»', 'Ромашка (ООО)', 'ГБОУ «Школа № 5»', 'Siemens AG', 'Company'];
    for (const n of names) {
      const [r] = rows<{ s: string }>(await t.database.db.execute(sql`select crm_sort_name(${normalizeKey(n)}) as s`));
      expect(r.s, n).toBe(sortNameOf(n));
    }
    expect(sortNameOf('АО «Курская аномалия»')).toBe('курская аномалия');
    expect(sortNameOf('Acme Ltd')).toBe(`${LATIN_BLOCK}acme`);
    expect(sortNameOf('ООО')).toBe('ооо');
    expect(sortNameOf('Ромашка (ООО)')).toBe('ромашка');
    // One list of legal forms for the order and for the duplicate finder's name key.
    for (const n of names) expect(organizationNameKey(n).replace(/ /g, ''), n).toBe(transliterate(withoutLegalForm(n)).replace(/[^a-z0-9]/g, ''));
  });
});

describe('paging with the position shown', () => {
  function pageLink(body: string, page: string): string | null {
    const m = new RegExp(`href="([^"]+)"[^>]*data-page="${page}"`).exec(body);
    return m ? m[1].replace(/&amp;/g, '&') : null;
  }
  function position(body: string): string {
    return /data-testid="position">([^<]*)</.exec(body)?.[1] ?? '';
  }

  for (const groupBy of ['organization', 'region', 'group']) {
    it(`${groupBy}: "1–5 из N", next "6–10 из N", the last page the true remainder and previous from it aligned`, async () => {
      const db = t.database.db;
      const [{ n }] = rows<{ n: number }>(await db.execute(sql`select count(*)::int as n from organizations`));
      for (let i = Number(n); i < 11; i++) await makeOrganization(db, t.users.secretary, { name: `ООО «Пример ${String(i).padStart(2, '0')}»` });
      const c = await t.as('employee');
      const base = `/contacts?group_by=${groupBy}&size=5`;
      const p1 = await c.get(base);
      const total = Number(/из (\d+)/.exec(position(p1.body))?.[1]);
      expect(total).toBeGreaterThanOrEqual(11);
      expect(position(p1.body)).toBe(`1–5 из ${total}`);
      const p2 = await c.get(pageLink(p1.body, 'next')!);
      expect(position(p2.body)).toBe(`6–10 из ${total}`);
      const firstTwo = [...orgIdsOf(p1.body), ...orgIdsOf(p2.body)];
      const last = await c.get(pageLink(p1.body, 'last')!);
      const rest = total % 5 || 5;
      expect(orgIdsOf(last.body)).toHaveLength(rest);
      expect(position(last.body)).toBe(`${total - rest + 1}–${total} из ${total}`);
      expect(pageLink(last.body, 'next')).toBeNull();
      const before = await c.get(pageLink(last.body, 'prev')!);
      expect(position(before.body)).toBe(`${total - rest - 4}–${total - rest} из ${total}`);
      if (total <= 15) expect(orgIdsOf(before.body)).toEqual(firstTwo.slice(5, 10));
    });
  }

  it('a list by mailing group too large to count says "more than" and still pages to its end', async () => {
    const db = t.database.db;
    // organizations.group_refs (one per current membership, kept by triggers) bounds the rows from
    // above; a directory past GROUP_ROWS_EXACT_UP_TO of them is not counted exactly on each page.
    await db.execute(sql`update organizations set group_refs = group_refs + ${GROUP_ROWS_EXACT_UP_TO} where id = ${ids.acme}`);
    try {
      const c = await t.as('employee');
      const p1 = await c.get('/contacts?group_by=group&size=5');
      expect(position(p1.body)).toBe('1–5 из более чем 20\u00a0000');
      const p2 = await c.get(pageLink(p1.body, 'next')!);
      // The page that ends the list knows the total: the lower bound gives way to it.
      expect(pageLink(p2.body, 'next')).toBeNull();
      expect(position(p2.body)).toBe('6–10 из 10');
      const last = await c.get(pageLink(p1.body, 'last')!);
      expect(last.statusCode).toBe(200);
      expect(orgIdsOf(last.body)).toHaveLength(5);
      expect(pageLink(last.body, 'next')).toBeNull();
      expect(position(last.body)).toBe('всего более 20\u00a0000');
    } finally {
      await db.execute(sql`update organizations set group_refs = group_refs - ${GROUP_ROWS_EXACT_UP_TO} where id = ${ids.acme}`);
    }
  });

  it('with a locator the same: the remainder last, positions exact', async () => {
    const c = await t.as('employee');
    const p1 = await c.get(`/contacts?q=${encodeURIComponent('Пример')}&size=5`);
    expect(position(p1.body)).toBe('1–5 из 7');
    const last = await c.get(pageLink(p1.body, 'last')!);
    expect(position(last.body)).toBe('6–7 из 7');
    expect(orgIdsOf(last.body)).toHaveLength(2);
  });
});
