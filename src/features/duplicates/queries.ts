import { and, asc, desc, eq, gt, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { rowsOf } from '../../db/rows.js';
import { auditLog } from '../../db/schema/audit.js';
import { cardMerges, DUPLICATE_KINDS, type DuplicateKind } from '../../db/schema/duplicates.js';
import { organizations } from '../../db/schema/organizations.js';
import { personEmails, personPhones, personPhotos, persons, type PhoneKind } from '../../db/schema/persons.js';
import { activities, categories, regions } from '../../db/schema/references.js';
import { users } from '../../db/schema/users.js';
import { REASONS, SHARED_KEY_LIMIT, SIMILAR_NAME, SIMILAR_SURNAME } from './model.js';

/**
 * Finding duplicate pairs in SQL, one query per reason, each a self-join on a normalized key that
 * an index serves. The same queries do the full scan (every pair, `a.id < b.id`) and the check of
 * one card (its pairs only, `a.id = card`): one rule, two scopes.
 */
type Scope = { focus: number[] | null };

/**
 * `a.id < b.id` for the full scan; `a.id` one of the cards and `b.id` another card for a check of
 * some cards (a pair of two checked cards comes out both ways, and is grouped into one).
 */
function side(a: SQL, b: SQL, s: Scope): SQL {
  if (s.focus === null) return sql`${a} < ${b}`;
  if (s.focus.length === 1) return sql`${a} = ${s.focus[0]} and ${b} <> ${s.focus[0]}`;
  return sql`${a} = ${intArray(s.focus)} and ${b} <> ${a}`;
}

function personPairs(s: Scope): SQL[] {
  return [
    sql`select e1.person_id as x, e2.person_id as y, 'email' as reason
      from person_emails e1 join person_emails e2 on lower(e2.email) = lower(e1.email) and ${side(sql`e1.person_id`, sql`e2.person_id`, s)}
      join persons p1 on p1.id = e1.person_id and p1.archived_at is null
      join persons p2 on p2.id = e2.person_id and p2.archived_at is null
      where not exists (select 1 from person_emails e3 where lower(e3.email) = lower(e1.email) offset ${SHARED_KEY_LIMIT})`,
    sql`select f1.person_id, f2.person_id, 'phone'
      from person_phones f1 join person_phones f2 on f2.e164 = f1.e164 and ${side(sql`f1.person_id`, sql`f2.person_id`, s)}
      join persons p1 on p1.id = f1.person_id and p1.archived_at is null
      join persons p2 on p2.id = f2.person_id and p2.archived_at is null
      where f1.e164 is not null and not exists (select 1 from person_phones f3 where f3.e164 = f1.e164 offset ${SHARED_KEY_LIMIT})`,
    // Two halves, each an equality the index (organization_id, sort_key) or a hash join serves.
    sql`select p1.id, p2.id, 'name'
      from persons p1 join persons p2 on p2.organization_id = p1.organization_id and p2.sort_key = p1.sort_key
        and ${side(sql`p1.id`, sql`p2.id`, s)} and p2.archived_at is null
      where p1.archived_at is null`,
    sql`select p1.id, p2.id, 'name'
      from persons p1 join persons p2 on p2.sort_key = p1.sort_key and p2.organization_id is null
        and ${side(sql`p1.id`, sql`p2.id`, s)} and p2.archived_at is null
      where p1.archived_at is null and p1.organization_id is null
        and not exists (select 1 from persons p3 where p3.organization_id is null and p3.sort_key = p1.sort_key and p3.archived_at is null offset ${SHARED_KEY_LIMIT})`,
    sql`select p1.id, p2.id, 'initials'
      from persons p1 join persons p2 on p2.organization_id = p1.organization_id
        and crm_person_initials(p2.surname, p2.first_name, p2.patronymic) = crm_person_initials(p1.surname, p1.first_name, p1.patronymic)
        and ${side(sql`p1.id`, sql`p2.id`, s)} and p2.archived_at is null
      where p1.archived_at is null and p1.organization_id is not null and p2.sort_key <> p1.sort_key
        and (${initialsOnly(sql`p1.first_name`)} or ${initialsOnly(sql`p2.first_name`)})`,
    sql`select p1.id, p2.id, 'similarName'
      from persons p1 join persons p2 on p2.organization_id = p1.organization_id
        and lower(p2.first_name) = lower(p1.first_name) and lower(p2.patronymic) = lower(p1.patronymic)
        and ${side(sql`p1.id`, sql`p2.id`, s)} and p2.archived_at is null
      where p1.archived_at is null and p1.organization_id is not null and p1.first_name <> ''
        and p2.sort_key <> p1.sort_key and lower(p2.surname) <> lower(p1.surname)
        and similarity(lower(p1.surname), lower(p2.surname)) >= ${SIMILAR_SURNAME}`,
  ];
}

/** A first name written as initials: "И.", "И. И.", "И.И.", or a single letter. */
function initialsOnly(f: SQL): SQL {
  return sql`(${f} ~ '^\\s*\\S\\.\\s*(\\S\\.?)?\\s*$' or length(btrim(${f})) = 1)`;
}

function organizationPairs(s: Scope): SQL[] {
  return [
    sql`select o1.id as x, o2.id as y, 'name' as reason
      from organizations o1 join organizations o2 on crm_org_name_key(o2.name) = crm_org_name_key(o1.name)
        and ${side(sql`o1.id`, sql`o2.id`, s)} and o2.archived_at is null
      where o1.archived_at is null and crm_org_name_key(o1.name) <> ''`,
    sql`select o1.id, o2.id, 'similarName'
      from organizations o1 join organizations o2 on crm_org_name_block(o2.name) = crm_org_name_block(o1.name)
        and ${side(sql`o1.id`, sql`o2.id`, s)} and o2.archived_at is null
      where o1.archived_at is null and crm_org_name_key(o1.name) <> crm_org_name_key(o2.name)
        and similarity(crm_org_name_key(o1.name), crm_org_name_key(o2.name)) >= ${SIMILAR_NAME}`,
    sql`select o1.id, o2.id, 'website'
      from organizations o1 join organizations o2 on crm_web_domain(o2.website) = crm_web_domain(o1.website)
        and ${side(sql`o1.id`, sql`o2.id`, s)} and o2.archived_at is null and o2.website <> ''
      where o1.archived_at is null and o1.website <> ''`,
    sql`select o1.id, o2.id, 'inn'
      from organizations o1 join organizations o2 on o2.inn = o1.inn
        and ${side(sql`o1.id`, sql`o2.id`, s)} and o2.archived_at is null and o2.inn <> ''
      where o1.archived_at is null and o1.inn <> ''`,
    sql`select o1.id, o2.id, 'email'
      from organizations o1 join organizations o2 on lower(o2.email) = lower(o1.email)
        and ${side(sql`o1.id`, sql`o2.id`, s)} and o2.archived_at is null and o2.email <> ''
      where o1.archived_at is null and o1.email <> ''`,
  ];
}

function scoreSql(kind: DuplicateKind): SQL {
  const cases = Object.entries(REASONS[kind]).map(([r, w]) => sql`when ${r} then ${w}`);
  return sql`least(100, max(case reason ${sql.join(cases, sql` `)} else 0 end) + 5 * (count(distinct reason) - 1))::smallint`;
}

/** Inserts the candidate pairs of the scope, leaving out dismissed pairs. */
function insertPairs(kind: DuplicateKind, s: Scope): SQL {
  const parts = kind === 'person' ? personPairs(s) : organizationPairs(s);
  return sql`
    insert into duplicate_candidates (kind, a_id, b_id, reasons, score)
    select ${kind}, least(x, y), greatest(x, y), array_agg(distinct reason order by reason), ${scoreSql(kind)}
    from (${sql.join(parts, sql` union all `)}) pairs
    where not exists (select 1 from duplicate_dismissals d where d.kind = ${kind} and d.a_id = least(x, y) and d.b_id = greatest(x, y))
    group by least(x, y), greatest(x, y)
    on conflict (kind, a_id, b_id) do update set reasons = excluded.reasons, score = excluded.score`;
}

/** Every pair of the directory, afresh. */
export async function scanAll(tx: Tx): Promise<{ person: number; organization: number }> {
  await tx.execute(sql`delete from duplicate_candidates`);
  await tx.execute(insertPairs('person', { focus: null }));
  await tx.execute(insertPairs('organization', { focus: null }));
  return countByKind(tx);
}

/** The pairs of one card, afresh (after it was saved, archived, restored or merged). */
export async function checkCard(db: Db | Tx, kind: DuplicateKind, id: number): Promise<void> {
  await db.execute(sql`delete from duplicate_candidates where kind = ${kind} and (a_id = ${id} or b_id = ${id})`);
  await db.execute(insertPairs(kind, { focus: [id] }));
}

/** How many cards one statement of checkCards looks at: each chunk is two statements. */
export const CHECK_CHUNK = 2000;

/**
 * The pairs of many cards, afresh (after an import): the same queries as checkCard, a chunk of
 * cards per statement instead of a statement per card. Each chunk in its own transaction, so a
 * long import does not hold the candidates of the whole directory locked.
 */
export async function checkCards(db: Db, kind: DuplicateKind, ids: number[]): Promise<void> {
  const list = [...new Set(ids)].sort((a, b) => a - b);
  for (let i = 0; i < list.length; i += CHECK_CHUNK) {
    const chunk = list.slice(i, i + CHECK_CHUNK);
    await db.transaction(async (tx) => {
      await tx.execute(sql`delete from duplicate_candidates where kind = ${kind} and (a_id = ${intArray(chunk)} or b_id = ${intArray(chunk)})`);
      await tx.execute(insertPairs(kind, { focus: chunk }));
    });
  }
}

export async function forgetCards(db: Db | Tx, kind: DuplicateKind, ids: number[]): Promise<void> {
  await db.execute(sql`delete from duplicate_candidates where kind = ${kind} and (a_id = ${intArray(ids)} or b_id = ${intArray(ids)})`);
}

export async function countByKind(db: Db | Tx): Promise<{ person: number; organization: number }> {
  const r = rowsOf(await db.execute(sql`select kind, count(*)::int as n from duplicate_candidates group by kind`), { kind: 'string', n: 'number' }, 'duplicates: count by kind');
  return { person: 0, organization: 0, ...Object.fromEntries(r.map((x) => [x.kind, Number(x.n)])) };
}

function intArray(ids: readonly number[]): SQL {
  return sql`any(${`{${ids.map((n) => Math.trunc(n)).join(',')}}`}::int[])`;
}

export interface CandidateRow {
  kind: DuplicateKind;
  aId: number;
  bId: number;
  reasons: string[];
  score: number;
  aName: string;
  bName: string;
  aDetail: string;
  bDetail: string;
}

export interface Cursor {
  score: number;
  kind: DuplicateKind;
  aId: number;
  bId: number;
}

/**
 * One page of candidates, best first, walked by keyset from `after`
 * (forwards) or `before` (backwards, for the previous and the last page).
 */
export async function pageCandidates(
  db: Db,
  opts: { kind: DuplicateKind | null; reason: string | null; after?: Cursor | null; before?: Cursor | null; last?: boolean; limit: number },
): Promise<CandidateRow[]> {
  const where: SQL[] = [];
  if (opts.kind) where.push(sql`c.kind = ${opts.kind}`);
  if (opts.reason) where.push(sql`${opts.reason} = any(c.reasons)`);
  // Order: score desc, then kind, a, b desc (persons before organizations, newer cards first).
  // With a kind chosen, kind leads, as in its index; the row comparison then bounds the index.
  const key = opts.kind ? sql`(c.kind, c.score, c.a_id, c.b_id)` : sql`(c.score, c.kind, c.a_id, c.b_id)`;
  const cur = (k: Cursor) => (opts.kind ? sql`(${k.kind}::text, ${k.score}::smallint, ${k.aId}::int, ${k.bId}::int)` : sql`(${k.score}::smallint, ${k.kind}::text, ${k.aId}::int, ${k.bId}::int)`);
  const backwards = Boolean(opts.before) || Boolean(opts.last);
  if (opts.after) where.push(sql`${key} < ${cur(opts.after)}`);
  if (opts.before) where.push(sql`${key} > ${cur(opts.before)}`);
  const dir = backwards ? sql`asc` : sql`desc`;
  const order = opts.kind ? sql`c.kind ${dir}, c.score ${dir}, c.a_id ${dir}, c.b_id ${dir}` : sql`c.score ${dir}, c.kind ${dir}, c.a_id ${dir}, c.b_id ${dir}`;
  const r = rowsOf(
    await db.execute(sql`
      select c.kind, c.a_id, c.b_id, c.reasons, c.score,
        case c.kind when 'person' then (select concat_ws(' ', p.surname, p.first_name, p.patronymic) from persons p where p.id = c.a_id)
          else (select o.name from organizations o where o.id = c.a_id) end as a_name,
        case c.kind when 'person' then (select concat_ws(' ', p.surname, p.first_name, p.patronymic) from persons p where p.id = c.b_id)
          else (select o.name from organizations o where o.id = c.b_id) end as b_name,
        case c.kind when 'person' then (select coalesce(o.name, '') from persons p left join organizations o on o.id = p.organization_id where p.id = c.a_id)
          else (select o.website from organizations o where o.id = c.a_id) end as a_detail,
        case c.kind when 'person' then (select coalesce(o.name, '') from persons p left join organizations o on o.id = p.organization_id where p.id = c.b_id)
          else (select o.website from organizations o where o.id = c.b_id) end as b_detail
      from duplicate_candidates c
      ${where.length ? sql`where ${sql.join(where, sql` and `)}` : sql``}
      order by ${order}
      limit ${opts.limit}`),
    { kind: DUPLICATE_KINDS, a_id: 'number', b_id: 'number', reasons: 'string[]', score: 'number', a_name: 'string?', b_name: 'string?', a_detail: 'string?', b_detail: 'string?' },
    'duplicates: page',
  );
  const list = r.map((x) => ({
    kind: x.kind,
    aId: Number(x.a_id),
    bId: Number(x.b_id),
    reasons: x.reasons,
    score: Number(x.score),
    aName: String(x.a_name ?? ''),
    bName: String(x.b_name ?? ''),
    aDetail: String(x.a_detail ?? ''),
    bDetail: String(x.b_detail ?? ''),
  }));
  return backwards ? list.reverse() : list;
}

/** The candidates of one card, with the other card's name: the card's hint. */
export async function candidatesOf(db: Db | Tx, kind: DuplicateKind, id: number): Promise<{ otherId: number; name: string; reasons: string[]; score: number }[]> {
  const nameSql = kind === 'person' ? sql`(select concat_ws(' ', p.surname, p.first_name, p.patronymic) from persons p where p.id = o.other)` : sql`(select x.name from organizations x where x.id = o.other)`;
  const r = rowsOf(
    await db.execute(sql`
      select o.other, ${nameSql} as name, o.reasons, o.score from (
        select case when a_id = ${id} then b_id else a_id end as other, reasons, score
        from duplicate_candidates where kind = ${kind} and (a_id = ${id} or b_id = ${id})) o
      order by o.score desc, o.other limit 20`),
    { other: 'number', name: 'string?', reasons: 'string[]', score: 'number' },
    'duplicates: candidates of a card',
  );
  return r.map((x) => ({ otherId: Number(x.other), name: String(x.name ?? ''), reasons: x.reasons, score: Number(x.score) }));
}

/**
 * For each pair, the cards linked to either of its two by candidate pairs (one step): a cluster to
 * merge at once. One query for the whole page.
 */
export async function clustersOf(db: Db, list: { kind: DuplicateKind; aId: number; bId: number }[]): Promise<number[][]> {
  if (list.length === 0) return [];
  const r = rowsOf(
    await db.execute(sql`
      select x.i, array_agg(distinct n order by n) as ids
      from jsonb_to_recordset(${JSON.stringify(list.map((p, i) => ({ i, kind: p.kind, a: p.aId, b: p.bId })))}::jsonb) as x(i int, kind text, a int, b int)
      cross join lateral (
        select x.a as n union all select x.b
        union all select case when c.a_id in (x.a, x.b) then c.b_id else c.a_id end
        from duplicate_candidates c where c.kind = x.kind and (c.a_id in (x.a, x.b) or c.b_id in (x.a, x.b))) ns
      group by x.i`),
    { i: 'number', ids: 'number[]' },
    'duplicates: clusters',
  );
  const byIndex = new Map(r.map((x) => [Number(x.i), x.ids.map(Number)]));
  return list.map((p, i) => byIndex.get(i) ?? [p.aId, p.bId]);
}

export async function dismissPair(db: Db | Tx, kind: DuplicateKind, a: number, b: number, userId: number): Promise<void> {
  const [x, y] = a < b ? [a, b] : [b, a];
  await db.execute(sql`insert into duplicate_dismissals (kind, a_id, b_id, dismissed_by) values (${kind}, ${x}, ${y}, ${userId}) on conflict do nothing`);
  await db.execute(sql`delete from duplicate_candidates where kind = ${kind} and a_id = ${x} and b_id = ${y}`);
}

// ——— Cards, for the merge page and the merge itself ———

export interface PersonCard {
  id: number;
  kind: 'person';
  row: typeof persons.$inferSelect;
  phones: { kind: PhoneKind; number: string }[];
  emails: string[];
  hasPhoto: boolean;
  organizationName: string | null;
}
export interface OrganizationCard {
  id: number;
  kind: 'organization';
  row: typeof organizations.$inferSelect;
  regionName: string | null;
  activityName: string | null;
  categoryName: string | null;
  personCount: number;
}

/** Locks the cards in id order (two overlapping merges then queue instead of deadlocking). */
export async function lockCards(tx: Tx, kind: DuplicateKind, ids: number[]): Promise<{ id: number; version: number; mergedInto: number | null; archivedAt: Date | null }[]> {
  const t = kind === 'person' ? persons : organizations;
  return tx
    .select({ id: t.id, version: t.version, mergedInto: t.mergedInto, archivedAt: t.archivedAt })
    .from(t)
    .where(inArray(t.id, ids))
    .orderBy(asc(t.id))
    .for('update');
}

export async function personCards(db: Db | Tx, ids: number[]): Promise<PersonCard[]> {
  if (ids.length === 0) return [];
  const base = await db
    .select({ p: persons, orgName: organizations.name, photo: personPhotos.personId })
    .from(persons)
    .leftJoin(organizations, eq(organizations.id, persons.organizationId))
    .leftJoin(personPhotos, eq(personPhotos.personId, persons.id))
    .where(inArray(persons.id, ids));
  const phones = await db.select().from(personPhones).where(inArray(personPhones.personId, ids)).orderBy(asc(personPhones.position), asc(personPhones.id));
  const emails = await db.select().from(personEmails).where(inArray(personEmails.personId, ids)).orderBy(asc(personEmails.position), asc(personEmails.id));
  const byId = new Map(base.map((b) => [b.p.id, b]));
  return ids.flatMap((id) => {
    const b = byId.get(id);
    if (!b) return [];
    return [{
      id,
      kind: 'person' as const,
      row: b.p,
      phones: phones.filter((x) => x.personId === id).map((x) => ({ kind: x.kind, number: x.number })),
      emails: emails.filter((x) => x.personId === id).map((x) => x.email),
      hasPhoto: b.photo !== null,
      organizationName: b.orgName,
    }];
  });
}

export async function organizationCards(db: Db | Tx, ids: number[]): Promise<OrganizationCard[]> {
  if (ids.length === 0) return [];
  const base = await db
    .select({ o: organizations, regionName: regions.name, activityName: activities.name, categoryName: categories.name })
    .from(organizations)
    .leftJoin(regions, eq(regions.id, organizations.regionId))
    .leftJoin(activities, eq(activities.id, organizations.activityId))
    .leftJoin(categories, eq(categories.id, organizations.categoryId))
    .where(inArray(organizations.id, ids));
  const counts = rowsOf(
    await db.execute(sql`select organization_id, count(*)::int as n from persons where organization_id = ${intArray(ids)} group by 1`),
    { organization_id: 'number', n: 'number' },
    'duplicates: persons per organization',
  );
  const byId = new Map(base.map((b) => [b.o.id, b]));
  return ids.flatMap((id) => {
    const b = byId.get(id);
    if (!b) return [];
    return [{ id, kind: 'organization' as const, row: b.o, regionName: b.regionName, activityName: b.activityName, categoryName: b.categoryName, personCount: Number(counts.find((c) => Number(c.organization_id) === id)?.n ?? 0) }];
  });
}

/** What points at the cards, per card: memberships, documents, import records, history. */
export async function linkCounts(db: Db | Tx, kind: DuplicateKind, ids: number[]): Promise<Map<number, { memberships: number; documents: number; imports: number; history: number }>> {
  const col = kind === 'person' ? sql`person_id` : sql`organization_id`;
  const r = rowsOf(
    await db.execute(sql`
      select x.id,
        (select count(*) from group_memberships where ${col} = x.id and removed_at is null)::int as m,
        (select count(*) from documents where ${col} = x.id)::int as d,
        (select count(*) from import_changes where entity_type = ${kind} and entity_id = x.id)::int as i,
        (select count(*) from audit_log where entity_type = ${kind} and entity_id = x.id)::int as h
      from unnest(${`{${ids.join(',')}}`}::int[]) as x(id)`),
    { id: 'number', m: 'number', d: 'number', i: 'number', h: 'number' },
    'duplicates: link counts',
  );
  return new Map(r.map((x) => [Number(x.id), { memberships: Number(x.m), documents: Number(x.d), imports: Number(x.i), history: Number(x.h) }]));
}

/**
 * The audit entries of a card written after a merge: what changed it since (undo's refusal names
 * them). Compared in SQL: the timestamps have microseconds, a JS Date only milliseconds.
 */
export async function changesSinceMerge(db: Db | Tx, kind: DuplicateKind, id: number, mergeId: number, limit = 20) {
  return db
    .select({ at: auditLog.at, action: auditLog.action, changes: auditLog.changes, userName: users.name })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.userId))
    .where(and(eq(auditLog.entityType, kind), eq(auditLog.entityId, id), gt(auditLog.at, sql`(select created_at from card_merges where id = ${mergeId})`)))
    .orderBy(desc(auditLog.id))
    .limit(limit);
}

