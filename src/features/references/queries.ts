import { and, asc, eq, isNull, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { referenceTables, regions, type ReferenceItem, type ReferenceKind } from '../../db/schema/references.js';
import { settings } from '../../db/schema/settings.js';
import { escapeLike } from '../../lib/text.js';

type Conn = Db | Tx;

/**
 * The three lists share one shape but are distinct table types; a union of them does not fit
 * Drizzle's builders, so each query works on the table chosen at run time under one static type.
 */
function table(kind: ReferenceKind): typeof regions {
  return referenceTables[kind] as typeof regions;
}

/** Entries whose sort key contains `key` (already normalized), archived ones too, in list order. */
export function listEntries(db: Conn, kind: ReferenceKind, key: string): Promise<ReferenceItem[]> {
  const t = table(kind);
  return db
    .select()
    .from(t)
    .where(key ? sql`${t.sortKey} like ${`%${escapeLike(key)}%`}` : undefined)
    .orderBy(asc(t.sortKey), asc(t.id));
}

/** Active entries, plus `alsoId` even when archived (the value an existing record still holds). */
export function listActiveEntries(db: Conn, kind: ReferenceKind, alsoId: number | null): Promise<{ id: number; name: string }[]> {
  const t = table(kind);
  const active = isNull(t.archivedAt);
  return db
    .select({ id: t.id, name: t.name })
    .from(t)
    .where(alsoId ? or(active, eq(t.id, alsoId)) : active)
    .orderBy(asc(t.sortKey), asc(t.id));
}

export function findEntry(db: Conn, kind: ReferenceKind, id: number): Promise<ReferenceItem | undefined> {
  const t = table(kind);
  return db.select().from(t).where(eq(t.id, id)).then((r) => r[0]);
}

export function findEntryBySortKey(db: Conn, kind: ReferenceKind, sortKey: string): Promise<ReferenceItem | undefined> {
  const t = table(kind);
  return db.select().from(t).where(eq(t.sortKey, sortKey)).then((r) => r[0]);
}

export function insertEntry(db: Conn, kind: ReferenceKind, values: { name: string; sortKey: string; code?: string | null; updatedBy: number | null }) {
  return db.insert(table(kind)).values(values).returning().then((r) => r[0]);
}

/** Inserts many entries, skipping any whose name is already there; returns how many were added. */
export async function insertEntriesIfMissing(db: Conn, kind: ReferenceKind, values: { name: string; sortKey: string; code: string | null }[]) {
  const rows = await db.insert(table(kind)).values(values).onConflictDoNothing().returning({ id: table(kind).id });
  return rows.length;
}

/** Renames when the stored version is still `version`; undefined when it is not (or no such entry). */
export function renameEntry(db: Conn, kind: ReferenceKind, id: number, version: number, values: { name: string; sortKey: string; updatedBy: number }) {
  const t = table(kind);
  return db
    .update(t)
    .set({ ...values, version: sql`${t.version} + 1`, updatedAt: new Date() })
    .where(and(eq(t.id, id), eq(t.version, version)))
    .returning()
    .then((r) => r[0]);
}

/** Sets or clears archivedAt; undefined when the entry is missing or already in that state. */
export function setArchived(db: Conn, kind: ReferenceKind, id: number, archived: boolean, updatedBy: number) {
  const t = table(kind);
  const now = new Date();
  return db
    .update(t)
    .set({ archivedAt: archived ? now : null, version: sql`${t.version} + 1`, updatedAt: now, updatedBy })
    .where(and(eq(t.id, id), archived ? isNull(t.archivedAt) : sql`${t.archivedAt} is not null`))
    .returning()
    .then((r) => r[0]);
}

/**
 * Claims a one-time setting: true for the single caller whose insert created the key. A concurrent
 * insert of the same key waits for the first transaction and then does nothing.
 */
export async function claimSetting(db: Conn, key: string, value: unknown): Promise<boolean> {
  const rows = await db.insert(settings).values({ key, value }).onConflictDoNothing().returning({ key: settings.key });
  return rows.length > 0;
}
