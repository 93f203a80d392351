import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { FUZZY_WHEN_FEWER, Locator } from './search.js';
import { rows } from '../../db/rows.js';

export const GROUPINGS = ['organization', 'region', 'activity', 'category', 'group'] as const;
export type Grouping = (typeof GROUPINGS)[number];

/** Keyset position of a row: [group is empty, group key, rank, sort key, id]. */
export type RowKey = [boolean, string, number, string, number];

export interface OrgRow {
  id: number;
  groupId: number | null;
  name: string;
  shortName: string;
  archivedAt: Date | null;
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
}

export interface ListParams {
  groupBy: Grouping;
  locator: Locator;
  showArchived: boolean;
  size: number;
  mode: 'first' | 'next' | 'prev' | 'last';
  cursor: RowKey | null;
}

const REFERENCE_TABLE: Record<Exclude<Grouping, 'organization' | 'group'>, { table: SQL; column: SQL }> = {
  region: { table: sql.raw('regions'), column: sql.raw('region_id') },
  activity: { table: sql.raw('activities'), column: sql.raw('activity_id') },
  category: { table: sql.raw('categories'), column: sql.raw('category_id') },
};

/**
 * What the locator matched, found once per request and reused by the page, its header counts,
 * the total and the "without organization" entry: at 100,000 persons the match itself is the
 * expensive part, so it must not be repeated per query.
 */
export interface Match {
  /** Matching organizations as a PostgreSQL array literal, with their ranks in the same order. */
  ids: string;
  ranks: string;
  size: number;
  /** Matching persons without an organization. */
  unaffiliated: number;
}

/** The persons and organizations the locator matches: the exact pass, then near misses when few. */
export async function matchContacts(tx: Tx, L: Locator, showArchived: boolean): Promise<Match> {
  await tx.execute(Locator.setup());
  const pass = async (fuzzy: boolean) =>
    rows<{ id: number | null; rank: number; n: number; own: number }>(
      await tx.execute(sql`
        select id, min(rank)::int as rank, sum(n)::int as n, sum(own)::int as own from (
          select p.organization_id as id, case when ${L.personPrefix(sql`p`)} then 0 else 1 end as rank, 1 as n, 0 as own
          from persons p
          where ${fuzzy ? sql`${L.fuzzy(sql`p`)} and not ${L.personExact(sql`p`)}` : L.personExact(sql`p`)}
            and (p.archived_at is null ${showArchived ? sql`or p.organization_id is null` : sql``})
          union all
          select o.id, case when ${L.organizationPrefix(sql`o`)} then 0 else 1 end, 0, 1
          from organizations o
          where ${fuzzy ? sql`${L.fuzzy(sql`o`)} and not ${L.organizationExact(sql`o`)}` : L.organizationExact(sql`o`)}
        ) u group by id`),
    );
  const found = new Map<number | null, { rank: number; n: number }>();
  let cards = 0;
  const add = (list: { id: number | null; rank: number; n: number; own: number }[]) => {
    for (const r of list) {
      const had = found.get(r.id);
      found.set(r.id, { rank: Math.min(Number(r.rank), had?.rank ?? 9), n: Number(r.n) + (had?.n ?? 0) });
      cards += Number(r.n) + Number(r.own);
    }
  };
  await L.viaTrigramIndex(tx, async () => {
    add(await pass(false));
    // Persons and organizations matched exactly, the same count prepare() makes for other queries.
    L.decide(L.fuzzyEligible && cards < FUZZY_WHEN_FEWER);
    if (L.useFuzzy) add(await pass(true));
  });
  const orgs = [...found].filter(([id]) => id !== null) as [number, { rank: number }][];
  return {
    ids: `{${orgs.map(([id]) => id).join(',')}}`,
    ranks: `{${orgs.map(([, v]) => v.rank).join(',')}}`,
    size: orgs.length,
    unaffiliated: found.get(null)?.n ?? 0,
  };
}

