import { Eta } from 'eta';
import type { Locale } from '../../db/schema/users.js';
import { translator, type Translate } from '../../i18n/index.js';
import { AppError } from '../../lib/errors.js';
import { VIEWS_DIR } from '../../plugins/render.js';
import type { PdfEngine } from '../envelopes/pdf-engine.js';
import { csvValue, sheetName, xlsxStream, type Cell, type Column } from '../export/table.js';
import { drawForm103, type Form103ListView, type Form103View } from './form103-pdf.js';

export type { Form103ListView, Form103View };
import { formatTracking } from './tracking.js';

/**
 * The list of batch mail, form 103 (список партионных почтовых отправлений ф. 103): what an office
 * hands the post office with five or more items of one kind, at most 35 items per list, in two
 * copies, signed by the sender and by the clerk who accepts them.
 *
 * Layout and columns. Sources:
 * - Russian Post's order on accepting batch mail, its annexes "Поля для заполнения в заголовке
 *   Списков" and "Поля для заполнения в табличной части Списков" (consultant.ru,
 *   cons_doc_LAW_423861): the header of a ф. 103 carries the list's number (unique among the
 *   sender's lists of the day), the date of handing in, the kind and category of the items, the
 *   sender; the table carries the item's number in the list (№ п/п), the addressee and the postal
 *   address with the index, the declared value, the charges, the barcode identifier (ШПИ).
 * - The printed form ф. 103 as the postal rules reproduce it ("СПИСОК № ___ ф. 103 /
 *   … почтовых отправлений ___ (вид, категория) / поданных в ___ (наименование объекта почтовой
 *   связи) / Отправитель ___ (полное наименование отправителя)", columns "№ п/п, Куда (почтовый
 *   адрес), Кому (наименование адресата), объявленная ценность, плата за пересылку, № отправления
 *   (ШПИ)", the total of the charges, the sender's stamp), seen on ukrpost.foundtt.com/en/blank/103/,
 *   the same Soviet-era form the Russian one descends from.
 * - The 35-item limit and the two copies: the rules for batch mail (Почтовые правила, partionnaya
 *   pochta), as quoted e.g. on kompyutery-programmy.ru ("в один список может быть включено не более
 *   35 почтовых отправлений одного вида").
 * The payment columns (за пересылку, за объявленную ценность, за уведомление) are left blank: the
 * post office fills them at acceptance (or the sender from the tariff, by hand).
 */

export const FORM103_MAX_ITEMS = 35;

export interface Form103Item {
  name: string;
  /** Full postal address with index. */
  address: string;
  postcode: string | null;
  declaredValue: number | null;
  outgoingNumber: string | null;
  tracking: string | null;
}

export interface Form103Batch {
  kind: 'simple' | 'registered' | 'registered_notice';
  category: string;
  sender: { name: string; address: string };
  date: Date;
  items: Form103Item[];
  locale: 'ru' | 'en';
}

/** The items split into lists of at most 35, in order. */
export function form103Lists(batch: Form103Batch): Form103Item[][] {
  const lists: Form103Item[][] = [];
  for (let i = 0; i < batch.items.length; i += FORM103_MAX_ITEMS) lists.push(batch.items.slice(i, i + FORM103_MAX_ITEMS));
  return lists;
}

export interface Form103Totals {
  count: number;
  /** The sum of the declared values in rubles (kopecks exact), or null when no item has one. */
  declaredValue: number | null;
}

/** A list's totals: its items and the sum of their declared values, counted in kopecks. */
export function form103Totals(items: Form103Item[]): Form103Totals {
  let kopecks = 0;
  let any = false;
  for (const item of items) {
    if (item.declaredValue === null) continue;
    any = true;
    kopecks += Math.round(item.declaredValue * 100);
  }
  return { count: items.length, declaredValue: any ? kopecks / 100 : null };
}

// ---- numbers and dates as the form writes them ----

