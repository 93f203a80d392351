import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { groupMemberships } from '../../db/schema/groups.js';
import { anyInt } from '../../db/bulk.js';

/**
 * A counterparty that ever was in a group (removed since or not) has history: it is archived,
 * never erased. Registered in features/index.ts.
 */
export async function personsWithMemberships(db: Db | Tx, ids: readonly number[]): Promise<number[]> {
  const rows = await db.selectDistinct({ id: groupMemberships.personId }).from(groupMemberships).where(sql`${groupMemberships.personId} = ${anyInt(ids)}`);
  return rows.flatMap((r) => (r.id === null ? [] : [r.id]));
}

export async function organizationsWithMemberships(db: Db | Tx, ids: readonly number[]): Promise<number[]> {
  const rows = await db.selectDistinct({ id: groupMemberships.organizationId }).from(groupMemberships).where(sql`${groupMemberships.organizationId} = ${anyInt(ids)}`);
  return rows.flatMap((r) => (r.id === null ? [] : [r.id]));
}
