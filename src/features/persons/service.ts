import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { ADDRESS_FIELDS } from '../../db/schema/address.js';
import { organizations } from '../../db/schema/organizations.js';
import { GENDERS, PHONE_KINDS, personEmails, personPhones, personPhotos, persons, type Person, type PhoneKind } from '../../db/schema/persons.js';
import type { User } from '../../db/schema/users.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { hasHistory } from '../../lib/history.js';
import { cardSaved } from '../../lib/card-hooks.js';
import { digitsOf, normalizeKey } from '../../lib/text.js';
import { FormReader, isEmail, parsePhone } from '../../lib/validate.js';
import { requireSecretary } from '../../lib/access.js';
import { recordAudit } from '../audit/service.js';
import { findPerson, lockPerson } from './queries.js';
import { personSearchText } from './search-text.js';
import { photoLabel } from './model.js';

export const MAX_PHONES = 20;
export const MAX_EMAILS = 10;

/** The person's own fields, in form order; with `phones` and `emails` they are what the audit compares. */
export const PERSON_FIELDS = [
  'surname',
  'firstName',
  'patronymic',
  'influence',
  'organizationId',
  'jobTitle',
  'gender',
  'dativeOverride',
  'note',
  ...ADDRESS_FIELDS,
] as const;
export const AUDIT_FIELDS = [...PERSON_FIELDS, 'phones', 'emails'] as const;

export interface PhoneInput {
  kind: PhoneKind;
  number: string;
}
export type PersonInput = Pick<Person, (typeof PERSON_FIELDS)[number]> & { phones: PhoneInput[]; emails: string[] };

/**
 * Reads the person form. Phones come as parallel lists phoneKind[] / phoneNumber[] and e-mails as
 * email[]; empty rows are dropped. Errors are keyed `phoneNumber.N` / `email.N` by row.
 * When editing (`existing`), the organization the person already has may be archived: the form
 * shows it as chosen, and refusing it would block every other edit of the card. Only a newly
 * chosen archived organization is refused, as the document form does.
 */
export async function readPersonForm(db: Db, body: Record<string, unknown>, existing?: Pick<Person, 'organizationId'>): Promise<PersonInput> {
  const f = new FormReader(body);
  const input: PersonInput = {
    surname: f.text('surname', { required: true, max: 200 }),
    firstName: f.text('firstName', { max: 200 }),
    patronymic: f.text('patronymic', { max: 200 }),
    influence: f.int('influence', -5, 5, 0) ?? 0,
    organizationId: f.id('organizationId'),
    jobTitle: f.text('jobTitle', { max: 300 }),
    gender: f.oneOf('gender', GENDERS, 'unspecified'),
    dativeOverride: f.text('dativeOverride', { max: 300 }),
    note: f.text('note', { max: 10000, multiline: true }),
    ...f.address(),
    phones: [],
    emails: [],
  };
  const kinds = f.list('phoneKind');
  const numbers = f.list('phoneNumber');
  numbers.forEach((number, i) => {
    if (!number) return;
    const kind = (PHONE_KINDS as readonly string[]).includes(kinds[i]) ? (kinds[i] as PhoneKind) : 'work';
    if (number.length > 50 || !parsePhone(number)) f.errors[`phoneNumber.${i}`] = { key: 'validation.phone' };
    input.phones.push({ kind, number });
  });
  if (input.phones.length > MAX_PHONES) f.errors.phones = { key: 'validation.tooMany', params: { count: MAX_PHONES } };
  const seen = new Set<string>();
  f.list('email').forEach((email, i) => {
    if (!email) return;
    if (!isEmail(email)) f.errors[`email.${i}`] = { key: 'validation.email' };
    if (seen.has(email.toLowerCase())) return;
    seen.add(email.toLowerCase());
    input.emails.push(email);
  });
  if (input.emails.length > MAX_EMAILS) f.errors.emails = { key: 'validation.tooMany', params: { count: MAX_EMAILS } };
  if (input.organizationId !== null && !f.errors.organizationId) {
    const [org] = await db.select({ archivedAt: organizations.archivedAt }).from(organizations).where(eq(organizations.id, input.organizationId));
    const unchanged = existing?.organizationId === input.organizationId;
    if (!org) f.errors.organizationId = { key: 'validation.choose' };
    else if (org.archivedAt && !unchanged) f.errors.organizationId = { key: 'persons.organizationArchived' };
  }
  if (!f.ok) throw new ValidationError(f.errors);
  return input;
}