const RU_UNITS = ['', 'одно', 'два', 'три', 'четыре', 'пять', 'шесть', 'семь', 'восемь', 'девять'];
const RU_TEENS = ['десять', 'одиннадцать', 'двенадцать', 'тринадцать', 'четырнадцать', 'пятнадцать', 'шестнадцать', 'семнадцать', 'восемнадцать', 'девятнадцать'];
const RU_TENS = ['', '', 'двадцать', 'тридцать', 'сорок', 'пятьдесят', 'шестьдесят', 'семьдесят', 'восемьдесят', 'девяносто'];
const RU_HUNDREDS = ['', 'сто', 'двести', 'триста', 'четыреста', 'пятьсот', 'шестьсот', 'семьсот', 'восемьсот', 'девятьсот'];
const EN_UNITS = ['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const EN_TEENS = ['ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/**
 * A count of items in words, as the form's "всего … (прописью)" wants it (0–999; a list holds 35).
 * Russian in the neuter, agreeing with "отправление": одно, два.
 */
export function countInWords(n: number, locale: Locale): string {
  if (!Number.isInteger(n) || n < 0 || n > 999) return String(n);
  if (n === 0) return locale === 'ru' ? 'ноль' : 'zero';
  const h = Math.floor(n / 100);
  const rest = n % 100;
  const parts: string[] = [];
  if (locale === 'ru') {
    if (h) parts.push(RU_HUNDREDS[h]);
    if (rest >= 10 && rest < 20) parts.push(RU_TEENS[rest - 10]);
    else {
      if (rest >= 20) parts.push(RU_TENS[Math.floor(rest / 10)]);
      if (rest % 10) parts.push(RU_UNITS[rest % 10]);
    }
    return parts.join(' ');
  }
  if (h) parts.push(`${EN_UNITS[h]} hundred`);
  if (rest >= 10 && rest < 20) parts.push(EN_TEENS[rest - 10]);
  else if (rest) {
    const tens = EN_TENS[Math.floor(rest / 10)];
    const unit = EN_UNITS[rest % 10];
    parts.push(tens && unit ? `${tens}-${unit}` : tens || unit);
  }
  return parts.join(h && rest ? ' and ' : ' ');
}

const money: Record<Locale, Intl.NumberFormat> = {
  ru: new Intl.NumberFormat('ru', { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
  en: new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
};
/** The list's date is a calendar date: its UTC day, as the product stores dates (midnight UTC). */
const longDate: Record<Locale, Intl.DateTimeFormat> = {
  ru: new Intl.DateTimeFormat('ru', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
  en: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }),
};
const pad = (n: number) => String(n).padStart(2, '0');
const dayText: Record<Locale, (d: Date) => string> = {
  ru: (d) => `${pad(d.getUTCDate())}.${pad(d.getUTCMonth() + 1)}.${d.getUTCFullYear()}`,
  en: (d) => d.toISOString().slice(0, 10),
};

// ---- the printed form ----

// The view both drawings take (the HTML template and the PDF) is declared beside the PDF drawing.

function listView(items: Form103Item[], number: number, batch: Form103Batch): Form103ListView {
  const totals = form103Totals(items);
  const fmt = money[batch.locale];
  return {
    number,
    rows: items.map((item, i) => ({
      n: i + 1,
      name: item.name,
      address: item.address,
      value: item.declaredValue === null ? '' : fmt.format(item.declaredValue),
      tracking: item.tracking ? formatTracking(item.tracking) : '',
      // The column's header says what it is: the number alone keeps long numbers on one line.
      note: item.outgoingNumber ?? '',
    })),
    count: totals.count,
    countWords: countInWords(totals.count, batch.locale),
    declaredValue: totals.declaredValue === null ? null : fmt.format(totals.declaredValue),
  };
}

/** What the templates get for a batch: the header shared by every list, and each list's rows and totals. */
export function form103View(batch: Form103Batch): Form103View {
  const t = translator(batch.locale);
  return {
    t,
    locale: batch.locale,
    kind: t(`form103.kind.${batch.kind}`),
    category: batch.category,
    sender: batch.sender,
    date: longDate[batch.locale].format(batch.date),
    lists: form103Lists(batch).map((items, i) => listView(items, i + 1, batch)),
    pageTitle: `${t('form103.sheet')} — ${batch.sender.name}`,
  };
}

// Autoescaping on: every value from a card (names, addresses, the category) is escaped.
const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, autoTrim: false, cache: true });

