import { eq, sql } from 'drizzle-orm';
import { organizations } from '../../../db/schema/organizations.js';
import { referenceTables, regions, type ReferenceKind } from '../../../db/schema/references.js';
import { normalizeKey } from '../../../lib/text.js';
import { fillOrganization, FILLABLE_FIELDS, ORGANIZATION_FIELDS, organizationKeys, renamed } from '../../organizations/model.js';
import { refreshPersonsSearchTextSql } from '../../persons/search-text.js';
import { REFERENCE_ENTITY_TYPES } from '../../references/model.js';
import { EMPTY_ADDRESS } from '../read/mapping.js';
import { groupsByName, organizationsByName, recordsByKey } from '../preview/match.js';
import type { GroupDraft, OrganizationDraft, PersonDraft } from '../types.js';
import { anyInt, bulkUpdate, send } from '../../../db/bulk.js';
import { insertGroups, insertOrganizations, type Organization, type OrganizationValues } from './writers.js';
import type { CommitState, StoredRow } from './state.js';

/** Groups and organizations of the file: matched by key or name, else created in bulk. */
export class OrganizationWriter {
  constructor(private readonly state: CommitState) {}

  async groups(rows: StoredRow[]) {
    if (!rows.length) return;
    const drafts = rows.map((r) => (r.data as { group: GroupDraft }).group);
    const byKey = await recordsByKey(this.state.tx, 'group', drafts.map((g) => g.key), this.state.instance);
    const byName = await groupsByName(this.state.tx, drafts.map((g) => g.name));
    const fresh: { row: StoredRow; g: GroupDraft }[] = [];
    const freshByName = new Map<string, StoredRow[]>();
    for (const [i, row] of rows.entries()) {
      const g = drafts[i];
      const existing = byKey.get(g.key) ?? byName.get(normalizeKey(g.name))?.id;
      if (existing) {
        this.state.groupByKey.set(g.key, existing);
        this.state.outcome(row.rowNo, 'skipped', 'import.reason.groupExists', existing);
        continue;
      }
      // Two groups of one name in a file are one group here: names are unique.
      const same = freshByName.get(normalizeKey(g.name));
      if (same) same.push(row);
      else {
        freshByName.set(normalizeKey(g.name), [row]);
        fresh.push({ row, g });
      }
    }
    const created = await insertGroups(this.state.pipe, this.state.stamp, fresh.map(({ g }) => ({ name: g.name, description: g.description, mark: g.mark, archivedAt: g.archivedAt ? new Date(g.archivedAt) : null })));
    created.forEach((row, i) => {
      const { g } = fresh[i];
      this.state.groupNames.set(row.id, row.name);
      this.state.journal.audit('group', row.id, 'create', null, row, ['name', 'description', 'mark']);
      this.state.journal.change('group', row.id, 'created', { versionAfter: row.version, externalKey: g.key });
      this.state.report.groups.created++;
      for (const r of freshByName.get(row.sortKey) ?? []) {
        const key = (r.data as { group: GroupDraft }).group.key;
        this.state.groupByKey.set(key, row.id);
        this.state.outcome(r.rowNo, r === fresh[i].row ? 'created' : 'skipped', r === fresh[i].row ? null : 'import.reason.groupExists', row.id);
      }
    });
    await this.state.tick(rows.length);
  }


  async referenceId(kind: ReferenceKind, name: string): Promise<number | null> {
    if (!name) return null;
    const sortKey = normalizeKey(name);
    const cacheKey = `${kind}|${sortKey}`;
    const cached = this.state.references.get(cacheKey);
    if (cached) return cached;
    // The three lists share one shape (see references/queries.ts): one static type for all.
    const table = referenceTables[kind] as typeof regions;
    const [found] = await this.state.tx.select({ id: table.id }).from(table).where(eq(table.sortKey, sortKey));
    let row: { id: number } = found;
    if (!row) {
      [row] = await this.state.tx.insert(table).values({ name, sortKey, updatedBy: this.state.actor.id, createdAt: this.state.stamp.at, updatedAt: this.state.stamp.at }).returning({ id: table.id });
      const entity = REFERENCE_ENTITY_TYPES[kind];
      this.state.journal.audit(entity, row.id, 'create', null, { name }, ['name']);
      this.state.journal.change(entity, row.id, 'created', { versionAfter: 1 });
      this.state.report.references.created++;
    }
    this.state.references.set(cacheKey, row.id);
    return row.id;
  }

