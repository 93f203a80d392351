import { and, isNull, sql } from 'drizzle-orm';
import { anyInt, anyText } from './bulk.js';
import type { Db, Tx } from '../../db/client.js';
import { ADDRESS_FIELDS, type Address } from '../../db/schema/address.js';
import { mailingGroups } from '../../db/schema/groups.js';
import { importChanges } from '../../db/schema/imports.js';
import { organizations } from '../../db/schema/organizations.js';
import { personEmails, persons } from '../../db/schema/persons.js';
import { normalizeKey } from '../../lib/text.js';
import { parseNativeKey, type KeyedEntity } from '../export/keys.js';
import { isEmptyAddress } from './mapping.js';

/**
 * Finding what a file's records already are in the directory, in bulk (one query per few thousand
 * rows, never one per row): organizations by name, persons by key, e-mail or name, groups by name.
 * Shared by the preview (to show it) and the commit (to act on it, inside its transaction).
 */
const CHUNK = 50000;

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

export interface OrgMatch {
  id: number;
  /** Its postal address, or null when it has none. */
  address: Address | null;
  website: string;
}

/** Active organizations by normalized name (sort key); the oldest wins when names repeat. */
export async function organizationsByName(db: Db | Tx, names: string[]): Promise<Map<string, OrgMatch>> {
  const keys = [...new Set(names.map(normalizeKey).filter(Boolean))];
  const map = new Map<string, OrgMatch>();
  for (const part of chunks(keys)) {
    const rows = await db.select().from(organizations).where(and(sql`${organizations.sortKey} = ${anyText(part)}`, isNull(organizations.archivedAt))).orderBy(organizations.id);
    for (const r of rows) {
      if (map.has(r.sortKey)) continue;
      const address = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, r[f]])) as Address;
      map.set(r.sortKey, { id: r.id, address: isEmptyAddress(address) ? null : address, website: r.website });
    }
  }
  return map;
}

/** Groups by normalized name, archived ones included (an archived group takes no new members). */
export async function groupsByName(db: Db | Tx, names: string[]): Promise<Map<string, { id: number; archived: boolean }>> {
  const keys = [...new Set(names.map(normalizeKey).filter(Boolean))];
  const map = new Map<string, { id: number; archived: boolean }>();
  for (const part of chunks(keys)) {
    const rows = await db.select({ id: mailingGroups.id, sortKey: mailingGroups.sortKey, archivedAt: mailingGroups.archivedAt }).from(mailingGroups).where(sql`${mailingGroups.sortKey} = ${anyText(part)}`);
    for (const r of rows) map.set(r.sortKey, { id: r.id, archived: Boolean(r.archivedAt) });
  }
  return map;
}

const TABLES = { person: persons, organization: organizations, group: mailingGroups } as const;

/**
 * Records that a file's keys already denote here: our own exported keys, and keys remembered from
 * earlier XML imports. Only records that still exist count.
 */
export async function recordsByKey(db: Db | Tx, entity: KeyedEntity, keys: string[], instance: string): Promise<Map<string, number>> {
  const map = new Map<string, number>();
  const native = new Map<number, string>();
  const foreign: string[] = [];
  for (const k of new Set(keys)) {
    const id = parseNativeKey(entity, k, instance);
    if (id) native.set(id, k);
    else foreign.push(k);
  }
  const table = TABLES[entity];
  for (const part of chunks([...native.keys()])) {
    const rows = await db.select({ id: table.id }).from(table).where(sql`${table.id} = ${anyInt(part)}`);
    for (const r of rows) map.set(native.get(r.id)!, r.id);
  }
  for (const part of chunks(foreign)) {
    const rows = await db
      .select({ key: importChanges.externalKey, id: importChanges.entityId })
      .from(importChanges)
      .where(and(sql`${importChanges.entityType} = ${entity}`, sql`${importChanges.externalKey} = ${anyText(part)}`, sql`exists (select 1 from ${table} t where t.id = ${importChanges.entityId})`))
      .orderBy(importChanges.id);
    for (const r of rows) if (r.key && !map.has(r.key)) map.set(r.key, r.id);
  }
  return map;
}

/** Active persons by lower-cased e-mail. */
export async function personsByEmail(db: Db | Tx, emails: string[]): Promise<Map<string, number>> {
  const keys = [...new Set(emails.map((e) => e.toLowerCase()))];
  const map = new Map<string, number>();
  for (const part of chunks(keys)) {
    const rows = await db
      .select({ email: sql<string>`lower(${personEmails.email})`, id: persons.id })
      .from(personEmails)
      .innerJoin(persons, sql`${persons.id} = ${personEmails.personId}`)
      .where(and(sql`lower(${personEmails.email}) = ${anyText(part)}`, isNull(persons.archivedAt)))
      .orderBy(persons.id);
    for (const r of rows) if (!map.has(r.email)) map.set(r.email, r.id);
  }
  return map;
}

/** The key of "same full name in the same organization" (none: persons without one). */
export function nameKey(sortKey: string, organizationId: number | null): string {
  return `${sortKey}|${organizationId ?? ''}`;
}

/** Active persons by full-name sort key and organization. */
export async function personsByName(db: Db | Tx, sortKeys: string[]): Promise<Map<string, number>> {
  const keys = [...new Set(sortKeys.filter(Boolean))];
  const map = new Map<string, number>();
  for (const part of chunks(keys)) {
    const rows = await db
      .select({ id: persons.id, sortKey: persons.sortKey, organizationId: persons.organizationId })
      .from(persons)
      .where(and(sql`${persons.sortKey} = ${anyText(part)}`, isNull(persons.archivedAt)))
      .orderBy(persons.id);
    for (const r of rows) {
      const k = nameKey(r.sortKey, r.organizationId);
      if (!map.has(k)) map.set(k, r.id);
    }
  }
  return map;
}

export function personSortKey(p: { surname: string; firstName: string; patronymic: string }): string {
  return normalizeKey(`${p.surname} ${p.firstName} ${p.patronymic}`);
}
