// `npm run bench:data -- --persons 100000 [--database-url URL | --pglite DIR]`: writes a large, realistic directory
// into a PostgreSQL database for the benchmark. Generated inside PostgreSQL (INSERT … SELECT over
// generate_series with a fixed seed), so 100,000 persons take seconds and every run is the same.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openDatabase } from '../src/db/client.js';
import { ensureRegions } from '../src/features/references/service.js';
import { hashPassword } from '../src/lib/passwords.js';
import { ACTIVITIES, CATEGORIES, FEMALE_NAMES, JOB_TITLES, MALE_NAMES, MALE_SURNAMES, ORG_FORMS, ORG_STEMS, PATRONYMIC_BASES, CITIES } from '../src/features/demo/data.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

export interface Scale {
  persons: number;
  organizations: number;
  groups: number;
  memberships: number;
  documents: number;
}

export function scaleFor(persons: number): Scale {
  return {
    persons,
    organizations: Math.max(10, Math.round(persons / 5)),
    groups: Math.max(3, Math.round((persons * 300) / 100_000)),
    memberships: Math.round(persons * 5),
    documents: Math.round(persons * 2),
  };
}

const lit = (a: readonly string[]) => `array[${a.map((s) => `'${s.replace(/'/g, "''")}'`).join(',')}]`;
// Russian text normalization in SQL, identical to normalizeKey(): lower case, Ё→Е, spaces folded.
const norm = (e: string) => `btrim(regexp_replace(replace(lower(${e}), 'ё', 'е'), '\\s+', ' ', 'g'))`;

/** Creates the benchmark database when the server does not have it yet. */
export async function ensureDatabase(url: string) {
  const admin = new URL(url);
  const dbName = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    const exists = (await c.query('select 1 from pg_database where datname = $1', [dbName])).rowCount;
    if (!exists) await c.query(`create database "${dbName.replace(/"/g, '""')}"`);
  } finally {
    await c.end();
  }
}

/** What the generator needs of a database: PostgreSQL through `pg`, or PGlite in this process. */
export interface BulkSql {
  /** One statement, with parameters. */
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** Several statements, no parameters. */
  exec(text: string): Promise<unknown>;
}

/** The tables the generator fills in bulk: their secondary indexes are dropped while it writes and built once at the end. */
const BULK_TABLES = ['organizations', 'persons', 'person_phones', 'person_emails', 'group_memberships', 'documents', 'contact_words', 'search_words'];

/** Marks a finished directory: `bench` reuses a database only when this says it holds the scale asked for. */
const META_TABLE = 'bench_meta';

/** The scale a database was completely generated with, or null (never generated, unfinished, or another generator's). */
export async function generatedScale(sql: BulkSql): Promise<Scale | null> {
  try {
    const r = await sql.query(`select scale from ${META_TABLE} where finished_at is not null limit 1`);
    const v = r.rows[0]?.scale;
    return v ? ((typeof v === 'string' ? JSON.parse(v) : v) as Scale) : null;
  } catch {
    return null;
  }
}

export const sameScale = (a: Scale | null, b: Scale) => !!a && (Object.keys(b) as (keyof Scale)[]).every((k) => a[k] === b[k]);

/** A `pg` client as BulkSql. */
export function pgBulk(client: pg.Client): BulkSql {
  return { query: (text, params) => client.query(text, params as unknown[]), exec: (text) => client.query(text) };
}

export async function generate(url: string, scale: Scale, log: (s: string) => void = () => {}) {
  await ensureDatabase(url);
  const database = await openDatabase({ databaseUrl: url, dataDir: ':memory:' });
  await database.migrate();
  await ensureRegions(database.db);
  await database.close();

  const client = new pg.Client({ connectionString: url });
  const second = new pg.Client({ connectionString: url });
  await client.connect();
  await second.connect();
  try {
    // Index builds sort in memory and in parallel; the rows need not wait for the WAL's flush; no JIT
    // (the triggers' string_to_table is estimated at 1,000 words a row, so every statement looked
    // worth compiling: half a second of LLVM for each).
    for (const c of [client, second]) await c.query(`set maintenance_work_mem = '512MB'; set synchronous_commit = off; set max_parallel_maintenance_workers = 2; set jit = off`);
    await generateInto(pgBulk(client), scale, log, [pgBulk(second)]);
  } finally {
    await second.end();
    await client.end();
  }
}

