import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { Cursor, IdText, MAX_ID, Query as QuerySchema, SafeText, Word } from '../../lib/schemas.js';
import { findOrganization } from '../organizations/queries.js';
import { contactsOf } from '../persons/queries.js';
import { GROUPINGS, listOrganizations, listPersonsOf, type Grouping, type RowKey } from './queries.js';
import { Locator } from './search.js';
import { badgesForOrganizations, badgesForPersons, findGroup, groupCounts, groupPersonCounts } from '../groups/queries.js';
import { countSelection, selectionQuery, type Selection } from '../groups/selection.js';
import { LATIN_BLOCK } from '../organizations/model.js';
import { allows } from '../../lib/access.js';

export const PAGE_SIZE = 50;
const CARDS_LIMIT = 100;

const Query = QuerySchema({
  group_by: Word(20),
  q: SafeText(500),
  org: IdText('none'),
  archived: Word(5),
  after: Cursor,
  before: Cursor,
  page: Word(10),
  size: Type.String({ maxLength: 3, pattern: '^[0-9]*$' }),
  add_to: IdText(),
  approx: Word(5),
  from: Type.String({ maxLength: 10, pattern: '^[0-9]*$' }),
});
type QueryT = Static<typeof Query>;

export function encodeCursor(key: RowKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

// A cursor's text parts are sort keys: bounded, no control characters (NUL breaks PostgreSQL text).
const safeKey = (s: unknown) => typeof s === 'string' && s.length <= 1000 && !/[\u0000-\u001f\u007f]/.test(s);

/** A cursor from the URL; anything malformed means "first page", never an error. */
export function decodeCursor(s: string | undefined): RowKey | null {
  if (!s) return null;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) && v.length === 5 && typeof v[0] === 'boolean' && safeKey(v[1]) &&
      Number.isInteger(v[2]) && Math.abs(v[2]) <= MAX_ID && safeKey(v[3]) && Number.isInteger(v[4]) && v[4] >= 0 && v[4] <= MAX_ID
    ) return v as RowKey;
  } catch {
    // fall through
  }
  return null;
}

