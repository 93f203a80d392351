import { createHash } from 'node:crypto';
import { ADDRESS_FIELDS, type Address } from '../../db/schema/address.js';
import type { Person, PhoneKind } from '../../db/schema/persons.js';
import { digitsOf, normalizeKey } from '../../lib/text.js';
import { parsePhone } from '../../lib/validate.js';

/**
 * The person, pure (no database, no Fastify): its fields, limits, parsing, derived columns, the
 * projection the audit compares and the import's merge rule. The form service, the import (CSV,
 * vCard, XML), its undo, the duplicate finder and the demo all take them from here.
 */

/** The person's own fields, in form order; with `phones` and `emails` they are what the audit compares. */
export const PERSON_FIELDS = [
  'surname',
  'firstName',
  'patronymic',
  'influence',
  'organizationId',
  'jobTitle',
  'gender',
  'dativeOverride',
  'note',
  ...ADDRESS_FIELDS,
] as const;
export const PERSON_AUDIT_FIELDS = [...PERSON_FIELDS, 'phones', 'emails'] as const;

export interface PhoneInput {
  kind: PhoneKind;
  number: string;
}

/**
 * A person's own text and choice fields as an empty card has them: what a form, a file row or
 * the demo starts from, so that a new field gets its default here once.
 */
export const EMPTY_PERSON = {
  surname: '',
  firstName: '',
  patronymic: '',
  influence: 0,
  jobTitle: '',
  gender: 'unspecified',
  dativeOverride: '',
  note: '',
} as const satisfies Partial<Record<(typeof PERSON_FIELDS)[number], unknown>>;

/** The person's own values (PERSON_FIELDS). */
export type PersonValues = Pick<Person, (typeof PERSON_FIELDS)[number]>;
/** What the form gives: the values with phones and e-mails. */
export type PersonInput = PersonValues & { phones: PhoneInput[]; emails: string[] };
/** What the import and its undo write: the values (with the archive mark a file may carry), phones, e-mails. */
export interface PersonWrite {
  values: PersonValues & { archivedAt: Date | null };
  phones: PhoneInput[];
  emails: string[];
}

export const MAX_PHONES = 20;
export const MAX_EMAILS = 10;
/** Lengths of the person's text fields (characters). */
export const PERSON_LIMITS = { name: 200, jobTitle: 300, dative: 300, note: 10000, phone: 50 } as const;
/** A photo's limits: the original's size and pixels, the thumbnail's side (pixels). */
export const PHOTO_MAX_BYTES = 5 * 1024 * 1024;
export const PHOTO_MAX_PIXELS = 40_000_000;
export const THUMBNAIL_SIZE = 320;
/** −5…+5: how much the person influences decisions in their organization; 0 = unknown. */
export const INFLUENCE = { min: -5, max: 5 } as const;

/**
 * The influence as typed or as a file has it: empty is 0; an optional sign (ASCII plus or minus,
 * or the typographic minus), then digits, within INFLUENCE; anything else is null (not one).
 */
export function parseInfluence(raw: string): number | null {
  const s = raw.trim();
  if (s === '') return 0;
  if (!/^[+\-−]?\d{1,9}$/.test(s)) return null;
  const n = Number(s.replace('−', '-'));
  return n < INFLUENCE.min || n > INFLUENCE.max ? null : n;
}

/**
 * libphonenumber is a costly part of a big import, and the preview and the commit parse the same
 * numbers: each is parsed once per process (the cache is bounded).
 */
const parsedPhones = new Map<string, ReturnType<typeof parsePhone>>();
export function parsedPhone(number: string) {
  let p = parsedPhones.get(number);
  if (p === undefined) {
    p = parsePhone(number);
    if (parsedPhones.size > 100_000) parsedPhones.clear();
    parsedPhones.set(number, p);
  }
  return p;
}

/** Whether a phone number is one a card may hold: not too long, and parseable. */
export function isPhoneNumber(number: string): boolean {
  return number.length <= PERSON_LIMITS.phone && Boolean(parsedPhone(number));
}

