/**
 * Table formats (CSV, spreadsheet) recognized by their header signature, and the column mapping
 * they give: which column goes to which field of a contact. A mapping is plain data (an array of
 * targets, one per column), so it can be stored, shown in the mapping step, and handed to the
 * parse worker.
 *
 * Recognition looks at the whole header line: a profile is taken when it knows more than half of
 * the named columns and one of them names the contact (name, company or e-mail). Columns a
 * profile knows but the directory has no place for (Outlook's "Spouse", Google's "Birthday"…) map
 * to nothing, and their values are reported as not loaded, never dropped silently.
 */

/** Where a column's value goes. `typeFrom` on a target names the column holding its type. */
export const TARGETS = [
  'lastName',
  'firstName',
  'middleName',
  'fullName',
  'displayName',
  'company',
  'department',
  'jobTitle',
  'email',
  'phone.work',
  'phone.mobile',
  'phone.fax',
  'phone.home',
  'phone.other',
  'phone.typed',
  'b.street',
  'b.poBox',
  'b.city',
  'b.region',
  'b.zip',
  'b.country',
  'h.street',
  'h.poBox',
  'h.city',
  'h.region',
  'h.zip',
  'h.country',
  'a.street',
  'a.poBox',
  'a.city',
  'a.region',
  'a.zip',
  'a.country',
  'a.formatted',
  'categories',
  'groups',
  'notes',
  'webPage',
  'gender',
  'type',
] as const;
export type Target = (typeof TARGETS)[number];

export interface ColumnTarget {
  to: Target;
  /** The column whose value says the kind (Outlook's "E-mail Type", Google's "Phone 1 - Type"). */
  typeFrom?: number;
  /** Phones: the order their numbers are listed in, when it is not the columns' order. */
  rank?: number;
}

/** One target (or null: not loaded) per column, in column order. */
export type ColumnMapping = (ColumnTarget | null)[];

/** Targets a user may choose in the mapping step (the others are for typed column pairs). */
export const USER_TARGETS: Target[] = [
  'lastName',
  'firstName',
  'middleName',
  'fullName',
  'company',
  'department',
  'jobTitle',
  'email',
  'phone.work',
  'phone.mobile',
  'phone.fax',
  'phone.home',
  'phone.other',
  'b.street',
  'b.city',
  'b.region',
  'b.zip',
  'b.country',
  'h.street',
  'h.city',
  'h.region',
  'h.zip',
  'h.country',
  'categories',
  'notes',
  'webPage',
  'gender',
];

/** Targets that hold one value: two columns mapped to one of them is a bad mapping. */
export const SINGLE_TARGETS = new Set<Target>([
  'lastName',
  'firstName',
  'middleName',
  'fullName',
  'company',
  'department',
  'jobTitle',
  'b.city',
  'b.region',
  'b.zip',
  'b.country',
  'h.city',
  'h.region',
  'h.zip',
  'h.country',
  'webPage',
  'gender',
]);

/** Targets that name the contact: a mapping without one of them cannot make a card. */
export const IDENTITY_TARGETS = new Set<Target>(['lastName', 'firstName', 'middleName', 'fullName', 'displayName', 'company', 'email']);

export type ProfileId = 'outlook' | 'google' | 'thunderbird';

export function normalizeHeader(h: string): string {
  return h.replace(/\s+/g, ' ').trim().toLowerCase();
}

type Known = Target | null;

/**
 * Outlook's export columns: [English, Russian, German, target]. A null target is a column Outlook
 * writes that the directory has no field for.
 */
