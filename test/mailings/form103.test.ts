import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PdfEngine } from '../../src/features/envelopes/pdf-engine.js';
import {
  countInWords,
  FORM103_MAX_ITEMS,
  form103Csv,
  form103Html,
  form103Lists,
  form103Pdf,
  form103Totals,
  form103Xlsx,
  type Form103Batch,
  type Form103Item,
} from '../../src/features/mailings/form103.js';
import { trackingCheckDigit } from '../../src/features/mailings/tracking.js';
import { AppError } from '../../src/lib/errors.js';
import { pageSizesMm, pdfText } from '../envelopes/helpers.js';
import { registerFeatures } from '../../src/features/index.js';

// The features' dictionaries (the form 103 strings) join the core one at startup; this test starts no app.
registerFeatures();

const HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';

function tracking(i: number): string {
  const body = `62001486${String(i).padStart(5, '0')}`;
  return body + trackingCheckDigit(body);
}

/** Item i: every third has a declared value of 100.10 ₽ (kopecks that float sums get wrong), every other a ШПИ. */
function item(i: number): Form103Item {
  return {
    name: i === 4 ? HOSTILE : `Адресатов${i} Иван Петрович`,
    address: `${String(620000 + i)}, Свердловская обл., г. Екатеринбург, ул. Малышева, д. ${i + 1}`,
    postcode: String(620000 + i),
    declaredValue: i % 3 === 0 ? 100.1 : null,
    outgoingNumber: `02-${i + 1}`,
    tracking: i % 2 ? tracking(i) : null,
  };
}

function batch(n: number, over: Partial<Form103Batch> = {}): Form103Batch {
  return {
    kind: 'registered_notice',
    category: 'письмо',
    sender: { name: 'ООО «Ромашка»', address: '620014, г. Екатеринбург, ул. Малышева, д. 5, оф. 12' },
    date: new Date('2026-12-07T00:00:00Z'),
    items: Array.from({ length: n }, (_, i) => item(i)),
    locale: 'ru',
    ...over,
  };
}

/** pdftotext writes no-break spaces (Intl's thousands separator) and line breaks as they fall: compare words. */
const flat = (s: string) => s.replace(/[\s\u00a0\u202f]+/g, ' ');

let engine: PdfEngine;
beforeAll(() => {
  engine = new PdfEngine();
});
afterAll(async () => {
  await engine.close();
});

describe('form 103 lists', () => {
  it('splits items into lists of at most 35, in order', () => {
    expect(FORM103_MAX_ITEMS).toBe(35);
    expect(form103Lists(batch(80)).map((l) => l.length)).toEqual([35, 35, 10]);
    expect(form103Lists(batch(35)).map((l) => l.length)).toEqual([35]);
    expect(form103Lists(batch(36)).map((l) => l.length)).toEqual([35, 1]);
    expect(form103Lists(batch(0))).toEqual([]);
    const lists = form103Lists(batch(80));
    expect(lists[1][0].name).toBe('Адресатов35 Иван Петрович');
    expect(lists[2][9].name).toBe('Адресатов79 Иван Петрович');
  });

  it('totals a list: items and declared values summed in kopecks', () => {
    const three = [0.1, 0.2, 100.1].map((v, i) => ({ ...item(i), declaredValue: v }));
    expect(form103Totals(three)).toEqual({ count: 3, declaredValue: 100.4 });
    expect(form103Totals([item(1), item(2)])).toEqual({ count: 2, declaredValue: null });
  });

  it('writes the count in words, Russian in the neuter of "отправление"', () => {
    expect(countInWords(1, 'ru')).toBe('одно');
    expect(countInWords(2, 'ru')).toBe('два');
    expect(countInWords(12, 'ru')).toBe('двенадцать');
    expect(countInWords(35, 'ru')).toBe('тридцать пять');
    expect(countInWords(140, 'ru')).toBe('сто сорок');
    expect(countInWords(35, 'en')).toBe('thirty-five');
    expect(countInWords(101, 'en')).toBe('one hundred and one');
  });

  it('escapes hostile names, addresses, categories and senders in the HTML', () => {
    const html = form103Html(batch(6, { category: HOSTILE, sender: { name: HOSTILE, address: HOSTILE } }));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;');
  });

  it('refuses an empty batch with a localized message', async () => {
    const err = await form103Pdf(batch(0), engine).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(422);
    expect((err as AppError).messageKey).toBe('form103.empty');
  });
});

