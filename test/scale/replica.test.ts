import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { eq } from 'drizzle-orm';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { parseLsn } from '../../src/db/replica.js';
import { jobs } from '../../src/db/schema/jobs.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { EXPORT_JOB } from '../../src/features/export/routes.js';
import type { Role, User } from '../../src/db/schema/users.js';
import { insertUser } from '../../src/features/users/queries.js';
import { hashPassword } from '../../src/lib/passwords.js';
import { Client, PASSWORD } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';
import { replicaUnavailable, startReplica, type Replica } from '../helpers/replica.js';

/**
 * Read replicas against a real streaming replica: a hot standby of the test server made with
 * pg_basebackup and started by the test (test/helpers/replica.ts). The read-only pages read from
 * it; a user who just wrote reads from the primary until the replica has replayed the write; a
 * replica that lags too far or is stopped leaves every page served, from the primary.
 * To show which database a page read, replay on the standby is paused: a write made meanwhile is
 * on the primary only.
 */
describe('read replica routing, on any database', () => {
  it('compares WAL positions (the session marker against the replay position) as numbers, across the 4 GB step', () => {
    expect(parseLsn('0/FFFFFFFF') < parseLsn('1/0')).toBe(true);
    expect(parseLsn('0/9') < parseLsn('0/10')).toBe(true);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
    expect(() => parseLsn('16-B374D848')).toThrow(/not a WAL position/);
  });

  it('is refused at boot on a route that is not a GET (whatever the database), so a write never aims at a replica', async () => {
    const db = await freshDatabase();
    const app = await buildApp(loadConfig({ DATA_DIR: ':memory:', LOG_LEVEL: 'silent', ADMIN_PASSWORD: PASSWORD }), { database: db.database, logger: false });
    try {
      expect(() => app.post('/write', { config: { access: 'user', replica: true } }, async () => 'x')).toThrow(/config.replica is `true` on read-only GET routes only/);
      expect(() => app.get('/read', { config: { access: 'user', replica: 'yes' as unknown as true } }, async () => 'x')).toThrow(/config.replica/);
      // Without DATABASE_REPLICA_URL there is no router: the flag changes nothing.
      expect(app.replica).toBeNull();
    } finally {
      await app.close();
      await db.drop();
    }
  });
});

