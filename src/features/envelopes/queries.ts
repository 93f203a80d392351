import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/client.js';
import { ADDRESS_FIELDS } from '../../db/schema/address.js';
import { groupMemberships, mailingGroups } from '../../db/schema/groups.js';
import { organizations } from '../../db/schema/organizations.js';
import { persons } from '../../db/schema/persons.js';
import type { MemberRow, OrganizationPart } from './recipient.js';

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

export function findGroup(db: Db, id: number) {
  return db
    .select({ id: mailingGroups.id, name: mailingGroups.name, archivedAt: mailingGroups.archivedAt })
    .from(mailingGroups)
    .where(eq(mailingGroups.id, id))
    .then((r) => r[0]);
}

/** A group's current memberships, counted. */
export async function countGroupMembers(db: Db, groupId: number): Promise<number> {
  const [r] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(groupMemberships)
    .where(and(eq(groupMemberships.groupId, groupId), isNull(groupMemberships.removedAt)));
  return Number(r.n);
}

/** The current members of a group (removed ones excluded), persons and organizations in one alphabetical list. */
export async function groupMembers(db: Db, groupId: number): Promise<MemberRow[]> {
  // The order first (two ids a member), then the members' columns in chunks: one result of
  // 10,000 rows of 40 columns was mapped in one go and held the event loop for half a second.
  const order = await db
    .select({ personId: groupMemberships.personId, organizationId: groupMemberships.organizationId })
    .from(groupMemberships)
    .leftJoin(persons, eq(persons.id, groupMemberships.personId))
    .leftJoin(organizations, eq(organizations.id, groupMemberships.organizationId))
    .where(and(eq(groupMemberships.groupId, groupId), isNull(groupMemberships.removedAt)))
    .orderBy(sql`coalesce(${persons.sortKey}, ${organizations.sortKey})`, asc(groupMemberships.id));
  const found = await membersByIds(db, {
    personIds: order.flatMap((o) => (o.personId ? [o.personId] : [])),
    organizationIds: order.flatMap((o) => (o.organizationId ? [o.organizationId] : [])),
  });
  const byPerson = new Map<number, MemberRow>();
  const byOrg = new Map<number, MemberRow>();
  for (const r of found) {
    if (r.person) byPerson.set(r.person.id, r);
    else byOrg.set(r.organization.id, r);
  }
  // A membership holds a person or an organization (a check constraint).
  return order.flatMap((o) => {
    const r = o.personId ? byPerson.get(o.personId) : byOrg.get(o.organizationId!);
    return r ? [r] : [];
  });
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

const CHUNK = 500;

/** Persons and organizations by id, as addressees (a mailing freezing a /contacts selection, one recipient added by hand). */
export async function membersByIds(db: Db, ids: { personIds: number[]; organizationIds: number[] }): Promise<MemberRow[]> {
  const out: MemberRow[] = [];
  // Chunks of CHUNK: each result is mapped between turns of the event loop, not 10,000 at once.
  for (let i = 0; i < ids.personIds.length; i += CHUNK) {
    const chunk = ids.personIds.slice(i, i + CHUNK);
    const rows = await db
      .select({ person: personColumns, personOrganization: orgColumns(personOrg) })
      .from(persons)
      .leftJoin(personOrg, eq(personOrg.id, persons.organizationId))
      .where(inArray(persons.id, chunk));
    for (const r of rows) out.push({ person: r.person, personOrganization: r.personOrganization?.id != null ? (r.personOrganization as OrganizationPart) : null, organization: null });
  }
  for (let i = 0; i < ids.organizationIds.length; i += CHUNK) {
    const chunk = ids.organizationIds.slice(i, i + CHUNK);
    for (const o of await db.select(orgColumns(organizations)).from(organizations).where(inArray(organizations.id, chunk))) out.push({ person: null, personOrganization: null, organization: o });
  }
  return out;
}
