import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, like, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { importBatches } from '../../src/db/schema/imports.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { persons } from '../../src/db/schema/persons.js';
import { insertUser } from '../../src/features/users/queries.js';
import { hashPassword } from '../../src/lib/passwords.js';
import { Client, createTestApp, type TestApp } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { outlookRuCsv, uploadOk, waitForCommit } from '../import/helpers.js';

/**
 * The job system under concurrency, on a real PostgreSQL server (PGlite is one process's own
 * database, so these run when DATABASE_URL is set, as in the second half of CI).
 */
const onPostgres = Boolean(process.env.DATABASE_URL);

async function until<T>(what: string, ms: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(onPostgres)('two imports committed at the same moment', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Two workers: both commits run at once, each on its own connection.
    t = await createTestApp({ WORKERS: '2' });
  });
  afterAll(async () => t?.close());

  it('never create the same organization twice (10 runs of two overlapping batches)', async () => {
    const c = await t.as('secretary');
    for (let run = 0; run < 10; run++) {
      const companies = Array.from({ length: 20 }, (_, i) => `ООО «Общая ${run}-${i}»`);
      const batch = (side: string) =>
        outlookRuCsv(...companies.map((co, i) => `Сотрудник${side}${run}x${i};Иван;Иванович;${co};Инженер;;${side}${run}x${i}@example.ru;;`));
      const a = await uploadOk(c, batch('a'), `a${run}.csv`);
      const b = await uploadOk(c, batch('b'), `b${run}.csv`);
      const [ra, rb] = await Promise.all([c.post(`/import/${a}/commit`), c.post(`/import/${b}/commit`)]);
      expect([ra.statusCode, rb.statusCode]).toEqual([303, 303]);
      expect((await waitForCommit(t, c, a)).status).toBe('committed');
      expect((await waitForCommit(t, c, b)).status).toBe('committed');
      const made = await t.database.db
        .select({ key: organizations.sortKey, n: sql<number>`count(*)::int` })
        .from(organizations)
        .where(like(organizations.name, `ООО «Общая ${run}-%`))
        .groupBy(organizations.sortKey);
      expect(made, `run ${run}`).toHaveLength(20);
      expect(made.every((m) => m.n === 1), `run ${run}: ${JSON.stringify(made.filter((m) => m.n > 1))}`).toBe(true);
    }
  });
});

describe.runIf(onPostgres)('two instances polling one queue', () => {
  const apps: FastifyInstance[] = [];
  const pools: Database[] = [];
  let drop: () => Promise<void> = async () => {};
  let ownerId = 0;
  const runs: { instance: number; jobId: number }[] = [];

  beforeAll(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    const u = await insertUser(fresh.database.db, { login: 'sec', name: 'Секретарь', passwordHash: await hashPassword('password-123'), role: 'secretary' });
    ownerId = u.id;
    for (let i = 0; i < 2; i++) {
      const database = await openDatabase({ databaseUrl: fresh.url, dataDir: ':memory:' });
      pools.push(database);
      const app = await buildApp(loadConfig({ DATABASE_URL: fresh.url!, LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'admin-password', WORKERS: '2' }), { database, logger: false });
      // A kind of work of the test's own, registered like a feature's, that notes who ran it.
      app.jobs.registerHandler<{ n: number }>('test.once', {
        title: 'jobs.title',
        async run(ctx) {
          runs.push({ instance: i, jobId: ctx.jobId });
          await new Promise((r) => setTimeout(r, 20));
          return { report: { n: ctx.payload.n } };
        },
      });
      await app.ready();
      apps.push(app);
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    for (const p of pools) await p.close();
    await drop();
  });

  it('run each job exactly once', async () => {
    const ids: number[] = [];
    for (let n = 0; n < 40; n++) ids.push((await apps[n % 2].jobs.enqueue('test.once', { n }, { owner: { id: ownerId } })).id);
    await until('all jobs done', 100_000, async () => {
      const done = await pools[0].db.select({ n: sql<number>`count(*)::int` }).from(jobs).where(and(eq(jobs.kind, 'test.once'), eq(jobs.state, 'done')));
      return done[0].n === ids.length;
    });
    const perJob = new Map<number, number>();
    for (const r of runs) perJob.set(r.jobId, (perJob.get(r.jobId) ?? 0) + 1);
    expect([...perJob.keys()].sort((a, b) => a - b)).toEqual([...ids].sort((a, b) => a - b));
    expect([...perJob.values()].every((v) => v === 1)).toBe(true);
  }, 120_000);
});

