import { normalizeKey } from '../../lib/text.js';

/**
 * Legal forms left out of the alphabetical order: "АО «Курская аномалия»" files under К. Full
 * forms first, so that "акционерное общество" is not cut to "общество". The same list, in the
 * same order, is crm_sort_name() in drizzle/0015_sort_name.sql (the backfill of existing rows).
 */
export const LEGAL_FORMS = [
  'общество с ограниченной ответственностью',
  'публичное акционерное общество',
  'закрытое акционерное общество',
  'открытое акционерное общество',
  'непубличное акционерное общество',
  'акционерное общество',
  'индивидуальный предприниматель',
  'фгбоу', 'фгбу', 'фгуп', 'гбоу', 'гбуз', 'гбу', 'гуп', 'муп', 'мбу', 'мбоу', 'гау', 'нко', 'ано',
  'ооо', 'оао', 'зао', 'пао', 'нао', 'ао', 'ип', 'нп', 'тоо', 'чп', 'кфх',
  'llc', 'ltd', 'inc', 'gmbh', 'jsc', 'plc', 'corp',
] as const;

const QUOTES = /[«»"“”„'‘’`]/g;
const FORMS = LEGAL_FORMS.join('|');
const LEADING = new RegExp(`^(?:(?:${FORMS})\\.?(?:\\s+|$))+`);
const TRAILING = new RegExp(`(?:[\\s,]+(?:${FORMS})\\.?)+$`);

/**
 * Names whose first letter is Latin sort after every Cyrillic name, in one "A–Z" block: a Latin
 * "A" and a Cyrillic "А" look the same and must not make two identical headers. The marker is a
 * private-use character, above every letter under the C collation.
 */
export const LATIN_BLOCK = '\uE000';

/** The alphabetical key of an organization's name: normalized, without legal form and quotes. */
export function sortNameOf(name: string): string {
  const key = normalizeKey(name);
  const bare = key.replace(QUOTES, ' ').replace(/\s+/g, ' ').trim().replace(LEADING, '').replace(TRAILING, '').trim();
  const s = bare || key;
  return /^[a-z]/.test(s) ? LATIN_BLOCK + s : s;
}

/** The letter (header) an organization files under in the alphabetical grouping. */
export function letterOf(sortName: string): string {
  const cp = sortName.codePointAt(0);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

/** Every derived column of an organization, from the fields it derives from: one rule for every writer. */
export function organizationKeys(v: { name: string; shortName?: string | null }) {
  return {
    sortKey: normalizeKey(v.name),
    sortName: sortNameOf(v.name),
    searchText: normalizeKey(`${v.name} ${v.shortName ?? ''}`),
  };
}