const OUTLOOK: [string, string, string, Known][] = [
  ['Title', 'Обращение', 'Anrede', null],
  ['First Name', 'Имя', 'Vorname', 'firstName'],
  ['Middle Name', 'Отчество', 'Weitere Vornamen', 'middleName'],
  ['Last Name', 'Фамилия', 'Nachname', 'lastName'],
  ['Suffix', 'Суффикс', 'Suffix', null],
  ['Company', 'Организация', 'Firma', 'company'],
  ['Department', 'Отдел', 'Abteilung', 'department'],
  ['Job Title', 'Должность', 'Position', 'jobTitle'],
  ['Business Street', 'Улица (раб. адрес)', 'Straße geschäftlich', 'b.street'],
  ['Business Street 2', 'Улица 2 (раб. адрес)', 'Straße geschäftlich 2', 'b.street'],
  ['Business Street 3', 'Улица 3 (раб. адрес)', 'Straße geschäftlich 3', 'b.street'],
  ['Business Address PO Box', 'Почтовый ящик (раб. адрес)', 'Postfach geschäftlich', 'b.poBox'],
  ['Business City', 'Город (раб. адрес)', 'Ort geschäftlich', 'b.city'],
  ['Business State', 'Область (раб. адрес)', 'Region geschäftlich', 'b.region'],
  ['Business Postal Code', 'Индекс (раб. адрес)', 'Postleitzahl geschäftlich', 'b.zip'],
  ['Business Country/Region', 'Страна или регион (раб. адрес)', 'Land/Region geschäftlich', 'b.country'],
  ['Home Street', 'Улица (дом. адрес)', 'Straße privat', 'h.street'],
  ['Home Street 2', 'Улица 2 (дом. адрес)', 'Straße privat 2', 'h.street'],
  ['Home Street 3', 'Улица 3 (дом. адрес)', 'Straße privat 3', 'h.street'],
  ['Home Address PO Box', 'Почтовый ящик (дом. адрес)', 'Postfach privat', 'h.poBox'],
  ['Home City', 'Город (дом. адрес)', 'Ort privat', 'h.city'],
  ['Home State', 'Область (дом. адрес)', 'Bundesland/Kanton privat', 'h.region'],
  ['Home Postal Code', 'Индекс (дом. адрес)', 'Postleitzahl privat', 'h.zip'],
  ['Home Country/Region', 'Страна или регион (дом. адрес)', 'Land/Region privat', 'h.country'],
  ['Other Street', 'Улица (другой адрес)', 'Weitere Straße', null],
  ['Other Street 2', 'Улица 2 (другой адрес)', 'Weitere Straße 2', null],
  ['Other Street 3', 'Улица 3 (другой адрес)', 'Weitere Straße 3', null],
  ['Other Address PO Box', 'Почтовый ящик (другой адрес)', 'Weiteres Postfach', null],
  ['Other City', 'Город (другой адрес)', 'Weiterer Ort', null],
  ['Other State', 'Область (другой адрес)', 'Weiteres/r Bundesland/Kanton', null],
  ['Other Postal Code', 'Индекс (другой адрес)', 'Weitere Postleitzahl', null],
  ['Other Country/Region', 'Страна или регион (другой адрес)', 'Weiteres/e Land/Region', null],
  ['Business Phone', 'Рабочий телефон', 'Telefon geschäftlich', 'phone.work'],
  ['Business Phone 2', 'Телефон раб. 2', 'Telefon geschäftlich 2', 'phone.work'],
  ['Company Main Phone', 'Основной телефон организации', 'Telefon Firma', 'phone.work'],
  ['Mobile Phone', 'Телефон переносной', 'Mobiltelefon', 'phone.mobile'],
  ['Business Fax', 'Рабочий факс', 'Fax geschäftlich', 'phone.fax'],
  ['Home Phone', 'Домашний телефон', 'Telefon privat', 'phone.home'],
  ['Home Phone 2', 'Телефон дом. 2', 'Telefon privat 2', 'phone.home'],
  ['Home Fax', 'Домашний факс', 'Fax privat', 'phone.fax'],
  ['Other Fax', 'Другой факс', 'Weiteres Fax', 'phone.fax'],
  ['Primary Phone', 'Основной телефон', 'Haupttelefon', 'phone.other'],
  ['Other Phone', 'Другой телефон', 'Weiteres Telefon', 'phone.other'],
  ["Assistant's Phone", 'Телефон помощника', 'Telefon Assistent', 'phone.other'],
  ['Callback', 'Обратный вызов', 'Rückmeldung', 'phone.other'],
  ['Car Phone', 'Телефон в машине', 'Autotelefon', 'phone.other'],
  ['ISDN', 'ISDN', 'ISDN', 'phone.other'],
  ['Pager', 'Пейджер', 'Pager', 'phone.other'],
  ['Radio Phone', 'Радиотелефон', 'Mobiltelefon 2', 'phone.other'],
  ['TTY/TDD Phone', 'Телетайп/телефон с титрами', 'Telefon für Hörbehinderte', 'phone.other'],
  ['Telex', 'Телекс', 'Telex', 'phone.other'],
  ['Account', 'Учетная запись', 'Konto', null],
  ['Anniversary', 'Годовщина', 'Jahrestag', null],
  ["Assistant's Name", 'Имя помощника', 'Name Assistent', null],
  ['Billing Information', 'Счета', 'Abrechnungsinformation', null],
  ['Birthday', 'День рождения', 'Geburtstag', null],
  ['Categories', 'Категории', 'Kategorien', 'categories'],
  ['Children', 'Дети', 'Kinder', null],
  ['Directory Server', 'Сервер каталогов', 'Verzeichnisserver', null],
  ['E-mail Address', 'Адрес эл. почты', 'E-Mail-Adresse', 'email'],
  ['E-mail Type', 'Тип эл. почты', 'E-Mail-Typ', 'type'],
  ['E-mail Display Name', 'Краткое имя эл. почты', 'E-Mail: Angezeigter Name', 'displayName'],
  ['E-mail 2 Address', 'Адрес 2 эл. почты', 'E-Mail 2: Adresse', 'email'],
  ['E-mail 2 Type', 'Тип 2 эл. почты', 'E-Mail 2: Typ', 'type'],
  ['E-mail 2 Display Name', 'Краткое 2 имя эл. почты', 'E-Mail 2: Angezeigter Name', 'displayName'],
  ['E-mail 3 Address', 'Адрес 3 эл. почты', 'E-Mail 3: Adresse', 'email'],
  ['E-mail 3 Type', 'Тип 3 эл. почты', 'E-Mail 3: Typ', 'type'],
  ['E-mail 3 Display Name', 'Краткое 3 имя эл. почты', 'E-Mail 3: Angezeigter Name', 'displayName'],
  ['Gender', 'Пол', 'Geschlecht', 'gender'],
  ['Government ID Number', 'Личный код', 'Ausweisnummer', null],
  ['Hobby', 'Хобби', 'Hobby', null],
  ['Initials', 'Инициалы', 'Initialen', null],
  ['Internet Free Busy', 'Сведения о доступности в Интернете', 'Internet-Frei/Gebucht', null],
  ['Keywords', 'Ключевые слова', 'Stichwörter', null],
  ['Language', 'Язык', 'Sprache', null],
  ['Location', 'Местонахождение', 'Ort', null],
  ["Manager's Name", 'Руководитель', 'Name des/der Vorgesetzten', null],
  ['Mileage', 'Расстояние', 'Reisekilometer', null],
  ['Notes', 'Заметки', 'Notizen', 'notes'],
  ['Office Location', 'Расположение', 'Büro', null],
  ['Organizational ID Number', 'Код организации', 'Organisationsnr.', null],
  ['Priority', 'Важность', 'Priorität', null],
  ['Private', 'Личное', 'Privat', null],
  ['Profession', 'Профессия', 'Beruf', null],
  ['Referred By', 'Предложено', 'Empfohlen von', null],
  ['Sensitivity', 'Пометка', 'Vertraulichkeit', null],
  ['Spouse', 'Супруг(а)', 'Partner', null],
  ['User 1', 'Пользователь 1', 'Benutzer 1', null],
  ['User 2', 'Пользователь 2', 'Benutzer 2', null],
  ['User 3', 'Пользователь 3', 'Benutzer 3', null],
  ['User 4', 'Пользователь 4', 'Benutzer 4', null],
  ['Web Page', 'Веб-страница', 'Webseite', 'webPage'],
];

