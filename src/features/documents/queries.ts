import { rowsOf } from '../../db/rows.js';
import { and, asc, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db, Tx } from '../../db/client.js';
import { documentFiles, documents, type Direction, type Document } from '../../db/schema/documents.js';
import { groupMemberships, mailingGroups, membershipDocuments } from '../../db/schema/groups.js';
import { mailingRecipients } from '../../db/schema/mailings.js';
import { organizations } from '../../db/schema/organizations.js';
import { personNameSql, persons } from '../../db/schema/persons.js';
import { users } from '../../db/schema/users.js';
import { escapeLike } from '../../lib/text.js';

/** Whose documents: a person's own, or an organization's together with its persons'. */
export type Counterparty = { personId: number } | { organizationId: number };

export interface DocumentFilter {
  direction?: Direction | null;
  /** ISO dates, inclusive. */
  from?: string | null;
  to?: string | null;
  /** Includes the documents of the organization's persons. */
  organizationId?: number | null;
  personId?: number | null;
  /** Already normalized (normalizeKey): matched against number, subject and sender number. */
  text?: string;
}

/** Keyset position in the newest-first order. */
export interface DocumentCursor {
  regDate: string;
  id: number;
}

function ofOrganization(organizationId: number): SQL {
  // `= any(array(…))`, not `in (select …)`: the array form lets the planner OR the two
  // (counterparty, date) indexes; the subquery form scanned all 200,000 documents by date.
  return sql`(${documents.organizationId} = ${organizationId} or ${documents.personId} = any(array(select ${persons.id} from ${persons} where ${persons.organizationId} = ${organizationId})))`;
}

/**
 * The mailing an outgoing copy was registered for, and its tracking number (ШПИ) once entered:
 * read from the mailing's recipient row that links to the document (one index lookup each).
 */
const mailedColumns = {
  mailingId: sql<number | null>`(select ${mailingRecipients.mailingId} from ${mailingRecipients} where ${mailingRecipients.documentId} = ${documents.id})`,
  tracking: sql<string | null>`(select ${mailingRecipients.tracking} from ${mailingRecipients} where ${mailingRecipients.documentId} = ${documents.id})`,
};

function where(f: DocumentFilter): SQL | undefined {
  return and(
    f.direction ? eq(documents.direction, f.direction) : undefined,
    f.from ? gte(documents.regDate, f.from) : undefined,
    f.to ? lte(documents.regDate, f.to) : undefined,
    f.organizationId ? ofOrganization(f.organizationId) : undefined,
    f.personId ? eq(documents.personId, f.personId) : undefined,
    f.text ? sql`${documents.searchText} like ${`%${escapeLike(f.text)}%`}` : undefined,
  );
}

export interface DocumentRow {
  id: number;
  direction: Direction;
  regNumber: string;
  regDate: string;
  senderNumber: string;
  senderDate: string | null;
  subject: string;
  organizationId: number | null;
  organizationName: string | null;
  personId: number | null;
  personName: string | null;
  fileCount: number;
  mailingId: number | null;
  tracking: string | null;
}

/**
 * One page of the register, newest first, by keyset on (reg_date, id): a page costs the same
 * whatever its number. `prev` and `last` read in ascending order and flip the rows.
 */
