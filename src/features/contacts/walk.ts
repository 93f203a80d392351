import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import type { GroupCount, ListParams, OrgRow } from './types.js';
import { ORG_COLUMNS, ORG_ROW_SHAPE, PERSON_COUNT } from './columns.js';
import { directoryCounts, type CountKind } from './counts.js';

/**
 * A grouping the list can walk group by group: the groups in key order, the organizations of one
 * group, and those in none. A page then costs the one or two groups it shows, not a sort of every
 * organization, and each header's count is a count over one group.
 */
export interface WalkSource {
  /**
   * Up to `limit` groups after (or from, when inclusive) a key, in the walk's direction; only
   * groups that may hold a listed organization (`live`, a condition on `o`), so that the walk
   * does not spend a statement on each empty one (most of Russia's 89 regions, at most offices).
   */
  groups(tx: Tx, from: string | null, inclusive: boolean, limit: number, dir: 'asc' | 'desc', live: SQL): Promise<WalkGroup[]>;
  /** The organizations `o` of a group, as a condition, and the id shown as the row's group. */
  members(g: WalkGroup): { where: SQL; groupId: SQL };
  /** The organizations `o` in no group. */
  none: SQL;
  /** The directory's counts (counts.ts) that count this grouping's groups, when kept. */
  counted?: CountKind;
}

export interface WalkGroup {
  key: string;
  label: string;
  /** The group's ids: one mailing group, or every reference value spelled alike. */
  ids: number[];
}

/** Mailing groups: an organization stands under every live group it or one of its active persons is in. */
export const mailingGroups: WalkSource = {
  async groups(tx, from, inclusive, limit, dir) {
    const cmp = dir === 'desc' ? (inclusive ? sql`<=` : sql`<`) : inclusive ? sql`>=` : sql`>`;
    // A group with no active membership at all lists nothing (one with members lists at least
    // the organizations its members work for, usually).
    return rowsOf(
      await tx.execute(sql`
        select id, sort_key as key, name as label from mailing_groups g
        where archived_at is null ${from === null ? sql`` : sql`and sort_key ${cmp} ${from}`}
          and exists (select 1 from group_memberships m where m.group_id = g.id and m.removed_at is null)
        order by sort_key ${dir === 'desc' ? sql`desc` : sql`asc`} limit ${limit}`),
      { id: 'number', key: 'string', label: 'string' },
      'contacts: mailing groups to walk',
    ).map((g) => ({ key: g.key, label: g.label, ids: [Number(g.id)] }));
  },
  members(g) {
    const id = g.ids[0];
    return {
      // The members' persons by primary key (= any(array(…))): for a join the planner prefers a
      // scan of every person once a group has a few thousand members, three times slower.
      where: sql`o.id in (
        select m.organization_id from group_memberships m
        where m.group_id = ${id} and m.removed_at is null and m.organization_id is not null
        union
        select ps.organization_id from persons ps
        where ps.id = any(array(select m.person_id from group_memberships m where m.group_id = ${id} and m.removed_at is null and m.person_id is not null))
          and ps.archived_at is null and ps.organization_id is not null)`,
      groupId: sql`${id}::int`,
    };
  },
  // organizations.group_refs is kept by triggers (drizzle/0004_group_refs.sql).
  none: sql`o.group_refs = 0`,
};

/** A reference list (regions, activities, categories): values with the same key form one group. */
export function referenceSource(table: SQL, column: SQL, counted?: CountKind): WalkSource {
  return {
    counted,
    async groups(tx, from, inclusive, limit, dir, live) {
      const cmp = dir === 'desc' ? (inclusive ? sql`<=` : sql`<`) : inclusive ? sql`>=` : sql`>`;
      // Only values some listed organization has: one probe of the (value, name) index each.
      return rowsOf(
        await tx.execute(sql`
          select sort_key as key, min(name) as label, array_agg(id) as ids from ${table} t
          where exists (select 1 from organizations o where o.${column} = t.id and ${live})
          ${from === null ? sql`` : sql`and sort_key ${cmp} ${from}`}
          group by sort_key order by sort_key ${dir === 'desc' ? sql`desc` : sql`asc`} limit ${limit}`),
        { key: 'string', label: 'string', ids: 'json' },
        'contacts: reference values to walk',
      ).map((g) => ({ key: g.key, label: g.label, ids: intArray(g.ids) }));
    },
    members(g) {
      const where = g.ids.length === 1 ? sql`o.${column} = ${g.ids[0]}` : sql`o.${column} = any(${`{${g.ids.join(',')}}`}::int[])`;
      return { where, groupId: sql`o.${column}` };
    },
    none: sql`o.${column} is null`,
  };
}

