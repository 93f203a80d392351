import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { ADDRESS_FIELDS } from '../../db/schema/address.js';
import { cardMerges, type DuplicateKind } from '../../db/schema/duplicates.js';
import { organizations } from '../../db/schema/organizations.js';
import { persons } from '../../db/schema/persons.js';
import type { User } from '../../db/schema/users.js';
import type { CardHooks } from '../../lib/card-hooks.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { requireSecretary } from '../../lib/access.js';
import { recordAudit } from '../audit/service.js';
import { writeOrganization } from '../organizations/service.js';
import { ORGANIZATION_FIELDS, splitPhones, type OrganizationInput } from '../organizations/model.js';
import { writePerson } from '../persons/service.js';
import { auditablePerson as auditable, PERSON_AUDIT_FIELDS, PERSON_FIELDS, photoLabel, unitePhones, uniteEmails, type PersonInput } from '../persons/model.js';
import { refreshPersonsSearchText } from '../persons/search-text.js';
import { defaultChoice, MAX_MERGE, uniteReasons } from './model.js';
import * as q from './queries.js';

/**
 * The incremental check: every saved, archived or restored card is re-checked after its save, and
 * its page shows the candidates found. Registered in features/index.ts.
 */
export function duplicateWatch(kind: DuplicateKind): CardHooks {
  return {
    saved: (db, id) => q.checkCard(db, kind, id),
    savedMany: (db, ids) => q.checkCards(db, kind, ids),
    hints: (db, id) => q.candidatesOf(db, kind, id),
  };
}

export async function scanDirectory(db: Db, actor: User) {
  requireSecretary(actor);
  return db.transaction((tx) => q.scanAll(tx));
}

export async function dismiss(db: Db, actor: User, kind: DuplicateKind, a: number, b: number) {
  requireSecretary(actor);
  if (a === b) throw new ValidationError({ b: { key: 'duplicates.samePair' } });
  await db.transaction((tx) => q.dismissPair(tx, kind, a, b, actor.id));
}

/** The choosable fields of the merge page, in form order; `address` stands for the whole address. */
export const MERGE_FIELDS: Record<DuplicateKind, readonly string[]> = {
  person: ['surname', 'firstName', 'patronymic', 'organizationId', 'jobTitle', 'influence', 'gender', 'dativeOverride', 'note', 'address'],
  organization: ['name', 'shortName', 'inn', 'regionId', 'activityId', 'categoryId', 'address', 'email', 'website', 'note'],
};

export type Card = q.PersonCard | q.OrganizationCard;

/** A field's value on a card, as the merge compares and copies it (the address as one block). */
export function fieldValue(card: Card, field: string): unknown {
  const row = card.row as Record<string, unknown>;
  if (field === 'address') return ADDRESS_FIELDS.map((f) => row[f]).filter(Boolean).join(', ');
  return row[field];
}

/** Two to MAX_MERGE distinct ids, or a ValidationError. */
export function checkIds(ids: number[]): number[] {
  const list = [...new Set(ids)].sort((a, b) => a - b);
  if (list.length < 2) throw new ValidationError({ ids: { key: 'duplicates.chooseTwo' } });
  if (list.length > MAX_MERGE) throw new ValidationError({ ids: { key: 'duplicates.tooMany', params: { count: MAX_MERGE } } });
  return list;
}

export async function loadCards(db: Db | Tx, kind: DuplicateKind, ids: number[]): Promise<Card[]> {
  return kind === 'person' ? q.personCards(db, ids) : q.organizationCards(db, ids);
}

/** The merge page's defaults: the oldest card survives; each field from the latest edited card that has it. */
export function defaults(kind: DuplicateKind, cards: Card[]) {
  const dated = cards.map((c) => ({ id: c.id, updatedAt: c.row.updatedAt, card: c }));
  const choices = Object.fromEntries(MERGE_FIELDS[kind].map((f) => [f, defaultChoice(dated, (d) => fieldValue(d.card, f))]));
  const withPhoto = cards.filter((c) => c.kind === 'person' && c.hasPhoto);
  const photo = withPhoto.length ? defaultChoice(withPhoto.map((c) => ({ id: c.id, updatedAt: c.row.updatedAt })), () => 1) : null;
  return { survivorId: Math.min(...cards.map((c) => c.id)), choices, photo };
}

