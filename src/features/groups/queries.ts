import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { documents } from '../../db/schema/documents.js';
import { GROUP_MARKS, groupMemberships, mailingGroups, membershipDocuments, type MailingGroup } from '../../db/schema/groups.js';
import { organizations } from '../../db/schema/organizations.js';
import { persons } from '../../db/schema/persons.js';
import { users } from '../../db/schema/users.js';
import { Locator } from '../../lib/search/locator.js';
import { rowsOf, type RowOf } from '../../db/rows.js';


export async function findGroup(db: Db | Tx, id: number): Promise<MailingGroup | undefined> {
  const [g] = await db.select().from(mailingGroups).where(eq(mailingGroups.id, id));
  return g;
}

const GROUP_LIST_ROW = {
  id: 'number',
  name: 'string',
  sortKey: 'string',
  description: 'string',
  mark: GROUP_MARKS,
  archivedAt: 'date?',
  version: 'number',
  createdAt: 'date',
  updatedAt: 'date',
  persons: 'number',
  organizations: 'number',
} as const;
export type GroupListRow = RowOf<typeof GROUP_LIST_ROW>;

/** Groups with their active member counts (persons, organizations). */
/**
 * A group's counts, one definition for /groups, the group page and /contacts ("33 организации,
 * 38 человек"): its current members who are active persons, and the live organizations that stand
 * under it on /contacts (members themselves or through an active member person). `g` is the group.
 */
// Both read the group's members through its membership index and look the persons up by key
// (`= any(array(…))`): a join let the planner hash the whole persons table for every group.
const MEMBER_PERSONS = sql`array(select m.person_id from group_memberships m where m.group_id = g.id and m.removed_at is null and m.person_id is not null)`;
const GROUP_PERSONS = sql`(select count(*) from persons p where p.id = any(${MEMBER_PERSONS}) and p.archived_at is null)::int`;
const GROUP_ORGANIZATIONS = sql`(select count(*) from organizations o where o.archived_at is null and o.id in (
  select m.organization_id from group_memberships m where m.group_id = g.id and m.removed_at is null and m.organization_id is not null
  union
  select p.organization_id from persons p
  where p.id = any(${MEMBER_PERSONS}) and p.archived_at is null and p.organization_id is not null))::int`;

/** The counts of some groups, by the one definition above. */
export async function groupCounts(db: Db | Tx, ids: number[]): Promise<Map<number, { persons: number; organizations: number }>> {
  if (!ids.length) return new Map();
  const found = rowsOf(
    await db.execute(sql`select g.id, ${GROUP_PERSONS} as persons, ${GROUP_ORGANIZATIONS} as organizations from mailing_groups g where g.id = any(${`{${ids.join(',')}}`}::int[])`),
    { id: 'number', persons: 'number', organizations: 'number' },
    'groups: counts',
  );
  return new Map(found.map((r) => [Number(r.id), { persons: Number(r.persons), organizations: Number(r.organizations) }]));
}

/** Only the persons' count of some groups (the /contacts walk already counted their organizations). */
export async function groupPersonCounts(db: Db | Tx, ids: number[]): Promise<Map<number, number>> {
  if (!ids.length) return new Map();
  const found = rowsOf(
    await db.execute(sql`select g.id, ${GROUP_PERSONS} as persons from mailing_groups g where g.id = any(${`{${ids.join(',')}}`}::int[])`),
    { id: 'number', persons: 'number' },
    'groups: persons counts',
  );
  return new Map(found.map((r) => [Number(r.id), Number(r.persons)]));
}

export async function listGroups(db: Db, opts: { showArchived?: boolean } = {}): Promise<GroupListRow[]> {
  return rowsOf(
    await db.execute(sql`
      select g.id, g.name, g.sort_key as "sortKey", g.description, g.mark, g.archived_at as "archivedAt", g.version,
        g.created_at as "createdAt", g.updated_at as "updatedAt",
        ${GROUP_PERSONS} as persons, ${GROUP_ORGANIZATIONS} as organizations
      from mailing_groups g
      ${opts.showArchived ? sql`` : sql`where g.archived_at is null`}
      order by g.sort_key, g.id`),
    GROUP_LIST_ROW,
    'groups: list',
  ).map((r) => ({ ...r, persons: Number(r.persons), organizations: Number(r.organizations) }));
}

