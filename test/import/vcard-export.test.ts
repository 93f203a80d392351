import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { sample } from './helpers.js';
import { addMember, createGroup } from '../../src/features/groups/service.js';
import { setPersonPhoto } from '../../src/features/persons/service.js';
import { makeThumbnail } from '../../src/features/persons/photo/thumbnail.js';
import { parseContactsFile } from '../../src/features/import/parse/index.js';
import { escapeText, foldLine } from '../../src/features/export/vcard.js';

let t: TestApp;
const ids: Record<string, number> = {};
beforeAll(async () => {
  t = await createTestApp();
  const db = t.database.db;
  const s = t.users.secretary;
  const org = await makeOrganization(db, s, { name: 'ООО «Ромашка; и партнёры»', addrIndex: '101000', addrCountry: 'Россия', addrLocality: 'Москва', addrStreet: 'ул. Ленина', addrHouse: '10', addrOffice: '5', phones: '+7 495 100-00-00', email: 'info@romashka.ru' });
  const p = await makePerson(db, s, {
    surname: 'Сидоров', firstName: 'Иван', patronymic: 'Петрович', organizationId: org.id, jobTitle: 'Директор, по развитию',
    note: 'Первая строка; с точкой с запятой, запятой и \\ обратной чертой\nВторая строка — длинная, чтобы её пришлось переносить на несколько строк файла vCard по 75 октетов',
    phones: [{ kind: 'work', number: '+7 (495) 123-45-67' }, { kind: 'mobile', number: '+7 916 111-22-33' }, { kind: 'fax', number: '+7 495 123-45-69' }, { kind: 'home', number: '+7 495 000-00-00' }],
    emails: ['sidorov@romashka.ru', 'ivan@example.com'],
  });
  const q = await makePerson(db, s, { surname: 'Ёлкина', firstName: 'Ёлена', patronymic: '', addrIndex: '190000', addrLocality: 'Санкт-Петербург', addrStreet: 'Невский пр.', addrHouse: '1' });
  const bmp = sample('photo-24bit.bmp');
  const thumb = await makeThumbnail(bmp, { maxBytes: 5e6, maxPixels: 4e7, size: 320 });
  await setPersonPhoto(db, s, p.id, { thumbnail: thumb.png, original: bmp, originalType: 'image/bmp', width: thumb.width, height: thumb.height });
  const g = await createGroup(db, s, { name: 'Рассылка, весна', description: '', mark: 'none' });
  await addMember(db, s, g.id, { personId: p.id });
  await addMember(db, s, g.id, { personId: q.id });
  await addMember(db, s, g.id, { organizationId: org.id });
  Object.assign(ids, { org: org.id, p: p.id, q: q.id, g: g.id });
});
afterAll(async () => t?.close());

function physicalLines(text: string) {
  expect(text.endsWith('\r\n')).toBe(true);
  expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  return text.slice(0, -2).split('\r\n');
}

describe('vCard export', () => {
  it('escapes and folds at 75 octets without splitting a character', () => {
    expect(escapeText('a;b,c\\d\ne')).toBe('a\\;b\\,c\\\\d\\ne');
    const line = 'NOTE:' + 'Ж'.repeat(100);
    const folded = foldLine(line).split('\r\n');
    expect(folded.length).toBeGreaterThan(2);
    for (const l of folded) expect(Buffer.byteLength(l)).toBeLessThanOrEqual(75);
    expect(folded.slice(1).every((l) => l.startsWith(' '))).toBe(true);
    expect(folded.map((l, i) => (i ? l.slice(1) : l)).join('')).toBe(line);
  });

  it('gives one person as a vCard 3.0 that reads back the same', async () => {
    const c = await t.as('employee');
    const res = await c.get(`/persons/${ids.p}/vcard`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/vcard; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="_______ ____.vcf"; filename*=UTF-8''${encodeURIComponent('Сидоров Иван.vcf')}`);
    const lines = physicalLines(res.body);
    for (const l of lines) expect(Buffer.byteLength(l), l).toBeLessThanOrEqual(75);
    expect(lines.slice(0, 4)).toEqual(['BEGIN:VCARD', 'VERSION:3.0', 'N:Сидоров;Иван;Петрович;;', 'FN:Сидоров Иван Петрович']);
    expect(lines).toContain('ORG:ООО «Ромашка\\; и партнёры»');
    expect(lines).toContain('TITLE:Директор\\, по развитию');
    expect(lines).toContain('TEL;TYPE=CELL,VOICE:+7 916 111-22-33');
    expect(lines).toContain('TEL;TYPE=WORK,FAX:+7 495 123-45-69');
    expect(lines).toContain('EMAIL;TYPE=INTERNET,PREF:sidorov@romashka.ru');
    expect(lines).toContain('CATEGORIES:Рассылка\\, весна');
    expect(lines.some((l) => l.startsWith('PHOTO;ENCODING=b;TYPE=PNG:iVBOR'))).toBe(true);
    expect(lines[lines.length - 1]).toBe('END:VCARD');

    // Our own importer reads it back to the same values.
    const parsed = parseContactsFile(Buffer.from(res.body), 'card.vcf');
    expect(parsed).toMatchObject({ format: 'vcard', version: ['3.0'] });
    expect(parsed.rows[0]).toMatchObject({
      surname: 'Сидоров', firstName: 'Иван', patronymic: 'Петрович', company: 'ООО «Ромашка; и партнёры»', jobTitle: 'Директор, по развитию',
      emails: ['sidorov@romashka.ru', 'ivan@example.com'],
      notes: 'Первая строка; с точкой с запятой, запятой и \\ обратной чертой\nВторая строка — длинная, чтобы её пришлось переносить на несколько строк файла vCard по 75 октетов',
      categories: ['Рассылка, весна'],
      businessAddress: { street: 'ул. Ленина, д. 10, оф. 5', locality: 'Москва', index: '101000', country: 'Россия', region: '' },
    });
    expect(parsed.rows[0].phones.map((p) => p.kind)).toEqual(['work', 'mobile', 'fax', 'home']);
    expect(parsed.rows[0].photo?.mime).toBe('image/png');
  });

  it('gives a whole group as one file: every current member, persons and organizations', async () => {
    const c = await t.as('employee');
    const res = await c.get(`/groups/${ids.g}/vcard`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/vcard; charset=utf-8');
    physicalLines(res.body);
    const parsed = parseContactsFile(Buffer.from(res.body), 'group.vcf');
    expect(parsed.rows.map((r) => [r.surname, r.company])).toEqual([
      ['Ёлкина', ''],
      ['Сидоров', 'ООО «Ромашка; и партнёры»'],
      ['', 'ООО «Ромашка; и партнёры»'],
    ]);
    expect(parsed.rows[0].homeAddress ?? parsed.rows[0].businessAddress).toMatchObject({ locality: 'Санкт-Петербург', index: '190000' });
    expect(res.body).not.toContain('PHOTO');
    expect((await c.get(`/groups/${ids.g}/vcard?photos=1`)).body).toContain('PHOTO;ENCODING=b;TYPE=PNG:');
    const page = await c.get(`/groups/${ids.g}`);
    expect(page.body).toContain(`href="/groups/${ids.g}/vcard" data-action="group-vcard"`);
    expect(page.body).toContain(`href="/export.xml?group=${ids.g}" data-action="group-xml"`);
  });

  it('is 404 for an unknown person or group', async () => {
    const c = await t.as('employee');
    expect((await c.get('/persons/999999/vcard')).statusCode).toBe(404);
    expect((await c.get('/groups/999999/vcard')).statusCode).toBe(404);
  });
});
