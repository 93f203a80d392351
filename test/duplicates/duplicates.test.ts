import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createTestApp, type Client, type TestApp } from '../helpers/app.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';
import { commit, outlookRuCsv, uploadOk } from '../import/helpers.js';
import { rows } from '../helpers/db.js';
import { persons, personPhotos } from '../../src/db/schema/persons.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { groupMemberships, membershipDocuments } from '../../src/db/schema/groups.js';
import { documents } from '../../src/db/schema/documents.js';
import { importChanges } from '../../src/db/schema/imports.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { cardMerges, duplicateCandidates, duplicateDismissals } from '../../src/db/schema/duplicates.js';
import { addMember, createGroup } from '../../src/features/groups/service.js';
import { removePersonPhoto, setPersonPhoto } from '../../src/features/persons/service.js';
import { photoLabel } from '../../src/features/persons/model.js';
import { SHARED_KEY_LIMIT } from '../../src/features/duplicates/model.js';

let t: TestApp;
let c: Client;
const db = () => t.database.db;

beforeAll(async () => {
  t = await createTestApp();
  c = await t.as('secretary');
});
afterAll(async () => t?.close());

async function pairs(kind: 'person' | 'organization', id: number) {
  return db()
    .select()
    .from(duplicateCandidates)
    .where(and(eq(duplicateCandidates.kind, kind), sql`(${duplicateCandidates.aId} = ${id} or ${duplicateCandidates.bId} = ${id})`));
}
const pairOf = async (kind: 'person' | 'organization', x: number, y: number) =>
  (await pairs(kind, x)).find((p) => p.aId === Math.min(x, y) && p.bId === Math.max(x, y));

async function version(kind: 'person' | 'organization', id: number) {
  const t0 = kind === 'person' ? persons : organizations;
  const [r] = await db().select({ v: t0.version }).from(t0).where(eq(t0.id, id));
  return r.v;
}

/** Posts the merge form as the page would, with the cards' current versions unless given. */
async function merge(kind: 'person' | 'organization', ids: number[], survivorId: number, choices: Record<string, number> = {}, extra: Record<string, string> = {}, versions?: Record<number, number>) {
  const form: Record<string, string | string[]> = { kind, ids: ids.map(String), survivorId: String(survivorId), ...extra };
  for (const id of ids) form[`version_${id}`] = String(versions?.[id] ?? (await version(kind, id)));
  for (const [f, id] of Object.entries(choices)) form[`choice_${f}`] = String(id);
  return c.post('/duplicates/merge', form);
}
const mergeIdOf = (location: unknown) => Number(/\/duplicates\/merges\/(\d+)$/.exec(String(location))![1]);

/** Every (word, card) the texts give against contact_words; every word ≥ 3 letters in search_words. */
async function drift() {
  const expected = `
    select distinct w as word, p.id as card, p.organization_id, p.archived_at is null as live
    from persons p, regexp_split_to_table(p.search_text, ' ') w where w <> ''
    union all
    select distinct w, -o.id, o.id, true from organizations o, regexp_split_to_table(o.search_text, ' ') w where w <> ''`;
  const actual = 'select word, card, organization_id, live from contact_words';
  const missing = rows(await db().execute(sql.raw(`${expected} except ${actual}`)));
  const extra = rows(await db().execute(sql.raw(`${actual} except (${expected})`)));
  const words = rows(
    await db().execute(sql.raw(`
      select w from (select search_text from persons union all select search_text from organizations) s, regexp_split_to_table(s.search_text, ' ') w
      where length(w) >= 3 except select word from search_words`)),
  );
  // group_refs as kept by the triggers against a full recount.
  const before = rows<{ id: number; group_refs: number }>(await db().execute(sql`select id, group_refs from organizations order by id`));
  await db().execute(sql`select crm_recount_group_refs()`);
  const after = rows<{ id: number; group_refs: number }>(await db().execute(sql`select id, group_refs from organizations order by id`));
  return { missing, extra, words, groupRefs: before.filter((b, i) => b.group_refs !== after[i].group_refs) };
}
const clean = { missing: [], extra: [], words: [], groupRefs: [] };

