import {
  addCategories,
  addEmail,
  addPhone,
  finishRow,
  joinStreet,
  looksLikeX500,
  makeAddress,
  normalizeNewlines,
  oneLine,
  parseGenderWord,
} from './common.js';
import { decodeText } from './decode.js';
import {
  checkRowLimit,
  emptyRow,
  ParseError,
  type ContactRow,
  type FileProblem,
  type ParseLimits,
  type PhoneKind,
  type TextEncodingName,
} from './types.js';

export type CsvDelimiter = ',' | ';' | '\t';

export interface CsvRecord {
  /** 1-based line where the record starts. */
  line: number;
  fields: string[];
}

const QUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
const TAB = 0x09;

/**
 * Delimiter of the header line: the most frequent of comma, semicolon and tab outside
 * quotes on the first record (comma on a tie or when none occurs).
 */
export function detectDelimiter(text: string): CsvDelimiter {
  let comma = 0;
  let semi = 0;
  let tab = 0;
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      inQuotes = !inQuotes; // a doubled quote toggles twice: no net change
    } else if (!inQuotes) {
      if (c === LF || c === CR) break;
      if (c === 0x2c) comma++;
      else if (c === 0x3b) semi++;
      else if (c === TAB) tab++;
    }
  }
  if (semi > comma && semi >= tab) return ';';
  if (tab > comma && tab > semi) return '\t';
  return ',';
}

/** Newlines in text[from, to): CRLF, LF and lone CR each count once. */
function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === LF) n++;
    else if (c === CR && text.charCodeAt(i + 1) !== LF) n++;
  }
  return n;
}

/**
 * RFC 4180 parser: quoted fields, doubled quotes, line breaks inside quotes, CRLF / LF / CR
 * record ends. Linear: quoted fields are scanned with indexOf, no regular expressions.
 *
 * Lenient about quotes inside unquoted fields (`ab"c` stays as is) and about blanks between a
 * closing quote and the delimiter. Strict about a quoted field that never closes, or whose
 * closing quote is followed by text: in an Outlook file, where every field is quoted, that
 * is what a missing quote looks like (the quote pairing has shifted by one), so we throw
 * `unterminated_quote` with the line where that field began rather than silently parsing the
 * rest of the file inside out.
 *
 * Records consisting of one empty field (blank lines) are dropped.
 */
export function parseCsv(text: string, delimiter: CsvDelimiter): CsvRecord[] {
  const records: CsvRecord[] = [];
  forEachCsvRecord(text, delimiter, (line, fields) => {
    records.push({ line, fields });
  });
  return records;
}

/** Streaming form of `parseCsv`: calls `onRecord` for each non-blank record, in order. */
export function forEachCsvRecord(
  text: string,
  delimiter: CsvDelimiter,
  onRecord: (line: number, fields: string[]) => void,
): void {
  const delim = delimiter.charCodeAt(0);
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let field: string;
      if (i < n && text.charCodeAt(i) === QUOTE) {
        const fieldLine = line;
        i++;
        let value = '';
        let segStart = i;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new ParseError('unterminated_quote', { line: fieldLine, detail: 'eof' });
          line += countLines(text, i, q);
          if (text.charCodeAt(q + 1) === QUOTE) {
            value += text.slice(segStart, q + 1);
            i = q + 2;
            segStart = i;
            continue;
          }
          value += text.slice(segStart, q);
          i = q + 1;
          break;
        }
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c === delim || c === LF || c === CR) break;
          if (c === SPACE || c === TAB) {
            i++;
            continue;
          }
          throw new ParseError('unterminated_quote', { line: fieldLine, detail: 'text_after_closing_quote' });
        }
        field = value;
      } else {
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c === delim || c === LF || c === CR) break;
          j++;
        }
        field = text.slice(i, j);
        i = j;
      }
      fields.push(field);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === delim) {
        i++;
        if (i >= n) {
          fields.push('');
          break;
        }
        continue;
      }
      // End of record.
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      break;
    }
    if (!(fields.length === 1 && fields[0] === '')) onRecord(recordLine, fields);
  }
}

