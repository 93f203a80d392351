import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client.js';
import { organizations } from '../../../db/schema/organizations.js';
import { personEmails, personPhones, persons } from '../../../db/schema/persons.js';
import { normalizeKey } from '../../../lib/text.js';
import { personValuesOf } from '../../persons/model.js';
import { anyInt } from '../../../db/bulk.js';
import type { StoredRow } from '../commit/state.js';
import { merge } from '../commit/merge.js';
import type { PersonDraft, RowData } from '../types.js';
import { addressText } from './view.js';

/**
 * What "update the existing card" would change, field by field, for the duplicates on a preview
 * page: the card as it is now, and as the commit's own merge (commit/merge.ts) would leave it.
 */
export interface FieldChange {
  /** i18n key suffix: import.change.<field>. */
  field: 'surname' | 'firstName' | 'patronymic' | 'organization' | 'jobTitle' | 'gender' | 'note' | 'address' | 'phones' | 'emails';
  before: string;
  after: string;
  /** Gender values and phone kinds are translated when shown. */
  kind?: 'gender';
}

export async function updateChanges(db: Db, rows: { rowNo: number; data: unknown; duplicateId: number | null }[], at = new Date()): Promise<Map<number, FieldChange[]>> {
  const wanted = rows.filter((r) => r.duplicateId && (r.data as RowData).kind === 'person');
  const out = new Map<number, FieldChange[]>();
  if (!wanted.length) return out;
  const ids = [...new Set(wanted.map((r) => r.duplicateId as number))];
  const [found, phones, emails] = await Promise.all([
    db.select({ p: persons, orgName: organizations.name }).from(persons).leftJoin(organizations, eq(organizations.id, persons.organizationId)).where(sql`${persons.id} = ${anyInt(ids)}`),
    db.select().from(personPhones).where(sql`${personPhones.personId} = ${anyInt(ids)}`).orderBy(asc(personPhones.position), asc(personPhones.id)),
    db.select().from(personEmails).where(sql`${personEmails.personId} = ${anyInt(ids)}`).orderBy(asc(personEmails.position), asc(personEmails.id)),
  ]);
  const byId = new Map(found.map((f) => [f.p.id, f]));
  for (const r of wanted) {
    const card = byId.get(r.duplicateId as number);
    if (!card) continue;
    const p = (r.data as { person: PersonDraft }).person;
    const values = personValuesOf(card.p);
    const before = {
      values,
      phones: phones.filter((x) => x.personId === card.p.id).map((x) => ({ kind: x.kind, number: x.number })),
      emails: emails.filter((x) => x.personId === card.p.id).map((x) => x.email),
    };
    const after = merge(before, { row: { rowNo: r.rowNo } as StoredRow, p, id: card.p.id, organizationId: null, address: p.address }, at);
    const changes: FieldChange[] = [];
    const add = (field: FieldChange['field'], b: string, a: string, kind?: 'gender') => {
      if (b !== a) changes.push({ field, before: b, after: a, ...(kind ? { kind } : {}) });
    };
    for (const f of ['surname', 'firstName', 'patronymic', 'jobTitle', 'note'] as const) add(f, String(before.values[f] ?? ''), String(after.values[f] ?? ''));
    add('gender', before.values.gender, after.values.gender, 'gender');
    const company = p.organization && 'name' in p.organization ? p.organization.name : '';
    if (company && normalizeKey(company) !== normalizeKey(card.orgName ?? '')) add('organization', card.orgName ?? '', company);
    add('address', addressText(before.values), addressText(after.values));
    add('phones', before.phones.map((x) => x.number).join(', '), after.phones.map((x) => x.number).join(', '));
    add('emails', before.emails.join(', '), after.emails.join(', '));
    if (changes.length) out.set(r.rowNo, changes);
  }
  return out;
}