/**
 * The same directory in a PGlite data directory, by the same statements run inside PGlite (one
 * connection, so the indexes are built one after another); the app's own migrations first.
 */
export async function generatePglite(dataDir: string, scale: Scale, log: (s: string) => void = () => {}) {
  const database = await openDatabase({ databaseUrl: null, dataDir });
  try {
    await database.migrate();
    await ensureRegions(database.db);
    const client = (database.connection as { client: unknown }).client as PGlite;
    await client.exec(`set maintenance_work_mem = '256MB'; set jit = off`);
    await generateInto({ query: (text, params) => client.query(text, params), exec: (text) => client.exec(text) }, scale, log);
  } finally {
    await database.close();
  }
}

/** The scale a PGlite data directory was completely generated with, or null. */
export async function generatedScalePglite(dataDir: string): Promise<Scale | null> {
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) return null;
  const { PGlite } = await import('@electric-sql/pglite');
  const client = await PGlite.create(dataDir);
  try {
    return await generatedScale({ query: (text, params) => client.query(text, params), exec: (text) => client.exec(text) });
  } finally {
    await client.close();
  }
}

/**
 * Writes the directory through `sql` into a migrated database (PostgreSQL or PGlite). The
 * secondary indexes of the bulk tables are dropped first and built again at the end (one sorted
 * build each instead of millions of insertions, most of them into trigram GIN indexes); their
 * definitions are kept in `bench_dropped_indexes` until then, so a run that stops halfway leaves
 * them to the next run to restore.
 */