// ---------------------------------------------------------------------------------------------
// Outlook columns, matched by header name (trimmed, runs of blanks collapsed, case-insensitive).

type FieldKey =
  | 'firstName' | 'middleName' | 'lastName' | 'company' | 'department' | 'jobTitle'
  | 'bStreet' | 'bStreet2' | 'bStreet3' | 'bPoBox' | 'bCity' | 'bState' | 'bZip' | 'bCountry'
  | 'hStreet' | 'hStreet2' | 'hStreet3' | 'hPoBox' | 'hCity' | 'hState' | 'hZip' | 'hCountry'
  | 'categories' | 'email1' | 'email1Type' | 'email2' | 'email2Type' | 'email3' | 'email3Type'
  | 'gender' | 'notes' | 'webPage';

/** [English Outlook, Russian Outlook, ...aliases seen in other Outlook versions]. */
const FIELDS: Record<FieldKey, [string, string, ...string[]]> = {
  firstName: ['First Name', 'Имя'],
  middleName: ['Middle Name', 'Отчество'],
  lastName: ['Last Name', 'Фамилия'],
  company: ['Company', 'Организация'],
  department: ['Department', 'Отдел'],
  jobTitle: ['Job Title', 'Должность'],
  bStreet: ['Business Street', 'Улица (раб. адрес)'],
  bStreet2: ['Business Street 2', 'Улица 2 (раб. адрес)'],
  bStreet3: ['Business Street 3', 'Улица 3 (раб. адрес)'],
  bPoBox: ['Business Address PO Box', 'Почтовый ящик (раб. адрес)'],
  bCity: ['Business City', 'Город (раб. адрес)'],
  bState: ['Business State', 'Область (раб. адрес)'],
  bZip: ['Business Postal Code', 'Индекс (раб. адрес)', 'Почтовый код (раб.)', 'Почтовый код (раб. адрес)'],
  bCountry: ['Business Country/Region', 'Страна или регион (раб. адрес)', 'Business Country'],
  hStreet: ['Home Street', 'Улица (дом. адрес)'],
  hStreet2: ['Home Street 2', 'Улица 2 (дом. адрес)'],
  hStreet3: ['Home Street 3', 'Улица 3 (дом. адрес)'],
  hPoBox: ['Home Address PO Box', 'Почтовый ящик (дом. адрес)'],
  hCity: ['Home City', 'Город (дом. адрес)'],
  hState: ['Home State', 'Область (дом. адрес)'],
  hZip: ['Home Postal Code', 'Почтовый код (дом.)', 'Индекс (дом. адрес)', 'Почтовый код (дом. адрес)'],
  hCountry: ['Home Country/Region', 'Страна или регион (дом. адрес)', 'Home Country'],
  categories: ['Categories', 'Категории'],
  email1: ['E-mail Address', 'Адрес эл. почты', 'E-mail 1 Address', 'Email Address'],
  email1Type: ['E-mail Type', 'Тип эл. почты', 'E-mail 1 Type'],
  email2: ['E-mail 2 Address', 'Адрес 2 эл. почты'],
  email2Type: ['E-mail 2 Type', 'Тип 2 эл. почты'],
  email3: ['E-mail 3 Address', 'Адрес 3 эл. почты'],
  email3Type: ['E-mail 3 Type', 'Тип 3 эл. почты'],
  gender: ['Gender', 'Пол'],
  notes: ['Notes', 'Заметки'],
  webPage: ['Web Page', 'Веб-страница'],
};

