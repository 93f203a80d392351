import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { organizations } from '../../db/schema/organizations.js';
import { personNameSql, persons } from '../../db/schema/persons.js';
import { escapeLike } from '../../lib/text.js';

export const CHOICE_KINDS = ['organization', 'person'] as const;
export type ChoiceKind = (typeof CHOICE_KINDS)[number];

/** One option of a picker: a person's `detail` is their organization. */
export interface Choice {
  id: number;
  name: string;
  detail: string | null;
  archived: boolean;
}

const tables = { organization: organizations, person: persons };

function select(db: Db, kind: ChoiceKind, where: SQL | undefined, limit: number): Promise<Choice[]> {
  if (kind === 'organization') {
    return db
      .select({ id: organizations.id, name: organizations.name, detail: sql<string | null>`null`, archivedAt: organizations.archivedAt })
      .from(organizations)
      .where(where)
      .orderBy(asc(organizations.sortKey), asc(organizations.id))
      .limit(limit)
      .then((rows) => rows.map((r) => ({ id: r.id, name: r.name, detail: null, archived: r.archivedAt !== null })));
  }
  return db
    .select({ id: persons.id, name: personNameSql(persons), detail: organizations.name, archivedAt: persons.archivedAt })
    .from(persons)
    .leftJoin(organizations, eq(organizations.id, persons.organizationId))
    .where(where)
    .orderBy(asc(persons.sortKey), asc(persons.id))
    .limit(limit)
    .then((rows) => rows.map((r) => ({ id: r.id, name: r.name ?? '', detail: r.detail, archived: r.archivedAt !== null })));
}

/**
 * Up to `limit` active organizations or persons whose search text contains `key` (normalized;
 * all when empty), in alphabetical order.
 */
export function matchingChoices(db: Db, kind: ChoiceKind, key: string, limit: number): Promise<Choice[]> {
  const t = tables[kind];
  return select(db, kind, and(isNull(t.archivedAt), key ? sql`${t.searchText} like ${`%${escapeLike(key)}%`}` : undefined), limit);
}

/** One organization or person, archived or not: the value a form already holds. */
export async function choiceById(db: Db, kind: ChoiceKind, id: number): Promise<Choice | undefined> {
  const [row] = await select(db, kind, eq(tables[kind].id, id), 1);
  return row;
}
