import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, count, eq } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { commit, sample, upload, uploadOk } from './helpers.js';
import { importBatches } from '../../src/db/schema/imports.js';
import { personPhones, persons } from '../../src/db/schema/persons.js';

let t: TestApp;
let small: TestApp;
beforeAll(async () => {
  [t, small] = await Promise.all([createTestApp(), createTestApp({ IMPORT_MAX_ROWS: '2' })]);
});
afterAll(async () => {
  await t?.close();
  await small?.close();
});

const db = () => t.database.db;

async function personBySurname(surname: string) {
  const [p] = await db().select().from(persons).where(eq(persons.surname, surname));
  return p;
}

async function counts(app: TestApp) {
  const d = app.database.db;
  return {
    batches: (await d.select({ n: count() }).from(importBatches))[0].n,
    persons: (await d.select({ n: count() }).from(persons))[0].n,
  };
}

async function refused(app: TestApp, content: Buffer, name: string, message: string) {
  const c = await app.as('secretary');
  const before = await counts(app);
  const res = await upload(c, content, name);
  expect(res.statusCode, res.body.slice(0, 300)).toBe(422);
  expect(res.body).toContain(message);
  expect(await counts(app)).toEqual(before);
}

async function workbook(fill: (wb: ExcelJS.Workbook) => void): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  fill(wb);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** A zip with one entry whose headers declare `declared` bytes unpacked (what a zip bomb declares). */
function zipDeclaring(name: string, declared: number): Buffer {
  const data = deflateRawSync(Buffer.alloc(64 * 1024));
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(fileName.length, 28);
  const body = Buffer.concat([local, fileName, data]);
  const dir = Buffer.concat([central, fileName]);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(body.length, 16);
  return Buffer.concat([body, dir, end]);
}

describe('.xlsx import', () => {
  it('a workbook written by exceljs: headers recognized under a merged title, cached formula values, unloaded columns reported, sheets to choose from', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('contacts-exceljs.xlsx'), 'Контакты.xlsx');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('data-format="xlsx"');
    expect(page.body).toContain('data-layout="outlook-csv"');
    expect(page.body).toContain('<dd data-sheet>Контакты</dd>');
    expect(page.body).toContain('data-sheets');
    expect(page.body).toContain('В книге 2 листа; читается');
    expect(page.body).toContain('<dd data-counts>3 записи');
    expect(page.body).toContain('строки над таблицей не загружаются: Контакты отдела снабжения на 01.12.2026');
    expect(page.body).toContain('1 столбец не будет загружен: День рождения: 1982-05-17');
    await commit(t, c, id);
    expect(await personBySurname('Громов')).toMatchObject({ firstName: 'Антон', jobTitle: 'Менеджер по закупкам' });
    const zuev = await personBySurname('Зуев');
    const phones = await db().select().from(personPhones).where(eq(personPhones.personId, zuev.id)).orderBy(asc(personPhones.position));
    expect(phones.map((p) => p.number)).toEqual(['79161110004']);
  });

  it('a workbook written by LibreOffice Calc: the Thunderbird layout inside is recognized', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('contacts-libreoffice.xlsx'), 'book.xlsx');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('data-layout="thunderbird-csv"');
    expect(page.body).toContain('6 столбцов не будут загружены');
    await commit(t, c, id);
    expect(await personBySurname('Кузнецова')).toMatchObject({ firstName: 'Ольга', jobTitle: 'Главный бухгалтер, Бухгалтерия' });
  });

  it('another sheet is chosen: its own columns go through the mapping step; an unknown sheet is refused', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('contacts-exceljs.xlsx'), 'book2.xlsx');
    const other = await c.post(`/import/${id}/sheet`, { sheet: 'Справка' });
    expect(other.statusCode).toBe(303);
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('data-mapping-columns');
    expect(page.body).toContain('<dd data-sheet>Справка</dd>');
    expect(page.body).toContain('>Источник</label>');
    const bad = await c.post(`/import/${id}/sheet`, { sheet: 'Нет такого' });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('Такого листа в книге нет.');
    // Read again within the same limits: too many rows on the chosen sheet is said so, nothing changes.
    const s = await small.as('secretary');
    const two = await uploadOk(s, await workbook((wb) => {
      wb.addWorksheet('Мало').addRow(['Фамилия', 'Имя']).worksheet.addRow(['Лось', 'Ян']);
      const many = wb.addWorksheet('Много');
      many.addRow(['Фамилия', 'Имя']);
      for (const n of ['Аа', 'Бб', 'Вв']) many.addRow([n, 'Ия']);
    }), 'two.xlsx');
    const tooMany = await s.post(`/import/${two}/sheet`, { sheet: 'Много' });
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.body).toContain('В файле слишком много записей: можно не больше 2.');
    expect(tooMany.body).toContain('<dd data-sheet>Мало</dd>');
    const back = await c.post(`/import/${id}/sheet`, { sheet: 'Контакты' });
    expect(back.statusCode).toBe(303);
    expect((await c.get(`/import/${id}`)).body).toContain('<dd data-counts>3 записи');
  });

  it('a formula without a saved value is reported; a cell in the last of 1,048,576 rows does not make the reader walk them', async () => {
    const c = await t.as('secretary');
    const file = await workbook((wb) => {
      const ws = wb.addWorksheet('Лист1');
      ws.addRow(['Фамилия', 'Имя', 'Должность']);
      ws.addRow(['Осипов', 'Глеб', { formula: 'UPPER("инженер")' }]);
      ws.addRow(['Орехова', 'Вера', 'Юрист']);
      ws.getCell('A1048576').value = ' ';
    });
    const id = await uploadOk(c, file, 'formulas.xlsx');
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('<dd data-counts>2 записи');
    expect(page.body).toContain('формулы без сохранённого значения прочитаны как пустые ячейки: 1');
  });

  it('refuses corrupt, password-protected, zip-bomb and over-long workbooks with a clear message, writing nothing', async () => {
    const good = sample('contacts-exceljs.xlsx');
    await refused(t, good.subarray(0, Math.floor(good.length / 2)), 'cut.xlsx', 'Файл Excel повреждён или это не книга .xlsx');
    // An encrypted OOXML file is an OLE compound file holding an "EncryptedPackage" stream.
    const encrypted = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504), Buffer.from('EncryptionInfo\0EncryptedPackage', 'utf16le'), Buffer.alloc(1024)]);
    await refused(t, encrypted, 'secret.xlsx', 'Книга Excel защищена паролем');
    await refused(t, zipDeclaring('xl/worksheets/sheet1.xml', 2_000_000_000), 'bomb.xlsx', 'Книга Excel в распакованном виде слишком велика');
    // One that understates its size is caught unpacking, at the size it declared.
    await refused(t, zipDeclaring('xl/workbook.xml', 1000), 'liar.xlsx', 'Книга Excel в распакованном виде слишком велика');
    await refused(small, good, 'three.xlsx', 'В файле слишком много записей: можно не больше 2.');
    const empty = await workbook((wb) => wb.addWorksheet('Пусто').addRow(['только заголовок']));
    await refused(t, empty, 'empty.xlsx', 'В книге Excel нет ни одного листа с таблицей');
  });
});
