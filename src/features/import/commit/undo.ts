import { asc, desc, eq, sql, type SQL } from 'drizzle-orm';
import { lockImports } from './run.js';
import type { Db, Tx } from '../../../db/client.js';
import { groupMemberships, mailingGroups } from '../../../db/schema/groups.js';
import { importBatches, importChanges, type ImportChange } from '../../../db/schema/imports.js';
import { organizations } from '../../../db/schema/organizations.js';
import { personEmails, personPhones, personPhotos, persons, type PhoneKind } from '../../../db/schema/persons.js';
import { referenceTables, regions, type ReferenceKind } from '../../../db/schema/references.js';
import type { User } from '../../../db/schema/users.js';
import { ConflictError, NotFoundError } from '../../../lib/errors.js';
import { requireSecretary } from '../../../lib/access.js';
import { withHistory } from '../../../lib/history.js';
import { ORGANIZATION_FIELDS, organizationKeys, renamed } from '../../organizations/model.js';
import { auditablePerson, derivedPersonColumns, PERSON_AUDIT_FIELDS, PERSON_FIELDS, photoLabel, type PersonWrite } from '../../persons/model.js';
import { refreshPersonsSearchText } from '../../persons/search-text.js';
import { anyInt, bulkUpdate } from '../../../db/bulk.js';
import { lockBatch } from '../queries.js';
import { Journal, writeContacts, writePhotos } from './writers.js';

/**
 * Undo of a committed batch, in one transaction and in reverse order: memberships first, then
 * persons, organizations, groups and reference entries it created are removed, and the cards it
 * updated get back what they had. A record edited since the import (another version, or saved
 * after it) is left alone and named in the report, as is one that has gathered history since.
 *
 * Versions and undo. A restored card gets a NEW version (version + 1), never the one it had
 * before the batch: the version is what an open edit form holds, and going back to it would let a
 * form opened on a later content pass the check. (Batch B takes a card from v2 to v3; were undo to
 * write v2 again, the next save through a form gives v3 with new content, and a form opened on
 * B's v3 would then save over it unseen.) A version therefore names one write, and a form opened
 * before an undo gets the conflict page. What the undo does record is that its version carries
 * the content of the one it restored (`importChanges.undoVersion` beside `before.version`), and
 * only undo reads that: an earlier batch A, undone after B, follows those links back from the
 * card's version and accepts the card when they end at A's own `versionAfter` with nothing saved
 * in between. A save through a form, a photo or another batch breaks the chain, so the card is
 * named as edited.
 *
 * Newest first. A batch cannot be undone while a later batch that is still applied rests on its
 * records (see `laterBatches`): undoing it would leave those cards behind as if a person had
 * edited them, and would close this batch for good, with no way to finish once the later one is
 * undone. The undo is refused as a whole instead, naming the batches to undo first.
 */

/** A later batch, still applied, that has to be undone first (numbered, dated, named). */
export interface LaterBatch {
  id: number;
  fileName: string;
  committedAt: Date;
}

/** The undo is refused, nothing changed: `later` are the batches to undo first, oldest first. */
export class UndoBlockedError extends ConflictError {
  constructor(readonly later: LaterBatch[]) {
    super('import.undo.blocked', null, { count: later.length });
  }
}

export interface UndoReport {
  removed: number;
  restored: number;
  left: { entityType: string; entityId: number; name: string; reason: 'edited' | 'history' }[];
}

const REFERENCE_KIND: Record<string, ReferenceKind> = { region: 'regions', activity: 'activities', category: 'categories' };

