import { addCategories, addEmail, addPhone, finishRow, joinStreet, looksLikeX500, makeAddress, nameFromFullName, normalizeNewlines, oneLine, parseGenderWord } from './common.js';
import { isPlaceholder, type ColumnMapping, type ProfileId, type Target } from './profiles.js';
import { emptyRow, type Address, type ContactRow, type PhoneKind } from './types.js';

/**
 * One record of a table (CSV line, spreadsheet row) as a contact, by a column mapping. Every
 * non-empty value that is not stored is kept in `row.dropped` with its column's header, or is the
 * detail of a row problem: nothing is lost without a word.
 */
export interface TablePlan {
  headers: string[];
  mapping: ColumnMapping;
  /** Whose placeholders count as empty (Outlook's "False", "Normal"…); null for a user mapping. */
  profile: ProfileId | null;
}

type AddressParts = { street: string[]; poBox: string; city: string; region: string; zip: string; country: string; formatted: string };

const emptyParts = (): AddressParts => ({ street: [], poBox: '', city: '', region: '', zip: '', country: '', formatted: '' });

/** The kind of a phone from a type word (Google's "Mobile", "Work Fax", "* Home"…). */
export function phoneKindFromWord(word: string): PhoneKind {
  const w = word.toLowerCase();
  if (/fax|факс/.test(w)) return 'fax';
  if (/mobile|cell|моб|сот/.test(w)) return 'mobile';
  if (/home|дом/.test(w)) return 'home';
  if (/work|main|раб|office|company/.test(w)) return 'work';
  return 'other';
}

const SINGLE_FIELDS: Partial<Record<Target, 'surname' | 'firstName' | 'patronymic' | 'company' | 'department' | 'jobTitle' | 'webPage'>> = {
  lastName: 'surname',
  firstName: 'firstName',
  middleName: 'patronymic',
  company: 'company',
  department: 'department',
  jobTitle: 'jobTitle',
  webPage: 'webPage',
};

/** Google's multi-value separator inside one cell. */
function splitMulti(v: string): string[] {
  return v.split(' ::: ').map((s) => s.trim()).filter((s) => s !== '');
}

