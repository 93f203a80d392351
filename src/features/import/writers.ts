import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { Address } from '../../db/schema/address.js';
import { auditLog, type AuditAction } from '../../db/schema/audit.js';
import { groupMemberships, mailingGroups, membershipDocuments } from '../../db/schema/groups.js';
import { importChanges, type ImportEntityType } from '../../db/schema/imports.js';
import { organizations } from '../../db/schema/organizations.js';
import { personEmails, personPhones, personPhotos, persons, type Gender, type PhoneKind } from '../../db/schema/persons.js';
import { digitsOf, normalizeKey } from '../../lib/text.js';
import { parsePhone } from '../../lib/validate.js';
import { diff } from '../audit/service.js';
import { PERSON_FIELDS } from '../persons/service.js';
import { personSearchText } from '../persons/search-text.js';
import type { PhotoDraft } from './types.js';

/**
 * Bulk writes for the commit: multi-row inserts inside the commit's transaction instead of one
 * service call (and one transaction) per row, with the same derived columns and the same audit
 * entries the services write, so an imported card is indistinguishable from a typed one.
 */
const CHUNK = 500;

export function chunked<T>(list: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export const PERSON_AUDIT_FIELDS = [...PERSON_FIELDS, 'phones', 'emails'] as const;

/** Who and when: one actor and one timestamp for everything a commit writes. */
export interface Stamp {
  userId: number;
  at: Date;
  batchId: number;
}

/** Audit entries and undo records, collected as rows are written and inserted in chunks. */
export class Journal {
  private audits: (typeof auditLog.$inferInsert)[] = [];
  private changes: (typeof importChanges.$inferInsert)[] = [];

  constructor(private readonly stamp: Stamp) {}

  audit(entityType: string, entityId: number, action: AuditAction, before: Record<string, unknown> | null, after: Record<string, unknown> | null, fields: readonly string[]) {
    const changes = diff(before, after, fields);
    if (action === 'update' && Object.keys(changes).length === 0) return;
    this.audits.push({ at: this.stamp.at, userId: this.stamp.userId, entityType, entityId, action, changes });
  }

  change(entityType: ImportEntityType, entityId: number, action: 'created' | 'updated', opts: { before?: unknown; versionAfter?: number | null; externalKey?: string | null } = {}) {
    this.changes.push({ batchId: this.stamp.batchId, entityType, entityId, action, before: opts.before ?? null, versionAfter: opts.versionAfter ?? null, externalKey: opts.externalKey ?? null });
  }

  async flush(tx: Tx) {
    for (const part of chunked(this.audits)) await tx.insert(auditLog).values(part);
    for (const part of chunked(this.changes)) await tx.insert(importChanges).values(part);
    this.audits = [];
    this.changes = [];
  }
}

export interface PersonValues extends Address {
  surname: string;
  firstName: string;
  patronymic: string;
  influence: number;
  organizationId: number | null;
  jobTitle: string;
  gender: Gender;
  dativeOverride: string;
  note: string;
  archivedAt: Date | null;
}

export interface PersonWrite {
  values: PersonValues;
  phones: { kind: PhoneKind; number: string }[];
  emails: string[];
}

/** The same digits the person service keeps for the locator: as typed, E.164 and national. */
export function phoneDigitsOf(phones: { number: string }[]): string {
  return phones
    .flatMap((p) => {
      const parsed = parsePhone(p.number);
      return [digitsOf(p.number), parsed ? digitsOf(parsed.e164) : '', parsed?.national ?? ''];
    })
    .filter((d, i, all) => d && all.indexOf(d) === i)
    .join(' ');
}

export function derivedPersonColumns(w: PersonWrite, org: { name: string; shortName: string } | null) {
  return {
    sortKey: normalizeKey(`${w.values.surname} ${w.values.firstName} ${w.values.patronymic}`),
    searchText: personSearchText.of(w.values, org, w.emails),
    phoneDigits: phoneDigitsOf(w.phones),
  };
}

/** The person as the audit trail compares it (phones and e-mails as text), as the service does. */
export function auditablePerson(values: object, phones: { kind: string; number: string }[], emails: string[]) {
  return { ...values, phones: phones.map((x) => `${x.kind}: ${x.number}`), emails };
}

/** Inserts persons with their phones and e-mails; returns their ids in input order. */
export async function insertPersons(tx: Tx, stamp: Stamp, items: PersonWrite[], orgOf: (id: number | null) => { name: string; shortName: string } | null): Promise<number[]> {
  const ids: number[] = [];
  for (const part of chunked(items)) {
    const rows = await tx
      .insert(persons)
      .values(part.map((w) => ({ ...w.values, ...derivedPersonColumns(w, orgOf(w.values.organizationId)), createdBy: stamp.userId, updatedBy: stamp.userId, createdAt: stamp.at, updatedAt: stamp.at })))
      .returning({ id: persons.id });
    ids.push(...rows.map((r) => r.id));
  }
  await writeContacts(
    tx,
    items.map((w, i) => ({ personId: ids[i], phones: w.phones, emails: w.emails })),
  );
  return ids;
}

/** Phones and e-mails of many persons in a few statements (the persons have none yet). */
export async function writeContacts(tx: Tx, list: { personId: number; phones: { kind: PhoneKind; number: string }[]; emails: string[] }[]) {
  const phones = list.flatMap((x) => x.phones.map((p, i) => ({ personId: x.personId, kind: p.kind, number: p.number, e164: parsePhone(p.number)?.e164 ?? null, position: i })));
  const emails = list.flatMap((x) => x.emails.map((email, i) => ({ personId: x.personId, email, position: i })));
  for (const part of chunked(phones, 2000)) await tx.insert(personPhones).values(part);
  for (const part of chunked(emails, 2000)) await tx.insert(personEmails).values(part);
}

export async function writePhotos(tx: Tx, list: { personId: number; photo: PhotoDraft }[], at: Date) {
  for (const part of chunked(list, 50)) {
    await tx
      .insert(personPhotos)
      .values(part.map(({ personId, photo }) => ({ personId, ...photo, updatedAt: at })))
      .onConflictDoUpdate({
        target: personPhotos.personId,
        set: { thumbnail: sql`excluded.thumbnail`, original: sql`excluded.original`, originalType: sql`excluded.original_type`, width: sql`excluded.width`, height: sql`excluded.height`, updatedAt: at },
      });
  }
}

export type OrganizationValues = Omit<typeof organizations.$inferInsert, 'id' | 'sortKey' | 'searchText' | 'version' | 'createdAt' | 'createdBy' | 'updatedAt' | 'updatedBy'> & { name: string };

export function organizationKeys(v: { name: string; shortName?: string | null }) {
  return { sortKey: normalizeKey(v.name), searchText: normalizeKey(`${v.name} ${v.shortName ?? ''}`) };
}

export async function insertOrganizations(tx: Tx, stamp: Stamp, items: OrganizationValues[]) {
  const out: (typeof organizations.$inferSelect)[] = [];
  for (const part of chunked(items)) {
    out.push(
      ...(await tx
        .insert(organizations)
        .values(part.map((v) => ({ ...v, ...organizationKeys(v), createdBy: stamp.userId, updatedBy: stamp.userId, createdAt: stamp.at, updatedAt: stamp.at })))
        .returning()),
    );
  }
  return out;
}

export async function insertGroups(tx: Tx, stamp: Stamp, items: { name: string; description: string; mark: 'none' | 'priority' | 'warning'; archivedAt: Date | null }[]) {
  const out: (typeof mailingGroups.$inferSelect)[] = [];
  for (const part of chunked(items)) {
    out.push(
      ...(await tx
        .insert(mailingGroups)
        .values(part.map((g) => ({ ...g, sortKey: normalizeKey(g.name), createdBy: stamp.userId, updatedBy: stamp.userId, createdAt: stamp.at, updatedAt: stamp.at })))
        .returning()),
    );
  }
  return out;
}

export interface MembershipWrite {
  groupId: number;
  personId: number | null;
  organizationId: number | null;
  reason: string;
  addedAt: Date;
  removedAt: Date | null;
  documentIds: number[];
}

export async function insertMemberships(tx: Tx, stamp: Stamp, items: MembershipWrite[]): Promise<number[]> {
  const ids: number[] = [];
  for (const part of chunked(items)) {
    const rows = await tx
      .insert(groupMemberships)
      .values(part.map((m) => ({ groupId: m.groupId, personId: m.personId, organizationId: m.organizationId, reason: m.reason, addedAt: m.addedAt, addedBy: stamp.userId, removedAt: m.removedAt, removedBy: m.removedAt ? stamp.userId : null })))
      .returning({ id: groupMemberships.id });
    ids.push(...rows.map((r) => r.id));
  }
  const docs = items.flatMap((m, i) => m.documentIds.map((documentId) => ({ membershipId: ids[i], documentId })));
  for (const part of chunked(docs, 2000)) await tx.insert(membershipDocuments).values(part).onConflictDoNothing();
  return ids;
}

/** Records each row's outcome in one statement per chunk. */
export async function writeOutcomes(tx: Tx, batchId: number, outcomes: { rowNo: number; outcome: string; reason: string | null; entityId: number | null }[]) {
  for (const part of chunked(outcomes, 1000)) {
    const values = sql.join(
      part.map((o) => sql`(${o.rowNo}::int, ${o.outcome}::text, ${o.reason}::text, ${o.entityId}::int)`),
      sql`, `,
    );
    await tx.execute(sql`
      update import_rows r set outcome = v.outcome, outcome_reason = v.reason, entity_id = v.entity
      from (values ${values}) as v(row_no, outcome, reason, entity)
      where r.batch_id = ${batchId} and r.row_no = v.row_no`);
  }
}
