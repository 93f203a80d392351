import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Client, type TestApp } from '../helpers/app.js';
import { commit, outlookRuCsv, uploadOk } from '../import/helpers.js';
import { Locator } from '../../src/lib/search/locator.js';
import { matchContacts } from '../../src/features/contacts/queries.js';
import { DENSE_ORGS, HEADER_CAP } from '../../src/features/contacts/dense.js';

// A one-word query on more than DENSE_ORGS organizations (a common surname in a large directory)
// is listed by walking the directory and keeping what matches (src/features/contacts/dense.ts),
// not by collecting every match. These tests hold that list to the same organizations, in the
// same order, as the collected match gives, page by page through the real screen.

let t: TestApp;
let c: Client;
const MATCHING = DENSE_ORGS + 120;
const LETTERS = ['Альфа', 'Бета', 'Вега', 'Гамма', 'Дельта'];
const orgName = (i: number) => `${LETTERS[i % LETTERS.length]} ${String(i).padStart(4, '0')}`;

beforeAll(async () => {
  t = await createTestApp();
  c = await t.as('secretary');
  const rows: string[] = [];
  // One Иванов (or Иванова) at each of MATCHING organizations, a Петров at 150 others, and
  // 12 Ивановы without an organization.
  for (let i = 0; i < MATCHING; i++) rows.push(`${i % 2 ? 'Иванова' : 'Иванов'};Пётр${i};;ООО «${orgName(i)}»;Инженер;;;;`);
  for (let i = 0; i < 150; i++) rows.push(`Петров;Олег${i};;АО «Омега ${String(i).padStart(4, '0')}»;Инженер;;;;`);
  for (let i = 0; i < 12; i++) rows.push(`Иванов;Без${i};;;Инженер;;;;`);
  const id = await uploadOk(c, outlookRuCsv(...rows), 'dense.csv');
  await commit(t, c, id);
}, 180_000);
afterAll(async () => t?.close());

const namesOf = (html: string) => [...html.matchAll(/class="org-link"[^>]*>([^<]*)</g)].map((m) => m[1].replace(/&laquo;|«/g, '«').replace(/&raquo;|»/g, '»'));
const linkOf = (html: string, page: string) => {
  const m = new RegExp(`href="([^"]*)"[^>]*data-page="${page}"`).exec(html);
  return m ? m[1].replace(/&amp;/g, '&') : null;
};
// Numbers are grouped with a no-break space (Intl): compared here with a plain one.
const text = (html: string, testid: string) => new RegExp(`data-testid="${testid}">([^<]*)<`).exec(html)?.[1]?.replace(/[\u00a0\u202f]/g, ' ') ?? null;

const ru = (n: number) => new Intl.NumberFormat('ru').format(n).replace(/[\u00a0\u202f]/g, ' ');

async function page(url: string) {
  const res = await c.get(url);
  expect(res.statusCode, res.body.slice(0, 500)).toBe(200);
  return res.body;
}

describe('a locator matching much of the directory', () => {
  it('is walked: the same organizations as the collected match, in order, every page, no repeats', async () => {
    // The collected match (what a smaller directory gets) for comparison.
    const expected = await t.database.db.transaction(async (tx) => {
      const m = await matchContacts(tx, new Locator('иванов'), false, 'organization', false);
      return m.orgRanks.length;
    });
    expect(expected).toBe(MATCHING);

    const first = await page(`/contacts?q=${encodeURIComponent('иванов')}`);
    expect(text(first, 'total')).toBe('Найдено больше 1 000 организаций');
    expect(text(first, 'position')).toBe('1–50 из более чем 1 000');
    expect(first).toContain(`${HEADER_CAP}+`);
    expect(first.replace(/[\u00a0\u202f]/g, ' ')).toContain('Без организации: 12 человек');

    const seen: string[] = namesOf(first);
    expect(seen).toHaveLength(50);
    let html = first;
    let pages = 1;
    for (let next = linkOf(html, 'next'); next; next = linkOf(html, 'next')) {
      html = await page(next);
      pages++;
      const names = namesOf(html);
      const pos = text(html, 'position');
      // Past the lower bound the position raises it; the page that ends the list says the total.
      const [from, to] = [seen.length + 1, seen.length + names.length].map(ru);
      const hasNext = linkOf(html, 'next') !== null;
      expect(pos).toBe(hasNext ? `${from}–${to} из более чем ${ru(Math.max(DENSE_ORGS, seen.length + names.length))}` : `${from}–${to} из ${to}`);
      seen.push(...names);
      expect(pages).toBeLessThan(100);
    }
    const want = Array.from({ length: MATCHING }, (_, i) => `ООО «${orgName(i)}»`).sort((a, b) => {
      const ka = a.slice(5), kb = b.slice(5);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    expect(seen).toEqual(want);
    expect(new Set(seen).size).toBe(MATCHING);

    // The last page is the last rows of the order, and "previous" from it the rows before.
    const last = await page(`/contacts?q=${encodeURIComponent('иванов')}&page=last`);
    expect(namesOf(last)).toEqual(want.slice(-50));
    expect(text(last, 'position')).toBe('всего более 1 000');
    const prev = await page(linkOf(last, 'prev')!);
    expect(namesOf(prev)).toEqual(want.slice(-100, -50));
  });

  it('keeps the grouping: by region, every matching organization under "no region", counted up to the cap', async () => {
    const html = await page(`/contacts?group_by=region&q=${encodeURIComponent('иванов')}`);
    const names = namesOf(html);
    expect(names).toHaveLength(50);
    expect(names.every((n) => !n.includes('Омега'))).toBe(true);
    expect(html).toContain(`${HEADER_CAP}+`);
    let all = names.length;
    for (let next = linkOf(html, 'next'), h = html; next; next = linkOf(h, 'next')) {
      h = await page(next);
      all += namesOf(h).length;
    }
    expect(all).toBe(MATCHING);
  });

  it('walks near misses too when nothing matches exactly ("иваонв"), under the "only similar" note', async () => {
    const html = await page(`/contacts?q=${encodeURIComponent('иваонв')}`);
    expect(text(html, 'only-similar')).toContain('иваонв');
    expect(text(html, 'total')).toBe('Найдено больше 1 000 организаций');
    expect(namesOf(html)).toHaveLength(50);
    expect(html).toContain('class="org-row approximate');
  });

  it('lists a rare name as before, counted exactly', async () => {
    const html = await page(`/contacts?q=${encodeURIComponent('петров')}`);
    expect(text(html, 'total')).toBe('Найдено 150 организаций');
    expect(text(html, 'position')).toBe('1–50 из 150');
  });

  it('says the same in English', async () => {
    const en = await t.as('employee');
    await en.post('/locale', { lang: 'en' });
    const res = await en.get(`/contacts?q=${encodeURIComponent('иванов')}`);
    expect(res.statusCode).toBe(200);
    expect(text(res.body, 'total')).toMatch(/^More than 1.000 organizations found$/);
    expect(text(res.body, 'position')).toMatch(/^1–50 of more than 1.000$/);
    expect(res.body).toContain('Without organization: 12 persons');
  });
});
