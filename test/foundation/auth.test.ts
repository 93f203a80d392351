import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { Writable } from 'node:stream';
import { createTestApp, Client, PASSWORD, type TestApp } from '../helpers/app.js';
import { sessions } from '../../src/db/schema/sessions.js';
import { buildApp } from '../../src/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('sign-in', () => {
  it('renders the sign-in form with the fields and a CSRF token', async () => {
    const res = await t.anonymous().get('/login');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('name="login"');
    expect(res.body).toContain('name="password"');
    expect(res.body).toMatch(/name="_csrf" value="[^"]+"/);
    expect(res.body).toContain('Вход в систему');
  });

  it('signs in, shows the user in the layout and regenerates the session id', async () => {
    const c = t.anonymous();
    await c.get('/login');
    // An anonymous session planted before sign-in must not survive it.
    const before = c.cookies.get('sid');
    const res = await c.post('/login', { login: 'secretary', password: PASSWORD, next: '/admin/users' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/admin/users');
    expect(c.cookies.get('sid')).toBeTruthy();
    expect(c.cookies.get('sid')).not.toBe(before);
    const sidCookie = (res.cookies as { name: string; httpOnly?: boolean; sameSite?: string }[]).find((x) => x.name === 'sid');
    expect(sidCookie?.httpOnly).toBe(true);
    expect(sidCookie?.sameSite).toBe('Lax');
    const page = await c.get('/logout');
    expect(page.body).toContain('Секретарь Анна');
  });

  it('accepts the login in any letter case', async () => {
    const c = t.anonymous();
    const res = await c.signIn('SECRETARY', PASSWORD);
    expect(res.statusCode).toBe(303);
  });

  it('refuses a wrong password and an unknown user with the same message and no session', async () => {
    for (const [login, password] of [
      ['secretary', 'wrong-password'],
      ['nobody', PASSWORD],
    ]) {
      const c = t.anonymous();
      await c.get('/login');
      const res = await c.post('/login', { login, password });
      expect(res.statusCode).toBe(401);
      expect(res.body).toContain('Неверный логин или пароль.');
      expect(res.body).toContain(`value="${login}"`);
      // An anonymous session (it holds the CSRF secret) may exist, but nobody is signed in.
      expect((await c.get('/contacts')).statusCode).toBe(303);
    }
  });

  it('refuses a sign-in without a CSRF token', async () => {
    const c = t.anonymous();
    await c.get('/login');
    const res = await c.post('/login', { login: 'admin', password: PASSWORD, _csrf: '' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Форма устарела');
    expect((await c.get('/contacts')).statusCode).toBe(303);
  });

  it('ignores an attacker-controlled next= and stays on this site', async () => {
    for (const next of ['https://evil.example/', '//evil.example/x', '/\\evil.example', 'javascript:alert(1)']) {
      const c = t.anonymous();
      await c.get('/login');
      const res = await c.post('/login', { login: 'employee', password: PASSWORD, next });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/');
    }
  });

  it('sends an anonymous visitor to the sign-in page and back afterwards', async () => {
    const c = t.anonymous();
    const res = await c.get('/admin/users?x=1');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login?next=%2Fadmin%2Fusers%3Fx%3D1');
    const form = await c.get(res.headers.location as string);
    expect(form.body).toContain('value="/admin/users?x=1"');
  });

  it('answers an htmx request from an anonymous visitor with HX-Redirect', async () => {
    const res = await t.anonymous().get('/admin/users', { 'hx-request': 'true' });
    expect(res.headers['hx-redirect']).toBe('/login?next=%2Fadmin%2Fusers');
  });

  it('limits sign-in attempts', async () => {
    const limited = await createTestApp({ LOGIN_RATE_LIMIT: '3' });
    try {
      const c = limited.anonymous();
      await c.get('/login');
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await c.post('/login', { login: 'admin', password: 'nope' })).statusCode);
      expect(codes.slice(0, 3)).toEqual([401, 401, 401]);
      expect(codes[3]).toBe(429);
      const res = await c.post('/login', { login: 'admin', password: PASSWORD });
      expect(res.statusCode).toBe(429);
      expect(res.body).toContain('Слишком много попыток');
    } finally {
      await limited.close();
    }
  });

  it('counts attempts in the database, so a second instance on it does not double the limit', async () => {
    const limited = await createTestApp({ LOGIN_RATE_LIMIT: '4' });
    // A second instance on the same database, as behind a load balancer; its log shows request ids.
    const logged: { reqId?: string }[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logged.push(JSON.parse(line));
        done();
      },
    });
    const other = await buildApp(limited.config, { database: limited.database, logger: { level: 'info', stream } });
    try {
      const clients = [limited.anonymous(), new Client(other)];
      for (const c of clients) await c.get('/login');
      const codes: number[] = [];
      for (let i = 0; i < 8; i++) codes.push((await clients[i % 2].post('/login', { login: 'admin', password: 'nope' })).statusCode);
      expect(codes).toEqual([401, 401, 401, 401, 429, 429, 429, 429]);
      const res = await clients[1].post('/login', { login: 'admin', password: PASSWORD });
      expect(res.statusCode).toBe(429);
      expect(res.headers['x-ratelimit-limit']).toBe('4');

      // Request ids carry the instance's id, so the logs of several instances do not clash.
      const ids = logged.map((l) => l.reqId).filter((id): id is string => Boolean(id));
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{6}-[0-9a-z]+$/);
      const third = await buildApp(limited.config, { database: limited.database, logger: { level: 'info', stream } });
      const before = logged.length;
      await new Client(third).get('/login');
      await third.close();
      const thirdIds = logged.slice(before).map((l) => l.reqId).filter((id): id is string => Boolean(id));
      expect(thirdIds.length).toBeGreaterThan(0);
      expect(thirdIds[0].slice(0, 6)).not.toBe(ids[0].slice(0, 6));
    } finally {
      await other.close();
      await limited.close();
    }
  });
});

