// Measurements for the import and the XML export (run by hand, not part of the test suite):
//   node --import tsx test/import/perf.ts [rows=10000] [persons=100000]
// PERF_DIRECTORY=100000 imports into a directory of that many persons (default: an empty one).
// Uses the embedded PGlite database unless DATABASE_URL is set (as the tests do).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { insertUser } from '../../src/features/users/queries.js';
import { hashPassword } from '../../src/lib/passwords.js';
import { Client, PASSWORD, createTestApp, type TestApp } from '../helpers/app.js';
import { multipart } from './helpers.js';
import { outlookCsv } from '../../bench/outlook-csv.js';

const ROWS = Number(process.argv[2] ?? 10_000);
const PERSONS = Number(process.argv[3] ?? 100_000);
const log = (s: string) => process.stdout.write(`${s}\n`);
const ms = (t0: number) => `${Math.round(performance.now() - t0)} ms`;
const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

/**
 * The app as it runs: PGlite in a data directory on disk (the tests keep theirs in memory, whose
 * growing in-memory files cost extra), or PostgreSQL when DATABASE_URL is set.
 */
async function realApp(env: Record<string, string>) {
  if (process.env.DATABASE_URL) return createTestApp(env);
  const dir = mkdtempSync(path.join(tmpdir(), 'crm-perf-'));
  const config = loadConfig({ DATA_DIR: dir, ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'silent', LOGIN_RATE_LIMIT: '10000', ...env });
  const database = await openDatabase(config);
  await database.migrate();
  const app = await buildApp(config, { database, logger: false });
  await app.ready();
  const hash = await hashPassword(PASSWORD);
  await insertUser(database.db, { login: 'secretary', name: 'Секретарь', passwordHash: hash, role: 'secretary' });
  await insertUser(database.db, { login: 'employee', name: 'Сотрудник', passwordHash: hash, role: 'employee' });
  return {
    app,
    database,
    async as(role: 'secretary' | 'employee') {
      const c = new Client(app);
      await c.signIn(role, PASSWORD);
      return c;
    },
    async close() {
      await app.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A directory of `persons` persons in a tenth as many organizations, with phones, e-mails, one group. */
async function loadDirectory(db: TestApp['database']['db'], persons: number) {
  await db.execute(sql`insert into organizations (name, sort_key, search_text, addr_locality, addr_street)
    select 'ООО «Организация ' || g || '»', 'ооо «организация ' || g || '»', 'ооо «организация ' || g || '»', 'Москва', 'ул. Ленина, ' || g
    from generate_series(1, ${Math.ceil(persons / 10)}) g`);
  await db.execute(sql`insert into persons (organization_id, surname, first_name, patronymic, job_title, note, sort_key, search_text)
    select 1 + (g % ${Math.ceil(persons / 10)}), 'Фамилия' || g, 'Иван', 'Петрович', 'Менеджер', 'Заметка о человеке номер ' || g,
      'фамилия' || g || ' иван петрович', 'фамилия' || g || ' иван петрович'
    from generate_series(1, ${persons}) g`);
  await db.execute(sql`insert into person_phones (person_id, kind, number, position) select id, 'work', '+7 495 000-00-00', 0 from persons`);
  await db.execute(sql`insert into person_emails (person_id, email, position) select id, 'p' || id || '@example.ru', 0 from persons`);
  await db.execute(sql`insert into mailing_groups (name, sort_key) values ('VIP', 'vip')`);
  await db.execute(sql`insert into group_memberships (group_id, person_id, reason) select 1, id, 'основание' from persons where id % 10 = 0`);
}

async function importBenchmark(createGroups: boolean) {
  const t = await realApp({ IMPORT_MAX_BYTES: String(200 * 1024 * 1024) });
  try {
    // PERF_DIRECTORY=100000: import into a directory of that many persons (their indexes grow).
    const directory = Number(process.env.PERF_DIRECTORY ?? 0);
    if (directory > 0) {
      const t0 = performance.now();
      await loadDirectory(t.database.db, directory);
      log(`directory of ${directory} persons loaded in ${ms(t0)}`);
    }
    const c = await t.as('secretary');
    await c.get('/import');
    const file = outlookCsv(ROWS);
    log(`import: ${ROWS} Outlook rows, ${mb(file.length)} (${t.database.driver}), categories → groups: ${createGroups ? 'yes' : 'no'}`);
    const m = multipart('file', 'big.csv', file);
    let t0 = performance.now();
    const up = await c.request({ method: 'POST', url: `/import?_csrf=${encodeURIComponent(c.csrf)}`, payload: m.payload, headers: { 'content-type': m.contentType } });
    const id = Number(String(up.headers.location).split('/').pop());
    log(`  upload + parse + preview stored: ${ms(t0)} (status ${up.statusCode})`);
    t0 = performance.now();
    const page = await c.get(`/import/${id}`);
    log(`  preview page (first 100 rows): ${ms(t0)} (${page.statusCode})`);
    t0 = performance.now();
    await c.post(`/import/${id}/commit`, createGroups ? { options: '1', createGroups: '1' } : { options: '1' });
    for (;;) {
      const result = (await t.database.db.execute(sql`select status, report from import_batches where id = ${id}`)) as unknown as { rows: { status: string; report: unknown }[] };
      const b = result.rows[0];
      if (b.status !== 'committing') {
        log(`  commit (one transaction): ${ms(t0)} → ${b.status} ${JSON.stringify(b.report)}`);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    if (!createGroups) {
      // The same file again, every row a duplicate by e-mail: "update the existing card" for all.
      const m2 = multipart('file', 'again.csv', file);
      t0 = performance.now();
      const again = await c.request({ method: 'POST', url: `/import?_csrf=${encodeURIComponent(c.csrf)}`, payload: m2.payload, headers: { 'content-type': m2.contentType } });
      const id2 = Number(String(again.headers.location).split('/').pop());
      log(`  again, as duplicates: preview ${ms(t0)}`);
      t0 = performance.now();
      await c.post(`/import/${id2}/commit`, { options: '1', all: 'update' });
      for (;;) {
        const result = (await t.database.db.execute(sql`select status, report from import_batches where id = ${id2}`)) as unknown as { rows: { status: string; report: unknown }[] };
        if (result.rows[0].status !== 'committing') {
          log(`  commit "update" for all: ${ms(t0)} → ${result.rows[0].status} ${JSON.stringify(result.rows[0].report)}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      t0 = performance.now();
      await c.post(`/import/${id2}/undo`);
      log(`  undo of the update: ${ms(t0)}`);
    }
    t0 = performance.now();
    await c.post(`/import/${id}/undo`);
    log(`  undo: ${ms(t0)}`);
  } finally {
    await t.close();
  }
}

async function exportBenchmark() {
  const t = await realApp({});
  try {
    const db = t.database.db;
    let t0 = performance.now();
    await loadDirectory(db, PERSONS);
    log(`export: ${PERSONS} persons, ${Math.ceil(PERSONS / 10)} organizations, ${PERSONS / 10} memberships loaded in ${ms(t0)} (${t.database.driver})`);

    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    const c = await t.as('employee');
    global.gc?.();
    const base = process.memoryUsage();
    let peakHeap = base.heapUsed;
    let peakRss = base.rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 50);
    t0 = performance.now();
    const bytes = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/export.xml', headers: { cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } }, (res) => {
          let n = 0;
          res.on('data', (d: Buffer) => (n += d.length));
          res.on('end', () => resolve(n));
          res.on('error', reject);
        })
        .on('error', reject);
    });
    clearInterval(sampler);
    log(`  /export.xml: ${mb(bytes)} in ${ms(t0)}; heap ${mb(base.heapUsed)} → peak ${mb(peakHeap)}, rss ${mb(base.rss)} → peak ${mb(peakRss)}`);
  } finally {
    await t.close();
  }
}

await importBenchmark(false);
await importBenchmark(true);
if (PERSONS > 0) await exportBenchmark();