/** The newest audit entries of a card: what the last `n` versions changed (the 409 page). */
export async function lastChanges(db: Db | Tx, kind: DuplicateKind, id: number, n: number) {
  return db
    .select({ at: auditLog.at, action: auditLog.action, changes: auditLog.changes, userName: users.name })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.userId))
    .where(and(eq(auditLog.entityType, kind), eq(auditLog.entityId, id)))
    .orderBy(desc(auditLog.id))
    .limit(Math.max(1, Math.min(n, 20)));
}

export function findMerge(db: Db | Tx, id: number) {
  return db.select().from(cardMerges).where(eq(cardMerges.id, id)).then((r) => r[0]);
}

export function lockMerge(tx: Tx, id: number) {
  return tx.select().from(cardMerges).where(eq(cardMerges.id, id)).for('update').then((r) => r[0]);
}

export async function recentMerges(db: Db, limit = 20) {
  return db
    .select({ id: cardMerges.id, kind: cardMerges.kind, survivorId: cardMerges.survivorId, mergedIds: cardMerges.mergedIds, createdAt: cardMerges.createdAt, undoneAt: cardMerges.undoneAt, userName: users.name })
    .from(cardMerges)
    .leftJoin(users, eq(users.id, cardMerges.createdBy))
    .orderBy(desc(cardMerges.id))
    .limit(limit);
}

export { intArray };
