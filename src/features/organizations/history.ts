import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { persons } from '../../db/schema/persons.js';
import { anyInt } from '../../db/bulk.js';

/**
 * An organization with persons (archived ones too) has history: erasing it would cut them loose.
 * Registered in features/index.ts.
 */
export async function organizationsWithPersons(db: Db | Tx, ids: readonly number[]): Promise<number[]> {
  const rows = await db.selectDistinct({ id: persons.organizationId }).from(persons).where(sql`${persons.organizationId} = ${anyInt(ids)}`);
  return rows.flatMap((r) => (r.id === null ? [] : [r.id]));
}
