import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { documents } from '../../db/schema/documents.js';
import { anyInt } from '../../db/bulk.js';

/**
 * A counterparty named on a registered document has history: "delete" archives it instead, and
 * the document keeps pointing at it. Registered in features/index.ts.
 * (An organization whose persons have documents already has history through those persons.)
 */
export async function personsWithDocuments(db: Db | Tx, ids: readonly number[]): Promise<number[]> {
  const rows = await db.selectDistinct({ id: documents.personId }).from(documents).where(sql`${documents.personId} = ${anyInt(ids)}`);
  return rows.flatMap((r) => (r.id === null ? [] : [r.id]));
}

export async function organizationsWithDocuments(db: Db | Tx, ids: readonly number[]): Promise<number[]> {
  const rows = await db.selectDistinct({ id: documents.organizationId }).from(documents).where(sql`${documents.organizationId} = ${anyInt(ids)}`);
  return rows.flatMap((r) => (r.id === null ? [] : [r.id]));
}
