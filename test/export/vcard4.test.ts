import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ICAL from 'ical.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { sample } from '../import/helpers.js';
import { addMember, createGroup } from '../../src/features/groups/service.js';
import { setPersonPhoto } from '../../src/features/persons/service.js';
import { makeThumbnail } from '../../src/features/persons/photo/thumbnail.js';

/**
 * vCard 4.0 (RFC 6350) beside 3.0, read back by an independent parser (ical.js, Mozilla's
 * iCalendar and vCard library): every value comes back as written.
 */
let t: TestApp;
const ids: Record<string, number> = {};
const NOTE = 'Первая строка; с точкой с запятой, запятой и \\ обратной чертой\nВторая строка — длинная, чтобы её пришлось переносить на несколько строк файла vCard по 75 октетов';

beforeAll(async () => {
  t = await createTestApp();
  const db = t.database.db;
  const s = t.users.secretary;
  const org = await makeOrganization(db, s, { name: 'ООО «Ромашка; и партнёры»', addrIndex: '101000', addrCountry: 'Россия', addrLocality: 'Москва', addrStreet: 'ул. Ленина', addrHouse: '10', addrOffice: '5', phones: '+7 495 100-00-00', email: 'info@romashka.ru' });
  const p = await makePerson(db, s, {
    surname: 'Сидоров', firstName: 'Иван', patronymic: 'Петрович', organizationId: org.id, jobTitle: 'Директор, по развитию', gender: 'male', note: NOTE,
    phones: [{ kind: 'work', number: '+7 (495) 123-45-67' }, { kind: 'mobile', number: '8 916 111-22-33' }, { kind: 'fax', number: '+7 495 123-45-69 доб. 12' }, { kind: 'home', number: '+7 495 000-00-00' }],
    emails: ['sidorov@romashka.ru', 'ivan@example.com'],
  });
  const q = await makePerson(db, s, { surname: 'Ёлкина', firstName: 'Ёлена', patronymic: '', gender: 'female', addrIndex: '190000', addrLocality: 'Санкт-Петербург', addrStreet: 'Невский пр.', addrHouse: '1' });
  const bmp = sample('photo-24bit.bmp');
  const thumb = await makeThumbnail(bmp, { maxBytes: 5e6, maxPixels: 4e7, size: 320 });
  await setPersonPhoto(db, s, p.id, { thumbnail: thumb.png, original: bmp, originalType: 'image/bmp', width: thumb.width, height: thumb.height });
  const g = await createGroup(db, s, { name: 'Рассылка, весна', description: '', mark: 'none' });
  await addMember(db, s, g.id, { personId: p.id });
  await addMember(db, s, g.id, { personId: q.id });
  await addMember(db, s, g.id, { organizationId: org.id });
  Object.assign(ids, { org: org.id, p: p.id, q: q.id, g: g.id, thumbBytes: thumb.png.length });
});
afterAll(async () => t?.close());

/** The cards of a file as ical.js reads them. */
function cards(text: string): ICAL.Component[] {
  const parsed = ICAL.parse(text) as unknown[];
  const list = (typeof parsed[0] === 'string' ? [parsed] : parsed) as unknown[][];
  return list.map((j) => new ICAL.Component(j as never));
}

/** RFC 6350's form: CRLF line ends, BEGIN then VERSION:4.0, lines folded at 75 octets. */
function assertShape(text: string) {
  expect(text.endsWith('\r\n')).toBe(true);
  expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  const lines = text.slice(0, -2).split('\r\n');
  for (const l of lines) expect(Buffer.byteLength(l), l).toBeLessThanOrEqual(75);
  lines.forEach((l, i) => {
    if (l === 'BEGIN:VCARD') expect(lines[i + 1]).toBe('VERSION:4.0');
  });
  return lines;
}

const values = (c: ICAL.Component, name: string) => c.getAllProperties(name).map((p) => ({ type: p.getParameter('type'), value: p.getFirstValue(), valueType: p.type }));

