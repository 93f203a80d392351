import { sql } from 'drizzle-orm';

/** The list's row of an organization `o` (queries.ts, matched.ts, walk.ts), and its active persons' count over a subquery `x`. */
export const ORG_COLUMNS = sql`o.id, o.name, o.short_name as "shortName", o.archived_at as "archivedAt", o.addr_locality as "locality", o.sort_name as "sortKey"`;
export const PERSON_COUNT = sql`(select count(*) from persons p where p.organization_id = x.id and p.archived_at is null)::int as "personCount"`;

/** What ORG_COLUMNS and PERSON_COUNT read, as rowsOf checks it. */
export const ORG_SHAPE = {
  id: 'number',
  name: 'string',
  shortName: 'string',
  archivedAt: 'date?',
  locality: 'string',
  sortKey: 'string',
  personCount: 'number',
} as const;

/** A row of the list: ORG_SHAPE with its place in the grouping. */
export const ORG_ROW_SHAPE = {
  ...ORG_SHAPE,
  groupId: 'number?',
  groupEmpty: 'boolean',
  groupKey: 'string',
  groupLabel: 'string?',
  rank: 'number',
} as const;