function listHtml(view: Form103View, list: Form103ListView): string {
  return eta.render('/mailings/_form103-list', { ...view, list, total: view.lists.length });
}

function documentHtml(view: Form103View, body: string): string {
  return eta.render('/mailings/form103', { locale: view.locale, pageTitle: view.pageTitle, css: FORM103_CSS, body });
}

/**
 * The whole batch as one HTML document, every list starting on a new page: a page a browser can
 * print as it is (its stylesheet is inside). The PDF is drawn directly with the same geometry
 * (form103-pdf.ts): a change to the stylesheet's layout belongs in both.
 */
export function form103Html(batch: Form103Batch): string {
  const view = form103View(batch);
  return documentHtml(view, view.lists.map((l) => listHtml(view, l)).join(''));
}

function nonEmpty(batch: Form103Batch) {
  if (batch.items.length === 0) throw new AppError(422, 'form103.empty');
}

/**
 * A4 landscape, drawn straight into the PDF with the printed form's geometry (form103-pdf.ts): a
 * browser spent ~2.4 ms of CPU a row on the table (5,000 items, 286 sheets: 12 s of Chromium).
 * The engine parameter is kept for callers that pass the application's PDF engine; it is not used.
 */
export async function form103Pdf(batch: Form103Batch, _engine?: PdfEngine, opts: { signal?: AbortSignal } = {}): Promise<Buffer> {
  nonEmpty(batch);
  const pdf = await drawForm103(form103View(batch), opts.signal);
  return Buffer.from(pdf.buffer, pdf.byteOffset, pdf.byteLength);
}

// ---- the same rows for the post office's electronic intake ----

function tableColumns(t: Translate): Column[] {
  return [
    { header: t('form103.col.list'), width: 9 },
    { header: t('form103.col.number'), width: 7 },
    { header: t('form103.col.addressee'), width: 36 },
    { header: t('form103.col.address'), width: 60 },
    { header: t('form103.col.postcode'), width: 9 },
    { header: t('form103.col.declaredValue'), width: 14 },
    { header: t('form103.col.tracking'), width: 17 },
    { header: t('form103.col.note'), width: 16 },
    { header: t('form103.col.kind'), width: 18 },
    { header: t('form103.col.category'), width: 16 },
  ];
}

/** One row per item: list number, number in the list, then the item; the value as a number. */
function tableRows(batch: Form103Batch): Cell[][] {
  const t = translator(batch.locale);
  const kind = t(`form103.kind.${batch.kind}`);
  return form103Lists(batch).flatMap((items, l) =>
    items.map((item, i): Cell[] => [l + 1, i + 1, item.name, item.address, item.postcode, item.declaredValue, item.tracking, item.outgoingNumber, kind, batch.category]),
  );
}

/**
 * CSV as Russian Excel opens it by double-click (UTF-8 with a BOM, ";" between values, CRLF, values
 * quoted and formula-like text defused by the export feature's csvValue). Declared values use the
 * locale's decimal separator, so Russian Excel reads them as numbers.
 */
export function form103Csv(batch: Form103Batch): string {
  const t = translator(batch.locale);
  const decimal = batch.locale === 'ru' ? ',' : '.';
  const cell = (v: Cell) =>
    v === null ? '' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2).replace('.', decimal)) : csvValue(v instanceof Date ? dayText[batch.locale](v) : v);
  const lines = [tableColumns(t).map((c) => csvValue(c.header)).join(';')];
  for (const row of tableRows(batch)) lines.push(row.map(cell).join(';'));
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