describe('form 103 PDF', () => {
  let pdf: Buffer;
  beforeAll(async () => {
    pdf = await form103Pdf(batch(80), engine);
  }, 120_000);

  it('is A4 landscape on every sheet', async () => {
    const sizes = await pageSizesMm(pdf);
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    for (const s of sizes) {
      expect(Math.abs(s.w - 297)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(s.h - 210)).toBeLessThanOrEqual(0.5);
    }
  });

  it('puts 35, 35 and 10 rows into lists 1, 2 and 3, each with its totals', () => {
    // -layout keeps each table row on one line, in order.
    const text = flat(pdfText(pdf, undefined, { layout: true }));
    const lists = text.split(/СПИСОК № /).slice(1);
    expect(lists.map((l) => l.slice(0, 2).trim())).toEqual(['1', '2', '3']);
    const names = lists.map((l) => [...l.matchAll(/Адресатов(\d+) Иван/g)].map((m) => Number(m[1])));
    // Item 4 is the hostile name.
    expect(names[0]).toEqual(Array.from({ length: 35 }, (_, i) => i).filter((i) => i !== 4));
    expect(names[1]).toEqual(Array.from({ length: 35 }, (_, i) => 35 + i));
    expect(names[2]).toEqual(Array.from({ length: 10 }, (_, i) => 70 + i));
    // Every third item declares 100,10 ₽: 12 of the first 35 (0–33), 12 of the next (36–69), 3 of the last 10 (72, 75, 78).
    expect(lists[0]).toContain('Всего отправлений: 35 (тридцать пять)');
    expect(lists[0]).toContain('Сумма объявленной ценности: 1 201,20 руб.');
    expect(lists[1]).toContain('Всего отправлений: 35 (тридцать пять)');
    expect(lists[1]).toContain('Сумма объявленной ценности: 1 201,20 руб.');
    expect(lists[2]).toContain('Всего отправлений: 10 (десять)');
    expect(lists[2]).toContain('Сумма объявленной ценности: 300,30 руб.');
    for (const l of lists) expect(l).toContain('список');
    expect(lists[2]).toContain('список 3 из 3');
  });

  it('carries the form: heading, kind and category, sender, columns, signatures, stamp, two copies', () => {
    const first = flat(pdfText(pdf, 1));
    for (const s of [
      'СПИСОК № 1',
      'ф. 103',
      'внутренних почтовых отправлений',
      'заказные с уведомлением о вручении, письмо',
      'Поданных в',
      'Дата сдачи 7 декабря 2026 г.',
      'ООО «Ромашка», 620014, г. Екатеринбург, ул. Малышева, д. 5, оф. 12',
      '№ п/п',
      'Кому (наименование адресата)',
      'Куда (почтовый адрес с индексом)',
      'Объявленная ценность, руб.',
      'за пересылку',
      'объявленную',
      'уведомление',
      'ШПИ',
      'Примечание (исх. №)',
      '02-1',
      '620014 86 00001 0',
    ]) {
      expect(first, s).toContain(s);
    }
    const second = flat(pdfText(pdf, 2));
    for (const s of ['Сдал', 'Принял', 'должность', 'подпись', 'фамилия, инициалы', 'календарного штемпеля', 'в двух экземплярах']) expect(second, s).toContain(s);
  });

  it('shows hostile text as text', () => {
    // The name column wraps it after "src=x".
    const text = flat(pdfText(pdf, 1, { layout: true }));
    expect(text).toContain('<script>alert("x")</script> & <img src=x');
    expect(text).toContain('onerror=alert(1)>');
  });

  it('looks like the form when rendered to an image', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'f103-'));
    try {
      writeFileSync(path.join(dir, 'f.pdf'), pdf);
      execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', path.join(dir, 'f.pdf'), path.join(dir, 'p')]);
      const png = readdirSync(dir).find((f) => f.endsWith('.png'));
      expect(png).toBeDefined();
      // 297 × 210 mm at 60 dpi: 702 × 496 pixels, wider than high.
      const info = execFileSync('file', [path.join(dir, png!)], { encoding: 'utf8' });
      expect(info).toMatch(/70[12] x 49[56]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has English labels for an English copy', async () => {
    const en = flat(pdfText(await form103Pdf(batch(3, { locale: 'en', kind: 'simple', category: 'letter' }), engine)));
    for (const s of ['LIST No. 1', 'of domestic postal items', 'ordinary, letter', 'Sender', 'To (addressee)', 'Declared value, RUB', 'postage', 'Handed over by', 'Accepted by', 'Items in total: 3 (three)', 'two copies']) {
      expect(en, s).toContain(s);
    }
  });
});

