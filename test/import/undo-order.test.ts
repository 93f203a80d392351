import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, count, eq } from 'drizzle-orm';
import { createTestApp, type Client, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { commit, multipart, sample, uploadOk } from './helpers.js';
import { importBatches } from '../../src/db/schema/imports.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { personEmails, personPhones, persons } from '../../src/db/schema/persons.js';

/**
 * Two imports over the same cards, undone newest first: undoing the later one gives the cards
 * back the state the earlier one left, so the earlier one must still recognise them as its own.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const db = () => t.database.db;
const HEADER = 'Фамилия;Имя;Отчество;Организация;Должность;Рабочий телефон;Адрес эл. почты;Заметки;Категории';
const csv = (...rows: string[]) => Buffer.from([HEADER, ...rows].join('\r\n') + '\r\n', 'utf8');
const person = async (id: number) => (await db().select().from(persons).where(eq(persons.id, id)))[0];
const personsCount = async () => (await db().select({ n: count() }).from(persons))[0].n;
const orgsCount = async () => (await db().select({ n: count() }).from(organizations))[0].n;
const phonesOf = async (id: number) => (await db().select().from(personPhones).where(eq(personPhones.personId, id)).orderBy(asc(personPhones.position))).map((p) => p.number);
type Left = { entityType: string; entityId: number; name: string; reason: string };
const undoReport = async (id: number) => (await db().select().from(importBatches).where(eq(importBatches.id, id)))[0].undoReport as { removed: number; restored: number; left: Left[] };

async function undo(c: Client, id: number) {
  const res = await c.post(`/import/${id}/undo`);
  expect(res.statusCode, res.body.slice(0, 1000)).toBe(303);
  return undoReport(id);
}

/** Opens the edit form as a browser would: the version it holds. */
async function openForm(c: Client, id: number) {
  const page = await c.get(`/persons/${id}/edit`);
  expect(page.statusCode).toBe(200);
  return Number(/name="version" value="(\d+)"/.exec(page.body)![1]);
}

/** Saves the person form with the card's values and the given changes, through the real route. */
async function saveForm(c: Client, id: number, version: number, changes: Record<string, string>) {
  const p = await person(id);
  const phones = await db().select().from(personPhones).where(eq(personPhones.personId, id)).orderBy(asc(personPhones.position));
  const emails = await db().select().from(personEmails).where(eq(personEmails.personId, id)).orderBy(asc(personEmails.position));
  return c.post(`/persons/${id}`, {
    phoneKind: phones.map((x) => x.kind), phoneNumber: phones.map((x) => x.number), email: emails.map((x) => x.email),
    version: String(version),
    surname: p.surname, firstName: p.firstName, patronymic: p.patronymic, influence: String(p.influence), organizationId: p.organizationId ? String(p.organizationId) : '',
    jobTitle: p.jobTitle, gender: p.gender, note: p.note,
    ...changes,
  });
}

/**
 * An existing card X; batch A updates X and creates Y in a new organization; batch B updates
 * both again.
 */
async function twoBatches(tag: string) {
  const s = t.users.secretary;
  const org = await makeOrganization(db(), s, { name: `ООО «Старое ${tag}»` });
  const x = await makePerson(db(), s, { surname: `Иксов${tag}`, firstName: 'Илья', organizationId: org.id, jobTitle: 'Инженер', note: 'Исходная', emails: [`x${tag}@example.ru`], phones: [{ kind: 'work', number: '+7 495 100-00-01' }] });
  const c = await t.as('secretary');
  const counts = { persons: await personsCount(), organizations: await orgsCount() };
  const a = await uploadOk(c, csv(
    `Иксов${tag};Илья;;ООО «Старое ${tag}»;Директор A;+7 495 100-00-02;x${tag}@example.ru;Заметка A;`,
    `Игреков${tag};Юрий;;АО «Фирма A ${tag}»;;;y${tag}@example.ru;;`,
  ), 'a.csv');
  expect((await commit(t, c, a, { options: '1', all: 'update' })).report).toMatchObject({ rows: { created: 1, updated: 1 }, organizations: { created: 1 } });
  const [y] = await db().select().from(persons).where(eq(persons.surname, `Игреков${tag}`));
  const b = await uploadOk(c, csv(
    `Иксов${tag};Илья;;ООО «Старое ${tag}»;Директор B;+7 495 100-00-03;x${tag}@example.ru;Заметка B;`,
    `Игреков${tag};Юрий;;АО «Фирма A ${tag}»;Инженер B;;y${tag}@example.ru;;`,
  ), 'b.csv');
  expect((await commit(t, c, b, { options: '1', all: 'update' })).report).toMatchObject({ rows: { created: 0, updated: 2 } });
  return { c, x, y, a, b, counts };
}

describe('undo of two batches over the same cards', () => {
  it('undoes the later batch, then the earlier one, completely', async () => {
    const { c, x, y, a, b, counts } = await twoBatches('a');
    const afterB = await person(x.id);

    expect(await undo(c, b)).toMatchObject({ restored: 2, left: [] });
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор A', note: 'Заметка A' });
    expect(await phonesOf(x.id)).toEqual(['+7 495 100-00-01', '+7 495 100-00-02']);
    expect((await person(y.id)).jobTitle).toBe('');
    // Undo writes a new version: it never goes back to one an open form may hold.
    expect((await person(x.id)).version).toBeGreaterThan(afterB.version);

    expect(await undo(c, a)).toMatchObject({ removed: 2, restored: 1, left: [] });
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Инженер', note: 'Исходная' });
    expect(await phonesOf(x.id)).toEqual(['+7 495 100-00-01']);
    expect(await person(y.id)).toBeUndefined();
    expect(await personsCount()).toBe(counts.persons);
    expect(await orgsCount()).toBe(counts.organizations);
    const page = await c.get(`/import/${a}`);
    expect(page.body).toContain('Отменено полностью.');
  });

  it('a card edited through the form before the later batch is still named when the earlier one is undone', async () => {
    const s = t.users.secretary;
    const x = await makePerson(db(), s, { surname: 'Правленыйb', firstName: 'Пётр', jobTitle: 'Инженер', emails: ['xb@example.ru'] });
    const c = await t.as('secretary');
    const a = await uploadOk(c, csv('Правленыйb;Пётр;;;Директор A;;xb@example.ru;Заметка A;'), 'a.csv');
    await commit(t, c, a, { options: '1', all: 'update' });
    expect((await saveForm(c, x.id, await openForm(c, x.id), { note: 'Правка рукой' })).statusCode).toBe(303);
    const b = await uploadOk(c, csv('Правленыйb;Пётр;;;Директор B;;xb@example.ru;;'), 'b.csv');
    await commit(t, c, b, { options: '1', all: 'update' });

    expect(await undo(c, b)).toMatchObject({ restored: 1, left: [] });
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор A', note: 'Правка рукой' });
    expect((await undo(c, a)).left).toEqual([{ entityType: 'person', entityId: x.id, name: 'Правленыйb Пётр Иванович', reason: 'edited' }]);
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор A', note: 'Правка рукой' });
    const page = await c.get(`/import/${a}`);
    expect(page.body).toContain(`<a href="/persons/${x.id}">Правленыйb Пётр Иванович</a> — изменена после импорта`);
  });

  it('a card edited through the form after the later batch was undone is named, the untouched one still goes', async () => {
    const { c, x, y, a, b } = await twoBatches('c');
    await undo(c, b);
    expect((await saveForm(c, x.id, await openForm(c, x.id), { note: 'Правка после отмены' })).statusCode).toBe(303);
    const report = await undo(c, a);
    expect(report).toMatchObject({ removed: 2, restored: 0 });
    expect(report.left).toEqual([{ entityType: 'person', entityId: x.id, name: 'Иксовc Илья Иванович', reason: 'edited' }]);
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор A', note: 'Правка после отмены' });
    expect(await person(y.id)).toBeUndefined();
  });

  it('a form opened before the undo cannot overwrite what the undo restored', async () => {
    const { c, x, a, b } = await twoBatches('d');
    const other = await t.as('admin');
    const stale = await openForm(other, x.id);
    await undo(c, b);
    const res = await saveForm(other, x.id, stale, { jobTitle: 'Из старой формы' });
    expect(res.statusCode).toBe(409);
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор A', note: 'Заметка A' });
    // Nor can a form opened before the earlier batch, once both are undone.
    expect(await undo(c, a)).toMatchObject({ restored: 1, left: [] });
    expect((await saveForm(other, x.id, stale, { jobTitle: 'Из старой формы' })).statusCode).toBe(409);
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Инженер', note: 'Исходная' });
    // A form opened now saves.
    expect((await saveForm(other, x.id, await openForm(other, x.id), { jobTitle: 'Новая должность' })).statusCode).toBe(303);
    expect((await person(x.id)).jobTitle).toBe('Новая должность');
  });

  it('the earlier batch undone while the later one is applied leaves the shared cards alone', async () => {
    const { c, x, y, a, b } = await twoBatches('e');
    const report = await undo(c, a);
    expect(report).toMatchObject({ removed: 0, restored: 0 });
    expect(report.left.map((l) => [l.entityType, l.entityId, l.reason])).toEqual([
      ['person', y.id, 'edited'],
      ['person', x.id, 'edited'],
      ['organization', y.organizationId, 'history'],
    ]);
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор B', note: 'Заметка B' });
    // The later batch still undoes to what the earlier one left.
    expect(await undo(c, b)).toMatchObject({ restored: 2, left: [] });
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор A', note: 'Заметка A' });
    expect(await person(y.id)).toMatchObject({ jobTitle: '' });
  });
});

describe('undo of two batches, XML and photos', () => {
  const xml = (org: string, person: string) =>
    Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<contacts xmlns="urn:edms:crm:contacts:1" version="1" exported="2026-01-01T00:00:00.000Z" scope="all">
  <groups/>
  <organizations>
    <organization id="o1-undoxml">
      <name>ООО «Икс XML»</name>${org}
    </organization>
  </organizations>
  <persons>
    <person id="p1-undoxml" organization="o1-undoxml">
      <surname>Хмлев</surname>
      <firstName>Иван</firstName>${person}
      <email>xml@example.ru</email>
    </person>
  </persons>
  <memberships/>
</contacts>
`);

  it('an XML import updated by a later one is undone after it: the same rules', async () => {
    const c = await t.as('secretary');
    const counts = { persons: await personsCount(), organizations: await orgsCount() };
    const a = await uploadOk(c, xml('', '\n      <jobTitle>Инженер</jobTitle>'), 'a.xml');
    expect((await commit(t, c, a)).report).toMatchObject({ persons: { created: 1 }, organizations: { created: 1 } });
    const [x] = await db().select().from(persons).where(eq(persons.surname, 'Хмлев'));
    const b = await uploadOk(c, xml('\n      <phones>+7 495 300-00-00</phones>', '\n      <jobTitle>Директор</jobTitle>'), 'b.xml');
    expect((await commit(t, c, b, { options: '1', all: 'update' })).report).toMatchObject({ persons: { updated: 1 }, organizations: { updated: 1 } });
    const [org] = await db().select().from(organizations).where(eq(organizations.id, x.organizationId!));
    expect(org.phones).toBe('+7 495 300-00-00');

    expect(await undo(c, b)).toMatchObject({ restored: 2, left: [] });
    expect((await db().select().from(organizations).where(eq(organizations.id, org.id)))[0].phones).toBe('');
    expect((await person(x.id)).jobTitle).toBe('Инженер');
    expect(await undo(c, a)).toMatchObject({ removed: 2, left: [] });
    expect(await personsCount()).toBe(counts.persons);
    expect(await orgsCount()).toBe(counts.organizations);
  });

  it('a photo saved after the later batch was undone counts as an edit', async () => {
    const { c, x, a, b } = await twoBatches('f');
    await undo(c, b);
    const m = multipart('photo', 'photo.bmp', sample('photo-24bit.bmp'), 'image/bmp');
    const res = await c.request({ method: 'POST', url: `/persons/${x.id}/photo?_csrf=${encodeURIComponent(c.csrf)}`, payload: m.payload, headers: { 'content-type': m.contentType } });
    expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(400);
    const report = await undo(c, a);
    expect(report.left).toEqual([{ entityType: 'person', entityId: x.id, name: 'Иксовf Илья Иванович', reason: 'edited' }]);
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор A' });
  });
});