export interface MembershipRow {
  id: number;
  groupId: number;
  groupName: string;
  groupMark: 'none' | 'priority' | 'warning';
  reason: string;
  addedAt: Date;
  addedByName: string | null;
  removedAt: Date | null;
  removedByName: string | null;
  documents: { id: number; regNumber: string }[];
}

/** The memberships of one person or organization (active first, then former ones). */
export async function membershipsOf(db: Db, member: { personId: number } | { organizationId: number }, opts: { includeRemoved?: boolean } = {}): Promise<MembershipRow[]> {
  const cond = 'personId' in member ? sql`m.person_id = ${member.personId}` : sql`m.organization_id = ${member.organizationId}`;
  const list = rowsOf(
    await db.execute(sql`
      select m.id, m.group_id as "groupId", g.name as "groupName", g.mark as "groupMark", m.reason, m.added_at as "addedAt",
        ua.name as "addedByName", m.removed_at as "removedAt", ur.name as "removedByName"
      from group_memberships m join mailing_groups g on g.id = m.group_id
      left join users ua on ua.id = m.added_by left join users ur on ur.id = m.removed_by
      where ${cond} ${opts.includeRemoved ? sql`` : sql`and m.removed_at is null`}
      order by (m.removed_at is not null), g.sort_key, m.added_at desc`),
    {
      id: 'number',
      groupId: 'number',
      groupName: 'string',
      groupMark: GROUP_MARKS,
      reason: 'string',
      addedAt: 'date',
      addedByName: 'string?',
      removedAt: 'date?',
      removedByName: 'string?',
    },
    'groups: memberships of a card',
  );
  const docs = await documentsOfMemberships(db, list.map((m) => m.id));
  return list.map((m) => ({ ...m, addedAt: new Date(m.addedAt), removedAt: m.removedAt ? new Date(m.removedAt) : null, documents: docs.get(m.id) ?? [] }));
}

export async function documentsOfMemberships(db: Db, ids: number[]) {
  const map = new Map<number, { id: number; regNumber: string }[]>();
  if (!ids.length) return map;
  const list = await db
    .select({ membershipId: membershipDocuments.membershipId, id: documents.id, regNumber: documents.regNumber })
    .from(membershipDocuments)
    .innerJoin(documents, eq(documents.id, membershipDocuments.documentId))
    .where(inArray(membershipDocuments.membershipId, ids))
    .orderBy(asc(documents.regNumber));
  for (const d of list) map.set(d.membershipId, [...(map.get(d.membershipId) ?? []), { id: d.id, regNumber: d.regNumber }]);
  return map;
}

export function findActiveMembership(db: Db | Tx, groupId: number, member: { personId: number } | { organizationId: number }) {
  const cond = 'personId' in member ? eq(groupMemberships.personId, member.personId) : eq(groupMemberships.organizationId, member.organizationId);
  return db
    .select()
    .from(groupMemberships)
    .where(and(eq(groupMemberships.groupId, groupId), cond, isNull(groupMemberships.removedAt)))
    .then((r) => r[0]);
}

export type Badge = { groupId: number; name: string; mark: 'priority' | 'warning' };
/** The marks that make a badge (the queries leave out 'none'). */
const BADGE_MARKS = ['priority', 'warning'] as const;

/**
 * Badges of marked groups for many persons at once (lists, cards): a person carries the badges of
 * their own memberships and of their organization's.
 */
export async function badgesForPersons(db: Db, personIds: number[]): Promise<Map<number, Badge[]>> {
  const map = new Map<number, Badge[]>();
  if (!personIds.length) return map;
  const list = rowsOf(
    await db.execute(sql`
      select distinct p.id as "personId", g.id as "groupId", g.name, g.mark, g.sort_key
      from persons p
      join group_memberships m on m.removed_at is null and (m.person_id = p.id or m.organization_id = p.organization_id)
      join mailing_groups g on g.id = m.group_id and g.archived_at is null and g.mark <> 'none'
      where p.id in (${sql.join(personIds.map((id) => sql`${id}`), sql`, `)})
      order by g.sort_key`),
    { personId: 'number', groupId: 'number', name: 'string', mark: BADGE_MARKS },
    'groups: badges of persons',
  );
  for (const b of list) map.set(b.personId, [...(map.get(b.personId) ?? []), { groupId: b.groupId, name: b.name, mark: b.mark }]);
  return map;
}