async function derived(tx: Tx, input: PersonInput) {
  const [org] = input.organizationId
    ? await tx.select({ name: organizations.name, shortName: organizations.shortName }).from(organizations).where(eq(organizations.id, input.organizationId))
    : [];
  const phoneDigits = input.phones
    .flatMap((p) => {
      const parsed = parsePhone(p.number);
      return [digitsOf(p.number), parsed ? digitsOf(parsed.e164) : '', parsed?.national ?? ''];
    })
    .filter((d, i, all) => d && all.indexOf(d) === i)
    .join(' ');
  return {
    sortKey: normalizeKey(`${input.surname} ${input.firstName} ${input.patronymic}`),
    searchText: personSearchText.of(input, org ?? null, input.emails),
    phoneDigits,
  };
}

async function writeContacts(tx: Tx, personId: number, input: PersonInput) {
  await tx.delete(personPhones).where(eq(personPhones.personId, personId));
  await tx.delete(personEmails).where(eq(personEmails.personId, personId));
  if (input.phones.length) {
    await tx.insert(personPhones).values(input.phones.map((p, i) => ({ personId, kind: p.kind, number: p.number, e164: parsePhone(p.number)?.e164 ?? null, position: i })));
  }
  if (input.emails.length) {
    await tx.insert(personEmails).values(input.emails.map((email, i) => ({ personId, email, position: i })));
  }
}

/** The person as the audit trail compares it: own fields plus phones and e-mails as text. */
export function auditable(p: Person | PersonInput, phones: { kind: string; number: string }[], emails: string[]) {
  return { ...p, phones: phones.map((x) => `${x.kind}: ${x.number}`), emails };
}

function personValues(input: PersonInput) {
  const { phones: _p, emails: _e, ...own } = input;
  return own;
}

export async function createPerson(db: Db, actor: User, input: PersonInput): Promise<Person> {
  requireSecretary(actor);
  const person = await db.transaction(async (tx) => {
    const [row] = await tx
      .insert(persons)
      .values({ ...personValues(input), ...(await derived(tx, input)), createdBy: actor.id, updatedBy: actor.id })
      .returning();
    await writeContacts(tx, row.id, input);
    await recordAudit(tx, { userId: actor.id, entityType: 'person', entityId: row.id, action: 'create', after: auditable(row, input.phones, input.emails), fields: AUDIT_FIELDS });
    return row;
  });
  await cardSaved(db, 'person', person.id);
  return person;
}

/**
 * Writes a person's values, derived columns, phones and e-mails in the caller's transaction, with
 * the given version: no rights, version or audit of its own (the caller's action has them).
 */
export async function writePerson(tx: Tx, actor: User, id: number, input: PersonInput, version: number): Promise<Person> {
  const [row] = await tx
    .update(persons)
    .set({ ...personValues(input), ...(await derived(tx, input)), version, updatedAt: new Date(), updatedBy: actor.id })
    .where(eq(persons.id, id))
    .returning();
  await writeContacts(tx, id, input);
  return row;
}

/** Saves the card unless someone saved it since the form was opened (then ConflictError). */
export async function updatePerson(db: Db, actor: User, id: number, version: number, input: PersonInput): Promise<Person> {
  requireSecretary(actor);
  const saved = await db.transaction(async (tx) => {
    const locked = await lockPerson(tx, id);
    if (!locked) throw new NotFoundError();
    const before = (await findPerson(tx, id))!;
    if (locked.version !== version) throw new ConflictError('errors.conflict.text', before);
    const row = await writePerson(tx, actor, id, input, locked.version + 1);
    await recordAudit(tx, {
      userId: actor.id,
      entityType: 'person',
      entityId: id,
      action: 'update',
      before: auditable(before, before.phones, before.emails.map((e) => e.email)),
      after: auditable(row, input.phones, input.emails),
      fields: AUDIT_FIELDS,
    });
    return row;
  });
  await cardSaved(db, 'person', id);
  return saved;
}