function grouping(groupBy: Grouping) {
  if (groupBy === 'organization') {
    // Alphabetical index: the first letter of the normalized name (upper-cased for display in
    // JS: PGlite's upper() leaves Cyrillic alone).
    return { join: sql``, empty: sql`false`, key: sql`left(o.sort_key, 1)`, label: sql`null::text` };
  }
  if (groupBy === 'group') {
    // An organization stands under every group that it, or any of its persons, belongs to; one
    // with no memberships at all under "No group". Used with a locator, over the matched
    // organizations only; without one, listByGroup walks the groups instead.
    return {
      join: sql`left join lateral (
        select g.id, g.sort_key, g.name from (
          select m.group_id from group_memberships m where m.removed_at is null and m.organization_id = o.id
          union
          select m.group_id from persons p join group_memberships m on m.person_id = p.id and m.removed_at is null
          where p.organization_id = o.id and p.archived_at is null
        ) mg join mailing_groups g on g.id = mg.group_id and g.archived_at is null
      ) g on true`,
      empty: sql`(g.id is null)`,
      key: sql`coalesce(g.sort_key, '')`,
      label: sql`g.name`,
    };
  }
  const ref = REFERENCE_TABLE[groupBy];
  return {
    join: sql`left join ${ref.table} g on g.id = o.${ref.column}`,
    empty: sql`(g.id is null)`,
    key: sql`coalesce(g.sort_key, '')`,
    label: sql`g.name`,
  };
}

const ORG_COLUMNS = sql`o.id, o.name, o.short_name as "shortName", o.archived_at as "archivedAt", o.addr_locality as "locality", o.sort_key as "sortKey"`;

/** The matched organizations (all when no locator) with their rank, as a join on `o`. */
function matchJoin(match: Match | null): SQL {
  return match ? sql`join unnest(${match.ids}::int[], ${match.ranks}::int[]) as m(id, rank) on m.id = o.id` : sql``;
}

/** The filtered organizations with their grouping columns, as a subquery `x`. */
function filtered(p: Pick<ListParams, 'groupBy' | 'showArchived'>, match: Match | null): SQL {
  const g = grouping(p.groupBy);
  return sql`(
    select ${ORG_COLUMNS}, ${p.groupBy === 'organization' ? sql`null::int` : sql`g.id`} as "groupId",
      ${g.empty} as "groupEmpty", ${g.key} as "groupKey", ${g.label} as "groupLabel", ${match ? sql`m.rank` : sql`0`} as "rank"
    from organizations o ${matchJoin(match)} ${g.join}
    where ${p.showArchived ? sql`true` : sql`o.archived_at is null`}
  ) x`;
}

const KEY = sql`(x."groupEmpty", x."groupKey", x."rank", x."sortKey", x.id)`;
const PERSON_COUNT = sql`(select count(*) from persons p where p.organization_id = x.id and p.archived_at is null)::int as "personCount"`;

async function inTx<T>(db: Db, locator: Locator, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    if (locator.active) await locator.prepare(tx);
    return fn(tx);
  });
}

export interface OrgPage {
  rows: OrgRow[];
  hasPrev: boolean;
  hasNext: boolean;
  counts: GroupCount[];
  total: number;
  /** Matching persons without an organization (all of them without a locator). */
  unaffiliated: number;
}

/**
 * One page of the organizations list, by keyset: the cost of a page does not grow with its
 * number. Reverse modes (prev, last) read backwards and flip the rows.
 */
export async function listOrganizations(db: Db, p: ListParams): Promise<OrgPage> {
  return db.transaction(async (tx) => {
    const match = p.locator.active ? await matchContacts(tx, p.locator, p.showArchived) : null;
    const page = p.groupBy === 'group' && !match ? await listByGroup(tx, p) : await listFiltered(tx, p, match);
    const unaffiliated = match
      ? match.unaffiliated
      : Number(rows<{ n: number }>(await tx.execute(sql`select count(*)::int as n from persons p where p.organization_id is null ${p.showArchived ? sql`` : sql`and p.archived_at is null`}`))[0].n);
    // Under mailing groups an organization may stand several times: the total counts it once.
    const [{ n }] = rows<{ n: number }>(
      await tx.execute(sql`select count(*)::int as n from organizations o ${matchJoin(match)} where ${p.showArchived ? sql`true` : sql`o.archived_at is null`}`),
    );
    return { ...page, total: Number(n), unaffiliated };
  });
}

type PageCore = Omit<OrgPage, 'total' | 'unaffiliated'>;

function finish(page: OrgRow[], size: number, p: ListParams, reverse: boolean): Omit<PageCore, 'counts'> {
  const more = page.length > size;
  if (more) page.pop();
  if (reverse) page.reverse();
  return {
    rows: page.map((r) => ({ ...r, personCount: Number(r.personCount), rank: Number(r.rank) })),
    hasPrev: reverse ? more : p.mode === 'next',
    hasNext: reverse ? p.mode === 'prev' : more,
  };
}

