import { and, asc, count, desc, eq, inArray, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { documents } from '../../db/schema/documents.js';
import { groupMemberships, mailingGroups } from '../../db/schema/groups.js';
import { mailingFiles, mailingRecipients, mailings, type Mailing, type MailingRecipient } from '../../db/schema/mailings.js';
import { users } from '../../db/schema/users.js';
import { selectionLocator, selectionWhere, type Selection } from '../../lib/search/selection.js';
import type { FrozenRecipient } from './model.js';

export const LIST_PAGE = 50;

/** Counts of a mailing's recipients: included, left out, registered, with a tracking number. */
const countsSql = {
  included: sql<number>`(select count(*) from ${mailingRecipients} r where r.mailing_id = ${mailings.id} and not r.excluded)::int`,
  excluded: sql<number>`(select count(*) from ${mailingRecipients} r where r.mailing_id = ${mailings.id} and r.excluded)::int`,
};

export interface MailingListRow {
  id: number;
  subject: string;
  mailDate: string;
  kind: Mailing['kind'];
  state: Mailing['state'];
  registeredAt: Date | null;
  groupId: number | null;
  groupName: string | null;
  included: number;
  excluded: number;
}

/** Newest first, by keyset on id: `before` is the last id of the previous page. */
export async function listMailings(db: Db, before: number | null): Promise<{ rows: MailingListRow[]; more: boolean }> {
  const list = await db
    .select({
      id: mailings.id,
      subject: mailings.subject,
      mailDate: mailings.mailDate,
      kind: mailings.kind,
      state: mailings.state,
      registeredAt: mailings.registeredAt,
      groupId: mailings.groupId,
      groupName: mailingGroups.name,
      ...countsSql,
    })
    .from(mailings)
    .leftJoin(mailingGroups, eq(mailingGroups.id, mailings.groupId))
    .where(before ? lt(mailings.id, before) : undefined)
    .orderBy(desc(mailings.id))
    .limit(LIST_PAGE + 1);
  const more = list.length > LIST_PAGE;
  if (more) list.pop();
  return { rows: list.map((r) => ({ ...r, included: Number(r.included), excluded: Number(r.excluded) })), more };
}

export type MailingView = Mailing & { groupName: string | null; groupArchived: boolean; createdByName: string | null; included: number; excluded: number };

export async function findMailing(db: Db | Tx, id: number): Promise<MailingView | undefined> {
  const [row] = await db
    .select({ m: mailings, groupName: mailingGroups.name, groupArchivedAt: mailingGroups.archivedAt, createdByName: users.name, ...countsSql })
    .from(mailings)
    .leftJoin(mailingGroups, eq(mailingGroups.id, mailings.groupId))
    .leftJoin(users, eq(users.id, mailings.createdBy))
    .where(eq(mailings.id, id));
  if (!row) return undefined;
  return { ...row.m, groupName: row.groupName, groupArchived: Boolean(row.groupArchivedAt), createdByName: row.createdByName, included: Number(row.included), excluded: Number(row.excluded) };
}

export async function lockMailing(tx: Tx, id: number): Promise<Mailing | undefined> {
  const [row] = await tx.select().from(mailings).where(eq(mailings.id, id)).for('update');
  return row;
}

export type RecipientRow = MailingRecipient & { regNumber: string | null };

/** The recipients in alphabetical order, with their outgoing numbers; `excluded` picks one side. */
export async function recipientsOf(db: Db | Tx, mailingId: number, opts: { excluded?: boolean; limit?: number } = {}): Promise<RecipientRow[]> {
  const q = db
    .select({ r: mailingRecipients, regNumber: documents.regNumber })
    .from(mailingRecipients)
    .leftJoin(documents, eq(documents.id, mailingRecipients.documentId))
    .where(and(eq(mailingRecipients.mailingId, mailingId), opts.excluded === undefined ? undefined : eq(mailingRecipients.excluded, opts.excluded)))
    .orderBy(asc(mailingRecipients.excluded), asc(mailingRecipients.sortKey), asc(mailingRecipients.id));
  const list = opts.limit ? await q.limit(opts.limit) : await q;
  return list.map((x) => ({ ...x.r, regNumber: x.regNumber }));
}

export async function findRecipient(db: Db | Tx, mailingId: number, recipientId: number): Promise<MailingRecipient | undefined> {
  const [r] = await db
    .select()
    .from(mailingRecipients)
    .where(and(eq(mailingRecipients.id, recipientId), eq(mailingRecipients.mailingId, mailingId)));
  return r;
}

/**
 * Writes frozen recipients in batches of 1,000, each one statement whose rows travel as one JSON
 * parameter: building a 1,000-row VALUES list through the query builder held the event loop for
 * most of a second.
 */
export async function insertRecipients(tx: Tx, mailingId: number, list: FrozenRecipient[], onBatch?: (done: number) => void): Promise<void> {
  for (let i = 0; i < list.length; i += 1000) {
    const json = JSON.stringify(
      list.slice(i, i + 1000).map((r) => ({
        person_id: r.personId,
        organization_id: r.organizationId,
        display_name: r.displayName,
        sort_key: r.sortKey,
        name_lines: r.nameLines,
        short_name_lines: r.shortNameLines,
        address: r.address,
        address_source: r.addressSource,
        address_line: r.addressLine,
        postcode: r.postcode,
        owner_organization_id: r.ownerOrganizationId,
        owner_organization_name: r.ownerOrganizationName,
        excluded: r.excluded,
        exclusion_reason: r.exclusionReason,
      })),
    );
    await tx.execute(sql`
      insert into mailing_recipients (mailing_id, person_id, organization_id, display_name, sort_key, name_lines, short_name_lines, address, address_source, address_line, postcode, owner_organization_id, owner_organization_name, excluded, exclusion_reason)
      select ${mailingId}::int, person_id, organization_id, display_name, sort_key, name_lines, short_name_lines, address, address_source, address_line, postcode, owner_organization_id, owner_organization_name, excluded, exclusion_reason
      from jsonb_to_recordset(${json}::jsonb) as x(person_id int, organization_id int, display_name text, sort_key text, name_lines jsonb, short_name_lines jsonb, address jsonb, address_source text, address_line text, postcode text, owner_organization_id int, owner_organization_name text, excluded boolean, exclusion_reason text)`);
    onBatch?.(Math.min(i + 1000, list.length));
  }
}

export async function deleteRecipients(tx: Tx, mailingId: number): Promise<void> {
  await tx.delete(mailingRecipients).where(eq(mailingRecipients.mailingId, mailingId));
}

/**
 * What the group's current memberships are: a change (someone added or removed) gives another
 * value, so a draft frozen earlier can offer a refresh.
 */
export async function groupFingerprint(db: Db | Tx, groupId: number): Promise<string> {
  const [r] = rowsOf(
    await db.execute(sql`select md5(coalesce(string_agg(${groupMemberships.id}::text, ',' order by ${groupMemberships.id}), '')) as f
      from ${groupMemberships} where ${groupMemberships.groupId} = ${groupId} and ${groupMemberships.removedAt} is null`),
    { f: 'string?' },
    'mailings: group fingerprint',
  );
  return r?.f ?? '';
}

export function findGroup(db: Db | Tx, id: number) {
  return db
    .select({ id: mailingGroups.id, name: mailingGroups.name, mark: mailingGroups.mark, archivedAt: mailingGroups.archivedAt })
    .from(mailingGroups)
    .where(eq(mailingGroups.id, id))
    .then((r) => r[0]);
}

export function activeGroups(db: Db) {
  return db
    .select({ id: mailingGroups.id, name: mailingGroups.name, mark: mailingGroups.mark })
    .from(mailingGroups)
    .where(isNull(mailingGroups.archivedAt))
    .orderBy(asc(mailingGroups.sortKey));
}

/** A group's current memberships, counted (before anything is read: a big group goes to a job). */
export async function countMembers(db: Db, groupId: number): Promise<number> {
  const [r] = await db
    .select({ n: count() })
    .from(groupMemberships)
    .where(and(eq(groupMemberships.groupId, groupId), isNull(groupMemberships.removedAt)));
  return Number(r.n);
}

/**
 * The persons and organizations on a blacklist: active members of an active group marked
 * "warning". A person also counts when their organization is on one.
 */
export async function blacklisted(db: Db | Tx): Promise<{ persons: Set<number>; organizations: Set<number> }> {
  const list = await db
    .select({ personId: groupMemberships.personId, organizationId: groupMemberships.organizationId })
    .from(groupMemberships)
    .innerJoin(mailingGroups, eq(mailingGroups.id, groupMemberships.groupId))
    .where(and(eq(mailingGroups.mark, 'warning'), isNull(mailingGroups.archivedAt), isNull(groupMemberships.removedAt)));
  const out = { persons: new Set<number>(), organizations: new Set<number>() };
  for (const r of list) {
    if (r.personId) out.persons.add(r.personId);
    if (r.organizationId) out.organizations.add(r.organizationId);
  }
  return out;
}

/** The persons of a /contacts selection (its one definition: lib/search/selection.ts). */
export async function selectionPersonIds(db: Db, sel: Selection): Promise<number[]> {
  const locator = selectionLocator(sel);
  return db.transaction(async (tx) => {
    if (locator.active) await locator.prepare(tx);
    const list = rowsOf(await tx.execute(sql`select p.id from persons p left join organizations o on o.id = p.organization_id where ${selectionWhere(sel, locator)}`), { id: 'number' }, 'mailings: selection');
    return list.map((r) => Number(r.id));
  });
}

export function letterOf(db: Db | Tx, mailingId: number) {
  return db
    .select({ fileName: mailingFiles.fileName, contentType: mailingFiles.contentType, size: mailingFiles.size, sha256: mailingFiles.sha256 })
    .from(mailingFiles)
    .where(eq(mailingFiles.mailingId, mailingId))
    .then((r) => r[0]);
}

export function letterWithBytes(db: Db, mailingId: number) {
  return db
    .select()
    .from(mailingFiles)
    .where(eq(mailingFiles.mailingId, mailingId))
    .then((r) => r[0]);
}

export type CardMailing = { id: number; subject: string; mailDate: string; state: Mailing['state']; excluded: boolean; exclusionReason: MailingRecipient['exclusionReason']; regNumber: string | null; documentId: number | null; tracking: string | null };

/** The mailings a card was part of, newest first: a person's own, or an organization's as itself. */
export async function mailingsOfCard(db: Db | Tx, who: { personId: number } | { organizationId: number }, limit = 100): Promise<CardMailing[]> {
  const cond = 'personId' in who ? eq(mailingRecipients.personId, who.personId) : eq(mailingRecipients.organizationId, who.organizationId);
  return db
    .select({
      id: mailings.id,
      subject: mailings.subject,
      mailDate: mailings.mailDate,
      state: mailings.state,
      excluded: mailingRecipients.excluded,
      exclusionReason: mailingRecipients.exclusionReason,
      regNumber: documents.regNumber,
      documentId: mailingRecipients.documentId,
      tracking: mailingRecipients.tracking,
    })
    .from(mailingRecipients)
    .innerJoin(mailings, eq(mailings.id, mailingRecipients.mailingId))
    .leftJoin(documents, eq(documents.id, mailingRecipients.documentId))
    .where(cond)
    .orderBy(desc(mailings.mailDate), desc(mailings.id))
    .limit(limit);
}

/** Included recipients without an outgoing document yet, in the order their numbers will run. */
export function unregisteredRecipients(tx: Tx, mailingId: number) {
  return tx
    .select({ id: mailingRecipients.id, personId: mailingRecipients.personId, organizationId: mailingRecipients.organizationId, displayName: mailingRecipients.displayName, ownerOrganizationName: mailingRecipients.ownerOrganizationName })
    .from(mailingRecipients)
    .where(and(eq(mailingRecipients.mailingId, mailingId), eq(mailingRecipients.excluded, false), isNull(mailingRecipients.documentId)))
    .orderBy(asc(mailingRecipients.sortKey), asc(mailingRecipients.id));
}

/** Links recipients to their documents: one statement for a whole batch. */
export async function linkDocuments(tx: Tx, pairs: { recipientId: number; documentId: number }[]): Promise<void> {
  for (let i = 0; i < pairs.length; i += 1000) {
    const chunk = pairs.slice(i, i + 1000);
    const json = JSON.stringify(chunk.map((p) => ({ rid: p.recipientId, doc: p.documentId })));
    await tx.execute(sql`update mailing_recipients r set document_id = v.doc from jsonb_to_recordset(${json}::jsonb) as v(rid int, doc int) where r.id = v.rid`);
  }
}

/** Included recipients in order (the order of the tracking paste and of form 103). */
export function includedInOrder(db: Db | Tx, mailingId: number) {
  return db
    .select({ id: mailingRecipients.id, tracking: mailingRecipients.tracking })
    .from(mailingRecipients)
    .where(and(eq(mailingRecipients.mailingId, mailingId), eq(mailingRecipients.excluded, false)))
    .orderBy(asc(mailingRecipients.sortKey), asc(mailingRecipients.id));
}

export async function setTrackings(tx: Tx, pairs: { id: number; tracking: string | null }[]): Promise<void> {
  for (let i = 0; i < pairs.length; i += 1000) {
    const chunk = pairs.slice(i, i + 1000);
    const json = JSON.stringify(chunk.map((p) => ({ rid: p.id, t: p.tracking })));
    await tx.execute(sql`update mailing_recipients r set tracking = v.t from jsonb_to_recordset(${json}::jsonb) as v(rid int, t text) where r.id = v.rid`);
  }
}

/** Which of these tracking numbers another recipient already has (two letters never share one). */
export async function trackingsTaken(db: Db | Tx, numbers: string[], exceptIds: number[]): Promise<Set<string>> {
  if (numbers.length === 0) return new Set();
  const list = await db
    .select({ tracking: mailingRecipients.tracking, id: mailingRecipients.id })
    .from(mailingRecipients)
    .where(and(isNotNull(mailingRecipients.tracking), inArray(mailingRecipients.tracking, numbers)));
  const except = new Set(exceptIds);
  return new Set(list.filter((r) => !except.has(r.id)).map((r) => r.tracking!));
}
