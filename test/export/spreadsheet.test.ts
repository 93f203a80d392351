import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { sql } from 'drizzle-orm';
import { createTestApp, type Client, type TestApp } from '../helpers/app.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';
import { createReference } from '../../src/features/references/service.js';
import { addMember, createGroup } from '../../src/features/groups/service.js';
import { setPersonArchived } from '../../src/features/persons/service.js';
import { hasSoffice, parseCsv, throughLibreOffice } from './helpers.js';

/**
 * The spreadsheet exports through the real routes: .xlsx (read back by exceljs and by LibreOffice)
 * and CSV for Excel, of the /contacts selection, a group and the document register.
 */
let t: TestApp;
const ids: Record<string, number> = {};
const NOTE = 'Сказал: "да"; потом\nвторая строка';

beforeAll(async () => {
  t = await createTestApp();
  const db = t.database.db;
  const s = t.users.secretary;
  const region = await createReference(db, s, 'regions', { name: 'Москва и область' });
  const activity = await createReference(db, s, 'activities', { name: 'Торговля' });
  const org = await makeOrganization(db, s, {
    name: 'ООО «Ромашка; и партнёры»', shortName: 'Ромашка', regionId: region.id, activityId: activity.id,
    addrIndex: '101000', addrCountry: 'Россия', addrLocality: 'Москва', addrStreet: 'ул. Ленина', addrHouse: '10', addrOffice: '5',
    phones: '+7 495 100-00-00', email: 'info@romashka.ru', website: 'romashka.ru',
  });
  const lonely = await makeOrganization(db, s, { name: 'АО «Пустое»', addrIndex: '190000', addrLocality: 'Санкт-Петербург', addrStreet: 'Невский пр.', addrHouse: '1' });
  const p = await makePerson(db, s, {
    surname: 'Сидоров', firstName: 'Иван', patronymic: 'Петрович', organizationId: org.id, jobTitle: 'Директор, по развитию', note: NOTE,
    phones: [{ kind: 'work', number: '+7 (495) 123-45-67' }, { kind: 'mobile', number: '+7 916 111-22-33' }],
    emails: ['sidorov@romashka.ru', 'ivan@example.com'],
  });
  const q = await makePerson(db, s, { surname: 'Ёлкина', firstName: 'Ёлена', patronymic: '', note: '=1+2', addrIndex: '190000', addrLocality: 'Санкт-Петербург', addrStreet: 'Невский пр.', addrHouse: '2' });
  const gone = await makePerson(db, s, { surname: 'Архивов', firstName: 'Пётр', organizationId: org.id });
  await setPersonArchived(db, s, gone.id, true);
  const g = await createGroup(db, s, { name: 'Рассылка весна', description: '', mark: 'none' });
  await addMember(db, s, g.id, { personId: p.id });
  await addMember(db, s, g.id, { organizationId: lonely.id });
  await makeDocument(db, s, { organizationId: org.id, regDate: '2026-03-02', subject: 'О поставке; срочно', senderNumber: '17-к', senderDate: '2026-02-27' });
  await makeDocument(db, s, { personId: q.id, direction: 'outgoing', regDate: '2026-01-15', subject: 'Ответ' });
  Object.assign(ids, { org: org.id, lonely: lonely.id, p: p.id, q: q.id, gone: gone.id, g: g.id });
});
afterAll(async () => t?.close());

async function sheetOf(body: Buffer) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(body as unknown as ArrayBuffer);
  expect(wb.worksheets).toHaveLength(1);
  return wb.worksheets[0];
}

/** Row values as text, as a user reads them: empty cells as '' and dates as ISO days. */
function rowsOf(ws: ExcelJS.Worksheet): string[][] {
  const out: string[][] = [];
  const n = ws.columnCount;
  ws.eachRow({ includeEmpty: false }, (row) => {
    const r: string[] = [];
    for (let i = 1; i <= n; i++) {
      const v = row.getCell(i).value;
      r.push(v === null || v === undefined ? '' : v instanceof Date ? v.toISOString().slice(0, 10) : String(v));
    }
    out.push(r);
  });
  return out;
}