/** The digits the locator finds a person's phones by: as typed, E.164 and national, each once. */
export function phoneDigitsOf(phones: { number: string }[]): string {
  return phones
    .flatMap((p) => {
      const parsed = parsedPhone(p.number);
      return [digitsOf(p.number), parsed ? digitsOf(parsed.e164) : '', parsed?.national ?? ''];
    })
    .filter((d, i, all) => d && all.indexOf(d) === i)
    .join(' ');
}

/**
 * What the locator matches a person by: names, the organization's names and e-mails, normalized
 * (lower case, Ё→Е). Its SQL twin, for when an organization is renamed, is personSearchText.sql
 * (search-text.ts).
 */
export function personSearchTextOf(p: { surname: string; firstName: string; patronymic: string }, org: { name: string; shortName: string } | null, emails: string[]): string {
  return normalizeKey([p.surname, p.firstName, p.patronymic, org?.name ?? '', org?.shortName ?? '', ...emails].join(' '));
}

/** Every derived column of a person, from its values, phones, e-mails and organization: one rule for every writer. */
export function derivedPersonColumns(w: { values: { surname: string; firstName: string; patronymic: string }; phones: { number: string }[]; emails: string[] }, org: { name: string; shortName: string } | null) {
  return {
    sortKey: personSortKey(w.values),
    searchText: personSearchTextOf(w.values, org, w.emails),
    phoneDigits: phoneDigitsOf(w.phones),
  };
}

/**
 * The person as the audit trail compares it (phones and e-mails as text): the fields of
 * PERSON_AUDIT_FIELDS, all the diff reads (copying the whole card with a spread cost some 10 µs a
 * card, a third of a second for an import of 10,000).
 */
export function auditablePerson(values: object, phones: { kind: string; number: string }[], emails: string[]): Record<string, unknown> {
  const from = values as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of PERSON_FIELDS) out[f] = from[f];
  out.phones = phones.map((x) => `${x.kind}: ${x.number}`);
  out.emails = emails;
  return out;
}

/** A person's own values out of a stored card (with its archive mark). */
export function personValuesOf(card: Person): PersonWrite['values'] {
  const out = Object.fromEntries(PERSON_FIELDS.map((f) => [f, card[f]])) as PersonValues;
  return { ...out, archivedAt: card.archivedAt };
}

/**
 * A person's matching keys, pure: the import preview (src/features/import/preview/match.ts) and the
 * duplicate finder (src/features/duplicates) tell cards apart by the same rules. The duplicate
 * finder's SQL compares the columns these fill: persons.sort_key, person_phones.e164 and
 * lower(person_emails.email).
 */

/** "фамилия имя отчество": lower case, Ё = Е, spaces collapsed (persons.sort_key). */
export function personSortKey(p: { surname: string; firstName: string; patronymic: string }): string {
  return normalizeKey(`${p.surname} ${p.firstName} ${p.patronymic}`);
}

/** An e-mail as matched: case does not tell two addresses apart. */
export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

/** A phone as matched: E.164 (libphonenumber-js, Russia by default), or null when unparseable. */
export function phoneKey(number: string): string | null {
  return parsePhone(number)?.e164 ?? null;
}

/** E-mail lists united, first spelling kept, the same address (any case) once. */
export function uniteEmails(lists: string[][]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of lists.flat()) {
    const k = emailKey(e);
    if (!k || seen.has(k)) continue;
    seen.add(k);
    out.push(e.trim());
  }
  return out;
}

