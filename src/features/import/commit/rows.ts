import { sql } from 'drizzle-orm';
import { documents } from '../../../db/schema/documents.js';
import { translator } from '../../../i18n/index.js';
import { normalizeKey } from '../../../lib/text.js';
import { anyText } from '../../../db/bulk.js';
import { groupsByName } from '../preview/match.js';
import type { MembershipDraft } from '../types.js';
import { insertGroups, writeOutcomes, type MembershipWrite, type Stamp } from './writers.js';
import type { Tx } from '../../../db/client.js';
import type { User } from '../../../db/schema/users.js';
import type { ImportOptions } from '../options.js';
import { OrganizationWriter } from './organizations.js';
import { PersonWriter } from './persons.js';
import { CommitState, type CommitReport, type StoredRow } from './state.js';

/**
 * Writes a batch's rows inside the commit's transaction: groups, organizations, persons,
 * memberships, in bulk (a few statements per thousand rows), with the audit entries and the undo
 * records (import_changes) the services would write.
 */
export class RowWriter {
  private readonly state: CommitState;
  private readonly organizationWriter: OrganizationWriter;
  private readonly personWriter: PersonWriter;

  constructor(tx: Tx, stamp: Stamp, options: ImportOptions, fileName: string, actor: User, instance: string, onProgress: (done: number) => Promise<void>) {
    this.state = new CommitState(tx, stamp, options, fileName, actor, instance, onProgress);
    this.organizationWriter = new OrganizationWriter(this.state);
    this.personWriter = new PersonWriter(this.state, this.organizationWriter);
  }

  async run(rows: StoredRow[]): Promise<CommitReport> {
    try {
      return await this.write(rows);
    } catch (err) {
      // A read after a failed pipelined write fails only because the transaction was aborted.
      throw this.state.pipe.error ?? err;
    }
  }

  private async write(rows: StoredRow[]): Promise<CommitReport> {
    const of = (kind: string) => rows.filter((r) => r.kind === kind);
    await this.organizationWriter.groups(of('group'));
    await this.organizationWriter.organizations(of('organization'));
    await this.personWriter.persons(of('person'));
    await this.memberships(of('membership'));
    await this.categoryMemberships();
    await this.state.journal.flush(this.state.pipe);
    const outcomes = [...this.state.outcomes].map(([rowNo, o]) => ({ rowNo, ...o }));
    for (const o of outcomes) this.state.report.rows[o.outcome]++;
    // Rows of a committed batch without an outcome were created: writing 'created' into every
    // row would rewrite the whole batch once more.
    await writeOutcomes(this.state.pipe, this.state.stamp.batchId, outcomes.filter((o) => o.outcome !== 'created' || o.reason));
    await this.state.pipe.flush();
    return this.state.report;
  }

  /** XML memberships: between the records of the file, as they were resolved above. */
  private async memberships(rows: StoredRow[]) {
    if (!rows.length) return;
    const drafts = rows.map((r) => (r.data as { membership: MembershipDraft }).membership);
    await this.state.loadGroupNames([...this.state.groupByKey.values()]);
    const numbers = [...new Set(drafts.flatMap((m) => m.documents.map((d) => d.toLowerCase())))];
    const docIds = new Map<string, number>();
    if (numbers.length) {
      const found = await this.state.tx.select({ id: documents.id, n: sql<string>`lower(${documents.regNumber})` }).from(documents).where(sql`lower(${documents.regNumber}) = ${anyText(numbers)}`);
      for (const d of found) docIds.set(d.n, d.id);
    }
    const resolved = drafts.map((m) => ({
      groupId: this.state.groupByKey.get(m.group) ?? null,
      personId: m.person ? (this.state.personByKey.get(m.person) ?? null) : null,
      organizationId: m.organization ? (this.state.orgByKey.get(m.organization) ?? null) : null,
    }));
    const active = await this.state.activeMemberships(
      resolved.flatMap((r) => (r.groupId ? [r.groupId] : [])),
      resolved.flatMap((r) => (r.personId ? [r.personId] : [])),
      resolved.flatMap((r) => (r.organizationId ? [r.organizationId] : [])),
    );
    const writes: (MembershipWrite & { rowNo: number; reasonKey: string | null })[] = [];
    for (const [i, row] of rows.entries()) {
      const m = drafts[i];
      const r = resolved[i];
      if (!r.groupId || (!r.personId && !r.organizationId)) {
        this.state.outcome(row.rowNo, 'skipped', 'import.reason.memberSkipped');
        continue;
      }
      const createdMember = r.personId ? this.state.createdPersons.has(r.personId) : this.state.journal.isCreated('organization', r.organizationId!);
      // History (former memberships) belongs to cards this import creates, not to existing ones.
      if (m.removedAt && !createdMember) {
        this.state.outcome(row.rowNo, 'skipped', 'import.reason.formerSkipped');
        continue;
      }
      const pair = `${r.groupId}|${r.personId ? `p${r.personId}` : `o${r.organizationId}`}`;
      if (!m.removedAt && active.has(pair)) {
        this.state.outcome(row.rowNo, 'skipped', 'import.reason.alreadyMember');
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
        addedAt: m.addedAt ? new Date(m.addedAt) : this.state.stamp.at,
        removedAt: m.removedAt ? new Date(m.removedAt) : null,
        documentIds: [...new Set(ids)],
      });
    }
    await this.state.insertMemberships(writes);
    await this.state.tick(rows.length);
  }

  /** Outlook categories → mailing groups (when chosen in the preview), matched by name or created. */
  private async categoryMemberships() {
    if (!this.state.options.createGroups || !this.state.categories.length) return;
    const names = this.state.categories.flatMap((c) => c.names);
    const existing = await groupsByName(this.state.tx, names);
    const missing = new Map<string, string>();
    for (const n of names) if (!existing.has(normalizeKey(n)) && !missing.has(normalizeKey(n))) missing.set(normalizeKey(n), n);
    const created = await insertGroups(this.state.pipe, this.state.stamp, [...missing.values()].map((name) => ({ name, description: '', mark: 'none' as const, archivedAt: null })));
    for (const g of created) {
      existing.set(g.sortKey, { id: g.id, archived: false });
      this.state.groupNames.set(g.id, g.name);
      this.state.journal.audit('group', g.id, 'create', null, g, ['name', 'description', 'mark']);
      this.state.journal.change('group', g.id, 'created', { versionAfter: g.version });
      this.state.report.groups.created++;
    }
    await this.state.loadGroupNames([...existing.values()].map((g) => g.id));
    // Cards created just now have no memberships yet: only the others are looked up.
    const active = await this.state.activeMemberships(
      [...existing.values()].map((g) => g.id),
      this.state.categories.flatMap((c) => ('personId' in c.member && !this.state.createdPersons.has(c.member.personId) ? [c.member.personId] : [])),
      this.state.categories.flatMap((c) => ('organizationId' in c.member ? [c.member.organizationId] : [])),
    );
    const t = translator(this.state.actor.locale);
    const writes: MembershipWrite[] = [];
    for (const c of this.state.categories) {
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
          reason: t('import.membershipReason', { category: name, file: this.state.fileName }),
          addedAt: this.state.stamp.at,
          removedAt: null,
          documentIds: [],
        });
      }
    }
    await this.state.insertMemberships(writes);
  }
}