export async function undoBatch(db: Db, actor: User, batchId: number): Promise<UndoReport> {
  requireSecretary(actor);
  return db.transaction(async (tx) => {
    await lockImports(tx);
    const batch = await lockBatch(tx, batchId);
    if (!batch) throw new NotFoundError();
    if (batch.status !== 'committed' || !batch.committedAt) throw new ConflictError('import.undo.notCommitted');
    const changes = await tx.select().from(importChanges).where(eq(importChanges.batchId, batchId)).orderBy(desc(importChanges.id));
    await refuseWhileLaterApplied(tx, batchId, changes);
    const at = new Date();
    const undo = new Undo(tx, actor, batch.committedAt, at, new Journal({ userId: actor.id, at, batchId }));
    await undo.loadRestorations(changes);
    const of = (type: string, action: 'created' | 'updated') => changes.filter((c) => c.entityType === type && c.action === action);
    // Dependents first: memberships, then persons, then their organizations, groups, lists.
    await undo.removeMemberships(of('membership', 'created'));
    await undo.removePersons(of('person', 'created'));
    await undo.restorePersons(of('person', 'updated'));
    for (const c of of('organization', 'updated')) await undo.restoreOrganization(c);
    await undo.removeOrganizations(of('organization', 'created'));
    await undo.removeGroups(of('group', 'created'));
    for (const c of changes.filter((x) => REFERENCE_KIND[x.entityType])) await undo.removeReference(c);
    await undo.journal.flush(tx);
    await bulkUpdate(tx, importChanges, undo.undoVersions);
    await tx.update(importBatches).set({ status: 'undone', undoneAt: at, undoneBy: actor.id, undoReport: undo.report, version: batch.version + 1 }).where(eq(importBatches.id, batchId));
    return undo.report;
  });
}

/**
 * The committed batches, other than `batchId`, whose changes rest on its records, oldest first:
 * - a change to one of its records (any kind) recorded after its own change to that record:
 *   the later import updated a card or filled an organization this one had written;
 * - a membership (of the later batch) of a person or organization this one created, or in a
 *   group it created: the record could no longer be removed;
 * - a person the later batch created or moved into an organization this one created, and an
 *   organization it created or gave a region, activity or category this one created: the same.
 * Change ids order the writes to one record: a batch writes its changes when it ends, and one
 * that touched a record after another had to wait for that one's commit to see it (and a record
 * this one created was seen only after it). A card moved by hand into an organization this batch
 * created is not the work of the batch that made the card, but such a batch is named too; what
 * users did through forms is otherwise not here: such cards are still left and named as edited.
 */
export async function laterBatches(db: Db | Tx, batchId: number): Promise<LaterBatch[]> {
  const created = (type: string) => sql`any(array(select entity_id from mine where action = 'created' and entity_type = ${type}))`;
  const result = (await db.execute(sql`
    with mine as materialized (
      select id, entity_type, entity_id, action from import_changes where batch_id = ${batchId}
    ), after_mine as (
      select min(id) as id from mine
    ), later as (
      select c.batch_id from mine m
        join import_changes c on c.entity_type = m.entity_type and c.entity_id = m.entity_id and c.id > m.id
      union
      select c.batch_id from group_memberships g
        join import_changes c on c.entity_type = 'membership' and c.entity_id = g.id
        where c.id > (select id from after_mine)
          and (g.person_id = ${created('person')} or g.organization_id = ${created('organization')} or g.group_id = ${created('group')})
      union
      select c.batch_id from persons p
        join import_changes c on c.entity_type = 'person' and c.entity_id = p.id
        where c.id > (select id from after_mine) and p.organization_id = ${created('organization')}
          and (c.action = 'created' or (c.before ->> 'organizationId') is distinct from p.organization_id::text)
      union
      select c.batch_id from organizations o
        join import_changes c on c.entity_type = 'organization' and c.entity_id = o.id
        where c.id > (select id from after_mine)
          and ((o.region_id = ${created('region')} and (c.action = 'created' or (c.before ->> 'regionId') is distinct from o.region_id::text))
          or (o.activity_id = ${created('activity')} and (c.action = 'created' or (c.before ->> 'activityId') is distinct from o.activity_id::text))
          or (o.category_id = ${created('category')} and (c.action = 'created' or (c.before ->> 'categoryId') is distinct from o.category_id::text)))
    )
    select b.id, b.file_name, b.committed_at from import_batches b
    where b.id in (select batch_id from later) and b.id <> ${batchId} and b.status = 'committed'
    order by b.committed_at, b.id`)) as unknown as { rows: { id: number; file_name: string; committed_at: Date | string }[] };
  return result.rows.map((r) => ({ id: Number(r.id), fileName: r.file_name, committedAt: new Date(r.committed_at) }));
}

/** The records an undo may remove or restore, by kind, in the order they are locked. */
const LOCKED = [
  ['person', persons],
  ['organization', organizations],
  ['group', mailingGroups],
  ['region', regions],
  ['activity', referenceTables.activities],
  ['category', referenceTables.categories],
] as const;