export async function generateInto(sql: BulkSql, scale: Scale, log: (s: string) => void = () => {}, more: BulkSql[] = []) {
  const q = async (label: string, text: string) => {
    const t0 = Date.now();
    await sql.exec(text);
    log(`${label}: ${Date.now() - t0} ms`);
  };
  {
    await sql.exec(`create table if not exists bench_dropped_indexes (name text primary key, def text not null);
      create table if not exists ${META_TABLE} (scale jsonb not null, finished_at timestamptz);
      delete from ${META_TABLE}`);
    await q('reset', `truncate membership_documents, group_memberships, mailing_groups, document_files, documents, document_counters,
      person_photos, person_emails, person_phones, persons, organizations, activities, categories, audit_log, sessions restart identity cascade`);
    // An interrupted run's dropped indexes come back first (on the emptied tables: instantly, and
    // whatever rows broke that run), so that the next step records every definition again.
    await restoreIndexes(sql, log);
    await q('drop secondary indexes', `
      insert into bench_dropped_indexes (name, def)
      select format('%I', c.relname), pg_get_indexdef(i.indexrelid)
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
      where n.nspname = current_schema() and t.relname = any (${lit(BULK_TABLES)})
        and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid);
      do $$ declare r record; begin
        for r in select name from bench_dropped_indexes loop execute 'drop index ' || r.name; end loop;
      end $$`);
    await sql.exec(`select setseed(0.4242)`);
    const pwd = await hashPassword('bench');
    await sql.query(
      `insert into users (login, name, password_hash, role) values ('bench', 'Бенчмарк', $1, 'secretary')
       on conflict ((lower(login))) do update set password_hash = excluded.password_hash`,
      [pwd],
    );
    const acts = [...ACTIVITIES];
    for (let i = acts.length; i < 50; i++) acts.push(`${ACTIVITIES[i % ACTIVITIES.length]} (${Math.floor(i / ACTIVITIES.length) + 1})`);
    const cats = [...CATEGORIES];
    for (let i = cats.length; i < 20; i++) cats.push(`${CATEGORIES[i % CATEGORIES.length]} ${Math.floor(i / CATEGORIES.length) + 1}`);
    await q('activities', `insert into activities (name, sort_key) select a, ${norm('a')} from unnest(${lit(acts)}) a`);
    await q('categories', `insert into categories (name, sort_key) select a, ${norm('a')} from unnest(${lit(cats)}) a`);

    await q('organizations', `
      with src as (
        select i,
          (${lit(ORG_FORMS)})[1 + (i % ${ORG_FORMS.length})] as form,
          (${lit(ORG_STEMS)})[1 + ((i * 7) % ${ORG_STEMS.length})] || ' ' || (i / ${ORG_STEMS.length}) as stem,
          (${lit(CITIES.map((c) => c.city))})[1 + (i % ${CITIES.length})] as city,
          (${lit(CITIES.map((c) => c.index))})[1 + (i % ${CITIES.length})] as idx
        from generate_series(1, ${scale.organizations}) i)
      insert into organizations (name, short_name, region_id, activity_id, category_id, addr_index, addr_country, addr_locality, addr_street, addr_house,
        phones, email, website, sort_key, search_text)
      select form || ' «' || stem || '»', stem,
        (select id from regions order by id offset (i % 89) limit 1),
        case when i % 10 = 0 then null else 1 + (i % 50) end,
        case when i % 7 = 0 then null else 1 + (i % 20) end,
        case when i % 13 = 0 then '' else idx end, 'Россия', city, 'ул. Ленина', (1 + i % 150)::text,
        '+7 (495) ' || lpad((i % 1000)::text, 3, '0') || '-00-00', 'info' || i || '@firma.ru', 'firma' || i || '.ru',
        ${norm(`form || ' «' || stem || '»'`)}, ${norm(`form || ' «' || stem || '» ' || stem`)}
      from src`);

    // Persons: names with Ё, every 50th a near-duplicate of the previous one, some typos.
    await q('persons', `
      with src as (
        select i, (i % 2 = 0) as female,
          (${lit(MALE_SURNAMES)})[1 + ((i * 31) % ${MALE_SURNAMES.length})] as base,
          (${lit(MALE_NAMES)})[1 + ((i * 17) % ${MALE_NAMES.length})] as mname,
          (${lit(FEMALE_NAMES)})[1 + ((i * 13) % ${FEMALE_NAMES.length})] as fname,
          (${lit(PATRONYMIC_BASES)})[1 + ((i * 11) % ${PATRONYMIC_BASES.length})] as pat,
          case when i % 20 = 0 then null else 1 + (i % ${scale.organizations}) end as org
        from generate_series(1, ${scale.persons}) i),
      named as (
        select i, org,
          case when female then (case when base ~ '(ов|ев|ёв|ин|ын)$' then base || 'а' else base end) else base end
            || case when i % 97 = 0 then 'ь' else '' end as surname,
          case when female then fname else mname end as first_name,
          pat || case when female then 'на' else 'ич' end as patronymic,
          case when female then 'female' else 'male' end as gender
        from src)
      insert into persons (organization_id, surname, first_name, patronymic, influence, job_title, gender, sort_key, search_text, phone_digits)
      select n.org, n.surname, n.first_name, n.patronymic, ((i % 11) - 5) * (i % 3 = 0)::int,
        (${lit(JOB_TITLES)})[1 + (i % ${JOB_TITLES.length})], n.gender,
        ${norm(`n.surname || ' ' || n.first_name || ' ' || n.patronymic`)},
        ${norm(`concat_ws(' ', n.surname, n.first_name, n.patronymic, o.name, o.short_name, 'p' || i || '@mail.ru')`)},
        '7495' || lpad(i::text, 7, '0') || ' 495' || lpad(i::text, 7, '0')
      from named n left join organizations o on o.id = n.org`);
    await q('phones', `insert into person_phones (person_id, kind, number, e164, position)
      select id, 'work', '+7 (495) ' || lpad(id::text, 7, '0'), '+7495' || lpad(id::text, 7, '0'), 0 from persons`);
    await q('emails', `insert into person_emails (person_id, email, position) select id, 'p' || id || '@mail.ru', 0 from persons`);
    await plantDuplicates(q);

    // Three digits as far as they go (lpad cuts longer numbers: "Группа 1000" would be "Группа 100").
    const pad = Math.max(3, String(scale.groups).length);
    await q('groups', `insert into mailing_groups (name, sort_key, mark)
      select 'Группа ' || lpad(g::text, ${pad}, '0'), 'группа ' || lpad(g::text, ${pad}, '0'),
        case when g = 1 then 'priority' when g = 2 then 'warning' else 'none' end
      from generate_series(1, ${scale.groups}) g`);
    // Memberships: group 1 gets exactly 5,000 members (the benchmark's large group page); the
    // rest are spread so every person is in ~5 groups on average, with no duplicates.
    const big = Math.min(5000, scale.persons);
    // One transaction with triggers off (the rows are right by construction, so the foreign-key
    // checks, five a row, and the group_refs trigger are skipped) and one recount of every
    // organization's group references at the end, once the planner knows the tables' sizes.
    await q('memberships (group 1)', `begin;
      set local session_replication_role = replica;
      insert into group_memberships (group_id, person_id, reason)
      select 1, id, 'Оборот выше 10 млн ₽' from persons where id <= ${big}`);
    await q('memberships', `insert into group_memberships (group_id, person_id, reason)
      select distinct on (g, p) g, p, '' from (
        select 2 + ((i::bigint * 7919) % ${Math.max(1, scale.groups - 1)})::int as g, 1 + ((i::bigint * 104729) % ${scale.persons})::int as p
        from generate_series(1, ${scale.memberships - big}) i) s
      where g <= ${scale.groups}
      on conflict do nothing`);
    await q('organizations: group references', `analyze organizations, persons, mailing_groups, group_memberships;
      select crm_recount_group_refs();
      commit`);

    // Six digits for a registration number as far as they go (lpad cuts longer ones: duplicates).
    const seqPad = Math.max(6, String(Math.ceil(scale.documents / 2)).length);
    await q('documents', `begin;
      set local session_replication_role = replica;
      insert into documents (direction, reg_year, reg_seq, reg_number, reg_date, sender_number, subject, summary, organization_id, person_id, search_text)
      select case when i % 2 = 0 then 'incoming' else 'outgoing' end, 2026, (i + 1) / 2,
        case when i % 2 = 0 then 'Вх-2026/' else 'Исх-2026/' end || lpad(((i + 1) / 2)::text, ${seqPad}, '0'),
        date '2026-01-01' + (i % 330), 'N ' || i, 'Письмо о поставке № ' || i, 'Краткое содержание письма ' || i,
        1 + (i % ${scale.organizations}), case when i % 3 = 0 then 1 + (i % ${scale.persons}) else null end,
        lower('вх-2026/' || lpad(((i + 1) / 2)::text, ${seqPad}, '0') || ' письмо о поставке № ' || i)
      from generate_series(1, ${scale.documents}) i;
      commit`);
    // The sorting name without the legal form, as the app derives it on every write (drizzle/0016).
    await q('counters', `insert into document_counters (direction, year, last_seq)
      select direction, reg_year, max(reg_seq) from documents group by 1, 2;
      update organizations set sort_name = crm_sort_name(sort_key) where sort_name is distinct from crm_sort_name(sort_key);
      select crm_recount_directory_counts()`);
    const t0 = Date.now();
    await restoreIndexes(sql, log, more);
    log(`indexes: ${Date.now() - t0} ms`);
    // Vacuum as autovacuum would on a live server: index-only scans need the visibility map.
    await q('vacuum analyze', 'vacuum analyze');
    await sql.query(`insert into ${META_TABLE} (scale, finished_at) values ($1, now())`, [JSON.stringify(scale)]);
  }
}

