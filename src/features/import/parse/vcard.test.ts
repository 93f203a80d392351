import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeQuotedPrintable, parseVcard } from './vcard.js';
import { ParseError } from './types.js';
import {
  encodeSingleByte,
  encodeUtf16,
  fixture,
  foldBase64,
  pseudoRandomBytes,
  qpEscape,
  qpWrap,
} from './test-helpers.js';

function catchParseError(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error('expected a ParseError');
}

const cp1251 = (s: string): Buffer => encodeSingleByte(s, 'windows-1251');
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
/** CRLF-joined lines; each line is text (written as UTF-8) or ready-made bytes. */
function vcf(...lines: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  for (const l of lines) parts.push(typeof l === 'string' ? utf8(l) : l, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
const line = (...pieces: (string | Buffer)[]): Buffer =>
  Buffer.concat(pieces.map((p) => (typeof p === 'string' ? utf8(p) : p)));

/** A small but genuine-looking JPEG: SOI + APP0 "JFIF" header, filler, EOI. */
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]),
  pseudoRandomBytes(700, 7),
  Buffer.from([0xff, 0xd9]),
]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pseudoRandomBytes(300, 11)]);

describe('decodeQuotedPrintable', () => {
  it('decodes escapes, keeps invalid ones literal and drops a trailing soft break', () => {
    expect(decodeQuotedPrintable('=D0=E8a=3D=ZZ=').toString('latin1')).toBe('\xd0\xe8a==ZZ');
  });
});

describe('parseVcard: samples', () => {
  it('decodes the Outlook 2.1 Windows-1251 quoted-printable sample', () => {
    const r = parseVcard(fixture('outlook-2.1-windows1251.vcf'));
    expect(r.format).toBe('vcard');
    expect(r.version).toEqual(['2.1']);
    expect(r.encoding).toBe('utf-8'); // all 8-bit text is inside QP escapes
    expect(r.problems).toEqual([]);
    expect(r.rows).toEqual([
      {
        line: 1,
        surname: 'Сидоров',
        firstName: 'Иван',
        patronymic: 'Петрович',
        company: 'ООО «Ромашка»',
        department: '',
        jobTitle: 'Генеральный директор',
        businessAddress: { street: 'ул. Ленина, д. 10, оф. 5', locality: 'Москва', region: '', index: '101000', country: 'Россия' },
        homeAddress: null,
        phones: [
          { kind: 'work', number: '+7 (495) 123-45-67' },
          { kind: 'mobile', number: '+7 916 111-22-33' },
        ],
        emails: ['sidorov@romashka.ru'],
        categories: [],
        // The soft break in this NOTE falls inside an escape ("=E=" CRLF "E"): joined before decoding.
        notes: 'Важный клиент с 2015 года, предпочитает переписку по почте, а не по телефону.',
        gender: 'unspecified',
        webPage: '',
        photo: null,
        problems: [],
      },
    ]);
  });

  it('decodes the 3.0 UTF-8 sample with escapes and structured ORG / ADR', () => {
    const r = parseVcard(fixture('vcard-3.0-utf8.vcf'));
    expect(r.version).toEqual(['3.0']);
    expect(r.encoding).toBe('utf-8');
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toEqual({
      line: 1,
      surname: 'Кузнецов',
      firstName: 'Алексей',
      patronymic: 'Игоревич',
      company: 'ООО "Вектор"',
      department: 'Отдел продаж',
      jobTitle: 'Менеджер',
      businessAddress: {
        street: 'ул. Малышева, д. 1',
        locality: 'Екатеринбург',
        region: 'Свердловская обл.',
        index: '620014',
        country: 'Россия',
      },
      homeAddress: null,
      phones: [
        { kind: 'work', number: '+7 343 200-00-00' },
        { kind: 'mobile', number: '+7 900 000-00-01' },
      ],
      emails: ['kuznetsov@vector.example'],
      categories: ['Дилеры', 'VIP'],
      notes: 'Первая строка\nвторая строка',
      gender: 'unspecified',
      webPage: '',
      photo: null,
      problems: [],
    });
  });
});

