import { sql } from 'drizzle-orm';
import { organizationKeys } from '../../organizations/model.js';
import { auditLog, type AuditAction } from '../../../db/schema/audit.js';
import { groupMemberships, mailingGroups, membershipDocuments } from '../../../db/schema/groups.js';
import { importChanges, type ImportEntityType } from '../../../db/schema/imports.js';
import { organizations } from '../../../db/schema/organizations.js';
import { personEmails, personPhones, personPhotos, persons, type PhoneKind } from '../../../db/schema/persons.js';
import { ADDRESS_FIELDS, type Address } from '../../../db/schema/address.js';
import { normalizeKey } from '../../../lib/text.js';
import { allocateIds, anyInt, bulkInsert, chunked, send, type Target } from '../../../db/bulk.js';
import { diff, type AuditedField } from '../../audit/model.js';
import { derivedPersonColumns, parsedPhone, type PersonWrite } from '../../persons/model.js';
import type { PhotoDraft } from '../types.js';

/**
 * Bulk writes for the commit: multi-row inserts inside the commit's transaction instead of one
 * service call (and one transaction) per row, with the same derived columns and the same audit
 * entries the services write, so an imported card is indistinguishable from a typed one.
 */

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

  /** Records an audit entry; the returned one may still be amended until `flush`. */
  audit(entityType: string, entityId: number, action: AuditAction, before: Record<string, unknown> | null, after: Record<string, unknown> | null, fields: readonly AuditedField[]) {
    const changes = diff(before, after, fields);
    // A new record's empty fields say nothing ("— → empty"): thousands of imported cards would
    // otherwise carry a dozen of them each into the audit log.
    if (action === 'create') {
      for (const [f, [, v]] of Object.entries(changes)) if (v === '' || (Array.isArray(v) && v.length === 0)) delete changes[f];
    }
    if (action === 'update' && Object.keys(changes).length === 0) return null;
    const entry = { at: this.stamp.at, userId: this.stamp.userId, entityType, entityId, action, changes };
    this.audits.push(entry);
    return entry;
  }

  /** Records a change for undo; the returned entry may still be amended until `flush`. */
  change(entityType: ImportEntityType, entityId: number, action: 'created' | 'updated', opts: { before?: unknown; versionAfter?: number | null; externalKey?: string | null } = {}) {
    const entry = { batchId: this.stamp.batchId, entityType, entityId, action, before: opts.before ?? null, versionAfter: opts.versionAfter ?? null, externalKey: opts.externalKey ?? null };
    this.changes.push(entry);
    if (action === 'created') this.created.add(`${entityType}:${entityId}`);
    return entry;
  }

  private readonly created = new Set<string>();

  /** Whether this commit created the record (it may then receive the file's history, too). */
  isCreated(entityType: ImportEntityType, entityId: number): boolean {
    return this.created.has(`${entityType}:${entityId}`);
  }

  async flush(tx: Target) {
    await bulkInsert(tx, auditLog, this.audits);
    await bulkInsert(tx, importChanges, this.changes);
    this.audits = [];
    this.changes = [];
  }
}

export type { PersonWrite } from '../../persons/model.js';

/** Inserts persons with their phones and e-mails; returns their ids in input order. */
export async function insertPersons(tx: Target, stamp: Stamp, items: PersonWrite[], orgOf: (id: number | null) => { name: string; shortName: string } | null, allocated?: number[]): Promise<number[]> {
  const ids = allocated ?? (await allocateIds(tx, persons, items.length));
  const rows = items.map((w, i) => ({ id: ids[i], ...w.values, ...derivedPersonColumns(w, orgOf(w.values.organizationId)), version: 1, createdBy: stamp.userId, updatedBy: stamp.userId, createdAt: stamp.at, updatedAt: stamp.at }));
  await bulkInsert(tx, persons, rows, 500);
  await writeContacts(
    tx,
    items.map((w, i) => ({ personId: ids[i], phones: w.phones, emails: w.emails })),
  );
  return ids;
}

/** Phones and e-mails of many persons in a few statements (the persons have none yet). */
export async function writeContacts(tx: Target, list: { personId: number; phones: { kind: PhoneKind; number: string }[]; emails: string[] }[]) {
  await bulkInsert(tx, personPhones, list.flatMap((x) => x.phones.map((p, i) => ({ personId: x.personId, kind: p.kind, number: p.number, e164: parsedPhone(p.number)?.e164 ?? null, position: i }))), 2000);
  await bulkInsert(tx, personEmails, list.flatMap((x) => x.emails.map((email, i) => ({ personId: x.personId, email, position: i }))), 2000);
}