export interface MergeInput {
  kind: DuplicateKind;
  ids: number[];
  survivorId: number;
  /** The version of every card as the form showed it. */
  versions: Record<number, number>;
  /** Field → the id of the card whose value is taken. */
  choices: Record<string, number>;
  /** The card whose photo the survivor keeps (persons). */
  photo: number | null;
}

/** What undo needs: the survivor as it was, and every row the merge moved or changed. */
interface MergeSnapshot {
  survivor: Record<string, unknown>;
  losers: { id: number; archivedAt: string | null; versionAfter: number }[];
  /** Memberships moved to the survivor: id and the member they had; `closed` = ended as a duplicate. */
  memberships: { id: number; from: number; closed: boolean }[];
  reasons: { id: number; reason: string }[];
  citedDocuments: [number, number][];
  documents: { id: number; from: number }[];
  importChanges: { id: number; from: number }[];
  audit: { id: number; from: number }[];
  /** Persons moved from a merged organization: id, organization, version after. */
  persons: { id: number; from: number; versionAfter: number }[];
  photoFrom: number | null;
}

class StaleError extends ConflictError {}

/** The "both values" of a 409: what changed each stale card since the form was opened. */
export interface Stale {
  id: number;
  changes: Awaited<ReturnType<typeof q.lastChanges>>;
}

export async function staleDetails(db: Db, kind: DuplicateKind, stale: { id: number; behind: number }[]): Promise<Stale[]> {
  return Promise.all(stale.map(async (s) => ({ id: s.id, changes: await q.lastChanges(db, kind, s.id, s.behind) })));
}

/**
 * Merges the cards into the survivor in one transaction. The cards are locked in id order, so of
 * two merges of overlapping cards one waits for the other and then finds its card merged already.
 */
