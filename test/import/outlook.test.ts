import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { commit, sample, uploadOk } from './helpers.js';
import { encodeSingleByte, encodeUtf16, foldBase64, qpEscape } from '../../src/features/import/parse/test-helpers.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { groupMemberships, mailingGroups } from '../../src/db/schema/groups.js';
import { importChanges } from '../../src/db/schema/imports.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { personEmails, personPhones, personPhotos, persons } from '../../src/db/schema/persons.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const db = () => t.database.db;
const RU_TEXT = new TextDecoder('windows-1251').decode(sample('outlook-ru-windows1251.csv'));

/** The Russian sample with its surnames made unique, so each variant creates its own persons. */
function ruVariant(tag: string, delimiter = ','): string {
  let text = RU_TEXT.replace(/Сидоров"/, `Сидоров${tag}"`).replace(/"Ёлкина"/, `"Ёлкина${tag}"`).replace(/"Щукин"/, `"Щукин${tag}"`);
  text = text.replace(/sidorov@/, `sidorov${tag}@`).replace(/elkina@/, `elkina${tag}@`).replace(/p\.shchukin@/, `p.shchukin${tag}@`);
  text = text.replace(/ООО «Ромашка»/g, `ООО «Ромашка ${tag}»`).replace(/АО «Северный завод»/g, `АО «Северный завод ${tag}»`);
  if (delimiter !== ',') text = text.replace(/","/g, `"${delimiter}"`);
  return text;
}

async function personBySurname(surname: string) {
  const [p] = await db().select().from(persons).where(eq(persons.surname, surname));
  return p;
}

async function phonesOf(id: number) {
  return (await db().select().from(personPhones).where(eq(personPhones.personId, id)).orderBy(asc(personPhones.position))).map((p) => [p.kind, p.number]);
}

async function emailsOf(id: number) {
  return (await db().select().from(personEmails).where(eq(personEmails.personId, id)).orderBy(asc(personEmails.position))).map((e) => e.email);
}

async function orgByName(name: string) {
  const [o] = await db().select().from(organizations).where(eq(organizations.name, name));
  return o;
}

describe('Outlook CSV import', () => {
  it('previews the Russian sample: format, encoding, delimiter and the rows as they will be stored', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('outlook-ru-windows1251.csv'), 'Контакты.CSV');
    const page = await c.get(`/import/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-format="outlook-csv"');
    expect(page.body).toContain('<dd data-encoding>windows-1251</dd>');
    expect(page.body).toContain('data-delimiter=","');
    expect(page.body).toContain('<dd data-counts>3 записи</dd>');
    expect(page.body).toContain('<strong>Сидоров</strong> Иван Петрович');
    expect(page.body).toContain('ООО «Ромашка» <span class="small ok" data-org="new">(будет создана)</span>');
    expect(page.body).toContain('ул. Ленина, д. 10, оф. 5 <span class="muted">(станет адресом организации)</span>');
    expect(page.body).toContain('(как у организации)');
    expect(page.body).toContain('Категории: VIP, Поставщики');
    // Nothing is written before the commit.
    expect(await personBySurname('Сидоров')).toBeUndefined();
    const fragment = await c.get(`/import/${id}`, { 'hx-request': 'true' });
    expect(fragment.body).not.toContain('<html');
    expect(fragment.body).toContain('id="import-status"');
  });

  it('commits the Russian sample: persons, organizations, addresses, phones, groups from categories, audit', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('outlook-ru-windows1251.csv'), 'contacts.csv');
    const batch = await commit(t, c, id, { options: '1', createGroups: '1' });
    expect(batch.status).toBe('committed');
    expect(batch.report).toMatchObject({ rows: { created: 3, updated: 0, skipped: 0, failed: 0 }, persons: { created: 3 }, organizations: { created: 2 }, groups: { created: 2 }, memberships: { created: 3 } });

    const romashka = await orgByName('ООО «Ромашка»');
    expect(romashka).toMatchObject({ addrIndex: '101000', addrCountry: 'Россия', addrRegion: 'Москва', addrLocality: 'Москва', addrStreet: 'ул. Ленина, д. 10, оф. 5', sortKey: 'ооо «ромашка»' });
    const sidorov = await personBySurname('Сидоров');
    expect(sidorov).toMatchObject({ firstName: 'Иван', patronymic: 'Петрович', organizationId: romashka.id, jobTitle: 'Генеральный директор', gender: 'male', note: 'Предпочитает звонки до обеда', addrStreet: '', createdBy: t.users.secretary.id });
    expect(sidorov.searchText).toContain('ооо «ромашка»');
    expect(sidorov.phoneDigits).toContain('74951234567');
    expect(await phonesOf(sidorov.id)).toEqual([
      ['work', '+7 (495) 123-45-67'],
      ['mobile', '8 916 111-22-33'],
    ]);
    expect(await emailsOf(sidorov.id)).toEqual(['sidorov@romashka.ru']);
    const elkina = await personBySurname('Ёлкина');
    expect(elkina).toMatchObject({ gender: 'female', organizationId: romashka.id, addrStreet: '', note: 'Многострочная заметка:\nвторая строка, с "кавычками"; и точкой с запятой' });

    const groups = await db().select().from(mailingGroups).where(inArray(mailingGroups.name, ['VIP', 'Поставщики']));
    expect(groups.map((g) => g.name).sort()).toEqual(['VIP', 'Поставщики']);
    const members = await db().select().from(groupMemberships).where(inArray(groupMemberships.groupId, groups.map((g) => g.id)));
    expect(members).toHaveLength(3);
    expect(members[0].reason).toContain('Категория Outlook');

    const audit = await db().select().from(auditLog).where(and(eq(auditLog.entityType, 'person'), eq(auditLog.entityId, sidorov.id)));
    expect(audit.map((a) => a.action)).toContain('create');
    expect(audit.find((a) => a.action === 'create')!.userId).toBe(t.users.secretary.id);
    expect((await db().select().from(auditLog).where(and(eq(auditLog.entityType, 'organization'), eq(auditLog.entityId, romashka.id)))).map((a) => a.action)).toEqual(['create']);
    const changes = await db().select().from(importChanges).where(eq(importChanges.batchId, id));
    expect(changes.filter((x) => x.entityType === 'person' && x.action === 'created')).toHaveLength(3);

    // The report page.
    const report = await c.get(`/import/${id}`);
    expect(report.body).toContain('data-status="committed"');
    expect(report.body).toContain('<td class="num" data-count="created">3</td>');
    expect(report.body).toContain('data-action="undo"');
    const all = await c.get(`/import/${id}?show=all`);
    expect((all.body.match(/data-outcome="created"/g) ?? []).length).toBe(3);
    expect(changes.filter((x) => x.entityType === 'person').map((x) => x.entityId).sort()).toEqual([sidorov.id, elkina.id, (await personBySurname('Щукин')).id].sort());
  });

  it('imports the English sample (UTF-8 with BOM) and puts the business address on the new organization', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('outlook-en-utf8.csv'), 'contacts.csv');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('<dd data-encoding>utf-8-bom</dd>');
    expect(page.body).toContain('<dd>английские</dd>');
    await commit(t, c, id);
    const smith = await personBySurname('Smith');
    const acme = await orgByName('Acme Ltd');
    expect(smith).toMatchObject({ firstName: 'John', patronymic: 'Q.', organizationId: acme.id, jobTitle: 'Purchasing Manager, Sales', gender: 'male' });
    expect(acme).toMatchObject({ addrLocality: 'London', addrIndex: 'SW1A 1AA', addrCountry: 'United Kingdom', addrStreet: '1 High Street' });
    expect(await phonesOf(smith.id)).toEqual([
      ['work', '+44 20 7946 0000'],
      ['mobile', '+44 7700 900000'],
    ]);
    // Categories become groups only when asked.
    expect(await db().select().from(mailingGroups).where(eq(mailingGroups.name, 'Suppliers'))).toEqual([]);
  });

  const variants: [string, (tag: string) => Buffer, string, string][] = [
    ['UTF-8 without BOM', (tag) => Buffer.from(ruVariant(tag), 'utf8'), 'utf-8', ','],
    ['UTF-16 LE with BOM', (tag) => encodeUtf16(ruVariant(tag), 'le'), 'utf-16le', ','],
    ['UTF-16 BE with BOM', (tag) => encodeUtf16(ruVariant(tag), 'be'), 'utf-16be', ','],
    ['Windows-1251 with semicolons (Excel)', (tag) => encodeSingleByte(ruVariant(tag, ';'), 'windows-1251'), 'windows-1251', ';'],
    ['UTF-8 with tabs', (tag) => Buffer.from(ruVariant(tag, '\t'), 'utf8'), 'utf-8', '\t'],
  ];
  for (const [name, make, encoding, delimiter] of variants) {
    it(`reads the Russian export as ${name}`, async () => {
      const tag = name.replace(/\W+/g, '').slice(0, 12);
      const c = await t.as('secretary');
      const id = await uploadOk(c, make(tag), 'contacts.csv');
      const page = await c.get(`/import/${id}`);
      expect(page.body).toContain(`<dd data-encoding>${encoding}</dd>`);
      expect(page.body).toContain(`data-delimiter="${delimiter}"`);
      await commit(t, c, id);
      const p = await personBySurname(`Ёлкина${tag}`);
      expect(p).toMatchObject({ firstName: 'Ёлена', patronymic: 'Сергеевна', gender: 'female', note: 'Многострочная заметка:\nвторая строка, с "кавычками"; и точкой с запятой' });
      expect((await db().select().from(organizations).where(eq(organizations.id, p.organizationId!)))[0].name).toBe(`ООО «Ромашка ${tag}»`);
      expect(await emailsOf(p.id)).toEqual([`elkina${tag}@romashka.ru`]);
    });
  }

  it('reads a Windows-1252 export (Western accents) and localizes row problems (Exchange address)', async () => {
    const x500 = '/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=mueller';
    const csv = `"First Name","Last Name","Company","E-mail Address","E-mail Type","E-mail 2 Address","Business Phone","Other Phone"\r\n"Jürgen","Müller","Bäckerei Groß","${x500}","EX","j.mueller@example.de","+49 30 1234567","+49 30 7654321"\r\n`;
    const c = await t.as('secretary');
    const id = await uploadOk(c, encodeSingleByte(csv, 'windows-1252'), 'west.csv');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('<dd data-encoding>windows-1252</dd>');
    expect(page.body).toContain(`адрес Exchange без SMTP пропущен: ${x500}`);
    expect(page.body).toContain('<dd data-counts>1 запись, 1 с замечаниями</dd>');
    await commit(t, c, id);
    const p = await personBySurname('Müller');
    expect(p.firstName).toBe('Jürgen');
    expect(await emailsOf(p.id)).toEqual(['j.mueller@example.de']);
    // "Other" phones have no kind of their own: they become work phones.
    expect(await phonesOf(p.id)).toEqual([
      ['work', '+49 30 1234567'],
      ['work', '+49 30 7654321'],
    ]);
  });

  it('matches the company to an existing organization case- and Ё-insensitively and keeps its address', async () => {
    const c = await t.as('secretary');
    const csv = `Фамилия;Имя;Организация;Улица (раб. адрес);Город (раб. адрес);Индекс (раб. адрес);Веб-страница\r\nКлёнов;Юрий;ооо «ромашка»;ул. Другая, 1;Тверь;170000;https://romashka.example\r\n`;
    const id = await uploadOk(c, Buffer.from(csv, 'utf8'), 'one.csv');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('data-org="existing"');
    expect(page.body).toContain('(собственный адрес)');
    await commit(t, c, id);
    const romashka = await orgByName('ООО «Ромашка»');
    const p = await personBySurname('Клёнов');
    expect(p.organizationId).toBe(romashka.id);
    // The organization had an address: the person keeps the business address as their own.
    expect(p).toMatchObject({ addrStreet: 'ул. Другая, 1', addrLocality: 'Тверь', addrIndex: '170000' });
    expect(romashka.addrLocality).toBe('Москва');
    // Its website was empty: the web page fills it.
    expect(romashka.website).toBe('https://romashka.example');
    expect(romashka.version).toBe(2);
  });
});

