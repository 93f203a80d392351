import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import type { Grouping } from '../../lib/search/groupings.js';
import { REFERENCE_TABLE } from '../../lib/search/groupings.js';
import { FUZZY_WHEN_FEWER, Locator } from '../../lib/search/locator.js';
import { ORG_COLUMNS, ORG_ROW_SHAPE, PERSON_COUNT } from './columns.js';
import { denseCondition, denseThreshold, isDense, listDense, UNAFFILIATED_CAP, unaffiliatedCapped } from './dense.js';
import { directoryCount, directoryCounts } from './counts.js';
import { listMatched } from './matched.js';
import { APPROXIMATE, type GroupCount, type ListParams, type Match, type OrgPage, type OrgRow } from './types.js';
import { mailingGroups, referenceSource, walkGroups } from './walk.js';

type MatchRow = { id: number | null; rank: number; n: number; own: number };
const MATCH_ROW = { id: 'number?', rank: 'number', n: 'number', own: 'number' } as const;

/** The persons and organizations the locator matches: the exact pass, then near misses when few. */
export async function matchContacts(tx: Tx, L: Locator, showArchived: boolean, groupBy: Grouping | null = null, allowDense = false): Promise<Match> {
  await tx.execute(Locator.setup());
  // A one-word query on more than the threshold's organizations is walked, not collected (dense.ts).
  const threshold = allowDense && L.byWords ? denseThreshold(await directoryCount(tx, 'organizations', showArchived)) : 0;
  const denseMatch = async (words: SQL, rank: number): Promise<Match> => {
    const n = await unaffiliatedCapped(tx, words, showArchived);
    return {
      headers: groupBy ? await L.matchedHeaders(tx, groupBy) : new Set(),
      approximate: rank >= APPROXIMATE,
      ids: '{}',
      ranks: '{}',
      orgRanks: [],
      size: 0,
      unaffiliated: Math.min(n, UNAFFILIATED_CAP),
      unaffiliatedMore: n > UNAFFILIATED_CAP,
      dense: { where: denseCondition(L, groupBy), rank, atLeast: threshold },
    };
  };
  const walkable = allowDense && L.byWords;
  if (walkable && (await L.viaTrigramIndex(tx, () => isDense(tx, L.containingWords(), threshold)))) {
    await L.decide(tx, false);
    return denseMatch(L.containingWords(), 0);
  }
  const pass = L.byWords ? (fuzzy: boolean) => wordsPass(tx, L, showArchived, fuzzy) : (fuzzy: boolean) => textPass(tx, L, showArchived, fuzzy);
  const found = new Map<number | null, { rank: number; n: number }>();
  let cards = 0;
  let nearMissesDense = false;
  const add = (list: { id: number | null; rank: number; n: number; own: number }[]) => {
    for (const r of list) {
      const had = found.get(r.id);
      found.set(r.id, { rank: Math.min(Number(r.rank), had?.rank ?? 9), n: Number(r.n) + (had?.n ?? 0) });
      cards += Number(r.n) + Number(r.own);
    }
  };
  await L.viaTrigramIndex(tx, async () => {
    add(await pass(false));
    // Organizations under a header the query names: exact matches (rank 0), each counted once.
    if (groupBy) {
      add(rowsOf(
        await tx.execute(sql`
          select o.id, 0 as rank, 0 as n, 1 as own from organizations o
          where ${L.header(sql`o`, groupBy)} ${showArchived ? sql`` : sql`and o.archived_at is null`}`),
        MATCH_ROW,
        'contacts: organizations under a matched header',
      ));
    }
    // Persons and organizations matched exactly, the same count prepare() makes for other queries.
    await L.decide(tx, L.fuzzyEligible && cards < FUZZY_WHEN_FEWER);
    // Nothing exact and near misses on a large part of the directory ("иваонв"): walked too.
    if (L.useFuzzy && walkable && cards === 0 && (await isDense(tx, L.nearMissWords(), threshold))) nearMissesDense = true;
    else if (L.useFuzzy) add(await pass(true));
  });
  if (nearMissesDense) return denseMatch(L.nearMissWords(), APPROXIMATE);
  const orgs = [...found].filter(([id]) => id !== null) as [number, { rank: number }][];
  return {
    headers: groupBy ? await L.matchedHeaders(tx, groupBy) : new Set(),
    approximate: orgs.some(([, v]) => v.rank >= APPROXIMATE),
    ids: `{${orgs.map(([id]) => id).join(',')}}`,
    ranks: `{${orgs.map(([, v]) => v.rank).join(',')}}`,
    orgRanks: orgs.map(([id, v]) => [id, v.rank]),
    size: orgs.length,
    unaffiliated: found.get(null)?.n ?? 0,
    unaffiliatedMore: false,
    dense: null,
  };
}

