import { describe, expect, it } from 'vitest';
import { parseContactsFile, ParseError } from './index.js';
import { encodeSingleByte, encodeUtf16, fixture, pseudoRandomBytes } from './test-helpers.js';

function catchParseError(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error('expected a ParseError');
}

describe('parseContactsFile', () => {
  it('parses the English CSV sample', () => {
    const r = parseContactsFile(fixture('outlook-en-utf8.csv'), 'contacts.csv');
    expect(r).toMatchObject({ format: 'outlook-csv', encoding: 'utf-8-bom', delimiter: ',', headerLanguage: 'en', problems: [] });
    expect(r.version).toBeUndefined();
    expect(r.rows.map((x) => [x.firstName, x.surname, x.company, x.emails])).toEqual([
      ['John', 'Smith', 'Acme Ltd', ['john.smith@acme.example']],
    ]);
  });

  it('parses the Russian CSV sample', () => {
    const r = parseContactsFile(fixture('outlook-ru-windows1251.csv'), 'Контакты.CSV');
    expect(r).toMatchObject({ format: 'outlook-csv', encoding: 'windows-1251', headerLanguage: 'ru' });
    expect(r.rows.map((x) => `${x.surname} ${x.firstName} ${x.patronymic}`.trim())).toEqual([
      'Сидоров Иван Петрович',
      'Ёлкина Ёлена Сергеевна',
      'Щукин Пётр',
    ]);
  });

  it('parses both vCard samples by content', () => {
    const a = parseContactsFile(fixture('outlook-2.1-windows1251.vcf'), 'sidorov.vcf');
    expect(a).toMatchObject({ format: 'vcard', version: ['2.1'], problems: [] });
    expect(a.delimiter).toBeUndefined();
    expect(a.rows[0]).toMatchObject({ surname: 'Сидоров', company: 'ООО «Ромашка»', emails: ['sidorov@romashka.ru'] });
    const b = parseContactsFile(fixture('vcard-3.0-utf8.vcf'), 'kuznetsov.vcf');
    expect(b).toMatchObject({ format: 'vcard', version: ['3.0'], encoding: 'utf-8' });
    expect(b.rows[0]).toMatchObject({ surname: 'Кузнецов', department: 'Отдел продаж' });
  });

  it('sniffs by content, not by name, and notes a misleading extension', () => {
    const v = parseContactsFile(Buffer.concat([Buffer.from('\r\n\r\n'), fixture('vcard-3.0-utf8.vcf')]), 'export.csv');
    expect(v.format).toBe('vcard');
    expect(v.rows[0].line).toBe(3);
    expect(v.problems).toEqual([{ code: 'extension_mismatch', detail: 'csv' }]);
    const c = parseContactsFile(fixture('outlook-en-utf8.csv'), 'export.vcf');
    expect(c.format).toBe('outlook-csv');
    expect(c.problems).toEqual([{ code: 'extension_mismatch', detail: 'vcf' }]);
  });

  it('accepts UTF-16 files (whose ASCII has NUL bytes)', () => {
    const text = fixture('outlook-en-utf8.csv').subarray(3).toString('utf8');
    const le = parseContactsFile(encodeUtf16(text, 'le'), 'c.csv');
    expect(le.encoding).toBe('utf-16le');
    expect(le.rows[0].surname).toBe('Smith');
    const be = parseContactsFile(encodeUtf16(text, 'be'), 'c.csv');
    expect(be.encoding).toBe('utf-16be');
    expect(be.rows[0].phones).toEqual([
      { kind: 'work', number: '+44 20 7946 0000' },
      { kind: 'mobile', number: '+44 7700 900000' },
    ]);
    const vcfText = fixture('vcard-3.0-utf8.vcf').toString('utf8');
    const v = parseContactsFile(encodeUtf16(vcfText, 'le'), 'c.vcf');
    expect(v).toMatchObject({ format: 'vcard', encoding: 'utf-16le' });
    expect(v.rows[0].surname).toBe('Кузнецов');
  });

  it('rejects random bytes', () => {
    const withNuls = pseudoRandomBytes(4096, 42);
    expect(withNuls.includes(0)).toBe(true);
    expect(catchParseError(() => parseContactsFile(withNuls, 'contacts.csv'))).toMatchObject({
      code: 'not_a_contacts_file',
      detail: 'binary',
    });
    const noNuls = Buffer.from(pseudoRandomBytes(4096, 43).map((b) => (b === 0 ? 1 : b)));
    expect(catchParseError(() => parseContactsFile(noNuls, 'contacts.csv')).code).toBe('not_a_contacts_file');
  });

  it('recognises an Excel workbook renamed to .csv', () => {
    const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), pseudoRandomBytes(512, 5)]);
    expect(catchParseError(() => parseContactsFile(xlsx, 'contacts.csv'))).toMatchObject({
      code: 'not_a_contacts_file',
      detail: 'zip',
    });
  });

  it('rejects empty and blank files', () => {
    expect(catchParseError(() => parseContactsFile(Buffer.alloc(0), 'a.csv')).code).toBe('empty');
    expect(catchParseError(() => parseContactsFile(Buffer.from('\r\n  \r\n'), 'a.csv')).code).toBe('empty');
    expect(catchParseError(() => parseContactsFile(Buffer.from([0xef, 0xbb, 0xbf]), 'a.vcf')).code).toBe('empty');
  });

  it('returns zero rows for a header-only Russian CSV', () => {
    const header = encodeSingleByte('"Обращение","Имя","Отчество","Фамилия","Организация","Адрес эл. почты"\r\n', 'windows-1251');
    const r = parseContactsFile(header, 'a.csv');
    expect(r).toMatchObject({ format: 'outlook-csv', encoding: 'windows-1251', headerLanguage: 'ru', rows: [] });
  });

  it('rejects text that is neither vCard nor Outlook CSV', () => {
    const e = catchParseError(() => parseContactsFile(Buffer.from('Hello,\nthis is a letter.\n'), 'letter.txt'));
    expect(e.code).toBe('not_outlook_csv');
    expect(e.line).toBe(1);
  });

  it('passes vCard errors through', () => {
    const e = catchParseError(() => parseContactsFile(Buffer.from('BEGIN:VCARD\r\nVERSION:3.0\r\nN:A;;;;\r\n'), 'a.vcf'));
    expect(e).toMatchObject({ code: 'vcard_unterminated', line: 1 });
  });
});
