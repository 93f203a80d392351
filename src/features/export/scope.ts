import { sql, type SQL } from 'drizzle-orm';
import type { Locator } from '../../lib/search/locator.js';
import { matchedOrganization, selectionLocator, selectionWhere, type Selection } from '../../lib/search/selection.js';

/**
 * What an export covers, as SQL conditions over the aliases every export query uses
 * (g: mailing_groups, o: organizations, p: persons, po: the person's organization,
 * m: group_memberships). The sets are closed: a person's organization, a membership's group
 * and member are always in the file when the reference is written, so the file re-imports.
 *
 * - all: the whole directory, archived records and former memberships included (lossless);
 * - selection: what /contacts shows for the same q, org and archived (group_by only orders the
 *   screen); persons the locator matches directly or through their organization's name;
 * - group: the group, its current members and their organizations.
 */
export type ExportScope =
  | { kind: 'all' }
  | ({ kind: 'selection'; archived: boolean } & Selection)
  | { kind: 'group'; groupId: number };

/** Ids at the start of the export: rows created while it streams wait for the next one. */
export interface Bounds {
  group: number;
  organization: number;
  person: number;
  membership: number;
}

export class ScopeSql {
  readonly locator: Locator | null;

  constructor(
    readonly scope: ExportScope,
    private readonly bounds: Bounds,
  ) {
    this.locator = scope.kind === 'selection' ? selectionLocator(scope) : null;
  }

  person(p: SQL, po: SQL): SQL {
    const s = this.scope;
    const bound = sql`${p}.id <= ${this.bounds.person}`;
    if (s.kind === 'all') return bound;
    if (s.kind === 'group') {
      return sql`${bound} and exists (select 1 from group_memberships gm where gm.group_id = ${s.groupId} and gm.person_id = ${p}.id and gm.removed_at is null)`;
    }
    return sql`${bound} and ${selectionWhere(s, this.locator!, p, po)}`;
  }

  /** Whether the organization of the person `p`, joined as `po`, is in the file. */
  organizationOfPerson(p: SQL, po: SQL): SQL {
    // The whole directory: the organization exists (foreign key) and its id says whether it is
    // within the bounds, so the join is not needed.
    if (this.scope.kind === 'all') return sql`${p}.organization_id <= ${this.bounds.organization}`;
    return sql`${po}.id is not null and ${this.organization(po)}`;
  }

  /** Organizations of the scope, and those of its persons (so every person's link resolves). */
  organization(o: SQL): SQL {
    const s = this.scope;
    const bound = sql`${o}.id <= ${this.bounds.organization}`;
    if (s.kind === 'all') return bound;
    const ofPersons = sql`exists (select 1 from persons sp left join organizations spo on spo.id = sp.organization_id where sp.organization_id = ${o}.id and ${this.person(sql`sp`, sql`spo`)})`;
    if (s.kind === 'group') {
      return sql`${bound} and (exists (select 1 from group_memberships gm where gm.group_id = ${s.groupId} and gm.organization_id = ${o}.id and gm.removed_at is null) or ${ofPersons})`;
    }
    const parts: SQL[] = [];
    if (!s.archived) parts.push(sql`${o}.archived_at is null`);
    if (s.org === 'none') parts.push(sql`false`);
    else if (typeof s.org === 'number') parts.push(sql`${o}.id = ${s.org}`);
    if (this.locator?.active) {
      const active = sql`lp.organization_id = ${o}.id ${s.archived ? sql`` : sql`and lp.archived_at is null`}`;
      parts.push(sql`(${matchedOrganization(s, this.locator, o)} or exists (select 1 from persons lp where ${active} and ${this.locator.person(sql`lp`)}))`);
    }
    const own = parts.length ? sql.join(parts, sql` and `) : sql`true`;
    return sql`${bound} and ((${own}) or ${ofPersons})`;
  }

  /** Memberships whose group and member are both in the file; current ones unless the whole directory. */
  membership(m: SQL): SQL {
    const s = this.scope;
    const parts: SQL[] = [sql`${m}.id <= ${this.bounds.membership}`, sql`${m}.group_id <= ${this.bounds.group}`];
    if (s.kind !== 'all') parts.push(sql`${m}.removed_at is null`);
    if (s.kind === 'group') parts.push(sql`${m}.group_id = ${s.groupId}`);
    if (s.kind === 'all') {
      // Every person and organization up to the bounds is in the file and a member always exists
      // (foreign keys), so the ids say it; an exists() here costs a hash of all persons per batch.
      parts.push(sql`(${m}.person_id is null or ${m}.person_id <= ${this.bounds.person})`);
      parts.push(sql`(${m}.organization_id is null or ${m}.organization_id <= ${this.bounds.organization})`);
      return sql.join(parts, sql` and `);
    }
    parts.push(sql`(${m}.person_id is null or exists (select 1 from persons mp left join organizations mpo on mpo.id = mp.organization_id where mp.id = ${m}.person_id and ${this.person(sql`mp`, sql`mpo`)}))`);
    parts.push(sql`(${m}.organization_id is null or exists (select 1 from organizations mo where mo.id = ${m}.organization_id and ${this.organization(sql`mo`)}))`);
    return sql.join(parts, sql` and `);
  }

  group(g: SQL): SQL {
    const s = this.scope;
    const bound = sql`${g}.id <= ${this.bounds.group}`;
    if (s.kind === 'all') return bound;
    if (s.kind === 'group') return sql`${bound} and ${g}.id = ${s.groupId}`;
    return sql`${bound} and exists (select 1 from group_memberships m2 where m2.group_id = ${g}.id and ${this.membership(sql`m2`)})`;
  }
}