/**
 * Refuses the undo (throws UndoBlockedError) while a later batch still applied rests on this
 * one's records; otherwise leaves them locked so that none can start to, until this undo ends.
 *
 * Why it cannot race (READ COMMITTED: every statement sees what was committed before it):
 * 1. This batch's row is locked FOR UPDATE by the caller: one undo of it at a time.
 * 2. The later batches found are locked FOR SHARE, in id order, and those still committed then
 *    refuse the undo. An undo of one of them in progress holds its row FOR UPDATE, so this waits
 *    for it and then sees it undone, rather than refusing for a batch that is just going away.
 *    Batch rows before cards, and an undo only waits for batches that wrote a shared record
 *    after its own, an order without cycles: two undos cannot wait for each other. Committing
 *    batches are not locked (their commit updates their row at the end, while holding card
 *    locks this undo wants next: a deadlock); step 3 orders them.
 * 3. Every record of this batch is locked FOR UPDATE, in one order (kind, then id). A later
 *    batch reaches them only by updating one (a row lock) or by writing a row that refers to one
 *    (its foreign key takes a KEY SHARE lock): both conflict with FOR UPDATE. So a commit that
 *    got there first has ended once these locks are held, and one that comes later waits until
 *    this undo has committed, then writes over what the undo left, as any later write does.
 * 4. The same question again, now that nothing can join in: a batch committed meanwhile is seen.
 */
async function refuseWhileLaterApplied(tx: Tx, batchId: number, changes: ImportChange[]) {
  const seen = await laterBatches(tx, batchId);
  if (seen.length) {
    const locked = await tx
      .select({ id: importBatches.id })
      .from(importBatches)
      .where(sql`${importBatches.id} = ${anyInt(seen.map((b) => b.id))} and ${importBatches.status} = 'committed'`)
      .orderBy(asc(importBatches.id))
      .for('share');
    const still = new Set(locked.map((b) => b.id));
    if (still.size) throw new UndoBlockedError(seen.filter((b) => still.has(b.id)));
  }
  for (const [type, table] of LOCKED) {
    const ids = [...new Set(changes.filter((c) => c.entityType === type).map((c) => c.entityId))];
    if (!ids.length) continue;
    const t = table as typeof regions; // only `id` is used, which they all have
    await tx.select({ id: t.id }).from(t).where(sql`${t.id} = ${anyInt(ids)}`).orderBy(asc(t.id)).for('update');
  }
  const later = await laterBatches(tx, batchId);
  if (later.length) throw new UndoBlockedError(later);
}

const fullName = (p: { surname: string; firstName: string; patronymic: string }) => [p.surname, p.firstName, p.patronymic].filter(Boolean).join(' ');

/** Ids among `ids` that `query` finds (one column `id`). */
async function found(tx: Tx, query: SQL): Promise<Set<number>> {
  const result = (await tx.execute(query)) as unknown as { rows: { id: number }[] };
  return new Set(result.rows.map((r) => Number(r.id)));
}

/** A version an undo wrote, and what it stands for: the version and save time it restored. */
interface Restoration {
  version: number;
  updatedAt: Date;
  /** When the undo wrote it: a later save time means the record was touched since (a photo). */
  at: Date;
}

/** The record's version and save time in the `before` of a change (a row as JSON). */
function savedState(before: unknown): { version: number; updatedAt: Date } | null {
  const b = before as { version?: unknown; updatedAt?: unknown } | null;
  if (typeof b?.version !== 'number' || typeof b.updatedAt !== 'string') return null;
  return { version: b.version, updatedAt: new Date(b.updatedAt) };
}

const RESTORABLE = ['person', 'organization'] as const;

class Undo {
  readonly report: UndoReport = { removed: 0, restored: 0, left: [] };
  /** The `undoVersion` of each change this undo restored, written with the batch's status. */
  readonly undoVersions: { id: number; undoVersion: number }[] = [];
  /** Per record ("person:12"): the versions earlier undos wrote, by version. */
  private readonly restorations = new Map<string, Map<number, Restoration>>();

  constructor(
    private readonly tx: Tx,
    private readonly actor: User,
    private readonly committedAt: Date,
    private readonly at: Date,
    readonly journal: Journal,
  ) {}