/** PGlite hands int[] over as an array, node-postgres too; a literal only if a driver did not parse it. */
function intArray(v: unknown): number[] {
  if (Array.isArray(v)) return v.map(Number);
  return String(v).replace(/[{}]/g, '').split(',').filter(Boolean).map(Number);
}

type Core = { rows: OrgRow[]; counts: GroupCount[]; more: boolean };

/** Only the organizations `o` meeting `where`, listed at `rank`; a header counts at most `cap` + 1 of them. */
export interface WalkFilter {
  where: SQL;
  rank: number;
  cap: number;
}

/** Organizations of one header a walked list reads at most to count its matches. */
export const COUNT_SCAN = 500;

/**
 * How many organizations `o` of a header (`of`) meet a condition, reading no more than
 * COUNT_SCAN of the header's organizations and stopping past `cap` matches: exact when the header
 * ends sooner, else a lower bound ("37+"). A header of a list filtered by a common name thus costs
 * a few hundred probes at most, whatever the directory's size and however rare the match.
 */
export async function cappedCount(tx: Tx, of: SQL, where: SQL, cap: number): Promise<{ n: number; exact: boolean }> {
  const [r] = rowsOf(
    await tx.execute(sql`
      select count(*) filter (where s.m)::int as n, count(*)::int as scanned from (
        select ${where} as m from organizations o where ${of} order by o.sort_name, o.id limit ${COUNT_SCAN}) s`),
    { n: 'number', scanned: 'number' },
    'contacts: capped count',
  );
  const n = Number(r.n);
  if (n > cap) return { n: cap, exact: false };
  return { n, exact: Number(r.scanned) < COUNT_SCAN };
}

/**
 * One page by walking the groups: forward, the groups in key order then "none"; backward ("last",
 * "previous"), "none" first (it sorts last) then the groups from the end. Rows come back in the
 * walk's order, one more than the page when there is more.
 */
