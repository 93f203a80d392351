import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { REFERENCE_TABLE } from '../../lib/search/groupings.js';
import type { Locator } from '../../lib/search/locator.js';
import { escapeLike } from '../../lib/text.js';
import { ORG_COLUMNS, ORG_ROW_SHAPE, PERSON_COUNT } from './columns.js';
import type { GroupCount, ListParams, OrgRow } from './types.js';
import { cappedCount, referenceSource, walkGroups } from './walk.js';

/**
 * A locator that matches much of a large directory ("иванов" matches a quarter of the
 * organizations at 100,000 persons and at a million alike) is listed the other way round: instead
 * of collecting, ordering and counting every match (cost growing with the directory), the list
 * walks the organizations in its own order, as without a locator, and keeps those that match. At a
 * quarter matching, a page of 50 reads some 200 organizations whatever the directory's size. The
 * walk suits only a dense match (a rare name would be looked for through every organization), so
 * the match is probed first, no further than a cap, and only above DENSE_ORGS organizations and 5 %
 * of the directory is it walked; the total then says "more than 1 000" (the threshold) and each
 * header counts up to HEADER_CAP, reading no more than COUNT_SCAN of its organizations (walk.ts
 * cappedCount).
 */

/** Above this many matching organizations (at least) the list walks instead of collecting the match. */
export const DENSE_ORGS = 1000;
/**
 * ... and above this share of the directory's organizations. The walk reads about 1/share
 * organizations per row shown (20 at 5 %), and more where the matches cluster in the list's order
 * (a surname whose bearers work for organizations of a few names): a rarer name is cheaper
 * collected. Measured at a million persons: "ёлкин" (3 % of the organizations, clustered) took
 * 330 ms walked, "иванов" (28 %) 33 ms walked.
 */
const DENSE_SHARE = 0.05;
/** The probe reads at least this many matching cards (persons and organizations). */
const PROBE_CARDS = 5000;

/** The walk's threshold for a directory of `organizations`: DENSE_ORGS or 5 % of them, rounded down to one significant digit. */
export function denseThreshold(organizations: number): number {
  const share = Math.floor(organizations * DENSE_SHARE);
  if (share <= DENSE_ORGS) return DENSE_ORGS;
  const unit = 10 ** Math.floor(Math.log10(share));
  return Math.floor(share / unit) * unit;
}

/** A header of a walked list counts its organizations up to this ("100+" beyond). */
export const HEADER_CAP = 100;
/** Persons without an organization are counted up to this ("more than 1 000" beyond). */
export const UNAFFILIATED_CAP = 1000;

/**
 * Whether the words (an SQL array of the directory's words: the query's containing words, or its
 * near misses) are on more than `threshold` organizations, reading no more than twice that many
 * cards, or PROBE_CARDS (index-only, contact_words).
 */
export async function isDense(tx: Tx, words: SQL, threshold: number): Promise<boolean> {
  const limit = Math.max(PROBE_CARDS, threshold * 2);
  const cards = sql`select c.organization_id from contact_words c where c.word = any(${words}) and c.live and c.organization_id is not null limit ${limit}`;
  // As many cards as the probe reads: dense, without telling their organizations apart (a common
  // surname has one or two bearers per organization). The cards come in (word, person) order, not
  // spread over the organizations: the first 30,000 of the benchmark's "иванов" at a million fall
  // on fewer than 10,000 of its 56,000 organizations, so counting those would call it rare.
  const [n] = rowsOf(await tx.execute(sql`select count(*)::int as n from (${cards}) s`), { n: 'number' }, 'contacts: dense probe');
  if (Number(n.n) >= limit) return true;
  const [r] = rowsOf(await tx.execute(sql`select count(distinct s.organization_id)::int as orgs from (${cards}) s`), { orgs: 'number' }, 'contacts: dense probe, organizations');
  return Number(r.orgs) > threshold;
}

/**
 * The condition on an organization `o` that a walked list keeps: its own name matches, one of its
 * active persons matches (a probe of the persons_live_org index), or, under a grouping, its header.
 */
export function denseCondition(L: Locator, groupBy: string | null): SQL {
  // OFFSET 0 keeps the test per organization: without it PostgreSQL turns an EXISTS under OR into
  // a hashed subplan, i.e. collects every matching person first (all 8,400 at 100,000 persons).
  const person = sql`exists (select 1 from persons dp where dp.organization_id = o.id and dp.archived_at is null and ${L.person(sql`dp`)} offset 0)`;
  return sql`(${L.organization(sql`o`)} or ${person}${groupBy ? sql` or ${L.header(sql`o`, groupBy)}` : sql``})`;
}

/** Matching persons without an organization, counted up to UNAFFILIATED_CAP + 1 (contact_words_unaffiliated_idx). */
export async function unaffiliatedCapped(tx: Tx, words: SQL, showArchived: boolean): Promise<number> {
  const [r] = rowsOf(
    await tx.execute(sql`
      select count(*)::int as n from (
        select 1 from contact_words c
        where c.word = any(${words}) and c.organization_id is null ${showArchived ? sql`` : sql`and c.live`} limit ${UNAFFILIATED_CAP + 1}) s`),
    { n: 'number' },
    'contacts: dense unaffiliated',
  );
  return Number(r.n);
}

type DenseGrouping = 'organization' | 'region' | 'activity' | 'category';

/** One page of a walked list: its rows (one more when there is more) in walk order, and its headers' capped counts. */
export async function listDense(tx: Tx, p: ListParams & { groupBy: DenseGrouping }, where: SQL, rank: number): Promise<{ rows: OrgRow[]; counts: GroupCount[]; more: boolean }> {
  if (p.groupBy !== 'organization') {
    const { table, column } = REFERENCE_TABLE[p.groupBy];
    return walkGroups(tx, p, referenceSource(table, column, p.groupBy), { where, rank, cap: HEADER_CAP });
  }
  // Alphabetical: the letter is the name's first character, so (name, id) alone orders the rows
  // and the (sort_name, id) index is walked, each organization tested as it comes.
  const reverse = p.mode === 'prev' || p.mode === 'last';
  const dir = reverse ? sql`desc` : sql`asc`;
  const c = p.mode === 'next' || p.mode === 'prev' ? p.cursor : null;
  const live = p.showArchived ? sql`true` : sql`o.archived_at is null`;
  const rows = rowsOf(
    await tx.execute(sql`
      select x.*, ${PERSON_COUNT} from (
        select ${ORG_COLUMNS}, null::int as "groupId", false as "groupEmpty", left(o.sort_name, 1) as "groupKey", null::text as "groupLabel", ${sql.raw(String(rank))} as "rank"
        from organizations o
        where ${live} and ${where} ${c ? sql`and (o.sort_name, o.id) ${reverse ? sql`<` : sql`>`} (${c[3]}, ${c[4]})` : sql``}
        order by o.sort_name ${dir}, o.id ${dir}
        limit ${p.size + 1}) x`),
    ORG_ROW_SHAPE,
    'contacts: dense page',
  );
  const letters = [...new Set(rows.map((r) => r.groupKey))];
  const counts: GroupCount[] = [];
  for (const l of letters) {
    const c = await cappedCount(tx, sql`o.sort_name like ${`${escapeLike(l)}%`} and ${live}`, where, HEADER_CAP);
    counts.push({ groupEmpty: false, groupKey: l, groupLabel: null, count: c.n, more: !c.exact });
  }
  return { rows, counts, more: rows.length > p.size };
}