  /**
   * What earlier undos wrote to the persons and organizations of this batch (only cards can be
   * updated by one batch and so restored by its undo): one query per kind.
   */
  async loadRestorations(changes: ImportChange[]) {
    for (const type of RESTORABLE) {
      const ids = [...new Set(changes.filter((c) => c.entityType === type).map((c) => c.entityId))];
      if (!ids.length) continue;
      const rows = await this.tx
        .select({ entityId: importChanges.entityId, undoVersion: importChanges.undoVersion, before: importChanges.before, undoneAt: importBatches.undoneAt })
        .from(importChanges)
        .innerJoin(importBatches, eq(importBatches.id, importChanges.batchId))
        .where(sql`${importChanges.entityType} = ${type} and ${importChanges.entityId} = ${anyInt(ids)} and ${importChanges.undoVersion} is not null and ${importBatches.status} = 'undone'`);
      for (const r of rows) {
        const restored = savedState(r.before);
        if (restored && r.undoVersion !== null && r.undoneAt) this.restored(type, r.entityId, r.undoVersion, { ...restored, at: r.undoneAt });
      }
    }
  }

  private restored(type: string, id: number, undoVersion: number, what: Restoration) {
    const key = `${type}:${id}`;
    let m = this.restorations.get(key);
    if (!m) this.restorations.set(key, (m = new Map()));
    m.set(undoVersion, what);
  }

  /** Records that this undo wrote `version` to the record of `c`, giving it `c.before` back. */
  private wrote(c: ImportChange, version: number) {
    this.undoVersions.push({ id: c.id, undoVersion: version });
    const restored = savedState(c.before);
    // Also for the rest of this undo: a batch may have updated one card twice.
    if (restored) this.restored(c.entityType, c.entityId, version, { ...restored, at: this.at });
  }

  /**
   * Saved since the import: the version moved on, or the record was touched later (a photo).
   * A version written by an undo counts as the one it restored (see the top of this file), as
   * long as nothing was saved after that undo.
   */
  private edited(row: { version: number; updatedAt: Date }, c: ImportChange): boolean {
    let { version, updatedAt } = row;
    const links = this.restorations.get(`${c.entityType}:${c.entityId}`);
    for (let r = links?.get(version); r && updatedAt.getTime() <= r.at.getTime() && r.version < version; r = links?.get(version)) {
      ({ version, updatedAt } = r);
    }
    return version !== c.versionAfter || updatedAt.getTime() > this.committedAt.getTime();
  }

  private leave(c: ImportChange, name: string, reason: 'edited' | 'history') {
    this.report.left.push({ entityType: c.entityType, entityId: c.entityId, name, reason });
  }

  async removeMemberships(changes: ImportChange[]) {
    if (!changes.length) return;
    const list = await this.tx
      .select({ m: groupMemberships, groupName: mailingGroups.name })
      .from(groupMemberships)
      .innerJoin(mailingGroups, eq(mailingGroups.id, groupMemberships.groupId))
      .where(sql`${groupMemberships.id} = ${anyInt(changes.map((c) => c.entityId))}`);
    await this.tx.delete(groupMemberships).where(sql`${groupMemberships.id} = ${anyInt(list.map((x) => x.m.id))}`);
    for (const { m, groupName } of list) {
      this.journal.audit(m.personId ? 'person' : 'organization', (m.personId ?? m.organizationId)!, 'update', { groups: groupName }, { groups: null }, ['groups']);
    }
    this.report.removed += list.length;
  }

  /**
   * Persons the batch created, unless edited since or tied to history gathered since: group
   * memberships or registered documents (the history checks that delete uses, asked here for
   * all of them at once).
   */
  async removePersons(changes: ImportChange[]) {
    if (!changes.length) return;
    const byId = new Map(changes.map((c) => [c.entityId, c]));
    const list = await this.tx.select().from(persons).where(sql`${persons.id} = ${anyInt([...byId.keys()])}`).for('update');
    const candidates = list.filter((p) => {
      if (!this.edited(p, byId.get(p.id)!)) return true;
      this.leave(byId.get(p.id)!, fullName(p), 'edited');
      return false;
    });
    const history = await withHistory(this.tx, 'person', candidates.map((p) => p.id));
    const gone = candidates.filter((p) => {
      if (!history.has(p.id)) return true;
      this.leave(byId.get(p.id)!, fullName(p), 'history');
      return false;
    });
    await this.tx.delete(persons).where(sql`${persons.id} = ${anyInt(gone.map((p) => p.id))}`);
    for (const p of gone) this.journal.audit('person', p.id, 'delete', p, null, PERSON_FIELDS);
    this.report.removed += gone.length;
  }

