import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, count, eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { commit, outlookRuCsv, uploadOk } from './helpers.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { groupMemberships, mailingGroups } from '../../src/db/schema/groups.js';
import { importBatches, importRows } from '../../src/db/schema/imports.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { personEmails, personPhones, persons } from '../../src/db/schema/persons.js';
import { updatePerson } from '../../src/features/persons/service.js';
import { forgetRows } from '../../src/features/import/preview/kept-rows.js';

/** A file's note added under the card's, as "update" does (issue 19: appended, never replaced). */
const day = () => {
  const d = new Date();
  return `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}.${d.getFullYear()}`;
};
const appended = (...notes: string[]) => notes.join(`\n\n— ${day()} —\n`);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const db = () => t.database.db;
const csv = outlookRuCsv;
const personsCount = async () => (await db().select({ n: count() }).from(persons))[0].n;

async function setup(tag: string) {
  const s = t.users.secretary;
  const org = await makeOrganization(db(), s, { name: `ООО «Дубль ${tag}»` });
  // Same e-mail (different name), and same name with Ё in the same organization.
  const byEmail = await makePerson(db(), s, { surname: `Почтов${tag}`, firstName: 'Олег', organizationId: org.id, emails: [`same${tag}@example.ru`], phones: [{ kind: 'work', number: '+7 495 000-00-01' }], note: 'Старая заметка' });
  const byName = await makePerson(db(), s, { surname: `Ёжиков${tag}`, firstName: 'Семён', patronymic: '', organizationId: org.id, jobTitle: 'Инженер' });
  const file = csv(
    `Почтовой${tag};Олег;;ООО «Дубль ${tag}»;Директор;+7 495 000-00-02;SAME${tag}@example.ru;Новая заметка;`,
    `ежиков${tag};Семен;;ооо «дубль ${tag}»;Главный инженер;;;;`,
    `Новиков${tag};Антон;;ООО «Дубль ${tag}»;;;novikov${tag}@example.ru;;`,
  );
  return { org, byEmail, byName, file };
}

