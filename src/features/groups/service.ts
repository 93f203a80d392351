import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { documents } from '../../db/schema/documents.js';
import { GROUP_MARKS, groupMemberships, mailingGroups, membershipDocuments, type GroupMark, type MailingGroup } from '../../db/schema/groups.js';
import { organizations } from '../../db/schema/organizations.js';
import { persons } from '../../db/schema/persons.js';
import type { User } from '../../db/schema/users.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { normalizeKey } from '../../lib/text.js';
import { FormReader } from '../../lib/validate.js';
import { requireSecretary } from '../../lib/access.js';
import { recordAudit } from '../audit/service.js';
import { findActiveMembership, findGroup } from './queries.js';
import { isUniqueViolation } from '../../lib/pg-errors.js';
import { rowsOf } from '../../db/rows.js';
import { selectionLocator, selectionWhere, type Selection } from '../../lib/search/selection.js';

const GROUP_FIELDS = ['name', 'description', 'mark'] as const;
export type Member = { personId: number } | { organizationId: number };

export interface GroupInput {
  name: string;
  description: string;
  mark: GroupMark;
}

export function readGroupForm(body: Record<string, unknown>): GroupInput {
  const f = new FormReader(body);
  const input = {
    name: f.text('name', { required: true, max: 200 }),
    description: f.text('description', { max: 2000, multiline: true }),
    mark: f.oneOf('mark', GROUP_MARKS, 'none'),
  };
  if (!f.ok) throw new ValidationError(f.errors);
  return input;
}

async function assertNameFree(tx: Db | Tx, sortKey: string, exceptId: number | null) {
  const [clash] = await tx.select({ id: mailingGroups.id }).from(mailingGroups).where(eq(mailingGroups.sortKey, sortKey));
  if (clash && clash.id !== exceptId) throw new ValidationError({ name: { key: 'groups.nameTaken' } });
}

export async function createGroup(db: Db, actor: User, input: GroupInput): Promise<MailingGroup> {
  requireSecretary(actor);
  const sortKey = normalizeKey(input.name);
  try {
    return await db.transaction(async (tx) => {
      await assertNameFree(tx, sortKey, null);
      const [row] = await tx.insert(mailingGroups).values({ ...input, sortKey, createdBy: actor.id, updatedBy: actor.id }).returning();
      await recordAudit(tx, { userId: actor.id, entityType: 'group', entityId: row.id, action: 'create', after: row, fields: GROUP_FIELDS });
      return row;
    });
  } catch (err) {
    // Two secretaries creating "VIP" at the same moment: the unique index decides.
    if (isUniqueViolation(err)) throw new ValidationError({ name: { key: 'groups.nameTaken' } });
    throw err;
  }
}

