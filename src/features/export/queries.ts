import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { anyInt } from '../../db/bulk.js';
import { keyOfIdSql, keySql, type KeyContext } from '../../lib/exchange/keys.js';
import type { Bounds, ScopeSql } from './scope.js';
import { rows } from '../../db/rows.js';
import type { Address } from '../../db/schema/address.js';

/**
 * Keyset batches of the export: each batch is one short query (in its own short transaction when
 * the locator needs its setting), so a slow download never holds the database, and memory holds
 * a batch or two at a time (the XML export reads the next while it writes one) however large the
 * directory is.
 */
export const BATCH = 1000;
/**
 * The XML export's batches of its most numerous records: larger, since each query has a fixed
 * cost (planning, a round trip) worth ~40 persons or ~1,000 memberships read; still short queries.
 */
export const EXPORT_BATCH = { person: 2500, membership: 5000 } as const;

export async function bounds(db: Db): Promise<Bounds> {
  const [r] = rows<Record<keyof Bounds, number | null>>(
    await db.execute(sql`select (select max(id) from mailing_groups) as "group", (select max(id) from organizations) as organization,
      (select max(id) from persons) as person, (select max(id) from group_memberships) as membership`),
  );
  return { group: Number(r.group ?? 0), organization: Number(r.organization ?? 0), person: Number(r.person ?? 0), membership: Number(r.membership ?? 0) };
}

/**
 * A timestamp as the file carries it (ISO 8601, UTC, milliseconds like Date#toISOString), made by
 * the database: half a million memberships need no Date parsed and formatted again in JavaScript.
 */