/** Header spellings seen in other Outlook versions (2003, Outlook.com, older Russian builds). */
const OUTLOOK_ALIASES: [string, Known][] = [
  ['Почтовый код (раб.)', 'b.zip'],
  ['Почтовый код (раб. адрес)', 'b.zip'],
  ['Почтовый код (дом.)', 'h.zip'],
  ['Почтовый код (дом. адрес)', 'h.zip'],
  ['Business Country', 'b.country'],
  ['Home Country', 'h.country'],
  ['E-mail 1 Address', 'email'],
  ['Email Address', 'email'],
  ['E-mail 1 Type', 'type'],
  ['E-mail 1 Display Name', 'displayName'],
  // Columns other Russian Outlook builds write under other names (docs/FORMATS.md).
  ['Отложено', null],
  ['Расположение комнаты', null],
  ['Счет', null],
  ['Частное', null],
  ['Личный код', null],
];

/** Outlook's "type" columns, by the address column they qualify. */
const OUTLOOK_TYPE_OF: [string, string][] = [
  ['e-mail type', 'e-mail address'],
  ['тип эл. почты', 'адрес эл. почты'],
  ['e-mail-typ', 'e-mail-adresse'],
  ['e-mail 1 type', 'e-mail 1 address'],
  ['e-mail 2 type', 'e-mail 2 address'],
  ['тип 2 эл. почты', 'адрес 2 эл. почты'],
  ['e-mail 2: typ', 'e-mail 2: adresse'],
  ['e-mail 3 type', 'e-mail 3 address'],
  ['тип 3 эл. почты', 'адрес 3 эл. почты'],
  ['e-mail 3: typ', 'e-mail 3: adresse'],
];

