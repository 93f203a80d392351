import { and, asc, eq, inArray, isNull } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { organizations, type Organization } from '../../db/schema/organizations.js';
import { personEmails, personPhones, personPhotos, persons, type Person, type PersonEmail, type PersonPhone } from '../../db/schema/persons.js';

export interface PersonFull extends Person {
  phones: PersonPhone[];
  emails: PersonEmail[];
  organizationName: string | null;
  organizationArchived: boolean;
  hasPhoto: boolean;
}

export async function findPerson(db: Db | Tx, id: number): Promise<PersonFull | undefined> {
  const [row] = await db
    .select({ p: persons, orgName: organizations.name, orgArchivedAt: organizations.archivedAt, photo: personPhotos.personId })
    .from(persons)
    .leftJoin(organizations, eq(organizations.id, persons.organizationId))
    .leftJoin(personPhotos, eq(personPhotos.personId, persons.id))
    .where(eq(persons.id, id));
  if (!row) return undefined;
  const [phones, emails] = await Promise.all([
    db.select().from(personPhones).where(eq(personPhones.personId, id)).orderBy(asc(personPhones.position), asc(personPhones.id)),
    db.select().from(personEmails).where(eq(personEmails.personId, id)).orderBy(asc(personEmails.position), asc(personEmails.id)),
  ]);
  return { ...row.p, phones, emails, organizationName: row.orgName, organizationArchived: Boolean(row.orgArchivedAt), hasPhoto: row.photo !== null };
}

export async function lockPerson(tx: Tx, id: number): Promise<Person | undefined> {
  const [row] = await tx.select().from(persons).where(eq(persons.id, id)).for('update');
  return row;
}

/** Phones and e-mails of many persons at once (cards on the contacts screen): no N+1. */
export async function contactsOf(db: Db, ids: number[]) {
  if (ids.length === 0) return { phones: new Map<number, PersonPhone[]>(), emails: new Map<number, PersonEmail[]>() };
  const [phones, emails] = await Promise.all([
    db.select().from(personPhones).where(inArray(personPhones.personId, ids)).orderBy(asc(personPhones.position), asc(personPhones.id)),
    db.select().from(personEmails).where(inArray(personEmails.personId, ids)).orderBy(asc(personEmails.position), asc(personEmails.id)),
  ]);
  const group = <T extends { personId: number }>(rows: T[]) => {
    const m = new Map<number, T[]>();
    for (const r of rows) m.set(r.personId, [...(m.get(r.personId) ?? []), r]);
    return m;
  };
  return { phones: group(phones), emails: group(emails) };
}

export function photoOf(db: Db, personId: number) {
  return db
    .select()
    .from(personPhotos)
    .where(eq(personPhotos.personId, personId))
    .then((r) => r[0]);
}

export function personsOfOrganization(db: Db, organizationId: number, opts: { includeArchived?: boolean; limit?: number } = {}) {
  return db
    .select()
    .from(persons)
    .where(and(eq(persons.organizationId, organizationId), opts.includeArchived ? undefined : isNull(persons.archivedAt)))
    .orderBy(asc(persons.sortKey), asc(persons.id))
    .limit(opts.limit ?? 500);
}

/**
 * A person's organization as the card shows it (its name and the address a person without one
 * is written to): the organization's own row, read here so persons need not import the
 * organizations feature, which is built on them.
 */
export async function organizationOf(db: Db | Tx, organizationId: number): Promise<Organization | undefined> {
  const [row] = await db.select().from(organizations).where(eq(organizations.id, organizationId));
  return row;
}
