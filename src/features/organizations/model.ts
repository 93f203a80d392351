import { ADDRESS_FIELDS, type Address } from '../../db/schema/address.js';
import type { Organization } from '../../db/schema/organizations.js';
import { normalizeKey } from '../../lib/text.js';

/**
 * The organization, pure (no database, no Fastify): its fields, limits, keys, INN rule and the
 * import's fill rule. The form service, the import, its undo and the demo take them from here.
 */

/** The fields a secretary edits, in form order; also the fields the audit trail compares. */
export const ORGANIZATION_FIELDS = [
  'name',
  'shortName',
  'inn',
  'regionId',
  'activityId',
  'categoryId',
  ...ADDRESS_FIELDS,
  'phones',
  'email',
  'website',
  'note',
] as const;
/** The organization's own values (ORGANIZATION_FIELDS): what the form gives. */
export type OrganizationInput = Pick<Organization, (typeof ORGANIZATION_FIELDS)[number]>;

/** Lengths of the organization's text fields (characters). */
export const ORGANIZATION_LIMITS = { name: 500, shortName: 200, inn: 40, phones: 500, email: 254, website: 300, note: 10000 } as const;

/** Whether a website is written as one (a host with a dot, an optional http(s) scheme). */
export function isWebsite(website: string): boolean {
  return /^(https?:\/\/)?[^\s<>"]+\.[^\s<>"]+$/i.test(website);
}

/** The fields the import may fill in an existing organization, when they are empty there. */
const FILLABLE_TEXT = ['shortName', 'inn', 'phones', 'email', 'website', 'note'] as const;
const FILLABLE_REFERENCES = ['regionId', 'activityId', 'categoryId'] as const;
export const FILLABLE_FIELDS = [...FILLABLE_TEXT, ...ADDRESS_FIELDS, ...FILLABLE_REFERENCES] as const;

const isBlankAddress = (a: Partial<Address>) => ADDRESS_FIELDS.every((f) => !a[f]);

/**
 * The import's merge rule for an existing organization: it gets only what it lacks, the address
 * when it has none, and empty fields; what a secretary typed is never overwritten by a file.
 * Returns the fields to set (empty when nothing changes).
 */
export function fillOrganization(before: Pick<Organization, (typeof FILLABLE_FIELDS)[number]>, values: Partial<Pick<Organization, (typeof FILLABLE_FIELDS)[number]>>): Partial<Organization> {
  const set: Record<string, unknown> = {};
  const address = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, values[f] ?? ''])) as Address;
  if (isBlankAddress(before) && !isBlankAddress(address)) Object.assign(set, address);
  for (const f of FILLABLE_TEXT) if (!before[f] && values[f]) set[f] = values[f];
  for (const f of FILLABLE_REFERENCES) if (before[f] === null && values[f]) set[f] = values[f];
  return set as Partial<Organization>;
}

/** Whether a change of these fields changes the persons' search text (the organization's names are part of it). */
export function renamed(before: { name: string; shortName: string }, after: { name: string; shortName: string }): boolean {
  return before.name !== after.name || before.shortName !== after.shortName;
}

/**
 * Legal forms, written out or abbreviated, that do not tell one organization from another: left
 * out of the alphabetical order ("АО «Курская аномалия»" files under К) and of the duplicate
 * finder's name key (ООО «Ромашка» = Romashka LLC). One list for both, through one function
 * (withoutLegalForm). Full forms first, so that "акционерное общество" is not cut to "общество".
 * Its SQL twin is crm_legal_form_free() in drizzle/0016_legal_forms.sql (the same list, the same
 * order), which crm_sort_name() and crm_org_name_key() call; test/duplicates/keys.test.ts and
 * test/contacts/locator-headers.test.ts hold the two equal.
 */
export const LEGAL_FORMS = [
  'общество с ограниченной ответственностью',
  'публичное акционерное общество',
  'закрытое акционерное общество',
  'открытое акционерное общество',
  'непубличное акционерное общество',
  'акционерное общество',
  'индивидуальный предприниматель',
  'limited liability company',
  'фгбоу', 'фгбу', 'фгуп', 'гбоу', 'гбуз', 'гбу', 'гуп', 'муп', 'мбу', 'мбоу', 'гау', 'нко', 'ано',
  'ооо', 'оао', 'зао', 'пао', 'нао', 'ао', 'ип', 'нп', 'тоо', 'чп', 'кфх',
  'llc', 'ltd', 'inc', 'gmbh', 'pjsc', 'cjsc', 'ojsc', 'jsc', 'plc', 'corp', 'ag', 'co', 'limited', 'incorporated', 'company',
] as const;

