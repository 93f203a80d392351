import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { anyInt } from '../../db/bulk.js';
import { keyOfIdSql, keySql, type KeyContext } from '../../lib/exchange/keys.js';
import type { Bounds, ScopeSql } from './scope.js';
import { rowsOf, type RowOf, type RowShape } from '../../db/rows.js';
import { ADDRESS_FIELDS, type AddressField } from '../../db/schema/address.js';
import { GENDERS } from '../../db/schema/persons.js';
import { GROUP_MARKS } from '../../db/schema/groups.js';

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
  const [r] = rowsOf(
    await db.execute(sql`select (select max(id) from mailing_groups) as "group", (select max(id) from organizations) as organization,
      (select max(id) from persons) as person, (select max(id) from group_memberships) as membership`),
    { group: 'numeric?', organization: 'numeric?', person: 'numeric?', membership: 'numeric?' },
    'export: bounds',
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
async function run<const S extends RowShape>(db: Db, scope: ScopeSql, query: () => SQL, shape: S, label: string): Promise<RowOf<S>[]> {
  const locator = scope.locator;
  if (!locator?.active) return rowsOf(await db.execute(query()), shape, label);
  return db.transaction(async (tx) => {
    // The same decision on near misses as the /contacts list the selection came from.
    await locator.prepare(tx);
    return rowsOf(await tx.execute(query()), shape, label);
  });
}

/** Yields the rows of `select` ordered by (sort_key, id) in batches, by keyset. */
export async function* keyset<const S extends RowShape & { sortKey: 'string'; id: 'number' }>(
  db: Db,
  scope: ScopeSql,
  select: (after: SQL) => SQL,
  shape: S,
  label: string,
  size: number = BATCH,
): AsyncGenerator<RowOf<S>[]> {
  let cursor: [string, number] | null = null;
  for (;;) {
    const after: SQL = cursor ? sql`(x.sort_key, x.id) > (${cursor[0]}, ${cursor[1]})` : sql`true`;
    const list = await run(db, scope, () => sql`${select(after)} limit ${size}`, shape, label);
    if (!list.length) return;
    yield list;
    if (list.length < size) return;
    const last = list[list.length - 1] as { sortKey: string; id: number };
    cursor = [last.sortKey, Number(last.id)];
  }
}

const GROUP_ROW = {
  id: 'number',
  sortKey: 'string',
  key: 'string',
  name: 'string',
  description: 'string',
  mark: GROUP_MARKS,
  archivedAt: 'string?',
} as const;

export function groupBatches(db: Db, scope: ScopeSql, keys: KeyContext) {
  return keyset(db, scope, (after) => sql`
    select x.id, x.sort_key as "sortKey", ${keySql('group', sql`x`, keys)} as key, x.name, x.description, x.mark, ${iso(sql`x.archived_at`)} as "archivedAt"
    from mailing_groups x where ${scope.group(sql`x`)} and ${after}
    order by x.sort_key, x.id`, GROUP_ROW, 'export: groups');
}

/** The address columns (ADDRESS_COLUMNS) as rowsOf checks them. */
const ADDRESS_SHAPE = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, 'string'])) as Record<AddressField, 'string'>;

const ORGANIZATION_ROW = {
  id: 'number',
  sortKey: 'string',
  key: 'string',
  name: 'string',
  shortName: 'string',
  inn: 'string',
  region: 'string?',
  activity: 'string?',
  category: 'string?',
  phones: 'string',
  email: 'string',
  website: 'string',
  note: 'string',
  archivedAt: 'string?',
  ...ADDRESS_SHAPE,
} as const;

const ADDRESS_COLUMNS = sql.raw(`x.addr_index as "addrIndex", x.addr_country as "addrCountry", x.addr_region as "addrRegion", x.addr_district as "addrDistrict",
  x.addr_locality as "addrLocality", x.addr_street as "addrStreet", x.addr_house as "addrHouse", x.addr_building as "addrBuilding", x.addr_office as "addrOffice"`);

export function organizationBatches(db: Db, scope: ScopeSql, keys: KeyContext) {
  return keyset(db, scope, (after) => sql`
    select x.id, x.sort_key as "sortKey", ${keySql('organization', sql`x`, keys)} as key, x.name, x.short_name as "shortName", x.inn,
      r.name as region, a.name as activity, c.name as category, x.phones, x.email, x.website, x.note, ${iso(sql`x.archived_at`)} as "archivedAt", ${ADDRESS_COLUMNS}
    from organizations x
    left join regions r on r.id = x.region_id left join activities a on a.id = x.activity_id left join categories c on c.id = x.category_id
    where ${scope.organization(sql`x`)} and ${after}
    order by x.sort_key, x.id`, ORGANIZATION_ROW, 'export: organizations');
}

const PERSON_ROW = {
  id: 'number',
  sortKey: 'string',
  key: 'string',
  organizationId: 'number?',
  organizationKey: 'string?',
  surname: 'string',
  firstName: 'string',
  patronymic: 'string',
  influence: 'number',
  jobTitle: 'string',
  gender: GENDERS,
  dativeOverride: 'string',
  note: 'string',
  archivedAt: 'string?',
  updatedAt: 'date',
  hasPhoto: 'boolean',
  ...ADDRESS_SHAPE,
} as const;
export type PersonRow = RowOf<typeof PERSON_ROW>;