export async function listDocuments(
  db: Db,
  f: DocumentFilter,
  page: { mode: 'first' | 'next' | 'prev' | 'last'; cursor: DocumentCursor | null; size: number },
): Promise<{ rows: DocumentRow[]; hasPrev: boolean; hasNext: boolean }> {
  const reverse = page.mode === 'prev' || page.mode === 'last';
  const c = page.cursor;
  const key = sql`(${documents.regDate}, ${documents.id})`;
  const after = c && page.mode === 'next' ? sql`${key} < (${c.regDate}::date, ${c.id})` : undefined;
  const before = c && page.mode === 'prev' ? sql`${key} > (${c.regDate}::date, ${c.id})` : undefined;
  const order = reverse ? [asc(documents.regDate), asc(documents.id)] : [desc(documents.regDate), desc(documents.id)];
  const rows = await db
    .select({
      id: documents.id,
      direction: documents.direction,
      regNumber: documents.regNumber,
      regDate: documents.regDate,
      senderNumber: documents.senderNumber,
      senderDate: documents.senderDate,
      subject: documents.subject,
      organizationId: documents.organizationId,
      organizationName: organizations.name,
      personId: documents.personId,
      personName: personNameSql(persons),
      fileCount: sql<number>`(select count(*) from ${documentFiles} where ${documentFiles.documentId} = ${documents.id})::int`,
      ...mailedColumns,
    })
    .from(documents)
    .leftJoin(organizations, eq(organizations.id, documents.organizationId))
    .leftJoin(persons, eq(persons.id, documents.personId))
    .where(and(where(f), after, before))
    .orderBy(...order)
    .limit(page.size + 1);
  const more = rows.length > page.size;
  if (more) rows.pop();
  if (reverse) rows.reverse();
  return {
    rows: rows.map((r) => ({ ...r, fileCount: Number(r.fileCount) })),
    hasPrev: reverse ? more : page.mode === 'next',
    hasNext: reverse ? page.mode === 'prev' : more,
  };
}

/**
 * Counting stops here: an exact count of a 200,000-document register reads every row on every
 * page load; past this many, "more than 10,000" tells the user as much.
 */
export const COUNT_CAP = 10_000;

/** How many documents match, up to COUNT_CAP + 1 (more means "more than COUNT_CAP"). */
export async function countFiltered(db: Db, f: DocumentFilter): Promise<number> {
  const [row] = rowsOf(
    await db.execute(sql`select count(*)::int as n from (select 1 from ${documents} where ${where(f) ?? sql`true`} limit ${COUNT_CAP + 1}) x`),
    { n: 'number' },
    'documents: count',
  );
  return Number(row.n);
}

/** Incoming and outgoing counts of a counterparty (an organization's include its persons'). */
export async function countDocuments(db: Db | Tx, who: Counterparty): Promise<{ incoming: number; outgoing: number }> {
  const cond = 'personId' in who ? eq(documents.personId, who.personId) : ofOrganization(who.organizationId);
  const [row] = await db
    .select({
      incoming: sql<number>`count(*) filter (where ${documents.direction} = 'incoming')::int`,
      outgoing: sql<number>`count(*) filter (where ${documents.direction} = 'outgoing')::int`,
    })
    .from(documents)
    .where(cond);
  return { incoming: Number(row?.incoming ?? 0), outgoing: Number(row?.outgoing ?? 0) };
}

export type DocumentView = Document & {
  organizationName: string | null;
  organizationArchived: boolean;
  personName: string | null;
  personArchived: boolean;
  createdByName: string | null;
  updatedByName: string | null;
  mailingId: number | null;
  tracking: string | null;
};

export async function findDocument(db: Db | Tx, id: number): Promise<DocumentView | undefined> {
  const updater = alias(users, 'updater');
  const [row] = await db
    .select({
      d: documents,
      organizationName: organizations.name,
      orgArchivedAt: organizations.archivedAt,
      personName: personNameSql(persons),
      personArchivedAt: persons.archivedAt,
      createdByName: users.name,
      updatedByName: updater.name,
      ...mailedColumns,
    })
    .from(documents)
    .leftJoin(organizations, eq(organizations.id, documents.organizationId))
    .leftJoin(persons, eq(persons.id, documents.personId))
    .leftJoin(users, eq(users.id, documents.createdBy))
    .leftJoin(updater, eq(updater.id, documents.updatedBy))
    .where(eq(documents.id, id));
  if (!row) return undefined;
  return {
    ...row.d,
    organizationName: row.organizationName,
    organizationArchived: Boolean(row.orgArchivedAt),
    personName: row.personName,
    personArchived: Boolean(row.personArchivedAt),
    createdByName: row.createdByName,
    updatedByName: row.updatedByName,
    mailingId: row.mailingId,
    tracking: row.tracking,
  };
}

