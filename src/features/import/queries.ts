import { and, asc, desc, eq, getTableColumns, gt, inArray, isNotNull, lt, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { importBatches, importRows, type ImportBatch, type ImportDecision } from '../../db/schema/imports.js';
import { organizations } from '../../db/schema/organizations.js';
import { persons } from '../../db/schema/persons.js';
import { users } from '../../db/schema/users.js';
import { unpackRow } from './pack.js';
import type { RowData } from './types.js';

/** A batch's columns but the uploaded file (`batchSource` reads that when it is needed). */
const { source: _source, ...BATCH_COLUMNS } = getTableColumns(importBatches);

export function findBatch(db: Db | Tx, id: number): Promise<ImportBatch | undefined> {
  return db
    .select(BATCH_COLUMNS)
    .from(importBatches)
    .where(eq(importBatches.id, id))
    .then((r) => r[0]);
}

/** The file kept with a batch for its mapping step or sheet choice (null: none kept). */
export async function batchSource(db: Db | Tx, id: number): Promise<Buffer | null> {
  const [r] = await db.select({ source: importBatches.source }).from(importBatches).where(eq(importBatches.id, id));
  return r?.source ?? null;
}

export function lockBatch(tx: Tx, id: number): Promise<ImportBatch | undefined> {
  return tx
    .select(BATCH_COLUMNS)
    .from(importBatches)
    .where(eq(importBatches.id, id))
    .for('update')
    .then((r) => r[0]);
}

/** The latest batches, for the upload page. */
export function recentBatches(db: Db, limit = 20) {
  return db
    .select({ id: importBatches.id, createdAt: importBatches.createdAt, fileName: importBatches.fileName, format: importBatches.format, status: importBatches.status, total: importBatches.total, userName: users.name })
    .from(importBatches)
    .leftJoin(users, eq(users.id, importBatches.createdBy))
    .orderBy(desc(importBatches.createdAt), desc(importBatches.id))
    .limit(limit);
}

export const ROW_FILTERS = ['all', 'problems', 'duplicates', 'unloaded', 'failed', 'skipped'] as const;
export type RowFilter = (typeof ROW_FILTERS)[number];

function filterSql(filter: RowFilter): SQL | undefined {
  switch (filter) {
    case 'problems':
      return sql`jsonb_array_length(${importRows.problems}) > 0`;
    case 'duplicates':
      return isNotNull(importRows.duplicateId);
    // A committed batch's rows that did not become a card: the report's list, and its two counts.
    case 'unloaded':
      return sql`${importRows.outcome} in ('failed', 'skipped')`;
    case 'failed':
      return eq(importRows.outcome, 'failed');
    case 'skipped':
      return eq(importRows.outcome, 'skipped');
    default:
      return undefined;
  }
}

export interface RowPage {
  rows: {
    rowNo: number;
    kind: string;
    line: number;
    data: RowData;
    problems: unknown;
    duplicateId: number | null;
    duplicateReason: string | null;
    decision: ImportDecision | null;
    hasPhoto: boolean;
    outcome: string | null;
    outcomeReason: string | null;
    entityId: number | null;
  }[];
  hasPrev: boolean;
  hasNext: boolean;
}

/** One page of a batch's rows by keyset on the row number: the cost does not grow with the page. */
export async function listRows(db: Db, batchId: number, opts: { filter: RowFilter; size: number; after: number | null; before: number | null }): Promise<RowPage> {
  const reverse = opts.before !== null;
  const cursor = opts.after !== null ? gt(importRows.rowNo, opts.after) : opts.before !== null ? lt(importRows.rowNo, opts.before) : undefined;
  const list = await db
    .select({
      rowNo: importRows.rowNo,
      kind: importRows.kind,
      line: importRows.line,
      data: importRows.data,
      problems: importRows.problems,
      duplicateId: importRows.duplicateId,
      duplicateReason: importRows.duplicateReason,
      decision: importRows.decision,
      hasPhoto: sql<boolean>`${importRows.photoOriginal} is not null`,
      outcome: importRows.outcome,
      outcomeReason: importRows.outcomeReason,
      entityId: importRows.entityId,
    })
    .from(importRows)
    .where(and(eq(importRows.batchId, batchId), filterSql(opts.filter), cursor))
    .orderBy(reverse ? desc(importRows.rowNo) : asc(importRows.rowNo))
    .limit(opts.size + 1);
  const more = list.length > opts.size;
  if (more) list.pop();
  if (reverse) list.reverse();
  return { rows: list.map((r) => ({ ...r, data: unpackRow(r.data) })), hasPrev: reverse ? more : opts.after !== null, hasNext: reverse ? true : more };
}

export interface RowCounts {
  total: number;
  problems: number;
  duplicates: number;
  persons: number;
  organizations: number;
  groups: number;
  memberships: number;
  /** Outcomes of a committed batch, by the same conditions as the list's filters. */
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  unloaded: number;
}

/** How many rows have problems, probable duplicates, and of which kind they are. */
export async function rowCounts(db: Db, batchId: number): Promise<RowCounts> {
  const result = (await db.execute(sql`
    select count(*)::int as total,
      count(*) filter (where jsonb_array_length(problems) > 0)::int as problems,
      count(*) filter (where duplicate_id is not null)::int as duplicates,
      count(*) filter (where kind = 'person')::int as persons,
      count(*) filter (where kind = 'organization')::int as organizations,
      count(*) filter (where kind = 'group')::int as groups,
      count(*) filter (where kind = 'membership')::int as memberships,
      count(*) filter (where outcome is null or outcome = 'created')::int as created,
      count(*) filter (where outcome = 'updated')::int as updated,
      count(*) filter (where ${filterSql('skipped')})::int as skipped,
      count(*) filter (where ${filterSql('failed')})::int as failed,
      count(*) filter (where ${filterSql('unloaded')})::int as unloaded
    from import_rows where batch_id = ${batchId}`)) as unknown as { rows: Record<keyof RowCounts, number>[] };
  const r = result.rows[0];
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])) as unknown as RowCounts;
}

/** Names of existing persons (the duplicates shown in the preview). */
export async function personNames(db: Db, ids: number[]) {
  const map = new Map<number, { name: string; organization: string | null }>();
  if (!ids.length) return map;
  const list = await db
    .select({ id: persons.id, surname: persons.surname, firstName: persons.firstName, patronymic: persons.patronymic, org: organizations.name })
    .from(persons)
    .leftJoin(organizations, eq(organizations.id, persons.organizationId))
    .where(inArray(persons.id, ids));
  for (const p of list) map.set(p.id, { name: [p.surname, p.firstName, p.patronymic].filter(Boolean).join(' '), organization: p.org });
  return map;
}

export async function setRowDecisions(tx: Tx, batchId: number, decisions: Map<number, ImportDecision | null>) {
  for (const [rowNo, decision] of decisions) {
    await tx.update(importRows).set({ decision }).where(and(eq(importRows.batchId, batchId), eq(importRows.rowNo, rowNo), isNotNull(importRows.duplicateId)));
  }
}

export function deleteBatch(tx: Tx, id: number) {
  return tx.delete(importBatches).where(eq(importBatches.id, id));
}