/** `photos`: whether the photos will be read (else hasPhoto is false and costs no lookup). */
export function personBatches(db: Db, scope: ScopeSql, keys: KeyContext, opts: { photos: boolean; size?: number }) {
  const hasPhoto = opts.photos ? sql`exists (select 1 from person_photos ph where ph.person_id = x.id)` : sql`false`;
  return keyset(
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
    PERSON_ROW,
    'export: persons',
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
  for (const r of rowsOf(ph, { personId: 'number', kind: 'string', number: 'string' }, 'export: phones')) phones.set(Number(r.personId), [...(phones.get(Number(r.personId)) ?? []), { kind: r.kind, number: r.number }]);
  for (const r of rowsOf(em, { personId: 'number', email: 'string' }, 'export: e-mails')) emails.set(Number(r.personId), [...(emails.get(Number(r.personId)) ?? []), r.email]);
  return { phones, emails };
}

/** Photos (original and thumbnail) of a few persons: read in small groups, they can be large. */
export async function photosOf(db: Db, ids: number[]) {
  const map = new Map<number, { original: Buffer; originalType: string; thumbnail: Buffer }>();
  if (!ids.length) return map;
  for (const r of rowsOf(
    await db.execute(sql`select person_id as "personId", original, original_type as "originalType", thumbnail from person_photos where person_id = ${anyInt(ids)}`),
    { personId: 'number', original: 'bytes', originalType: 'string', thumbnail: 'bytes' },
    'export: photos',
  )) {
    map.set(Number(r.personId), { original: Buffer.from(r.original), originalType: r.originalType, thumbnail: Buffer.from(r.thumbnail) });
  }
  return map;
}

const MEMBERSHIP_ROW = {
  id: 'number',
  groupKey: 'string',
  personKey: 'string?',
  organizationKey: 'string?',
  reason: 'string',
  addedAt: 'string',
  removedAt: 'string?',
} as const;
export type MembershipRow = RowOf<typeof MEMBERSHIP_ROW> & { documents: string[] | null };

/** Memberships by id, in batches. */
export async function* membershipBatches(db: Db, scope: ScopeSql, keys: KeyContext, size: number = EXPORT_BATCH.membership): AsyncGenerator<MembershipRow[]> {
  let after = 0;
  for (;;) {
    const list = await run(
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
      MEMBERSHIP_ROW,
      'export: memberships',
    );
    if (!list.length) return;
    const last = Number(list[list.length - 1].id);
    const documents = await documentsOfMemberships(db, after, last);
    yield list.map((m): MembershipRow => Object.assign(m, { documents: documents.get(Number(m.id)) ?? null }));
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
  const list = rowsOf(
    await db.execute(sql`select md.membership_id as "membershipId", d.reg_number as "regNumber"
      from membership_documents md join documents d on d.id = md.document_id
      where md.membership_id > ${after} and md.membership_id <= ${last}
      order by md.membership_id, d.reg_number`),
    { membershipId: 'number', regNumber: 'string' },
    'export: documents of memberships',
  );
  for (const r of list) {
    const id = Number(r.membershipId);
    const numbers = map.get(id);
    if (numbers) numbers.push(r.regNumber);
    else map.set(id, [r.regNumber]);
  }
  return map;
}

const CARD_ORGANIZATION = { id: 'number', name: 'string', ...ADDRESS_SHAPE, phones: 'string', email: 'string', note: 'string', updatedAt: 'date' } as const;
export type CardOrganization = RowOf<typeof CARD_ORGANIZATION>;

/** The organizations of a batch of persons, for their cards (name, address). */
export async function organizationsById(db: Db, ids: number[]): Promise<Map<number, CardOrganization>> {
  const map = new Map<number, CardOrganization>();
  const unique = [...new Set(ids)];
  if (!unique.length) return map;
  const list = rowsOf(
    await db.execute(sql`select x.id, x.name, ${ADDRESS_COLUMNS}, x.phones, x.email, x.note, x.updated_at as "updatedAt" from organizations x
      where x.id = ${anyInt(unique)}`),
    CARD_ORGANIZATION,
    'export: organizations of cards',
  );
  for (const o of list) map.set(Number(o.id), o);
  return map;
}

/** Organizations that are members of a group themselves, by keyset. */
export function memberOrganizationBatches(db: Db, scope: ScopeSql, groupId: number) {
  return keyset(db, scope, (after) => sql`
    select x.id, x.sort_key as "sortKey", x.name, ${ADDRESS_COLUMNS}, x.phones, x.email, x.note, x.updated_at as "updatedAt"
    from organizations x
    where exists (select 1 from group_memberships m where m.group_id = ${groupId} and m.organization_id = x.id and m.removed_at is null) and ${after}
    order by x.sort_key, x.id`, { ...CARD_ORGANIZATION, sortKey: 'string' }, 'export: member organizations');
}