const QUOTES = /[«»"“”„'‘’`]/g;
const FORMS = LEGAL_FORMS.join('|');
/** Forms at the start, each followed by a space or the end: "ООО Ромашка", "ИП Петров". */
const LEADING = new RegExp(`^(?:(?:${FORMS})\\.?(?:\\s+|$))+`);
/** Forms at the end, after a space, a comma or in brackets: "Рога и копыта, ООО", "Ромашка (ООО)", "Acme Ltd.". */
const TRAILING = new RegExp(`(?:[\\s,(]+(?:${FORMS})\\.?\\)?)+$`);

/**
 * The name normalized (lower case, Ё = Е, spaces collapsed), quotes set aside, without the legal
 * form at its start and at its end; '' when the name is nothing but a legal form.
 */
export function withoutLegalForm(name: string): string {
  return normalizeKey(name).replace(QUOTES, ' ').replace(/\s+/g, ' ').trim().replace(LEADING, '').replace(TRAILING, '').trim();
}

/**
 * Names whose first letter is Latin sort after every Cyrillic name, in one "A–Z" block: a Latin
 * "A" and a Cyrillic "А" look the same and must not make two identical headers. The marker is a
 * private-use character, above every letter under the C collation.
 */
export const LATIN_BLOCK = '\uE000';

/** The alphabetical key of an organization's name: normalized, without legal form and quotes. */
export function sortNameOf(name: string): string {
  const s = withoutLegalForm(name) || normalizeKey(name);
  return /^[a-z]/.test(s) ? LATIN_BLOCK + s : s;
}

/** The letter (header) an organization files under in the alphabetical grouping. */
export function letterOf(sortName: string): string {
  const cp = sortName.codePointAt(0);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

/** Every derived column of an organization, from the fields it derives from: one rule for every writer. */
export function organizationKeys(v: { name: string; shortName?: string | null; inn?: string | null }) {
  return {
    sortKey: normalizeKey(v.name),
    sortName: sortNameOf(v.name),
    // The INN is a word of the locator too: typing it finds the organization.
    searchText: normalizeKey(`${v.name} ${v.shortName ?? ''} ${v.inn ?? ''}`),
  };
}

/**
 * INN (ИНН, the taxpayer number): 10 digits for a legal entity, 12 for an individual
 * entrepreneur, the last one (two) a checksum. Stored as digits only; spaces and dashes people
 * type are dropped. One rule for the form, the XML import and anything else that writes it.
 */
export const INN_LENGTHS = [10, 12] as const;
const INN_WEIGHTS_10 = [2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN_WEIGHTS_11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8];
const INN_WEIGHTS_12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8];

/** What is stored: the digits without the spaces and dashes a person types between them. */
export function normalizeInn(raw: string): string {
  return raw.replace(/[\s\u00a0-]+/g, '');
}

function innDigit(digits: number[], weights: number[]): number {
  return (weights.reduce((sum, w, i) => sum + w * digits[i], 0) % 11) % 10;
}

/**
 * The INN that the first digits (9 for a legal entity, 10 for an individual entrepreneur) make
 * with their check digits: for the demo directory and the tests.
 */
export function innWithChecksum(head: string): string {
  const d = [...head].map(Number);
  if (!/^\d+$/.test(head) || (d.length !== 9 && d.length !== 10)) throw new Error('an INN starts with 9 or 10 digits');
  if (d.length === 9) return head + innDigit(d, INN_WEIGHTS_10);
  const eleventh = innDigit(d, INN_WEIGHTS_11);
  return head + eleventh + innDigit([...d, eleventh], INN_WEIGHTS_12);
}

/** Why an INN (normalized) is not one: an i18n key, or null when it is valid or empty. */
export function innProblem(inn: string): 'organizations.inn.format' | 'organizations.inn.checksum' | null {
  if (inn === '') return null;
  if (!/^\d+$/.test(inn) || !(INN_LENGTHS as readonly number[]).includes(inn.length)) return 'organizations.inn.format';
  const d = [...inn].map(Number);
  const ok = inn.length === 10
    ? innDigit(d, INN_WEIGHTS_10) === d[9]
    : innDigit(d, INN_WEIGHTS_11) === d[10] && innDigit(d, INN_WEIGHTS_12) === d[11];
  return ok ? null : 'organizations.inn.checksum';
}

/**
 * An organization's matching keys, pure. The duplicate finder compares them in SQL, through the
 * functions of drizzle/0011_duplicates.sql and 0016_legal_forms.sql (crm_org_name_key,
 * crm_web_domain); these are their twins for the page that explains a match, held to the same
 * answers by test/duplicates/keys.test.ts.
 */

/** Punctuation and quotes that separate words: «Ромашка», "Ромашка", Ромашка-Н. */
export const NAME_PUNCTUATION = '«»"“”„\'`.,;:()!?&/\\–—№_+-';
const PUNCTUATION = new RegExp(`[${NAME_PUNCTUATION.replace(/[\\\]\-^]/g, '\\$&')}]+`, 'g');

const TRANSLIT: [string, string][] = [
  ['щ', 'shch'], ['ж', 'zh'], ['х', 'kh'], ['ц', 'ts'], ['ч', 'ch'], ['ш', 'sh'], ['ю', 'yu'], ['я', 'ya'], ['ъ', ''], ['ь', ''],
];
const SINGLE_FROM = 'абвгдезийклмнопрстуфыэ';
const SINGLE_TO = 'abvgdeziyklmnoprstufye';

/** Cyrillic to Latin letters, so that «Ромашка» and Romashka meet. */
export function transliterate(s: string): string {
  let out = s;
  for (const [from, to] of TRANSLIT) out = out.split(from).join(to);
  return [...out].map((c) => { const i = SINGLE_FROM.indexOf(c); return i < 0 ? c : SINGLE_TO[i]; }).join('');
}

/**
 * The name without its legal form, quotes and punctuation, in Latin letters: ООО «Ромашка»,
 * «Ромашка» and Romashka LLC are all "romashka".
 */
export function organizationNameKey(name: string): string {
  return withoutLegalForm(name)
    .replace(PUNCTUATION, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .map(transliterate)
    .join(' ');
}

/** A website's host without scheme, "www." and path: "https://www.Romashka.ru/about" → "romashka.ru". */
export function webDomain(website: string): string {
  return website.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/^www\./, '').split(/[/?#]/)[0].split(':')[0].replace(/\.+$/, '');
}

/** An organization's phones field (free text) as a list: split at commas and semicolons. */
export function splitPhones(phones: string): string[] {
  return phones.split(/[,;]/).map((p) => p.trim()).filter(Boolean);
}