  /** Cards the batch updated get back what they had, unless edited since; all at once. */
  async restorePersons(changes: ImportChange[]) {
    if (!changes.length) return;
    const byId = new Map(changes.map((c) => [c.entityId, c]));
    const ids = anyInt([...byId.keys()]);
    const current = await this.tx.select().from(persons).where(sql`${persons.id} = ${ids}`).for('update');
    const phones = await this.tx.select().from(personPhones).where(sql`${personPhones.personId} = ${ids}`).orderBy(asc(personPhones.position), asc(personPhones.id));
    const emails = await this.tx.select().from(personEmails).where(sql`${personEmails.personId} = ${ids}`).orderBy(asc(personEmails.position), asc(personEmails.id));
    type Before = Record<string, unknown> & { phones: { kind: PhoneKind; number: string }[]; emails: string[]; photo?: { thumbnail: string; original: string; originalType: string; width: number; height: number } | null };
    const restore = current.filter((p) => {
      if (!this.edited(p, byId.get(p.id)!)) return true;
      this.leave(byId.get(p.id)!, fullName(p), 'edited');
      return false;
    });
    if (!restore.length) return;
    const writes = restore.map((p) => {
      const before = byId.get(p.id)!.before as Before;
      return { p, before, values: Object.fromEntries([...PERSON_FIELDS, 'archivedAt'].map((f) => [f, f === 'archivedAt' ? p.archivedAt : before[f]])) as unknown as PersonWrite['values'] };
    });
    const orgIds = [...new Set(writes.flatMap((w) => (w.values.organizationId ? [w.values.organizationId] : [])))];
    const orgs = new Map((orgIds.length ? await this.tx.select({ id: organizations.id, name: organizations.name, shortName: organizations.shortName }).from(organizations).where(sql`${organizations.id} = ${anyInt(orgIds)}`) : []).map((o) => [o.id, o]));
    const at = this.at;
    await bulkUpdate(
      this.tx,
      persons,
      writes.map((w) => ({ id: w.p.id, ...w.values, ...derivedPersonColumns({ values: w.values, phones: w.before.phones, emails: w.before.emails }, w.values.organizationId ? (orgs.get(w.values.organizationId) ?? null) : null), version: w.p.version + 1, updatedAt: at, updatedBy: this.actor.id })),
    );
    const restoredIds = anyInt(writes.map((w) => w.p.id));
    await this.tx.delete(personPhones).where(sql`${personPhones.personId} = ${restoredIds}`);
    await this.tx.delete(personEmails).where(sql`${personEmails.personId} = ${restoredIds}`);
    await writeContacts(this.tx, writes.map((w) => ({ personId: w.p.id, phones: w.before.phones, emails: w.before.emails })));
    // A photo is put back only when the import replaced it (undefined: it did not touch it).
    const photoTouched = writes.filter((w) => w.before.photo !== undefined);
    if (photoTouched.length) {
      const taken = await this.tx
        .delete(personPhotos)
        .where(sql`${personPhotos.personId} = ${anyInt(photoTouched.map((w) => w.p.id))}`)
        .returning({ personId: personPhotos.personId, original: personPhotos.original, originalType: personPhotos.originalType, width: personPhotos.width, height: personPhotos.height });
      const given = photoTouched.flatMap((w) => {
        const ph = w.before.photo;
        return ph ? [{ personId: w.p.id, photo: { thumbnail: Buffer.from(ph.thumbnail, 'base64'), original: Buffer.from(ph.original, 'base64'), originalType: ph.originalType, width: ph.width, height: ph.height } }] : [];
      });
      await writePhotos(this.tx, given, at);
      const was = new Map(taken.map((x) => [x.personId, photoLabel(x)]));
      const back = new Map(given.map((g) => [g.personId, photoLabel(g.photo)]));
      for (const w of photoTouched) this.journal.audit('person', w.p.id, 'update', { photo: was.get(w.p.id) ?? null }, { photo: back.get(w.p.id) ?? null }, ['photo']);
    }
    // What the cards had until now, for the audit's "before".
    const had = new Map<number, { phones: { kind: string; number: string }[]; emails: string[] }>();
    const of = (id: number) => had.get(id) ?? (had.set(id, { phones: [], emails: [] }).get(id)!);
    for (const x of phones) of(x.personId).phones.push(x);
    for (const x of emails) of(x.personId).emails.push(x.email);
    for (const w of writes) {
      this.wrote(byId.get(w.p.id)!, w.p.version + 1);
      const now = of(w.p.id);
      this.journal.audit('person', w.p.id, 'update', auditablePerson(w.p, now.phones, now.emails), auditablePerson({ ...w.p, ...w.values }, w.before.phones, w.before.emails), PERSON_AUDIT_FIELDS);
    }
    this.report.restored += writes.length;
  }