/** Phone columns in the order their numbers are listed (earlier wins on duplicate digits). */
const PHONES: [PhoneKind, string, string][] = [
  ['work', 'Business Phone', 'Рабочий телефон'],
  ['work', 'Business Phone 2', 'Телефон раб. 2'],
  ['work', 'Company Main Phone', 'Основной телефон организации'],
  ['mobile', 'Mobile Phone', 'Телефон переносной'],
  ['fax', 'Business Fax', 'Рабочий факс'],
  ['home', 'Home Phone', 'Домашний телефон'],
  ['home', 'Home Phone 2', 'Телефон дом. 2'],
  ['fax', 'Home Fax', 'Домашний факс'],
  ['fax', 'Other Fax', 'Другой факс'],
  ['other', 'Primary Phone', 'Основной телефон'],
  ['other', 'Other Phone', 'Другой телефон'],
  ['other', "Assistant's Phone", 'Телефон помощника'],
  ['other', 'Callback', 'Обратный вызов'],
  ['other', 'Car Phone', 'Телефон в машине'],
  ['other', 'ISDN', 'ISDN'],
  ['other', 'Pager', 'Пейджер'],
  ['other', 'Radio Phone', 'Радиотелефон'],
  ['other', 'TTY/TDD Phone', 'Телетайп/телефон с титрами'],
  ['other', 'Telex', 'Телекс'],
];

const IDENTITY_FIELDS: FieldKey[] = ['firstName', 'middleName', 'lastName', 'company', 'email1', 'email2', 'email3'];

function normalizeHeader(h: string): string {
  return h.replace(/\s+/g, ' ').trim().toLowerCase();
}

const EN_HEADERS = new Set<string>();
const RU_HEADERS = new Set<string>();
const FIELD_BY_HEADER = new Map<string, FieldKey>();
for (const key of Object.keys(FIELDS) as FieldKey[]) {
  const [en, ru, ...aliases] = FIELDS[key];
  EN_HEADERS.add(normalizeHeader(en));
  RU_HEADERS.add(normalizeHeader(ru));
  for (const name of [en, ru, ...aliases]) FIELD_BY_HEADER.set(normalizeHeader(name), key);
}
for (const [, en, ru] of PHONES) {
  if (en !== ru) {
    EN_HEADERS.add(normalizeHeader(en));
    RU_HEADERS.add(normalizeHeader(ru));
  }
}

export interface OutlookCsvResult {
  format: 'outlook-csv';
  encoding: TextEncodingName;
  delimiter: CsvDelimiter;
  headerLanguage: 'en' | 'ru' | 'unknown';
  rows: ContactRow[];
  problems: FileProblem[];
}

/** Outlook's "no date" placeholders (Russian and English exports). */
function isEmptyDate(v: string): boolean {
  return v === '0.0.00' || v === '0/0/00' || v === '00.00.0000';
}

const EMAIL_PAIRS: [FieldKey, FieldKey][] = [
  ['email1', 'email1Type'],
  ['email2', 'email2Type'],
  ['email3', 'email3Type'],
];

interface HeaderMap {
  fieldIndex: Map<FieldKey, number>;
  phoneCols: { kind: PhoneKind; index: number }[];
  language: 'en' | 'ru' | 'unknown';
  width: number;
}

function mapHeader(fields: string[], line: number, problems: FileProblem[]): HeaderMap {
  const fieldIndex = new Map<FieldKey, number>();
  const columnByHeader = new Map<string, number>();
  let en = 0;
  let ru = 0;
  fields.forEach((raw, index) => {
    const h = normalizeHeader(raw);
    if (h === '') return;
    if (columnByHeader.has(h)) {
      problems.push({ code: 'duplicate_column', detail: oneLine(raw), line });
      return;
    }
    columnByHeader.set(h, index);
    if (EN_HEADERS.has(h)) en++;
    if (RU_HEADERS.has(h)) ru++;
    const key = FIELD_BY_HEADER.get(h);
    if (key !== undefined && !fieldIndex.has(key)) fieldIndex.set(key, index);
  });
  const phoneCols: { kind: PhoneKind; index: number }[] = [];
  for (const [kind, enName, ruName] of PHONES) {
    for (const name of enName === ruName ? [enName] : [enName, ruName]) {
      const index = columnByHeader.get(normalizeHeader(name));
      if (index !== undefined) phoneCols.push({ kind, index });
    }
  }
  if (!IDENTITY_FIELDS.some((k) => fieldIndex.has(k))) {
    throw new ParseError('not_outlook_csv', { line });
  }
  return { fieldIndex, phoneCols, language: en > ru ? 'en' : ru > en ? 'ru' : 'unknown', width: fields.length };
}

