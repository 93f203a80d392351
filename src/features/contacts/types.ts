import type { SQL } from 'drizzle-orm';
import type { Grouping } from '../../lib/search/groupings.js';
import type { Locator } from '../../lib/search/locator.js';

/** The contacts list's shapes, shared by its queries (queries.ts, matched.ts, walk.ts) and its service. */

/** Keyset position of a row: [group is empty, group key, rank, sort key, id]. */
export type RowKey = [boolean, string, number, string, number];

export interface OrgRow {
  id: number;
  groupId: number | null;
  name: string;
  shortName: string;
  archivedAt: Date | string | null;
  locality: string;
  personCount: number;
  groupEmpty: boolean;
  groupKey: string;
  groupLabel: string | null;
  rank: number;
  sortKey: string;
}

export interface GroupCount {
  groupEmpty: boolean;
  groupKey: string;
  groupLabel: string | null;
  count: number;
  /** count is a lower bound (a walked list's header: "37+"). */
  more?: boolean;
}

export interface ListParams {
  groupBy: Grouping;
  locator: Locator;
  showArchived: boolean;
  size: number;
  mode: 'first' | 'next' | 'prev' | 'last';
  cursor: RowKey | null;
}


/**
 * What the locator matched, found once per request and reused by the page, its header counts,
 * the total and the "without organization" entry: at 100,000 persons the match itself is the
 * expensive part, so it must not be repeated per query.
 */
export interface Match {
  /** Matching organizations as a PostgreSQL array literal, with their ranks in the same order. */
  ids: string;
  ranks: string;
  /** The same as [id, rank] pairs. */
  orgRanks: [number, number][];
  size: number;
  /** Matching persons without an organization. */
  unaffiliated: number;
  /** The grouping's header keys the query matched (their organizations are all in the match). */
  headers: Set<string>;
  /** Some organizations are there as near misses only (rank APPROXIMATE). */
  approximate: boolean;
  /**
   * Set when the query matches more than `atLeast` organizations (dense.ts; a common surname in a large
   * directory): ids are then empty and the list walks the directory in its own order, keeping the
   * organizations this condition on `o` accepts (dense.ts), instead of collecting every match.
   */
  dense: { where: SQL; rank: number; atLeast: number } | null;
  /** unaffiliated is a lower bound (dense matches count no further than a cap). */
  unaffiliatedMore: boolean;
}

/** The rank of a near miss (typo): after every exact match, under the "similar" divider. */
export const APPROXIMATE = 2;

export interface OrgPage {
  rows: OrgRow[];
  hasPrev: boolean;
  hasNext: boolean;
  counts: GroupCount[];
  total: number;
  /** Matching persons without an organization (all of them without a locator). */
  unaffiliated: number;
  /** unaffiliated is a lower bound ("more than"). */
  unaffiliatedMore: boolean;
  /** total is a lower bound ("more than"): a locator matching much of a large directory. */
  totalMore: boolean;
  /** Header counts that are lower bounds (shown "100+"), by `${groupEmpty}|${groupKey}`. */
  countsMore: Set<string>;
  /** Rows of the whole list (under mailing groups an organization may stand several times). */
  rowTotal: number;
  /** False when rowTotal is only a lower bound ("more than"): a very large list by mailing group. */
  rowTotalExact: boolean;
  /** The first row's place in the whole list (1-based), when the query knows it. */
  position: number | null;
  /** Header keys the locator matched, and whether near misses are among the rows' match. */
  headers: Set<string>;
  approximate: boolean;
}

export interface PersonRow {
  id: number;
  surname: string;
  firstName: string;
  patronymic: string;
  jobTitle: string;
  influence: number;
  archivedAt: Date | string | null;
  hasPhoto: boolean;
  rank: number;
}
