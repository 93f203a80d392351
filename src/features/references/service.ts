import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../db/client.js';
import { REFERENCE_KINDS, type ReferenceItem, type ReferenceKind } from '../../db/schema/references.js';
import type { User } from '../../db/schema/users.js';
import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '../../lib/errors.js';
import { cleanText, normalizeKey } from '../../lib/text.js';
import { requireSecretary } from '../../lib/access.js';
import { recordAudit } from '../audit/service.js';
import * as q from './queries.js';
import { REFERENCE_ENTITY_TYPES } from './model.js';
import { RUSSIAN_REGIONS } from './russian-regions.js';
import { isUniqueViolation } from '../../lib/pg-errors.js';

export { REFERENCE_KINDS, type ReferenceItem, type ReferenceKind };

export const MAX_NAME_LENGTH = 200;
const REGIONS_SEEDED_KEY = 'regions_seeded';

/**
 * The choices of a select on another form (the organization's region, activity, category):
 * active entries in list order. Pass the record's current value as `alsoId`, so that an entry
 * archived since is still shown as chosen instead of being silently dropped on the next save.
 */
export function listActive(db: Db, kind: ReferenceKind, opts: { alsoId?: number | null } = {}): Promise<{ id: number; name: string }[]> {
  return q.listActiveEntries(db, kind, opts.alsoId ?? null);
}

/** One entry by id, archived or not; undefined when there is none (e.g. to check a submitted id). */
export function findReference(db: Db, kind: ReferenceKind, id: number): Promise<ReferenceItem | undefined> {
  return q.findEntry(db, kind, id);
}

export interface ListResult {
  items: ReferenceItem[];
  /** Archived entries matching the search that are hidden because archived ones are not shown. */
  archivedHidden: number;
}

/**
 * A list page: entries whose name contains `search` (case- and Ё-insensitive). Lists are short
 * (tens to a few hundred entries), so one query fetches archived ones too and they are counted here.
 */
export async function listReferences(db: Db, kind: ReferenceKind, opts: { search?: string; showArchived?: boolean }): Promise<ListResult> {
  const rows = await q.listEntries(db, kind, normalizeKey(cleanText(opts.search)));
  if (opts.showArchived) return { items: rows, archivedHidden: 0 };
  const items = rows.filter((r) => !r.archivedAt);
  return { items, archivedHidden: rows.length - items.length };
}

/** A one-line name from a form: cleaned, runs of white space collapsed. */
function cleanName(v: unknown): string {
  return cleanText(v).replace(/\s+/g, ' ');
}

function nameErrors(name: string): FieldErrors {
  if (!name) return { name: { key: 'validation.required' } };
  if (name.length > MAX_NAME_LENGTH) return { name: { key: 'validation.tooLong', params: { count: MAX_NAME_LENGTH } } };
  return {};
}

function duplicateError(existing: ReferenceItem): ValidationError {
  const key = existing.archivedAt ? 'references.duplicateArchived' : 'references.duplicate';
  return new ValidationError({ name: { key, params: { name: existing.name } } });
}

/** The same name (case- and Ё-insensitively) in another entry of the list, archived ones included. */
async function assertUnique(db: Db, kind: ReferenceKind, sortKey: string, selfId: number | null) {
  const existing = await q.findEntryBySortKey(db, kind, sortKey);
  if (existing && existing.id !== selfId) throw duplicateError(existing);
}

/**
 * Runs a write; when two secretaries save the same name at once the unique index refuses the
 * second, which then gets the same field error as if it had been first to look.
 */
async function guardUnique<T>(db: Db, kind: ReferenceKind, sortKey: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    const existing = await q.findEntryBySortKey(db, kind, sortKey);
    if (existing) throw duplicateError(existing);
    throw err;
  }
}