/**
 * One pass over the persons' and organizations' search texts (trigram indexes): for queries of
 * several words, with phone digits, or shorter than three characters.
 */
async function textPass(tx: Tx, L: Locator, showArchived: boolean, fuzzy: boolean): Promise<MatchRow[]> {
  return rowsOf(
    await tx.execute(sql`
      select id, min(rank)::int as rank, sum(n)::int as n, sum(own)::int as own from (
        select p.organization_id as id, case when ${fuzzy ? sql`false` : L.personPrefix(sql`p`)} then 0 else ${sql.raw(String(fuzzy ? APPROXIMATE : 1))} end as rank, 1 as n, 0 as own
        from persons p
        where ${fuzzy ? sql`${L.fuzzy(sql`p`)} and not ${L.personExact(sql`p`)}` : L.personExact(sql`p`)}
          and (p.archived_at is null ${showArchived ? sql`or p.organization_id is null` : sql``})
        union all
        select o.id, case when ${fuzzy ? sql`false` : L.organizationPrefix(sql`o`)} then 0 else ${sql.raw(String(fuzzy ? APPROXIMATE : 1))} end, 0, 1
        from organizations o
        where ${fuzzy ? sql`${L.fuzzy(sql`o`)} and not ${L.organizationExact(sql`o`)}` : L.organizationExact(sql`o`)}
      ) u group by id`),
    MATCH_ROW,
    'contacts: text pass',
  );
}

/**
 * The same pass for one word, through contact_words (index-only): the words containing the query
 * (or, for near misses, beginning with a similar word), then their cards. A card is a person
 * (card > 0) or an organization (card < 0); one with several matching words counts once. Near
 * misses leave out the cards matched exactly, as textPass does; there are fewer than
 * FUZZY_WHEN_FEWER of those, or the near-miss pass would not run.
 */
async function wordsPass(tx: Tx, L: Locator, showArchived: boolean, fuzzy: boolean): Promise<MatchRow[]> {
  const live = showArchived ? sql`(c.live or c.organization_id is null)` : sql`c.live`;
  const words = fuzzy ? L.nearMissWords() : L.containingWords();
  const rank = fuzzy ? sql.raw(String(APPROXIMATE)) : L.wordRank(sql`c.word`);
  const notExact = fuzzy ? sql`and c.card not in (select e.card from contact_words e where e.word = any(${L.containingWords()}))` : sql``;
  return rowsOf(
    await tx.execute(sql`
      select id, min(rank)::int as rank, count(*) filter (where card > 0)::int as n, count(*) filter (where card < 0)::int as own
      from (
        select c.organization_id as id, c.card, min(${rank}) as rank
        from contact_words c
        where c.word = any(${words}) and ${live} ${notExact}
        group by c.organization_id, c.card
      ) u group by id`),
    MATCH_ROW,
    'contacts: words pass',
  );
}

