import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from '../helpers/app.js';
import { and, asc, eq } from 'drizzle-orm';
import { findUserByLogin } from '../../src/features/users/queries.js';
import { auditLog } from '../../src/db/schema/audit.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

describe('/admin/users', () => {
  it('lists accounts for the administrator, full page and htmx fragment', async () => {
    const c = await t.as('admin');
    const page = await c.get('/admin/users');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html');
    expect(page.body).toContain('Секретарь Анна');
    const frag = await c.get('/admin/users', { 'hx-request': 'true', 'hx-request-type': 'partial' });
    expect(frag.body).not.toContain('<html');
    expect(frag.body).toContain('id="users-list"');
    expect(frag.headers.vary).toContain('HX-Request');
  });

  it('is forbidden to secretaries and employees, also for writes', async () => {
    for (const role of ['secretary', 'employee'] as const) {
      const c = await t.as(role);
      expect((await c.get('/admin/users')).statusCode).toBe(403);
      const res = await c.post('/admin/users', { login: 'intruder', name: 'X', role: 'admin', password: 'password-123' });
      expect(res.statusCode).toBe(403);
    }
    expect(await findUserByLogin(t.database.db, 'intruder')).toBeUndefined();
  });

  it('creates an account that can sign in', async () => {
    const c = await t.as('admin');
    const res = await c.post('/admin/users', { login: 'petrova', name: 'Петрова Ольга', role: 'secretary', password: 'секретный-пароль' });
    expect(res.statusCode).toBe(303);
    const row = await findUserByLogin(t.database.db, 'petrova');
    expect(row?.role).toBe('secretary');
    expect(row?.passwordHash).toMatch(/^scrypt\$/);
    expect(row?.passwordHash).not.toContain('секретный');
    const list = await c.get('/admin/users');
    expect(list.body).toContain('Пользователь petrova создан.');
    const u = t.anonymous();
    expect((await u.signIn('petrova', 'секретный-пароль')).statusCode).toBe(303);
  });

  it('re-renders the form with field errors and keeps what was typed', async () => {
    const c = await t.as('admin');
    const res = await c.post('/admin/users', { login: 'SECRETARY', name: '<script>alert(1)</script>', role: 'boss', password: 'short' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Такой логин уже занят.');
    expect(res.body).toContain('Выберите значение из списка.');
    expect(res.body).toContain('не менее 8 символов');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).not.toContain('<script>alert(1)</script>');
    const frag = await c.post('/admin/users', { login: '', name: '', role: 'employee', password: '' }, { 'hx-request': 'true' });
    expect(frag.statusCode).toBe(422);
    expect(frag.body).toContain('id="user-create"');
    expect(frag.body).not.toContain('<html');
  });

  it('changes a role, deactivates, and protects the last administrator', async () => {
    const c = await t.as('admin');
    const emp = (await findUserByLogin(t.database.db, 'employee'))!;
    const res = await c.post(`/admin/users/${emp.id}`, { name: emp.name, role: 'secretary', active: 'on', version: emp.version });
    expect(res.statusCode).toBe(303);
    expect((await findUserByLogin(t.database.db, 'employee'))!.role).toBe('secretary');
    const admin = (await findUserByLogin(t.database.db, 'admin'))!;
    const demote = await c.post(`/admin/users/${admin.id}`, { name: admin.name, role: 'employee', active: 'on', version: admin.version });
    expect(demote.statusCode).toBe(422);
    expect(demote.body).toContain('последнего администратора');
    expect((await findUserByLogin(t.database.db, 'admin'))!.role).toBe('admin');
  });

  it('refuses a stale edit with 409', async () => {
    const c = await t.as('admin');
    const sec = (await findUserByLogin(t.database.db, 'secretary'))!;
    await c.post(`/admin/users/${sec.id}`, { name: 'Анна Сергеевна', role: 'secretary', active: 'on', version: sec.version });
    const stale = await c.post(`/admin/users/${sec.id}`, { name: 'Другое имя', role: 'secretary', active: 'on', version: sec.version });
    expect(stale.statusCode).toBe(409);
    expect((await findUserByLogin(t.database.db, 'secretary'))!.name).toBe('Анна Сергеевна');
  });

  it('resets a password, generated and shown once', async () => {
    const c = await t.as('admin');
    const sec = (await findUserByLogin(t.database.db, 'secretary'))!;
    const res = await c.post(`/admin/users/${sec.id}/password`, {});
    expect(res.statusCode).toBe(200);
    const m = /data-testid="new-password">([^<]+)</.exec(res.body);
    expect(m).not.toBeNull();
    expect(await t.anonymous().signIn('secretary', m![1]).then((r) => r.statusCode)).toBe(303);
    await expect(t.anonymous().signIn('secretary', PASSWORD)).rejects.toThrow();
    const again = await c.get(`/admin/users/${sec.id}/edit`);
    expect(again.body).not.toContain(m![1]);
  });

  it('records each change to an account in the audit log, a password never by its value', async () => {
    const c = await t.as('admin');
    const admin = (await findUserByLogin(t.database.db, 'admin'))!;
    const entries = async (id: number) =>
      t.database.db.select().from(auditLog).where(and(eq(auditLog.entityType, 'user'), eq(auditLog.entityId, id))).orderBy(asc(auditLog.id));

    expect((await c.post('/admin/users', { login: 'audited', name: 'Аудит Иван', role: 'employee', password: 'первый-пароль' })).statusCode).toBe(303);
    const u = (await findUserByLogin(t.database.db, 'audited'))!;
    expect((await c.post(`/admin/users/${u.id}`, { name: 'Аудит Иван', role: 'secretary', active: 'on', version: u.version })).statusCode).toBe(303);
    const v2 = (await findUserByLogin(t.database.db, 'audited'))!;
    // Deactivated: the checkbox left out.
    expect((await c.post(`/admin/users/${u.id}`, { name: 'Аудит Иван', role: 'secretary', version: v2.version })).statusCode).toBe(303);
    // Saved without a change: nothing to record.
    const v3 = (await findUserByLogin(t.database.db, 'audited'))!;
    expect((await c.post(`/admin/users/${u.id}`, { name: 'Аудит Иван', role: 'secretary', version: v3.version })).statusCode).toBe(303);
    expect((await c.post(`/admin/users/${u.id}/password`, { password: 'второй-пароль' })).statusCode).toBe(200);
    expect((await c.post(`/admin/users/${u.id}/password`, {})).statusCode).toBe(200);

    const log = await entries(u.id);
    expect(log.map((e) => ({ userId: e.userId, action: e.action, changes: e.changes }))).toEqual([
      { userId: admin.id, action: 'create', changes: { login: [null, 'audited'], name: [null, 'Аудит Иван'], role: [null, 'employee'], active: [null, true] } },
      { userId: admin.id, action: 'update', changes: { role: ['employee', 'secretary'] } },
      { userId: admin.id, action: 'update', changes: { active: [true, false] } },
      { userId: admin.id, action: 'update', changes: { password: [null, 'set'] } },
      { userId: admin.id, action: 'update', changes: { password: [null, 'generated'] } },
    ]);
    expect(JSON.stringify(log)).not.toContain('второй-пароль');
    expect(JSON.stringify(log)).not.toContain('scrypt');
  });
});