export async function badgesForOrganizations(db: Db, orgIds: number[]): Promise<Map<number, Badge[]>> {
  const map = new Map<number, Badge[]>();
  if (!orgIds.length) return map;
  const list = rowsOf(
    await db.execute(sql`
      select distinct m.organization_id as "orgId", g.id as "groupId", g.name, g.mark, g.sort_key
      from group_memberships m join mailing_groups g on g.id = m.group_id and g.archived_at is null and g.mark <> 'none'
      where m.removed_at is null and m.organization_id in (${sql.join(orgIds.map((id) => sql`${id}`), sql`, `)})
      order by g.sort_key`),
    { orgId: 'number', groupId: 'number', name: 'string', mark: BADGE_MARKS },
    'groups: badges of organizations',
  );
  for (const b of list) map.set(b.orgId, [...(map.get(b.orgId) ?? []), { groupId: b.groupId, name: b.name, mark: b.mark }]);
  return map;
}

export const MEMBER_SORTS = ['name', 'organization', 'added'] as const;
export type MemberSort = (typeof MEMBER_SORTS)[number];

export interface MemberRow {
  membershipId: number;
  kind: 'person' | 'organization';
  memberId: number;
  name: string;
  organizationId: number | null;
  organizationName: string | null;
  jobTitle: string;
  email: string | null;
  phones: string | null;
  /** Has a postal index and a street or locality (own, or the organization's for a person). */
  addressComplete: boolean;
  reason: string;
  addedAt: Date;
  addedByName: string | null;
  removedAt: Date | null;
  sortValue: string;
}

/** [sort value, membership id]: keyset position in the member list. */
export type MemberKey = [string, number];

/**
 * One page of a group's members (persons and organizations together), by keyset on the chosen
 * sort: name, organization, or date added.
 */
export async function listMembers(
  db: Db,
  groupId: number,
  opts: { sort: MemberSort; former: boolean; size: number; after: MemberKey | null; before: MemberKey | null; last: boolean },
): Promise<{ rows: MemberRow[]; hasPrev: boolean; hasNext: boolean; total: number }> {
  const usable = (a: string) => sql`(${sql.raw(a)}.addr_index ~ '^[0-9]{6}$' and (${sql.raw(a)}.addr_street <> '' or ${sql.raw(a)}.addr_locality <> ''))`;
  // The sort value through scalar subqueries: each member costs two primary-key lookups, and the
  // planner cannot turn the sort of a 5,000-member group into hash joins over all 100,000 persons.
  const personKey = sql`(select sp.sort_key from persons sp where sp.id = m.person_id)`;
  const orgKey = sql`(select so.sort_key from organizations so where so.id = m.organization_id)`;
  const sortExpr =
    opts.sort === 'organization'
      ? sql`coalesce((select spo.sort_key from persons sp join organizations spo on spo.id = sp.organization_id where sp.id = m.person_id), ${orgKey}, '') || ' ' || coalesce(${personKey}, ${orgKey})`
      : opts.sort === 'added'
        ? sql`to_char(m.added_at at time zone 'UTC', 'YYYYMMDDHH24MISSUS')`
        : sql`coalesce(${personKey}, ${orgKey})`;
  const removed = opts.former ? sql`m.removed_at is not null` : sql`m.removed_at is null`;
  const reverse = Boolean(opts.before) || opts.last;
  const dir = reverse ? sql`desc` : sql`asc`;
  const cursor = opts.after ?? opts.before;
  const seek = cursor ? sql`where (k."sortValue", k.id) ${opts.after ? sql`>` : sql`<`} (${cursor[0]}, ${cursor[1]})` : sql``;
  // First the page's keys, then the details of those rows only.
  const list = rowsOf(
    await db.execute(sql`
      with k as (
        select m.id, ${sortExpr} collate "C" as "sortValue" from group_memberships m where m.group_id = ${groupId} and ${removed}
      ), page as (
        select k.id, k."sortValue" from k ${seek} order by k."sortValue" ${dir}, k.id ${dir} limit ${opts.size + 1}
      )
      select m.id as "membershipId", case when m.person_id is not null then 'person' else 'organization' end as kind,
        coalesce(m.person_id, m.organization_id) as "memberId",
        coalesce(nullif(concat_ws(' ', p.surname, p.first_name, p.patronymic), ''), o.name) as name,
        coalesce(p.organization_id, o.id) as "organizationId", coalesce(po.name, o.name) as "organizationName",
        coalesce(p.job_title, '') as "jobTitle",
        coalesce((select e.email from person_emails e where e.person_id = p.id order by e.position limit 1), nullif(o.email, '')) as email,
        coalesce((select string_agg(ph.number, ', ' order by ph.position) from person_phones ph where ph.person_id = p.id), nullif(o.phones, '')) as phones,
        case when p.id is not null then (${usable('p')} or coalesce(${usable('po')}, false)) else ${usable('o')} end as "addressComplete",
        m.reason, m.added_at as "addedAt", ua.name as "addedByName", m.removed_at as "removedAt", page."sortValue"
      from page
      join group_memberships m on m.id = page.id
      left join persons p on p.id = m.person_id
      left join organizations po on po.id = p.organization_id
      left join organizations o on o.id = m.organization_id
      left join users ua on ua.id = m.added_by
      order by page."sortValue" ${dir}, page.id ${dir}`),
    {
      membershipId: 'number',
      kind: ['person', 'organization'],
      memberId: 'number',
      name: 'string',
      organizationId: 'number?',
      organizationName: 'string?',
      jobTitle: 'string',
      email: 'string?',
      phones: 'string?',
      addressComplete: 'boolean',
      reason: 'string',
      addedAt: 'date',
      addedByName: 'string?',
      removedAt: 'date?',
      sortValue: 'string',
    },
    'groups: members',
  );
  const more = list.length > opts.size;
  if (more) list.pop();
  if (reverse) list.reverse();
  const [{ n }] = rowsOf(await db.execute(sql`select count(*)::int as n from group_memberships m where m.group_id = ${groupId} and ${removed}`), { n: 'number' }, 'groups: members count');
  return {
    rows: list.map((r) => ({ ...r, addedAt: new Date(r.addedAt), removedAt: r.removedAt ? new Date(r.removedAt) : null })),
    hasPrev: reverse ? more : Boolean(opts.after),
    hasNext: reverse ? Boolean(opts.before) : more,
    total: Number(n),
  };
}

