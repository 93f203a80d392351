import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { ADDRESS_FIELDS } from '../../db/schema/address.js';
import { organizations, type Organization } from '../../db/schema/organizations.js';
import { persons } from '../../db/schema/persons.js';
import { activities, categories, regions } from '../../db/schema/references.js';
import type { User } from '../../db/schema/users.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { innProblem, normalizeInn, organizationKeys } from './model.js';
import { FormReader } from '../../lib/validate.js';
import { recordAudit } from '../audit/service.js';
import { requireSecretary } from '../../lib/access.js';
import { lockOrganization } from './queries.js';
import { personSearchText } from '../persons/search-text.js';
import { hasHistory } from '../../lib/history.js';
import { cardSaved } from '../../lib/card-hooks.js';

/** The fields a secretary edits, in form order; also the fields the audit trail compares. */
export const ORGANIZATION_FIELDS = [
  'name',
  'shortName',
  'inn',
  'regionId',
  'activityId',
  'categoryId',
  ...ADDRESS_FIELDS,
  'phones',
  'email',
  'website',
  'note',
] as const;
export type OrganizationInput = Pick<Organization, (typeof ORGANIZATION_FIELDS)[number]>;

/** Reads and checks the organization form; throws ValidationError with every field error. */
export async function readOrganizationForm(db: Db, body: Record<string, unknown>): Promise<OrganizationInput> {
  const f = new FormReader(body);
  const input: OrganizationInput = {
    name: f.text('name', { required: true, max: 500 }),
    shortName: f.text('shortName', { max: 200 }),
    inn: normalizeInn(f.text('inn', { max: 40 })),
    regionId: f.id('regionId'),
    activityId: f.id('activityId'),
    categoryId: f.id('categoryId'),
    ...f.address(),
    phones: f.text('phones', { max: 500 }),
    email: '',
    website: f.text('website', { max: 300 }),
    note: f.text('note', { max: 10000, multiline: true }),
  };
  input.email = f.email('email', f.text('email', { max: 254 }));
  const inn = innProblem(input.inn);
  if (inn && !f.errors.inn) f.errors.inn = { key: inn };
  if (input.website && !/^(https?:\/\/)?[^\s<>"]+\.[^\s<>"]+$/i.test(input.website)) f.errors.website = { key: 'validation.url' };
  // A reference chosen in a stale form may have been archived meanwhile: say so on the field.
  for (const [field, table] of [
    ['regionId', regions],
    ['activityId', activities],
    ['categoryId', categories],
  ] as const) {
    const id = input[field];
    if (id === null || f.errors[field]) continue;
    const [row] = await db.select({ archivedAt: table.archivedAt }).from(table).where(eq(table.id, id));
    if (!row || row.archivedAt) f.errors[field] = { key: 'validation.choose' };
  }
  if (!f.ok) throw new ValidationError(f.errors);
  return input;
}

const keysOf = (input: OrganizationInput) => organizationKeys(input);

export async function createOrganization(db: Db, actor: User, input: OrganizationInput): Promise<Organization> {
  requireSecretary(actor);
  const org = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(organizations)
      .values({ ...input, ...keysOf(input), createdBy: actor.id, updatedBy: actor.id })
      .returning();
    await recordAudit(tx, { userId: actor.id, entityType: 'organization', entityId: row.id, action: 'create', after: row, fields: ORGANIZATION_FIELDS });
    return row;
  });
  await cardSaved(db, 'organization', org.id);
  return org;
}

/**
 * Writes an organization's values and keys in the caller's transaction, with the given version,
 * and its persons' search texts when its names changed: no rights, version check or audit.
 */
export async function writeOrganization(tx: Tx, actor: User, id: number, input: OrganizationInput, version: number): Promise<Organization> {
  const [before] = await tx.select({ name: organizations.name, shortName: organizations.shortName }).from(organizations).where(eq(organizations.id, id));
  const [row] = await tx
    .update(organizations)
    .set({ ...input, ...keysOf(input), version, updatedAt: new Date(), updatedBy: actor.id })
    .where(eq(organizations.id, id))
    .returning();
  if (before && (before.name !== row.name || before.shortName !== row.shortName)) await refreshPersonsSearchText(tx, id);
  return row;
}

/**
 * Saves the form if nobody saved the organization since the form was opened (`version`);
 * otherwise ConflictError carries the stored values so the user can compare and re-apply theirs.
 */
export async function updateOrganization(db: Db, actor: User, id: number, version: number, input: OrganizationInput): Promise<Organization> {
  requireSecretary(actor);
  const saved = await db.transaction(async (tx) => {
    const before = await lockOrganization(tx, id);
    if (!before) throw new NotFoundError();
    if (before.version !== version) throw new ConflictError('errors.conflict.text', before);
    const row = await writeOrganization(tx, actor, id, input, before.version + 1);
    await recordAudit(tx, { userId: actor.id, entityType: 'organization', entityId: id, action: 'update', before, after: row, fields: ORGANIZATION_FIELDS });
    return row;
  });
  await cardSaved(db, 'organization', id);
  return saved;
}

/** The organization's name is part of its persons' search text. */
export async function refreshPersonsSearchText(tx: Tx, organizationId: number) {
  await tx.execute(sql`
    update ${persons} p set search_text = ${personSearchText.sql(sql`p`, sql`o`)}
    from ${organizations} o where o.id = p.organization_id and o.id = ${organizationId}`);
}

export async function setOrganizationArchived(db: Db, actor: User, id: number, archived: boolean): Promise<Organization> {
  requireSecretary(actor);
  const saved = await db.transaction(async (tx) => {
    const before = await lockOrganization(tx, id);
    if (!before) throw new NotFoundError();
    if (Boolean(before.archivedAt) === archived) return before;
    const [row] = await tx
      .update(organizations)
      .set({ archivedAt: archived ? new Date() : null, version: before.version + 1, updatedAt: new Date(), updatedBy: actor.id })
      .where(eq(organizations.id, id))
      .returning();
    await recordAudit(tx, { userId: actor.id, entityType: 'organization', entityId: id, action: archived ? 'archive' : 'restore', before, after: row, fields: ['archivedAt'] });
    return row;
  });
  await cardSaved(db, 'organization', id);
  return saved;
}

/** True when erasing the organization would lose history: persons, documents, memberships. */
export async function organizationHasHistory(db: Db | Tx, id: number): Promise<boolean> {
  return hasHistory(db, 'organization', id);
}

/** Erases an organization that never had history; anything else must be archived instead. */
export async function deleteOrganization(db: Db, actor: User, id: number): Promise<void> {
  requireSecretary(actor);
  await db.transaction(async (tx) => {
    const before = await lockOrganization(tx, id);
    if (!before) throw new NotFoundError();
    if (await organizationHasHistory(tx, id)) throw new ConflictError('organizations.hasHistory');
    await tx.delete(organizations).where(eq(organizations.id, id));
    await recordAudit(tx, { userId: actor.id, entityType: 'organization', entityId: id, action: 'delete', before, fields: ORGANIZATION_FIELDS });
  });
}

/** What other features read of the organizations (the /contacts screen, exports): through this service, never the queries. */
export { findOrganization } from './queries.js';
