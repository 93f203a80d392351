import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Database, Tx } from '../../db/client.js';
import { ADDRESS_FIELDS, type Address } from '../../db/schema/address.js';
import { documents } from '../../db/schema/documents.js';
import { groupMemberships, mailingGroups } from '../../db/schema/groups.js';
import { importBatches, importRows, type ImportDecision, type ImportOutcome } from '../../db/schema/imports.js';
import { organizations } from '../../db/schema/organizations.js';
import { personEmails, personPhones, personPhotos, persons, type Person } from '../../db/schema/persons.js';
import { referenceTables, regions, type ReferenceKind } from '../../db/schema/references.js';
import type { User } from '../../db/schema/users.js';
import { translator } from '../../i18n/index.js';
import { digitsOf, normalizeKey } from '../../lib/text.js';
import { instanceId } from '../export/keys.js';
import { ORGANIZATION_FIELDS } from '../organizations/service.js';
import { REFERENCE_ENTITY_TYPES } from '../references/service.js';
import { EMPTY_ADDRESS, isEmptyAddress, sameAddress } from './mapping.js';
import { groupsByName, organizationsByName, recordsByKey } from './match.js';
import type { ImportOptions } from './options.js';
import type { GroupDraft, MembershipDraft, OrganizationDraft, PersonDraft, PhotoDraft, RowData } from './types.js';
import { anyInt, anyText, chunked } from './bulk.js';
import {
  auditablePerson,
  derivedPersonColumns,
  insertGroups,
  insertMemberships,
  insertOrganizations,
  insertPersons,
  Journal,
  PERSON_AUDIT_FIELDS,
  writeContacts,
  writeOutcomes,
  writePhotos,
  type MembershipWrite,
  type OrganizationValues,
  type PersonValues,
  type PersonWrite,
  type Stamp,
} from './writers.js';

/**
 * The commit: every row of a batch written in ONE transaction (all or nothing), with progress.
 * It runs after the request that started it has been answered; the page polls the batch. Rows
 * are written in bulk (a few statements per 500 rows), with the audit entries and the undo
 * records (import_changes) the services would write.
 */
export interface CommitReport {
  rows: Record<ImportOutcome, number>;
  persons: { created: number; updated: number };
  organizations: { created: number; updated: number };
  groups: { created: number };
  memberships: { created: number };
  references: { created: number };
}

interface StoredRow {
  rowNo: number;
  kind: string;
  data: RowData;
  decision: ImportDecision | null;
  duplicateId: number | null;
  hasPhoto: boolean;
}

interface OrgInfo {
  name: string;
  shortName: string;
  address: Address | null;
}

/** Progress of commits running in this process, read by the polling page before the database. */
const running = new Map<number, { done: number; total: number }>();

export function liveProgress(batchId: number) {
  return running.get(batchId);
}

const PROGRESS_EVERY = 500;
const MAX_EMAILS = 10;

export async function runCommit(database: Database, actor: User, batchId: number, log: FastifyBaseLogger): Promise<void> {
  const db = database.db;
  const progress = { done: 0, total: 0 };
  running.set(batchId, progress);
  let lastWrite = 0;
  // On PostgreSQL another connection can record progress while the transaction runs; PGlite has
  // one connection, held by the transaction, so there the in-process counter is all there is.
  const report = async (done: number) => {
    progress.done = done;
    if (database.driver !== 'pg' || done - lastWrite < PROGRESS_EVERY) return;
    lastWrite = done;
    await db.update(importBatches).set({ done, progressAt: new Date() }).where(eq(importBatches.id, batchId));
  };
  try {
    await db.transaction(async (tx) => {
      const [batch] = await tx.select().from(importBatches).where(eq(importBatches.id, batchId)).for('update');
      if (!batch || batch.status !== 'committing') return;
      const rows = (await tx
        .select({ rowNo: importRows.rowNo, kind: importRows.kind, data: importRows.data, decision: importRows.decision, duplicateId: importRows.duplicateId, hasPhoto: sql<boolean>`${importRows.photoOriginal} is not null` })
        .from(importRows)
        .where(eq(importRows.batchId, batchId))
        .orderBy(asc(importRows.rowNo))) as StoredRow[];
      progress.total = rows.length;
      const stamp: Stamp = { userId: actor.id, at: new Date(), batchId };
      const commit = new Commit(tx, stamp, batch.options as ImportOptions, batch.fileName, actor, await instanceId(tx), report);
      const result = await commit.run(rows);
      await tx
        .update(importBatches)
        .set({ status: 'committed', committedAt: stamp.at, committedBy: actor.id, report: result, done: rows.length, progressAt: new Date(), error: null, version: batch.version + 1 })
        .where(eq(importBatches.id, batchId));
    });
  } catch (err) {
    log.error({ err, batchId }, 'import commit failed');
    await db
      .update(importBatches)
      .set({ status: 'failed', error: 'import.commitFailed', progressAt: new Date() })
      .where(eq(importBatches.id, batchId))
      .catch((e: unknown) => log.error({ err: e, batchId }, 'could not mark the import as failed'));
  } finally {
    running.delete(batchId);
  }
}