describe('probable duplicates', () => {
  it('are found by e-mail and by full name in the same organization (case- and Ё-insensitively)', async () => {
    const s = await setup('a');
    const c = await t.as('secretary');
    const id = await uploadOk(c, s.file, 'dup.csv');
    const rows = await db().select().from(importRows).where(eq(importRows.batchId, id)).orderBy(asc(importRows.rowNo));
    expect(rows.map((r) => [r.duplicateId, r.duplicateReason])).toEqual([
      [s.byEmail.id, 'email'],
      [s.byName.id, 'name'],
      [null, null],
    ]);
    const page = await c.get(`/import/${id}?show=duplicates`);
    expect(page.body).toContain('<dd data-counts>3 записи, 2 возможных дубликата</dd>');
    expect(page.body).toContain('тот же e-mail');
    expect(page.body).toContain('то же ФИО в той же организации');
    expect(page.body).toContain('name="row.1"');
    expect(page.body).not.toContain('data-row-no="3"');
  });

  it('the default filter\'s link switches back to it from another filter (its link drops show=)', async () => {
    const s = await setup('z');
    const c = await t.as('secretary');
    const id = await uploadOk(c, s.file, 'dup.csv');
    const page = await c.get(`/import/${id}?show=duplicates`);
    expect(page.statusCode).toBe(200);
    const href = (f: string) => new RegExp(`<a href="([^"]*)"[^>]*data-filter="${f}"`).exec(page.body)?.[1].replace(/&amp;/g, '&');
    expect(href('all')).toBe(`/import/${id}`);
    expect(href('problems')).toBe(`/import/${id}?show=problems`);
    const all = await c.get(href('all')!);
    expect(all.body).toMatch(/aria-current=page data-filter="all"/);
    expect(all.body).toContain('data-row-no="3"');
  });

  it('by name only in the same organization (or without one on both sides), active ones only', async () => {
    const s = t.users.secretary;
    const here = await makeOrganization(db(), s, { name: 'ООО «Здесь»' });
    const there = await makeOrganization(db(), s, { name: 'ООО «Там»' });
    // The oldest namesake wins, but not an archived one.
    const archived = await makePerson(db(), s, { surname: 'Ёлкина', firstName: 'Алёна', patronymic: 'Петровна', organizationId: here.id });
    await db().update(persons).set({ archivedAt: new Date() }).where(eq(persons.id, archived.id));
    const inOrg = await makePerson(db(), s, { surname: 'Ёлкина', firstName: 'Алёна', patronymic: 'Петровна', organizationId: here.id });
    const alone = await makePerson(db(), s, { surname: 'Ёлкина', firstName: 'Алёна', patronymic: 'Петровна' });
    await makePerson(db(), s, { surname: 'Ёлкина', firstName: 'Алёна', patronymic: 'Петровна', organizationId: there.id, jobTitle: 'другая' });
    const c = await t.as('secretary');
    const id = await uploadOk(
      c,
      csv('елкина;алена;петровна;ООО «Здесь»;;;;;', 'ЕЛКИНА;АЛЕНА;ПЕТРОВНА;;;;;;', 'Елкина;Алена;Петровна;ООО «Новая»;;;;;'),
      'namesakes.csv',
    );
    const rows = await db().select().from(importRows).where(eq(importRows.batchId, id)).orderBy(asc(importRows.rowNo));
    expect(rows.map((r) => [r.duplicateId, r.duplicateReason])).toEqual([
      [inOrg.id, 'name'],
      [alone.id, 'name'],
      [null, null],
    ]);
  });

  it('are skipped by default: only the new person is created', async () => {
    const s = await setup('b');
    const c = await t.as('secretary');
    const before = await personsCount();
    const id = await uploadOk(c, s.file, 'dup.csv');
    const batch = await commit(t, c, id);
    expect(batch.report).toMatchObject({ rows: { created: 1, skipped: 2, updated: 0 } });
    expect(await personsCount()).toBe(before + 1);
    const [p] = await db().select().from(persons).where(eq(persons.id, s.byEmail.id));
    expect(p.version).toBe(1);
    const report = await c.get(`/import/${id}?show=skipped`);
    expect(report.body).toContain('возможный дубликат — пропущен по вашему выбору');
    // The report's counts and its list come from one definition: the list it opens with holds
    // exactly the skipped and failed rows it counts.
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('<td class="num" data-count="skipped">2</td>');
    expect(page.body).toContain('<td class="num" data-count="failed">0</td>');
    expect(page.body).toContain('<td class="num" data-count="created">1</td>');
    expect(page.body).toMatch(/data-filter="unloaded"[^>]*>[^<]*<span class="count" data-filter-count="unloaded">2</);
    expect(page.body).not.toContain('Таких записей нет');
    expect([...page.body.matchAll(/пропущен по вашему выбору/g)].length).toBe(2);
    const failed = await c.get(`/import/${id}?show=failed`);
    expect(failed.body).toContain('Таких записей нет');
    expect(failed.body).toContain('data-filter-count="failed">0<');
  });

  it('"create anyway" for all rows creates new cards beside the existing ones', async () => {
    const s = await setup('c');
    const c = await t.as('secretary');
    const before = await personsCount();
    const id = await uploadOk(c, s.file, 'dup.csv');
    const batch = await commit(t, c, id, { all: 'create' });
    expect(batch.report).toMatchObject({ rows: { created: 3, skipped: 0, updated: 0 } });
    expect(await personsCount()).toBe(before + 3);
  });

  it('a row\'s own choice wins over the all-rows choice; "update" merges into the existing card', async () => {
    const s = await setup('d');
    const c = await t.as('secretary');
    const id = await uploadOk(c, s.file, 'dup.csv');
    // Saved choices (without JavaScript: the "save" button), then the commit form.
    const saved = await c.post(`/import/${id}/decisions`, { options: '1', all: 'skip', 'row.1': 'update', 'row.2': '' });
    expect(saved.statusCode).toBe(303);
    const rows = await db().select().from(importRows).where(eq(importRows.batchId, id)).orderBy(asc(importRows.rowNo));
    expect(rows.map((r) => r.decision)).toEqual(['update', null, null]);
    const batch = await commit(t, c, id, { options: '1', all: 'skip', 'row.1': 'update' });
    expect(batch.report).toMatchObject({ rows: { created: 1, updated: 1, skipped: 1 } });
    const [p] = await db().select().from(persons).where(eq(persons.id, s.byEmail.id));
    expect(p).toMatchObject({ surname: 'Почтовойd', jobTitle: 'Директор', note: appended('Старая заметка', 'Новая заметка'), version: 2, updatedBy: t.users.secretary.id });
    const phones = await db().select().from(personPhones).where(eq(personPhones.personId, p.id)).orderBy(asc(personPhones.position));
    expect(phones.map((x) => x.number)).toEqual(['+7 495 000-00-01', '+7 495 000-00-02']);
    const emails = await db().select().from(personEmails).where(eq(personEmails.personId, p.id));
    expect(emails.map((e) => e.email)).toEqual(['samed@example.ru']);
    const audit = await db().select().from(auditLog).where(eq(auditLog.entityId, p.id));
    const update = audit.find((a) => a.entityType === 'person' && a.action === 'update');
    expect(update?.changes).toMatchObject({ surname: ['Почтовd', 'Почтовойd'], note: ['Старая заметка', appended('Старая заметка', 'Новая заметка')] });
  });

  it('the same file again with "update" keeps the phones and e-mails as they were, and undoes', async () => {
    const c = await t.as('secretary');
    const file = csv('Повторов;Пётр;;ООО «Повтор»;Инженер;+7 495 000-00-09;again@example.ru;Заметка;');
    await commit(t, c, await uploadOk(c, file, 'again.csv'));
    const [created] = await db().select().from(persons).where(eq(persons.surname, 'Повторов'));
    const contacts = async () => [
      await db().select().from(personPhones).where(eq(personPhones.personId, created.id)),
      await db().select().from(personEmails).where(eq(personEmails.personId, created.id)),
    ];
    const before = await contacts();
    const id = await uploadOk(c, file, 'again.csv');
    const batch = await commit(t, c, id, { options: '1', all: 'update' });
    expect(batch.report).toMatchObject({ rows: { updated: 1 } });
    expect(await contacts()).toEqual(before);
    const [p] = await db().select().from(persons).where(eq(persons.id, created.id));
    expect(p.version).toBe(2);
    expect((await c.post(`/import/${id}/undo`)).statusCode).toBe(303);
    const [b] = await db().select().from(importBatches).where(eq(importBatches.id, id));
    expect(b.undoReport).toMatchObject({ restored: 1, left: [] });
    expect((await contacts()).map((rows) => rows.map((r) => ('number' in r ? r.number : r.email)))).toEqual([['+7 495 000-00-09'], ['again@example.ru']]);
  });

  it('commits the same from the stored rows when the preview was made by another instance', async () => {
    const s = await setup('k');
    const c = await t.as('secretary');
    const id = await uploadOk(c, s.file, 'dup.csv');
    // The rows the preview keeps in this process are not there on another instance.
    forgetRows(id);
    const batch = await commit(t, c, id, { options: '1', all: 'skip', 'row.1': 'update' });
    expect(batch.report).toMatchObject({ rows: { created: 1, updated: 1, skipped: 1 } });
    const [p] = await db().select().from(persons).where(eq(persons.id, s.byEmail.id));
    expect(p).toMatchObject({ surname: 'Почтовойk', jobTitle: 'Директор', note: appended('Старая заметка', 'Новая заметка'), version: 2 });
    const phones = await db().select().from(personPhones).where(eq(personPhones.personId, p.id)).orderBy(asc(personPhones.position));
    expect(phones.map((x) => x.number)).toEqual(['+7 495 000-00-01', '+7 495 000-00-02']);
  });
});