describe('rows without a person', () => {
  it('a company-only row creates (or fills) the organization; a row with nothing to name fails with a reason', async () => {
    const c = await t.as('secretary');
    const csv = `Фамилия;Имя;Организация;Рабочий телефон;Адрес эл. почты;Город (раб. адрес);Заметки\r\n;;АО «Только фирма»;+7 812 000-00-01;office@firm.example;Казань;\r\n;;;;;;Просто заметка\r\n`;
    const id = await uploadOk(c, Buffer.from(csv, 'utf8'), 'orgs.csv');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('только организация');
    expect(page.body).toContain('нет ни имени, ни организации');
    const batch = await commit(t, c, id);
    expect(batch.report).toMatchObject({ rows: { created: 1, failed: 1 }, persons: { created: 0 }, organizations: { created: 1 } });
    expect(await orgByName('АО «Только фирма»')).toMatchObject({ phones: '+7 812 000-00-01', email: 'office@firm.example', addrLocality: 'Казань' });
    const report = await c.get(`/import/${id}`);
    expect(report.body).toContain('нет ни фамилии, ни имени, ни организации');
  });
});

describe('vCard import', () => {
  it('imports Outlook 2.1 (quoted-printable, CHARSET=Windows-1251) with an embedded BMP photo', async () => {
    const bmp = sample('photo-24bit.bmp');
    const text = sample('outlook-2.1-windows1251.vcf').toString('latin1').replace('END:VCARD', `PHOTO;TYPE=BMP;ENCODING=BASE64:\r\n${foldBase64(bmp, 72, '    ')}\r\n\r\nEND:VCARD`);
    const c = await t.as('secretary');
    const id = await uploadOk(c, Buffer.from(text, 'latin1'), 'sidorov.vcf');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('data-format="vcard"');
    expect(page.body).toContain('<dd data-versions>2.1</dd>');
    expect(page.body).toContain('data-photo');
    // Same e-mail as the Сидоров imported from CSV: a probable duplicate; create anyway.
    expect(page.body).toContain('тот же e-mail');
    await commit(t, c, id, { all: 'create' });
    const list = await db().select().from(persons).where(eq(persons.surname, 'Сидоров')).orderBy(asc(persons.id));
    expect(list).toHaveLength(2);
    const p = list[1];
    expect(p).toMatchObject({ firstName: 'Иван', patronymic: 'Петрович', jobTitle: 'Генеральный директор' });
    expect(p.note).toContain('Важный клиент с 2015 года');
    const [photo] = await db().select().from(personPhotos).where(eq(personPhotos.personId, p.id));
    expect(photo.originalType).toBe('image/bmp');
    expect(photo.original.equals(bmp)).toBe(true);
    expect(photo.thumbnail.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  it('imports raw 8-bit Windows-1251 2.1 cards, 3.0 and 4.0 cards, several per file, and notes a bad photo', async () => {
    const cp = (s: string) => encodeSingleByte(s, 'windows-1251').toString('latin1');
    const raw21 = ['BEGIN:VCARD', 'VERSION:2.1', `N:${cp('Сыров;Павел;Игнатьевич')}`, `ORG:${cp('ООО «Сыр»')}`, 'TEL;CELL:+79000000010', `NOTE;ENCODING=QUOTED-PRINTABLE:${qpEscape(encodeSingleByte('Заметка', 'windows-1251'))}`, 'END:VCARD'];
    const v30 = sample('vcard-3.0-utf8.vcf').toString('utf8').trim().split(/\r?\n/);
    const v40 = ['BEGIN:VCARD', 'VERSION:4.0', 'FN:Анна Смирнова', 'N:Смирнова;Анна;Викторовна;;', 'TEL;VALUE=uri;TYPE="work,voice":tel:+7-495-111-22-33', 'EMAIL;TYPE=work:smirnova@romashka.example', 'GENDER:F', 'PHOTO:data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk', 'END:VCARD'];
    // Raw 8-bit bytes of one card next to UTF-8 cards: each value is decoded on its own.
    const file = Buffer.from([...raw21, ...v30.map((l) => Buffer.from(l, 'utf8').toString('latin1')), ...v40.map((l) => Buffer.from(l, 'utf8').toString('latin1'))].join('\r\n') + '\r\n', 'latin1');
    const c = await t.as('secretary');
    const id = await uploadOk(c, file, 'mixed.vcf');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('<dd data-versions>2.1, 3.0, 4.0</dd>');
    expect(page.body).toContain('<dd data-counts>3 записи, 1 с замечаниями</dd>');
    expect(page.body).toContain('фото не подошло');
    await commit(t, c, id);
    expect(await personBySurname('Сыров')).toMatchObject({ firstName: 'Павел', patronymic: 'Игнатьевич', note: 'Заметка' });
    const k = await personBySurname('Кузнецов');
    expect(k).toMatchObject({ firstName: 'Алексей', patronymic: 'Игоревич', jobTitle: 'Менеджер, Отдел продаж', note: 'Первая строка\nвторая строка' });
    expect((await orgByName('ООО "Вектор"')).addrLocality).toBe('Екатеринбург');
    const s = await personBySurname('Смирнова');
    expect(s.gender).toBe('female');
    expect(await phonesOf(s.id)).toEqual([['work', '+7-495-111-22-33']]);
    expect(await db().select().from(personPhotos).where(eq(personPhotos.personId, s.id))).toEqual([]);
  });
});