export async function updateGroup(db: Db, actor: User, id: number, version: number, input: GroupInput): Promise<MailingGroup> {
  requireSecretary(actor);
  const sortKey = normalizeKey(input.name);
  try {
    return await db.transaction(async (tx) => {
      const [before] = await tx.select().from(mailingGroups).where(eq(mailingGroups.id, id)).for('update');
      if (!before) throw new NotFoundError();
      if (before.version !== version) throw new ConflictError('errors.conflict.text', before);
      await assertNameFree(tx, sortKey, id);
      const [row] = await tx
        .update(mailingGroups)
        .set({ ...input, sortKey, version: before.version + 1, updatedAt: new Date(), updatedBy: actor.id })
        .where(eq(mailingGroups.id, id))
        .returning();
      await recordAudit(tx, { userId: actor.id, entityType: 'group', entityId: id, action: 'update', before, after: row, fields: GROUP_FIELDS });
      return row;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ValidationError({ name: { key: 'groups.nameTaken' } });
    throw err;
  }
}

export async function setGroupArchived(db: Db, actor: User, id: number, archived: boolean): Promise<MailingGroup> {
  requireSecretary(actor);
  return db.transaction(async (tx) => {
    const [before] = await tx.select().from(mailingGroups).where(eq(mailingGroups.id, id)).for('update');
    if (!before) throw new NotFoundError();
    if (Boolean(before.archivedAt) === archived) return before;
    const [row] = await tx
      .update(mailingGroups)
      .set({ archivedAt: archived ? new Date() : null, version: before.version + 1, updatedAt: new Date(), updatedBy: actor.id })
      .where(eq(mailingGroups.id, id))
      .returning();
    await recordAudit(tx, { userId: actor.id, entityType: 'group', entityId: id, action: archived ? 'archive' : 'restore', before, after: row, fields: ['archivedAt'] });
    return row;
  });
}

/** Registration numbers typed by the user ("Вх-2026/000123, Исх-2026/000045") → document ids. */
export async function resolveDocumentNumbers(db: Db | Tx, text: string): Promise<{ ids: number[]; unknown: string[] }> {
  const numbers = [...new Set(text.split(/[,;\s]+/).map((s) => s.trim()).filter(Boolean))].slice(0, 50);
  if (!numbers.length) return { ids: [], unknown: [] };
  const found = await db.select({ id: documents.id, regNumber: documents.regNumber }).from(documents).where(inArray(sql`lower(${documents.regNumber})`, numbers.map((n) => n.toLowerCase())));
  const known = new Set(found.map((d) => d.regNumber.toLowerCase()));
  return { ids: found.map((d) => d.id), unknown: numbers.filter((n) => !known.has(n.toLowerCase())) };
}

export interface MembershipInput {
  reason: string;
  documentNumbers: string;
}

export function readMembershipForm(body: Record<string, unknown>): MembershipInput {
  const f = new FormReader(body);
  const input = { reason: f.text('reason', { max: 1000, multiline: true }), documentNumbers: f.text('documents', { max: 2000 }) };
  if (!f.ok) throw new ValidationError(f.errors);
  return input;
}

export type AddResult = { status: 'added'; membershipId: number } | { status: 'already' };

/**
 * Adds a member to a group with the reason and the documents that justify it. Adding someone who
 * is already an active member changes nothing and says so.
 */
export async function addMember(db: Db, actor: User, groupId: number, member: Member, input: MembershipInput = { reason: '', documentNumbers: '' }): Promise<AddResult> {
  requireSecretary(actor);
  try {
    return await db.transaction(async (tx) => {
      const group = await findGroup(tx, groupId);
      if (!group) throw new NotFoundError();
      if (group.archivedAt) throw new ValidationError({ group: { key: 'groups.archivedGroup' } });
      await assertMemberExists(tx, member);
      if (await findActiveMembership(tx, groupId, member)) return { status: 'already' as const };
      const docs = await resolveDocumentNumbers(tx, input.documentNumbers);
      if (docs.unknown.length) throw new ValidationError({ documents: { key: 'groups.unknownDocuments', params: { numbers: docs.unknown.join(', ') } } });
      const [row] = await tx.insert(groupMemberships).values({ groupId, ...member, reason: input.reason, addedBy: actor.id }).returning();
      if (docs.ids.length) await tx.insert(membershipDocuments).values(docs.ids.map((documentId) => ({ membershipId: row.id, documentId })));
      await recordAudit(tx, {
        userId: actor.id,
        entityType: 'personId' in member ? 'person' : 'organization',
        entityId: 'personId' in member ? member.personId : member.organizationId,
        action: 'update',
        before: { groups: null },
        after: { groups: group.name },
        fields: ['groups'],
      });
      return { status: 'added' as const, membershipId: row.id };
    });
  } catch (err) {
    // Two secretaries adding the same person at once: the partial unique index keeps one row.
    if (isUniqueViolation(err)) return { status: 'already' };
    throw err;
  }
}

async function assertMemberExists(tx: Tx, member: Member) {
  if ('personId' in member) {
    const [p] = await tx.select({ id: persons.id }).from(persons).where(eq(persons.id, member.personId));
    if (!p) throw new NotFoundError();
  } else {
    const [o] = await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, member.organizationId));
    if (!o) throw new NotFoundError();
  }
}