function isBlankRecord(f: string[]): boolean {
  for (const v of f) if (v.trim() !== '') return false;
  return true;
}

function mapRow(h: HeaderMap, line: number, f: string[]): ContactRow {
  const get = (key: FieldKey): string => {
    const idx = h.fieldIndex.get(key);
    if (idx === undefined || idx >= f.length) return '';
    const v = f[idx].trim();
    return isEmptyDate(v) ? '' : v;
  };
  const row = emptyRow(line);
  if (f.length > h.width && !isBlankRecord(f.slice(h.width))) {
    row.problems.push({ code: 'extra_fields', detail: `${f.length}/${h.width}` });
  }
  row.surname = oneLine(get('lastName'));
  row.firstName = oneLine(get('firstName'));
  row.patronymic = oneLine(get('middleName'));
  row.company = oneLine(get('company'));
  row.department = oneLine(get('department'));
  row.jobTitle = oneLine(get('jobTitle'));
  row.businessAddress = makeAddress({
    street: joinStreet([get('bStreet'), get('bStreet2'), get('bStreet3'), get('bPoBox')]),
    locality: get('bCity'),
    region: get('bState'),
    index: get('bZip'),
    country: get('bCountry'),
  });
  row.homeAddress = makeAddress({
    street: joinStreet([get('hStreet'), get('hStreet2'), get('hStreet3'), get('hPoBox')]),
    locality: get('hCity'),
    region: get('hState'),
    index: get('hZip'),
    country: get('hCountry'),
  });
  for (const { kind, index } of h.phoneCols) {
    if (index < f.length) addPhone(row, kind, f[index]);
  }
  for (const [addrKey, typeKey] of EMAIL_PAIRS) {
    const addr = get(addrKey);
    if (addr === '') continue;
    const type = get(typeKey).toUpperCase();
    if (type === 'EX' || (type !== 'SMTP' && looksLikeX500(addr))) {
      row.problems.push({ code: 'exchange_email_skipped', detail: addr });
      continue;
    }
    addEmail(row, addr);
  }
  const categories = get('categories');
  if (categories !== '') addCategories(row, categories.split(';'));
  row.notes = normalizeNewlines(get('notes')).trim();
  row.gender = parseGenderWord(get('gender'));
  row.webPage = oneLine(get('webPage'));
  return finishRow(row);
}

/** Parse already-decoded Outlook CSV text (no BOM). */
export function parseOutlookCsvText(text: string, encoding: TextEncodingName, limits?: ParseLimits): OutlookCsvResult {
  if (text.trim() === '') throw new ParseError('empty');
  const delimiter = detectDelimiter(text);
  const problems: FileProblem[] = [];
  const rows: ContactRow[] = [];
  let header: HeaderMap | null = null;
  forEachCsvRecord(text, delimiter, (line, fields) => {
    if (header === null) {
      header = mapHeader(fields, line, problems);
      return;
    }
    if (isBlankRecord(fields)) return; // e.g. ";;;;" lines left by Excel
    checkRowLimit(rows.length, limits, line);
    rows.push(mapRow(header, line, fields));
  });
  if (header === null) throw new ParseError('empty');
  const headerLanguage = (header as HeaderMap).language;
  return { format: 'outlook-csv', encoding, delimiter, headerLanguage, rows, problems };
}

/**
 * Parse an Outlook CSV export (English or Russian headers; comma, semicolon or tab; UTF-8,
 * UTF-16 or Windows-1251/1252). Throws `ParseError` ('empty', 'not_outlook_csv',
 * 'unterminated_quote').
 */
export function parseOutlookCsv(buf: Buffer): OutlookCsvResult {
  if (buf.length === 0) throw new ParseError('empty');
  const { text, encoding } = decodeText(buf);
  return parseOutlookCsvText(text, encoding);
}