describe('undo', () => {
  it('removes what the batch created and restores what it updated', async () => {
    const s = await setup('e');
    const c = await t.as('secretary');
    const before = await personsCount();
    const orgsBefore = (await db().select({ n: count() }).from(organizations))[0].n;
    const file = Buffer.concat([s.file, Buffer.from(`Новый;Клиент;;АО «Новая фирма»;;;new-e@example.ru;;Свежие\r\n`)]);
    const id = await uploadOk(c, file, 'dup.csv');
    const batch = await commit(t, c, id, { options: '1', all: 'update', createGroups: '1' });
    expect(batch.report).toMatchObject({ rows: { created: 2, updated: 2 }, organizations: { created: 1 }, groups: { created: 1 } });
    expect(await personsCount()).toBe(before + 2);

    const res = await c.post(`/import/${id}/undo`);
    expect(res.statusCode).toBe(303);
    const [b] = await db().select().from(importBatches).where(eq(importBatches.id, id));
    expect(b.status).toBe('undone');
    expect(b.undoReport).toMatchObject({ removed: 5, restored: 2, left: [] });
    expect(await personsCount()).toBe(before);
    expect((await db().select({ n: count() }).from(organizations))[0].n).toBe(orgsBefore);
    expect(await db().select().from(mailingGroups).where(eq(mailingGroups.name, 'Свежие'))).toEqual([]);
    const [p] = await db().select().from(persons).where(eq(persons.id, s.byEmail.id));
    expect(p).toMatchObject({ surname: 'Почтовe', jobTitle: '', note: 'Старая заметка', version: 3 });
    const phones = await db().select().from(personPhones).where(eq(personPhones.personId, p.id));
    expect(phones.map((x) => x.number)).toEqual(['+7 495 000-00-01']);
    const [n] = await db().select().from(persons).where(eq(persons.id, s.byName.id));
    expect(n).toMatchObject({ surname: 'Ёжиковe', firstName: 'Семён', jobTitle: 'Инженер' });
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('Импорт отменён');
    expect(page.body).toContain('Отменено полностью.');
    // Undoing twice is refused.
    expect((await c.post(`/import/${id}/undo`)).statusCode).toBe(409);
  });

  it('leaves a card edited since the import alone and names it', async () => {
    const s = await setup('f');
    const c = await t.as('secretary');
    const id = await uploadOk(c, s.file, 'dup.csv');
    await commit(t, c, id, { options: '1', all: 'update', createGroups: '1' });
    const [created] = await db().select().from(persons).where(eq(persons.surname, 'Новиковf'));
    // Someone edits the updated card and the created one after the import.
    const [updated] = await db().select().from(persons).where(eq(persons.id, s.byName.id));
    const input = (p: typeof updated, note: string) => ({ ...p, note, phones: [], emails: [] });
    await updatePerson(db(), t.users.admin, updated.id, updated.version, input(updated, 'Правка после импорта'));
    await updatePerson(db(), t.users.admin, created.id, created.version, input(created, 'Тоже правка'));

    await c.post(`/import/${id}/undo`);
    const [b] = await db().select().from(importBatches).where(eq(importBatches.id, id));
    expect(b.status).toBe('undone');
    const left = (b.undoReport as { left: { entityType: string; entityId: number; name: string; reason: string }[] }).left;
    expect(left).toEqual([
      { entityType: 'person', entityId: created.id, name: 'Новиковf Антон', reason: 'edited' },
      { entityType: 'person', entityId: updated.id, name: 'ежиковf Семен', reason: 'edited' },
    ]);
    // Left as they are; the untouched update is restored.
    expect((await db().select().from(persons).where(eq(persons.id, created.id)))[0].note).toBe('Тоже правка');
    expect((await db().select().from(persons).where(eq(persons.id, updated.id)))[0].note).toBe('Правка после импорта');
    expect((await db().select().from(persons).where(eq(persons.id, s.byEmail.id)))[0].surname).toBe('Почтовf');
    // The organization the import did not create stays; memberships of the batch are gone.
    expect(await db().select().from(groupMemberships).where(eq(groupMemberships.personId, created.id))).toEqual([]);
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('Оставлены без изменений');
    expect(page.body).toContain(`<a href="/persons/${created.id}">Новиковf Антон</a> — изменена после импорта`);
  });
});
