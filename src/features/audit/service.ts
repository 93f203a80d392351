import { and, desc, eq, inArray } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { auditLog, type AuditAction } from '../../db/schema/audit.js';
import { users } from '../../db/schema/users.js';
import { organizations } from '../../db/schema/organizations.js';
import { activities, categories, regions } from '../../db/schema/references.js';

type Values = Record<string, unknown>;

/**
 * Every field an audit entry may name: the history tab shows each as `fields.<name>`, so each has a
 * label in both languages (test/foundation/i18n.test.ts); recordAudit accepts no other name.
 */
export const AUDITED_FIELDS = [
  // Organizations (and the sender's own organization in the envelope settings).
  'name', 'shortName', 'inn', 'regionId', 'activityId', 'categoryId', 'phones', 'email', 'website', 'note', 'defaultFormat',
  // Addresses.
  'addrIndex', 'addrCountry', 'addrRegion', 'addrDistrict', 'addrLocality', 'addrStreet', 'addrHouse', 'addrBuilding', 'addrOffice',
  // Persons.
  'surname', 'firstName', 'patronymic', 'influence', 'organizationId', 'jobTitle', 'gender', 'dativeOverride', 'emails', 'photo',
  // Mailing groups: a group's own fields, its members, and a card's memberships.
  'description', 'mark', 'members', 'groups',
  // Reference books.
  'code',
  // Documents.
  'direction', 'regNumber', 'regDate', 'senderNumber', 'senderDate', 'subject', 'summary', 'documentOrganization', 'documentPerson', 'files',
  // Mailings: their state, recipients (counts, who was added or left out) and tracking numbers.
  'mailingState', 'recipients', 'tracking',
  // User accounts (a password only as set or generated, never its value).
  'login', 'role', 'active', 'password',
  // Any card.
  'archivedAt', 'mergedFrom', 'mergedInto',
] as const;
export type AuditedField = (typeof AUDITED_FIELDS)[number];

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
export function diff(before: Values | null, after: Values | null, fields: readonly AuditedField[]): Record<string, [unknown, unknown]> {
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