class Commit {
  private readonly journal: Journal;
  private readonly outcomes = new Map<number, { outcome: ImportOutcome; reason: string | null; entityId: number | null }>();
  private readonly report: CommitReport = {
    rows: { created: 0, updated: 0, skipped: 0, failed: 0 },
    persons: { created: 0, updated: 0 },
    organizations: { created: 0, updated: 0 },
    groups: { created: 0 },
    memberships: { created: 0 },
    references: { created: 0 },
  };
  private readonly orgs = new Map<number, OrgInfo>();
  private readonly orgByKey = new Map<string, number>();
  private readonly orgByName = new Map<string, number>();
  private readonly groupByKey = new Map<string, number>();
  private readonly groupNames = new Map<number, string>();
  private readonly personByKey = new Map<string, number>();
  /** Persons this commit created, with their audit entry (their groups are added to it). */
  private readonly createdPersons = new Map<number, { changes: Record<string, unknown> } | null>();
  private readonly updatedPersons = new Map<number, { versionAfter: number | null }>();
  private readonly references = new Map<string, number>();
  /** Outlook categories of the applied rows: person or organization id → category names. */
  private readonly categories: { member: { personId: number } | { organizationId: number }; names: string[] }[] = [];
  private done = 0;

  constructor(
    private readonly tx: Tx,
    private readonly stamp: Stamp,
    private readonly options: ImportOptions,
    private readonly fileName: string,
    private readonly actor: User,
    private readonly instance: string,
    private readonly onProgress: (done: number) => Promise<void>,
  ) {
    this.journal = new Journal(stamp);
  }

  async run(rows: StoredRow[]): Promise<CommitReport> {
    const of = (kind: string) => rows.filter((r) => r.kind === kind);
    await this.groups(of('group'));
    await this.organizations(of('organization'));
    await this.persons(of('person'));
    await this.memberships(of('membership'));
    await this.categoryMemberships();
    await this.journal.flush(this.tx);
    const outcomes = [...this.outcomes].map(([rowNo, o]) => ({ rowNo, ...o }));
    for (const o of outcomes) this.report.rows[o.outcome]++;
    // Rows of a committed batch without an outcome were created: writing 'created' into every
    // row would rewrite the whole batch once more.
    await writeOutcomes(this.tx, this.stamp.batchId, outcomes.filter((o) => o.outcome !== 'created' || o.reason));
    return this.report;
  }

  private outcome(rowNo: number, outcome: ImportOutcome, reason: string | null = null, entityId: number | null = null) {
    this.outcomes.set(rowNo, { outcome, reason, entityId });
  }

  private async tick(n = 1) {
    const before = this.done;
    this.done += n;
    if (Math.floor(before / PROGRESS_EVERY) !== Math.floor(this.done / PROGRESS_EVERY)) await this.onProgress(this.done);
  }

  // ---- groups (XML) ----