/** Thunderbird's CSV export (also what Roundcube and other webmails take and write). */
const THUNDERBIRD: [string, Known][] = [
  ['First Name', 'firstName'],
  ['Last Name', 'lastName'],
  ['Display Name', 'displayName'],
  ['Nickname', null],
  ['Primary Email', 'email'],
  ['Secondary Email', 'email'],
  ['Screen Name', null],
  ['Work Phone', 'phone.work'],
  ['Home Phone', 'phone.home'],
  ['Fax Number', 'phone.fax'],
  ['Pager Number', 'phone.other'],
  ['Mobile Number', 'phone.mobile'],
  ['Home Address', 'h.street'],
  ['Home Address 2', 'h.street'],
  ['Home City', 'h.city'],
  ['Home State', 'h.region'],
  ['Home ZipCode', 'h.zip'],
  ['Home Country', 'h.country'],
  ['Work Address', 'b.street'],
  ['Work Address 2', 'b.street'],
  ['Work City', 'b.city'],
  ['Work State', 'b.region'],
  ['Work ZipCode', 'b.zip'],
  ['Work Country', 'b.country'],
  ['Job Title', 'jobTitle'],
  ['Department', 'department'],
  ['Organization', 'company'],
  ['Web Page 1', 'webPage'],
  ['Web Page 2', 'webPage'],
  ['Birth Year', null],
  ['Birth Month', null],
  ['Birth Day', null],
  ['Custom 1', null],
  ['Custom 2', null],
  ['Custom 3', null],
  ['Custom 4', null],
  ['Notes', 'notes'],
  // Columns webmail address books write beside Thunderbird's (Roundcube's importer reads this layout).
  ['Work Fax', 'phone.fax'],
  ['Home Fax', 'phone.fax'],
  ['Middle Name', 'middleName'],
];