const why = replicaUnavailable();
describe.skipIf(why !== null)(`read replica${why ? ` (skipped: ${why})` : ''}`, () => {
  let replica: Replica;
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  const apps: FastifyInstance[] = [];
  let app: FastifyInstance;
  let users: Record<Role, User>;
  const clients = new Map<string, Client>();

  async function boot(env: Record<string, string>) {
    const dbName = new URL(fresh.url!).pathname.slice(1);
    const database = await openDatabase({ databaseUrl: fresh.url, databaseReplicaUrl: replica.urlFor(dbName), dataDir: ':memory:' });
    const config = loadConfig({ DATABASE_URL: fresh.url!, DATABASE_REPLICA_URL: replica.urlFor(dbName), LOG_LEVEL: process.env.REPLICA_TEST_LOG ?? 'silent', ADMIN_PASSWORD: PASSWORD, LOGIN_RATE_LIMIT: '10000', ...env });
    const a = await buildApp(config, { database, ...(process.env.REPLICA_TEST_LOG ? {} : { logger: false }) });
    a.addHook('onClose', async () => database.close());
    await a.ready();
    apps.push(a);
    return a;
  }
  async function as(a: FastifyInstance, role: Role) {
    const key = `${apps.indexOf(a)}:${role}`;
    let c = clients.get(key);
    if (!c) {
      c = new Client(a);
      await c.signIn(role, PASSWORD);
      clients.set(key, c);
    }
    return c;
  }
  const health = async (a: FastifyInstance) => (await a.inject('/healthz')).body;
  async function until(what: string, check: () => Promise<boolean>, ms = 20_000) {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async function pauseReplay() {
    await replica.query('select pg_wal_replay_pause()');
    // The request is taken at the next record; "paused" is when replay has stopped.
    await until('replay paused', async () => (await replica.query<{ s: string }>('select pg_get_wal_replay_pause_state() as s'))[0].s === 'paused');
  }
  const resumeReplay = () => replica.query('select pg_wal_replay_resume()');
  async function createOrganization(c: Client, name: string) {
    const res = await c.post('/organizations', { name });
    expect(res.statusCode).toBe(303);
    return Number(String(res.headers.location).split('/').pop());
  }

  beforeAll(async () => {
    fresh = await freshDatabase();
    // The base backup is taken after the test database exists (it is copied with it); the
    // accounts made below reach the standby by streaming.
    replica = await startReplica();
    // A generous lag limit: replay is paused for a few seconds in the tests of read-your-writes.
    app = await boot({ DATABASE_REPLICA_MAX_LAG_SECONDS: '120' });
    const hash = await hashPassword(PASSWORD);
    const secretary = await insertUser(fresh.database.db, { login: 'secretary', name: 'Секретарь Анна', passwordHash: hash, role: 'secretary' });
    const employee = await insertUser(fresh.database.db, { login: 'employee', name: 'Сотрудник Борис', passwordHash: hash, role: 'employee' });
    const [admin] = await fresh.database.db.query.users.findMany({ where: (u, { eq }) => eq(u.login, 'admin') });
    users = { admin, secretary, employee };
    await replica.catchUp();
    await until('replica in use', async () => (await health(app)).includes('replica: ok'));
  }, 600_000);

  afterAll(async () => {
    // Replay left paused by a failed test would hold the standby's shutdown; remove() stops it fast.
    for (const a of apps) await a.close();
    await replica?.remove();
    await fresh?.drop();
  });

  it('the health page reports the replica streaming, its lag and replay position', async () => {
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(/^ok\nreplica: ok lag_ms=\d+ replayed=[0-9A-F]+\/[0-9A-F]+ fallbacks=0$/);
    // The standby's replay copy of the test database is a real, separate server.
    expect(replica.port).toBeGreaterThanOrEqual(5440);
    expect(replica.port).toBeLessThanOrEqual(5449);
  });

  it("a page reads from the replica; the user who wrote reads their write from the primary until the replica has it", async () => {
    const writer = await as(app, 'secretary');
    const reader = await as(app, 'employee');
    await createOrganization(writer, 'ООО «Альфа-Реплика»');
    await replica.catchUp();
    await until('replayed position seen', async () => (await reader.get('/contacts')).body.includes('Альфа-Реплика'));
    expect((await writer.get('/contacts')).body).toContain('Альфа-Реплика');

    await pauseReplay();
    try {
      const id = await createOrganization(writer, 'ООО «Бета-Реплика»');
      // On the primary, not (yet) on the standby.
      expect(await fresh.database.db.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, id))).toHaveLength(1);
      const standby = await replica.query<{ n: number }>(`select count(*)::int as n from pg_database where datname = '${new URL(fresh.url!).pathname.slice(1)}'`);
      expect(standby[0].n).toBe(1);
      // The writer sees it (the session's write position is ahead of the replica: the primary)...
      const own = await writer.get('/contacts');
      expect(own.statusCode).toBe(200);
      expect(own.body).toContain('Бета-Реплика');
      expect((await writer.get(`/organizations/${id}`)).statusCode).toBe(200);
      // ...another user's same page comes from the paused replica, which has not replayed it.
      const other = await reader.get('/contacts');
      expect(other.statusCode).toBe(200);
      expect(other.body).toContain('Альфа-Реплика');
      expect(other.body).not.toContain('Бета-Реплика');
      expect((await reader.get(`/organizations/${id}`)).statusCode).toBe(404);
      // A page that is not read-only (an edit form) reads from the primary for everyone.
      const admin = await as(app, 'admin');
      expect((await admin.get(`/organizations/${id}/edit`)).statusCode).toBe(200);
    } finally {
      await resumeReplay();
    }
    await replica.catchUp();
    // Replayed: both see the same again.
    expect((await reader.get('/contacts')).body).toContain('Бета-Реплика');
    expect((await writer.get('/contacts')).body).toContain('Бета-Реплика');
    expect(await health(app)).toContain('fallbacks=0');
  });

  it('a user whose write the replica has replayed reads from the replica again', async () => {
    const writer = await as(app, 'secretary');
    const admin = await as(app, 'admin');
    await replica.catchUp();
    // The secretary's last write is replayed: her pages come from the replica again.
    await pauseReplay();
    try {
      await createOrganization(admin, 'ООО «Гамма-Реплика»');
      expect((await admin.get('/contacts')).body).toContain('Гамма-Реплика');
      expect((await writer.get('/contacts')).body).not.toContain('Гамма-Реплика');
    } finally {
      await resumeReplay();
    }
    await replica.catchUp();
    expect((await writer.get('/contacts')).body).toContain('Гамма-Реплика');
  });

  it('a finished job counts as its owner\'s write: once told, their pages read from the primary until the replica has it', async () => {
    const reader = await as(app, 'employee');
    await replica.catchUp();
    await pauseReplay();
    try {
      // What a background job writes for its owner (an import's rows), then the job itself, done.
      await makeOrganization(fresh.database.db, users.secretary, { name: 'ООО «Зета-Реплика»' });
      const job = await app.jobs.enqueue(EXPORT_JOB, { photos: false, day: '2026-12-07' }, { owner: users.employee });
      await until('job done', async () => (await fresh.database.db.select({ state: jobs.state }).from(jobs).where(eq(jobs.id, job.id)))[0].state === 'done', 60_000);
      // The page that says so was read from the paused replica...
      const told = await reader.get('/contacts');
      expect(told.statusCode).toBe(200);
      expect(told.body).toContain('готово');
      expect(told.body).not.toContain('Зета-Реплика');
      // ...the next ones come from the primary.
      expect((await reader.get('/contacts')).body).toContain('Зета-Реплика');
    } finally {
      await resumeReplay();
    }
  });

  it('a replica lagging beyond DATABASE_REPLICA_MAX_LAG_SECONDS is read by nobody until it catches up', async () => {
    const strict = await boot({ DATABASE_REPLICA_MAX_LAG_SECONDS: '1' });
    const reader = await as(strict, 'employee');
    const writer = await as(app, 'secretary');
    await replica.catchUp();
    await until('strict instance using the replica', async () => (await health(strict)).includes('replica: ok'));
    await pauseReplay();
    try {
      await createOrganization(writer, 'ООО «Дельта-Реплика»');
      await until('lag reported', async () => (await health(strict)).includes('replica: lagging'));
      // The paused replica lacks it; the lagging one is bypassed, so this reader sees it.
      const page = await reader.get('/contacts');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Дельта-Реплика');
      // The other instance (120 s limit) still reads the replica: the employee there does not.
      expect((await (await as(app, 'employee')).get('/contacts')).body).not.toContain('Дельта-Реплика');
    } finally {
      await resumeReplay();
    }
    await until('replica in use again', async () => (await health(strict)).includes('replica: ok'));
  });

  it('every read-only page works on the replica without falling back to the primary', async () => {
    const sec = await as(app, 'secretary');
    const reader = await as(app, 'employee');
    const group = await sec.post('/groups', { name: 'Рассылка реплики' });
    expect(group.statusCode).toBe(303);
    const groupId = Number(String(group.headers.location).split('/').pop());
    const org = await makeOrganization(fresh.database.db, users.secretary, { name: 'ООО «Страницы реплики»' });
    const person = await makePerson(fresh.database.db, users.secretary, { organizationId: org.id, surname: 'Репликов' });
    const doc = await makeDocument(fresh.database.db, users.secretary, { organizationId: org.id });
    await replica.catchUp();
    const before = await health(app);
    const pages = [
      '/contacts', `/contacts?q=${encodeURIComponent('репликов')}&org=${org.id}`, '/contacts?group_by=group',
      '/groups', '/groups/print', `/groups/${groupId}`, `/organizations/${org.id}`, `/persons/${person.id}`, `/persons/${person.id}?tab=history`,
      '/documents', `/documents/${doc.id}`, `/persons/${person.id}/correspondence`, `/organizations/${org.id}/correspondence`,
      '/export.xml', '/export.csv', '/export.xlsx', `/export.csv?group=${groupId}`, `/persons/${person.id}/vcard`, `/groups/${groupId}/vcard`, '/documents/export.csv',
      `/persons/${person.id}/envelope`, `/organizations/${org.id}/envelope`, `/groups/${groupId}/envelopes`, `/groups/${groupId}/labels`,
    ];
    for (const url of pages) {
      const res = await reader.get(url);
      expect(res.statusCode, url).toBeLessThan(400);
    }
    expect((await reader.get(`/persons/${person.id}/photo`)).statusCode).toBe(404);
    const after = await health(app);
    expect(after).toContain('replica: ok');
    expect(after.match(/fallbacks=(\d+)/)![1]).toBe(before.match(/fallbacks=(\d+)/)![1]);
  });

  it('the replica stopped: pages are still served, from the primary, and the health page says so', async () => {
    const reader = await as(app, 'employee');
    const writer = await as(app, 'secretary');
    const fallbacks = async () => Number((await health(app)).match(/fallbacks=(\d+)/)![1]);
    const before = await fallbacks();
    // The background check paused, so that the first page finds the replica gone by itself.
    await app.replica!.stop();
    await replica.stop();
    const first = await reader.get('/contacts');
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Альфа-Реплика');
    // Its read failed on the replica and was made again on the primary; nobody reads there now.
    expect(await fallbacks()).toBe(before + 1);
    expect(await health(app)).toContain('replica: down');
    expect((await reader.get('/groups')).statusCode).toBe(200);
    expect(await fallbacks()).toBe(before + 1);
    await app.replica!.start();
    const id = await createOrganization(writer, 'ООО «Эпсилон-Реплика»');
    expect((await reader.get('/contacts')).body).toContain('Эпсилон-Реплика');
    await until('replica reported down', async () => (await health(app)).includes('replica: down'));
    const res = await app.inject('/healthz');
    expect(res.statusCode).toBe(200);
    expect((await reader.get(`/organizations/${id}`)).statusCode).toBe(200);
    expect((await reader.get('/groups')).statusCode).toBe(200);
    expect((await writer.get('/contacts')).body).toContain('Эпсилон-Реплика');
  });
});
