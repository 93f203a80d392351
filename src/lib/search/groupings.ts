import { sql } from 'drizzle-orm';

/** The ways /contacts groups its organizations; the locator also matches the headers of each. */
export const GROUPINGS = ['organization', 'region', 'activity', 'category', 'group'] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** A grouping from the URL: anything unknown is the alphabetical one. */
export function parseGrouping(v: string | undefined): Grouping {
  return GROUPINGS.includes(v as Grouping) ? (v as Grouping) : 'organization';
}

/** The reference lists a grouping (and a header) can stand for: their table and the organization's column. */
export const REFERENCE_TABLE = {
  region: { table: sql.raw('regions'), column: sql.raw('region_id') },
  activity: { table: sql.raw('activities'), column: sql.raw('activity_id') },
  category: { table: sql.raw('categories'), column: sql.raw('category_id') },
} as const;