export async function walkGroups(tx: Tx, p: ListParams, source: WalkSource, only?: WalkFilter): Promise<Core> {
  const reverse = p.mode === 'prev' || p.mode === 'last';
  const dir = reverse ? 'desc' : 'asc';
  const order = reverse ? sql`desc` : sql`asc`;
  const cmp = reverse ? sql`<` : sql`>`;
  const c = p.mode === 'next' || p.mode === 'prev' ? p.cursor : null;
  const live = p.showArchived ? sql`true` : sql`o.archived_at is null`;
  // With a filter (a locator matching much of the directory) only the matching organizations are
  // listed, at the filter's rank, and a header counts up to only.cap of them (below).
  const listed = only ? sql`${live} and ${only.where}` : live;
  const rank = sql.raw(String(only?.rank ?? 0));
  const want = p.size + 1;
  const out: OrgRow[] = [];
  const counts: GroupCount[] = [];

  /** One group's rows (after a key, for the first group of a seek) as a SELECT, its walk position in "walkPos". */
  const groupSelect = (g: WalkGroup, pos: number, after: [string, number] | null) => {
    const m = source.members(g);
    return sql`
        select x.*, ${PERSON_COUNT}, ${pos}::int as "walkPos" from (
          select ${ORG_COLUMNS}, ${m.groupId} as "groupId", false as "groupEmpty", ${g.key}::text as "groupKey",
            ${g.label}::text as "groupLabel", ${rank} as "rank", ${only || source.counted ? sql`0` : sql`count(*) over ()`} as n
          from organizations o
          where ${listed} and ${m.where}
        ) x
        ${after ? sql`where (x."sortKey", x.id) ${cmp} (${after[0]}, ${after[1]})` : sql``}
        order by x."sortKey" ${order}, x.id ${order}
        limit ${want - out.length}`;
  };

  /** Several groups in one statement (each its own limited, counted SELECT), rows kept in walk order. */
  const ofGroups = async (gs: WalkGroup[], after: [string, number] | null) => {
    const statement = gs.length === 1 ? groupSelect(gs[0], 0, after) : sql.join(gs.map((g, i) => sql`(${groupSelect(g, i, i === 0 ? after : null)})`), sql` union all `);
    const found = rowsOf(await tx.execute(statement), { ...ORG_ROW_SHAPE, n: 'numeric', walkPos: 'number' }, 'contacts: groups walked');
    found.sort((a, b) => Number(a.walkPos) - Number(b.walkPos));
    for (const [i, g] of gs.entries()) {
      const of = found.filter((r) => Number(r.walkPos) === i);
      if (!of.length || out.length >= want) continue;
      if (only) {
        const c = await cappedCount(tx, sql`${live} and ${source.members(g).where}`, only.where, only.cap);
        counts.push({ groupEmpty: false, groupKey: g.key, groupLabel: g.label, count: c.n, more: !c.exact });
      } else if (source.counted) {
        const kept = await directoryCounts(tx, source.counted, g.ids.map(String), p.showArchived);
        counts.push({ groupEmpty: false, groupKey: g.key, groupLabel: g.label, count: [...kept.values()].reduce((a, b) => a + b, 0) });
      } else counts.push({ groupEmpty: false, groupKey: g.key, groupLabel: g.label, count: Number(of[0].n) });
      out.push(...of.slice(0, want - out.length));
    }
  };

  const ofNone = async (after: [string, number] | null) => {
    const found = rowsOf(
      await tx.execute(sql`
        select x.*, ${PERSON_COUNT} from (
          select ${ORG_COLUMNS}, null::int as "groupId", true as "groupEmpty", ''::text as "groupKey", null::text as "groupLabel", ${rank} as "rank"
          from organizations o where ${source.none} and ${listed}
          ${after ? sql`and (o.sort_name, o.id) ${cmp} (${after[0]}, ${after[1]})` : sql``}
          order by o.sort_name ${order}, o.id ${order}
          limit ${want - out.length}
        ) x`),
      ORG_ROW_SHAPE,
      'contacts: organizations in no group',
    );
    if (found.length && only) {
      const c = await cappedCount(tx, sql`${source.none} and ${live}`, only.where, only.cap);
      counts.push({ groupEmpty: true, groupKey: '', groupLabel: null, count: c.n, more: !c.exact });
    } else if (found.length && source.counted) {
      counts.push({ groupEmpty: true, groupKey: '', groupLabel: null, count: (await directoryCounts(tx, source.counted, [''], p.showArchived)).get('') ?? 0 });
    } else if (found.length) {
      const [{ n }] = rowsOf(await tx.execute(sql`select count(*)::int as n from organizations o where ${source.none} and ${live}`), { n: 'number' }, 'contacts: count in no group');
      counts.push({ groupEmpty: true, groupKey: '', groupLabel: null, count: Number(n) });
    }
    out.push(...found);
  };

  // The groups are read one statement per group while a group fills the page (a large directory:
  // a page costs the one or two groups it shows); while whole groups leave it short (a small one:
  // the demo's regions hold five organizations each), each statement takes twice as many groups as
  // the last, so that a page of 50 costs four statements instead of a dozen (on the embedded
  // database each statement costs its own fixed overhead).
  const walk = async (from: string | null, seekInFirst: [string, number] | null) => {
    let cursor = from;
    let inclusive = seekInFirst !== null;
    let first = true;
    let exhausted = false;
    let take = 1;
    const queue: WalkGroup[] = [];
    while (out.length < want) {
      while (queue.length < take && !exhausted) {
        const limit = Math.max(8, take);
        const batch = await source.groups(tx, cursor, inclusive, limit, dir, live);
        queue.push(...batch);
        if (batch.length < limit) exhausted = true;
        if (batch.length) cursor = batch[batch.length - 1].key;
        inclusive = false;
      }
      if (!queue.length) return;
      const gs = queue.splice(0, take);
      const seek = first && seekInFirst && gs[0].key === from ? seekInFirst : null;
      first = false;
      await ofGroups(gs, seek);
      // A group read from its start did not fill the page: the groups are small.
      if (!seek && out.length < want) take = Math.min(take * 2, 16);
    }
  };

  const inNone = c ? c[0] : false;
  if (!reverse) {
    if (!inNone) await walk(c ? c[1] : null, c ? [c[3], c[4]] : null);
    if (out.length < want) await ofNone(inNone && c ? [c[3], c[4]] : null);
  } else {
    if (!c || inNone) await ofNone(c ? [c[3], c[4]] : null);
    if (out.length < want) await walk(c && !inNone ? c[1] : null, c && !inNone ? [c[3], c[4]] : null);
  }
  return { rows: out, counts, more: out.length > p.size };
}
