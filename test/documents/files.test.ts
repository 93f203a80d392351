import { describe, expect, it } from 'vitest';
import { asciiFileName, contentDisposition, sanitizeFileName, sniffContentType } from '../../src/features/documents/files.js';
import { parseDate } from '../../src/features/documents/dates.js';
import { formatRegNumber } from '../../src/features/documents/numbers.js';
import { decodeCursor } from '../../src/features/documents/list.js';
import { makePdf } from '../../src/features/documents/demo-pdf.js';

const utf16 = (s: string) => Buffer.from(s, 'utf16le');

describe('sniffContentType', () => {
  it('tells types by their bytes only', () => {
    const ole = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    const cases: [Buffer, string][] = [
      [makePdf(['x']), 'application/pdf'],
      [Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(8)]), 'image/png'],
      [Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]), 'image/jpeg'],
      [Buffer.from('GIF89a\x01\x00', 'latin1'), 'image/gif'],
      [Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('[Content_Types].xml word/document.xml')]), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      [Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('xl/workbook.xml')]), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      [Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('photos/1.jpg')]), 'application/zip'],
      [Buffer.concat([ole, Buffer.alloc(100), utf16('WordDocument')]), 'application/msword'],
      [Buffer.concat([ole, Buffer.alloc(100), utf16('Workbook')]), 'application/vnd.ms-excel'],
      [Buffer.from('Добрый день!\r\nПисьмо во вложении.', 'utf8'), 'text/plain; charset=utf-8'],
      [Buffer.from([0xc4, 0xee, 0xe1, 0xf0, 0xfb, 0xe9, 0x20, 0xe4, 0xe5, 0xed, 0xfc]), 'text/plain'],
      [Buffer.from('<html><script>alert(1)</script></html>'), 'text/plain; charset=utf-8'],
      [Buffer.from('MZ\x90\x00\x03\x00', 'latin1'), 'application/octet-stream'],
    ];
    for (const [buf, type] of cases) expect(sniffContentType(buf), type).toBe(type);
  });
});

describe('sanitizeFileName', () => {
  it('keeps only a safe last segment, Cyrillic included', () => {
    expect(sanitizeFileName('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFileName('C:\\Users\\secretary\\Desktop\\Письмо.docx')).toBe('Письмо.docx');
    expect(sanitizeFileName('a\u0000b\u0007c\td.pdf')).toBe('a b c d.pdf');
    expect(sanitizeFileName('счёт\u202Efdp.exe')).toBe('счётfdp.exe');
    expect(sanitizeFileName('  ..hidden.txt. ')).toBe('hidden.txt');
    expect(sanitizeFileName('что?<это>:"".pdf')).toBe('что__это____.pdf');
    expect(sanitizeFileName('CON.txt')).toBe('_CON.txt');
    expect(sanitizeFileName('..', 'file.pdf')).toBe('file.pdf');
    expect(sanitizeFileName('Ё'.normalize('NFD') + '.txt')).toBe('Ё.txt');
  });

  it('cuts long names to 200 characters and keeps the extension', () => {
    const name = sanitizeFileName('Ж'.repeat(300) + '.docx');
    expect([...name].length).toBe(200);
    expect(name).toBe('Ж'.repeat(195) + '.docx');
  });
});

describe('Content-Disposition', () => {
  it('carries an ASCII fallback and the UTF-8 name (RFC 5987)', () => {
    expect(contentDisposition('Акт (сверки) 1*2\'.pdf', 'attachment')).toBe(
      `attachment; filename="Akt (sverki) 1_2_.pdf"; filename*=UTF-8''%D0%90%D0%BA%D1%82%20%28%D1%81%D0%B2%D0%B5%D1%80%D0%BA%D0%B8%29%201%2A2%27.pdf`,
    );
    expect(asciiFileName('Щёкин "Ъ".txt')).toBe('Shchekin __.txt');
  });
});

describe('dates, numbers, cursors', () => {
  it('accepts real dates between 1900 and 2100 in ISO or Russian form', () => {
    expect(parseDate('2026-03-15')).toBe('2026-03-15');
    expect(parseDate('5.3.2026')).toBe('2026-03-05');
    expect(parseDate('29.02.2024')).toBe('2024-02-29');
    for (const bad of ['20260-01-15', '2026-02-29', '31.04.2026', '1899-12-31', '2101-01-01', '2026-13-01', 'вчера', '']) expect(parseDate(bad), bad).toBeNull();
  });

  it('formats registration numbers', () => {
    expect(formatRegNumber('incoming', 2026, 123)).toBe('Вх-2026/000123');
    expect(formatRegNumber('outgoing', 2026, 45)).toBe('Исх-2026/000045');
  });

  it('reads only well-formed cursors', () => {
    expect(decodeCursor('2026-03-01_17')).toEqual({ regDate: '2026-03-01', id: 17 });
    for (const bad of ['2026-02-30_1', "2026-03-01_1' or 1=1", '2026-03-01_99999999999', 'x']) expect(decodeCursor(bad)).toBeNull();
  });
});