async function listFiltered(tx: Tx, p: ListParams, match: Match | null): Promise<PageCore> {
  const reverse = p.mode === 'prev' || p.mode === 'last';
  const c = p.cursor;
  const dir = reverse ? sql`desc` : sql`asc`;
  const cmp = reverse ? sql`<` : sql`>`;
  const seek = c && (p.mode === 'next' || p.mode === 'prev');
  // Alphabetical without a locator: the group key is the first letter of the sort key and the
  // rank is constant, so (sort key, id) alone orders the rows and the index serves the page.
  const alphabetical = p.groupBy === 'organization' && !match;
  const where = !seek ? sql`` : alphabetical ? sql`where (x."sortKey", x.id) ${cmp} (${c[3]}, ${c[4]})` : sql`where ${KEY} ${cmp} (${c[0]}, ${c[1]}, ${c[2]}, ${c[3]}, ${c[4]})`;
  const order = alphabetical
    ? sql`x."sortKey" ${dir}, x.id ${dir}`
    : sql`x."groupEmpty" ${dir}, x."groupKey" ${dir}, x."rank" ${dir}, x."sortKey" ${dir}, x.id ${dir}`;
  const page = rows<OrgRow>(
    await tx.execute(sql`
      select x.*, ${PERSON_COUNT}
      from ${filtered(p, match)} ${where}
      order by ${order}
      limit ${p.size + 1}`),
  );
  const done = finish(page, p.size, p, reverse);
  // Header counts only for the groups this page shows.
  const shown = [...new Map(done.rows.map((r) => [`${r.groupEmpty}|${r.groupKey}`, r])).values()];
  const counts = shown.length
    ? rows<GroupCount>(
        await tx.execute(sql`
          select x."groupEmpty", x."groupKey", min(x."groupLabel") as "groupLabel", count(*)::int as count
          from ${filtered(p, match)}
          where (x."groupEmpty", x."groupKey") in (${sql.join(shown.map((r) => sql`(${r.groupEmpty}, ${r.groupKey})`), sql`, `)})
          group by x."groupEmpty", x."groupKey"`),
      )
    : [];
  return { ...done, counts: counts.map((r) => ({ ...r, count: Number(r.count) })) };
}

/**
 * Grouped by mailing group without a locator: walks the groups in order and reads each group's
 * organizations (its own memberships and its persons'), so a page costs one or two groups, not a
 * pass over every organization. "No group" comes from organizations.group_refs = 0 (an index kept
 * by triggers, see drizzle/0004_group_refs.sql).
 */
