import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { Locator } from './search.js';
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

function grouping(groupBy: Grouping) {
  if (groupBy === 'organization') {
    // Alphabetical index: the first letter of the normalized name (upper-cased for display in
    // JS: PGlite's upper() leaves Cyrillic alone).
    return { join: sql``, empty: sql`false`, key: sql`left(o.sort_key, 1)`, label: sql`null::text` };
  }
  if (groupBy === 'group') {
    // An organization stands under every group that it, or any of its persons, belongs to; one
    // with no memberships at all under "No group".
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


/** The filtered organizations with their grouping columns, as a subquery `x`. */
function filtered(p: Pick<ListParams, 'groupBy' | 'locator' | 'showArchived'>): SQL {
  const g = grouping(p.groupBy);
  const L = p.locator;
  // Matching persons are found once through the trigram indexes (IN, not a per-organization
  // EXISTS, which would test every person of every organization).
  const match = L.active
    ? sql`and (${L.organization(sql`o`)} or o.id in (select p.organization_id from persons p where p.archived_at is null and ${L.person(sql`p`)}))`
    : sql``;
  const rank = L.active
    ? sql`case when ${L.organizationPrefix(sql`o`)} or o.id in (select p.organization_id from persons p where p.archived_at is null and ${L.personPrefix(sql`p`)}) then 0 else 1 end`
    : sql`0`;
  return sql`(
    select o.id, ${p.groupBy === 'organization' ? sql`null::int` : sql`g.id`} as "groupId", o.name, o.short_name as "shortName", o.archived_at as "archivedAt", o.addr_locality as "locality",
      ${g.empty} as "groupEmpty", ${g.key} as "groupKey", ${g.label} as "groupLabel", ${rank} as "rank", o.sort_key as "sortKey"
    from organizations o ${g.join}
    where ${p.showArchived ? sql`true` : sql`o.archived_at is null`} ${match}
  ) x`;
}

const KEY = sql`(x."groupEmpty", x."groupKey", x."rank", x."sortKey", x.id)`;

async function inTx<T>(db: Db, locator: Locator, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    if (locator.active) await tx.execute(Locator.setup());
    return fn(tx);
  });
}

/**
 * One page of the organizations list, by keyset: the cost of a page does not grow with its
 * number. Reverse modes (prev, last) read backwards and flip the rows.
 */
export async function listOrganizations(db: Db, p: ListParams): Promise<{ rows: OrgRow[]; hasPrev: boolean; hasNext: boolean; counts: GroupCount[]; total: number }> {
  return inTx(db, p.locator, async (tx) => {
    const reverse = p.mode === 'prev' || p.mode === 'last';
    const c = p.cursor;
    const dir = reverse ? sql`desc` : sql`asc`;
    const cmp = reverse ? sql`<` : sql`>`;
    const seek = c && (p.mode === 'next' || p.mode === 'prev');
    // Alphabetical without a locator: the group key is the first letter of the sort key and the
    // rank is constant, so (sort key, id) alone orders the rows and the index serves the page.
    const alphabetical = p.groupBy === 'organization' && !p.locator.active;
    const where = !seek ? sql`` : alphabetical ? sql`where (x."sortKey", x.id) ${cmp} (${c[3]}, ${c[4]})` : sql`where ${KEY} ${cmp} (${c[0]}, ${c[1]}, ${c[2]}, ${c[3]}, ${c[4]})`;
    const order = alphabetical
      ? sql`x."sortKey" ${dir}, x.id ${dir}`
      : sql`x."groupEmpty" ${dir}, x."groupKey" ${dir}, x."rank" ${dir}, x."sortKey" ${dir}, x.id ${dir}`;
    const page = rows<OrgRow>(
      await tx.execute(sql`
        select x.*, (select count(*) from persons p where p.organization_id = x.id and p.archived_at is null)::int as "personCount"
        from ${filtered(p)} ${where}
        order by ${order}
        limit ${p.size + 1}`),
    );
    const more = page.length > p.size;
    if (more) page.pop();
    if (reverse) page.reverse();
    // Header counts only for the groups this page shows; the total once over the whole set.
    const shown = [...new Map(page.map((r) => [`${r.groupEmpty}|${r.groupKey}`, r])).values()];
    const counts = shown.length
      ? rows<GroupCount>(
          await tx.execute(sql`
            select x."groupEmpty", x."groupKey", min(x."groupLabel") as "groupLabel", count(*)::int as count
            from ${filtered(p)}
            where (x."groupEmpty", x."groupKey") in (${sql.join(shown.map((r) => sql`(${r.groupEmpty}, ${r.groupKey})`), sql`, `)})
            group by x."groupEmpty", x."groupKey"`),
        )
      : [];
    // Under mailing groups an organization may stand several times: count it once.
    const counted = p.groupBy === 'group' ? sql`count(distinct x.id)` : sql`count(*)`;
    const [{ n }] = rows<{ n: number }>(await tx.execute(sql`select ${counted}::int as n from ${filtered(p)}`));
    return {
      rows: page.map((r) => ({ ...r, personCount: Number(r.personCount), rank: Number(r.rank) })),
      counts: counts.map((r) => ({ ...r, count: Number(r.count) })),
      total: Number(n),
      hasPrev: reverse ? more : p.mode === 'next',
      hasNext: reverse ? p.mode === 'prev' : more,
    };
  });
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

/** How many persons have no organization (and match the locator): shown as a separate entry. */
export async function countUnaffiliated(db: Db, locator: Locator, showArchived: boolean): Promise<number> {
  return inTx(db, locator, async (tx) => {
    const [row] = rows<{ n: number }>(
      await tx.execute(sql`
        select count(*)::int as n from persons p where p.organization_id is null
        ${showArchived ? sql`` : sql`and p.archived_at is null`} ${locator.active ? sql`and ${locator.person(sql`p`)}` : sql``}`),
    );
    return Number(row.n);
  });
}