function grouping(groupBy: 'organization' | 'group') {
  if (groupBy === 'organization') {
    // Alphabetical index: the first letter of the normalized name (upper-cased for display in
    // JS: PGlite's upper() leaves Cyrillic alone).
    return { join: sql``, empty: sql`false`, key: sql`left(o.sort_name, 1)`, label: sql`null::text` };
  }
  // An organization stands under every group that it, or any of its persons, belongs to; one
  // with no memberships at all under "No group". Used with a locator, over the matched
  // organizations only; without one, walkGroups (walk.ts) goes group by group instead.
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


/** The matched organizations (all when no locator) with their rank, as a join on `o`. */
function matchJoin(match: Match | null): SQL {
  return match ? sql`join unnest(${match.ids}::int[], ${match.ranks}::int[]) as m(id, rank) on m.id = o.id` : sql``;
}

/** The filtered organizations with their grouping columns, as a subquery `x`. */
function filtered(p: FilteredParams, match: Match | null): SQL {
  const g = grouping(p.groupBy);
  return sql`(
    select ${ORG_COLUMNS}, ${p.groupBy === 'organization' ? sql`null::int` : sql`g.id`} as "groupId",
      ${g.empty} as "groupEmpty", ${g.key} as "groupKey", ${g.label} as "groupLabel", ${match ? sql`m.rank` : sql`0`} as "rank"
    from organizations o ${matchJoin(match)} ${g.join}
    where ${p.showArchived ? sql`true` : sql`o.archived_at is null`}
  ) x`;
}

type FilteredParams = ListParams & { groupBy: 'organization' | 'group' };

const KEY = sql`(x."groupEmpty", x."groupKey", x."rank", x."sortKey", x.id)`;

async function inTx<T>(db: Db, locator: Locator, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    if (locator.active) await locator.prepare(tx);
    return fn(tx);
  });
}

/**
 * One page of the organizations list, by keyset: the cost of a page does not grow with its
 * number. Reverse modes (prev, last) read backwards and flip the rows.
 */
export async function listOrganizations(db: Db, params: ListParams): Promise<OrgPage> {
  let p = params;
  return db.transaction(async (tx) => {
    const match = p.locator.active ? await matchContacts(tx, p.locator, p.showArchived, p.groupBy, p.groupBy !== 'group') : null;
    const exactly = { totalMore: false, countsMore: new Set<string>(), unaffiliatedMore: match?.unaffiliatedMore ?? false };
    if (match?.dense && p.groupBy !== 'group') {
      // Walked (dense.ts): the total and the headers' counts are lower bounds; the last page is
      // the last rows of the order.
      const reverse = p.mode === 'prev' || p.mode === 'last';
      const walked = await listDense(tx, { ...p, groupBy: p.groupBy }, match.dense.where, match.dense.rank);
      const done = finish(walked.rows, p.size, p, reverse);
      const shownKeys = new Set(done.rows.map((r) => `${r.groupEmpty}|${r.groupKey}`));
      const counts = walked.counts.filter((k) => shownKeys.has(`${k.groupEmpty}|${k.groupKey}`));
      return {
        ...done,
        counts,
        countsMore: new Set(counts.filter((k) => k.more).map((k) => `${k.groupEmpty}|${k.groupKey}`)),
        total: match.dense.atLeast,
        totalMore: true,
        rowTotal: match.dense.atLeast,
        rowTotalExact: false,
        position: p.mode === 'first' ? 1 : null,
        unaffiliated: match.unaffiliated,
        unaffiliatedMore: match.unaffiliatedMore,
        headers: match.headers,
        approximate: match.approximate,
      };
    }
    const live = p.showArchived ? sql`true` : sql`o.archived_at is null`;
    const unaffiliated = async () => (match ? match.unaffiliated : directoryCount(tx, 'unaffiliated', p.showArchived));
    // Under mailing groups an organization may stand several times: the total counts it once.
    const total = async () =>
      match
        ? Number(rowsOf(await tx.execute(sql`select count(*)::int as n from organizations o ${matchJoin(match)} where ${live}`), { n: 'number' }, 'contacts: organizations total')[0].n)
        : directoryCount(tx, 'organizations', p.showArchived);

    if (match && p.groupBy !== 'group') {
      const { total: n, ...page } = await listMatched(tx, { ...p, groupBy: p.groupBy }, match);
      return { ...page, ...exactly, total: n, rowTotal: n, rowTotalExact: true, unaffiliated: await unaffiliated(), headers: match.headers, approximate: match.approximate };
    }
    const orgTotal = await total();
    const counted = p.groupBy === 'group' ? await groupRows(tx, match, p) : { n: orgTotal, exact: true };
    const rowTotal = counted.n;
    // The last page is the remainder of the order, so that pages stay aligned with the first.
    if (p.mode === 'last' && counted.exact) p = { ...p, size: rowTotal % p.size || p.size };
    let page: PageCore;
    if (p.groupBy === 'organization' || (match && p.groupBy === 'group')) page = await listFiltered(tx, { ...p, groupBy: p.groupBy }, match);
    else {
      const source = p.groupBy === 'group' ? mailingGroups : referenceSource(REFERENCE_TABLE[p.groupBy].table, REFERENCE_TABLE[p.groupBy].column, p.groupBy);
      const walked = await walkGroups(tx, p, source);
      const done = finish(walked.rows, p.size, p, p.mode === 'prev' || p.mode === 'last');
      const shownKeys = new Set(done.rows.map((r) => `${r.groupEmpty}|${r.groupKey}`));
      page = { ...done, counts: walked.counts.filter((k) => shownKeys.has(`${k.groupEmpty}|${k.groupKey}`)) };
    }
    const position = p.mode === 'first' ? 1 : p.mode === 'last' && counted.exact ? Math.max(1, rowTotal - page.rows.length + 1) : null;
    return { ...page, ...exactly, total: orgTotal, rowTotal, rowTotalExact: counted.exact, position, unaffiliated: await unaffiliated(), headers: match?.headers ?? new Set<string>(), approximate: match?.approximate ?? false };
  });
}