/**
 * Builds the indexes a run dropped (this one, or one that stopped halfway), largest table first,
 * over every connection given (PostgreSQL: two, one index build per core; a GIN build is not
 * parallel inside the server).
 */
async function restoreIndexes(sql: BulkSql, log: (s: string) => void, more: BulkSql[] = []) {
  const r = await sql.query(`select d.name, d.def from bench_dropped_indexes d
    left join pg_class t on t.oid = (regexp_match(d.def, ' ON (\\S+) USING'))[1]::regclass
    order by pg_relation_size(t.oid) desc nulls last, d.def like '%USING gin%' desc, d.name`);
  const queue = r.rows.slice();
  await Promise.all([sql, ...more].map(async (conn) => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      const t0 = Date.now();
      await conn.exec(`${row.def as string}; delete from bench_dropped_indexes where name = '${String(row.name).replace(/'/g, "''")}'`);
      log(`index ${row.name as string}: ${Date.now() - t0} ms`);
    }
  }));
}

/**
 * Known duplicates, the ground truth of the duplicates scenario, kept in bench_duplicates (kind,
 * a_id, b_id): every 97th person (one with a typo, 'ь' at the end of the surname) once more in the
 * same organization, in turn as the same name in capitals, with initials, with the typo fixed, or
 * under another surname with the same phone and e-mail; every 100th organization once more without
 * its legal form, every 200th in Latin letters with "LLC". The copies are added after the
 * memberships and documents, so every other scenario's figures stay those of the original rows.
 */