describe('vCard 4.0 export', () => {
  it('gives one person as vCard 4.0 that an independent parser reads back value by value', async () => {
    const c = await t.as('employee');
    const res = await c.get(`/persons/${ids.p}/vcard?version=4.0`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/vcard; charset=utf-8');
    const lines = assertShape(res.body);
    expect(lines.slice(0, 2)).toEqual(['BEGIN:VCARD', 'VERSION:4.0']);
    // In 4.0 only the components of N, ADR and ORG escape a semicolon.
    expect(res.body).not.toMatch(/NOTE:[^\r]*\\;/);

    const [card] = cards(res.body);
    expect(card.name).toBe('vcard');
    expect(card.getFirstPropertyValue('version')).toBe('4.0');
    expect(card.getFirstPropertyValue('fn')).toBe('Сидоров Иван Петрович');
    expect(card.getFirstPropertyValue('n')).toEqual(['Сидоров', 'Иван', 'Петрович', '', '']);
    expect(card.getFirstPropertyValue('gender')).toBe('M');
    expect(card.getFirstPropertyValue('org')).toBe('ООО «Ромашка; и партнёры»');
    expect(card.getFirstPropertyValue('title')).toBe('Директор, по развитию');
    expect(card.getFirstPropertyValue('note')).toBe(NOTE);
    expect(values(card, 'tel')).toEqual([
      { type: ['work', 'voice'], value: 'tel:+74951234567', valueType: 'uri' },
      { type: ['cell', 'voice'], value: 'tel:+79161112233', valueType: 'uri' },
      // An extension is no part of a plain number: kept as the text typed.
      { type: ['work', 'fax'], value: '+7 495 123-45-69 доб. 12', valueType: 'text' },
      { type: ['home', 'voice'], value: 'tel:+74950000000', valueType: 'uri' },
    ]);
    expect(card.getAllProperties('email').map((p) => [p.getFirstValue(), p.getParameter('pref')])).toEqual([
      ['sidorov@romashka.ru', '1'],
      ['ivan@example.com', undefined],
    ]);
    // No own address: the organization's.
    expect(card.getFirstPropertyValue('adr')).toEqual(['', '', 'ул. Ленина, д. 10, оф. 5', 'Москва', '', '101000', 'Россия']);
    expect(card.getFirstProperty('categories')!.getValues()).toEqual(['Рассылка, весна']);
    const photo = String(card.getFirstPropertyValue('photo'));
    expect(photo).toMatch(/^data:image\/png;base64,iVBOR/);
    expect(Buffer.from(photo.split(',')[1], 'base64')).toHaveLength(ids.thumbBytes);
    expect(String(card.getFirstPropertyValue('rev'))).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(card.getFirstPropertyValue('uid')).toMatch(new RegExp(`^p${ids.p}-[0-9a-f]+$`));
    expect(card.getFirstProperty('uid')!.type).toBe('text');
  });

  it('gives a whole group as vCard 4.0: persons, then an organization as KIND:org', async () => {
    const c = await t.as('employee');
    const res = await c.get(`/groups/${ids.g}/vcard?version=4.0&photos=1`);
    expect(res.statusCode).toBe(200);
    assertShape(res.body);
    const list = cards(res.body);
    expect(list.map((x) => [x.getFirstPropertyValue('fn'), x.getFirstPropertyValue('kind') ?? null, x.getFirstPropertyValue('gender') ?? null])).toEqual([
      ['Ёлкина Ёлена', null, 'F'],
      ['Сидоров Иван Петрович', null, 'M'],
      ['ООО «Ромашка; и партнёры»', 'org', null],
    ]);
    expect(list[0].getFirstPropertyValue('adr')).toEqual(['', '', 'Невский пр., д. 1', 'Санкт-Петербург', '', '190000', '']);
    expect(list[1].hasProperty('photo')).toBe(true);
    expect(list[2].getFirstPropertyValue('n')).toBeNull();
    expect(values(list[2], 'tel')).toEqual([{ type: ['work', 'voice'], value: 'tel:+74951000000', valueType: 'uri' }]);
    expect(list.every((x) => x.getFirstProperty('categories')!.getValues()[0] === 'Рассылка, весна')).toBe(true);
  });

  it('keeps 3.0 the default and as asked; refuses another version', async () => {
    const c = await t.as('employee');
    for (const url of [`/persons/${ids.p}/vcard`, `/persons/${ids.p}/vcard?version=3.0`, `/groups/${ids.g}/vcard?version=3.0`]) {
      expect((await c.get(url)).body.split('\r\n')[1], url).toBe('VERSION:3.0');
    }
    for (const url of [`/persons/${ids.p}/vcard?version=2.1`, `/groups/${ids.g}/vcard?version=4`, `/persons/${ids.p}/vcard?version=`]) {
      const res = await c.get(url);
      expect(res.statusCode, url).toBe(422);
      expect(res.body).toContain('<html');
    }
    expect((await c.get('/persons/999999/vcard?version=4.0')).statusCode).toBe(404);
    expect((await c.get('/groups/999999/vcard?version=4.0')).statusCode).toBe(404);
    const anonymous = await t.anonymous().get(`/persons/${ids.p}/vcard?version=4.0`);
    expect(anonymous.statusCode).toBe(303);
    expect((await c.get(`/persons/${ids.p}`)).body).toContain(`href="/persons/${ids.p}/vcard?version=4.0"`);
  });
});
