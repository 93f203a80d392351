import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { commit, outlookRuCsv, sample, uploadOk } from './helpers.js';
import * as helpers from './helpers.js';
import { organizations } from '../../src/db/schema/organizations.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const db = () => t.database.db;

const personBySurname = (surname: string) => helpers.personBySurname(db(), surname);
const phonesOf = (id: number) => helpers.phonesOf(db(), id);

const today = () => {
  const d = new Date();
  return `${String(d.getDate()).padStart(2, '0')}.${String(d.getMonth() + 1).padStart(2, '0')}.${d.getFullYear()}`;
};

describe('vCard 2.1 text without a CHARSET', () => {
  it('The Bat!: Polish text read as Windows-1250 by statistics, and the preview says so', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('thebat-2.1-windows1250.vcf'), 'thebat.vcf');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('<dd data-encoding>windows-1250</dd>');
    expect(page.body).toContain('windows-1250 по статистике (9)');
    expect(page.body).not.toContain('windows-1251');
    await commit(t, c, id);
    expect(await personBySurname('Wiśniewski')).toMatchObject({ firstName: 'Paweł', note: 'Gdańsk', addrLocality: '' });
    expect(await personBySurname('Dvořák')).toMatchObject({ firstName: 'Jiří' });
    const [org] = await db().select().from(organizations).where(eq(organizations.name, 'Zakłady Łódzkie Sp. z o.o.'));
    expect(org).toMatchObject({ addrLocality: 'Łódź', addrRegion: 'łódzkie' });
  });

  it('a card declaring windows-1252 is shown as windows-1252, never windows-1251', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('outlook-2.1-windows1252.vcf'), 'de.vcf');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('<dd data-encoding>windows-1252</dd>');
    expect(page.body).toContain('windows-1252 указана в файле (5)');
    expect(page.body).not.toContain('windows-1251');
    expect(page.body).toContain('<strong>Müller</strong> Jürgen');
  });
});

describe('phones, labels and logos', () => {
  it('one number as mobile, work and fax is stored once as fax; homefax and workfax are fax; the others are noted', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('android-roundcube-mixed.vcf'), 'phone.vcf');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('один номер указан с несколькими видами, сохранён один раз с самым точным (первым): +7 916 111-22-33 = 8 916 111-22-33 = +79161112233: факс, мобильный, рабочий');
    expect(page.body).toContain('логотип организации не загружается');
    expect(page.body).toContain('повреждённая надпись адреса (LABEL) не попала в улицу');
    expect(page.body).toContain('2 поля не будут загружены: NICKNAME: Аня; BDAY: 1990-02-14');
    expect(page.body).toContain('2 поля карточек не будут загружены:</strong> NICKNAME (1), BDAY (1)');
    await commit(t, c, id);
    const lebedev = await personBySurname('Лебедев');
    expect(await phonesOf(lebedev.id)).toEqual([['fax', '+7 916 111-22-33']]);
    const frolova = await personBySurname('Фролова');
    expect(await phonesOf(frolova.id)).toEqual([
      ['fax', '+7 495 222-33-44'],
      ['fax', '+7 495 222-33-45'],
      ['mobile', '+7 926 222-33-46'],
    ]);
    const [dummy] = await db().select().from(organizations).where(eq(organizations.name, 'Dummy GmbH'));
    expect(dummy).toMatchObject({ addrStreet: 'Dummy-Dummy-Strasse 1', addrLocality: 'Dummystadt', addrIndex: '12345' });
    expect(JSON.stringify(dummy)).not.toContain('BHG01');
  });

  it('"update": numbers compared by E.164 (never stored twice), the note appended under a dated separator, the preview shows each change', async () => {
    const c = await t.as('secretary');
    const first = await uploadOk(c, outlookRuCsv('Орлов;Игорь;;ООО «Рассвет»;Инженер;8 916 555-44-33;orlov@rassvet.example;Старая заметка;'), 'first.csv');
    await commit(t, c, first);
    const second = await uploadOk(c, outlookRuCsv('Орлов;Игорь;Петрович;ООО «Рассвет»;Главный инженер;+7 916 555-44-33;orlov@rassvet.example;Новая заметка;'), 'second.csv');
    const page = await c.get(`/import/${second}`);
    expect(page.body).toContain('data-update-changes');
    expect(page.body).toContain('при обновлении изменятся 3 поля');
    expect(page.body).toMatch(/data-change="patronymic"><strong>Отчество:<\/strong> <span class="muted">\(пусто\)<\/span> → Петрович/);
    expect(page.body).toMatch(/data-change="jobTitle"><strong>Должность:<\/strong> <span class="muted">Инженер<\/span> → Главный инженер/);
    expect(page.body).toContain(`<span class="muted">Старая заметка</span> → Старая заметка\n\n— ${today()} —\nНовая заметка`);
    expect(page.body).not.toContain('data-change="phones"');
    await commit(t, c, second, { options: '1', all: 'update' });
    const orlov = await personBySurname('Орлов');
    expect(orlov).toMatchObject({ patronymic: 'Петрович', jobTitle: 'Главный инженер', note: `Старая заметка\n\n— ${today()} —\nНовая заметка` });
    expect(await phonesOf(orlov.id)).toEqual([['work', '8 916 555-44-33']]);
  });
});
