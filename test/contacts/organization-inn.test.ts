import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createTestApp, type Client, type TestApp } from '../helpers/app.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { duplicateCandidates } from '../../src/db/schema/duplicates.js';
import { innProblem, innWithChecksum, normalizeInn } from '../../src/features/organizations/model.js';

let t: TestApp;
let c: Client;
beforeAll(async () => {
  t = await createTestApp();
  c = await t.as('secretary');
});
afterAll(async () => t?.close());

const orgRow = async (id: number) => (await t.database.db.select().from(organizations).where(eq(organizations.id, id)))[0];
const idOf = (location: unknown) => Number(String(location).split('/').pop());

describe('INN of an organization', () => {
  it('is 10 digits for a legal entity, 12 for an individual entrepreneur, with its check digits', () => {
    expect(innProblem('')).toBeNull();
    expect(innProblem('7707083893')).toBeNull();
    expect(innProblem('500100732259')).toBeNull();
    expect(innProblem('7707083894')).toBe('organizations.inn.checksum');
    expect(innProblem('500100732258')).toBe('organizations.inn.checksum');
    expect(innProblem('500100732269')).toBe('organizations.inn.checksum');
    expect(innProblem('77070838')).toBe('organizations.inn.format');
    expect(innProblem('77070838931')).toBe('organizations.inn.format');
    expect(innProblem('77070838a3')).toBe('organizations.inn.format');
    expect(normalizeInn(' 7707 083-893 ')).toBe('7707083893');
    expect(innWithChecksum('770708389')).toBe('7707083893');
    expect(innWithChecksum('5001007322')).toBe('500100732259');
  });

  it('is checked by the form, stored as digits, shown on the card and in its history', async () => {
    const bad = await c.post('/organizations', { name: 'ООО «Инн-Форма»', inn: '7707083894' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('ИНН с ошибкой: не сходится контрольная цифра.');
    expect(bad.body).toContain('value="7707083894"');
    const short = await c.post('/organizations', { name: 'ООО «Инн-Форма»', inn: '12345' });
    expect(short.statusCode).toBe(422);
    expect(short.body).toContain('ИНН — 10 цифр у юридического лица или 12 у индивидуального предпринимателя.');

    const res = await c.post('/organizations', { name: 'ООО «Инн-Форма»', inn: '7707 083 893' });
    expect(res.statusCode).toBe(303);
    const id = idOf(res.headers.location);
    expect((await orgRow(id)).inn).toBe('7707083893');
    const card = await c.get(`/organizations/${id}`);
    expect(card.body).toContain('<dd data-inn>7707083893</dd>');

    const edit = await c.post(`/organizations/${id}`, { name: 'ООО «Инн-Форма»', inn: '7830002293', version: String((await orgRow(id)).version) });
    expect(edit.statusCode).toBe(303);
    const after = await c.get(`/organizations/${id}`);
    expect(after.body).toMatch(/ИНН<\/span>: <del>7707083893<\/del> → <ins>7830002293<\/ins>/);
  });

  it('finds the organization by its INN in the locator', async () => {
    const res = await c.post('/organizations', { name: 'ЗАО «Поиск-ИНН»', inn: '784806113663' });
    expect(res.statusCode).toBe(303);
    const page = await c.get(`/contacts?q=${encodeURIComponent('784806113663')}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ЗАО «Поиск-ИНН»');
  });

  it('makes two organizations of one INN a strong duplicate pair, whatever their names', async () => {
    const inn = innWithChecksum('502700001');
    const a = idOf((await c.post('/organizations', { name: 'ООО «Северсталь-Трейд»', inn })).headers.location);
    const b = idOf((await c.post('/organizations', { name: 'Торговый дом ЮГ', inn })).headers.location);
    const [pair] = await t.database.db
      .select()
      .from(duplicateCandidates)
      .where(and(eq(duplicateCandidates.kind, 'organization'), eq(duplicateCandidates.aId, Math.min(a, b)), eq(duplicateCandidates.bId, Math.max(a, b))));
    expect(pair).toMatchObject({ reasons: ['inn'], score: 95 });
    const page = await c.get('/duplicates?kind=organization&reason=inn');
    expect(page.body).toContain(`data-pair="organization:${a}:${b}"`);
    expect(page.body).toContain('тот же ИНН');
    // The merge page offers the INN as a field to choose.
    const merge = await c.get(`/duplicates/merge?kind=organization&ids=${a}&ids=${b}`);
    expect(merge.statusCode).toBe(200);
    expect(merge.body).toContain('data-field="inn"');
    // A full scan finds the same pair.
    await t.database.db.execute(sql`delete from duplicate_candidates`);
    expect((await c.post('/duplicates/scan')).statusCode).toBe(303);
    const again = await t.database.db.select().from(duplicateCandidates).where(eq(duplicateCandidates.aId, Math.min(a, b)));
    expect(again.find((p) => p.bId === Math.max(a, b))?.reasons).toEqual(['inn']);
  });
});