  async organizations(rows: StoredRow[]) {
    if (!rows.length) return;
    const drafts = rows.map((r) => (r.data as { organization: OrganizationDraft }).organization);
    const byKey = await recordsByKey(this.state.tx, 'organization', drafts.map((o) => o.key), this.state.instance);
    const byName = await organizationsByName(this.state.tx, drafts.map((o) => o.name));
    const fresh: { row: StoredRow; o: OrganizationDraft; values: OrganizationValues }[] = [];
    const fill: { row: StoredRow; id: number; values: OrganizationValues }[] = [];
    for (const [i, row] of rows.entries()) {
      const o = drafts[i];
      const values: OrganizationValues = {
        name: o.name,
        shortName: o.shortName,
        inn: o.inn,
        regionId: await this.referenceId('regions', o.region),
        activityId: await this.referenceId('activities', o.activity),
        categoryId: await this.referenceId('categories', o.category),
        ...o.address,
        phones: o.phones,
        email: o.email,
        website: o.website,
        note: o.note,
        archivedAt: o.archivedAt ? new Date(o.archivedAt) : null,
      };
      const existing = byKey.get(o.key) ?? byName.get(normalizeKey(o.name))?.id;
      if (existing) {
        this.state.orgByKey.set(o.key, existing);
        fill.push({ row, id: existing, values });
      } else {
        fresh.push({ row, o, values });
      }
    }
    const changed = await this.fillOrganizations(fill);
    fill.forEach((f, i) => this.state.outcome(f.row.rowNo, changed[i] ? 'updated' : 'skipped', changed[i] ? null : 'import.reason.organizationExists', f.id));
    const created = await insertOrganizations(this.state.pipe, this.state.stamp, fresh.map((f) => f.values));
    created.forEach((org, i) => {
      this.created('organization', org, fresh[i].o.key);
      this.state.orgByKey.set(fresh[i].o.key, org.id);
      this.state.outcome(fresh[i].row.rowNo, 'created', null, org.id);
    });
    await this.state.tick(rows.length);
  }

  private created(kind: 'organization', org: typeof organizations.$inferSelect, externalKey: string | null) {
    this.state.remember(org);
    this.state.journal.audit(kind, org.id, 'create', null, org, ORGANIZATION_FIELDS);
    this.state.journal.change(kind, org.id, 'created', { versionAfter: org.version, externalKey });
    this.state.report.organizations.created++;
  }

  /**
   * Existing organizations get only what they lack (organizations/model.ts fillOrganization); a
   * filled short name refreshes their persons' search text, as the form does. All of them with one locking
   * read and one write, in list order (an organization named twice is filled twice, as it would
   * be one at a time). Tells for each entry whether it changed anything.
   */
  async fillOrganizations(list: { id: number; values: Partial<OrganizationValues> }[]): Promise<boolean[]> {
    if (!list.length) return [];
    const found = await this.state.tx
      .select()
      .from(organizations)
      .where(sql`${organizations.id} = ${anyInt([...new Set(list.map((x) => x.id))])}`)
      .orderBy(organizations.id)
      .for('update');
    const current = new Map(found.map((o) => [o.id, o]));
    const written = new Map<number, Organization>();
    const renamedIds = new Set<number>();
    const changed = list.map(({ id, values }) => {
      const before = current.get(id);
      if (!before) return false;
      const set = fillOrganization(before, values);
      if (Object.keys(set).length === 0) {
        this.state.remember(before);
        return false;
      }
      const after: Organization = {
        ...before,
        ...set,
        version: before.version + 1,
        updatedAt: this.state.stamp.at,
        updatedBy: this.state.actor.id,
        // The locator's text from the organization's own rule (name, short name, INN).
        searchText: organizationKeys({ ...before, ...set }).searchText,
      };
      current.set(id, after);
      written.set(id, after);
      if (renamed(before, after)) renamedIds.add(id);
      this.state.remember(after);
      this.state.journal.audit('organization', id, 'update', before, after, ORGANIZATION_FIELDS);
      this.state.journal.change('organization', id, 'updated', { before, versionAfter: after.version });
      this.state.report.organizations.updated++;
      return true;
    });
    await bulkUpdate(
      this.state.pipe,
      organizations,
      [...written.values()].map((o) => ({
        id: o.id,
        ...Object.fromEntries(FILLABLE_FIELDS.map((f) => [f, o[f]])),
        searchText: o.searchText,
        version: o.version,
        updatedAt: o.updatedAt,
        updatedBy: o.updatedBy,
      })),
    );
    // The persons of an organization whose short name was filled find it by that name, too.
    if (renamedIds.size) await send(this.state.pipe, refreshPersonsSearchTextSql([...renamedIds]));
    return changed;
  }