export type RemoveResult = { status: 'removed' } | { status: 'already' };

/** Ends a membership; the row stays as history. Removing an already removed one is harmless. */
export async function removeMembership(db: Db, actor: User, membershipId: number): Promise<RemoveResult & { groupId: number; member: Member }> {
  requireSecretary(actor);
  return db.transaction(async (tx) => {
    const [m] = await tx.select().from(groupMemberships).where(eq(groupMemberships.id, membershipId)).for('update');
    if (!m) throw new NotFoundError();
    const member: Member = m.personId ? { personId: m.personId } : { organizationId: m.organizationId! };
    if (m.removedAt) return { status: 'already' as const, groupId: m.groupId, member };
    await tx.update(groupMemberships).set({ removedAt: new Date(), removedBy: actor.id }).where(and(eq(groupMemberships.id, membershipId), isNull(groupMemberships.removedAt)));
    const group = await findGroup(tx, m.groupId);
    await recordAudit(tx, {
      userId: actor.id,
      entityType: m.personId ? 'person' : 'organization',
      entityId: (m.personId ?? m.organizationId)!,
      action: 'update',
      before: { groups: group?.name ?? '' },
      after: { groups: null },
      fields: ['groups'],
    });
    return { status: 'removed' as const, groupId: m.groupId, member };
  });
}

// ---- the /contacts selection, added to a group (its definition: lib/search/selection.ts) ----

/** The selection's persons, and how many of them are not yet members of the group. */
export async function countSelection(db: Db, sel: Selection, groupId: number | null = null): Promise<{ total: number; new: number }> {
  const locator = selectionLocator(sel);
  return db.transaction(async (tx) => {
    if (locator.active) await locator.prepare(tx);
    const notMember = groupId
      ? sql`not exists (select 1 from group_memberships m where m.group_id = ${groupId} and m.person_id = p.id and m.removed_at is null)`
      : sql`true`;
    const [r] = rowsOf(
      await tx.execute(sql`
        select count(*)::int as total, count(*) filter (where ${notMember})::int as fresh
        from persons p left join organizations o on o.id = p.organization_id where ${selectionWhere(sel, locator)}`),
      { total: 'number', fresh: 'number' },
      'groups: selection count',
    );
    return { total: Number(r.total), new: Number(r.fresh) };
  });
}

/** Adds every person of the selection who is not yet a member, in one statement. */
export async function addSelection(db: Db, actor: User, groupId: number, sel: Selection, reason: string): Promise<number> {
  requireSecretary(actor);
  const locator = selectionLocator(sel);
  return db.transaction(async (tx) => {
    const group = await findGroup(tx, groupId);
    if (!group) throw new NotFoundError();
    if (group.archivedAt) throw new ValidationError({ group: { key: 'groups.archivedGroup' } });
    if (locator.active) await locator.prepare(tx);
    const inserted = rowsOf(
      await tx.execute(sql`
        insert into group_memberships (group_id, person_id, reason, added_by)
        select ${groupId}, p.id, ${reason}, ${actor.id}
        from persons p left join organizations o on o.id = p.organization_id
        where ${selectionWhere(sel, locator)}
          and not exists (select 1 from group_memberships m where m.group_id = ${groupId} and m.person_id = p.id and m.removed_at is null)
        on conflict do nothing
        returning id`),
      { id: 'number' },
      'groups: selection added',
    );
    await recordAudit(tx, {
      userId: actor.id,
      entityType: 'group',
      entityId: groupId,
      action: 'update',
      before: { members: null },
      after: { members: `+${inserted.length} (${sel.q || '*'})` },
      fields: ['members'],
    });
    return inserted.length;
  });
}

/** What other features read of the groups (the /contacts screen, exports): through this service, never the queries. */
export { badgesForOrganizations, badgesForPersons, findGroup, groupCounts, groupPersonCounts, membershipsOf } from './queries.js';