const HEADERS_RU = [
  'Фамилия', 'Имя', 'Отчество', 'Должность', 'Телефоны', 'Электронная почта', 'Организация', 'Краткое наименование', 'Регион', 'Вид деятельности', 'Категория',
  'Телефоны организации', 'Электронная почта организации', 'Сайт', 'Индекс', 'Страна', 'Регион, область', 'Район', 'Населённый пункт', 'Улица', 'Дом', 'Корпус, строение',
  'Офис, квартира', 'Примечание', 'В архиве',
];
const SIDOROV = [
  'Сидоров', 'Иван', 'Петрович', 'Директор, по развитию', '+7 (495) 123-45-67 (рабочий), +7 916 111-22-33 (мобильный)', 'sidorov@romashka.ru, ivan@example.com',
  'ООО «Ромашка; и партнёры»', 'Ромашка', 'Москва и область', 'Торговля', '', '+7 495 100-00-00', 'info@romashka.ru', 'romashka.ru',
  // No own address: the organization's.
  '101000', 'Россия', '', '', 'Москва', 'ул. Ленина', '10', '', '5', NOTE, '',
];
const ELKINA = ['Ёлкина', 'Ёлена', '', '', '', '', '', '', '', '', '', '', '', '', '190000', '', '', '', 'Санкт-Петербург', 'Невский пр.', '2', '', '', '=1+2', ''];
const LONELY = ['', '', '', '', '', '', 'АО «Пустое»', '', '', '', '', '', '', '', '190000', '', '', '', 'Санкт-Петербург', 'Невский пр.', '1', '', '', '', ''];

describe('contacts as .xlsx', () => {
  let employee: Client;
  beforeAll(async () => {
    employee = await t.as('employee');
  });

  it('writes the whole directory with Russian headers, frozen header row, autofilter and widths', async () => {
    const res = await employee.get('/export.xlsx');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.xlsx"/);
    expect(res.headers['cache-control']).toBe('no-store');
    const ws = await sheetOf(res.rawPayload);
    expect(ws.name).toBe('Контакты');
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.autoFilter).toBeTruthy();
    const rows = rowsOf(ws);
    expect(rows[0]).toEqual(HEADERS_RU);
    expect(ws.getRow(1).font?.bold).toBe(true);
    expect(ws.getColumn(1).width).toBe(18);
    expect(ws.getColumn(24).width).toBe(40);
    // Archived records too, as the XML export of the whole directory: marked in their column.
    expect(rows.slice(1)).toEqual([
      ['Архивов', 'Пётр', 'Иванович', '', '', '', 'ООО «Ромашка; и партнёры»', 'Ромашка', 'Москва и область', 'Торговля', '', '+7 495 100-00-00', 'info@romashka.ru', 'romashka.ru', '101000', 'Россия', '', '', 'Москва', 'ул. Ленина', '10', '', '5', '', 'в архиве'],
      ELKINA,
      SIDOROV,
      LONELY,
    ]);
  });

  it('covers exactly what /export.xml covers for the same /contacts query', async () => {
    const queries = ['q=Сидоров', 'q=Ромашка', 'q=Пустое', 'q=Сидоров&archived=1', 'q=Ромашка&archived=1', `org=${ids.org}`, 'org=none', 'q=Сидорв&approx=1', 'q=Сидорв', 'q=Ромашка&group_by=region'];
    for (const query of queries) {
      const xml = (await employee.get(`/export.xml?${query}`)).body;
      const xmlSurnames = [...xml.matchAll(/<surname>([^<]*)<\/surname>/g)].map((m) => m[1]).sort();
      const xmlOrganizations = [...xml.matchAll(/<organization id="[^"]+"[^>]*>\s*<name>([^<]*)<\/name>/g)].map((m) => m[1].replace(/&amp;/g, '&')).sort();
      const rows = rowsOf(await sheetOf((await employee.get(`/export.xlsx?${query}`)).rawPayload)).slice(1);
      expect(rows.filter((r) => r[0]).map((r) => r[0]).sort(), query).toEqual(xmlSurnames);
      expect([...new Set(rows.map((r) => r[6]).filter(Boolean))].sort(), query).toEqual(xmlOrganizations);
    }
    // An organization's persons in the file leave it no row of its own; one without any has one.
    const rows = rowsOf(await sheetOf((await employee.get('/export.xlsx?q=Ромашка')).rawPayload)).slice(1);
    expect(rows.map((r) => r[0])).toEqual(['Сидоров']);
  });

  it('writes a group: its members, a member organization as a row of its own', async () => {
    const res = await employee.get(`/export.xlsx?group=${ids.g}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent('Рассылка весна')}-`);
    expect(rowsOf(await sheetOf(res.rawPayload)).slice(1)).toEqual([SIDOROV, LONELY]);
  });

  it('gives an English-speaking user English headers and sheet name', async () => {
    const admin = await t.as('admin');
    await admin.post('/locale', { lang: 'en', next: '/contacts' });
    const ws = await sheetOf((await admin.get(`/export.xlsx?group=${ids.g}`)).rawPayload);
    expect(ws.name).toBe('Contacts');
    expect(rowsOf(ws)[0].slice(0, 8)).toEqual(['Surname', 'First name', 'Patronymic', 'Job title', 'Phones', 'E-mail', 'Organization', 'Short name']);
    expect(rowsOf(ws)[1][4]).toBe('+7 (495) 123-45-67 (work), +7 916 111-22-33 (mobile)');
    await admin.post('/locale', { lang: 'ru', next: '/contacts' });
  });

  it('refuses bad input and unknown groups, and sends the anonymous to sign in', async () => {
    for (const url of ['/export.xlsx?group=abc', '/export.csv?org=x', '/export.xlsx?q=%00', '/export.csv?group=99999999999']) {
      const res = await employee.get(url);
      // A query value out of shape: the localized page the app gives any bad query (422).
      expect(res.statusCode, url).toBe(422);
      expect(res.body, url).toContain('<html');
    }
    for (const url of ['/export.xlsx?group=999999', '/export.csv?group=999999']) expect((await employee.get(url)).statusCode, url).toBe(404);
    const anonymous = await t.anonymous().get('/export.xlsx');
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toMatch(/^\/login\?/);
  });

  it('offers the downloads next to the XML export on /contacts and on the group page', async () => {
    const page = (await employee.get('/contacts?q=Ромашка&approx=1')).body;
    expect(page).toContain('href="/export.xlsx?q=%D0%A0%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0&amp;approx=1"');
    expect(page).toContain('data-action="export-csv"');
    const group = (await employee.get(`/groups/${ids.g}`)).body;
    expect(group).toContain(`href="/export.xlsx?group=${ids.g}"`);
    expect(group).toContain(`href="/export.csv?group=${ids.g}"`);
    expect(group).toContain(`href="/groups/${ids.g}/vcard?version=4.0"`);
  });
});