async function plantDuplicates(q: (label: string, sql: string) => Promise<void>) {
  await q('duplicates: ground truth table', `create table if not exists bench_duplicates (kind text not null, a_id int not null, b_id int not null);
    truncate bench_duplicates`);
  await q('duplicates: persons', `
    insert into persons (organization_id, surname, first_name, patronymic, influence, job_title, gender, note, sort_key, search_text, phone_digits)
    select s.organization_id, s.surname2, s.first2, s.pat2, 0, s.job_title, s.gender, 'bench-duplicate-of:' || s.id,
      ${norm(`s.surname2 || ' ' || s.first2 || ' ' || s.pat2`)},
      ${norm(`concat_ws(' ', s.surname2, s.first2, s.pat2, o.name, o.short_name, case when s.v = 3 then 'p' || s.id || '@mail.ru' else '' end)`)}, ''
    from (
      select p.*, (p.id / 97) % 4 as v,
        case (p.id / 97) % 4 when 0 then upper(p.surname) when 2 then rtrim(p.surname, 'ь') when 3 then p.surname || '-Смирнова' else p.surname end as surname2,
        case (p.id / 97) % 4 when 1 then left(p.first_name, 1) || '.' else p.first_name end as first2,
        case (p.id / 97) % 4 when 1 then left(p.patronymic, 1) || '.' else p.patronymic end as pat2
      from persons p where p.id % 97 = 0 and p.organization_id is not null) s
    join organizations o on o.id = s.organization_id`);
  await q('duplicates: persons truth', `
    insert into bench_duplicates (kind, a_id, b_id)
    select 'person', split_part(note, ':', 2)::int, id from persons where note like 'bench-duplicate-of:%'`);
  await q('duplicates: persons contacts', `
    insert into person_phones (person_id, kind, number, e164, position)
    select b_id, 'mobile', '8 (495) ' || lpad(a_id::text, 7, '0'), '+7495' || lpad(a_id::text, 7, '0'), 0 from bench_duplicates where kind = 'person' and (a_id / 97) % 4 = 3;
    insert into person_emails (person_id, email, position)
    select b_id, upper('p' || a_id || '@mail.ru'), 0 from bench_duplicates where kind = 'person' and (a_id / 97) % 4 = 3;
    update persons set note = '' where note like 'bench-duplicate-of:%'`);
  await q('duplicates: organizations', `
    insert into organizations (name, short_name, region_id, note, sort_key, search_text)
    select n.name, '', o.region_id, 'bench-duplicate-of:' || o.id, ${norm('n.name')}, ${norm('n.name')}
    from organizations o
    cross join lateral (select case when o.id % 200 = 0 then initcap(crm_translit(lower(o.short_name))) || ' LLC' else '«' || o.short_name || '»' end as name) n
    where o.id % 100 = 0`);
  await q('duplicates: organizations truth', `
    insert into bench_duplicates (kind, a_id, b_id)
    select 'organization', split_part(note, ':', 2)::int, id from organizations where note like 'bench-duplicate-of:%';
    update organizations set note = '' where note like 'bench-duplicate-of:%'`);
}

const isMain = process.argv[1]?.endsWith('/bench/data.ts');
if (isMain) {
  const url = arg('database-url', process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/crm_bench');
  const persons = Number(arg('persons', '100000'));
  // `--pglite DIR`: into a PGlite data directory instead.
  const pgliteDir = arg('pglite', '');
  const scale = scaleFor(persons);
  const t0 = Date.now();
  const into = pgliteDir ? `PGlite ${pgliteDir}` : url.replace(/:[^:@/]*@/, ':***@');
  (pgliteDir ? generatePglite(pgliteDir, scale, (s) => process.stdout.write(`  ${s}\n`)) : generate(url, scale, (s) => process.stdout.write(`  ${s}\n`)))
    .then(() => process.stdout.write(`generated ${JSON.stringify(scale)} in ${((Date.now() - t0) / 1000).toFixed(1)} s into ${into}\n`))
    .catch((err) => {
      process.stderr.write(`bench:data failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    });
}