export function mapTableRecord(plan: TablePlan, line: number, fields: string[]): ContactRow {
  const row = emptyRow(line);
  const drop = (i: number, value: string) => (row.dropped ??= []).push({ column: plan.headers[i] || `#${i + 1}`, value: oneLine(value).slice(0, 500) });
  const value = (i: number | undefined): string => (i === undefined || i >= fields.length ? '' : fields[i].trim());
  const business = emptyParts();
  const home = emptyParts();
  const typed = new Map<number | undefined, AddressParts>();
  const notes: string[] = [];
  const fullNames: { i: number; v: string }[] = [];
  const phones: { rank: number; kind: PhoneKind; number: string }[] = [];
  const displayNames: { i: number; v: string }[] = [];
  const width = plan.mapping.length;
  for (let i = 0; i < fields.length; i++) {
    const v = fields[i].trim();
    if (isPlaceholder(plan.profile, v)) continue;
    const t = i < width ? plan.mapping[i] : null;
    if (!t) {
      drop(i, v);
      continue;
    }
    const single = SINGLE_FIELDS[t.to];
    if (single) {
      const text = oneLine(v);
      if (row[single] === '') row[single] = text;
      else if (row[single].toLowerCase() !== text.toLowerCase()) drop(i, v);
      continue;
    }
    switch (t.to) {
      case 'fullName':
        fullNames.push({ i, v: oneLine(v) });
        break;
      case 'displayName':
        displayNames.push({ i, v: oneLine(v) });
        break;
      case 'email': {
        const type = value(t.typeFrom).toUpperCase();
        for (const e of splitMulti(v)) {
          if (type === 'EX' || (type !== 'SMTP' && looksLikeX500(e))) row.problems.push({ code: 'exchange_email_skipped', detail: e });
          else addEmail(row, e);
        }
        break;
      }
      case 'phone.work':
      case 'phone.mobile':
      case 'phone.fax':
      case 'phone.home':
      case 'phone.other':
        phones.push({ rank: t.rank ?? 1000 + i, kind: t.to.slice(6) as PhoneKind, number: v });
        break;
      case 'phone.typed': {
        const kind = phoneKindFromWord(value(t.typeFrom));
        for (const n of splitMulti(v)) phones.push({ rank: 1000 + i, kind, number: n });
        break;
      }
      case 'categories':
        addCategories(row, v.split(';'));
        break;
      case 'groups':
        // Google's system labels say nothing about the contact; user labels become categories.
        addCategories(
          row,
          splitMulti(v)
            .map((g) => g.replace(/^\*\s*/, ''))
            .filter((g) => !/^(mycontacts|starred)$/i.test(g)),
        );
        break;
      case 'notes':
        notes.push(normalizeNewlines(v).trim());
        break;
      case 'gender': {
        const g = parseGenderWord(v);
        if (g === 'unspecified') drop(i, v);
        else row.gender = g;
        break;
      }
      case 'type':
        // Read by the column it qualifies; a type whose partner is empty says nothing.
        break;
      default: {
        const [slot, part] = t.to.split('.') as ['b' | 'h' | 'a', keyof AddressParts];
        let parts = slot === 'b' ? business : slot === 'h' ? home : typed.get(t.typeFrom);
        if (!parts) typed.set(t.typeFrom, (parts = emptyParts()));
        if (part === 'street') parts.street.push(v);
        else if (parts[part] === '') (parts as Record<string, unknown>)[part] = v;
        else drop(i, v);
      }
    }
  }
  // Google's addresses: a home one goes to the home address, any other to the business address.
  for (const [typeFrom, parts] of typed) {
    const slot = /home|дом/i.test(value(typeFrom)) ? home : business;
    const target = slot.street.length || slot.city || slot.zip || slot.formatted ? null : slot;
    const structured = parts.street.length > 0 || parts.city || parts.region || parts.zip || parts.country || parts.poBox;
    if (!structured && parts.formatted) parts.street = [parts.formatted];
    if (target) Object.assign(target, parts);
    else row.problems.push({ code: 'extra_address_skipped', detail: oneLine(parts.formatted || [...parts.street, parts.city, parts.region, parts.zip, parts.country].filter(Boolean).join(', ')) });
  }
  phones.sort((a, b) => a.rank - b.rank);
  for (const p of phones) addPhone(row, p.kind, p.number);
  row.businessAddress = toAddress(business);
  row.homeAddress = toAddress(home);
  row.notes = notes.join('\n');
  const named = row.surname !== '' || row.firstName !== '' || row.patronymic !== '';
  const isCompany = (v: string) => row.company !== '' && v.toLowerCase() === row.company.toLowerCase();
  for (const { i, v } of fullNames) {
    if (isCompany(v)) continue; // Google names an organization's card after it
    // A column the user called "full name" in a Russian table is "Фамилия Имя Отчество".
    if (!named && row.surname === '') nameFromFullName(v, row, plan.profile === null && /[а-яё]/i.test(v));
    else if (!sameName(v, row)) drop(i, v);
  }
  for (const { i, v } of displayNames) {
    // Outlook's "E-mail Display Name" is "Name (address)": it repeats what is stored.
    if (isCompany(v)) continue;
    if (!named && row.surname === '' && row.firstName === '' && !v.includes('@')) nameFromFullName(v, row);
    else if (!sameName(v.replace(/\s*\([^)]*@[^)]*\)\s*$/, ''), row) && !row.emails.some((e) => e.toLowerCase() === v.toLowerCase())) drop(i, v);
  }
  return finishRow(row);
}

/** A full or display name that only repeats the name parts (in any order) or the company. */
function sameName(v: string, row: ContactRow): boolean {
  const words = (s: string) => s.toLowerCase().replace(/ё/g, 'е').split(/[\s,]+/).filter(Boolean).sort().join(' ');
  const w = words(v);
  if (w === '') return true;
  return w === words([row.surname, row.firstName, row.patronymic].join(' ')) || w === words(row.company) || w === words([row.surname, row.firstName].join(' '));
}

function toAddress(p: AddressParts): Address | null {
  const street = joinStreet([...p.street, p.poBox]);
  return makeAddress({ street, locality: p.city, region: p.region, index: p.zip, country: p.country });
}