export async function setPersonArchived(db: Db, actor: User, id: number, archived: boolean): Promise<Person> {
  requireSecretary(actor);
  const saved = await db.transaction(async (tx) => {
    const before = await lockPerson(tx, id);
    if (!before) throw new NotFoundError();
    if (Boolean(before.archivedAt) === archived) return before;
    const [row] = await tx
      .update(persons)
      .set({ archivedAt: archived ? new Date() : null, version: before.version + 1, updatedAt: new Date(), updatedBy: actor.id })
      .where(eq(persons.id, id))
      .returning();
    await recordAudit(tx, { userId: actor.id, entityType: 'person', entityId: id, action: archived ? 'archive' : 'restore', before, after: row, fields: ['archivedAt'] });
    return row;
  });
  await cardSaved(db, 'person', id);
  return saved;
}

export async function personHasHistory(db: Db | Tx, id: number): Promise<boolean> {
  return hasHistory(db, 'person', id);
}

/** Erases a person who never had correspondence or memberships; others are archived instead. */
export async function deletePerson(db: Db, actor: User, id: number): Promise<void> {
  requireSecretary(actor);
  await db.transaction(async (tx) => {
    const before = await lockPerson(tx, id);
    if (!before) throw new NotFoundError();
    if (await personHasHistory(tx, id)) throw new ConflictError('persons.hasHistory');
    await tx.delete(persons).where(eq(persons.id, id));
    await recordAudit(tx, { userId: actor.id, entityType: 'person', entityId: id, action: 'delete', before, fields: PERSON_FIELDS });
  });
}

/** Stores a checked photo (thumbnail PNG + original) for the person. */
export async function setPersonPhoto(
  db: Db,
  actor: User,
  id: number,
  photo: { thumbnail: Buffer; original: Buffer; originalType: string; width: number; height: number },
) {
  requireSecretary(actor);
  await db.transaction(async (tx) => {
    const before = await lockPerson(tx, id);
    if (!before) throw new NotFoundError();
    const [old] = await tx
      .select({ original: personPhotos.original, originalType: personPhotos.originalType, width: personPhotos.width, height: personPhotos.height })
      .from(personPhotos)
      .where(eq(personPhotos.personId, id));
    await tx
      .insert(personPhotos)
      .values({ personId: id, ...photo })
      .onConflictDoUpdate({ target: personPhotos.personId, set: { ...photo, updatedAt: new Date() } });
    // The photo is saved on its own, so it does not bump the version an open edit form holds.
    await tx.update(persons).set({ updatedAt: new Date(), updatedBy: actor.id }).where(eq(persons.id, id));
    await recordAudit(tx, { userId: actor.id, entityType: 'person', entityId: id, action: 'update', before: { photo: photoLabel(old) }, after: { photo: photoLabel(photo) }, fields: ['photo'] });
  });
}

export async function removePersonPhoto(db: Db, actor: User, id: number) {
  requireSecretary(actor);
  await db.transaction(async (tx) => {
    const before = await lockPerson(tx, id);
    if (!before) throw new NotFoundError();
    const deleted = await tx
      .delete(personPhotos)
      .where(eq(personPhotos.personId, id))
      .returning({ original: personPhotos.original, originalType: personPhotos.originalType, width: personPhotos.width, height: personPhotos.height });
    if (deleted.length) {
      await tx.update(persons).set({ updatedAt: new Date(), updatedBy: actor.id }).where(eq(persons.id, id));
      await recordAudit(tx, { userId: actor.id, entityType: 'person', entityId: id, action: 'update', before: { photo: photoLabel(deleted[0]) }, after: { photo: null }, fields: ['photo'] });
    }
  });
}

/** What other features read of the persons (the /contacts screen, exports): through this service, never the queries. */
export { contactsOf, findPerson, photoOf } from './queries.js';
