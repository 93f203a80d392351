import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { asc, count, eq } from 'drizzle-orm';
import { Client, createTestApp, PASSWORD, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { commit, multipart, outlookRuCsv, sample, uploadOk } from './helpers.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { groupMemberships, mailingGroups } from '../../src/db/schema/groups.js';
import { importBatches, importChanges } from '../../src/db/schema/imports.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { personEmails, personPhones, personPhotos, persons } from '../../src/db/schema/persons.js';
import { users } from '../../src/db/schema/users.js';
import { insertUser } from '../../src/features/users/queries.js';
import { dateFormatters, translator } from '../../src/i18n/index.js';
import { hashPassword } from '../../src/lib/passwords.js';
import { photoLabel } from '../../src/features/persons/model.js';

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
const csv = outlookRuCsv;
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

/** A file's note added under the card's, as "update" does (issue 19: appended, never replaced). */
const day = () => {
  const d = new Date();
  return `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}.${d.getFullYear()}`;
};
const appended = (...notes: string[]) => notes.join(`\n\n— ${day()} —\n`);

describe('undo of two batches over the same cards', () => {
  it('undoes the later batch, then the earlier one, completely', async () => {
    const { c, x, y, a, b, counts } = await twoBatches('a');
    const afterB = await person(x.id);

    expect(await undo(c, b)).toMatchObject({ restored: 2, left: [] });
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор A', note: appended('Исходная', 'Заметка A') });
    expect(await phonesOf(x.id)).toEqual(['+7 495 100-00-01', '+7 495 100-00-02']);
    expect((await person(y.id)).jobTitle).toBe('');
    // Undo writes a new version: it never goes back to one an open form may hold.
    expect((await person(x.id)).version).toBeGreaterThan(afterB.version);
    // An undone later batch no longer stands in the way: the button is back.
    const before = await c.get(`/import/${a}`);
    expect(before.body).toContain('data-action="undo"');
    expect(before.body).not.toContain('data-undo-blocked');

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
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор A', note: appended('Исходная', 'Заметка A') });
    // Nor can a form opened before the earlier batch, once both are undone.
    expect(await undo(c, a)).toMatchObject({ restored: 1, left: [] });
    expect((await saveForm(other, x.id, stale, { jobTitle: 'Из старой формы' })).statusCode).toBe(409);
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Инженер', note: 'Исходная' });
    // A form opened now saves.
    expect((await saveForm(other, x.id, await openForm(other, x.id), { jobTitle: 'Новая должность' })).statusCode).toBe(303);
    expect((await person(x.id)).jobTitle).toBe('Новая должность');
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

  it('a photo an import puts on an existing card, and its undo, are in the card\'s history', async () => {
    const c = await t.as('secretary');
    const bmp = sample('photo-24bit.bmp');
    const doc = (photo: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<contacts xmlns="urn:edms:crm:contacts:1" version="1" exported="2026-01-01T00:00:00.000Z" scope="all">
  <groups/><organizations/>
  <persons><person id="p1-photohist"><surname>Фотоимпортов</surname><firstName>Глеб</firstName><email>photo-hist@example.ru</email>${photo}</person></persons>
  <memberships/>
</contacts>
`);
    const a = await uploadOk(c, doc(''), 'a.xml');
    expect((await commit(t, c, a)).report).toMatchObject({ persons: { created: 1 } });
    const [x] = await db().select().from(persons).where(eq(persons.surname, 'Фотоимпортов'));
    const b = await uploadOk(c, doc(`<photo type="image/bmp">${bmp.toString('base64')}</photo>`), 'b.xml');
    expect((await commit(t, c, b, { options: '1', all: 'update' })).report).toMatchObject({ persons: { updated: 1 } });
    const [stored] = await db().select().from(personPhotos).where(eq(personPhotos.personId, x.id));
    expect(stored.original.equals(bmp)).toBe(true);
    const label = photoLabel(stored);
    const photoEntries = async () =>
      (await db().select().from(auditLog).where(eq(auditLog.entityId, x.id)).orderBy(asc(auditLog.id)))
        .filter((e) => e.entityType === 'person' && 'photo' in (e.changes as object))
        .map((e) => (e.changes as Record<string, unknown>).photo);
    expect(await photoEntries()).toEqual([[null, label]]);
    expect((await c.get(`/persons/${x.id}?tab=history`)).body).toContain('фото добавлено');
    await undo(c, b);
    expect(await photoEntries()).toEqual([[null, label], [label, null]]);
    expect(await db().select().from(personPhotos).where(eq(personPhotos.personId, x.id))).toEqual([]);
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

describe('undo of an earlier batch while a later one on its records is applied', () => {
  /** Every table an undo writes, in a stable order: a refused undo must leave all of it as it was. */
  async function snapshot() {
    return {
      persons: await db().select().from(persons).orderBy(asc(persons.id)),
      phones: await db().select().from(personPhones).orderBy(asc(personPhones.id)),
      emails: await db().select().from(personEmails).orderBy(asc(personEmails.id)),
      organizations: await db().select().from(organizations).orderBy(asc(organizations.id)),
      groups: await db().select().from(mailingGroups).orderBy(asc(mailingGroups.id)),
      memberships: await db().select().from(groupMemberships).orderBy(asc(groupMemberships.id)),
      batches: await db().select().from(importBatches).orderBy(asc(importBatches.id)),
      changes: await db().select().from(importChanges).orderBy(asc(importChanges.id)),
      audit: (await db().select({ n: count() }).from(auditLog))[0].n,
    };
  }
  const batch = async (id: number) => (await db().select().from(importBatches).where(eq(importBatches.id, id)))[0];
  const ruStamp = dateFormatters('ru').stamp;

  async function refused(c: Client, id: number) {
    const before = await snapshot();
    const res = await c.post(`/import/${id}/undo`);
    expect(res.statusCode, res.body.slice(0, 500)).toBe(409);
    expect(await snapshot()).toEqual(before);
    expect((await batch(id)).status).toBe('committed');
    return res.body;
  }

  async function englishSecretary() {
    const u = await insertUser(db(), { login: 'secretary-en', name: 'Secretary Emma', passwordHash: await hashPassword(PASSWORD), role: 'secretary' });
    await db().update(users).set({ locale: 'en' }).where(eq(users.id, u.id));
    const c = new Client(t.app);
    await c.signIn('secretary-en', PASSWORD);
    return c;
  }

  it('is refused as a whole and changes nothing; the page names the later batch with a link; undone newest first it completes', async () => {
    const { c, x, y, a, b, counts } = await twoBatches('e');
    const later = await batch(b);
    const link = `<li data-later-batch="${b}"><a href="/import/${b}">Импорт №${b}: «b.csv», выполнен ${ruStamp(later.committedAt!)}</a></li>`;

    // The page says it before anyone tries, and offers no button; the later batch's page does.
    const page = await c.get(`/import/${a}`);
    expect(page.body).toContain('role="status" data-undo-blocked');
    expect(page.body).toContain(link);
    expect(page.body).not.toContain('data-action="undo"');
    const laterPage = await c.get(`/import/${b}`);
    expect(laterPage.body).toContain('data-action="undo"');
    expect(laterPage.body).not.toContain('data-undo-blocked');

    // The server refuses it all the same (a page opened earlier, a crafted request).
    const body = await refused(c, a);
    expect(body).toContain('role="alert" data-undo-blocked');
    expect(body).toContain('Отменить этот импорт пока нельзя: те же карточки затронул 1 более поздний импорт, и он не отменён. Импорты отменяются от новых к старым, поэтому сначала отмените:');
    expect(body).toContain(link);
    expect(body).not.toContain('data-action="undo"');
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Директор B', note: appended('Исходная', 'Заметка A', 'Заметка B') });

    expect(await undo(c, b)).toMatchObject({ restored: 2, left: [] });
    expect(await undo(c, a)).toMatchObject({ removed: 2, restored: 1, left: [] });
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Инженер', note: 'Исходная' });
    expect(await phonesOf(x.id)).toEqual(['+7 495 100-00-01']);
    expect(await person(y.id)).toBeUndefined();
    expect(await personsCount()).toBe(counts.persons);
    expect(await orgsCount()).toBe(counts.organizations);
  });

  it('names every later batch still applied, oldest first, in English for an English-speaking user', async () => {
    const { c, x, a, b } = await twoBatches('g');
    const third = await uploadOk(c, csv(`Иксовg;Илья;;ООО «Старое g»;Директор C;;xg@example.ru;Заметка C;`), 'c.csv');
    await commit(t, c, third, { options: '1', all: 'update' });
    const [later, latest] = [await batch(b), await batch(third)];

    const ru = await refused(c, a);
    expect(ru).toContain('те же карточки затронули 2 более поздних импорта, и они не отменены.');
    expect(ru.indexOf(`href="/import/${b}"`)).toBeLessThan(ru.indexOf(`href="/import/${third}"`));
    expect(ru).toContain(`Импорт №${third}: «c.csv», выполнен ${ruStamp(latest.committedAt!)}`);

    const en = await refused(await englishSecretary(), a);
    const enStamp = dateFormatters('en').stamp;
    expect(en).toContain('This import cannot be undone yet: 2 later imports touched the same cards and have not been undone. Imports are undone newest first, so first undo:');
    expect(en).toContain(`<a href="/import/${b}">Import #${b}: “b.csv”, completed ${enStamp(later.committedAt!)}</a>`);
    expect(en).toContain(`<a href="/import/${third}">Import #${third}: “c.csv”, completed ${enStamp(latest.committedAt!)}</a>`);
    // The middle one waits for the latest only.
    const middle = await c.get(`/import/${b}`);
    expect(middle.body).toContain(`href="/import/${third}"`);
    expect(middle.body).not.toContain(`href="/import/${a}"`);

    expect(await undo(c, third)).toMatchObject({ restored: 1, left: [] });
    expect(await undo(c, b)).toMatchObject({ restored: 2, left: [] });
    expect(await undo(c, a)).toMatchObject({ removed: 2, restored: 1, left: [] });
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Инженер', note: 'Исходная' });
  });

  it('counts in Russian plural forms', () => {
    const ru = translator('ru');
    expect(ru('import.undo.blocked', { count: 1 })).toContain('затронул 1 более поздний импорт, и он не отменён');
    expect(ru('import.undo.blocked', { count: 3 })).toContain('затронули 3 более поздних импорта, и они не отменены');
    expect(ru('import.undo.blocked', { count: 5 })).toContain('затронули 5 более поздних импортов, и они не отменены');
    expect(ru('import.undo.blocked', { count: 21 })).toContain('затронул 21 более поздний импорт');
    expect(translator('en')('import.undo.blocked', { count: 1 })).toContain('1 later import touched the same cards and has not been undone');
  });

  it('a later batch that put a new person into an organization this one created blocks it too', async () => {
    const c = await t.as('secretary');
    const counts = { persons: await personsCount(), organizations: await orgsCount() };
    const a = await uploadOk(c, csv('Первов;Павел;;АО «Новая h»;;;first-h@example.ru;;'), 'a.csv');
    expect((await commit(t, c, a)).report).toMatchObject({ persons: { created: 1 }, organizations: { created: 1 } });
    const b = await uploadOk(c, csv('Второв;Виктор;;АО «Новая h»;;;second-h@example.ru;;'), 'b.csv');
    expect((await commit(t, c, b)).report).toMatchObject({ persons: { created: 1 }, organizations: { created: 0, updated: 0 } });

    expect(await refused(c, a)).toContain(`href="/import/${b}"`);
    expect(await undo(c, b)).toMatchObject({ removed: 1, left: [] });
    // The organization is empty again, so it goes with the earlier batch rather than staying as "history".
    expect(await undo(c, a)).toMatchObject({ removed: 2, left: [] });
    expect(await personsCount()).toBe(counts.persons);
    expect(await orgsCount()).toBe(counts.organizations);
  });

  it('a later XML batch that added a membership to a person this one created blocks it too', async () => {
    const xml = (groups: string, memberships: string) =>
      Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>
<contacts xmlns="urn:edms:crm:contacts:1" version="1" exported="2026-01-01T00:00:00.000Z" scope="all">
  <groups>${groups}</groups>
  <organizations/>
  <persons>
    <person id="p1-member">
      <surname>Членов</surname>
      <firstName>Марк</firstName>
    </person>
  </persons>
  <memberships>${memberships}</memberships>
</contacts>
`);
    const c = await t.as('secretary');
    const counts = { persons: await personsCount(), groups: (await db().select({ n: count() }).from(mailingGroups))[0].n };
    const a = await uploadOk(c, xml('', ''), 'a.xml');
    expect((await commit(t, c, a)).report).toMatchObject({ persons: { created: 1 } });
    const b = await uploadOk(c, xml('<group id="g1-member"><name>Члены m</name></group>', '<membership group="g1-member" person="p1-member"/>'), 'b.xml');
    // The person is the same card (skipped as a duplicate): only the group and the membership are new.
    expect((await commit(t, c, b, { options: '1', all: 'skip' })).report).toMatchObject({ persons: { created: 0, updated: 0 }, groups: { created: 1 }, memberships: { created: 1 } });

    expect(await refused(c, a)).toContain(`href="/import/${b}"`);
    expect(await undo(c, b)).toMatchObject({ removed: 2, left: [] });
    expect(await undo(c, a)).toMatchObject({ removed: 1, left: [] });
    expect(await personsCount()).toBe(counts.persons);
    expect((await db().select({ n: count() }).from(mailingGroups))[0].n).toBe(counts.groups);
  });

  it('later batches on other cards do not block, nor does a later one already undone', async () => {
    const c = await t.as('secretary');
    const a = await uploadOk(c, csv('Свой;Семён;;АО «Своя i»;;;own-i@example.ru;;'), 'a.csv');
    await commit(t, c, a);
    const [own] = await db().select().from(persons).where(eq(persons.surname, 'Свой'));
    const b = await uploadOk(c, csv('Свой;Семён;;АО «Своя i»;Директор;;own-i@example.ru;;'), 'b.csv');
    await commit(t, c, b, { options: '1', all: 'update' });
    await undo(c, b);
    const other = await uploadOk(c, csv('Чужой;Чеслав;;АО «Чужая i»;;;other-i@example.ru;;'), 'other.csv');
    await commit(t, c, other);
    const [stranger] = await db().select().from(persons).where(eq(persons.surname, 'Чужой'));

    const page = await c.get(`/import/${a}`);
    expect(page.body).toContain('data-action="undo"');
    expect(page.body).not.toContain('data-undo-blocked');
    expect(await undo(c, a)).toMatchObject({ removed: 2, left: [] });
    expect(await person(own.id)).toBeUndefined();
    expect(await person(stranger.id)).toMatchObject({ surname: 'Чужой' });
    expect((await batch(other)).status).toBe('committed');
  });

  it('two secretaries undoing the earlier and the later batch at the same moment never leave the shared cards behind', async () => {
    const { c, x, y, a, b } = await twoBatches('k');
    const other = await t.as('admin');
    const [first, second] = await Promise.all([c.post(`/import/${a}/undo`), other.post(`/import/${b}/undo`)]);
    expect(second.statusCode).toBe(303);
    expect((await batch(b)).undoReport).toMatchObject({ restored: 2, left: [] });
    // Either the earlier one waited for the later one and then went through, or it was refused
    // while the later one was still applied and goes through now.
    if (first.statusCode === 409) expect(await undo(c, a)).toMatchObject({ removed: 2, restored: 1, left: [] });
    else {
      expect(first.statusCode).toBe(303);
      expect(await undoReport(a)).toMatchObject({ removed: 2, restored: 1, left: [] });
    }
    expect(await person(x.id)).toMatchObject({ jobTitle: 'Инженер', note: 'Исходная' });
    expect(await person(y.id)).toBeUndefined();
  });

  // Only a server has a second connection to hold the lock from; PGlite runs one transaction at a time.
  it.runIf(Boolean(process.env.DATABASE_URL))('waits for an undo of the later batch in progress, then decides on what it left', async () => {
    const pool = (db() as unknown as { $client: pg.Pool }).$client;
    const c = await t.as('secretary');
    for (const outcome of ['rolled back', 'committed'] as const) {
      const { a, b } = await twoBatches(outcome === 'committed' ? 'n' : 'm');
      const other = await pool.connect();
      try {
        // As an undo of the later batch holds its row while it runs.
        await other.query('begin');
        await other.query('select id from import_batches where id = $1 for update', [b]);
        if (outcome === 'committed') await other.query(`update import_batches set status = 'undone', undone_at = now() where id = $1`, [b]);
        let settled = false;
        const pending = c.post(`/import/${a}/undo`).then((res) => ((settled = true), res));
        await new Promise((r) => setTimeout(r, 300));
        expect(settled).toBe(false);
        await other.query(outcome === 'committed' ? 'commit' : 'rollback');
        // Still applied: refused; undone meanwhile: the earlier batch goes through.
        expect((await pending).statusCode).toBe(outcome === 'committed' ? 303 : 409);
        expect((await batch(a)).status).toBe(outcome === 'committed' ? 'undone' : 'committed');
      } finally {
        other.release();
      }
    }
  });
});