export async function mergeCards(db: Db, actor: User, input: MergeInput): Promise<number> {
  requireSecretary(actor);
  const ids = checkIds(input.ids);
  if (!ids.includes(input.survivorId)) throw new ValidationError({ survivorId: { key: 'validation.choose' } });
  const losers = ids.filter((id) => id !== input.survivorId);
  const kind = input.kind;
  const mergeId = await db.transaction(async (tx) => {
    const locked = await q.lockCards(tx, kind, ids);
    if (locked.length !== ids.length) throw new NotFoundError();
    const merged = locked.find((c) => c.mergedInto !== null);
    if (merged) throw new ConflictError('duplicates.alreadyMerged', null, { id: merged.id, into: merged.mergedInto! });
    const stale = locked.filter((c) => c.version !== input.versions[c.id]).map((c) => ({ id: c.id, behind: c.version - (input.versions[c.id] ?? 0) }));
    if (stale.length) throw new StaleError('duplicates.stale', stale);
    const cards = await loadCards(tx, kind, ids);
    const byId = new Map(cards.map((c) => [c.id, c]));
    const survivor = byId.get(input.survivorId)!;
    const pick = (field: string): Card => byId.get(input.choices[field]) ?? survivor;
    // Survivor first: its spelling of a shared phone or e-mail is kept.
    const ordered = [survivor, ...cards.filter((c) => c.id !== survivor.id)];
    const snap: MergeSnapshot = { survivor: {}, losers: [], memberships: [], reasons: [], citedDocuments: [], documents: [], importChanges: [], audit: [], persons: [], photoFrom: null };
    const newVersion = survivor.row.version + 1;

    if (kind === 'person') {
      const s = survivor as q.PersonCard;
      const own = (c: Card, f: string) => (c.row as Record<string, unknown>)[f];
      const values = Object.fromEntries(PERSON_FIELDS.map((f) => [f, own(pick((ADDRESS_FIELDS as readonly string[]).includes(f) ? 'address' : f), f)]));
      const next = {
        ...values,
        phones: unitePhones((ordered as q.PersonCard[]).map((c) => c.phones)),
        emails: uniteEmails((ordered as q.PersonCard[]).map((c) => c.emails)),
      } as PersonInput;
      snap.survivor = { ...Object.fromEntries(PERSON_FIELDS.map((f) => [f, own(s, f)])), phones: s.phones, emails: s.emails };
      const row = await writePerson(tx, actor, s.id, next, newVersion);
      await moveLinks(tx, actor, kind, s.id, losers, snap);
      // The survivor's photo as it was and as the merge leaves it (the chosen card's, swapped in).
      let photos: Map<number, string | null> = new Map();
      if (input.photo !== null && input.photo !== s.id && (byId.get(input.photo) as q.PersonCard | undefined)?.hasPhoto) {
        photos = await swapPhotos(tx, s.id, input.photo);
        snap.photoFrom = input.photo;
      }
      const photoBefore = (id: number) => (photos.size ? (photos.get(id) ?? null) : undefined);
      const photoAfter = (id: number, other: number) => (photos.size ? (photos.get(other) ?? null) : undefined);
      await recordAudit(tx, {
        userId: actor.id, entityType: 'person', entityId: s.id, action: 'merge',
        before: { ...auditable(s.row, s.phones, s.emails), mergedFrom: null, photo: photoBefore(s.id) },
        after: { ...auditable(row, next.phones, next.emails), mergedFrom: losers.map((id) => `№${id}`).join(', '), photo: photoAfter(s.id, input.photo ?? s.id) },
        fields: [...PERSON_AUDIT_FIELDS, 'mergedFrom', 'photo'],
      });
      // The card whose photo was taken keeps the survivor's (or none): its history says so too.
      if (snap.photoFrom !== null) {
        await recordAudit(tx, { userId: actor.id, entityType: 'person', entityId: snap.photoFrom, action: 'update', before: { photo: photoBefore(snap.photoFrom) }, after: { photo: photoAfter(snap.photoFrom, s.id) }, fields: ['photo'] });
      }
    } else {
      const s = survivor as q.OrganizationCard;
      const own = (c: Card, f: string) => (c.row as Record<string, unknown>)[f];
      const values = Object.fromEntries(ORGANIZATION_FIELDS.map((f) => [f, f === 'phones' ? '' : own(pick((ADDRESS_FIELDS as readonly string[]).includes(f) ? 'address' : f), f)]));
      const phones = unitePhones(ordered.flatMap((c) => splitPhones(String(own(c, 'phones')))).map((number) => [{ number }])).map((p) => p.number);
      const next = { ...values, phones: phones.join(', ') } as OrganizationInput;
      snap.survivor = Object.fromEntries(ORGANIZATION_FIELDS.map((f) => [f, own(s, f)]));
      const row = await writeOrganization(tx, actor, s.id, next, newVersion);
      // Their persons come along first: the memberships and documents then follow.
      const moved = rowsOf(
        await tx.execute(sql`
          with old as (select id, organization_id from persons where organization_id = ${q.intArray(losers)} for update)
          update persons p set organization_id = ${s.id}, version = p.version + 1, updated_at = now(), updated_by = ${actor.id}
          from old where p.id = old.id returning p.id, old.organization_id as from, p.version`),
        { id: 'number', from: 'number', version: 'number' },
        'merge: persons moved',
      );
      snap.persons = moved.map((m) => ({ id: Number(m.id), from: Number(m.from), versionAfter: Number(m.version) }));
      if (moved.length) await refreshPersonsSearchText(tx, s.id);
      await moveLinks(tx, actor, kind, s.id, losers, snap);
      await recordAudit(tx, {
        userId: actor.id, entityType: 'organization', entityId: s.id, action: 'merge',
        before: { ...s.row, mergedFrom: null },
        after: { ...row, mergedFrom: losers.map((id) => `№${id}`).join(', ') },
        fields: [...ORGANIZATION_FIELDS, 'mergedFrom'],
      });
      for (const m of snap.persons) {
        await recordAudit(tx, { userId: actor.id, entityType: 'person', entityId: m.id, action: 'update', before: { organizationId: m.from }, after: { organizationId: s.id }, fields: ['organizationId'] });
      }
    }

    // The merged cards: archived, pointing at the survivor, their own history saying so.
    const t = kind === 'person' ? persons : organizations;
    const gone = rowsOf(
      await tx.execute(sql`
        with old as (select id, archived_at from ${t} where id = ${q.intArray(losers)})
        update ${t} x set archived_at = coalesce(x.archived_at, now()), merged_into = ${survivor.id}, version = x.version + 1,
          updated_at = now(), updated_by = ${actor.id}
        from old where x.id = old.id returning x.id, old.archived_at::text as archived_at, x.version`),
      { id: 'number', archived_at: 'string?', version: 'number' },
      'merge: cards archived',
    );
    snap.losers = gone.map((g) => ({ id: Number(g.id), archivedAt: g.archived_at === null ? null : String(g.archived_at), versionAfter: Number(g.version) }));
    for (const id of losers) {
      await recordAudit(tx, { userId: actor.id, entityType: kind, entityId: id, action: 'merge', before: { mergedInto: null }, after: { mergedInto: `№${survivor.id}` }, fields: ['mergedInto'] });
    }
    const [m] = await tx
      .insert(cardMerges)
      .values({ kind, survivorId: survivor.id, mergedIds: losers, survivorVersion: newVersion, snapshot: snap, createdBy: actor.id })
      .returning({ id: cardMerges.id });
    await q.forgetCards(tx, kind, losers);
    await q.checkCard(tx, kind, survivor.id);
    for (const p of snap.persons) await q.checkCard(tx, 'person', p.id);
    return m.id;
  });
  return mergeId;
}