/** Google Contacts: the fixed columns (old and new export), numbered groups are matched below. */
const GOOGLE: [string, Known][] = [
  ['Name', 'fullName'],
  ['Given Name', 'firstName'],
  ['Additional Name', 'middleName'],
  ['Family Name', 'lastName'],
  ['First Name', 'firstName'],
  ['Middle Name', 'middleName'],
  ['Last Name', 'lastName'],
  ['Yomi Name', null],
  ['Given Name Yomi', null],
  ['Additional Name Yomi', null],
  ['Family Name Yomi', null],
  ['Phonetic First Name', null],
  ['Phonetic Middle Name', null],
  ['Phonetic Last Name', null],
  ['Name Prefix', null],
  ['Name Suffix', null],
  ['Initials', null],
  ['Nickname', null],
  ['Short Name', null],
  ['File As', null],
  ['Maiden Name', null],
  ['Birthday', null],
  ['Gender', 'gender'],
  ['Location', null],
  ['Billing Information', null],
  ['Directory Server', null],
  ['Mileage', null],
  ['Occupation', null],
  ['Hobby', null],
  ['Sensitivity', null],
  ['Priority', null],
  ['Subject', null],
  ['Notes', 'notes'],
  ['Language', null],
  ['Photo', null],
  ['Group Membership', 'groups'],
  ['Labels', 'groups'],
  ['Organization Name', 'company'],
  ['Organization Title', 'jobTitle'],
  ['Organization Department', 'department'],
];

/** "E-mail 1 - Value", "Phone 2 - Type", "Address 1 - Street", "Organization 1 - Name"… */
const GOOGLE_GROUP = /^(e-mail|phone|address|organization|website|relation|event|im|custom field|external id|calendar link|user defined field|hobby|jot|location|sip address) (\d+) - (.+)$/;

const GOOGLE_PART: Record<string, Record<string, Known>> = {
  'e-mail': { value: 'email', type: 'type', label: 'type' },
  phone: { value: 'phone.typed', type: 'type', label: 'type' },
  address: {
    type: 'type',
    label: 'type',
    formatted: 'a.formatted',
    street: 'a.street',
    city: 'a.city',
    'po box': 'a.poBox',
    region: 'a.region',
    'postal code': 'a.zip',
    country: 'a.country',
    'extended address': 'a.street',
  },
  organization: { name: 'company', title: 'jobTitle', department: 'department', type: 'type', label: 'type' },
  website: { value: 'webPage', type: 'type', label: 'type' },
};

function table(rows: [string, Known][]): Map<string, Known> {
  const m = new Map<string, Known>();
  for (const [h, t] of rows) if (!m.has(normalizeHeader(h))) m.set(normalizeHeader(h), t);
  return m;
}

const OUTLOOK_EN = new Set(OUTLOOK.map(([en]) => normalizeHeader(en)));
const OUTLOOK_RU = new Set(OUTLOOK.map(([, ru]) => normalizeHeader(ru)));
const OUTLOOK_DE = new Set(OUTLOOK.map(([, , de]) => normalizeHeader(de)));
/** Outlook phone columns by header: their position in Outlook's own order of phones. */
const OUTLOOK_PHONE_RANK = new Map<string, number>();
OUTLOOK.forEach(([en, ru, de, t], i) => {
  if (t?.startsWith('phone.')) for (const h of [en, ru, de]) OUTLOOK_PHONE_RANK.set(normalizeHeader(h), i);
});
const OUTLOOK_TABLE = table([
  ...OUTLOOK.map(([en, , , t]) => [en, t] as [string, Known]),
  ...OUTLOOK.map(([, ru, , t]) => [ru, t] as [string, Known]),
  ...OUTLOOK.map(([, , de, t]) => [de, t] as [string, Known]),
  ...OUTLOOK_ALIASES,
]);
const THUNDERBIRD_TABLE = table(THUNDERBIRD);
const GOOGLE_TABLE = table(GOOGLE);

/** Values Outlook writes into columns it has nothing for ("False", "Normal", "0.0.00"…). */
const OUTLOOK_PLACEHOLDERS = new Set(
  ['0.0.00', '0/0/00', '00.00.0000', 'False', 'Normal', 'Unspecified', 'Ложь', 'Обычная', 'Обычный', 'Обычное', 'Не указан', 'Не определен', 'Не определён', 'Falsch', 'Nicht angegeben'].map((s) => s.toLowerCase()),
);

/** A value that says nothing: empty, or a placeholder the exporting program fills every row with. */
export function isPlaceholder(profile: ProfileId | null, value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  return profile === 'outlook' && OUTLOOK_PLACEHOLDERS.has(v.toLowerCase());
}