describe('finding duplicates', () => {
  it('finds pairs by e-mail, E.164 phone, name, initials, typos; organizations by name, near name and website', async () => {
    const s = t.users.secretary;
    const org = await makeOrganization(db(), s, { name: 'ЗАО «Поиск»' });
    const other = await makeOrganization(db(), s, { name: 'ЗАО «Другая»' });
    const p1 = await makePerson(db(), s, { surname: 'Иванов', firstName: 'Иван', patronymic: 'Иванович', organizationId: org.id, emails: ['ivanov@poisk.ru'], phones: [{ kind: 'work', number: '+7 495 123-45-67' }] });
    const p2 = await makePerson(db(), s, { surname: 'ИВАНОВ', firstName: 'иван', patronymic: 'иванович', organizationId: org.id });
    const p3 = await makePerson(db(), s, { surname: 'Ёлкин', firstName: 'Пётр', patronymic: '', organizationId: other.id, emails: ['IVANOV@poisk.ru'] });
    const p4 = await makePerson(db(), s, { surname: 'Сидоров', firstName: 'Олег', patronymic: '', organizationId: other.id, phones: [{ kind: 'mobile', number: '8 (495) 123 45 67' }] });
    const p5 = await makePerson(db(), s, { surname: 'Иванов', firstName: 'И. И.', patronymic: '', organizationId: org.id });
    const p6 = await makePerson(db(), s, { surname: 'Ивановь', firstName: 'Иван', patronymic: 'Иванович', organizationId: org.id });
    // Namesakes in different organizations are not duplicates.
    const p7 = await makePerson(db(), s, { surname: 'Иванов', firstName: 'Иван', patronymic: 'Иванович', organizationId: other.id });
    const o1 = await makeOrganization(db(), s, { name: 'ООО «Ромашка»' });
    const o2 = await makeOrganization(db(), s, { name: '«Ромашка»' });
    const o3 = await makeOrganization(db(), s, { name: 'Romashka LLC' });
    const o4 = await makeOrganization(db(), s, { name: 'ООО "Ромашко"' });
    const o5 = await makeOrganization(db(), s, { name: 'Школа № 5' });
    const o6 = await makeOrganization(db(), s, { name: 'Школа № 6' });
    const o7 = await makeOrganization(db(), s, { name: 'Весна', website: 'https://www.Vesna.ru/about' });
    const o8 = await makeOrganization(db(), s, { name: 'АО «Vesna Group»', website: 'vesna.ru' });

    const res = await c.post('/duplicates/scan');
    expect(res.statusCode).toBe(303);
    const expectPair = async (kind: 'person' | 'organization', x: number, y: number, reasons: string[], score: number) => {
      const p = await pairOf(kind, x, y);
      expect(p, `${kind} ${x}–${y}`).toBeDefined();
      expect([p!.reasons, p!.score], `${kind} ${x}–${y}`).toEqual([reasons, score]);
    };
    await expectPair('person', p1.id, p2.id, ['name'], 85);
    await expectPair('person', p1.id, p3.id, ['email'], 90);
    await expectPair('person', p1.id, p4.id, ['phone'], 80);
    await expectPair('person', p1.id, p5.id, ['initials'], 70);
    await expectPair('person', p1.id, p6.id, ['similarName'], 60);
    expect(await pairOf('person', p1.id, p7.id)).toBeUndefined();
    await expectPair('organization', o1.id, o2.id, ['name'], 90);
    await expectPair('organization', o1.id, o3.id, ['name'], 90);
    await expectPair('organization', o1.id, o4.id, ['similarName'], 65);
    await expectPair('organization', o7.id, o8.id, ['website'], 85);
    expect(await pairOf('organization', o5.id, o6.id)).toBeUndefined();

    // The page lists them, best first, with their reasons; filters narrow it.
    const page = await c.get('/duplicates');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`data-pair="person:${p1.id}:${p3.id}"`);
    const scores = [...page.body.matchAll(/data-score>(\d+)</g)].map((m) => Number(m[1]));
    expect(scores.length).toBeGreaterThan(5);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const orgsOnly = await c.get('/duplicates?kind=organization&reason=website');
    expect(orgsOnly.body).toContain(`data-pair="organization:${o7.id}:${o8.id}"`);
    expect(orgsOnly.body).not.toContain('data-pair="person:');
    expect(orgsOnly.body).not.toContain(`data-pair="organization:${o1.id}:${o2.id}"`);
    const fragment = await c.get('/duplicates?kind=person', { 'hx-request': 'true', 'hx-target': '#duplicates-list' });
    expect(fragment.body).not.toContain('<html');
    expect(fragment.body).toContain(`data-pair="person:${p1.id}:${p2.id}"`);

    // The card tells it: a hint with a link to the merge page.
    const card = await c.get(`/persons/${p3.id}`);
    expect(card.body).toContain('data-duplicate-hint');
    expect(card.body).toContain(`/duplicates/merge?kind=person&amp;ids=${p3.id}&amp;ids=${p1.id}`);
    const orgCard = await c.get(`/organizations/${o2.id}`);
    expect(orgCard.body).toContain('Возможный дубликат');
  });

  it('pairs nobody by a shared line: a switchboard number or an e-mail held by more than SHARED_KEY_LIMIT persons', async () => {
    const s = t.users.secretary;
    const org = await makeOrganization(db(), s, { name: 'АО «Коммутатор»' });
    const ids: number[] = [];
    for (let i = 0; i <= SHARED_KEY_LIMIT; i++) {
      ids.push((await makePerson(db(), s, { surname: `Линейный${'абвгдеж'[i]}`, firstName: `Имя${i}`, patronymic: '', organizationId: org.id, emails: ['office@kommutator.ru'], phones: [{ number: '+7 495 100-20-30', kind: 'work' }] })).id);
    }
    await c.post('/duplicates/scan', {});
    for (const id of ids) expect(await pairs('person', id), `person ${id}`).toEqual([]);
    // Two persons sharing a number (a family's home phone) are still a pair.
    const a = await makePerson(db(), s, { surname: 'Домов', firstName: 'Пётр', phones: [{ number: '+7 812 555-44-33', kind: 'home' }] });
    const b = await makePerson(db(), s, { surname: 'Домова', firstName: 'Анна', phones: [{ number: '8 812 555 44 33', kind: 'home' }] });
    await c.post('/duplicates/scan', {});
    expect((await pairOf('person', a.id, b.id))?.reasons).toEqual(['phone']);
  });

  it('checks a new or edited card at once, without a full scan', async () => {
    const s = t.users.secretary;
    const a = await makePerson(db(), s, { surname: 'Петренко', firstName: 'Олег', patronymic: '', emails: ['olegp@mail.ru'] });
    const res = await c.post('/persons', { surname: 'Кравец', firstName: 'Олег', email: 'OlegP@mail.ru' });
    expect(res.statusCode).toBe(303);
    const b = Number(/\/persons\/(\d+)/.exec(String(res.headers.location))![1]);
    expect((await pairOf('person', a.id, b))?.reasons).toEqual(['email']);
    // Edited away: the pair goes.
    const edit = await c.post(`/persons/${b}`, { surname: 'Кравец', firstName: 'Олег', email: 'kravets@mail.ru', version: String(await version('person', b)) });
    expect(edit.statusCode).toBe(303);
    expect(await pairOf('person', a.id, b)).toBeUndefined();
    // An organization renamed into a twin.
    const o1 = await makeOrganization(db(), s, { name: 'ООО «Берёзка»' });
    const o2 = await makeOrganization(db(), s, { name: 'ИП Сосна' });
    const r2 = await c.post(`/organizations/${o2.id}`, { name: 'Berezka Ltd', version: String(await version('organization', o2.id)) });
    expect(r2.statusCode).toBe(303);
    expect((await pairOf('organization', o1.id, o2.id))?.reasons).toEqual(['name']);
  });

  it('checks the cards an import created, in the commit job, and forgets them when the import is undone', async () => {
    const s = t.users.secretary;
    const org = await makeOrganization(db(), s, { name: 'ООО «Вектор-Д»' });
    const old = await makePerson(db(), s, {
      surname: 'Лебедев', firstName: 'Константин', patronymic: 'Сергеевич', organizationId: org.id,
      emails: ['k.lebedev@vektor-d.ru'], phones: [{ kind: 'work', number: '+7 (495) 777-01-02' }],
    });
    // The same man with his e-mail in capitals and his phone written otherwise, his company without its legal form.
    const csv = outlookRuCsv('Лебедевъ;Константин;Сергеевич;Вектор Д Ltd;Инженер;8 495 777 01 02;K.Lebedev@Vektor-D.ru;;');
    const batch = await uploadOk(c, csv, 'lebedev.csv');
    expect((await c.post(`/import/${batch}/decisions`, { options: '1', all: 'create' })).statusCode).toBeLessThan(400);
    expect((await commit(t, c, batch)).status).toBe('committed');
    const job = await t.app.jobs.latestOf('import.commit', { batchId: batch });
    expect((await t.app.jobs.waitFor(job!.id, 30_000))?.state).toBe('done');
    const created = await db().select().from(importChanges).where(eq(importChanges.batchId, batch));
    const newPerson = created.find((x) => x.entityType === 'person')!.entityId;
    const newOrg = created.find((x) => x.entityType === 'organization')!.entityId;
    expect((await pairOf('person', old.id, newPerson))?.reasons).toEqual(['email', 'phone']);
    expect((await pairOf('organization', org.id, newOrg))?.reasons).toContain('name');
    const page = await c.get('/duplicates');
    expect(page.body).toContain(`data-pair="person:${old.id}:${newPerson}"`);
    expect(page.body).toContain(`data-pair="organization:${org.id}:${newOrg}"`);

    // Undone: the imported cards are gone, and so are their pairs.
    const undo = await c.post(`/import/${batch}/undo`);
    expect(undo.statusCode, undo.body.slice(0, 300)).toBe(303);
    expect(await pairOf('person', old.id, newPerson)).toBeUndefined();
    expect(await pairOf('organization', org.id, newOrg)).toBeUndefined();
    expect((await c.get('/duplicates')).body).not.toContain(`data-pair="person:${old.id}:${newPerson}"`);
  });

  it('checks many cards in one go as it checks one (the import\'s bulk check)', async () => {
    const s = t.users.secretary;
    const made: { id: number }[] = [];
    for (let i = 0; i < 4; i++) made.push(await makePerson(db(), s, { surname: `Пакетов${i % 2}`, firstName: 'Пётр', patronymic: '', emails: [`paket${i % 2}@bulk.ru`] }));
    const { checkCards, checkCard } = await import('../../src/features/duplicates/queries.js');
    const snapshot = async () => (await db().select().from(duplicateCandidates).where(sql`${duplicateCandidates.aId} = any(${`{${made.map((m) => m.id).join(',')}}`}::int[])`)).map((p) => [p.aId, p.bId, p.reasons, p.score]);
    const one = await snapshot();
    expect(one).toHaveLength(2);
    await db().execute(sql`delete from duplicate_candidates where kind = 'person'`);
    await checkCards(db(), 'person', made.map((m) => m.id));
    expect(await snapshot()).toEqual(one);
    await db().execute(sql`delete from duplicate_candidates where kind = 'person'`);
    for (const m of made) await checkCard(db(), 'person', m.id);
    expect(await snapshot()).toEqual(one);
  });

  it('pages by keyset, first to last and back, without repeats', async () => {
    await db().execute(sql`
      insert into organizations (name, sort_key, search_text, email)
      select 'Сеть ' || i, 'сеть ' || i, 'сеть ' || i, 'net@same.ru' from generate_series(1, 12) i`);
    await c.post('/duplicates/scan');
    const seen: string[] = [];
    let url: string | null = '/duplicates?kind=organization&reason=email';
    let pages = 0;
    while (url) {
      const res = await c.get(url);
      expect(res.statusCode).toBe(200);
      seen.push(...[...res.body.matchAll(/data-pair="([^"]+)"/g)].map((m) => m[1]));
      const next = /href="([^"]+)"[^>]*data-page="next"/.exec(res.body);
      url = next ? next[1].replace(/&amp;/g, '&') : null;
      pages++;
    }
    expect(pages).toBe(2);
    expect(seen.length).toBe(66);
    expect(new Set(seen).size).toBe(seen.length);
    const last = await c.get('/duplicates?kind=organization&reason=email&last=1');
    const lastPairs = [...last.body.matchAll(/data-pair="([^"]+)"/g)].map((m) => m[1]);
    expect(lastPairs).toEqual(seen.slice(seen.length - lastPairs.length));
    const prev = /href="([^"]+)"[^>]*data-page="prev"/.exec(last.body);
    const before = await c.get(prev![1].replace(/&amp;/g, '&'));
    const beforePairs = [...before.body.matchAll(/data-pair="([^"]+)"/g)].map((m) => m[1]);
    expect(beforePairs).toEqual(seen.slice(0, seen.length - lastPairs.length));
  });

  it('a cursor out of range or malformed means the first page, never an error', async () => {
    const cur = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [cur([40000, 'person', 1, 2]), cur([50, 'person', 2 ** 40, 2]), cur([50, 'nonsense', 1, 2]), cur([1.5, 'person', 1, 2]), cur({ a: 1 }), 'W1tdXQ', '%zz', 'x']) {
      for (const param of ['after', 'before']) {
        const res = await c.get(`/duplicates?kind=person&${param}=${bad}`);
        expect(res.statusCode, `${param}=${bad}`).toBe(200);
        expect(res.body).not.toMatch(/data-page="prev"[^>]*href/);
      }
    }
    const long = await c.get(`/duplicates?after=${'A'.repeat(300)}`);
    expect(long.statusCode).toBeGreaterThanOrEqual(400);
    expect(long.statusCode).toBeLessThan(500);
  });

  it('"not a duplicate" dismisses a pair for good, with who and when', async () => {
    const s = t.users.secretary;
    const a = await makePerson(db(), s, { surname: 'Горин', firstName: 'Ян', patronymic: '', emails: ['common@office.ru'] });
    const b = await makePerson(db(), s, { surname: 'Лесной', firstName: 'Ян', patronymic: '', emails: ['common@office.ru'] });
    expect(await pairOf('person', a.id, b.id)).toBeDefined();
    const res = await c.post('/duplicates/dismiss', { kind: 'person', a: b.id, b: a.id });
    expect(res.statusCode).toBe(303);
    expect(await pairOf('person', a.id, b.id)).toBeUndefined();
    const [d] = await db().select().from(duplicateDismissals).where(and(eq(duplicateDismissals.aId, a.id), eq(duplicateDismissals.bId, b.id)));
    expect(d.dismissedBy).toBe(s.id);
    await c.post('/duplicates/scan');
    await c.post(`/persons/${b.id}`, { surname: 'Лесной', firstName: 'Ян', email: 'common@office.ru', note: 'ещё раз', version: String(await version('person', b.id)) });
    expect(await pairOf('person', a.id, b.id)).toBeUndefined();
  });

  it('is a secretary tool: an employee gets 403, bad input 422', async () => {
    const e = await t.as('employee');
    expect((await e.get('/duplicates')).statusCode).toBe(403);
    expect((await e.post('/duplicates/scan')).statusCode).toBe(403);
    expect((await e.post('/duplicates/dismiss', { kind: 'person', a: 1, b: 2 })).statusCode).toBe(403);
    expect((await e.get('/duplicates/merge?kind=person&ids=1&ids=2')).statusCode).toBe(403);
    expect((await c.get('/duplicates?kind=nonsense')).statusCode).toBe(422);
    expect((await c.post('/duplicates/dismiss', { kind: 'person', a: 'x', b: 2 })).statusCode).toBe(422);
    expect((await c.get('/duplicates/merge?kind=person&ids=5')).statusCode).toBe(422);
  });
});