/** The same rows as an .xlsx sheet (the export feature's writer: bold frozen header, filter, widths). */
export async function form103Xlsx(batch: Form103Batch): Promise<Buffer> {
  const t = translator(batch.locale);
  const rows = tableRows(batch);
  async function* batches() {
    for (let i = 0; i < rows.length; i += 1000) yield rows.slice(i, i + 1000);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of xlsxStream({ sheet: sheetName(t('form103.sheet')), columns: tableColumns(t), batches: batches() }, batch.locale)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// ---- the form's stylesheet ----

/**
 * A4 landscape with 10 mm margins (277 × 190 mm to fill). Column widths add up to 277 mm; the
 * header row repeats on a list's second sheet (Chromium repeats <thead>), a row never splits, the
 * totals and signatures stay together.
 */
export const FORM103_CSS = `
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body { font-family: 'PT Sans', 'DejaVu Sans', 'Liberation Sans', sans-serif; font-size: 8pt; line-height: 1.2; color: #000; background: #fff; }
.list { break-after: page; }
.list:last-child { break-after: auto; }
.head { position: relative; margin-bottom: 2.5mm; }
.head h1 { font-size: 13pt; margin: 0; text-align: center; letter-spacing: .04em; }
.head .sub { text-align: center; font-size: 10pt; margin: .5mm 0 2mm; }
.head .code { position: absolute; right: 0; top: 0; font-size: 9pt; }
.head .of { position: absolute; right: 0; top: 5mm; font-size: 8pt; }
/* A filled-in line: the value on the rule, the rule's caption under it, as on the printed form. */
.field { display: flex; align-items: baseline; gap: 2mm; margin: 0 0 3.2mm; font-size: 9pt; }
.field .label { white-space: nowrap; }
.field .value { flex: 1; position: relative; border-bottom: .25mm solid #000; padding: 0 1mm; min-height: 4.2mm; font-weight: 600; }
.field .hint { position: absolute; left: 0; right: 0; top: 100%; font-size: 6.5pt; line-height: 1.1; text-align: center; font-weight: 400; }
.field .date { flex: 0 0 55mm; }
table.f103 { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.f103 th, table.f103 td { border: .2mm solid #000; padding: .35mm .8mm; vertical-align: top; overflow-wrap: anywhere; }
table.f103 th { font-weight: 400; font-size: 7pt; line-height: 1.1; text-align: center; vertical-align: middle; overflow-wrap: normal; }
table.f103 thead tr.pay th { font-size: 6.5pt; }
table.f103 thead tr.nums th { font-size: 6.5pt; padding: .2mm; }
table.f103 td.n, table.f103 td.num { text-align: right; white-space: nowrap; }
table.f103 td.trk { white-space: nowrap; font-size: 8pt; }
table.f103 tr { break-inside: avoid; }
table.f103 tr.total td { font-weight: 700; }
col.c-n { width: 9mm; } col.c-name { width: 50mm; } col.c-addr { width: 100mm; } col.c-val { width: 19mm; }
col.c-pay { width: 15mm; } col.c-trk { width: 29mm; } col.c-note { width: 25mm; }
.foot { break-inside: avoid; display: flex; gap: 8mm; margin-top: 3mm; font-size: 9pt; }
.foot .totals { flex: 1; }
.foot .totals p { margin: 0 0 1.5mm; }
.sign { display: grid; grid-template-columns: 26mm 45mm 30mm 50mm; gap: 0 4mm; align-items: end; margin: 4mm 0 0; }
.sign .line { border-bottom: .25mm solid #000; height: 5mm; }
.sign .who { line-height: 1; font-weight: 600; }
.sign .cap { grid-column: auto; font-size: 6.5pt; text-align: center; }
.stamp { flex: 0 0 48mm; height: 34mm; border: .25mm dashed #000; border-radius: 2mm; font-size: 7pt; text-align: center; padding: 2mm; display: flex; align-items: flex-end; justify-content: center; }
.copies { font-size: 7pt; margin-top: 3mm; }
`;
