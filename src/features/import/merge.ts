import { digitsOf } from '../../lib/text.js';
import type { Address } from '../../db/schema/address.js';
import { phoneKey } from '../persons/model.js';
import { isEmptyAddress, LIMITS } from './mapping.js';
import type { StoredRow } from './commit-state.js';
import type { PersonDraft } from './types.js';
import type { PersonWrite } from './writers.js';

export const MAX_EMAILS = 10;

/** A row that updates an existing card. */
export interface Update {
  row: StoredRow;
  p: PersonDraft;
  id: number;
  organizationId: number | null;
  address: Address;
}

/** A phone as compared on update: its E.164 form (8 916… and +7 916… are one number), else its digits. */
const phoneMatchKey = (number: string) => phoneKey(number) ?? digitsOf(number);

/**
 * The card's note with the file's: a file row (Outlook, CSV, vCard…) adds its note below the
 * card's after a dated separator, never replacing it (the same text is not added twice); this
 * system's XML carries the whole record and replaces it.
 */
export function mergeNote(old: string, added: string, p: PersonDraft, at: Date): string {
  if (!added) return old;
  if (p.key !== null || !old) return added;
  if (old.includes(added)) return old;
  const day = `${String(at.getDate()).padStart(2, '0')}.${String(at.getMonth() + 1).padStart(2, '0')}.${at.getFullYear()}`;
  return `${old}\n\n— ${day} —\n${added}`.slice(0, LIMITS.note);
}

/**
 * One row's values merged into a card: non-empty values replace, phones (by E.164) and e-mails add
 * up, notes are appended (see mergeNote). `at`: the commit's time, dating the note's separator.
 */
export function merge(card: PersonWrite, u: Update, at: Date = new Date()): PersonWrite {
  const p = u.p;
  const v = card.values;
  const digits = new Set(card.phones.map((x) => phoneMatchKey(x.number)));
  const lower = new Set(card.emails.map((e) => e.toLowerCase()));
  return {
    values: {
      ...v,
      ...(isEmptyAddress(u.address) ? {} : u.address),
      surname: p.surname,
      firstName: p.firstName || v.firstName,
      patronymic: p.patronymic || v.patronymic,
      influence: p.influence || v.influence,
      organizationId: u.organizationId ?? v.organizationId,
      jobTitle: p.jobTitle || v.jobTitle,
      gender: p.gender === 'unspecified' ? v.gender : p.gender,
      dativeOverride: p.dativeOverride || v.dativeOverride,
      note: mergeNote(v.note, p.note, p, at),
    },
    phones: [...card.phones, ...p.phones.filter((x) => !digits.has(phoneMatchKey(x.number)))],
    emails: [...card.emails, ...p.emails.filter((e) => !lower.has(e.toLowerCase()))].slice(0, Math.max(MAX_EMAILS, card.emails.length)),
  };
}

