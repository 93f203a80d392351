import type { Db } from '../../db/client.js';
import type { Role } from '../../db/schema/users.js';
import { linkBuilder, pageMode, pagerLinks, type Pager } from '../../lib/keyset.js';
import { GROUPINGS, parseGrouping } from '../../lib/search/groupings.js';
import { Locator } from '../../lib/search/locator.js';
import { parseSelectionOrg, selectionQuery, type Selection } from '../../lib/search/selection.js';
import { allows } from '../../lib/access.js';
import { badgesForOrganizations, badgesForPersons, countSelection, findGroup, groupCounts, groupPersonCounts } from '../groups/service.js';
import { findOrganization } from '../organizations/service.js';
import { contactsOf } from '../persons/service.js';
import { CARDS_LIMIT, decodeCursor, encodeCursor, pageSize } from './model.js';
import { listOrganizations, listPersonsOf } from './queries.js';
import type { OrgRow, RowKey } from './types.js';

/** The /contacts screen's parameters, as the URL carries them (checked by the route's schema). */
export interface ContactsQuery {
  group_by?: string;
  q?: string;
  org?: string;
  archived?: string;
  after?: string;
  before?: string;
  page?: string;
  size?: string;
  add_to?: string;
  approx?: string;
  from?: string;
}

const keyOf = (r: OrgRow): RowKey => [r.groupEmpty, r.groupKey, r.rank, r.sortKey, r.id];

/**
 * Everything the /contacts screen shows for one request: a page of organizations under the
 * chosen grouping (keyset paging), the chosen organization's person cards, their group marks, the
 * headers' counts, and the links that keep the view. `role` decides whether the "add this
 * selection to a group" banner may show.
 */
export async function contactsScreen(db: Db, q: ContactsQuery, role: Role | undefined) {
  const groupBy = parseGrouping(q.group_by);
  const locator = new Locator(q.q ?? '');
  const showArchived = q.archived === '1';
  const size = pageSize(q.size);
  let cursor = decodeCursor(q.after ?? q.before);
  let mode = pageMode(q, cursor);
  const params = { groupBy, locator, showArchived, size };
  let list = await listOrganizations(db, { ...params, mode, cursor });
  // A "previous" page near the start would come out short: show the full first page instead.
  if (mode === 'prev' && !list.hasPrev) {
    mode = 'first';
    cursor = null;
    list = await listOrganizations(db, { ...params, mode, cursor });
  }

  const orgParam = parseSelectionOrg(q.org);
  const selectedOrg = typeof orgParam === 'number' ? await findOrganization(db, orgParam) : undefined;
  const selected = orgParam === 'none' ? 'none' : selectedOrg ? selectedOrg.id : null;
  const cards = selected === null ? null : await listPersonsOf(db, selected === 'none' ? null : selected, locator, { showArchived, limit: CARDS_LIMIT, groupBy });
  const contacts = cards ? await contactsOf(db, cards.persons.map((p) => p.id)) : null;
  const [personBadges, orgBadges] = await Promise.all([
    badgesForPersons(db, cards?.persons.map((p) => p.id) ?? []),
    badgesForOrganizations(db, [...new Set(list.rows.map((r) => r.id))]),
  ]);

  // "Add this selection to a group", started from a group page (secretaries only).
  const addToId = Number(q.add_to);
  const addTo = addToId > 0 && allows('secretary', role) ? await findGroup(db, addToId) : undefined;
  const approx = q.approx === '1';
  const sel: Selection = { q: q.q ?? '', org: selected, groupBy, approx };
  const selectionCount = addTo && !addTo.archivedAt ? await countSelection(db, sel, addTo.id) : null;

  // Links keep the view (grouping, locator, archived, size) and change one thing.
  const link = linkBuilder('/contacts', {
    group_by: groupBy !== 'organization' ? groupBy : undefined,
    q: q.q,
    archived: showArchived ? '1' : undefined,
    size: q.size ? String(size) : undefined,
    add_to: addTo ? String(addTo.id) : undefined,
    approx: approx ? '1' : undefined,
  });
  const here = { after: q.after, before: q.before, page: q.page, from: q.from };
  // The first row's place: known to the query (first, last, a locator's page) or carried by the
  // link that led here; a bookmarked middle page without it shows the total only.
  const fromParam = Number(q.from);
  const position = list.position ?? (Number.isInteger(fromParam) && fromParam >= 1 && (fromParam <= list.rowTotal || !list.rowTotalExact) ? fromParam : null);
  const pager: Pager = {
    ...pagerLinks(list, link, (r) => encodeCursor(keyOf(r)), {
      prev: { from: position ? String(Math.max(1, position - size)) : undefined },
      next: { from: position ? String(position + list.rows.length) : undefined },
    }),
    position: list.rows.length ? placeOf(position, list.rows.length, list.rowTotal, list.rowTotalExact, list.hasNext) : null,
  };
  const counts = new Map(list.counts.map((c) => [`${c.groupEmpty}|${c.groupKey}`, c.count]));
  // Under mailing groups the header says both counts, as /groups and the group page do.
  // The walk counted each shown group's live organizations (its rows' window count, the same
  // definition as the group's count): only the persons are left to count.
  const groupIds = groupBy === 'group' ? [...new Set(list.rows.filter((r) => !r.groupEmpty && r.groupId !== null).map((r) => r.groupId as number))] : [];
  const headerCounts = async () => {
    if (showArchived) return groupCounts(db, groupIds);
    const persons = await groupPersonCounts(db, groupIds);
    const out = new Map<number, { persons: number; organizations: number }>();
    for (const r of list.rows) {
      if (r.groupEmpty || r.groupId === null || out.has(r.groupId as number)) continue;
      out.set(r.groupId as number, { persons: persons.get(r.groupId as number) ?? 0, organizations: counts.get(`false|${r.groupKey}`) ?? 0 });
    }
    return out;
  };
  const groupTotals = groupBy === 'group' && !locator.active ? await headerCounts() : new Map<number, { persons: number; organizations: number }>();

  return {
    groupBy,
    groupings: GROUPINGS,
    q: q.q ?? '',
    showArchived,
    rows: list.rows,
    counts,
    groupTotals,
    total: list.total,
    totalMore: list.totalMore,
    countsMore: list.countsMore,
    pager,
    selected,
    selectedOrg,
    cards,
    contacts,
    unaffiliated: list.unaffiliated,
    unaffiliatedMore: list.unaffiliatedMore,
    personBadges,
    orgBadges,
    addTo,
    selectionCount,
    selectionQuery: selectionQuery(sel),
    approx,
    headers: list.headers,
    approximate: list.approximate,
    locator,
    orgLink: (id: number | 'none') => link({ ...here, org: String(id) }),
    link,
  };
}

/**
 * Where a page stands. A total that is only a lower bound ("more than 1 000") is raised to the
 * page's last row once the pages pass it, and is exact on the page that ends the list.
 */
function placeOf(from: number | null, rows: number, total: number, exact: boolean, hasNext: boolean) {
  const to = from ? from + rows - 1 : null;
  if (exact || to === null) return { from, to, total, more: !exact };
  return hasNext ? { from, to, total: Math.max(total, to), more: true } : { from, to, total: to, more: false };
}
