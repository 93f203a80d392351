import { sql, type SQL } from 'drizzle-orm';
import { parseGrouping } from './groupings.js';
import { Locator } from './locator.js';
import { MAX_ID } from '../schemas.js';

/**
 * "The /contacts selection": the persons the locator matches directly or through their
 * organization (its name, or the header it stands under on the screen), optionally within one
 * organization (or those with none). The one definition that adding to a group, a mailing and
 * every export use; /contacts writes it into their links (selectionQuery).
 */
export interface Selection {
  q: string;
  org: number | 'none' | null;
  /** The screen's grouping: the locator also matches its headers (region, group names…). */
  groupBy?: string;
  /** Near misses too ("включая похожие"); by default the exact matches only. */
  approx?: boolean;
  /** Archived persons and organizations too (an export of the screen showing them); never otherwise. */
  archived?: boolean;
}

/** The locator of a selection: exact matches only unless near misses were asked for. */
export function selectionLocator(sel: Selection): Locator {
  return new Locator(sel.q, { exact: !sel.approx });
}

/** The organization `o` matches the selection's locator by its name or by the header it stands under. */
export function matchedOrganization(sel: Selection, locator: Locator, o: SQL): SQL {
  const header = sel.groupBy ? locator.header(o, sel.groupBy) : sql`false`;
  return sql`(${locator.organization(o)} or ${header})`;
}

/** The persons `p` (their organization joined as `o`, possibly null) of a selection, as one condition. */
export function selectionWhere(sel: Selection, locator: Locator, p: SQL = sql`p`, o: SQL = sql`o`): SQL {
  const parts: SQL[] = [];
  if (!sel.archived) parts.push(sql`${p}.archived_at is null`, sql`(${o}.id is null or ${o}.archived_at is null)`);
  if (sel.org === 'none') parts.push(sql`${p}.organization_id is null`);
  else if (typeof sel.org === 'number') parts.push(sql`${p}.organization_id = ${sel.org}`);
  if (locator.active) parts.push(sql`(${locator.person(p)} or (${o}.id is not null and ${matchedOrganization(sel, locator, o)}))`);
  return parts.length ? sql.join(parts, sql` and `) : sql`true`;
}

/**
 * The selection's organization from the URL or a form: `none` (persons without one), an id written
 * in plain digits within the database's ids (1…MAX_ID, as lib/schemas IdText bounds it), or any
 * (null) for everything else, so an id out of range is never sent to the database.
 */
export function parseSelectionOrg(v: unknown): number | 'none' | null {
  if (v === 'none') return 'none';
  if (typeof v !== 'string' || !/^[1-9][0-9]{0,9}$/.test(v)) return null;
  const n = Number(v);
  return n <= MAX_ID ? n : null;
}

/** Parses the selection's URL parameters (as /contacts writes them). */
export function parseSelection(q: { q?: string; org?: string; group_by?: string; approx?: string }, org: number | 'none' | null): Selection {
  return { q: (q.q ?? '').slice(0, 200), org, groupBy: parseGrouping(q.group_by), approx: q.approx === '1' };
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
