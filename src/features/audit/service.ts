import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { auditLog, type AuditAction } from '../../db/schema/audit.js';
import { users } from '../../db/schema/users.js';
import { organizations } from '../../db/schema/organizations.js';
import { activities, categories, regions } from '../../db/schema/references.js';

import { diff, type AuditedField, type Values } from './model.js';

export { AUDITED_FIELDS, diff, type AuditedField } from './model.js';

/**
 * Writes one audit entry in the caller's transaction, so a change and its record commit together.
 * An update that changed nothing is not recorded.
 */
export async function recordAudit(
  tx: Db | Tx,
  entry: { userId: number | null; entityType: string; entityId: number; action: AuditAction; before?: Values | null; after?: Values | null; fields: readonly AuditedField[] },
) {
  const changes = diff(entry.before ?? null, entry.after ?? null, entry.fields);
  if (entry.action === 'update' && Object.keys(changes).length === 0) return;
  await tx.insert(auditLog).values({ userId: entry.userId, entityType: entry.entityType, entityId: entry.entityId, action: entry.action, changes });
}

/** Fields the audit records as ids, and the table whose `name` the history shows for them. */
const NAMED_BY_ID = { regionId: regions, activityId: activities, categoryId: categories, organizationId: organizations } as const;

export async function historyOf(db: Db, entityType: string, entityId: number, limit = 200) {
  const list = await db
    .select({ id: auditLog.id, at: auditLog.at, action: auditLog.action, changes: auditLog.changes, userName: users.name })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.userId))
    .where(and(eq(auditLog.entityType, entityType), eq(auditLog.entityId, entityId)))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(limit);
  // A region, a workplace... read by name, not by number ("Регион: Москва → Пермский край").
  for (const [field, table] of Object.entries(NAMED_BY_ID)) {
    const ids = new Set<number>();
    for (const h of list) for (const v of (h.changes as Record<string, unknown[]> | null)?.[field] ?? []) if (typeof v === 'number') ids.add(v);
    if (!ids.size) continue;
    const names = new Map((await db.select({ id: table.id, name: table.name }).from(table).where(inArray(table.id, [...ids]))).map((r) => [r.id, r.name]));
    for (const h of list) {
      const pair = (h.changes as Record<string, unknown[]> | null)?.[field];
      if (pair) (h.changes as Record<string, unknown[]>)[field] = pair.map((v) => (typeof v === 'number' ? (names.get(v) ?? `№${v}`) : v));
    }
  }
  return list;
}