export async function createReference(db: Db, actor: User, kind: ReferenceKind, input: { name?: string }): Promise<ReferenceItem> {
  requireSecretary(actor);
  const name = cleanName(input.name);
  const errors = nameErrors(name);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  const sortKey = normalizeKey(name);
  await assertUnique(db, kind, sortKey, null);
  return guardUnique(db, kind, sortKey, () =>
    db.transaction(async (tx) => {
      const item = await q.insertEntry(tx, kind, { name, sortKey, updatedBy: actor.id });
      await recordAudit(tx, { userId: actor.id, entityType: REFERENCE_ENTITY_TYPES[kind], entityId: item.id, action: 'create', after: item, fields: ['name', 'code'] });
      return item;
    }),
  );
}

/**
 * Renames an entry if nobody changed it since the form was opened (`version`); otherwise a
 * ConflictError carries the stored entry, so the form can show both names side by side.
 */
export async function renameReference(db: Db, actor: User, kind: ReferenceKind, id: number, input: { name?: string; version: number }): Promise<ReferenceItem> {
  requireSecretary(actor);
  const existing = await q.findEntry(db, kind, id);
  if (!existing) throw new NotFoundError();
  const name = cleanName(input.name);
  const errors = nameErrors(name);
  if (Object.keys(errors).length) throw new ValidationError(errors);
  // Someone else already saved exactly this name: nothing to write and nothing to dispute.
  if (name === existing.name) return existing;
  if (existing.version !== input.version) throw new ConflictError('errors.conflict.text', existing);
  const sortKey = normalizeKey(name);
  await assertUnique(db, kind, sortKey, id);
  return guardUnique(db, kind, sortKey, () =>
    db.transaction(async (tx) => {
      const updated = await q.renameEntry(tx, kind, id, input.version, { name, sortKey, updatedBy: actor.id });
      // Changed between the read above and this write: the version check in the update decides.
      if (!updated) throw new ConflictError('errors.conflict.text', await q.findEntry(tx, kind, id));
      await recordAudit(tx, { userId: actor.id, entityType: REFERENCE_ENTITY_TYPES[kind], entityId: id, action: 'update', before: existing, after: updated, fields: ['name'] });
      return updated;
    }),
  );
}

/**
 * Archives (or restores) an entry. Records that use it keep it; it only leaves the choices of
 * new selections. Doing it twice is harmless and records nothing the second time.
 */
export async function setReferenceArchived(db: Db, actor: User, kind: ReferenceKind, id: number, archived: boolean): Promise<ReferenceItem> {
  requireSecretary(actor);
  return db.transaction(async (tx) => {
    const current = await q.findEntry(tx, kind, id);
    if (!current) throw new NotFoundError();
    // Already in that state (a double click, or another secretary was first): nothing to record.
    const updated = Boolean(current.archivedAt) === archived ? undefined : await q.setArchived(tx, kind, id, archived, actor.id);
    if (!updated) return (await q.findEntry(tx, kind, id)) ?? current;
    await recordAudit(tx, {
      userId: actor.id,
      entityType: REFERENCE_ENTITY_TYPES[kind],
      entityId: id,
      action: archived ? 'archive' : 'restore',
      before: current,
      after: updated,
      fields: ['archivedAt'],
    });
    return updated;
  });
}

/**
 * Fills the regions with the subjects of the Russian Federation, once per installation: the
 * `regions_seeded` setting marks it done, so regions an administrator archived or renamed are
 * never brought back. The marker and the rows commit together; of two instances starting at once,
 * only the one whose marker insert succeeds fills the list. Not audited: no person made the change.
 * Returns the number of regions added.
 */
export async function ensureRegions(db: Db, log?: FastifyBaseLogger): Promise<number> {
  const added = await db.transaction(async (tx) => {
    if (!(await q.claimSetting(tx, REGIONS_SEEDED_KEY, { at: new Date().toISOString(), count: RUSSIAN_REGIONS.length }))) return 0;
    const rows = RUSSIAN_REGIONS.map((r) => ({ name: r.name, sortKey: normalizeKey(r.name), code: r.code }));
    return q.insertEntriesIfMissing(tx, 'regions', rows);
  });
  if (added) log?.info({ count: added }, 'pre-filled the regions list with the subjects of the Russian Federation');
  return added;
}