function iso(column: SQL): SQL {
  return sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/**
 * Runs a query of the export. `query` is built only after the locator has decided whether near
 * misses count (its SQL depends on that decision), whichever query of the export comes first.
 */
async function run<T>(db: Db, scope: ScopeSql, query: () => SQL): Promise<T[]> {
  const locator = scope.locator;
  if (!locator?.active) return rows<T>(await db.execute(query()));
  return db.transaction(async (tx) => {
    // The same decision on near misses as the /contacts list the selection came from.
    await locator.prepare(tx);
    return rows<T>(await tx.execute(query()));
  });
}

/** Yields the rows of `select` ordered by (sort_key, id) in batches, by keyset. */
export async function* keyset<T extends { sortKey: string; id: number }>(db: Db, scope: ScopeSql, select: (after: SQL) => SQL, size: number = BATCH): AsyncGenerator<T[]> {
  let cursor: [string, number] | null = null;
  for (;;) {
    const after: SQL = cursor ? sql`(x.sort_key, x.id) > (${cursor[0]}, ${cursor[1]})` : sql`true`;
    const list: T[] = await run<T>(db, scope, () => sql`${select(after)} limit ${size}`);
    if (!list.length) return;
    yield list;
    if (list.length < size) return;
    const last: T = list[list.length - 1];
    cursor = [last.sortKey, Number(last.id)];
  }
}

export interface GroupRow {
  id: number;
  sortKey: string;
  key: string;
  name: string;
  description: string;
  mark: 'none' | 'priority' | 'warning';
  archivedAt: string | null;
}

export function groupBatches(db: Db, scope: ScopeSql, keys: KeyContext) {
  return keyset<GroupRow>(db, scope, (after) => sql`
    select x.id, x.sort_key as "sortKey", ${keySql('group', sql`x`, keys)} as key, x.name, x.description, x.mark, ${iso(sql`x.archived_at`)} as "archivedAt"
    from mailing_groups x where ${scope.group(sql`x`)} and ${after}
    order by x.sort_key, x.id`);
}

export interface OrganizationRow extends Address {
  id: number;
  sortKey: string;
  key: string;
  name: string;
  shortName: string;
  inn: string;
  region: string | null;
  activity: string | null;
  category: string | null;
  phones: string;
  email: string;
  website: string;
  note: string;
  archivedAt: string | null;
}

const ADDRESS_COLUMNS = sql.raw(`x.addr_index as "addrIndex", x.addr_country as "addrCountry", x.addr_region as "addrRegion", x.addr_district as "addrDistrict",
  x.addr_locality as "addrLocality", x.addr_street as "addrStreet", x.addr_house as "addrHouse", x.addr_building as "addrBuilding", x.addr_office as "addrOffice"`);

export function organizationBatches(db: Db, scope: ScopeSql, keys: KeyContext) {
  return keyset<OrganizationRow>(db, scope, (after) => sql`
    select x.id, x.sort_key as "sortKey", ${keySql('organization', sql`x`, keys)} as key, x.name, x.short_name as "shortName", x.inn,
      r.name as region, a.name as activity, c.name as category, x.phones, x.email, x.website, x.note, ${iso(sql`x.archived_at`)} as "archivedAt", ${ADDRESS_COLUMNS}
    from organizations x
    left join regions r on r.id = x.region_id left join activities a on a.id = x.activity_id left join categories c on c.id = x.category_id
    where ${scope.organization(sql`x`)} and ${after}
    order by x.sort_key, x.id`);
}

export interface PersonRow extends Address {
  id: number;
  sortKey: string;
  key: string;
  organizationId: number | null;
  organizationKey: string | null;
  surname: string;
  firstName: string;
  patronymic: string;
  influence: number;
  jobTitle: string;
  gender: 'unspecified' | 'female' | 'male';
  dativeOverride: string;
  note: string;
  archivedAt: string | null;
  updatedAt: Date | string;
  hasPhoto: boolean;
}

/** `photos`: whether the photos will be read (else hasPhoto is false and costs no lookup). */
export function personBatches(db: Db, scope: ScopeSql, keys: KeyContext, opts: { photos: boolean; size?: number }) {
  const hasPhoto = opts.photos ? sql`exists (select 1 from person_photos ph where ph.person_id = x.id)` : sql`false`;
  return keyset<PersonRow>(
    db,
    scope,
    (after) => sql`
    select x.id, x.sort_key as "sortKey", ${keySql('person', sql`x`, keys)} as key, x.organization_id as "organizationId",
      case when x.organization_id is not null and ${scope.organizationOfPerson(sql`x`, sql`po`)} then ${keyOfIdSql('organization', sql`x.organization_id`, keys)} end as "organizationKey",
      x.surname, x.first_name as "firstName", x.patronymic, x.influence, x.job_title as "jobTitle", x.gender,
      x.dative_override as "dativeOverride", x.note, ${iso(sql`x.archived_at`)} as "archivedAt", x.updated_at as "updatedAt",
      ${hasPhoto} as "hasPhoto", ${ADDRESS_COLUMNS}
    from persons x left join organizations po on po.id = x.organization_id
    where ${scope.person(sql`x`, sql`po`)} and ${after}
    order by x.sort_key, x.id`,
    opts.size,
  );
}

/** Phones and e-mails of a batch of persons, in their order on the card. */
export async function contactsOfPersons(db: Db, ids: number[]) {
  const phones = new Map<number, { kind: string; number: string }[]>();
  const emails = new Map<number, string[]>();
  if (!ids.length) return { phones, emails };
  const list = anyInt(ids);
  const [ph, em] = await Promise.all([
    db.execute(sql`select person_id as "personId", kind, number from person_phones where person_id = ${list} order by person_id, position, id`),
    db.execute(sql`select person_id as "personId", email from person_emails where person_id = ${list} order by person_id, position, id`),
  ]);
  for (const r of rows<{ personId: number; kind: string; number: string }>(ph)) phones.set(Number(r.personId), [...(phones.get(Number(r.personId)) ?? []), { kind: r.kind, number: r.number }]);
  for (const r of rows<{ personId: number; email: string }>(em)) emails.set(Number(r.personId), [...(emails.get(Number(r.personId)) ?? []), r.email]);
  return { phones, emails };
}

/** Photos (original and thumbnail) of a few persons: read in small groups, they can be large. */
export async function photosOf(db: Db, ids: number[]) {
  const map = new Map<number, { original: Buffer; originalType: string; thumbnail: Buffer }>();
  if (!ids.length) return map;
  for (const r of rows<{ personId: number; original: Uint8Array; originalType: string; thumbnail: Uint8Array }>(
    await db.execute(sql`select person_id as "personId", original, original_type as "originalType", thumbnail from person_photos where person_id = ${anyInt(ids)}`),
  )) {
    map.set(Number(r.personId), { original: Buffer.from(r.original), originalType: r.originalType, thumbnail: Buffer.from(r.thumbnail) });
  }
  return map;
}

export interface MembershipRow {
  id: number;
  groupKey: string;
  personKey: string | null;
  organizationKey: string | null;
  reason: string;
  addedAt: string;
  removedAt: string | null;
  documents: string[] | null;
}

/** Memberships by id, in batches. */
export async function* membershipBatches(db: Db, scope: ScopeSql, keys: KeyContext, size: number = EXPORT_BATCH.membership): AsyncGenerator<MembershipRow[]> {
  let after = 0;
  for (;;) {
    const list = await run<MembershipRow>(
      db,
      scope,
      () => sql`
      select x.id, ${keyOfIdSql('group', sql`x.group_id`, keys)} as "groupKey",
        case when x.person_id is not null then ${keyOfIdSql('person', sql`x.person_id`, keys)} end as "personKey",
        case when x.organization_id is not null then ${keyOfIdSql('organization', sql`x.organization_id`, keys)} end as "organizationKey",
        x.reason, ${iso(sql`x.added_at`)} as "addedAt", ${iso(sql`x.removed_at`)} as "removedAt"
      from group_memberships x
      where x.id > ${after} and ${scope.membership(sql`x`)}
      order by x.id limit ${size}`,
    );
    if (!list.length) return;
    const last = Number(list[list.length - 1].id);
    const documents = await documentsOfMemberships(db, after, last);
    for (const m of list) m.documents = documents.get(Number(m.id)) ?? null;
    yield list;
    if (list.length < size) return;
    after = last;
  }
}

/**
 * The registration numbers of the documents cited by the memberships with ids in (after, last]:
 * one range scan for a batch, where a lookup per membership costs as much as the batch itself.
 */
async function documentsOfMemberships(db: Db, after: number, last: number): Promise<Map<number, string[]>> {
  const map = new Map<number, string[]>();
  const list = rows<{ membershipId: number; regNumber: string }>(
    await db.execute(sql`select md.membership_id as "membershipId", d.reg_number as "regNumber"
      from membership_documents md join documents d on d.id = md.document_id
      where md.membership_id > ${after} and md.membership_id <= ${last}
      order by md.membership_id, d.reg_number`),
  );
  for (const r of list) {
    const id = Number(r.membershipId);
    const numbers = map.get(id);
    if (numbers) numbers.push(r.regNumber);
    else map.set(id, [r.regNumber]);
  }
  return map;
}

export interface CardOrganization extends Address {
  id: number;
  name: string;
  phones: string;
  email: string;
  note: string;
  updatedAt: Date | string;
}

/** The organizations of a batch of persons, for their cards (name, address). */
export async function organizationsById(db: Db, ids: number[]): Promise<Map<number, CardOrganization>> {
  const map = new Map<number, CardOrganization>();
  const unique = [...new Set(ids)];
  if (!unique.length) return map;
  const list = rows<CardOrganization>(
    await db.execute(sql`select x.id, x.name, ${ADDRESS_COLUMNS}, x.phones, x.email, x.note, x.updated_at as "updatedAt" from organizations x
      where x.id = ${anyInt(unique)}`),
  );
  for (const o of list) map.set(Number(o.id), o);
  return map;
}

/** Organizations that are members of a group themselves, by keyset. */
export function memberOrganizationBatches(db: Db, scope: ScopeSql, groupId: number) {
  return keyset<CardOrganization & { sortKey: string }>(db, scope, (after) => sql`
    select x.id, x.sort_key as "sortKey", x.name, ${ADDRESS_COLUMNS}, x.phones, x.email, x.note, x.updated_at as "updatedAt"
    from organizations x
    where exists (select 1 from group_memberships m where m.group_id = ${groupId} and m.organization_id = x.id and m.removed_at is null) and ${after}
    order by x.sort_key, x.id`);
}