describe('parseVcard: 2.1 variants', () => {
  it('joins quoted-printable soft breaks (even inside escapes) and honours CHARSET=windows-1251', () => {
    const qp = (s: string, width = 17): string => qpWrap(qpEscape(cp1251(s)), width);
    const qpParts = (parts: string[], width = 13): string => qpWrap(parts.map((p) => qpEscape(cp1251(p))).join(';'), width);
    const file = vcf(
      'BEGIN:VCARD',
      'VERSION:2.1',
      `N;LANGUAGE=ru;CHARSET=windows-1251;ENCODING=QUOTED-PRINTABLE:${qpParts(['Ёлкина', 'Елена', 'Сергеевна'])}`,
      `ORG;CHARSET=Windows-1251;ENCODING=QUOTED-PRINTABLE:${qpParts(['АО «Север»', 'Бухгалтерия'])}`,
      `TITLE;CHARSET=Windows-1251;ENCODING=QUOTED-PRINTABLE:${qp('Главный бухгалтер')}`,
      'TEL;WORK;VOICE:+7 (812) 555-01-02',
      'TEL;WORK;FAX:+7 (812) 555-01-03',
      'TEL;HOME;VOICE:+7 (812) 444-00-00',
      'TEL;PAGER:12345',
      `ADR;HOME;CHARSET=Windows-1251;ENCODING=QUOTED-PRINTABLE:${qpParts(['', '', 'пр. Невский; д. 1', 'Санкт-Петербург', '', '191186', 'Россия'])}`,
      `NOTE;CHARSET=Windows-1251;ENCODING=QUOTED-PRINTABLE:${qp('Первая строка\r\nвторая = строка; «кавычки»', 11)}`,
      'EMAIL;PREF;INTERNET:elkina@sever.example',
      'EMAIL;INTERNET:ELKINA@SEVER.EXAMPLE',
      'X-WAB-GENDER:1',
      'URL;WORK:https://sever.example/',
      `CATEGORIES;CHARSET=windows-1251;ENCODING=QUOTED-PRINTABLE:${qpWrap(['Поставщики', 'VIP', 'Поставщики'].map((c) => qpEscape(cp1251(c))).join(','), 9)}`,
      'END:VCARD',
    );
    const text = file.toString('latin1');
    expect(text).toMatch(/=\r\n[0-9A-F]/); // soft breaks really fall inside escapes
    const r = parseVcard(file);
    expect(r.rows[0]).toEqual({
      line: 1,
      surname: 'Ёлкина',
      firstName: 'Елена',
      patronymic: 'Сергеевна',
      company: 'АО «Север»',
      department: 'Бухгалтерия',
      jobTitle: 'Главный бухгалтер',
      businessAddress: null,
      homeAddress: { street: 'пр. Невский; д. 1', locality: 'Санкт-Петербург', region: '', index: '191186', country: 'Россия' },
      phones: [
        { kind: 'work', number: '+7 (812) 555-01-02' },
        { kind: 'fax', number: '+7 (812) 555-01-03' },
        { kind: 'home', number: '+7 (812) 444-00-00' },
        { kind: 'other', number: '12345' },
      ],
      emails: ['elkina@sever.example'],
      categories: ['Поставщики', 'VIP'],
      notes: 'Первая строка\nвторая = строка; «кавычки»',
      gender: 'female',
      webPage: 'https://sever.example/',
      photo: null,
      problems: [],
    });
  });

  it('decodes raw 8-bit values without CHARSET: UTF-8 when valid, else Windows-1251, value by value', () => {
    const file = vcf(
      'BEGIN:VCARD',
      'VERSION:2.1',
      line('N:', cp1251('Щукин;Пётр;Алексеевич')),
      line('ORG:', cp1251('АО «Северный завод»;Отдел снабжения')),
      line('TITLE:', utf8('Начальник отдела')), // a UTF-8 value in the same card
      line('ADR;WORK:;;', cp1251('пр. Металлистов, д. 3;Санкт-Петербург;;195112;Россия')),
      'TEL;CELL:+79210000001',
      'EMAIL;INTERNET:p.shchukin@sevzavod.example',
      'END:VCARD',
    );
    const r = parseVcard(file);
    expect(r.encoding).toBe('windows-1251');
    expect(r.rows[0]).toMatchObject({
      surname: 'Щукин',
      firstName: 'Пётр',
      patronymic: 'Алексеевич',
      company: 'АО «Северный завод»',
      department: 'Отдел снабжения',
      jobTitle: 'Начальник отдела',
      businessAddress: { street: 'пр. Металлистов, д. 3', locality: 'Санкт-Петербург', region: '', index: '195112', country: 'Россия' },
      phones: [{ kind: 'mobile', number: '+79210000001' }],
      emails: ['p.shchukin@sevzavod.example'],
      problems: [],
    });
  });

  it('accepts bare 2.1 parameters (QUOTED-PRINTABLE, CHARSET=UTF-8) and keeps the blank of a 2.1 fold', () => {
    const file = vcf(
      'BEGIN:VCARD',
      'VERSION:2.1',
      `N;CHARSET=UTF-8;QUOTED-PRINTABLE:${qpEscape(utf8('Орлова'))};${qpEscape(utf8('Мария'))}`,
      'NOTE:a long note that Outlook',
      ' folded at a blank',
      'END:VCARD',
    );
    const row = parseVcard(file).rows[0];
    expect([row.surname, row.firstName]).toEqual(['Орлова', 'Мария']);
    expect(row.notes).toBe('a long note that Outlook folded at a blank');
  });

  it('decodes an Outlook 2.1 photo: ENCODING=BASE64 folded over indented lines and a blank line', () => {
    const bmp = fixture('photo-24bit.bmp');
    const file = vcf(
      'BEGIN:VCARD',
      'VERSION:2.1',
      'N:Photo;Jpeg',
      'PHOTO;TYPE=JPEG;ENCODING=BASE64:',
      foldBase64(JPEG, 76, '  '),
      '',
      'EMAIL;PREF;INTERNET:jpeg@example.com',
      'END:VCARD',
      'BEGIN:VCARD',
      'VERSION:2.1',
      'N:Photo;Bmp',
      // Unindented continuation lines, as some 2.1 writers produce.
      'PHOTO;TYPE=BMP;ENCODING=BASE64:',
      foldBase64(bmp, 64, ''),
      '',
      'TEL;WORK:1',
      'END:VCARD',
    );
    const r = parseVcard(file);
    expect(r.rows).toHaveLength(2);
    const [a, b] = r.rows;
    expect(a.photo?.mime).toBe('image/jpeg');
    expect(a.photo?.bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(a.photo?.bytes.equals(JPEG)).toBe(true);
    expect(a.emails).toEqual(['jpeg@example.com']);
    expect(b.photo?.mime).toBe('image/bmp');
    expect(b.photo?.bytes.length).toBe(57654);
    expect(b.photo?.bytes.equals(bmp)).toBe(true);
    expect(b.phones).toEqual([{ kind: 'work', number: '1' }]);
  });
});

describe('parseVcard: 3.0 and 4.0', () => {
  it('unfolds 3.0 lines, even inside a UTF-8 character, and decodes ENCODING=b photos', () => {
    const note = utf8('Жёлтый дом, второй этаж');
    const cut = 1; // inside the two bytes of "Ж"
    const file = Buffer.concat([
      vcf('BEGIN:VCARD', 'VERSION:3.0', 'FN:Жанна Ж', 'N:Жукова;Жанна;;;'),
      Buffer.from('NOTE:'),
      note.subarray(0, cut),
      Buffer.from('\r\n '),
      note.subarray(cut, 12),
      Buffer.from('\r\n\t'),
      note.subarray(12),
      Buffer.from('\r\n'),
      vcf('PHOTO;ENCODING=b;TYPE=JPEG:' + foldBase64(JPEG, 60, ' ').trimStart(), 'TEL;TYPE=HOME,VOICE:+7 1', 'END:VCARD'),
    ]);
    const row = parseVcard(file).rows[0];
    expect(row.notes).toBe('Жёлтый дом, второй этаж');
    expect([row.surname, row.firstName]).toEqual(['Жукова', 'Жанна']);
    expect(row.photo?.mime).toBe('image/jpeg');
    expect(row.photo?.bytes.equals(JPEG)).toBe(true);
    expect(row.phones).toEqual([{ kind: 'home', number: '+7 1' }]);
  });

  it('parses vCard 4.0: quoted TYPE lists, tel: URIs, GENDER, escapes, data: URI photo', () => {
    const b64 = PNG.toString('base64');
    const text = [
      'BEGIN:VCARD',
      'VERSION:4.0',
      'FN:Анна Смирнова',
      'N:Смирнова;Анна;Викторовна;;',
      'ORG:ООО Ромашка\\, филиал;Бухгалтерия',
      'TITLE:Бухгалтер',
      'TEL;VALUE=uri;TYPE="work,voice":tel:+7-495-111-22-33',
      'TEL;TYPE=cell;PREF=1:+7 916 000-00-00',
      'EMAIL;TYPE=work:smirnova@romashka.example',
      'ADR;TYPE=home:;кв. 7;ул. Мира\\, д. 5;Казань;Татарстан;420000;Россия',
      'GENDER:F',
      'NOTE:Строка 1\\nСтрока 2\\; и запятая\\, конец',
      'CATEGORIES:Клиенты,Партнёры\\, ООО',
      'URL:https://romashka.example',
      `PHOTO:data:image/png;base64,${b64.slice(0, 40)}`,
      ` ${b64.slice(40, 100)}`,
      ` ${b64.slice(100)}`,
      'END:VCARD',
      '',
    ].join('\r\n');
    const r = parseVcard(utf8(text));
    expect(r.version).toEqual(['4.0']);
    expect(r.rows[0]).toEqual({
      line: 1,
      surname: 'Смирнова',
      firstName: 'Анна',
      patronymic: 'Викторовна',
      company: 'ООО Ромашка, филиал',
      department: 'Бухгалтерия',
      jobTitle: 'Бухгалтер',
      businessAddress: null,
      homeAddress: { street: 'ул. Мира, д. 5, кв. 7', locality: 'Казань', region: 'Татарстан', index: '420000', country: 'Россия' },
      phones: [
        { kind: 'work', number: '+7-495-111-22-33' },
        { kind: 'mobile', number: '+7 916 000-00-00' },
      ],
      emails: ['smirnova@romashka.example'],
      categories: ['Клиенты', 'Партнёры, ООО'],
      notes: 'Строка 1\nСтрока 2; и запятая, конец',
      gender: 'female',
      webPage: 'https://romashka.example',
      photo: { bytes: PNG, mime: 'image/png' },
      problems: [],
    });
    expect(r.rows[0].photo?.bytes.subarray(0, 4)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
  });

  it('handles Apple-style groups, FN-only names, X.400 e-mail and URL photos', () => {
    const text = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'FN:Сидоров Иван Петрович',
      'item1.EMAIL;type=INTERNET;type=pref:ivan@example.com',
      'item1.X-ABLabel:_$!<Other>!$_',
      'EMAIL;TYPE=X400:c=RU;a= ;p=Corp;s=Sidorov',
      'PHOTO;VALUE=uri:https://example.com/p.jpg',
      'X-GENDER:Male',
      'END:VCARD',
    ].join('\n');
    const row = parseVcard(utf8(text)).rows[0];
    expect([row.surname, row.firstName, row.patronymic]).toEqual(['Сидоров', 'Иван', 'Петрович']);
    expect(row.emails).toEqual(['ivan@example.com']);
    expect(row.gender).toBe('male');
    expect(row.photo).toBeNull();
    expect(row.problems).toEqual([
      { code: 'exchange_email_skipped', detail: 'c=RU;a= ;p=Corp;s=Sidorov' },
      { code: 'photo_url_skipped', detail: 'https://example.com/p.jpg' },
      { code: 'name_from_fn', detail: 'Сидоров Иван Петрович' },
    ]);
  });

  it('reads UTF-16 vCards, with or without BOM', () => {
    const text = readFileSync(new URL('./__fixtures__/vcard-3.0-utf8.vcf', import.meta.url), 'utf8');
    const r = parseVcard(encodeUtf16(text, 'le'));
    expect(r.encoding).toBe('utf-16le');
    expect(r.rows[0]).toMatchObject({ surname: 'Кузнецов', company: 'ООО "Вектор"', categories: ['Дилеры', 'VIP'] });
    const bomless = parseVcard(encodeUtf16(text, 'be', false));
    expect(bomless.encoding).toBe('utf-16be');
    expect(bomless.rows[0]).toMatchObject({ surname: 'Кузнецов', notes: 'Первая строка\nвторая строка' });
  });
});

describe('parseVcard: several cards and errors', () => {
  const card = (n: string, email: string): string[] => ['BEGIN:VCARD', 'VERSION:3.0', `N:${n};;;;`, `EMAIL:${email}`, 'END:VCARD'];

  it('reads two cards, each with its BEGIN line, and mixed versions', () => {
    const sample21 = fixture('outlook-2.1-windows1251.vcf');
    const file = Buffer.concat([sample21, Buffer.from('\r\n'), utf8([...card('Второй', 'b@example.com'), ''].join('\r\n'))]);
    const r = parseVcard(file);
    expect(r.version).toEqual(['2.1', '3.0']);
    expect(r.rows.map((x) => [x.line, x.surname, x.emails[0]])).toEqual([
      [1, 'Сидоров', 'sidorov@romashka.ru'],
      [21, 'Второй', 'b@example.com'], // 19 lines + 1 blank line, then BEGIN
    ]);
  });

  it('reports a card without END with the line of its BEGIN', () => {
    const lines = [...card('Один', 'a@example.com'), '', 'BEGIN:VCARD', 'VERSION:3.0', 'N:Два;;;;', 'EMAIL:b@example.com', ''];
    const e = catchParseError(() => parseVcard(utf8(lines.join('\r\n'))));
    expect(e.code).toBe('vcard_unterminated');
    expect(e.line).toBe(7);
    // The missing END may also be followed by another card: the first card is the broken one.
    const swallowed = ['BEGIN:VCARD', 'VERSION:3.0', 'N:Один;;;;', ...card('Два', 'b@example.com')];
    expect(catchParseError(() => parseVcard(utf8(swallowed.join('\n')))).line).toBe(1);
  });

  it('flags a card with no name, company or e-mail', () => {
    const r = parseVcard(utf8('BEGIN:VCARD\r\nVERSION:3.0\r\nTEL:123\r\nEND:VCARD\r\n'));
    expect(r.rows[0].problems).toEqual([{ code: 'no_name' }]);
    expect(r.rows[0].phones).toEqual([{ kind: 'other', number: '123' }]);
  });

  it('rejects an empty file', () => {
    expect(catchParseError(() => parseVcard(Buffer.alloc(0))).code).toBe('empty');
    expect(catchParseError(() => parseVcard(Buffer.from('\r\n \r\n'))).code).toBe('empty');
  });
});
