import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { User } from '../../db/schema/users.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { requireSecretary } from '../../lib/access.js';
import { recordAudit } from '../audit/service.js';
import { Locator } from '../contacts/search.js';
import { findGroup } from './queries.js';
import { rows } from '../../db/rows.js';

/**
 * The persons of a /contacts selection: those the locator matches directly or through their
 * organization's name, optionally within one organization (or those with none). Archived persons
 * and persons of archived organizations are never part of it.
 */
export interface Selection {
  q: string;
  org: number | 'none' | null;
  /** The screen's grouping: the locator also matches its headers (region, group names…). */
  groupBy?: string;
  /** Near misses too ("включая похожие"); by default the exact matches only. */
  approx?: boolean;
}

/** The locator of a selection: exact matches only unless near misses were asked for. */
export function selectionLocator(sel: Selection): Locator {
  return new Locator(sel.q, { exact: !sel.approx });
}

/**
 * The persons `p` (their organization joined as `o`) of a selection, as one condition: the one
 * definition of "the /contacts selection" that adding to a group and every export use.
 */
export function selectionWhere(sel: Selection, locator: Locator): SQL {
  const parts: SQL[] = [sql`p.archived_at is null`, sql`(o.id is null or o.archived_at is null)`];
  if (sel.org === 'none') parts.push(sql`p.organization_id is null`);
  else if (typeof sel.org === 'number') parts.push(sql`p.organization_id = ${sel.org}`);
  if (locator.active) {
    const header = sel.groupBy ? locator.header(sql`o`, sel.groupBy) : sql`false`;
    parts.push(sql`(${locator.person(sql`p`)} or (o.id is not null and (${locator.organization(sql`o`)} or ${header})))`);
  }
  return sql.join(parts, sql` and `);
}

/** Parses the selection's URL parameters (as /contacts writes them). */
export function parseSelection(q: { q?: string; org?: string; group_by?: string; approx?: string }, org: number | 'none' | null): Selection {
  const groupBy = ['organization', 'region', 'activity', 'category', 'group'].includes(q.group_by ?? '') ? q.group_by : 'organization';
  return { q: (q.q ?? '').slice(0, 200), org, groupBy, approx: q.approx === '1' };
}

/** The selection's URL parameters, for links that carry it on. */
export function selectionQuery(sel: Selection): string {
  return new URLSearchParams({
    q: sel.q,
    ...(sel.org !== null ? { org: String(sel.org) } : {}),
    ...(sel.groupBy && sel.groupBy !== 'organization' ? { group_by: sel.groupBy } : {}),
    ...(sel.approx ? { approx: '1' } : {}),
  }).toString();
}


export async function countSelection(db: Db, sel: Selection, groupId: number | null = null): Promise<{ total: number; new: number }> {
  const locator = selectionLocator(sel);
  return db.transaction(async (tx) => {
    if (locator.active) await locator.prepare(tx);
    const notMember = groupId
      ? sql`not exists (select 1 from group_memberships m where m.group_id = ${groupId} and m.person_id = p.id and m.removed_at is null)`
      : sql`true`;
    const [r] = rows<{ total: number; fresh: number }>(
      await tx.execute(sql`
        select count(*)::int as total, count(*) filter (where ${notMember})::int as fresh
        from persons p left join organizations o on o.id = p.organization_id where ${selectionWhere(sel, locator)}`),
    );
    return { total: Number(r.total), new: Number(r.fresh) };
  });
}

/** Adds every person of the selection who is not yet a member, in one statement. */
export async function addSelection(db: Db, actor: User, groupId: number, sel: Selection, reason: string): Promise<number> {
  requireSecretary(actor);
  const locator = selectionLocator(sel);
  return db.transaction(async (tx) => {
    const group = await findGroup(tx, groupId);
    if (!group) throw new NotFoundError();
    if (group.archivedAt) throw new ValidationError({ group: { key: 'groups.archivedGroup' } });
    if (locator.active) await locator.prepare(tx);
    const inserted = rows<{ id: number }>(
      await tx.execute(sql`
        insert into group_memberships (group_id, person_id, reason, added_by)
        select ${groupId}, p.id, ${reason}, ${actor.id}
        from persons p left join organizations o on o.id = p.organization_id
        where ${selectionWhere(sel, locator)}
          and not exists (select 1 from group_memberships m where m.group_id = ${groupId} and m.person_id = p.id and m.removed_at is null)
        on conflict do nothing
        returning id`),
    );
    await recordAudit(tx, {
      userId: actor.id,
      entityType: 'group',
      entityId: groupId,
      action: 'update',
      before: { members: null },
      after: { members: `+${inserted.length} (${sel.q || '*'})` },
      fields: ['members'],
    });
    return inserted.length;
  });
}