describe('form 103 PDF with long cells', () => {
  const LONG = 'ул. Генерала Кислякова Героя Советского Союза, д. 125, корп. 3, стр. 2, кв. 1024, а/я 77, для передачи в отдел кадров';
  const long = batch(35);
  long.items = long.items.map((it, i) => ({ ...it, name: `Адресатов${i} Константинопольский-Щербатской Александр Вольдемарович`, address: `${620000 + i}, ${LONG}` }));

  it('grows a row to its wrapped lines, never splits one, and repeats the headings on every sheet of the list', async () => {
    const pdf = await form103Pdf(long, engine);
    const sizes = await pageSizesMm(pdf);
    // Three-line rows: 35 of them need three sheets, the totals and signatures follow the last row.
    expect(sizes.length).toBe(3);
    const pages = sizes.map((_, i) => flat(pdfText(pdf, i + 1, { layout: true })));
    for (const page of pages) expect(page).toContain('Кому (наименование адресата)');
    const names = pages.map((p) => [...p.matchAll(/Адресатов(\d+) /g)].map((m) => Number(m[1])));
    expect(names.flat()).toEqual(Array.from({ length: 35 }, (_, i) => i));
    // Every row's address is there whole, after its name's row started on the same sheet.
    for (const [sheet, ns] of names.entries()) for (const n of ns) expect(pages[sheet]).toContain(`${620000 + n}, ул. Генерала`);
    expect(pages.at(-1)).toContain('Всего отправлений: 35 (тридцать пять)');
  });

  it('keeps every glyph when PDFs in two languages are made one after the other', async () => {
    const ru = flat(pdfText(await form103Pdf(batch(3), engine)));
    const en = flat(pdfText(await form103Pdf(batch(3, { locale: 'en', kind: 'simple', category: 'letter' }), engine)));
    const again = flat(pdfText(await form103Pdf(batch(3), engine)));
    expect(en).toContain('LIST No. 1');
    expect(en).toContain('Handed over by');
    expect(again).toBe(ru);
  });
});

describe('form 103 for electronic intake', () => {
  const b = batch(80);
  b.items[5] = { ...b.items[5], name: '=HYPERLINK("http://evil")', address: 'ул. Ленина; д. 1 "А"' };

  it('writes CSV as Russian Excel opens it: BOM, semicolons, CRLF, a list number on each row', () => {
    const csv = form103Csv(b);
    expect(csv.startsWith('\ufeffСписок №;№ п/п;Кому (наименование адресата);Куда (почтовый адрес с индексом);Индекс;Объявленная ценность, руб.;ШПИ')).toBe(true);
    const lines = csv.slice(1).split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(82);
    expect(lines[1]).toBe('1;1;Адресатов0 Иван Петрович;620000, Свердловская обл., г. Екатеринбург, ул. Малышева, д. 1;620000;100,10;;02-1;заказные с уведомлением о вручении;письмо');
    expect(lines[2]).toContain(';62001486000010;');
    expect(lines[36].startsWith('2;1;Адресатов35 ')).toBe(true);
    expect(lines[80].startsWith('3;10;Адресатов79 ')).toBe(true);
    // Formula-like text is kept as text; a value with ";" or quotes is quoted.
    expect(lines[6]).toContain(`;"'=HYPERLINK(""http://evil"")";"ул. Ленина; д. 1 ""А""";`);
  });

  it('writes the same rows to .xlsx, read back with exceljs', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await form103Xlsx(b)) as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    expect(ws.name).toBe('Ф. 103');
    expect(ws.rowCount).toBe(81);
    expect(ws.getRow(1).getCell(1).value).toBe('Список №');
    const r = (n: number) => (ws.getRow(n).values as unknown[]).slice(1);
    expect(r(2)).toEqual([1, 1, 'Адресатов0 Иван Петрович', '620000, Свердловская обл., г. Екатеринбург, ул. Малышева, д. 1', '620000', 100.1, undefined, '02-1', 'заказные с уведомлением о вручении', 'письмо']);
    expect(r(3)[6]).toBe('62001486000010');
    expect(r(7)[2]).toBe('=HYPERLINK("http://evil")');
    expect(r(37).slice(0, 3)).toEqual([2, 1, 'Адресатов35 Иван Петрович']);
    expect(r(81).slice(0, 2)).toEqual([3, 10]);
  });
});