type PageCore = Omit<OrgPage, 'total' | 'totalMore' | 'countsMore' | 'rowTotal' | 'rowTotalExact' | 'position' | 'unaffiliated' | 'unaffiliatedMore' | 'headers' | 'approximate'>;

/** Up to this many rows the list by mailing group is counted exactly (its position says "из N"). */
export const GROUP_ROWS_EXACT_UP_TO = 20_000;

/**
 * Rows of the list by mailing group: an organization stands under each group it or one of its
 * active persons is in, and once under "No group" when in none. Counting them exactly means
 * reading every membership (475,000 pairs took 600 ms at 100,000 persons), so that is done only
 * while the memberships' count (organizations.group_refs, kept by triggers: one per current
 * membership, an upper bound of the pairs) stays under GROUP_ROWS_EXACT_UP_TO; above it the list
 * says "more than" and its last page is the last rows of the order.
 */
async function groupRows(tx: Tx, match: Match | null, p: ListParams): Promise<{ n: number; exact: boolean }> {
  if (match) {
    const [r] = rowsOf(await tx.execute(sql`select count(*)::int as n from ${filtered({ ...p, groupBy: 'group' }, match)}`), { n: 'number' }, 'contacts: matched rows by group');
    return { n: Number(r.n), exact: true };
  }
  const live = p.showArchived ? sql`true` : sql`o.archived_at is null`;
  // Organizations in some group each hold a membership at least: past the limit without summing.
  const grouped = await directoryCounts(tx, 'grouped', ['some', 'none'], p.showArchived);
  if ((grouped.get('some') ?? 0) > GROUP_ROWS_EXACT_UP_TO) return { n: GROUP_ROWS_EXACT_UP_TO, exact: false };
  const [bound] = rowsOf(
    await tx.execute(sql`select coalesce(sum(o.group_refs), 0)::bigint as refs from organizations o where ${live} and o.group_refs > 0`),
    { refs: 'numeric' },
    'contacts: memberships bound',
  );
  if (Number(bound.refs) > GROUP_ROWS_EXACT_UP_TO) return { n: GROUP_ROWS_EXACT_UP_TO, exact: false };
  const [r] = rowsOf(
    await tx.execute(sql`
      select count(*)::int as n from (
        select m.group_id, m.organization_id as id from group_memberships m
        where m.removed_at is null and m.organization_id is not null
        union
        select m.group_id, ps.organization_id from group_memberships m join persons ps on ps.id = m.person_id
        where m.removed_at is null and ps.archived_at is null and ps.organization_id is not null
      ) gm join mailing_groups g on g.id = gm.group_id and g.archived_at is null join organizations o on o.id = gm.id and ${live}`),
    { n: 'number' },
    'contacts: rows by group',
  );
  return { n: Number(r.n) + (grouped.get('none') ?? 0), exact: true };
}

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

