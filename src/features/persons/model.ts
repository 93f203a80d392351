import { createHash } from 'node:crypto';
import { normalizeKey } from '../../lib/text.js';
import { parsePhone } from '../../lib/validate.js';

/**
 * A person's matching keys, pure: the import preview (src/features/import/match.ts) and the
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