  /** Organizations the batch created, unless edited since or holding persons, documents or memberships. */
  async removeOrganizations(changes: ImportChange[]) {
    if (!changes.length) return;
    const byId = new Map(changes.map((c) => [c.entityId, c]));
    const list = await this.tx.select().from(organizations).where(sql`${organizations.id} = ${anyInt([...byId.keys()])}`).for('update');
    const candidates = list.filter((o) => {
      if (!this.edited(o, byId.get(o.id)!)) return true;
      this.leave(byId.get(o.id)!, o.name, 'edited');
      return false;
    });
    const history = await withHistory(this.tx, 'organization', candidates.map((o) => o.id));
    const gone = candidates.filter((o) => {
      if (!history.has(o.id)) return true;
      this.leave(byId.get(o.id)!, o.name, 'history');
      return false;
    });
    await this.tx.delete(organizations).where(sql`${organizations.id} = ${anyInt(gone.map((o) => o.id))}`);
    for (const o of gone) this.journal.audit('organization', o.id, 'delete', o, null, ORGANIZATION_FIELDS);
    this.report.removed += gone.length;
  }

  async restoreOrganization(c: ImportChange) {
    const [o] = await this.tx.select().from(organizations).where(eq(organizations.id, c.entityId)).for('update');
    if (!o) return;
    if (this.edited(o, c)) return this.leave(c, o.name, 'edited');
    const before = c.before as Record<string, unknown>;
    // A text field the record had not yet when it was taken (a column added since) is empty.
    const values = Object.fromEntries(ORGANIZATION_FIELDS.map((f) => [f, before[f] ?? (typeof o[f] === 'string' ? '' : null)]));
    const [after] = await this.tx
      .update(organizations)
      .set({ ...values, ...organizationKeys({ name: String(before.name), shortName: String(before.shortName ?? ''), inn: String(before.inn ?? '') }), version: o.version + 1, updatedAt: this.at, updatedBy: this.actor.id })
      .where(eq(organizations.id, o.id))
      .returning();
    // Its names are part of its persons' search text, as on the form.
    if (renamed(o, after)) await refreshPersonsSearchText(this.tx, o.id);
    this.wrote(c, after.version);
    this.journal.audit('organization', o.id, 'update', o, after, ORGANIZATION_FIELDS);
    this.report.restored++;
  }

  async removeGroups(changes: ImportChange[]) {
    if (!changes.length) return;
    const byId = new Map(changes.map((c) => [c.entityId, c]));
    const list = await this.tx.select().from(mailingGroups).where(sql`${mailingGroups.id} = ${anyInt([...byId.keys()])}`).for('update');
    const used = await found(this.tx, sql`select group_id as id from group_memberships where group_id = ${anyInt(list.map((g) => g.id))}`);
    const gone = list.filter((g) => {
      const c = byId.get(g.id)!;
      if (this.edited(g, c)) this.leave(c, g.name, 'edited');
      else if (used.has(g.id)) this.leave(c, g.name, 'history');
      else return true;
      return false;
    });
    await this.tx.delete(mailingGroups).where(sql`${mailingGroups.id} = ${anyInt(gone.map((g) => g.id))}`);
    for (const g of gone) this.journal.audit('group', g.id, 'delete', g, null, ['name', 'description', 'mark']);
    this.report.removed += gone.length;
  }

  async removeReference(c: ImportChange) {
    const kind = REFERENCE_KIND[c.entityType];
    if (!kind) return;
    const table = referenceTables[kind] as typeof regions;
    const [r] = await this.tx.select().from(table).where(eq(table.id, c.entityId)).for('update');
    if (!r) return;
    if (this.edited(r, c)) return this.leave(c, r.name, 'edited');
    const column = { regions: organizations.regionId, activities: organizations.activityId, categories: organizations.categoryId }[kind];
    const [used] = await this.tx.select({ id: organizations.id }).from(organizations).where(eq(column, r.id)).limit(1);
    if (used) return this.leave(c, r.name, 'history');
    await this.tx.delete(table).where(eq(table.id, r.id));
    this.journal.audit(c.entityType, r.id, 'delete', r, null, ['name']);
    this.report.removed++;
  }
}
