import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { insertUser } from '../../src/features/users/queries.js';
import { hashPassword } from '../../src/lib/passwords.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { freshDatabase } from '../helpers/db.js';

/**
 * Two app instances on different ports against one PostgreSQL database, as behind a load
 * balancer: a session made on one is valid on the other, an upload through one is served by the
 * other, and registrations through both get distinct numbers. Only meaningful on a real server
 * (the embedded PGlite is one process's own database), so it runs when DATABASE_URL is set, as
 * in the second half of CI.
 */
describe.runIf(Boolean(process.env.DATABASE_URL))('two instances on one PostgreSQL', () => {
  const apps: FastifyInstance[] = [];
  const bases: string[] = [];
  let drop: () => Promise<void> = async () => {};
  let personId = 0;
  let orgId = 0;

  const limit = 6;
  let sweepCounters: () => Promise<void> = async () => {};

  beforeAll(async () => {
    const fresh = await freshDatabase();
    sweepCounters = async () => {
      await fresh.database.db.execute(sql`delete from rate_limits`);
    };
    drop = fresh.drop;
    const hash = await hashPassword('password-123');
    await insertUser(fresh.database.db, { login: 'sec', name: 'Секретарь', passwordHash: hash, role: 'secretary' });
    const [sec] = await fresh.database.db.query.users.findMany({ where: (u, { eq }) => eq(u.login, 'sec') });
    orgId = (await makeOrganization(fresh.database.db, sec)).id;
    personId = (await makePerson(fresh.database.db, sec, { organizationId: orgId })).id;
    for (let i = 0; i < 2; i++) {
      // Each instance opens its own pool, as separate processes would; no SESSION_SECRET is
      // configured, so they must find the shared one in the database.
      const database = await openDatabase({ databaseUrl: fresh.url, dataDir: ':memory:' });
      const app = await buildApp(loadConfig({ DATABASE_URL: fresh.url!, LOG_LEVEL: 'silent', ADMIN_PASSWORD: 'admin-password', LOGIN_RATE_LIMIT: String(limit) }), { database, logger: false });
      app.addHook('onClose', async () => database.close());
      await app.listen({ host: '127.0.0.1', port: 0 });
      apps.push(app);
      bases.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await drop();
  });

  const jar = new Map<string, string>();
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  function keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      jar.set(kv.slice(0, i), kv.slice(i + 1));
    }
    return res;
  }
  const token = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? /"X-CSRF-Token": "([^"]+)"/.exec(html)![1];

  it('a session created on one instance is valid on the other', async () => {
    const form = keep(await fetch(`${bases[0]}/login`));
    const res = keep(
      await fetch(`${bases[0]}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
        body: new URLSearchParams({ login: 'sec', password: 'password-123', _csrf: token(await form.text()) }).toString(),
      }),
    );
    expect(res.status).toBe(303);
    const other = await fetch(`${bases[1]}/groups`, { headers: { cookie: cookie() }, redirect: 'manual' });
    expect(other.status).toBe(200);
    expect(await other.text()).toContain('Секретарь');
  });

  it('an upload through one instance is served by the other', async () => {
    const page = await fetch(`${bases[0]}/persons/${personId}?tab=additional`, { headers: { cookie: cookie() } });
    const csrf = token(await page.text());
    const bmp = readFileSync(new URL('../../src/features/import/parse/__fixtures__/photo-24bit.bmp', import.meta.url));
    const body = new FormData();
    body.append('photo', new Blob([bmp], { type: 'image/bmp' }), 'photo.bmp');
    const up = await fetch(`${bases[0]}/persons/${personId}/photo?_csrf=${encodeURIComponent(csrf)}`, { method: 'POST', body, headers: { cookie: cookie() }, redirect: 'manual' });
    expect(up.status).toBe(303);
    const img = await fetch(`${bases[1]}/persons/${personId}/photo?original=1`, { headers: { cookie: cookie() } });
    expect(img.status).toBe(200);
    expect(Buffer.from(await img.arrayBuffer()).equals(bmp)).toBe(true);
  });

  it('concurrent registrations through both instances get distinct consecutive numbers', async () => {
    const csrfs = await Promise.all(bases.map(async (b) => token(await (await fetch(`${b}/documents/new`, { headers: { cookie: cookie() } })).text())));
    const posts = Array.from({ length: 20 }, (_, i) => {
      const b = i % 2;
      return fetch(`${bases[b]}/documents`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
        body: new URLSearchParams({ _csrf: csrfs[b], direction: 'incoming', regDate: '2026-11-20', subject: `Письмо ${i}`, organizationId: String(orgId) }).toString(),
      });
    });
    const results = await Promise.all(posts);
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(303));
    const ids = results.map((r) => Number(r.headers.get('location')!.split('/').pop()));
    const numbers = await Promise.all(
      ids.map(async (id) => /Вх-2026\/(\d{6})/.exec(await (await fetch(`${bases[id % 2]}/documents/${id}`, { headers: { cookie: cookie() } })).text())![1]),
    );
    const seqs = numbers.map(Number).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => seqs[0] + i));
    expect(new Set(numbers).size).toBe(20);
  });

  it('together allow LOGIN_RATE_LIMIT sign-in attempts from one address, not twice that', async () => {
    await sweepCounters();
    const forms = await Promise.all(bases.map(async (b) => {
      const res = await fetch(`${b}/login`);
      const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      return { cookies, csrf: token(await res.text()) };
    }));
    // Concurrently through both instances, as a password-guessing client behind the balancer would.
    const attempts = await Promise.all(
      Array.from({ length: limit * 2 }, (_, i) => {
        const b = i % 2;
        return fetch(`${bases[b]}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: forms[b].cookies },
          body: new URLSearchParams({ login: 'sec', password: 'wrong-guess', _csrf: forms[b].csrf }).toString(),
        });
      }),
    );
    const codes = attempts.map((r) => r.status);
    expect(codes.filter((c) => c === 401)).toHaveLength(limit);
    expect(codes.filter((c) => c === 429)).toHaveLength(limit);
    for (const b of bases) {
      const res = await fetch(`${b}/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: forms[bases.indexOf(b)].cookies },
        body: new URLSearchParams({ login: 'sec', password: 'password-123', _csrf: forms[bases.indexOf(b)].csrf }).toString(),
      });
      expect(res.status).toBe(429);
    }
  });
});