describe('contacts as CSV for Excel', () => {
  it('writes UTF-8 with BOM, ";" separated, CRLF, quoted where Excel needs it', async () => {
    const res = await (await t.as('employee')).get(`/export.csv?group=${ids.g}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/\.csv$/);
    const bytes = res.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    const lines = text.slice(1).split('\r\n');
    expect(lines[0]).toBe(HEADERS_RU.map((h) => (h.includes(';') ? `"${h}"` : h)).join(';'));
    expect(lines[1]).toContain(';"ООО «Ромашка; и партнёры»";');
    // The note's quotes doubled, its line break kept inside the quotes.
    expect(text).toContain(';"Сказал: ""да""; потом\nвторая строка";');
    expect(parseCsv(text)).toEqual([HEADERS_RU, SIDOROV, LONELY]);
  });

  it('keeps a value Excel would take for a formula as text', async () => {
    const text = (await (await t.as('employee')).get('/export.csv?q=Ёлкина')).body;
    const rows = parseCsv(text);
    expect(rows[1][23]).toBe("'=1+2");
    // Phone numbers keep their "+".
    expect(parseCsv((await (await t.as('employee')).get('/export.csv?q=Сидоров')).body)[1][4]).toMatch(/^\+7 \(495\)/);
  });
});

describe('document register as .xlsx and CSV', () => {
  it('writes the register with its filters, dates as date cells', async () => {
    const c = await t.as('employee');
    const all = rowsOf(await sheetOf((await c.get('/documents/export.xlsx')).rawPayload));
    expect(all[0]).toEqual(['Направление', 'Рег. номер', 'Дата регистрации', 'Номер документа у контрагента', 'Дата документа у контрагента', 'Тема', 'Организация', 'Контактное лицо', 'Файлов']);
    expect(all).toHaveLength(3);
    expect(all[1]).toMatchObject({ 0: 'входящий', 2: '2026-03-02', 3: '17-к', 4: '2026-02-27', 5: 'О поставке; срочно', 6: 'ООО «Ромашка; и партнёры»', 7: '', 8: '0' });
    expect(all[2]).toMatchObject({ 0: 'исходящий', 2: '2026-01-15', 5: 'Ответ', 7: 'Ёлкина Ёлена' });
    const ws = await sheetOf((await c.get('/documents/export.xlsx?direction=outgoing')).rawPayload);
    expect(rowsOf(ws).slice(1).map((r) => r[5])).toEqual(['Ответ']);
    expect(ws.getCell('C2').numFmt).toBe('dd.mm.yyyy');
    expect(rowsOf(await sheetOf((await c.get('/documents/export.xlsx?from=2026-02-01&to=2026-12-31')).rawPayload)).slice(1).map((r) => r[5])).toEqual(['О поставке; срочно']);
    expect(rowsOf(await sheetOf((await c.get(`/documents/export.xlsx?organization=${ids.org}`)).rawPayload))).toHaveLength(2);

    const csv = (await c.get('/documents/export.csv?direction=incoming')).body;
    expect(parseCsv(csv)[1]).toEqual(['входящий', expect.any(String), '02.03.2026', '17-к', '27.02.2026', 'О поставке; срочно', 'ООО «Ромашка; и партнёры»', '', '0']);
  });

  it('refuses a bad date with a localized page; links the download from the register', async () => {
    const c = await t.as('employee');
    const bad = await c.get('/documents/export.xlsx?from=31.02.2026');
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('<html');
    expect((await c.get('/documents/export.csv?direction=' + 'x'.repeat(30))).statusCode).toBe(422);
    const page = (await c.get('/documents?direction=incoming')).body;
    expect(page).toContain('href="/documents/export.xlsx?direction=incoming"');
    expect(page).toContain('href="/documents/export.csv?direction=incoming"');
    const party = (await c.get(`/organizations/${ids.org}/correspondence`)).body;
    expect(party).toContain(`href="/documents/export.xlsx?organization=${ids.org}"`);
  });
});

describe('what LibreOffice reads back', () => {
  const soffice = hasSoffice();
  it.skipIf(!soffice)('opens the .xlsx and the CSV with the values written', async () => {
    const c = await t.as('employee');
    const csv = (await c.get('/export.csv')).rawPayload;
    const xlsx = (await c.get('/export.xlsx')).rawPayload;
    const expected = parseCsv(csv.toString('utf8'));
    expect(expected).toHaveLength(5);
    const [fromCsv, fromXlsx] = await Promise.all([throughLibreOffice(csv, 'csv'), throughLibreOffice(xlsx, 'xlsx')]);
    expect(parseCsv(fromCsv)).toEqual(expected);
    // The .xlsx carries "=1+2" as text as it is; the CSV guards it with an apostrophe.
    const guarded = expected.map((r) => r.map((v) => (v === "'=1+2" ? '=1+2' : v)));
    expect(parseCsv(fromXlsx)).toEqual(guarded);

    // The autofilter over the whole table, buttons shown (LibreOffice wants Excel's _FilterDatabase name for it).
    const flat = await throughLibreOffice(xlsx, 'xlsx', 'fods');
    expect(flat).toMatch(/<table:database-range [^>]*table:target-range-address="Контакты\.A1:Контакты\.Y5"[^>]*table:display-filter-buttons="true"/);

    const documents = await Promise.all([throughLibreOffice((await c.get('/documents/export.xlsx')).rawPayload, 'xlsx'), throughLibreOffice((await c.get('/documents/export.csv')).rawPayload, 'csv')]);
    expect(parseCsv(documents[0])).toEqual(parseCsv((await c.get('/documents/export.csv')).body));
    expect(parseCsv(documents[1])).toEqual(parseCsv(documents[0]));
  });
  it.runIf(!soffice)('needs LibreOffice (soffice) to read the exports back: not installed, skipped', () => {
    console.warn('soffice not found: the LibreOffice round trip of the .xlsx and CSV exports was skipped (apt-get install libreoffice-calc-nogui)');
    expect(soffice).toBe(false);
  });
});

describe('a large export', () => {
  it('writes thousands of rows, streamed', async () => {
    const db = t.database.db;
    await db.execute(sql`insert into persons (surname, first_name, sort_key, search_text)
      select 'Массов' || g, 'Имя', 'массов' || lpad(g::text, 5, '0'), 'массов' || g from generate_series(1, 3000) g`);
    const res = await (await t.as('employee')).get('/export.xlsx?q=Массов');
    expect(res.statusCode).toBe(200);
    // Streamed: sent as it is written, so no length is known up front.
    expect(res.headers['content-length']).toBeUndefined();
    const rows = rowsOf(await sheetOf(res.rawPayload));
    expect(rows).toHaveLength(3001);
    expect(rows[1][0]).toBe('Массов1');
    expect(rows[3000][0]).toBe('Массов3000');
  });
});