async function listByGroup(tx: Tx, p: ListParams): Promise<PageCore> {
  const reverse = p.mode === 'prev' || p.mode === 'last';
  const dir = reverse ? sql`desc` : sql`asc`;
  const cmp = reverse ? sql`<` : sql`>`;
  const c = p.mode === 'next' || p.mode === 'prev' ? p.cursor : null;
  const live = p.showArchived ? sql`true` : sql`o.archived_at is null`;
  const want = p.size + 1;
  const out: OrgRow[] = [];
  const counts: GroupCount[] = [];

  const ofGroup = async (g: { id: number; sortKey: string; name: string }, after: [string, number] | null) => {
    const found = rows<OrgRow & { n: number }>(
      await tx.execute(sql`
        select x.*, ${PERSON_COUNT} from (
          select ${ORG_COLUMNS}, ${g.id}::int as "groupId", false as "groupEmpty", ${g.sortKey}::text as "groupKey",
            ${g.name}::text as "groupLabel", 0 as "rank", count(*) over () as n
          from organizations o
          where ${live} and o.id in (
            select m.organization_id from group_memberships m
            where m.group_id = ${g.id} and m.removed_at is null and m.organization_id is not null
            union
            select ps.organization_id from group_memberships m join persons ps on ps.id = m.person_id and ps.archived_at is null
            where m.group_id = ${g.id} and m.removed_at is null and ps.organization_id is not null)
        ) x
        ${after ? sql`where (x."sortKey", x.id) ${cmp} (${after[0]}, ${after[1]})` : sql``}
        order by x."sortKey" ${dir}, x.id ${dir}
        limit ${want - out.length}`),
    );
    if (found.length) counts.push({ groupEmpty: false, groupKey: g.sortKey, groupLabel: g.name, count: Number(found[0].n) });
    out.push(...found);
  };

  const ofNoGroup = async (after: [string, number] | null) => {
    const found = rows<OrgRow>(
      await tx.execute(sql`
        select x.*, ${PERSON_COUNT} from (
          select ${ORG_COLUMNS}, null::int as "groupId", true as "groupEmpty", ''::text as "groupKey", null::text as "groupLabel", 0 as "rank"
          from organizations o where o.group_refs = 0 and ${live}
          ${after ? sql`and (o.sort_key, o.id) ${cmp} (${after[0]}, ${after[1]})` : sql``}
          order by o.sort_key ${dir}, o.id ${dir}
          limit ${want - out.length}
        ) x`),
    );
    if (found.length) {
      const [{ n }] = rows<{ n: number }>(await tx.execute(sql`select count(*)::int as n from organizations o where o.group_refs = 0 and ${live}`));
      counts.push({ groupEmpty: true, groupKey: '', groupLabel: null, count: Number(n) });
    }
    out.push(...found);
  };

  const groupsFrom = async (from: string | null, inclusive: boolean, limit: number) =>
    rows<{ id: number; sortKey: string; name: string }>(
      await tx.execute(sql`
        select id, sort_key as "sortKey", name from mailing_groups
        where archived_at is null ${from === null ? sql`` : inclusive ? sql`and sort_key ${cmp}= ${from}` : sql`and sort_key ${cmp} ${from}`}
        order by sort_key ${dir} limit ${limit}`),
    );

  const walkGroups = async (from: string | null, seekInFirst: [string, number] | null) => {
    let cursor = from;
    let inclusive = seekInFirst !== null;
    let first = true;
    while (out.length < want) {
      const batch = await groupsFrom(cursor, inclusive, 8);
      if (!batch.length) return;
      for (const g of batch) {
        await ofGroup(g, first && seekInFirst && g.sortKey === from ? seekInFirst : null);
        first = false;
        if (out.length >= want) return;
      }
      cursor = batch[batch.length - 1].sortKey;
      inclusive = false;
    }
  };

  const inNoGroup = c ? c[0] : false;
  if (!reverse) {
    // Forward: the groups in order, then "No group".
    if (!inNoGroup) await walkGroups(c ? c[1] : null, c ? [c[3], c[4]] : null);
    if (out.length < want) await ofNoGroup(inNoGroup && c ? [c[3], c[4]] : null);
  } else {
    // Backward: "No group" first (it sorts last), then the groups from the end.
    if (!c || inNoGroup) await ofNoGroup(c ? [c[3], c[4]] : null);
    if (out.length < want) await walkGroups(c && !inNoGroup ? c[1] : null, c && !inNoGroup ? [c[3], c[4]] : null);
  }
  const done = finish(out, p.size, p, reverse);
  const shownKeys = new Set(done.rows.map((r) => `${r.groupEmpty}|${r.groupKey}`));
  return { ...done, counts: counts.filter((k) => shownKeys.has(`${k.groupEmpty}|${k.groupKey}`)) };
}

export interface PersonRow {
  id: number;
  surname: string;
  firstName: string;
  patronymic: string;
  jobTitle: string;
  influence: number;
  archivedAt: Date | null;
  hasPhoto: boolean;
  rank: number;
}

/**
 * The person cards of one organization (or of persons with none, organizationId = null). With a
 * locator, the matching persons first; all of them when the organization itself matches.
 */
export async function listPersonsOf(db: Db, organizationId: number | null, locator: Locator, opts: { showArchived: boolean; limit: number }) {
  return inTx(db, locator, async (tx) => {
    const orgCond = organizationId === null ? sql`p.organization_id is null` : sql`p.organization_id = ${organizationId}`;
    const archived = opts.showArchived ? sql`` : sql`and p.archived_at is null`;
    let filter = sql``;
    let rank = sql`0`;
    if (locator.active) {
      const orgMatches = organizationId === null ? sql`false` : sql`exists (select 1 from organizations o where o.id = ${organizationId} and ${locator.organization(sql`o`)})`;
      filter = sql`and (${orgMatches} or ${locator.person(sql`p`)})`;
      rank = sql`case when ${locator.personPrefix(sql`p`)} then 0 when ${locator.person(sql`p`)} then 1 else 2 end`;
    }
    const result = rows<PersonRow>(
      await tx.execute(sql`
        select p.id, p.surname, p.first_name as "firstName", p.patronymic, p.job_title as "jobTitle", p.influence,
          p.archived_at as "archivedAt", exists (select 1 from person_photos ph where ph.person_id = p.id) as "hasPhoto", ${rank} as "rank"
        from persons p where ${orgCond} ${archived} ${filter}
        order by 9, p.sort_key, p.id limit ${opts.limit + 1}`),
    );
    const more = result.length > opts.limit;
    if (more) result.pop();
    return { persons: result.map((r) => ({ ...r, rank: Number(r.rank) })), more };
  });
}
