import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client.js';
import { ADDRESS_FIELDS } from '../../db/schema/address.js';
import { groupMemberships, mailingGroups } from '../../db/schema/groups.js';
import { organizations } from '../../db/schema/organizations.js';
import { persons } from '../../db/schema/persons.js';
import type { MemberRow, OrganizationPart, PersonPart } from './recipient.js';

// The person's organization and the member organization are the same table joined twice.
const personOrg = alias(organizations, 'person_org');

type Table = typeof organizations | typeof personOrg | typeof persons;
function addressColumns<T extends Table>(t: T) {
  return Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, t[f]])) as { [K in (typeof ADDRESS_FIELDS)[number]]: T[K] };
}

const personColumns = {
  id: persons.id,
  surname: persons.surname,
  firstName: persons.firstName,
  patronymic: persons.patronymic,
  gender: persons.gender,
  dativeOverride: persons.dativeOverride,
  organizationId: persons.organizationId,
  archivedAt: persons.archivedAt,
  ...addressColumns(persons),
};
const orgColumns = <T extends typeof organizations | typeof personOrg>(t: T) => ({ id: t.id, name: t.name, shortName: t.shortName, archivedAt: t.archivedAt, ...addressColumns(t) });

/** Only what an envelope needs: a group of 10,000 members stays a small result. */
function selectMembers(db: Db) {
  return db
    .select({ person: personColumns, personOrganization: orgColumns(personOrg), organization: orgColumns(organizations) })
    .from(groupMemberships)
    .leftJoin(persons, eq(persons.id, groupMemberships.personId))
    .leftJoin(personOrg, eq(personOrg.id, persons.organizationId))
    .leftJoin(organizations, eq(organizations.id, groupMemberships.organizationId));
}

export function findGroup(db: Db, id: number) {
  return db
    .select({ id: mailingGroups.id, name: mailingGroups.name, archivedAt: mailingGroups.archivedAt })
    .from(mailingGroups)
    .where(eq(mailingGroups.id, id))
    .then((r) => r[0]);
}

/** The current members of a group (removed ones excluded), persons and organizations in one alphabetical list. */
/** A group's current memberships, counted. */
export async function countGroupMembers(db: Db, groupId: number): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(groupMemberships)
    .where(and(eq(groupMemberships.groupId, groupId), isNull(groupMemberships.removedAt)));
  return Number(r.n);
}

export async function groupMembers(db: Db, groupId: number): Promise<MemberRow[]> {
  const rows = await selectMembers(db)
    .where(and(eq(groupMemberships.groupId, groupId), isNull(groupMemberships.removedAt)))
    .orderBy(sql`coalesce(${persons.sortKey}, ${organizations.sortKey})`, asc(groupMemberships.id));
  // A membership holds a person or an organization (a check constraint); the other joins are empty.
  return rows.map((r) =>
    r.person?.id != null
      ? { person: r.person as PersonPart, personOrganization: r.personOrganization?.id != null ? (r.personOrganization as OrganizationPart) : null, organization: null }
      : { person: null, personOrganization: null, organization: r.organization as OrganizationPart },
  );
}

export async function personMember(db: Db, id: number): Promise<MemberRow | undefined> {
  const [row] = await db
    .select({ person: personColumns, personOrganization: orgColumns(personOrg) })
    .from(persons)
    .leftJoin(personOrg, eq(personOrg.id, persons.organizationId))
    .where(eq(persons.id, id));
  if (!row) return undefined;
  return { person: row.person, personOrganization: row.personOrganization?.id != null ? (row.personOrganization as OrganizationPart) : null, organization: null };
}

export async function organizationMember(db: Db, id: number): Promise<MemberRow | undefined> {
  const [row] = await db.select(orgColumns(organizations)).from(organizations).where(eq(organizations.id, id));
  return row ? { person: null, personOrganization: null, organization: row } : undefined;
}

/** Persons and organizations by id, as addressees (a mailing freezing a /contacts selection, one recipient added by hand). */
export async function membersByIds(db: Db, ids: { personIds: number[]; organizationIds: number[] }): Promise<MemberRow[]> {
  const out: MemberRow[] = [];
  // Chunks keep each statement's parameter list small for a selection of tens of thousands.
  for (let i = 0; i < ids.personIds.length; i += 5000) {
    const chunk = ids.personIds.slice(i, i + 5000);
    const rows = await db
      .select({ person: personColumns, personOrganization: orgColumns(personOrg) })
      .from(persons)
      .leftJoin(personOrg, eq(personOrg.id, persons.organizationId))
      .where(inArray(persons.id, chunk));
    for (const r of rows) out.push({ person: r.person, personOrganization: r.personOrganization?.id != null ? (r.personOrganization as OrganizationPart) : null, organization: null });
  }
  for (let i = 0; i < ids.organizationIds.length; i += 5000) {
    const chunk = ids.organizationIds.slice(i, i + 5000);
    for (const o of await db.select(orgColumns(organizations)).from(organizations).where(inArray(organizations.id, chunk))) out.push({ person: null, personOrganization: null, organization: o });
  }
  return out;
}