export async function lockDocument(tx: Tx, id: number): Promise<Document | undefined> {
  const [row] = await tx.select().from(documents).where(eq(documents.id, id)).for('update');
  return row;
}

/** The files of a document, without their bytes. */
export function filesOf(db: Db | Tx, documentId: number) {
  return db
    .select({
      id: documentFiles.id,
      fileName: documentFiles.fileName,
      contentType: documentFiles.contentType,
      size: documentFiles.size,
      sha256: documentFiles.sha256,
      createdAt: documentFiles.createdAt,
    })
    .from(documentFiles)
    .where(eq(documentFiles.documentId, documentId))
    .orderBy(asc(documentFiles.id));
}

/** One file with its bytes, only when it belongs to the document in the URL. */
export async function findFile(db: Db, documentId: number, fileId: number) {
  const [row] = await db
    .select()
    .from(documentFiles)
    .where(and(eq(documentFiles.id, fileId), eq(documentFiles.documentId, documentId)));
  return row;
}

export function insertFiles(tx: Tx, documentId: number, actorId: number, files: { fileName: string; contentType: string; size: number; sha256: string; content: Buffer }[]) {
  if (files.length === 0) return Promise.resolve([]);
  return tx
    .insert(documentFiles)
    .values(files.map((f) => ({ ...f, documentId, createdBy: actorId })))
    .returning({ id: documentFiles.id, fileName: documentFiles.fileName });
}

export async function deleteFile(tx: Tx, documentId: number, fileId: number) {
  const rows = await tx
    .delete(documentFiles)
    .where(and(eq(documentFiles.id, fileId), eq(documentFiles.documentId, documentId)))
    .returning({ id: documentFiles.id, fileName: documentFiles.fileName });
  return rows[0];
}

/** The memberships (groups issue) that cite the document as their justification. */
export function citingMemberships(db: Db, documentId: number) {
  const memberOrg = alias(organizations, 'member_org');
  return db
    .select({
      membershipId: groupMemberships.id,
      groupId: mailingGroups.id,
      groupName: mailingGroups.name,
      groupMark: mailingGroups.mark,
      personId: groupMemberships.personId,
      personName: personNameSql(persons),
      organizationId: groupMemberships.organizationId,
      organizationName: memberOrg.name,
      reason: groupMemberships.reason,
      addedAt: groupMemberships.addedAt,
      removedAt: groupMemberships.removedAt,
    })
    .from(membershipDocuments)
    .innerJoin(groupMemberships, eq(groupMemberships.id, membershipDocuments.membershipId))
    .innerJoin(mailingGroups, eq(mailingGroups.id, groupMemberships.groupId))
    .leftJoin(persons, eq(persons.id, groupMemberships.personId))
    .leftJoin(memberOrg, eq(memberOrg.id, groupMemberships.organizationId))
    .where(eq(membershipDocuments.documentId, documentId))
    .orderBy(asc(mailingGroups.sortKey), asc(groupMemberships.addedAt), asc(groupMemberships.id));
}

/** The counterparty's name and state, for validation and for headings. */
export async function findCounterparty(db: Db | Tx, who: Counterparty) {
  if ('personId' in who) {
    const [p] = await db
      .select({ id: persons.id, name: personNameSql(persons), archivedAt: persons.archivedAt, organizationId: persons.organizationId })
      .from(persons)
      .where(eq(persons.id, who.personId));
    return p;
  }
  const [o] = await db
    .select({ id: organizations.id, name: organizations.name, archivedAt: organizations.archivedAt, organizationId: organizations.id })
    .from(organizations)
    .where(eq(organizations.id, who.organizationId));
  return o;
}

/** Total bytes already attached to a document (the per-document limit counts them). */
export async function filesTotal(db: Db | Tx, documentId: number): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(sum(${documentFiles.size}), 0)::bigint` })
    .from(documentFiles)
    .where(eq(documentFiles.documentId, documentId));
  return Number(row.n);
}