  private async groups(rows: StoredRow[]) {
    if (!rows.length) return;
    const drafts = rows.map((r) => (r.data as { group: GroupDraft }).group);
    const byKey = await recordsByKey(this.tx, 'group', drafts.map((g) => g.key), this.instance);
    const byName = await groupsByName(this.tx, drafts.map((g) => g.name));
    const fresh: { row: StoredRow; g: GroupDraft }[] = [];
    const freshByName = new Map<string, StoredRow[]>();
    for (const [i, row] of rows.entries()) {
      const g = drafts[i];
      const existing = byKey.get(g.key) ?? byName.get(normalizeKey(g.name))?.id;
      if (existing) {
        this.groupByKey.set(g.key, existing);
        this.outcome(row.rowNo, 'skipped', 'import.reason.groupExists', existing);
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
    const created = await insertGroups(this.tx, this.stamp, fresh.map(({ g }) => ({ name: g.name, description: g.description, mark: g.mark, archivedAt: g.archivedAt ? new Date(g.archivedAt) : null })));
    created.forEach((row, i) => {
      const { g } = fresh[i];
      this.groupNames.set(row.id, row.name);
      this.journal.audit('group', row.id, 'create', null, row, ['name', 'description', 'mark']);
      this.journal.change('group', row.id, 'created', { versionAfter: row.version, externalKey: g.key });
      this.report.groups.created++;
      for (const r of freshByName.get(row.sortKey) ?? []) {
        const key = (r.data as { group: GroupDraft }).group.key;
        this.groupByKey.set(key, row.id);
        this.outcome(r.rowNo, r === fresh[i].row ? 'created' : 'skipped', r === fresh[i].row ? null : 'import.reason.groupExists', row.id);
      }
    });
    await this.tick(rows.length);
  }

  // ---- organizations (XML rows, and Outlook companies) ----

  private async referenceId(kind: ReferenceKind, name: string): Promise<number | null> {
    if (!name) return null;
    const sortKey = normalizeKey(name);
    const cacheKey = `${kind}|${sortKey}`;
    const cached = this.references.get(cacheKey);
    if (cached) return cached;
    // The three lists share one shape (see references/queries.ts): one static type for all.
    const table = referenceTables[kind] as typeof regions;
    const [found] = await this.tx.select({ id: table.id }).from(table).where(eq(table.sortKey, sortKey));
    let row: { id: number } = found;
    if (!row) {
      [row] = await this.tx.insert(table).values({ name, sortKey, updatedBy: this.actor.id, createdAt: this.stamp.at, updatedAt: this.stamp.at }).returning({ id: table.id });
      const entity = REFERENCE_ENTITY_TYPES[kind] as 'region' | 'activity' | 'category';
      this.journal.audit(entity, row.id, 'create', null, { name }, ['name']);
      this.journal.change(entity, row.id, 'created', { versionAfter: 1 });
      this.report.references.created++;
    }
    this.references.set(cacheKey, row.id);
    return row.id;
  }

  private remember(o: typeof organizations.$inferSelect) {
    const address = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, o[f]])) as Address;
    this.orgs.set(o.id, { name: o.name, shortName: o.shortName, address: isEmptyAddress(address) ? null : address });
  }

  private async organizations(rows: StoredRow[]) {
    if (!rows.length) return;
    const drafts = rows.map((r) => (r.data as { organization: OrganizationDraft }).organization);
    const byKey = await recordsByKey(this.tx, 'organization', drafts.map((o) => o.key), this.instance);
    const byName = await organizationsByName(this.tx, drafts.map((o) => o.name));
    const fresh: { row: StoredRow; o: OrganizationDraft; values: OrganizationValues }[] = [];
    for (const [i, row] of rows.entries()) {
      const o = drafts[i];
      const values: OrganizationValues = {
        name: o.name,
        shortName: o.shortName,
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
        this.orgByKey.set(o.key, existing);
        const changed = await this.fillOrganization(existing, values);
        this.outcome(row.rowNo, changed ? 'updated' : 'skipped', changed ? null : 'import.reason.organizationExists', existing);
      } else {
        fresh.push({ row, o, values });
      }
    }
    const created = await insertOrganizations(this.tx, this.stamp, fresh.map((f) => f.values));
    created.forEach((org, i) => {
      this.created('organization', org, fresh[i].o.key);
      this.orgByKey.set(fresh[i].o.key, org.id);
      this.outcome(fresh[i].row.rowNo, 'created', null, org.id);
    });
    await this.tick(rows.length);
  }

  private created(kind: 'organization', org: typeof organizations.$inferSelect, externalKey: string | null) {
    this.remember(org);
    this.journal.audit(kind, org.id, 'create', null, org, ORGANIZATION_FIELDS);
    this.journal.change(kind, org.id, 'created', { versionAfter: org.version, externalKey });
    this.report.organizations.created++;
  }

  /**
   * An existing organization gets only what it lacks: the address when it has none, and empty
   * fields; what a secretary typed is never overwritten by a file. True when anything changed.
   */
  private async fillOrganization(id: number, values: Partial<OrganizationValues>): Promise<boolean> {
    const [before] = await this.tx.select().from(organizations).where(eq(organizations.id, id)).for('update');
    if (!before) return false;
    const set: Record<string, unknown> = {};
    const beforeAddress = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, before[f]])) as Address;
    const address = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, (values as Record<string, unknown>)[f] ?? ''])) as Address;
    if (isEmptyAddress(beforeAddress) && !isEmptyAddress(address)) Object.assign(set, address);
    for (const f of ['shortName', 'phones', 'email', 'website', 'note'] as const) {
      if (!before[f] && values[f]) set[f] = values[f];
    }
    for (const f of ['regionId', 'activityId', 'categoryId'] as const) {
      if (before[f] === null && values[f]) set[f] = values[f];
    }
    if (Object.keys(set).length === 0) {
      this.remember(before);
      return false;
    }
    const [after] = await this.tx
      .update(organizations)
      .set({ ...set, version: before.version + 1, updatedAt: this.stamp.at, updatedBy: this.actor.id, ...(set.shortName ? { searchText: normalizeKey(`${before.name} ${String(set.shortName)}`) } : {}) })
      .where(eq(organizations.id, id))
      .returning();
    this.remember(after);
    this.journal.audit('organization', id, 'update', before, after, ORGANIZATION_FIELDS);
    this.journal.change('organization', id, 'updated', { before, versionAfter: after.version });
    this.report.organizations.updated++;
    return true;
  }

  /** Outlook companies: matched by name, else created, from the rows that will be applied. */
  private async companies(applied: { row: StoredRow; p: PersonDraft }[]) {
    const rowsOf = new Map<string, { row: StoredRow; p: PersonDraft }[]>();
    for (const a of applied) {
      if (!a.p.organization || !('name' in a.p.organization)) continue;
      const k = normalizeKey(a.p.organization.name);
      rowsOf.set(k, [...(rowsOf.get(k) ?? []), a]);
    }
    if (!rowsOf.size) return;
    const existing = await organizationsByName(this.tx, [...rowsOf.keys()]);
    const fresh: { key: string; values: OrganizationValues }[] = [];
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
        this.orgByName.set(key, match.id);
        const changed = await this.fillOrganization(match.id, values);
        for (const a of list) if (a.p.organizationOnly) this.outcome(a.row.rowNo, changed && a === list.find((x) => x.p.organizationOnly) ? 'updated' : 'skipped', changed ? null : 'import.reason.organizationExists', match.id);
      } else {
        fresh.push({ key, values });
      }
    }
    const created = await insertOrganizations(this.tx, this.stamp, fresh.map((f) => f.values));
    created.forEach((org, i) => {
      this.created('organization', org, null);
      this.orgByName.set(fresh[i].key, org.id);
      const list = rowsOf.get(fresh[i].key)!;
      const orgOnly = list.filter((a) => a.p.organizationOnly);
      orgOnly.forEach((a, j) => this.outcome(a.row.rowNo, j === 0 ? 'created' : 'skipped', j === 0 ? null : 'import.reason.organizationExists', org.id));
    });
    for (const [key, list] of rowsOf) {
      const id = this.orgByName.get(key)!;
      for (const a of list) if (a.p.organizationOnly && a.p.categories.length) this.categories.push({ member: { organizationId: id }, names: a.p.categories });
    }
  }

  private organizationIdOf(p: PersonDraft): number | null {
    if (!p.organization) return null;
    if ('key' in p.organization) return this.orgByKey.get(p.organization.key) ?? null;
    return this.orgByName.get(normalizeKey(p.organization.name)) ?? null;
  }

  // ---- persons ----

  private async persons(rows: StoredRow[]) {
    if (!rows.length) return;
    const applied: { row: StoredRow; p: PersonDraft; decision: ImportDecision }[] = [];
    for (const row of rows) {
      const p = (row.data as { person: PersonDraft }).person;
      if (!p.surname && !p.organizationOnly) {
        this.outcome(row.rowNo, 'failed', 'import.reason.noName');
        continue;
      }
      const decision: ImportDecision = p.organizationOnly || !row.duplicateId ? 'create' : (row.decision ?? this.options.decision);
      if (decision === 'skip') {
        this.outcome(row.rowNo, 'skipped', 'import.reason.duplicateSkipped', row.duplicateId);
        if (p.key && row.duplicateId) this.personByKey.set(p.key, row.duplicateId);
        continue;
      }
      applied.push({ row, p, decision });
    }
    await this.companies(applied);
    await this.tick(rows.length - applied.length);

    const toCreate: { row: StoredRow; p: PersonDraft; write: PersonWrite }[] = [];
    for (const a of applied) {
      if (a.p.organizationOnly) continue;
      const organizationId = this.organizationIdOf(a.p);
      const address = this.ownAddress(a.p, organizationId);
      if (a.decision === 'update' && a.row.duplicateId) {
        const done = await this.updatePerson(a.row, a.p, a.row.duplicateId, organizationId, address);
        if (done) {
          await this.tick();
          continue;
        }
      }
      toCreate.push({ row: a.row, p: a.p, write: { values: this.values(a.p, organizationId, address), phones: a.p.phones, emails: a.p.emails.slice(0, MAX_EMAILS) } });
    }

    for (const part of chunked(toCreate, 2000)) {
      const ids = await insertPersons(this.tx, this.stamp, part.map((c) => c.write), (id) => (id ? (this.orgs.get(id) ?? null) : null));
      part.forEach((c, i) => {
        const id = ids[i];
        if (c.p.key) this.personByKey.set(c.p.key, id);
        this.createdPersons.set(id, this.journal.audit('person', id, 'create', null, auditablePerson(c.write.values, c.write.phones, c.write.emails), PERSON_AUDIT_FIELDS));
        this.journal.change('person', id, 'created', { versionAfter: 1, externalKey: c.p.key });
        this.outcome(c.row.rowNo, 'created', null, id);
        this.report.persons.created++;
        if (c.p.categories.length) this.categories.push({ member: { personId: id }, names: c.p.categories });
      });
      await this.photos(part.flatMap((c, i) => (c.row.hasPhoto ? [{ rowNo: c.row.rowNo, personId: ids[i] }] : [])));
      await this.tick(part.length);
    }
  }

  /** The business address goes to the person only when the organization has another one. */
  private ownAddress(p: PersonDraft, organizationId: number | null): Address {
    const b = p.businessAddress;
    if (!b || organizationId === null || !isEmptyAddress(p.address)) return p.address;
    const orgAddress = this.orgs.get(organizationId)?.address ?? null;
    return orgAddress && !sameAddress(orgAddress, b) ? b : p.address;
  }

  private values(p: PersonDraft, organizationId: number | null, address: Address): PersonValues {
    return {
      surname: p.surname,
      firstName: p.firstName,
      patronymic: p.patronymic,
      influence: p.influence,
      organizationId,
      jobTitle: p.jobTitle,
      gender: p.gender,
      dativeOverride: p.dativeOverride,
      note: p.note,
      ...address,
      archivedAt: p.archivedAt ? new Date(p.archivedAt) : null,
    };
  }

  private async photos(list: { rowNo: number; personId: number }[]) {
    for (const part of chunked(list, 50)) {
      if (!part.length) continue;
      const stored = await this.tx
        .select({ rowNo: importRows.rowNo, thumbnail: importRows.photoThumbnail, original: importRows.photoOriginal, originalType: importRows.photoType, width: importRows.photoWidth, height: importRows.photoHeight })
        .from(importRows)
        .where(and(eq(importRows.batchId, this.stamp.batchId), sql`${importRows.rowNo} = ${anyInt(part.map((x) => x.rowNo))}`));
      const byRow = new Map(stored.map((s) => [s.rowNo, s]));
      const photos: { personId: number; photo: PhotoDraft }[] = [];
      for (const x of part) {
        const s = byRow.get(x.rowNo);
        if (s?.thumbnail && s.original) photos.push({ personId: x.personId, photo: { thumbnail: s.thumbnail, original: s.original, originalType: s.originalType ?? 'image/png', width: s.width ?? 0, height: s.height ?? 0 } });
      }
      await writePhotos(this.tx, photos, this.stamp.at);
    }
  }

  /**
   * "Update the existing card": the file's non-empty values replace the card's, its phones and
   * e-mails are added to the card's, its photo replaces the card's. The card as it was is kept
   * for undo. False when the card no longer exists (the row is then created instead).
   */
  private async updatePerson(row: StoredRow, p: PersonDraft, id: number, organizationId: number | null, address: Address): Promise<boolean> {
    const [before] = await this.tx.select().from(persons).where(eq(persons.id, id)).for('update');
    if (!before) return false;
    const [phones, emails, photo] = await Promise.all([
      this.tx.select().from(personPhones).where(eq(personPhones.personId, id)).orderBy(asc(personPhones.position), asc(personPhones.id)),
      this.tx.select().from(personEmails).where(eq(personEmails.personId, id)).orderBy(asc(personEmails.position), asc(personEmails.id)),
      row.hasPhoto ? this.tx.select().from(personPhotos).where(eq(personPhotos.personId, id)) : Promise.resolve([]),
    ]);
    const oldPhones = phones.map((x) => ({ kind: x.kind, number: x.number }));
    const oldEmails = emails.map((x) => x.email);
    const digits = new Set(oldPhones.map((x) => digitsOf(x.number)));
    const newPhones = [...oldPhones, ...p.phones.filter((x) => !digits.has(digitsOf(x.number)))];
    const lower = new Set(oldEmails.map((e) => e.toLowerCase()));
    const newEmails = [...oldEmails, ...p.emails.filter((e) => !lower.has(e.toLowerCase()))].slice(0, Math.max(MAX_EMAILS, oldEmails.length));
    const pick = <K extends keyof Person>(k: K, v: Person[K], keep: boolean) => (keep ? before[k] : v);
    const values: PersonValues = {
      surname: p.surname,
      firstName: pick('firstName', p.firstName, !p.firstName),
      patronymic: pick('patronymic', p.patronymic, !p.patronymic),
      influence: pick('influence', p.influence, p.influence === 0),
      organizationId: organizationId ?? before.organizationId,
      jobTitle: pick('jobTitle', p.jobTitle, !p.jobTitle),
      gender: pick('gender', p.gender, p.gender === 'unspecified'),
      dativeOverride: pick('dativeOverride', p.dativeOverride, !p.dativeOverride),
      note: pick('note', p.note, !p.note),
      ...(isEmptyAddress(address) ? (Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, before[f]])) as Address) : address),
      archivedAt: before.archivedAt,
    };
    const org = values.organizationId ? (this.orgs.get(values.organizationId) ?? (await this.loadOrg(values.organizationId))) : null;
    const write: PersonWrite = { values, phones: newPhones, emails: newEmails };
    const [after] = await this.tx
      .update(persons)
      .set({ ...values, ...derivedPersonColumns(write, org), version: before.version + 1, updatedAt: this.stamp.at, updatedBy: this.actor.id })
      .where(eq(persons.id, id))
      .returning();
    await this.tx.delete(personPhones).where(eq(personPhones.personId, id));
    await this.tx.delete(personEmails).where(eq(personEmails.personId, id));
    await writeContacts(this.tx, [{ personId: id, phones: newPhones, emails: newEmails }]);
    this.journal.audit('person', id, 'update', auditablePerson(before, oldPhones, oldEmails), auditablePerson(after, newPhones, newEmails), PERSON_AUDIT_FIELDS);
    const earlier = this.updatedPersons.get(id);
    if (earlier) {
      // A second row for the same card: undo restores the card as it was before the first one.
      earlier.versionAfter = after.version;
    } else {
      const oldPhoto = photo[0] ? { thumbnail: photo[0].thumbnail.toString('base64'), original: photo[0].original.toString('base64'), originalType: photo[0].originalType, width: photo[0].width, height: photo[0].height } : null;
      const change = this.journal.change('person', id, 'updated', { before: { ...before, phones: oldPhones, emails: oldEmails, photo: row.hasPhoto ? oldPhoto : undefined }, versionAfter: after.version });
      this.updatedPersons.set(id, change);
      this.report.persons.updated++;
    }
    if (row.hasPhoto) await this.photos([{ rowNo: row.rowNo, personId: id }]);
    if (p.key) this.personByKey.set(p.key, id);
    if (p.categories.length) this.categories.push({ member: { personId: id }, names: p.categories });
    this.outcome(row.rowNo, 'updated', null, id);
    return true;
  }

  private async loadOrg(id: number): Promise<OrgInfo | null> {
    const [o] = await this.tx.select().from(organizations).where(eq(organizations.id, id));
    if (!o) return null;
    this.remember(o);
    return this.orgs.get(id)!;
  }

  // ---- memberships ----

  /** Active memberships that already exist among these (group, member) pairs. */
  private async activeMemberships(groupIds: number[], personIds: number[], orgIds: number[]): Promise<Set<string>> {
    const out = new Set<string>();
    if (!groupIds.length) return out;
    for (const [col, ids, prefix] of [
      [groupMemberships.personId, personIds, 'p'],
      [groupMemberships.organizationId, orgIds, 'o'],
    ] as const) {
      for (const part of chunked([...new Set(ids)], 50000)) {
        if (!part.length) continue;
        const rows = await this.tx
          .select({ groupId: groupMemberships.groupId, memberId: col })
          .from(groupMemberships)
          .where(and(isNull(groupMemberships.removedAt), sql`${col} = ${anyInt(part)}`, sql`${groupMemberships.groupId} = ${anyInt([...new Set(groupIds)])}`));
        for (const r of rows) out.add(`${r.groupId}|${prefix}${r.memberId}`);
      }
    }
    return out;
  }

  private async insertMemberships(list: (MembershipWrite & { rowNo?: number; reasonKey?: string | null })[]) {
    const ids = await insertMemberships(this.tx, this.stamp, list);
    // One audit entry per member naming all the groups it joined, as one "+" per group would.
    const joined = new Map<string, string[]>();
    list.forEach((m, i) => {
      const id = ids[i];
      this.journal.change('membership', id, 'created');
      const member = m.personId ? `person:${m.personId}` : `organization:${m.organizationId}`;
      joined.set(member, [...(joined.get(member) ?? []), this.groupNames.get(m.groupId) ?? '']);
      if (m.rowNo !== undefined) this.outcome(m.rowNo, 'created', m.reasonKey ?? null, id);
      this.report.memberships.created++;
    });
    for (const [member, groups] of joined) {
      const [type, id] = member.split(':');
      // A card this commit created says in its own "create" entry which groups it joined.
      const created = type === 'person' ? this.createdPersons.get(Number(id)) : undefined;
      if (created) created.changes.groups = [null, groups.join(', ')];
      else this.journal.audit(type, Number(id), 'update', { groups: null }, { groups: groups.join(', ') }, ['groups']);
    }
  }

  /** XML memberships: between the records of the file, as they were resolved above. */
  private async memberships(rows: StoredRow[]) {
    if (!rows.length) return;
    const drafts = rows.map((r) => (r.data as { membership: MembershipDraft }).membership);
    await this.loadGroupNames([...this.groupByKey.values()]);
    const numbers = [...new Set(drafts.flatMap((m) => m.documents.map((d) => d.toLowerCase())))];
    const docIds = new Map<string, number>();
    if (numbers.length) {
      const found = await this.tx.select({ id: documents.id, n: sql<string>`lower(${documents.regNumber})` }).from(documents).where(sql`lower(${documents.regNumber}) = ${anyText(numbers)}`);
      for (const d of found) docIds.set(d.n, d.id);
    }
    const resolved = drafts.map((m) => ({
      groupId: this.groupByKey.get(m.group) ?? null,
      personId: m.person ? (this.personByKey.get(m.person) ?? null) : null,
      organizationId: m.organization ? (this.orgByKey.get(m.organization) ?? null) : null,
    }));
    const active = await this.activeMemberships(
      resolved.flatMap((r) => (r.groupId ? [r.groupId] : [])),
      resolved.flatMap((r) => (r.personId ? [r.personId] : [])),
      resolved.flatMap((r) => (r.organizationId ? [r.organizationId] : [])),
    );
    const writes: (MembershipWrite & { rowNo: number; reasonKey: string | null })[] = [];
    for (const [i, row] of rows.entries()) {
      const m = drafts[i];
      const r = resolved[i];
      if (!r.groupId || (!r.personId && !r.organizationId)) {
        this.outcome(row.rowNo, 'skipped', 'import.reason.memberSkipped');
        continue;
      }
      const createdMember = r.personId ? this.createdPersons.has(r.personId) : this.createdOrganization(r.organizationId!);
      // History (former memberships) belongs to cards this import creates, not to existing ones.
      if (m.removedAt && !createdMember) {
        this.outcome(row.rowNo, 'skipped', 'import.reason.formerSkipped');
        continue;
      }
      const pair = `${r.groupId}|${r.personId ? `p${r.personId}` : `o${r.organizationId}`}`;
      if (!m.removedAt && active.has(pair)) {
        this.outcome(row.rowNo, 'skipped', 'import.reason.alreadyMember');
        continue;
      }
      if (!m.removedAt) active.add(pair);
      const ids = m.documents.map((d) => docIds.get(d.toLowerCase())).filter((x): x is number => x !== undefined);
      writes.push({
        rowNo: row.rowNo,
        reasonKey: ids.length < m.documents.length ? 'import.reason.documentsNotFound' : null,
        groupId: r.groupId,
        personId: r.personId,
        organizationId: r.organizationId,
        reason: m.reason,
        addedAt: m.addedAt ? new Date(m.addedAt) : this.stamp.at,
        removedAt: m.removedAt ? new Date(m.removedAt) : null,
        documentIds: [...new Set(ids)],
      });
    }
    await this.insertMemberships(writes);
    await this.tick(rows.length);
  }

  private createdOrganization(id: number): boolean {
    return this.journal.isCreated('organization', id);
  }

  private async loadGroupNames(ids: number[]) {
    const missing = [...new Set(ids)].filter((id) => !this.groupNames.has(id));
    if (!missing.length) return;
    const rows = await this.tx.select({ id: mailingGroups.id, name: mailingGroups.name }).from(mailingGroups).where(sql`${mailingGroups.id} = ${anyInt(missing)}`);
    for (const r of rows) this.groupNames.set(r.id, r.name);
  }

  /** Outlook categories → mailing groups (when chosen in the preview), matched by name or created. */
  private async categoryMemberships() {
    if (!this.options.createGroups || !this.categories.length) return;
    const names = this.categories.flatMap((c) => c.names);
    const existing = await groupsByName(this.tx, names);
    const missing = new Map<string, string>();
    for (const n of names) if (!existing.has(normalizeKey(n)) && !missing.has(normalizeKey(n))) missing.set(normalizeKey(n), n);
    const created = await insertGroups(this.tx, this.stamp, [...missing.values()].map((name) => ({ name, description: '', mark: 'none' as const, archivedAt: null })));
    for (const g of created) {
      existing.set(g.sortKey, { id: g.id, archived: false });
      this.groupNames.set(g.id, g.name);
      this.journal.audit('group', g.id, 'create', null, g, ['name', 'description', 'mark']);
      this.journal.change('group', g.id, 'created', { versionAfter: g.version });
      this.report.groups.created++;
    }
    await this.loadGroupNames([...existing.values()].map((g) => g.id));
    // Cards created just now have no memberships yet: only the others are looked up.
    const active = await this.activeMemberships(
      [...existing.values()].map((g) => g.id),
      this.categories.flatMap((c) => ('personId' in c.member && !this.createdPersons.has(c.member.personId) ? [c.member.personId] : [])),
      this.categories.flatMap((c) => ('organizationId' in c.member ? [c.member.organizationId] : [])),
    );
    const t = translator(this.actor.locale);
    const writes: MembershipWrite[] = [];
    for (const c of this.categories) {
      for (const name of c.names) {
        const g = existing.get(normalizeKey(name));
        // An archived group takes no new members, from a file or otherwise.
        if (!g || g.archived) continue;
        const pair = `${g.id}|${'personId' in c.member ? `p${c.member.personId}` : `o${c.member.organizationId}`}`;
        if (active.has(pair)) continue;
        active.add(pair);
        writes.push({
          groupId: g.id,
          personId: 'personId' in c.member ? c.member.personId : null,
          organizationId: 'organizationId' in c.member ? c.member.organizationId : null,
          reason: t('import.membershipReason', { category: name, file: this.fileName }),
          addedAt: this.stamp.at,
          removedAt: null,
          documentIds: [],
        });
      }
    }
    await this.insertMemberships(writes);
  }
}
