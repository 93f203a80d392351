import { describe, expect, it } from 'vitest';
import { detectDelimiter, parseCsv, parseOutlookCsv } from './csv.js';
import { ParseError } from './types.js';
import { encodeSingleByte, encodeUtf16, fixture } from './test-helpers.js';

function catchParseError(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error('expected a ParseError');
}

/** Serialise records the way Excel does: delimiter, quotes only where needed. */
function toExcelCsv(records: string[][], delimiter: string): string {
  return records
    .map((fields) =>
      fields
        .map((f) => (/[";\r\n,]/.test(f) || f.includes(delimiter) ? `"${f.replace(/"/g, '""')}"` : f))
        .join(delimiter),
    )
    .join('\r\n') + '\r\n';
}

describe('parseCsv', () => {
  it('handles quoted fields, doubled quotes, newlines inside quotes and mixed line ends', () => {
    const text = 'a,"b,1","c ""q"""\r\n"multi\r\nline\nnote",,x\nlast,"",\r"after CR",2';
    expect(parseCsv(text, ',')).toEqual([
      { line: 1, fields: ['a', 'b,1', 'c "q"'] },
      { line: 2, fields: ['multi\r\nline\nnote', '', 'x'] },
      { line: 5, fields: ['last', '', ''] },
      { line: 6, fields: ['after CR', '2'] },
    ]);
  });

  it('drops blank lines but keeps counting them', () => {
    expect(parseCsv('a;b\r\n\r\n1;2\r\n\r\n', ';')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['1', '2'] },
    ]);
  });

  it('is lenient about quotes inside unquoted fields and blanks after a closing quote', () => {
    expect(parseCsv('5" floppy,"x" ,y\n', ',')).toEqual([{ line: 1, fields: ['5" floppy', 'x', 'y'] }]);
  });

  it('reports a quote that never closes with the line where the field began', () => {
    const e = catchParseError(() => parseCsv('a,b\n1,2\n3,"oops\nmore\nlines', ','));
    expect(e.code).toBe('unterminated_quote');
    expect(e.line).toBe(3);
    expect(e.detail).toBe('eof');
  });

  it('detects the delimiter outside quotes on the header line', () => {
    expect(detectDelimiter('"Фамилия, имя";"Организация";"Адрес эл. почты"\r\n1,2,3,4,5,6')).toBe(';');
    expect(detectDelimiter('"a;b","c","d"\n')).toBe(',');
    expect(detectDelimiter('First Name\tLast Name\tCompany\n')).toBe('\t');
    expect(detectDelimiter('Фамилия\n')).toBe(',');
  });
});

const EN_ROW = {
  line: 2,
  surname: 'Smith',
  firstName: 'John',
  patronymic: 'Q.',
  company: 'Acme Ltd',
  department: 'Sales',
  jobTitle: 'Purchasing Manager',
  businessAddress: { index: 'SW1A 1AA', country: 'United Kingdom', region: '', locality: 'London', street: '1 High Street' },
  homeAddress: null,
  phones: [
    { kind: 'work', number: '+44 20 7946 0000' },
    { kind: 'mobile', number: '+44 7700 900000' },
  ],
  emails: ['john.smith@acme.example'],
  categories: ['Suppliers'],
  notes: '',
  gender: 'male',
  webPage: '',
  photo: null,
  problems: [],
  // The directory has no field for the salutation: it is reported, not dropped silently.
  dropped: [{ column: 'Title', value: 'Mr.' }],
};

describe('parseOutlookCsv: samples', () => {
  it('parses the English UTF-8 (BOM) export', () => {
    const r = parseOutlookCsv(fixture('outlook-en-utf8.csv'));
    expect(r.format).toBe('outlook-csv');
    expect(r.encoding).toBe('utf-8-bom');
    expect(r.delimiter).toBe(',');
    expect(r.headerLanguage).toBe('en');
    expect(r.problems).toEqual([]);
    expect(r.rows).toEqual([EN_ROW]);
  });

  it('parses the Russian Windows-1251 export', () => {
    const r = parseOutlookCsv(fixture('outlook-ru-windows1251.csv'));
    expect(r.encoding).toBe('windows-1251');
    expect(r.headerLanguage).toBe('ru');
    expect(r.delimiter).toBe(',');
    expect(r.rows).toHaveLength(3);
    const [sidorov, elkina, shchukin] = r.rows;

    expect(sidorov).toMatchObject({
      line: 2,
      surname: 'Сидоров',
      firstName: 'Иван',
      patronymic: 'Петрович',
      company: 'ООО «Ромашка»',
      department: '',
      jobTitle: 'Генеральный директор',
      businessAddress: { street: 'ул. Ленина, д. 10, оф. 5', locality: 'Москва', region: 'Москва', index: '101000', country: 'Россия' },
      homeAddress: null,
      phones: [
        { kind: 'work', number: '+7 (495) 123-45-67' },
        { kind: 'mobile', number: '8 916 111-22-33' },
      ],
      emails: ['sidorov@romashka.ru'],
      categories: ['VIP', 'Поставщики'],
      notes: 'Предпочитает звонки до обеда',
      gender: 'male',
      problems: [],
    });

    // The note spans two physical lines inside quotes, with doubled quotes and a semicolon.
    expect(elkina.line).toBe(3);
    expect(elkina.surname).toBe('Ёлкина');
    expect(elkina.firstName).toBe('Ёлена');
    expect(elkina.gender).toBe('female');
    expect(elkina.notes).toBe('Многострочная заметка:\nвторая строка, с "кавычками"; и точкой с запятой');
    expect(elkina.phones).toEqual([{ kind: 'work', number: '+7 (495) 123-45-68' }]);
    expect(elkina.categories).toEqual(['Поставщики']);

    expect(shchukin.line).toBe(5); // the note above took two lines
    expect(shchukin).toMatchObject({
      surname: 'Щукин',
      firstName: 'Пётр',
      patronymic: '',
      company: 'АО «Северный завод»',
      jobTitle: 'Начальник отдела снабжения',
      businessAddress: { street: 'пр. Металлистов, д. 3', locality: 'Санкт-Петербург', region: '', index: '195112', country: 'Россия' },
      phones: [
        { kind: 'work', number: '(812) 555-01-02' },
        { kind: 'mobile', number: '+79210000001' },
      ],
      emails: ['p.shchukin@sevzavod.ru'],
      categories: [],
      gender: 'unspecified',
    });
  });
});

describe('parseOutlookCsv: re-encoded and re-saved variants', () => {
  const enText = fixture('outlook-en-utf8.csv').subarray(3).toString('utf8');

  it('reads the English export as UTF-16 LE with BOM', () => {
    const r = parseOutlookCsv(encodeUtf16(enText, 'le'));
    expect(r.encoding).toBe('utf-16le');
    expect(r.rows).toEqual([EN_ROW]);
  });

  it('reads the English export as UTF-16 BE with BOM', () => {
    const r = parseOutlookCsv(encodeUtf16(enText, 'be'));
    expect(r.encoding).toBe('utf-16be');
    expect(r.rows).toEqual([EN_ROW]);
  });

  it('reads the English export as UTF-8 without BOM', () => {
    const r = parseOutlookCsv(Buffer.from(enText, 'utf8'));
    expect(r.encoding).toBe('utf-8');
    expect(r.rows).toEqual([EN_ROW]);
  });

  it('reads the Russian export re-saved by Excel (semicolons, minimal quoting, Windows-1251)', () => {
    const original = parseOutlookCsv(fixture('outlook-ru-windows1251.csv'));
    const text = new TextDecoder('windows-1251').decode(fixture('outlook-ru-windows1251.csv'));
    const records = parseCsv(text, ',').map((r) => r.fields);
    const excel = toExcelCsv(records, ';');
    expect(excel.split('\r\n')[0].startsWith('Обращение;Имя;Отчество;Фамилия;')).toBe(true);
    const r = parseOutlookCsv(encodeSingleByte(excel, 'windows-1251'));
    expect(r.delimiter).toBe(';');
    expect(r.encoding).toBe('windows-1251');
    expect(r.headerLanguage).toBe('ru');
    expect(r.rows).toEqual(original.rows);
    expect(r.rows[1].notes).toBe('Многострочная заметка:\nвторая строка, с "кавычками"; и точкой с запятой');
  });

  it('matches columns by name whatever their order, with blanks collapsed and trimmed', () => {
    const csv =
      '"Категории","Адрес  эл. почты"," Фамилия ","Телефон переносной","Организация","Имя","Пол","Город  (раб.  адрес)"\r\n' +
      '"Поставщики; VIP ;поставщики","a@b.ru","Иванова","+7 900 1","ООО Ласточка","Анна","Женский","Тверь"\r\n';
    const r = parseOutlookCsv(Buffer.from(csv, 'utf8'));
    expect(r.headerLanguage).toBe('ru');
    expect(r.rows[0]).toMatchObject({
      surname: 'Иванова',
      firstName: 'Анна',
      company: 'ООО Ласточка',
      emails: ['a@b.ru'],
      phones: [{ kind: 'mobile', number: '+7 900 1' }],
      categories: ['Поставщики', 'VIP'],
      gender: 'female',
      businessAddress: { locality: 'Тверь', street: '', region: '', index: '', country: '' },
    });
  });
});

describe('parseOutlookCsv: values', () => {
  const header =
    '"First Name","Last Name","Company","Business Phone","Business Phone 2","Company Main Phone","Mobile Phone",' +
    '"Business Fax","Home Fax","Home Phone","Pager","Primary Phone","Home Street","Home Street 2","Home City",' +
    '"Home Postal Code","Home Country/Region","E-mail Address","E-mail Type","E-mail 2 Address","E-mail 2 Type",' +
    '"E-mail 3 Address","E-mail 3 Type","Birthday","Gender","Notes","Web Page"';

  it('maps all phone kinds, the home address, three e-mails, dates and web page', () => {
    const row =
      '"Anna","Berg","","+1 1","+1 2","+1 3","+1 4","+1 5","+1 6","+1 7","+1 8","+1 1","5 Elm St","Apt 2","Springfield",' +
      '"12345","USA","anna@x.example","SMTP","ANNA@X.EXAMPLE","SMTP","anna@y.example","SMTP","0/0/00","Female","","http://x.example"';
    const r = parseOutlookCsv(Buffer.from(`${header}\r\n${row}\r\n`, 'utf8'));
    expect(r.rows[0]).toMatchObject({
      firstName: 'Anna',
      surname: 'Berg',
      phones: [
        { kind: 'work', number: '+1 1' },
        { kind: 'work', number: '+1 2' },
        { kind: 'work', number: '+1 3' },
        { kind: 'mobile', number: '+1 4' },
        { kind: 'fax', number: '+1 5' },
        { kind: 'home', number: '+1 7' },
        { kind: 'fax', number: '+1 6' },
        { kind: 'other', number: '+1 8' },
      ], // Primary Phone repeats Business Phone: deduplicated
      homeAddress: { street: '5 Elm St, Apt 2', locality: 'Springfield', region: '', index: '12345', country: 'USA' },
      businessAddress: null,
      emails: ['anna@x.example', 'anna@y.example'],
      gender: 'female',
      webPage: 'http://x.example',
      problems: [],
    });
  });

  it('skips Exchange (EX / X.500) addresses with a problem and flags rows without a name', () => {
    const x500 = '/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=abc-ivanov';
    const rows = [
      `"Ivan","Ivanov","","","","","","","","","","","","","","","","${x500}","EX","ivan@corp.example","SMTP","","","","Male","",""`,
      `"","","","","","","","","","","","","","","","","","${x500}","","","","","","0.0.00","","Note only",""`,
    ];
    const r = parseOutlookCsv(Buffer.from(`${header}\r\n${rows.join('\r\n')}\r\n`, 'utf8'));
    expect(r.rows[0].emails).toEqual(['ivan@corp.example']);
    expect(r.rows[0].problems).toEqual([{ code: 'exchange_email_skipped', detail: x500 }]);
    expect(r.rows[1].emails).toEqual([]);
    expect(r.rows[1].notes).toBe('Note only');
    expect(r.rows[1].problems).toEqual([{ code: 'exchange_email_skipped', detail: x500 }, { code: 'no_name' }]);
  });

  it('keeps a company-only row without a no_name problem and skips empty Excel rows', () => {
    const csv = 'Фамилия;Имя;Организация\r\n;;АО Север\r\n;;\r\n;;\r\n';
    const r = parseOutlookCsv(Buffer.from(csv, 'utf8'));
    expect(r.rows).toHaveLength(1);
    expect(r.rows[0]).toMatchObject({ line: 2, company: 'АО Север', problems: [] });
  });

  it('reports a note spanning several lines and keeps later line numbers right', () => {
    const csv =
      '"First Name","Last Name","Notes"\r\n' +
      '"A","One","line 1\r\nline 2\r\n\r\nline 4, ""quoted"""\r\n' +
      '"B","Two",""\r\n';
    const r = parseOutlookCsv(Buffer.from(csv, 'utf8'));
    expect(r.rows.map((x) => [x.line, x.surname, x.notes])).toEqual([
      [2, 'One', 'line 1\nline 2\n\nline 4, "quoted"'],
      [6, 'Two', ''],
    ]);
  });
});

describe('parseOutlookCsv: errors and edge cases', () => {
  it('rejects an empty file', () => {
    expect(catchParseError(() => parseOutlookCsv(Buffer.alloc(0))).code).toBe('empty');
    expect(catchParseError(() => parseOutlookCsv(Buffer.from([0xef, 0xbb, 0xbf, 0x0d, 0x0a]))).code).toBe('empty');
  });

  it('returns zero rows for a header-only file', () => {
    const header = fixture('outlook-en-utf8.csv').toString('utf8').split('\r\n')[0];
    const r = parseOutlookCsv(Buffer.from(header + '\r\n', 'utf8'));
    expect(r.rows).toEqual([]);
    expect(r.headerLanguage).toBe('en');
  });

  it('rejects a CSV without any name, company or e-mail column', () => {
    const e = catchParseError(() => parseOutlookCsv(Buffer.from('id,amount,date\r\n1,2,3\r\n', 'utf8')));
    expect(e.code).toBe('not_outlook_csv');
  });

  it('reports a broken quote on line 5,000 of a generated file', () => {
    const lines = ['"First Name","Last Name","Company","E-mail Address","Notes"'];
    for (let i = 2; i <= 6000; i++) {
      lines.push(
        i === 5000
          ? `"Name${i}","Surname${i},"Company ${i}","user${i}@example.com",""` // closing quote missing
          : `"Name${i}","Surname${i}","Company ${i}","user${i}@example.com",""`,
      );
    }
    const e = catchParseError(() => parseOutlookCsv(Buffer.from(lines.join('\r\n') + '\r\n', 'utf8')));
    expect(e.code).toBe('unterminated_quote');
    expect(e.line).toBe(5000);
    expect(e.detail).toBe('text_after_closing_quote');
  });

  it('reports a missing closing quote at the end of a line with that line', () => {
    const lines = ['"First Name","Last Name","Notes"'];
    for (let i = 2; i <= 5001; i++) lines.push(i === 5000 ? `"N${i}","S${i}","broken note` : `"N${i}","S${i}","note"`);
    const e = catchParseError(() => parseOutlookCsv(Buffer.from(lines.join('\r\n') + '\r\n', 'utf8')));
    expect(e.code).toBe('unterminated_quote');
    expect(e.line).toBe(5000);
  });

  it('reports a quote left open at the end of the file', () => {
    const e = catchParseError(() => parseOutlookCsv(Buffer.from('"Last Name","Notes"\r\n"A","b\r\n\r\nno end', 'utf8')));
    expect(e).toMatchObject({ code: 'unterminated_quote', line: 2, detail: 'eof' });
  });

  // Correctness at size only: speed is the benchmark's job (bench/scenarios/import.ts), a timed
  // assertion here failed CI on a loaded machine.
  it('parses 10,000 Outlook rows, multi-line notes and line numbers intact', () => {
    const header = fixture('outlook-en-utf8.csv').toString('utf8').split('\r\n')[0];
    const body: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      body.push(
        `"Mr.","John${i}","Q.","Smith${i}","","Acme ${i % 100} Ltd","Sales","Manager","${i} High Street","London","",` +
          `"SW1A 1AA","United Kingdom","","+44 20 7946 ${String(i).padStart(4, '0')}","+44 7700 900000","",` +
          `"Suppliers;VIP","john${i}@acme.example","SMTP","John","","Male","Line one\r\nline two, ""quoted""",""`,
      );
    }
    const buf = Buffer.from(header + '\r\n' + body.join('\r\n') + '\r\n', 'utf8');
    const r = parseOutlookCsv(buf);
    expect(r.rows).toHaveLength(10_000);
    expect(r.rows[9999]).toMatchObject({
      line: 2 + 9999 * 2,
      surname: 'Smith9999',
      emails: ['john9999@acme.example'],
      notes: 'Line one\nline two, "quoted"',
      categories: ['Suppliers', 'VIP'],
    });
  });
});