/** How many organizations begin with each letter: kept by triggers (counts.ts). */
async function letterCounts(tx: Tx, letters: string[], showArchived: boolean): Promise<GroupCount[]> {
  const kept = await directoryCounts(tx, 'letter', letters, showArchived);
  return letters.map((l) => ({ groupEmpty: false, groupKey: l, groupLabel: null, count: kept.get(l) ?? 0 }));
}

/** Alphabetical without a locator, or by mailing group with one: the page straight from SQL. */
async function listFiltered(tx: Tx, p: FilteredParams, match: Match | null): Promise<PageCore> {
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
  const page = rowsOf(
    await tx.execute(sql`
      select x.*, ${PERSON_COUNT}
      from ${filtered(p, match)} ${where}
      order by ${order}
      limit ${p.size + 1}`),
    ORG_ROW_SHAPE,
    'contacts: page',
  );
  const done = finish(page, p.size, p, reverse);
  // Header counts only for the groups this page shows.
  const shown = [...new Map(done.rows.map((r) => [`${r.groupEmpty}|${r.groupKey}`, r])).values()];
  if (alphabetical) return { ...done, counts: await letterCounts(tx, shown.map((r) => r.groupKey), p.showArchived) };
  const counts = shown.length
    ? rowsOf(
        await tx.execute(sql`
          select x."groupEmpty", x."groupKey", min(x."groupLabel") as "groupLabel", count(*)::int as count
          from ${filtered(p, match)}
          where (x."groupEmpty", x."groupKey") in (${sql.join(shown.map((r) => sql`(${r.groupEmpty}, ${r.groupKey})`), sql`, `)})
          group by x."groupEmpty", x."groupKey"`),
        { groupEmpty: 'boolean', groupKey: 'string', groupLabel: 'string?', count: 'number' },
        'contacts: header counts',
      )
    : [];
  return { ...done, counts: counts.map((r) => ({ ...r, count: Number(r.count) })) };
}

/**
 * The person cards of one organization (or of persons with none, organizationId = null). With a
 * locator, the matching persons first; all of them when the organization itself matches.
 */
export async function listPersonsOf(db: Db, organizationId: number | null, locator: Locator, opts: { showArchived: boolean; limit: number; groupBy?: Grouping }) {
  return inTx(db, locator, async (tx) => {
    const orgCond = organizationId === null ? sql`p.organization_id is null` : sql`p.organization_id = ${organizationId}`;
    const archived = opts.showArchived ? sql`` : sql`and p.archived_at is null`;
    let filter = sql``;
    let rank = sql`0`;
    if (locator.active) {
      const orgMatches =
        organizationId === null
          ? sql`false`
          : sql`exists (select 1 from organizations o where o.id = ${organizationId} and (${locator.organization(sql`o`)} or ${opts.groupBy ? locator.header(sql`o`, opts.groupBy) : sql`false`}))`;
      filter = sql`and (${orgMatches} or ${locator.person(sql`p`)})`;
      rank = sql`case when ${locator.personPrefix(sql`p`)} then 0 when ${locator.person(sql`p`)} then 1 else 2 end`;
    }
    const result = rowsOf(
      await tx.execute(sql`
        select p.id, p.surname, p.first_name as "firstName", p.patronymic, p.job_title as "jobTitle", p.influence,
          p.archived_at as "archivedAt", exists (select 1 from person_photos ph where ph.person_id = p.id) as "hasPhoto", ${rank} as "rank"
        from persons p where ${orgCond} ${archived} ${filter}
        order by 9, p.sort_key, p.id limit ${opts.limit + 1}`),
      { id: 'number', surname: 'string', firstName: 'string', patronymic: 'string', jobTitle: 'string', influence: 'number', archivedAt: 'date?', hasPhoto: 'boolean', rank: 'number' },
      'contacts: persons of an organization',
    );
    const more = result.length > opts.limit;
    if (more) result.pop();
    return { persons: result.map((r) => ({ ...r, rank: Number(r.rank) })), more };
  });
}