describe.runIf(onPostgres)('an instance stopped in the middle of an import commit', () => {
  let drop: () => Promise<void> = async () => {};
  let url = '';
  const pools: Database[] = [];
  const apps: FastifyInstance[] = [];

  beforeAll(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    url = fresh.url!;
    await insertUser(fresh.database.db, { login: 'sec', name: 'Секретарь', passwordHash: await hashPassword('password-123'), role: 'secretary' });
    pools.push(fresh.database);
  });
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => {});
    for (const p of pools) await p.close().catch(() => {});
    await drop();
  });

  async function instance() {
    const database = await openDatabase({ databaseUrl: url, dataDir: ':memory:' });
    pools.push(database);
    // A shutdown limit of 1 s: the commit cannot finish in it, so the job is given back.
    const app = await buildApp(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'admin-password', WORKERS: '1', SHUTDOWN_TIMEOUT_SECONDS: '1' }), { database, logger: false });
    await app.ready();
    apps.push(app);
    return { app, database };
  }

  it('leaves the batch unwritten, and the next instance commits it within a minute', async () => {
    const a = await instance();
    const c = new Client(a.app);
    await c.signIn('sec', 'password-123');
    const rows = Array.from({ length: 20_000 }, (_, i) => `Прерванный${i};Пётр;Петрович;ЗАО «Стоп ${i % 300}»;Инженер;;stop${i}@example.ru;;`);
    const id = await uploadOk(c, outlookRuCsv(...rows), 'big.csv');
    expect((await c.post(`/import/${id}/commit`)).statusCode).toBe(303);
    const db = a.database.db;
    // The commit is under way: its job runs and the batch shows rows written.
    await until('the commit to be under way', 120_000, async () => {
      const [b] = await db.select().from(importBatches).where(eq(importBatches.id, id));
      return b.status === 'committing' && b.done > 0;
    });
    await a.app.close();
    const [mid] = await pools[0].db.select().from(importBatches).where(eq(importBatches.id, id));
    const [{ n: written }] = await pools[0].db.select({ n: sql<number>`count(*)::int` }).from(persons).where(like(persons.surname, 'Прерванный%'));
    // All or nothing: either it made it inside the grace, or nothing of it is in the directory.
    if (mid.status === 'committing') expect(written).toBe(0);
    else expect(mid.status).toBe('committed');

    const started = Date.now();
    await instance();
    const end = await until('the batch to be committed by the next instance', 60_000, async () => {
      const [b] = await pools[0].db.select().from(importBatches).where(eq(importBatches.id, id));
      return b.status !== 'committing' && b;
    });
    expect(end.status).toBe('committed');
    expect(Date.now() - started).toBeLessThan(60_000);
    const [{ n }] = await pools[0].db.select({ n: sql<number>`count(*)::int` }).from(persons).where(like(persons.surname, 'Прерванный%'));
    expect(n).toBe(20_000);
    const [job] = await pools[0].db.select().from(jobs).where(eq(jobs.kind, 'import.commit'));
    // After the commit the job checks the 20,000 new cards for duplicates (in this file they are
    // all namesakes a digit apart in 300 companies: some 650,000 candidate pairs, half a minute).
    const done = await until('the job to be done', 120_000, async () => {
      const [j] = await pools[0].db.select().from(jobs).where(eq(jobs.id, job.id));
      return j.state === 'done' && j;
    });
    // Interrupted, it ran a second time (on the second instance).
    if (mid.status === 'committing') expect(done.attempts).toBeGreaterThanOrEqual(2);
  }, 240_000);
});