  /** Outlook companies: matched by name, else created, from the rows that will be applied. */
  async companies(applied: { row: StoredRow; p: PersonDraft }[]) {
    const rowsOf = new Map<string, { row: StoredRow; p: PersonDraft }[]>();
    for (const a of applied) {
      if (!a.p.organization || !('name' in a.p.organization)) continue;
      const k = normalizeKey(a.p.organization.name);
      const list = rowsOf.get(k);
      if (list) list.push(a);
      else rowsOf.set(k, [a]);
    }
    if (!rowsOf.size) return;
    const existing = await organizationsByName(this.state.tx, [...rowsOf.keys()]);
    const fresh: { key: string; values: OrganizationValues }[] = [];
    const fill: { key: string; id: number; values: OrganizationValues }[] = [];
    for (const [key, list] of rowsOf) {
      // What the rows of one company can give it: the first address, web page, phones, e-mail.
      const first = <T>(pick: (p: PersonDraft) => T | null | '') => list.map((a) => pick(a.p)).find((v) => v) || null;
      const values: OrganizationValues = {
        name: (list[0].p.organization as { name: string }).name,
        ...(first((p) => p.businessAddress) ?? EMPTY_ADDRESS),
        website: first((p) => p.webPage) ?? '',
        phones: first((p) => p.organizationPhones) ?? '',
        email: first((p) => p.organizationEmail) ?? '',
      };
      const match = existing.get(key);
      if (match) {
        this.state.orgByName.set(key, match.id);
        fill.push({ key, id: match.id, values });
      } else {
        fresh.push({ key, values });
      }
    }
    const changed = await this.fillOrganizations(fill);
    fill.forEach(({ key, id }, i) => {
      const list = rowsOf.get(key)!;
      for (const a of list) if (a.p.organizationOnly) this.state.outcome(a.row.rowNo, changed[i] && a === list.find((x) => x.p.organizationOnly) ? 'updated' : 'skipped', changed[i] ? null : 'import.reason.organizationExists', id);
    });
    const created = await insertOrganizations(this.state.pipe, this.state.stamp, fresh.map((f) => f.values));
    created.forEach((org, i) => {
      this.created('organization', org, null);
      this.state.orgByName.set(fresh[i].key, org.id);
      const list = rowsOf.get(fresh[i].key)!;
      const orgOnly = list.filter((a) => a.p.organizationOnly);
      orgOnly.forEach((a, j) => this.state.outcome(a.row.rowNo, j === 0 ? 'created' : 'skipped', j === 0 ? null : 'import.reason.organizationExists', org.id));
    });
    for (const [key, list] of rowsOf) {
      const id = this.state.orgByName.get(key)!;
      for (const a of list) if (a.p.organizationOnly && a.p.categories.length) this.state.categories.push({ member: { organizationId: id }, names: a.p.categories });
    }
  }

  organizationIdOf(p: PersonDraft): number | null {
    if (!p.organization) return null;
    if ('key' in p.organization) return this.state.orgByKey.get(p.organization.key) ?? null;
    return this.state.orgByName.get(normalizeKey(p.organization.name)) ?? null;
  }
}
