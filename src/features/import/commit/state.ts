import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Tx } from '../../../db/client.js';
import { ADDRESS_FIELDS, type Address } from '../../../db/schema/address.js';
import { groupMemberships, mailingGroups } from '../../../db/schema/groups.js';
import { importRows, type ImportDecision, type ImportOutcome } from '../../../db/schema/imports.js';
import { organizations } from '../../../db/schema/organizations.js';
import type { User } from '../../../db/schema/users.js';
import { photoLabel } from '../../persons/model.js';
import { anyInt, chunked, Pipeline } from '../../../db/bulk.js';
import { isEmptyAddress } from '../read/mapping.js';
import type { ImportOptions } from '../options.js';
import type { PhotoDraft, RowData } from '../types.js';
import { insertMemberships, Journal, writePhotos, type MembershipWrite, type Stamp } from './writers.js';

/** Progress is reported (and on PostgreSQL written to the batch) every so many rows. */
export const PROGRESS_EVERY = 500;

export interface CommitReport {
  rows: Record<ImportOutcome, number>;
  persons: { created: number; updated: number };
  organizations: { created: number; updated: number };
  groups: { created: number };
  memberships: { created: number };
  references: { created: number };
}

export interface StoredRow {
  rowNo: number;
  kind: string;
  data: RowData;
  decision: ImportDecision | null;
  duplicateId: number | null;
  hasPhoto: boolean;
}

export interface OrgInfo {
  name: string;
  shortName: string;
  address: Address | null;
}

/**
 * What the writers of one commit share: the transaction, the journal (audit and undo records),
 * row outcomes, the report, and what has been resolved so far (ids by XML key and by name), with
 * the helpers that write to them. One object, handed to each writer (OrganizationWriter,
 * PersonWriter, RowWriter): what each may read and change is what it is given.
 */
export class CommitState {
  readonly journal: Journal;

  /** The commit's writes, sent without waiting for each one (see Pipeline); reads use `tx`. */
  readonly pipe: Pipeline;

  readonly outcomes = new Map<number, { outcome: ImportOutcome; reason: string | null; entityId: number | null }>();

  readonly report: CommitReport = {
    rows: { created: 0, updated: 0, skipped: 0, failed: 0 },
    persons: { created: 0, updated: 0 },
    organizations: { created: 0, updated: 0 },
    groups: { created: 0 },
    memberships: { created: 0 },
    references: { created: 0 },
  };

  readonly orgs = new Map<number, OrgInfo>();

  readonly orgByKey = new Map<string, number>();

  readonly orgByName = new Map<string, number>();

  readonly groupByKey = new Map<string, number>();

  readonly groupNames = new Map<number, string>();

  readonly personByKey = new Map<string, number>();

  /** Persons this commit created, with their audit entry (their groups are added to it). */
  readonly createdPersons = new Map<number, { changes: Record<string, unknown> } | null>();

  readonly references = new Map<string, number>();

  /** Outlook categories of the applied rows: person or organization id → category names. */
  readonly categories: { member: { personId: number } | { organizationId: number }; names: string[] }[] = [];

  done = 0;

  constructor(
    readonly tx: Tx,
    readonly stamp: Stamp,
    readonly options: ImportOptions,
    readonly fileName: string,
    readonly actor: User,
    readonly instance: string,
    readonly onProgress: (done: number) => Promise<void>,
  ) {
    this.journal = new Journal(stamp);
    this.pipe = new Pipeline(tx);
  }

  outcome(rowNo: number, outcome: ImportOutcome, reason: string | null = null, entityId: number | null = null) {
    this.outcomes.set(rowNo, { outcome, reason, entityId });
  }

  async tick(n = 1) {
    const before = this.done;
    this.done += n;
    if (Math.floor(before / PROGRESS_EVERY) !== Math.floor(this.done / PROGRESS_EVERY)) await this.onProgress(this.done);
  }

  remember(o: typeof organizations.$inferSelect) {
    const address = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, o[f]])) as Address;
    this.orgs.set(o.id, { name: o.name, shortName: o.shortName, address: isEmptyAddress(address) ? null : address });
  }

  /** Remembers the organizations among `ids` not yet known, with one query. */
  async loadOrgs(ids: number[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.orgs.has(id));
    if (!missing.length) return;
    for (const o of await this.tx.select().from(organizations).where(sql`${organizations.id} = ${anyInt(missing)}`)) this.remember(o);
  }

  /**
   * Writes the rows' photos to their persons. `replaced`: the photos of existing cards as their
   * history records them (photoLabel), for an update that replaces one; new cards have none.
   */
  async photos(list: { rowNo: number; personId: number }[], replaced?: Map<number, string | null>) {
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
      await writePhotos(this.pipe, photos, this.stamp.at);
      if (replaced) {
        for (const { personId, photo } of photos) this.journal.audit('person', personId, 'update', { photo: replaced.get(personId) ?? null }, { photo: photoLabel(photo) }, ['photo']);
      }
    }
  }

  async loadGroupNames(ids: number[]) {
    const missing = [...new Set(ids)].filter((id) => !this.groupNames.has(id));
    if (!missing.length) return;
    const rows = await this.tx.select({ id: mailingGroups.id, name: mailingGroups.name }).from(mailingGroups).where(sql`${mailingGroups.id} = ${anyInt(missing)}`);
    for (const r of rows) this.groupNames.set(r.id, r.name);
  }


  /** Active memberships that already exist among these (group, member) pairs. */
  async activeMemberships(groupIds: number[], personIds: number[], orgIds: number[]): Promise<Set<string>> {
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

  async insertMemberships(list: (MembershipWrite & { rowNo?: number; reasonKey?: string | null })[]) {
    const ids = await insertMemberships(this.pipe, this.stamp, list);
    // One audit entry per member naming all the groups it joined, as one "+" per group would.
    const joined = new Map<string, string[]>();
    list.forEach((m, i) => {
      const id = ids[i];
      this.journal.change('membership', id, 'created');
      const member = m.personId ? `person:${m.personId}` : `organization:${m.organizationId}`;
      const names = joined.get(member);
      if (names) names.push(this.groupNames.get(m.groupId) ?? '');
      else joined.set(member, [this.groupNames.get(m.groupId) ?? '']);
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
}