export interface DetectedProfile {
  profile: ProfileId;
  mapping: ColumnMapping;
  /** Outlook only: the language of most of its headers. */
  language?: 'en' | 'ru' | 'de' | 'unknown';
}

interface Candidate {
  profile: ProfileId;
  known: number;
  mapping: ColumnMapping;
}

function googleTarget(h: string): { known: boolean; to: Known; group?: string; part?: string } {
  const fixed = GOOGLE_TABLE.get(h);
  if (fixed !== undefined) return { known: true, to: fixed };
  const m = GOOGLE_GROUP.exec(h);
  if (!m) return { known: false, to: null };
  const parts = GOOGLE_PART[m[1]];
  const to = parts?.[m[3]] ?? null;
  return { known: true, to, group: `${m[1]} ${m[2]}`, part: m[3] };
}

function candidate(profile: ProfileId, headers: string[]): Candidate {
  const mapping: ColumnMapping = [];
  let known = 0;
  if (profile === 'google') {
    const typeCol = new Map<string, number>();
    const found = headers.map((h, i) => {
      const g = googleTarget(h);
      if (g.group && (g.part === 'type' || g.part === 'label') && !typeCol.has(g.group)) typeCol.set(g.group, i);
      return g;
    });
    found.forEach((g, i) => {
      if (g.known) known++;
      if (!g.to) return void (mapping[i] = null);
      const typeFrom = g.group && g.to !== 'type' ? typeCol.get(g.group) : undefined;
      mapping[i] = typeFrom !== undefined ? { to: g.to, typeFrom } : { to: g.to };
    });
    return { profile, known, mapping };
  }
  const tbl = profile === 'outlook' ? OUTLOOK_TABLE : THUNDERBIRD_TABLE;
  headers.forEach((h, i) => {
    const t = tbl.get(h);
    if (t !== undefined) known++;
    const rank = profile === 'outlook' ? OUTLOOK_PHONE_RANK.get(h) : undefined;
    mapping[i] = t ? (rank !== undefined ? { to: t, rank } : { to: t }) : null;
  });
  if (profile === 'outlook') {
    for (const [typeH, addrH] of OUTLOOK_TYPE_OF) {
      const ti = headers.indexOf(typeH);
      const ai = headers.indexOf(addrH);
      if (ti >= 0 && ai >= 0 && mapping[ai]) mapping[ai] = { to: 'email', typeFrom: ti };
    }
  }
  return { profile, known, mapping };
}

/** Repeated headers: the second and later map to nothing (their values are reported). */
function dropRepeated(headers: string[], mapping: ColumnMapping): void {
  const seen = new Set<string>();
  headers.forEach((h, i) => {
    if (h === '') return;
    if (seen.has(h)) mapping[i] = null;
    seen.add(h);
  });
}

/**
 * The format a header line belongs to, with its mapping; null when no profile knows more than half
 * of the named columns, or none of the known ones names the contact.
 */
export function detectProfile(rawHeaders: string[]): DetectedProfile | null {
  const headers = rawHeaders.map(normalizeHeader);
  const named = headers.filter((h) => h !== '').length;
  if (named === 0) return null;
  let best: Candidate | null = null;
  for (const p of ['outlook', 'google', 'thunderbird'] as ProfileId[]) {
    const c = candidate(p, headers);
    dropRepeated(headers, c.mapping);
    if (!c.mapping.some((t) => t && IDENTITY_TARGETS.has(t.to))) continue;
    if (c.known * 2 <= named) continue;
    // Ties go to the more specific profile: Google's and Thunderbird's own columns outweigh the
    // few ("First Name", "Notes") they share with Outlook.
    if (!best || c.known > best.known || (c.known === best.known && p !== 'outlook')) best = c;
  }
  if (!best) return null;
  if (best.profile !== 'outlook') return { profile: best.profile, mapping: best.mapping };
  let en = 0;
  let ru = 0;
  let de = 0;
  for (const h of headers) {
    if (OUTLOOK_EN.has(h)) en++;
    if (OUTLOOK_RU.has(h)) ru++;
    if (OUTLOOK_DE.has(h)) de++;
  }
  const top = Math.max(en, ru, de);
  const language = [en, ru, de].filter((n) => n === top).length > 1 ? 'unknown' : top === en ? 'en' : top === ru ? 'ru' : 'de';
  return { profile: 'outlook', mapping: best.mapping, language };
}