describe('sessions', () => {
  it('are stored in the database and destroyed at sign-out', async () => {
    const c = t.anonymous();
    await c.signIn('employee', PASSWORD);
    const rows = await t.database.db.select().from(sessions);
    const mine = rows.filter((r) => (r.data as { userId?: number }).userId === t.users.employee.id);
    expect(mine.length).toBeGreaterThan(0);
    const countBefore = rows.length;
    const res = await c.post('/logout');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/login');
    expect((await t.database.db.select().from(sessions)).length).toBe(countBefore - 1);
    const after = await c.get('/admin/users');
    expect(after.statusCode).toBe(303);
  });

  it('expire after the idle time, with a clear message on the sign-in page', async () => {
    const c = t.anonymous();
    await c.signIn('admin', PASSWORD);
    // Age the session beyond the idle limit, as if the user had left for the day.
    const rows = await t.database.db.select().from(sessions);
    for (const r of rows) {
      const d = r.data as { userId?: number; lastSeenAt?: number };
      if (d.userId === t.users.admin.id) {
        await t.database.db
          .update(sessions)
          .set({ data: { ...d, lastSeenAt: Date.now() - 1000 * 60 * 60 * 24 } })
          .where(eq(sessions.sid, r.sid));
      }
    }
    const res = await c.get('/admin/users');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toContain('/login');
    const login = await c.get(res.headers.location as string);
    expect(login.body).toContain('Сеанс истёк');
  });

  it('end at once for a deactivated account', async () => {
    const admin = await t.as('admin');
    const c = t.anonymous();
    const u = await admin.post('/admin/users', { login: 'temp.user', name: 'Временный', role: 'employee', password: 'password-123' });
    expect(u.statusCode).toBe(303);
    await c.signIn('temp.user', 'password-123');
    expect((await c.get('/logout')).statusCode).toBe(200);
    const [row] = await t.database.db.query.users.findMany({ where: (x, { eq: e }) => e(x.login, 'temp.user') });
    const edit = await admin.post(`/admin/users/${row.id}`, { name: 'Временный', role: 'employee', version: row.version });
    expect(edit.statusCode).toBe(303);
    expect((await c.get('/logout')).statusCode).toBe(303);
  });
});

describe('bad requests', () => {
  it('refuses an oversized body with a localized 413 and no stack trace', async () => {
    const c = await t.as('admin');
    const res = await c.post('/admin/users', { login: 'x', name: 'я'.repeat(1024 * 1024) });
    expect(res.statusCode).toBe(413);
    expect(res.body).toContain('превышают допустимый размер');
    expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('shows a localized 404 page', async () => {
    const c = await t.as('employee');
    const res = await c.get('/no/such/page');
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('Страница не найдена');
  });

  it('hides the details of a server error', async () => {
    const { buildApp } = await import('../../src/app.js');
    const { freshDatabase } = await import('../helpers/db.js');
    const db = await freshDatabase();
    const app = await buildApp(t.config, { database: db.database, logger: false });
    app.get('/boom', { config: { access: 'public' } }, async () => {
      throw new Error('secret internal detail');
    });
    try {
      const res = await app.inject('/boom');
      expect(res.statusCode).toBe(500);
      expect(res.body).toContain('Ошибка сервера');
      expect(res.body).not.toContain('secret internal detail');
    } finally {
      await app.close();
      await db.drop();
    }
  });

  it('sends security headers with a CSP that allows only our own scripts', async () => {
    const res = await t.anonymous().get('/login');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers.vary).toContain('HX-Request');
  });
});

describe('language', () => {
  it('switches per user, is remembered across sessions, and defaults to Russian', async () => {
    const c = t.anonymous();
    await c.signIn('employee', PASSWORD);
    expect((await c.get('/logout')).body).toContain('Выйти');
    const res = await c.post('/locale', { lang: 'en', next: '/logout' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/logout');
    expect((await c.get('/logout')).body).toContain('Sign out');
    const other = t.anonymous();
    await other.signIn('employee', PASSWORD);
    const page = await other.get('/logout');
    expect(page.body).toContain('<html lang="en">');
    await other.post('/locale', { lang: 'ru' });
  });

  it('ignores an unknown language', async () => {
    const c = t.anonymous();
    await c.get('/login');
    await c.post('/locale', { lang: 'xx' });
    expect((await c.get('/login')).body).toContain('<html lang="ru">');
  });
});

describe('health', () => {
  it('answers 200 while the database answers and 503 when it does not', async () => {
    const { buildApp } = await import('../../src/app.js');
    const { freshDatabase } = await import('../helpers/db.js');
    const db = await freshDatabase();
    const app = await buildApp(t.config, { database: db.database, logger: false });
    try {
      expect((await app.inject('/healthz')).statusCode).toBe(200);
      await db.database.close();
      expect((await app.inject('/healthz')).statusCode).toBe(503);
    } finally {
      await app.close();
      await db.drop().catch(() => {});
    }
  });
});