/**
 * Memberships, documents, import records and history of the merged cards move to the survivor.
 * A membership in a group the survivor is in already is ended, its reason joined to the
 * survivor's and its cited documents cited by the survivor's too: no duplicate membership, nothing
 * lost.
 */
async function moveLinks(tx: Tx, actor: User, kind: DuplicateKind, survivorId: number, losers: number[], snap: MergeSnapshot) {
  const col = kind === 'person' ? sql.raw('person_id') : sql.raw('organization_id');
  for (const loser of losers) {
    const clashes = rowsOf(
      await tx.execute(sql`
        select m.id as mid, s.id as sid, m.reason as mreason, s.reason as sreason
        from group_memberships m join group_memberships s on s.group_id = m.group_id and s.${col} = ${survivorId} and s.removed_at is null
        where m.${col} = ${loser} and m.removed_at is null`),
      { mid: 'number', sid: 'number', mreason: 'string', sreason: 'string' },
      'merge: memberships in the same group',
    );
    for (const c of clashes) {
      const reason = uniteReasons(c.sreason, c.mreason);
      if (reason !== c.sreason) {
        const had = snap.reasons.find((r) => r.id === Number(c.sid));
        if (!had) snap.reasons.push({ id: Number(c.sid), reason: c.sreason });
        await tx.execute(sql`update group_memberships set reason = ${reason} where id = ${c.sid}`);
      }
      const cited = rowsOf(
        await tx.execute(sql`
          insert into membership_documents (membership_id, document_id)
          select ${c.sid}, document_id from membership_documents where membership_id = ${c.mid}
          on conflict do nothing returning membership_id, document_id`),
        { membership_id: 'number', document_id: 'number' },
        'merge: cited documents',
      );
      snap.citedDocuments.push(...cited.map((x): [number, number] => [Number(x.membership_id), Number(x.document_id)]));
      await tx.execute(sql`update group_memberships set removed_at = now(), removed_by = ${actor.id} where id = ${c.mid}`);
    }
    const closed = new Set(clashes.map((c) => Number(c.mid)));
    const moved = rowsOf(await tx.execute(sql`update group_memberships set ${col} = ${survivorId} where ${col} = ${loser} returning id`), { id: 'number' }, 'merge: memberships moved');
    snap.memberships.push(...moved.map((m) => ({ id: Number(m.id), from: loser, closed: closed.has(Number(m.id)) })));
  }
  const moveAll = async (table: string, where: ReturnType<typeof sql>, target: ReturnType<typeof sql>) =>
    rowsOf(
      await tx.execute(sql`
        with old as (select id, ${target} as from_id from ${sql.raw(table)} where ${where} for update)
        update ${sql.raw(table)} x set ${target} = ${survivorId} from old where x.id = old.id returning x.id, old.from_id as from`),
      { id: 'number', from: 'number' },
      `merge: ${table} moved`,
    ).map((r) => ({ id: Number(r.id), from: Number(r.from) }));
  snap.documents = await moveAll('documents', sql`${col} = ${q.intArray(losers)}`, col);
  snap.importChanges = await moveAll('import_changes', sql`entity_type = ${kind} and entity_id = ${q.intArray(losers)}`, sql.raw('entity_id'));
  snap.audit = await moveAll('audit_log', sql`entity_type = ${kind} and entity_id = ${q.intArray(losers)}`, sql.raw('entity_id'));
}

/**
 * The two persons' photos change places: the survivor shows the chosen one, the other keeps the
 * survivor's. Returns each one's photo as the history records it, from before the swap.
 */