/** Common spellings of generic column names, to preselect the mapping step's drop-downs. */
const GUESSES: [RegExp, Target][] = [
  [/^(фамилия|last ?name|surname|family name|nachname|nom)$/, 'lastName'],
  [/^(имя|first ?name|given name|vorname|prénom|prenom)$/, 'firstName'],
  [/^(отчество|middle ?name|patronymic)$/, 'middleName'],
  [/^(фио|ф\.и\.о\.?|full ?name|name|контакт|contact)$/, 'fullName'],
  [/^(организация|компания|фирма|company|organi[sz]ation|firma|société)$/, 'company'],
  [/^(отдел|подразделение|department|abteilung)$/, 'department'],
  [/^(должность|job ?title|title|position)$/, 'jobTitle'],
  [/^(e-?mail|эл\.? ?почта|электронная почта|почта|mail|email address|e-mail address)( ?\d)?$/, 'email'],
  [/^(моб(\.|ильный)?( телефон)?|mobile|mobile phone|cell|сотовый)$/, 'phone.mobile'],
  [/^(факс|fax)$/, 'phone.fax'],
  [/^(домашний телефон|home phone)$/, 'phone.home'],
  [/^(телефон|тел\.?|рабочий телефон|phone|work phone|telephone|telefon)( ?\d)?$/, 'phone.work'],
  [/^(адрес|улица|street|address)$/, 'b.street'],
  [/^(город|city|ort)$/, 'b.city'],
  [/^(область|регион|region|state)$/, 'b.region'],
  [/^(индекс|почтовый индекс|zip|zip ?code|postal code|plz)$/, 'b.zip'],
  [/^(страна|country|land)$/, 'b.country'],
  [/^(категории|категория|группы|группа|categories|category|groups?)$/, 'categories'],
  [/^(примечание|примечания|заметки|комментарий|notes?|comments?)$/, 'notes'],
  [/^(сайт|веб-сайт|веб-страница|web ?site|web ?page|url|homepage)$/, 'webPage'],
  [/^(пол|gender|sex)$/, 'gender'],
];

/** A first guess for the mapping step: each column by its name, a single-valued field once. */
export function guessMapping(rawHeaders: string[]): ColumnMapping {
  const used = new Set<Target>();
  return rawHeaders.map((raw) => {
    const h = normalizeHeader(raw);
    const known = OUTLOOK_TABLE.get(h) ?? THUNDERBIRD_TABLE.get(h) ?? googleTarget(h).to ?? GUESSES.find(([re]) => re.test(h))?.[1] ?? null;
    const to = known && USER_TARGETS.includes(known) ? known : null;
    if (!to || (SINGLE_TARGETS.has(to) && used.has(to))) return null;
    used.add(to);
    return { to };
  });
}

export type MappingError = 'maps_nothing' | 'no_identity' | 'two_to_one';

/** Why a user's mapping cannot be used (null: it can). `detail` names the doubly used target. */
export function checkMapping(mapping: ColumnMapping): { error: MappingError; detail?: string } | null {
  const targets = mapping.filter((t): t is ColumnTarget => t !== null);
  if (targets.length === 0) return { error: 'maps_nothing' };
  const seen = new Set<Target>();
  for (const t of targets) {
    if (SINGLE_TARGETS.has(t.to) && seen.has(t.to)) return { error: 'two_to_one', detail: t.to };
    seen.add(t.to);
  }
  if (!targets.some((t) => IDENTITY_TARGETS.has(t.to))) return { error: 'no_identity' };
  return null;
}

/** Identifies a header line whatever its case and spacing: the key a mapping is remembered by. */
export function headerSignature(rawHeaders: string[]): string {
  return rawHeaders.map(normalizeHeader).join('\u001f');
}
