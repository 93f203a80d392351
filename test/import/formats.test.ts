import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, count, eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { commit, sample, upload, uploadOk } from './helpers.js';
import * as helpers from './helpers.js';
import { importMappings } from '../../src/db/schema/imports.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { personEmails, persons } from '../../src/db/schema/persons.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const db = () => t.database.db;

const personBySurname = (surname: string) => helpers.personBySurname(db(), surname);
const phonesOf = (id: number) => helpers.phonesOf(db(), id);

const personCount = async () => (await db().select({ n: count() }).from(persons))[0].n;

describe('CSV formats recognized by their header signature', () => {
  it('Google Contacts: named in the preview, typed phones and addresses read, unloaded columns listed per file and per row', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('google-contacts.csv'), 'contacts.csv');
    const page = await c.get(`/import/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-format="google-csv"');
    expect(page.body).toContain('Google Контакты (CSV)');
    // Per file: each column with how many rows have a value there.
    expect(page.body).toContain('3 столбца не будут загружены:</strong> Nickname (1), Birthday (1), Occupation (1)');
    // Per row, with the values.
    expect(page.body).toContain('2 столбца не будут загружены: Nickname: Ваня; Birthday: 1975-04-12');
    expect(page.body).toContain('1 столбец не будет загружен: Occupation: Architect');

    const batch = await commit(t, c, id);
    expect(batch.status).toBe('committed');
    const report = await c.get(`/import/${id}`);
    expect(report.body).toContain('3 столбца не загружены:</strong> Nickname (1), Birthday (1), Occupation (1)');

    const sidorov = await personBySurname('Сидоров');
    expect(sidorov).toMatchObject({ firstName: 'Иван', patronymic: 'Петрович', jobTitle: 'Директор по закупкам, Отдел снабжения' });
    expect(await phonesOf(sidorov.id)).toEqual([
      ['mobile', '+7 916 111-22-33'],
      ['work', '+7 495 123-45-67'],
      ['fax', '+7 495 123-45-68'],
    ]);
    const berg = await personBySurname('Berg');
    expect(await phonesOf(berg.id)).toEqual([
      ['mobile', '+49 151 2345 6789'],
      ['mobile', '+49 30 1234 5678'],
    ]);
    expect(berg).toMatchObject({ addrLocality: 'Berlin', addrStreet: 'Lindenstraße 5', addrIndex: '10969' });
    // A card named after its organization is the organization alone.
    const [vektor] = await db().select().from(organizations).where(eq(organizations.name, 'ООО «Вектор»'));
    expect(vektor).toBeTruthy();
    expect(await personBySurname('«Вектор»')).toBeUndefined();
  });

  it('Thunderbird and Roundcube: named as such, e-mails, phones and the work address read', async () => {
    const c = await t.as('secretary');
    const tb = await uploadOk(c, sample('thunderbird.csv'), 'abook.csv');
    const page = await c.get(`/import/${tb}`);
    expect(page.body).toContain('data-format="thunderbird-csv"');
    expect(page.body).toContain('5 столбцов не будут загружены: Nickname: Оля; Birth Year: 1980; Birth Month: 3; Birth Day: 8; Custom 1: табельный 1042');
    await commit(t, c, tb);
    const olga = await personBySurname('Кузнецова');
    expect(await phonesOf(olga.id)).toEqual([
      ['work', '+7 (812) 555-10-20'],
      ['fax', '+7 (812) 555-10-21'],
      ['mobile', '+7 921 555-10-22'],
    ]);
    const emails = await db().select().from(personEmails).where(eq(personEmails.personId, olga.id)).orderBy(asc(personEmails.position));
    expect(emails.map((e) => e.email)).toEqual(['o.kuznetsova@sever.example', 'olga.k@mail.example']);

    const rc = await uploadOk(c, sample('roundcube.csv'), 'roundcube.csv');
    const rcPage = await c.get(`/import/${rc}`);
    expect(rcPage.body).toContain('data-format="thunderbird-csv"');
    expect(rcPage.body).toContain('data-delimiter=";"');
    await commit(t, c, rc);
    const smirnova = await personBySurname('Смирнова');
    expect(smirnova).toMatchObject({ firstName: 'Мария', patronymic: 'Ивановна', addrLocality: 'Москва' });
    expect(await phonesOf(smirnova.id)).toEqual([
      ['home', '+7 495 765-43-20'],
      ['fax', '+7 495 765-43-21'],
    ]);
  });
});

describe('a CSV no format matches: the column mapping step', () => {
  const file = Buffer.from('Клиент;Телефон;Почта;Город;Откуда узнали\r\nПетренко Олег;+7 900 000-00-01;petrenko@client.example;Тула;выставка\r\nОрлова Нина;+7 900 000-00-02;orlova@client.example;Тверь;\r\n', 'utf8');
  const form = (cols: string[]) => Object.fromEntries(cols.map((v, i) => [`col.${i}`, v]));

  it('lists every column with its first values and a guess, refuses bad mappings, reads the file with a good one and remembers it', async () => {
    const c = await t.as('secretary');
    const before = await personCount();
    const id = await uploadOk(c, file, 'clients.csv');
    const page = await c.get(`/import/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-mapping');
    expect(page.body).toContain('Сопоставление столбцов');
    for (const h of ['Клиент', 'Телефон', 'Почта', 'Город', 'Откуда узнали']) expect(page.body).toContain(`>${h}</label>`);
    expect(page.body).toContain('Петренко Олег · Орлова Нина');
    // Guessed from the names: the phone and e-mail columns are preselected.
    expect(page.body).toMatch(/name="col\.1"[^]*?<option value="phone\.work" selected>/);
    expect(page.body).toMatch(/name="col\.2"[^]*?<option value="email" selected>/);
    // Nothing can be committed before the columns are mapped.
    expect((await c.post(`/import/${id}/commit`, {})).statusCode).toBe(409);

    const nothing = await c.post(`/import/${id}/mapping`, form(['', '', '', '', '']));
    expect(nothing.statusCode).toBe(422);
    expect(nothing.body).toContain('Ни один столбец не сопоставлен с полем справочника');
    const twice = await c.post(`/import/${id}/mapping`, form(['lastName', '', 'email', 'lastName', '']));
    expect(twice.statusCode).toBe(422);
    expect(twice.body).toContain('Два столбца сопоставлены с одним полем «Фамилия»');
    // The refused choices are shown again as they were made.
    expect(twice.body).toMatch(/name="col\.3"[^]*?<option value="lastName" selected>/);
    const unknown = await c.post(`/import/${id}/mapping`, form(['nonsense', '', '', '', '']));
    expect(unknown.statusCode).toBe(422);
    expect(unknown.body).toContain('Для столбца №1 выбрано неизвестное поле');
    const noName = await c.post(`/import/${id}/mapping`, form(['', 'phone.work', '', 'b.city', '']));
    expect(noName.statusCode).toBe(422);
    expect(await personCount()).toBe(before);

    const ok = await c.post(`/import/${id}/mapping`, form(['fullName', 'phone.mobile', 'email', 'h.city', '']));
    expect(ok.statusCode).toBe(303);
    const preview = await c.get(`/import/${id}`);
    expect(preview.body).toContain('data-format="csv"');
    expect(preview.body).toContain('столбцы сопоставлены вручную');
    expect(preview.body).toContain('<dd data-counts>2 записи');
    expect(preview.body).toContain('1 столбец не будет загружен: Откуда узнали: выставка');
    expect(preview.body).toContain('data-change-mapping');
    expect((await db().select().from(importMappings)).map((m) => m.mapping)).toContainEqual([{ to: 'fullName' }, { to: 'phone.mobile' }, { to: 'email' }, { to: 'h.city' }, null]);

    await commit(t, c, id);
    const petrenko = await personBySurname('Петренко');
    expect(petrenko).toMatchObject({ firstName: 'Олег', addrLocality: 'Тула' });
    expect(await phonesOf(petrenko.id)).toEqual([['mobile', '+7 900 000-00-01']]);

    // The same columns again (other rows, other spacing in the header): read at once with the mapping.
    const again = await uploadOk(c, Buffer.from('клиент ; Телефон;ПОЧТА;Город;Откуда узнали\r\nСоколов Павел;+7 900 000-00-03;sokolov@client.example;Омск;\r\n'), 'clients2.csv');
    const second = await c.get(`/import/${again}`);
    expect(second.body).not.toContain('data-mapping-columns');
    expect(second.body).toContain('<strong>Соколов</strong> Павел');
  });

  it("a recognized format's mapping corrected by the user: its columns guessed, the file read again, the mapping remembered for that header", async () => {
    const c = await t.as('secretary');
    const csv = (row: string) => Buffer.from(`Фамилия;Имя;Организация;Телефон;Email\r\n${row}\r\n`, 'utf8');
    const id = await uploadOk(c, csv('Климов;Денис;ООО «Вектор-2»;+7 900 222-33-44;klimov@vektor2.example'), 'own.csv');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('data-format="outlook-csv"');
    expect(page.body).toContain('2 столбца не будут загружены:</strong> Телефон (1), Email (1)');
    expect(page.body).toContain(`href="/import/${id}?mapping=1" data-change-mapping`);
    const form = await c.get(`/import/${id}?mapping=1`);
    expect(form.body).toContain('Файл будет прочитан заново.');
    expect(form.body).toMatch(/name="col\.0"[^]*?<option value="lastName" selected>/);
    expect(form.body).toMatch(/name="col\.3"[^]*?<option value="phone\.work" selected>/);
    expect(form.body).toMatch(/name="col\.4"[^]*?<option value="email" selected>/);
    const ok = await c.post(`/import/${id}/mapping`, { 'col.0': 'lastName', 'col.1': 'firstName', 'col.2': 'company', 'col.3': 'phone.mobile', 'col.4': 'email' });
    expect(ok.statusCode).toBe(303);
    const preview = await c.get(`/import/${id}`);
    expect(preview.body).toContain('data-format="csv"');
    expect(preview.body).not.toContain('data-dropped');
    // The next file with this header is read with the user's mapping, not as Outlook's.
    const again = await uploadOk(c, csv('Носова;Ульяна;ООО «Вектор-2»;+7 900 222-33-55;nosova@vektor2.example'), 'own2.csv');
    const second = await c.get(`/import/${again}`);
    expect(second.body).toContain('data-format="csv"');
    expect(second.body).toContain('столбцы сопоставлены вручную');
    await commit(t, c, again);
    const nosova = await personBySurname('Носова');
    expect(await phonesOf(nosova.id)).toEqual([['mobile', '+7 900 222-33-55']]);
  });

  it('a text with fewer than two columns is still refused', async () => {
    const c = await t.as('secretary');
    const res = await upload(c, Buffer.from('Hello\r\nthis is a letter\r\n'), 'letter.csv');
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('в первой строке нет заголовков столбцов');
  });
});
