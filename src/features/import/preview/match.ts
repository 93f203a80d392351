import { and, isNull, sql } from 'drizzle-orm';
import { anyInt, anyText } from '../../../db/bulk.js';
import { rowsOf } from '../../../db/rows.js';
import type { Db, Tx } from '../../../db/client.js';
import { ADDRESS_FIELDS, type Address } from '../../../db/schema/address.js';
import { mailingGroups } from '../../../db/schema/groups.js';
import { importChanges } from '../../../db/schema/imports.js';
import { organizations } from '../../../db/schema/organizations.js';
import { personEmails, persons } from '../../../db/schema/persons.js';
import { normalizeKey } from '../../../lib/text.js';
import { parseNativeKey, type KeyedEntity } from '../../../lib/exchange/keys.js';
import { isEmptyAddress } from '../read/mapping.js';
import { emailKey, personSortKey } from '../../persons/model.js';

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
  const keys = [...new Set(emails.map(emailKey))];
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

/**
 * Active persons by full-name sort key and organization, asked for exactly the (name,
 * organization) pairs of the file: a common name has hundreds of namesakes in a large directory,
 * and only the one in the same organization (or, for a row without one, without one) counts.
 * Both halves are index lookups on (organization_id, sort_key). The oldest card wins.
 */
export async function personsByName(db: Db | Tx, pairs: { sortKey: string; organizationId: number | null }[]): Promise<Map<string, number>> {
  const withOrg = new Map<string, { k: string; o: number }>();
  const without = new Set<string>();
  for (const { sortKey, organizationId } of pairs) {
    if (!sortKey) continue;
    if (organizationId === null) without.add(sortKey);
    else withOrg.set(nameKey(sortKey, organizationId), { k: sortKey, o: organizationId });
  }
  const found: { id: number; sort_key: string; organization_id: number | null }[] = [];
  const shape = { id: 'number', sort_key: 'string', organization_id: 'number?' } as const;
  for (const part of chunks([...withOrg.values()])) {
    found.push(
      ...rowsOf(
        await db.execute(sql`
          select p.id, p.sort_key, p.organization_id
          from jsonb_to_recordset(${JSON.stringify(part)}::jsonb) as x(k text, o int)
          join ${persons} p on p.organization_id = x.o and p.sort_key = x.k collate "C"
          where p.archived_at is null`),
        shape,
        'import: persons by name in an organization',
      ),
    );
  }
  for (const part of chunks([...without])) {
    found.push(
      ...rowsOf(
        await db.execute(sql`
          select p.id, p.sort_key, p.organization_id from ${persons} p
          where p.organization_id is null and p.sort_key = ${anyText(part)} and p.archived_at is null`),
        shape,
        'import: persons by name without organization',
      ),
    );
  }
  const map = new Map<string, number>();
  for (const r of found.sort((a, b) => a.id - b.id)) {
    const k = nameKey(r.sort_key, r.organization_id === null ? null : Number(r.organization_id));
    if (!map.has(k)) map.set(k, Number(r.id));
  }
  return map;
}

export { personSortKey };
