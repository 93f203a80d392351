import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { REFERENCE_TABLE } from '../../lib/search/groupings.js';
import type { GroupCount, ListParams, Match, OrgRow, RowKey } from './types.js';
import { ORG_COLUMNS, ORG_SHAPE, PERSON_COUNT } from './columns.js';

/**
 * A page of what the locator matched, ordered, counted and cut here rather than in SQL: the match
 * already holds every organization (a few thousand at most for a common surname), so reading their
 * sort columns once and sorting in memory costs less than three queries that each join, group and
 * sort them again (page, header counts, total). Only the page's rows are read in full.
 */
export async function listMatched(
  tx: Tx,
  p: ListParams & { groupBy: 'organization' | 'region' | 'activity' | 'category' },
  match: Match,
): Promise<{ rows: OrgRow[]; counts: GroupCount[]; hasPrev: boolean; hasNext: boolean; total: number; position: number }> {
  const ref = p.groupBy === 'organization' ? null : REFERENCE_TABLE[p.groupBy];
  const column = ref?.column ?? null;
  const keyed = rowsOf(
    await tx.execute(sql`
      select o.id, o.sort_name as "sortKey", ${column ? sql`o.${column}` : sql`null::int`} as ref
      from organizations o
      where o.id = any(${match.ids}::int[]) ${p.showArchived ? sql`` : sql`and o.archived_at is null`}`),
    { id: 'number', sortKey: 'string', ref: 'number?' },
    'contacts: matched organizations',
  );
  const refs = ref ? await referenceKeys(tx, ref.table) : null;
  const rankOf = new Map(match.orgRanks);

  const all = keyed.map((o) => {
    const id = Number(o.id);
    const value = o.ref === null ? undefined : refs?.get(Number(o.ref));
    const groupEmpty = refs ? value === undefined : false;
    const groupKey = refs ? (value?.key ?? '') : firstCharacter(o.sortKey);
    const key: RowKey = [groupEmpty, groupKey, rankOf.get(id) ?? 1, o.sortKey, id];
    return { key, groupId: o.ref === null ? null : Number(o.ref), groupLabel: value?.label ?? null };
  });
  all.sort((a, b) => compareKeys(a.key, b.key));

  const reverse = p.mode === 'prev' || p.mode === 'last';
  const c = p.mode === 'next' || p.mode === 'prev' ? p.cursor : null;
  // Forward from after the cursor, or backward from before it (the end for "last").
  let start: number;
  if (!reverse) {
    const from = c ? all.findIndex((r) => compareKeys(r.key, c) > 0) : 0;
    start = from < 0 ? all.length : from;
  } else if (p.mode === 'last') {
    // The last page is the remainder: pages stay aligned with the first ("51–60 из 60").
    start = all.length - (all.length % p.size || p.size);
  } else {
    const upTo = c ? all.findIndex((r) => compareKeys(r.key, c) >= 0) : all.length;
    start = Math.max(0, (upTo < 0 ? all.length : upTo) - p.size);
  }
  start = Math.max(0, start);
  const slice = all.slice(start, start + p.size);

  // Header counts of the groups this page shows, over everything matched.
  const shown = new Set(slice.map((r) => `${r.key[0]}|${r.key[1]}`));
  const counts = new Map<string, GroupCount>();
  for (const r of all) {
    const k = `${r.key[0]}|${r.key[1]}`;
    if (!shown.has(k)) continue;
    const had = counts.get(k);
    if (had) {
      had.count++;
      if (r.groupLabel !== null && (had.groupLabel === null || r.groupLabel < had.groupLabel)) had.groupLabel = r.groupLabel;
    } else counts.set(k, { groupEmpty: r.key[0], groupKey: r.key[1], groupLabel: r.groupLabel, count: 1 });
  }

  const details = new Map(
    rowsOf(
      await tx.execute(sql`
        select x.*, ${PERSON_COUNT} from (select ${ORG_COLUMNS} from organizations o where o.id = any(${`{${slice.map((r) => r.key[4]).join(',')}}`}::int[])) x`),
      ORG_SHAPE,
      'contacts: matched page',
    ).map((r) => [Number(r.id), r]),
  );
  const page: OrgRow[] = slice.map((r) => ({
    ...details.get(r.key[4])!,
    groupId: p.groupBy === 'organization' ? null : r.groupId,
    groupEmpty: r.key[0],
    groupKey: r.key[1],
    groupLabel: r.groupLabel,
    rank: r.key[2],
    sortKey: r.key[3],
  }));
  return { rows: page, counts: [...counts.values()], hasPrev: start > 0, hasNext: start + slice.length < all.length, total: all.length, position: start + 1 };
}

async function referenceKeys(tx: Tx, table: SQL) {
  const list = rowsOf(await tx.execute(sql`select id, sort_key as key, name as label from ${table}`), { id: 'number', key: 'string', label: 'string' }, 'contacts: reference keys');
  return new Map(list.map((r) => [Number(r.id), { key: r.key, label: r.label }]));
}

/** The first character (code point) of a key: the alphabetical grouping's letter, as SQL's left(s, 1). */
function firstCharacter(s: string): string {
  const cp = s.codePointAt(0);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

/**
 * Byte order of UTF-8, i.e. code point order: what PostgreSQL's C collation gives the same keys.
 * JavaScript compares UTF-16 code units, which differs only above U+FFFF; the shift fixes that.
 */
export function compareC(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x < 0xe000 ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

/** The list's order: (group empty, group key, rank, sort key, id), "no group" last. */
export function compareKeys(a: RowKey, b: RowKey): number {
  return (
    Number(a[0]) - Number(b[0]) ||
    compareC(a[1], b[1]) ||
    a[2] - b[2] ||
    compareC(a[3], b[3]) ||
    a[4] - b[4]
  );
}