/** Photos of persons, replacing any they had. */
export async function writePhotos(tx: Target, list: { personId: number; photo: PhotoDraft }[], at: Date) {
  if (!list.length) return;
  await send(tx, sql`delete from person_photos where person_id = ${anyInt(list.map((x) => x.personId))}`);
  await bulkInsert(tx, personPhotos, list.map(({ personId, photo }) => ({ personId, ...photo, updatedAt: at })), 20);
}

export type Organization = typeof organizations.$inferSelect;
export type OrganizationValues = Partial<Omit<Organization, 'id' | 'sortKey' | 'sortName' | 'localityKey' | 'searchText' | 'version' | 'createdAt' | 'createdBy' | 'updatedAt' | 'updatedBy'>> & { name: string };

/** Inserts organizations; returns them as stored (the same values the audit compares). */
export async function insertOrganizations(tx: Target, stamp: Stamp, items: OrganizationValues[]): Promise<Organization[]> {
  const ids = await allocateIds(tx, organizations, items.length);
  // locality_key is generated by the database.
  const rows: Omit<Organization, 'localityKey'>[] = items.map((v, i) => ({
    id: ids[i],
    name: v.name,
    shortName: v.shortName ?? '',
    inn: v.inn ?? '',
    regionId: v.regionId ?? null,
    activityId: v.activityId ?? null,
    categoryId: v.categoryId ?? null,
    ...(Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, v[f] ?? ''])) as Address),
    phones: v.phones ?? '',
    email: v.email ?? '',
    website: v.website ?? '',
    note: v.note ?? '',
    ...organizationKeys(v),
    archivedAt: v.archivedAt ?? null,
    mergedInto: null,
    // New organizations have no memberships yet; the triggers count them as they come.
    groupRefs: 0,
    version: 1,
    createdAt: stamp.at,
    createdBy: stamp.userId,
    updatedAt: stamp.at,
    updatedBy: stamp.userId,
  }));
  await bulkInsert(tx, organizations, rows, 500);
  return rows as Organization[];
}

export type MailingGroup = typeof mailingGroups.$inferSelect;

export async function insertGroups(tx: Target, stamp: Stamp, items: { name: string; description: string; mark: 'none' | 'priority' | 'warning'; archivedAt: Date | null }[]): Promise<MailingGroup[]> {
  const ids = await allocateIds(tx, mailingGroups, items.length);
  const rows: MailingGroup[] = items.map((g, i) => ({ id: ids[i], ...g, sortKey: normalizeKey(g.name), version: 1, createdBy: stamp.userId, updatedBy: stamp.userId, createdAt: stamp.at, updatedAt: stamp.at }));
  await bulkInsert(tx, mailingGroups, rows, 500);
  return rows;
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

export async function insertMemberships(tx: Target, stamp: Stamp, items: MembershipWrite[]): Promise<number[]> {
  const ids = await allocateIds(tx, groupMemberships, items.length);
  // One statement for all of them: the membership triggers then recount each organization once.
  await bulkInsert(
    tx,
    groupMemberships,
    items.map((m, i) => ({ id: ids[i], groupId: m.groupId, personId: m.personId, organizationId: m.organizationId, reason: m.reason, addedAt: m.addedAt, addedBy: stamp.userId, removedAt: m.removedAt, removedBy: m.removedAt ? stamp.userId : null })),
    Math.max(items.length, 1),
  );
  await bulkInsert(tx, membershipDocuments, items.flatMap((m, i) => [...new Set(m.documentIds)].map((documentId) => ({ membershipId: ids[i], documentId }))));
  return ids;
}

/** Records each row's outcome, one statement per few thousand rows. */
export async function writeOutcomes(tx: Target, batchId: number, outcomes: { rowNo: number; outcome: string; reason: string | null; entityId: number | null }[]) {
  for (const part of chunked(outcomes, 5000)) {
    await send(tx, sql`
      update import_rows r set outcome = v.outcome, outcome_reason = v.reason, entity_id = v.entity
      from jsonb_to_recordset(${JSON.stringify(part.map((o) => ({ row_no: o.rowNo, outcome: o.outcome, reason: o.reason, entity: o.entityId })))}::jsonb)
        as v(row_no int, outcome text, reason text, entity int)
      where r.batch_id = ${batchId} and r.row_no = v.row_no`);
  }
}