export default async function contactsRoutes(app: FastifyInstance) {
  const db = app.db;

  app.get<{ Querystring: QueryT }>('/contacts', { config: { access: 'user', replica: true }, schema: { querystring: Query } }, async (req, reply) => {
    const q = req.query;
    const groupBy: Grouping = GROUPINGS.includes(q.group_by as Grouping) ? (q.group_by as Grouping) : 'organization';
    const locator = new Locator(q.q ?? '');
    const showArchived = q.archived === '1';
    const size = Math.min(200, Math.max(5, Number(q.size) || PAGE_SIZE));
    let cursor = decodeCursor(q.after ?? q.before);
    let mode: 'first' | 'next' | 'prev' | 'last' = q.page === 'last' ? 'last' : cursor ? (q.after ? 'next' : 'prev') : 'first';
    const params = { groupBy, locator, showArchived, size };
    let list = await listOrganizations(db, { ...params, mode, cursor });
    // A "previous" page near the start would come out short: show the full first page instead.
    if (mode === 'prev' && !list.hasPrev) {
      mode = 'first';
      cursor = null;
      list = await listOrganizations(db, { ...params, mode, cursor });
    }

    const orgParam = q.org === 'none' ? 'none' : Number(q.org) > 0 ? Number(q.org) : null;
    const selectedOrg = typeof orgParam === 'number' ? await findOrganization(db, orgParam) : undefined;
    const selected = orgParam === 'none' ? 'none' : selectedOrg ? selectedOrg.id : null;
    const cards = selected === null ? null : await listPersonsOf(db, selected === 'none' ? null : selected, locator, { showArchived, limit: CARDS_LIMIT, groupBy });
    const contacts = cards ? await contactsOf(db, cards.persons.map((p) => p.id)) : null;
    const unaffiliated = list.unaffiliated;
    const [personBadges, orgBadges] = await Promise.all([
      badgesForPersons(db, cards?.persons.map((p) => p.id) ?? []),
      badgesForOrganizations(db, [...new Set(list.rows.map((r) => r.id))]),
    ]);

    // "Add this selection to a group", started from a group page (secretaries only).
    const addToId = Number(q.add_to);
    const addTo = addToId > 0 && allows('secretary', req.user?.role) ? await findGroup(db, addToId) : undefined;
    const approx = q.approx === '1';
    const sel: Selection = { q: q.q ?? '', org: selected, groupBy, approx };
    const selectionCount = addTo && !addTo.archivedAt ? await countSelection(db, sel, addTo.id) : null;

    // Links keep the view (grouping, locator, archived, size) and change one thing.
    const base: Record<string, string> = {};
    if (groupBy !== 'organization') base.group_by = groupBy;
    if (q.q) base.q = q.q;
    if (showArchived) base.archived = '1';
    if (q.size) base.size = String(size);
    if (addTo) base.add_to = String(addTo.id);
    if (approx) base.approx = '1';
    const link = (extra: Record<string, string | undefined>) => {
      const u = new URLSearchParams(base);
      for (const [k, v] of Object.entries(extra)) if (v !== undefined) u.set(k, v);
      const s = u.toString();
      return s ? `/contacts?${s}` : '/contacts';
    };
    const here = { ...(q.after ? { after: q.after } : {}), ...(q.before ? { before: q.before } : {}), ...(q.page ? { page: q.page } : {}), ...(q.from ? { from: q.from } : {}) };
    const first = list.rows[0];
    const last = list.rows[list.rows.length - 1];
    const keyOf = (r: typeof first): RowKey => [r.groupEmpty, r.groupKey, r.rank, r.sortKey, r.id];
    // The first row's place: known to the query (first, last, a locator's page) or carried by the
    // link that led here; a bookmarked middle page without it shows the total only.
    const fromParam = Number(q.from);
    const position = list.position ?? (Number.isInteger(fromParam) && fromParam >= 1 && (fromParam <= list.rowTotal || !list.rowTotalExact) ? fromParam : null);
    const pager = {
      first: list.hasPrev ? link({}) : null,
      prev: list.hasPrev && first ? link({ before: encodeCursor(keyOf(first)), from: position ? String(Math.max(1, position - size)) : undefined }) : null,
      next: list.hasNext && last ? link({ after: encodeCursor(keyOf(last)), from: position ? String(position + list.rows.length) : undefined }) : null,
      last: list.hasNext ? link({ page: 'last' }) : null,
      position: list.rows.length ? { from: position, to: position ? position + list.rows.length - 1 : null, total: list.rowTotal, more: !list.rowTotalExact } : null,
    };
    const total = list.total;
    const counts = new Map(list.counts.map((c) => [`${c.groupEmpty}|${c.groupKey}`, c.count]));
    // Under mailing groups the header says both counts, as /groups and the group page do.
    // The walk counted each shown group's live organizations (its rows' window count, the same
    // definition as the group's count): only the persons are left to count.
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
    const groupIds = groupBy === 'group' ? [...new Set(list.rows.filter((r) => !r.groupEmpty && r.groupId !== null).map((r) => r.groupId as number))] : [];
    const groupTotals = groupBy === 'group' && !locator.active ? await headerCounts() : new Map<number, { persons: number; organizations: number }>();

    return reply.page(
      'contacts/index',
      {
        pageTitle: req.t('contacts.title'),
        groupBy,
        groupings: GROUPINGS,
        q: q.q ?? '',
        showArchived,
        rows: list.rows,
        counts,
        groupTotals,
        total,
        pager,
        selected,
        selectedOrg,
        cards,
        contacts,
        unaffiliated,
        personBadges,
        orgBadges,
        addTo,
        selectionCount,
        selectionQuery: selectionQuery(sel),
        approx,
        headers: list.headers,
        approximate: list.approximate,
        locator,
        headerLabel: (key: string) => (key === LATIN_BLOCK ? 'A–Z' : key.toLocaleUpperCase(req.locale)),
        orgLink: (id: number | 'none') => link({ ...here, org: String(id) }),
        link,
      },
      { fragment: 'contacts/_main' },
    );
  });
}