describe('merging persons', () => {
  async function populated() {
    const s = t.users.secretary;
    const orgA = await makeOrganization(db(), s, { name: 'ООО «Альфа-М»' });
    const orgB = await makeOrganization(db(), s, { name: 'ООО «Бета-М»' });
    const a = await makePerson(db(), s, {
      surname: 'Орлов', firstName: 'Алексей', patronymic: 'Петрович', organizationId: orgA.id, jobTitle: 'Директор', influence: 3, gender: 'male',
      note: 'Старая карточка', addrLocality: 'Москва', addrStreet: 'Тверская', addrHouse: '1',
      phones: [{ kind: 'work', number: '+7 (495) 111-22-33' }, { kind: 'fax', number: '+7 495 111-22-34' }], emails: ['Orlov@alfa.ru'],
    });
    // The second card came from an import: its import record must follow it.
    const batch = await uploadOk(c, outlookRuCsv('Орлов;Алёша;;ООО «Бета-М»;Менеджер;8 495 111 22 33;orlov@alfa.ru;Из импорта;'), 'orlov.csv');
    expect((await c.post(`/import/${batch}/decisions`, { options: '1', all: 'create' })).statusCode).toBeLessThan(400);
    await commit(t, c, batch);
    const [imported] = await db().select().from(importChanges).where(and(eq(importChanges.batchId, batch), eq(importChanges.entityType, 'person')));
    const b = imported.entityId;
    const edit = await c.post(`/persons/${b}`, {
      surname: 'Орлов', firstName: 'Алёша', patronymic: '', organizationId: String(orgB.id), jobTitle: 'Менеджер', dativeOverride: 'Орлову Алёше',
      phoneKind: ['work', 'mobile'], phoneNumber: ['8 495 111 22 33', '+7 916 000-00-01'], email: ['orlov@alfa.ru', 'a.orlov@beta.ru'], note: 'Новая карточка', version: String(await version('person', b)),
    });
    expect(edit.statusCode, edit.body.slice(0, 300)).toBe(303);
    await setPersonPhoto(db(), s, b, { thumbnail: Buffer.from('thumb-b'), original: Buffer.from('orig-b'), originalType: 'image/png', width: 10, height: 10 });
    const g1 = await createGroup(db(), s, { name: `Партнёры ${a.id}`, description: '', mark: 'none' });
    const g2 = await createGroup(db(), s, { name: `Рассылка ${a.id}`, description: '', mark: 'none' });
    const letter = await makeDocument(db(), s, { personId: b, subject: 'Письмо Орлова' });
    const cited = await makeDocument(db(), s, { personId: a.id, subject: 'Основание' });
    expect((await addMember(db(), s, g1.id, { personId: a.id }, { reason: 'Давний партнёр', documentNumbers: '' })).status).toBe('added');
    expect((await addMember(db(), s, g1.id, { personId: b }, { reason: 'Крупный заказ', documentNumbers: cited.regNumber })).status).toBe('added');
    expect((await addMember(db(), s, g2.id, { personId: b }, { reason: 'Подписка', documentNumbers: '' })).status).toBe('added');
    return { a: a.id, b, orgA: orgA.id, orgB: orgB.id, g1: g1.id, g2: g2.id, letter: letter.id, cited: cited.id, batch };
  }

  it('merges two fully populated cards with nothing lost, and undoes it', async () => {
    const x = await populated();
    const before = await drift();
    expect(before).toEqual(clean);
    const form = await c.get(`/duplicates/merge?kind=person&ids=${x.a}&ids=${x.b}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('data-merge-form');
    // Defaults: the most recently edited non-empty value (card b was edited last).
    expect(form.body).toMatch(new RegExp(`name="choice_firstName" value="${x.b}" checked`));
    expect(form.body).toMatch(new RegExp(`name="choice_influence" value="${x.a}" checked`));
    expect(form.body).toMatch(new RegExp(`name="photo" value="${x.b}" checked`));
    const auditBefore = await db().select().from(auditLog).where(and(eq(auditLog.entityType, 'person'), eq(auditLog.entityId, x.b)));
    expect(auditBefore.length).toBeGreaterThan(1);

    const res = await merge('person', [x.a, x.b], x.a, { surname: x.a, firstName: x.a, patronymic: x.a, organizationId: x.b, jobTitle: x.b, influence: x.a, gender: x.a, dativeOverride: x.b, note: x.b, address: x.a }, { photo: String(x.b) });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
    const mergeId = mergeIdOf(res.headers.location);

    const [s] = await db().select().from(persons).where(eq(persons.id, x.a));
    expect(s).toMatchObject({ surname: 'Орлов', firstName: 'Алексей', patronymic: 'Петрович', organizationId: x.orgB, jobTitle: 'Менеджер', influence: 3, gender: 'male', dativeOverride: 'Орлову Алёше', note: 'Новая карточка', addrLocality: 'Москва', addrStreet: 'Тверская', addrHouse: '1', mergedInto: null, archivedAt: null });
    const phones = rows<{ number: string; e164: string }>(await db().execute(sql`select number, e164 from person_phones where person_id = ${x.a} order by position`));
    expect(phones.map((p) => p.e164)).toEqual(['+74951112233', '+74951112234', '+79160000001']);
    const emails = rows<{ email: string }>(await db().execute(sql`select email from person_emails where person_id = ${x.a} order by position`));
    expect(emails.map((e) => e.email)).toEqual(['Orlov@alfa.ru', 'a.orlov@beta.ru']);
    const [loser] = await db().select().from(persons).where(eq(persons.id, x.b));
    expect(loser.mergedInto).toBe(x.a);
    expect(loser.archivedAt).not.toBeNull();
    // Memberships: one per group, reasons joined, the cited document kept.
    const active = await db().select().from(groupMemberships).where(and(eq(groupMemberships.personId, x.a), sql`${groupMemberships.removedAt} is null`));
    expect(active.map((m) => [m.groupId, m.reason]).sort()).toEqual([[x.g1, 'Давний партнёр; Крупный заказ'], [x.g2, 'Подписка']].sort());
    const g1m = active.find((m) => m.groupId === x.g1)!;
    expect((await db().select().from(membershipDocuments).where(eq(membershipDocuments.membershipId, g1m.id))).map((d) => d.documentId)).toEqual([x.cited]);
    expect((await db().select().from(groupMemberships).where(eq(groupMemberships.personId, x.b))).length).toBe(0);
    // Documents, the import record and the history moved.
    const [letter] = await db().select().from(documents).where(eq(documents.id, x.letter));
    expect(letter.personId).toBe(x.a);
    const [imp] = await db().select().from(importChanges).where(and(eq(importChanges.batchId, x.batch), eq(importChanges.entityType, 'person')));
    expect(imp.entityId).toBe(x.a);
    for (const e of auditBefore) {
      const [moved] = await db().select().from(auditLog).where(eq(auditLog.id, e.id));
      expect(moved.entityId).toBe(x.a);
    }
    const history = await c.get(`/persons/${x.a}?tab=history`);
    expect(history.body).toContain('Объединение карточек');
    expect(history.body).toContain(`№${x.b}`);
    // The photo chosen: the survivor shows b's.
    const [photo] = await db().select().from(personPhotos).where(eq(personPhotos.personId, x.a));
    expect(photo.original.toString()).toBe('orig-b');
    // ... and its history says so, in the merge's entry.
    const bPhoto = photoLabel({ original: Buffer.from('orig-b'), originalType: 'image/png', width: 10, height: 10 });
    const [mergeEntry] = await db().select().from(auditLog).where(and(eq(auditLog.entityType, 'person'), eq(auditLog.entityId, x.a), eq(auditLog.action, 'merge')));
    expect((mergeEntry.changes as Record<string, unknown>).photo).toEqual([null, bPhoto]);
    expect(history.body).toMatch(/<li data-photo><span class="field">Фотография<\/span>: фото добавлено<\/li>/);
    // An old bookmark of the merged card leads to the survivor.
    const old = await c.get(`/persons/${x.b}?tab=groups`);
    expect(old.statusCode).toBe(302);
    expect(old.headers.location).toBe(`/persons/${x.a}?tab=groups`);
    expect(await drift()).toEqual(clean);
    expect(await pairs('person', x.b)).toEqual([]);

    // Undo: everything back.
    const result = await c.get(`/duplicates/merges/${mergeId}`);
    expect(result.body).toContain('data-action="undo"');
    const undo = await c.post(`/duplicates/merges/${mergeId}/undo`);
    expect(undo.statusCode, undo.body.slice(0, 500)).toBe(303);
    const [a2] = await db().select().from(persons).where(eq(persons.id, x.a));
    expect(a2).toMatchObject({ firstName: 'Алексей', organizationId: x.orgA, jobTitle: 'Директор', note: 'Старая карточка', dativeOverride: '' });
    const [b2] = await db().select().from(persons).where(eq(persons.id, x.b));
    expect(b2).toMatchObject({ archivedAt: null, mergedInto: null, firstName: 'Алёша' });
    const back = await db().select().from(groupMemberships).where(sql`${groupMemberships.personId} in (${x.a}, ${x.b}) and ${groupMemberships.removedAt} is null`);
    expect(back.map((m) => [m.personId, m.groupId, m.reason]).sort()).toEqual([[x.a, x.g1, 'Давний партнёр'], [x.b, x.g1, 'Крупный заказ'], [x.b, x.g2, 'Подписка']].sort());
    expect((await db().select().from(membershipDocuments).where(eq(membershipDocuments.membershipId, g1m.id))).length).toBe(0);
    expect((await db().select().from(documents).where(eq(documents.id, x.letter)))[0].personId).toBe(x.b);
    expect((await db().select().from(importChanges).where(eq(importChanges.id, imp.id)))[0].entityId).toBe(x.b);
    expect((await db().select().from(auditLog).where(eq(auditLog.id, auditBefore[0].id)))[0].entityId).toBe(x.b);
    expect((await db().select().from(personPhotos).where(eq(personPhotos.personId, x.b)))[0].original.toString()).toBe('orig-b');
    expect((await db().select().from(personPhotos).where(eq(personPhotos.personId, x.a))).length).toBe(0);
    const [unmerge] = await db().select().from(auditLog).where(and(eq(auditLog.entityType, 'person'), eq(auditLog.entityId, x.a), eq(auditLog.action, 'unmerge')));
    expect((unmerge.changes as Record<string, unknown>).photo).toEqual([bPhoto, null]);
    const emailsBack = rows<{ email: string }>(await db().execute(sql`select email from person_emails where person_id = ${x.a} order by position`));
    expect(emailsBack.map((e) => e.email)).toEqual(['Orlov@alfa.ru']);
    expect((await c.get(`/persons/${x.b}`)).statusCode).toBe(200);
    expect(await drift()).toEqual(clean);
    const [m] = await db().select().from(cardMerges).where(eq(cardMerges.id, mergeId));
    expect(m.undoneBy).toBe(t.users.secretary.id);
    expect((await c.post(`/duplicates/merges/${mergeId}/undo`)).statusCode).toBe(409);
  });

  it('records a photo put, replaced (even by one of the same type and size), swapped by a merge, and removed', async () => {
    const s = t.users.secretary;
    const a = await makePerson(db(), s, { surname: 'Фотин', firstName: 'Илья', patronymic: '', emails: ['fotin@ya.ru'] });
    const b = await makePerson(db(), s, { surname: 'Фотин', firstName: 'Илья', patronymic: '', emails: ['fotin@ya.ru'] });
    const pic = (text: string) => ({ thumbnail: Buffer.from(`t-${text}`), original: Buffer.from(text), originalType: 'image/png', width: 10, height: 10 });
    await setPersonPhoto(db(), s, a.id, pic('a1'));
    await setPersonPhoto(db(), s, a.id, pic('a2'));
    await setPersonPhoto(db(), s, b.id, pic('b1'));
    const photoEntries = async (id: number) =>
      (await db().select().from(auditLog).where(and(eq(auditLog.entityType, 'person'), eq(auditLog.entityId, id))).orderBy(auditLog.id))
        .filter((e) => 'photo' in (e.changes as object))
        .map((e) => [e.action, (e.changes as Record<string, unknown>).photo]);
    const label = (text: string) => photoLabel(pic(text));
    expect(await photoEntries(a.id)).toEqual([['update', [null, label('a1')]], ['update', [label('a1'), label('a2')]]]);
    const page = await c.get(`/persons/${a.id}?tab=history`);
    expect(page.body).toContain('<li data-photo><span class="field">Фотография</span>: фото изменено</li>');
    expect(page.body).toContain('<li data-photo><span class="field">Фотография</span>: фото добавлено</li>');

    // Merged into a with b's photo: both cards' photos changed, both histories say so.
    const res = await merge('person', [a.id, b.id], a.id, {}, { photo: String(b.id) });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    const [entry] = (await photoEntries(a.id)).filter(([action]) => action === 'merge');
    expect(entry).toEqual(['merge', [label('a2'), label('b1')]]);
    expect((await photoEntries(b.id)).at(-1)).toEqual(['update', [label('b1'), label('a2')]]);
    expect((await c.get(`/persons/${a.id}?tab=history`)).body).toContain('фото изменено');

    const undo = await c.post(`/duplicates/merges/${mergeIdOf(res.headers.location)}/undo`);
    expect(undo.statusCode, undo.body.slice(0, 300)).toBe(303);
    expect((await photoEntries(a.id)).at(-1)).toEqual(['unmerge', [label('b1'), label('a2')]]);
    expect((await photoEntries(b.id)).at(-1)).toEqual(['update', [label('a2'), label('b1')]]);

    await removePersonPhoto(db(), s, a.id);
    expect((await photoEntries(a.id)).at(-1)).toEqual(['update', [label('a2'), null]]);
    expect((await c.get(`/persons/${a.id}?tab=history`)).body).toContain('<li data-photo><span class="field">Фотография</span>: фото удалено</li>');
  });

  it('refuses to undo once the survivor was edited since, naming what changed', async () => {
    const s = t.users.secretary;
    const a = await makePerson(db(), s, { surname: 'Зайцев', firstName: 'Игорь', patronymic: '', emails: ['zaitsev@ya.ru'] });
    const b = await makePerson(db(), s, { surname: 'Зайцев', firstName: 'Игорь', patronymic: '', emails: ['zaitsev@ya.ru'] });
    const res = await merge('person', [a.id, b.id], a.id);
    expect(res.statusCode).toBe(303);
    const id = mergeIdOf(res.headers.location);
    const edit = await c.post(`/persons/${a.id}`, { surname: 'Зайцев', firstName: 'Игорь', jobTitle: 'Главный инженер', email: 'zaitsev@ya.ru', version: String(await version('person', a.id)) });
    expect(edit.statusCode).toBe(303);
    const undo = await c.post(`/duplicates/merges/${id}/undo`);
    expect(undo.statusCode).toBe(409);
    expect(undo.body).toContain(`карточку человека №${a.id} изменили после объединения`);
    expect(undo.body).toContain('Должность');
    expect((await db().select().from(persons).where(eq(persons.id, b.id)))[0].mergedInto).toBe(a.id);
  });

  it('answers 409 with both values when a card was edited while the merge page was open', async () => {
    const s = t.users.secretary;
    const a = await makePerson(db(), s, { surname: 'Волков', firstName: 'Пётр', patronymic: '', emails: ['volkov@ya.ru'] });
    const b = await makePerson(db(), s, { surname: 'Волков', firstName: 'Петр', patronymic: '', emails: ['volkov@ya.ru'] });
    const versions = { [a.id]: await version('person', a.id), [b.id]: await version('person', b.id) };
    const edit = await c.post(`/persons/${b.id}`, { surname: 'Волков', firstName: 'Пётр', jobTitle: 'Юрист', email: 'volkov@ya.ru', version: String(versions[b.id]) });
    expect(edit.statusCode).toBe(303);
    const res = await merge('person', [a.id, b.id], a.id, {}, {}, versions);
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('data-stale');
    expect(res.body).toContain('data-stale-field="jobTitle"');
    expect(res.body).toContain('Юрист');
    expect((await db().select().from(persons).where(eq(persons.id, b.id)))[0].mergedInto).toBeNull();
    // The re-rendered form carries the new versions: pressing again merges.
    const v = /name="version_(\d+)" value="(\d+)"/g;
    const fresh = Object.fromEntries([...res.body.matchAll(v)].map((m) => [Number(m[1]), Number(m[2])]));
    expect(fresh[b.id]).toBe(await version('person', b.id));
    expect((await merge('person', [a.id, b.id], a.id, {}, {}, fresh)).statusCode).toBe(303);
  });

  it('of two overlapping merges one wins and the other is told why', async () => {
    const s = t.users.secretary;
    const [a, b, d] = await Promise.all([1, 2, 3].map(() => makePerson(db(), s, { surname: 'Соколов', firstName: 'Фёдор', patronymic: '' })));
    const versions = { [a.id]: 1, [b.id]: 1, [d.id]: 1 };
    const [r1, r2] = await Promise.all([merge('person', [a.id, b.id], a.id, {}, {}, versions), merge('person', [b.id, d.id], d.id, {}, {}, versions)]);
    const statuses = [r1.statusCode, r2.statusCode].sort();
    expect(statuses).toEqual([303, 409]);
    const loserRes = r1.statusCode === 409 ? r1 : r2;
    expect(loserRes.body).toMatch(/уже объединена с №\d+/);
    expect((await db().select().from(cardMerges).where(sql`${b.id} = any(${cardMerges.mergedIds}) or ${cardMerges.survivorId} = ${b.id}`)).length).toBe(1);
  });
});

describe('merging organizations', () => {
  it('moves their persons, memberships and documents, keeps group_refs and the word tables exact, and undoes', async () => {
    const s = t.users.secretary;
    const o1 = await makeOrganization(db(), s, { name: 'ООО «Ромашка-Север»', phones: '+7 812 000-00-01', website: 'romashka-sever.ru' });
    const o2 = await makeOrganization(db(), s, { name: 'Romashka-Sever LLC', phones: '8 812 000 00 01; +7 812 000-00-02', email: 'info@romashka-sever.ru' });
    const p1 = await makePerson(db(), s, { surname: 'Кудрявцев', firstName: 'Илья', patronymic: '', organizationId: o1.id });
    const p2 = await makePerson(db(), s, { surname: 'Ланская', firstName: 'Вера', patronymic: '', organizationId: o2.id });
    const g = await createGroup(db(), s, { name: 'Поставщики Р', description: '', mark: 'none' });
    const g2 = await createGroup(db(), s, { name: 'Клиенты Р', description: '', mark: 'none' });
    await addMember(db(), s, g.id, { organizationId: o1.id }, { reason: 'Поставщик', documentNumbers: '' });
    await addMember(db(), s, g.id, { organizationId: o2.id }, { reason: 'Договор', documentNumbers: '' });
    await addMember(db(), s, g2.id, { personId: p2.id }, { reason: '', documentNumbers: '' });
    const doc = await makeDocument(db(), s, { organizationId: o2.id, subject: 'Счёт' });
    expect((await pairOf('organization', o1.id, o2.id))?.reasons).toEqual(['name']);

    const res = await merge('organization', [o1.id, o2.id], o1.id, { email: o2.id });
    expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
    const mergeId = mergeIdOf(res.headers.location);
    const [s1] = await db().select().from(organizations).where(eq(organizations.id, o1.id));
    expect(s1).toMatchObject({ name: 'ООО «Ромашка-Север»', email: 'info@romashka-sever.ru', website: 'romashka-sever.ru', phones: '+7 812 000-00-01, +7 812 000-00-02' });
    expect((await db().select().from(persons).where(eq(persons.id, p2.id)))[0].organizationId).toBe(o1.id);
    expect((await db().select().from(documents).where(eq(documents.id, doc.id)))[0].organizationId).toBe(o1.id);
    const ms = await db().select().from(groupMemberships).where(and(eq(groupMemberships.organizationId, o1.id), sql`${groupMemberships.removedAt} is null`));
    expect(ms.map((m) => m.reason)).toEqual(['Поставщик; Договор']);
    expect(s1.groupRefs).toBe(2);
    expect(await drift()).toEqual(clean);
    // The moved person is found under the survivor's name by the locator's words.
    const words = rows<{ card: number }>(await db().execute(sql`select card from contact_words where word = 'ланская' and organization_id = ${o1.id}`));
    expect(words.map((w) => Number(w.card))).toEqual([p2.id]);
    expect((await c.get(`/organizations/${o2.id}`)).headers.location).toBe(`/organizations/${o1.id}`);

    const undo = await c.post(`/duplicates/merges/${mergeId}/undo`);
    expect(undo.statusCode, undo.body.slice(0, 500)).toBe(303);
    expect((await db().select().from(persons).where(eq(persons.id, p2.id)))[0].organizationId).toBe(o2.id);
    expect((await db().select().from(persons).where(eq(persons.id, p1.id)))[0].organizationId).toBe(o1.id);
    expect((await db().select().from(documents).where(eq(documents.id, doc.id)))[0].organizationId).toBe(o2.id);
    const [o2b] = await db().select().from(organizations).where(eq(organizations.id, o2.id));
    expect(o2b).toMatchObject({ archivedAt: null, mergedInto: null, groupRefs: 2 });
    expect(await drift()).toEqual(clean);
  });
});