export function userName(db: Db, id: number) {
  return db.select({ name: users.name }).from(users).where(eq(users.id, id)).then((r) => r[0]?.name ?? null);
}

/** What a person card needs from groups: badges for the header, memberships for the groups tab. */
export async function personCardGroups(db: Db, personId: number, withMemberships: boolean) {
  const [badges, memberships] = await Promise.all([
    badgesForPersons(db, [personId]),
    withMemberships ? membershipsOf(db, { personId }, { includeRemoved: true }) : Promise.resolve([]),
  ]);
  return { badges: badges.get(personId) ?? [], memberships };
}

export async function organizationGroups(db: Db, organizationId: number) {
  const [badges, memberships] = await Promise.all([badgesForOrganizations(db, [organizationId]), membershipsOf(db, { organizationId }, { includeRemoved: false })]);
  return { badges: badges.get(organizationId) ?? [], memberships };
}

/**
 * Who could be added to a group, by the picker's search text: active persons (up to 20, with their
 * organization's name) and live organizations (up to 10) that the text matches and that are not
 * current members.
 */
export async function findCandidates(db: Db, groupId: number, text: string) {
  const locator = new Locator(text);
  if (!locator.active) return { persons: [], organizations: [] };
  return db.transaction(async (tx) => {
    await locator.prepare(tx);
    const ps = await tx
      .select({ id: persons.id, surname: persons.surname, firstName: persons.firstName, patronymic: persons.patronymic, orgName: organizations.name })
      .from(persons)
      .leftJoin(organizations, eq(organizations.id, persons.organizationId))
      .where(and(isNull(persons.archivedAt), locator.person(sql`persons`), sql`not exists (select 1 from group_memberships m where m.group_id = ${groupId} and m.person_id = ${persons.id} and m.removed_at is null)`))
      .orderBy(asc(persons.sortKey))
      .limit(20);
    const os = await tx
      .select({ id: organizations.id, name: organizations.name })
      .from(organizations)
      .where(and(isNull(organizations.archivedAt), locator.organization(sql`organizations`), sql`not exists (select 1 from group_memberships m where m.group_id = ${groupId} and m.organization_id = ${organizations.id} and m.removed_at is null)`))
      .orderBy(asc(organizations.sortKey))
      .limit(10);
    return { persons: ps, organizations: os };
  });
}