async function swapPhotos(tx: Tx, a: number, b: number): Promise<Map<number, string | null>> {
  const taken = rowsOf(
    await tx.execute(sql`delete from person_photos where person_id in (${a}, ${b}) returning *`),
    { person_id: 'number', thumbnail: 'bytes', original: 'bytes', original_type: 'string', width: 'number', height: 'number' },
    'merge: photos taken',
  );
  const labels = new Map<number, string | null>([[a, null], [b, null]]);
  for (const p of taken) {
    labels.set(Number(p.person_id), photoLabel({ original: p.original, originalType: String(p.original_type), width: Number(p.width), height: Number(p.height) }));
  }
  for (const p of taken) {
    const to = Number(p.person_id) === a ? b : a;
    await tx.execute(sql`insert into person_photos (person_id, thumbnail, original, original_type, width, height, updated_at)
      values (${to}, ${p.thumbnail}, ${p.original}, ${p.original_type}, ${p.width}, ${p.height}, now())`);
  }
  return labels;
}

/**
 * Gives everything back as it was before the merge, while nobody has written on the survivor, the
 * merged cards or the persons it moved since; otherwise refuses, naming what changed.
 */
export async function undoMerge(db: Db, actor: User, mergeId: number): Promise<{ kind: DuplicateKind; survivorId: number; mergedIds: number[] }> {
  requireSecretary(actor);
  const done = await db.transaction(async (tx) => {
    const m = await q.lockMerge(tx, mergeId);
    if (!m) throw new NotFoundError();
    if (m.undoneAt) throw new ConflictError('duplicates.alreadyUndone');
    const kind = m.kind;
    const snap = m.snapshot as MergeSnapshot;
    const ids = [m.survivorId, ...m.mergedIds].sort((a, b) => a - b);
    const locked = await q.lockCards(tx, kind, ids);
    const survivor = locked.find((c) => c.id === m.survivorId);
    if (!survivor) throw new NotFoundError();
    const changed = async (k: DuplicateKind, id: number) => {
      const entries = await q.changesSinceMerge(tx, k, id, m.id);
      const what = entries.flatMap((e) => (e.action === 'update' ? Object.keys(e.changes as object) : [e.action]));
      const who = entries.find((e) => e.userName)?.userName ?? '';
      return { id, what: [...new Set(what)], who };
    };
    const refuse = async (k: DuplicateKind, id: number) => {
      const c = await changed(k, id);
      throw new ConflictError(k === 'person' ? 'duplicates.undoPersonChanged' : 'duplicates.undoOrganizationChanged', { fields: c.what }, { id, who: c.who });
    };
    // A written version, or any recorded change (a photo or a membership does not bump the version).
    const touched = async (k: DuplicateKind, id: number) => (await q.changesSinceMerge(tx, k, id, m.id, 1)).length > 0;
    if (survivor.version !== m.survivorVersion || (await touched(kind, survivor.id))) await refuse(kind, survivor.id);
    for (const l of snap.losers) {
      const now = locked.find((c) => c.id === l.id);
      if (!now || now.version !== l.versionAfter || now.mergedInto !== m.survivorId || (await touched(kind, l.id))) await refuse(kind, l.id);
    }
    if (snap.persons.length) {
      const ps = await q.lockCards(tx, 'person', snap.persons.map((p) => p.id).sort((a, b) => a - b));
      for (const p of snap.persons) {
        const now = ps.find((x) => x.id === p.id);
        if (!now || now.version !== p.versionAfter) await refuse('person', p.id);
      }
    }
    const col = kind === 'person' ? sql.raw('person_id') : sql.raw('organization_id');
    const back = async (table: string, target: ReturnType<typeof sql>, list: { id: number; from: number }[]) => {
      if (list.length === 0) return;
      await tx.execute(sql`
        update ${sql.raw(table)} x set ${target} = b.from_id
        from jsonb_to_recordset(${JSON.stringify(list.map((l) => ({ id: l.id, from_id: l.from })))}::jsonb) as b(id int, from_id int)
        where x.id = b.id`);
    };
    // Citations and reasons first, then the memberships go home and the ended ones resume.
    for (const [mid, did] of snap.citedDocuments) await tx.execute(sql`delete from membership_documents where membership_id = ${mid} and document_id = ${did}`);
    for (const r of snap.reasons) await tx.execute(sql`update group_memberships set reason = ${r.reason} where id = ${r.id}`);
    await back('group_memberships', col, snap.memberships);
    const closed = snap.memberships.filter((x) => x.closed).map((x) => x.id);
    if (closed.length) await tx.execute(sql`update group_memberships set removed_at = null, removed_by = null where id = ${q.intArray(closed)}`);
    await back('documents', col, snap.documents);
    await back('import_changes', sql.raw('entity_id'), snap.importChanges);
    await back('audit_log', sql.raw('entity_id'), snap.audit);
    const photos = snap.photoFrom !== null ? await swapPhotos(tx, m.survivorId, snap.photoFrom) : new Map<number, string | null>();
    const photoNow = (id: number) => (photos.size ? (photos.get(id) ?? null) : undefined);
    const photoBack = (other: number) => (photos.size ? (photos.get(other) ?? null) : undefined);

    const t = kind === 'person' ? persons : organizations;
    await tx.execute(sql`
      update ${t} x set archived_at = b."archivedAt", merged_into = null, version = x.version + 1, updated_at = now(), updated_by = ${actor.id}
      from jsonb_to_recordset(${JSON.stringify(snap.losers)}::jsonb) as b(id int, "archivedAt" timestamptz)
      where x.id = b.id`);
    if (kind === 'person') {
      const [cur] = await q.personCards(tx, [m.survivorId]);
      const before = snap.survivor as unknown as PersonInput;
      const row = await writePerson(tx, actor, m.survivorId, before, survivor.version + 1);
      await recordAudit(tx, {
        userId: actor.id, entityType: 'person', entityId: m.survivorId, action: 'unmerge',
        before: { ...auditable(cur.row, cur.phones, cur.emails), mergedFrom: m.mergedIds.map((id) => `№${id}`).join(', '), photo: photoNow(m.survivorId) },
        after: { ...auditable(row, before.phones, before.emails), mergedFrom: null, photo: snap.photoFrom === null ? undefined : photoBack(snap.photoFrom) },
        fields: [...PERSON_AUDIT_FIELDS, 'mergedFrom', 'photo'],
      });
      if (snap.photoFrom !== null) {
        await recordAudit(tx, { userId: actor.id, entityType: 'person', entityId: snap.photoFrom, action: 'update', before: { photo: photoNow(snap.photoFrom) }, after: { photo: photoBack(m.survivorId) }, fields: ['photo'] });
      }
    } else {
      const [cur] = await tx.select().from(organizations).where(eq(organizations.id, m.survivorId));
      const before = snap.survivor as unknown as OrganizationInput;
      const row = await writeOrganization(tx, actor, m.survivorId, before, survivor.version + 1);
      await back('persons', sql.raw('organization_id'), snap.persons);
      if (snap.persons.length) {
        await tx.execute(sql`update persons set version = version + 1, updated_at = now(), updated_by = ${actor.id} where id = ${q.intArray(snap.persons.map((p) => p.id))}`);
        for (const id of ids) await refreshPersonsSearchText(tx, id);
        for (const p of snap.persons) {
          await recordAudit(tx, { userId: actor.id, entityType: 'person', entityId: p.id, action: 'update', before: { organizationId: m.survivorId }, after: { organizationId: p.from }, fields: ['organizationId'] });
        }
      }
      await recordAudit(tx, {
        userId: actor.id, entityType: 'organization', entityId: m.survivorId, action: 'unmerge',
        before: { ...cur, mergedFrom: m.mergedIds.map((id) => `№${id}`).join(', ') },
        after: { ...row, mergedFrom: null },
        fields: [...ORGANIZATION_FIELDS, 'mergedFrom'],
      });
    }
    for (const id of m.mergedIds) {
      await recordAudit(tx, { userId: actor.id, entityType: kind, entityId: id, action: 'unmerge', before: { mergedInto: `№${m.survivorId}` }, after: { mergedInto: null }, fields: ['mergedInto'] });
    }
    await tx.update(cardMerges).set({ undoneAt: new Date(), undoneBy: actor.id }).where(eq(cardMerges.id, mergeId));
    for (const id of ids) await q.checkCard(tx, kind, id);
    for (const p of snap.persons) await q.checkCard(tx, 'person', p.id);
    return { kind, survivorId: m.survivorId, mergedIds: m.mergedIds };
  });
  return done;
}

export { StaleError };
