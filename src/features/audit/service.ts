import { and, desc, eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { auditLog, type AuditAction } from '../../db/schema/audit.js';
import { users } from '../../db/schema/users.js';

type Values = Record<string, unknown>;

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Two different strings or booleans never stringify alike; this is most fields of most
  // records, and an import compares some 300,000 of them.
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'string' || ta === 'boolean') && (tb === 'string' || tb === 'boolean')) return false;
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** { field: [before, after] } for the listed fields that differ. */
export function diff(before: Values | null, after: Values | null, fields: readonly string[]): Record<string, [unknown, unknown]> {
  const out: Record<string, [unknown, unknown]> = {};
  for (const f of fields) {
    const a = before ? before[f] : null;
    const b = after ? after[f] : null;
    if (!same(a, b)) out[f] = [a ?? null, b ?? null];
  }
  return out;
}

/**
 * Writes one audit entry in the caller's transaction, so a change and its record commit together.
 * An update that changed nothing is not recorded.
 */
export async function recordAudit(
  tx: Db | Tx,
  entry: { userId: number | null; entityType: string; entityId: number; action: AuditAction; before?: Values | null; after?: Values | null; fields: readonly string[] },
) {
  const changes = diff(entry.before ?? null, entry.after ?? null, entry.fields);
  if (entry.action === 'update' && Object.keys(changes).length === 0) return;
  await tx.insert(auditLog).values({ userId: entry.userId, entityType: entry.entityType, entityId: entry.entityId, action: entry.action, changes });
}

export async function historyOf(db: Db, entityType: string, entityId: number, limit = 200) {
  return db
    .select({ id: auditLog.id, at: auditLog.at, action: auditLog.action, changes: auditLog.changes, userName: users.name })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.userId))
    .where(and(eq(auditLog.entityType, entityType), eq(auditLog.entityId, entityId)))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(limit);
}