/** Phone lists united: the same number (E.164, else its digits) once, the first kind and spelling kept. */
export function unitePhones<T extends { number: string }>(lists: T[][]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const p of lists.flat()) {
    const k = phoneKey(p.number) ?? p.number.replace(/\D+/g, '');
    if (!k || seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out;
}

type AddressParts = { addrIndex: string; addrCountry: string; addrLocality: string; addrStreet: string };

/** Whether a person's own address is filled in enough to write to: else mail goes to the organization's. */
export function hasOwnAddress(a: AddressParts): boolean {
  return Boolean(a.addrIndex || a.addrLocality || a.addrStreet || a.addrCountry);
}

/** Where a person's mail goes: the own address when there is one, else the organization's (if any). */
export function postalAddress<A extends AddressParts>(person: A, organization: A | null | undefined): A | null {
  if (hasOwnAddress(person)) return person;
  return organization && hasOwnAddress(organization) ? organization : null;
}

/**
 * A photo as its history records it: type, size and a fingerprint of the original, so that any
 * other picture, even of the same type and size, reads as a change ("фото изменено"); null when
 * there is none. Every path that puts, takes or swaps a photo records this.
 */
export function photoLabel(photo: { original: Buffer | Uint8Array; originalType: string; width: number; height: number } | null | undefined): string | null {
  if (!photo) return null;
  const print = createHash('sha256').update(photo.original).digest('hex').slice(0, 12);
  return `${photo.originalType} ${photo.width}×${photo.height} #${print}`;
}

/** A person as a file brings it, for the merge into an existing card. */
export interface IncomingPerson {
  surname: string;
  firstName: string;
  patronymic: string;
  influence: number;
  jobTitle: string;
  gender: Person['gender'];
  dativeOverride: string;
  note: string;
  phones: PhoneInput[];
  emails: string[];
}

/** A phone as compared on update: its E.164 form (8 916… and +7 916… are one number), else its digits. */
const phoneMatchKey = (number: string) => phoneKey(number) ?? digitsOf(number);

/**
 * The card's note with the file's: a file row (Outlook, CSV, vCard…) adds its note below the
 * card's after a dated separator, never replacing it (the same text is not added twice); a file
 * carrying the whole record (this system's XML: `replace`) replaces it.
 */
export function mergeNote(old: string, added: string, replace: boolean, at: Date): string {
  if (!added) return old;
  if (replace || !old) return added;
  if (old.includes(added)) return old;
  const day = `${String(at.getDate()).padStart(2, '0')}.${String(at.getMonth() + 1).padStart(2, '0')}.${at.getFullYear()}`;
  return `${old}\n\n— ${day} —\n${added}`.slice(0, PERSON_LIMITS.note);
}

/**
 * The import's "update the existing card": a file's person merged into a card. Non-empty values
 * replace, phones (by E.164) and e-mails add up (up to MAX_EMAILS, never dropping the card's own),
 * notes are appended (see mergeNote). `address`: the file's, null when it has none; `at`: the
 * commit's time, dating the note's separator.
 */
export function mergePerson(card: PersonWrite, p: IncomingPerson, opts: { organizationId: number | null; address: Address | null; replaceNote: boolean; at: Date }): PersonWrite {
  const v = card.values;
  const digits = new Set(card.phones.map((x) => phoneMatchKey(x.number)));
  const lower = new Set(card.emails.map((e) => e.toLowerCase()));
  return {
    values: {
      ...v,
      ...(opts.address ?? {}),
      surname: p.surname,
      firstName: p.firstName || v.firstName,
      patronymic: p.patronymic || v.patronymic,
      influence: p.influence || v.influence,
      organizationId: opts.organizationId ?? v.organizationId,
      jobTitle: p.jobTitle || v.jobTitle,
      gender: p.gender === 'unspecified' ? v.gender : p.gender,
      dativeOverride: p.dativeOverride || v.dativeOverride,
      note: mergeNote(v.note, p.note, opts.replaceNote, opts.at),
    },
    phones: [...card.phones, ...p.phones.filter((x) => !digits.has(phoneMatchKey(x.number)))],
    emails: [...card.emails, ...p.emails.filter((e) => !lower.has(e.toLowerCase()))].slice(0, Math.max(MAX_EMAILS, card.emails.length)),
  };
}
