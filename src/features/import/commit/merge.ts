import type { Address } from '../../../db/schema/address.js';
import { mergePerson, type PersonWrite } from '../../persons/model.js';
import { isEmptyAddress } from '../read/mapping.js';
import type { StoredRow } from './state.js';
import type { PersonDraft } from '../types.js';

/** A row that updates an existing card. */
export interface Update {
  row: StoredRow;
  p: PersonDraft;
  id: number;
  organizationId: number | null;
  address: Address;
}

/**
 * One row's values merged into a card, by the person's merge rule (persons/model.ts mergePerson):
 * this system's XML (rows with a key) carries the whole record and replaces the note. `at`: the
 * commit's time, dating the note's separator.
 */
export function merge(card: PersonWrite, u: Update, at: Date = new Date()): PersonWrite {
  return mergePerson(card, u.p, { organizationId: u.organizationId, address: isEmptyAddress(u.address) ? null : u.address, replaceNote: u.p.key !== null, at });
}
