import { digitsOf } from '../../lib/text.js';
import type { Address } from '../../db/schema/address.js';
import { isEmptyAddress } from './mapping.js';
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

/** One row's values merged into a card: non-empty values replace, phones and e-mails add up. */
export function merge(card: PersonWrite, u: Update): PersonWrite {
  const p = u.p;
  const v = card.values;
  const digits = new Set(card.phones.map((x) => digitsOf(x.number)));
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
      note: p.note || v.note,
    },
    phones: [...card.phones, ...p.phones.filter((x) => !digits.has(digitsOf(x.number)))],
    emails: [...card.emails, ...p.emails.filter((e) => !lower.has(e.toLowerCase()))].slice(0, Math.max(MAX_EMAILS, card.emails.length)),
  };
}

