import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { regions } from '../../src/db/schema/references.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const orgRow = async (id: number) => (await t.database.db.select().from(organizations).where(eq(organizations.id, id)))[0];

describe('organizations', () => {
  it('are created by a secretary with every field, and the creation is audited', async () => {
    const c = await t.as('secretary');
    const [moscow] = await t.database.db.select().from(regions).where(eq(regions.name, 'Москва'));
    const form = await c.get('/organizations/new');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('name="addrIndex"');
    const res = await c.post('/organizations', {
      name: 'ООО «Ёлочка»', shortName: 'Ёлочка', regionId: moscow.id, addrIndex: '101000', addrCountry: 'Россия', addrLocality: 'Москва',
      addrStreet: 'ул. Тверская', addrHouse: '1', addrOffice: '12', phones: '+7 495 000-00-00', email: 'info@elochka.ru', website: 'elochka.ru', note: 'строка 1\nстрока 2',
    });
    expect(res.statusCode).toBe(303);
    const id = Number(String(res.headers.location).split('/').pop());
    const row = await orgRow(id);
    expect(row).toMatchObject({ name: 'ООО «Ёлочка»', regionId: moscow.id, addrIndex: '101000', sortKey: 'ооо «елочка»', note: 'строка 1\nстрока 2', createdBy: t.users.secretary.id });
    const audit = await t.database.db.select().from(auditLog).where(and(eq(auditLog.entityType, 'organization'), eq(auditLog.entityId, id)));
    expect(audit.map((a) => a.action)).toEqual(['create']);
    expect((audit[0].changes as Record<string, unknown>).name).toEqual([null, 'ООО «Ёлочка»']);
    const page = await c.get(`/organizations/${id}`);
    expect(page.body).toContain('ООО «Ёлочка»');
    expect(page.body).toContain('Москва');
    expect(page.body).toContain('Создание');
  });

  it('re-render the form with field errors, keep the input and store nothing', async () => {
    const c = await t.as('secretary');
    const before = (await t.database.db.select().from(organizations)).length;
    const res = await c.post('/organizations', { name: '', shortName: '<script>alert(1)</script>', email: 'not-an-email', addrIndex: '12345', website: 'x y' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Заполните это поле.');
    expect(res.body).toContain('Неверный адрес электронной почты.');
    expect(res.body).toContain('шесть цифр');
    expect(res.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(res.body).not.toContain('<script>alert(1)');
    expect((await t.database.db.select().from(organizations)).length).toBe(before);
  });

  it('are read-only for employees: no edit controls, 403 when posting anyway', async () => {
    const org = await makeOrganization(t.database.db, t.users.secretary);
    const c = await t.as('employee');
    const page = await c.get(`/organizations/${org.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(`/organizations/${org.id}/edit`);
    expect(page.body).not.toContain('/archive');
    for (const [url, form] of [
      ['/organizations', { name: 'Чужая' }],
      [`/organizations/${org.id}`, { name: 'Взлом', version: org.version }],
      [`/organizations/${org.id}/archive`, {}],
      [`/organizations/${org.id}/delete`, { confirm: 'yes' }],
    ] as const) {
      expect((await c.post(url, form)).statusCode).toBe(403);
    }
    expect((await c.get(`/organizations/${org.id}/edit`)).statusCode).toBe(403);
    expect(await orgRow(org.id)).toMatchObject({ name: org.name, archivedAt: null });
  });

  it('refuse a stale edit with 409 showing both values, and keep the stored one', async () => {
    const org = await makeOrganization(t.database.db, t.users.secretary, { name: 'ООО «Первое»' });
    const a = await t.as('secretary');
    const b = await t.as('admin');
    expect((await a.post(`/organizations/${org.id}`, { name: 'ООО «Второе»', version: org.version })).statusCode).toBe(303);
    const stale = await b.post(`/organizations/${org.id}`, { name: 'ООО «Третье»', version: org.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('ООО «Второе»');
    expect(stale.body).toContain('value="ООО «Третье»"');
    expect(stale.body).toContain(`name="version" value="${org.version + 1}"`);
    expect((await orgRow(org.id)).name).toBe('ООО «Второе»');
    // Saving again from the conflict page (with the new version) goes through.
    expect((await b.post(`/organizations/${org.id}`, { name: 'ООО «Третье»', version: org.version + 1 })).statusCode).toBe(303);
    const audit = await t.database.db.select().from(auditLog).where(and(eq(auditLog.entityType, 'organization'), eq(auditLog.entityId, org.id)));
    expect(audit.map((x) => x.action)).toEqual(['create', 'update', 'update']);
    expect((audit[2].changes as Record<string, unknown>).name).toEqual(['ООО «Второе»', 'ООО «Третье»']);
  });

  it('with history are archived and restored, never erased', async () => {
    const org = await makeOrganization(t.database.db, t.users.secretary);
    await makePerson(t.database.db, t.users.secretary, { organizationId: org.id });
    const c = await t.as('secretary');
    const confirm = await c.get(`/organizations/${org.id}/delete`);
    expect(confirm.body).toContain('переносится в архив');
    expect(confirm.body).not.toContain('name="confirm"');
    const del = await c.post(`/organizations/${org.id}/delete`, { confirm: 'yes' });
    expect(del.statusCode).toBe(409);
    expect(await orgRow(org.id)).toBeDefined();
    expect((await c.post(`/organizations/${org.id}/archive`)).statusCode).toBe(303);
    expect((await orgRow(org.id)).archivedAt).not.toBeNull();
    expect((await c.get(`/contacts?q=${encodeURIComponent(org.name)}`)).body).not.toContain(`data-open="/organizations/${org.id}"`);
    expect((await c.get(`/contacts?archived=1&q=${encodeURIComponent(org.name)}`)).body).toContain(`data-open="/organizations/${org.id}"`);
    expect((await c.post(`/organizations/${org.id}/restore`)).statusCode).toBe(303);
    expect((await orgRow(org.id)).archivedAt).toBeNull();
  });

  it('without history are deleted after confirmation', async () => {
    const org = await makeOrganization(t.database.db, t.users.secretary);
    const c = await t.as('secretary');
    expect((await c.get(`/organizations/${org.id}/delete`)).body).toContain('name="confirm" value="yes"');
    expect((await c.post(`/organizations/${org.id}/delete`, {})).statusCode).toBe(422);
    expect(await orgRow(org.id)).toBeDefined();
    expect((await c.post(`/organizations/${org.id}/delete`, { confirm: 'yes' })).statusCode).toBe(303);
    expect(await orgRow(org.id)).toBeUndefined();
    const audit = await t.database.db.select().from(auditLog).where(and(eq(auditLog.entityType, 'organization'), eq(auditLog.entityId, org.id)));
    expect(audit.map((x) => x.action)).toEqual(['create', 'delete']);
  });

  it('renamed are found by their new name through their persons', async () => {
    const org = await makeOrganization(t.database.db, t.users.secretary, { name: 'ООО «Старое имя»' });
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Переименованный', organizationId: org.id });
    const c = await t.as('secretary');
    await c.post(`/organizations/${org.id}`, { name: 'ООО «Новое имя»', version: org.version });
    const res = await c.get(`/contacts?org=${org.id}&q=${encodeURIComponent('новое имя')}`);
    expect(res.body).toContain(`/persons/${p.id}`);
    // The new name's words are there for typos too (search_words, kept by triggers).
    await c.post(`/organizations/${org.id}`, { name: 'ООО «Незабудка»', version: org.version + 1 });
    const typo = await c.get(`/contacts?org=${org.id}&q=${encodeURIComponent('незабутка')}`);
    expect(typo.body).toContain(`data-open="/organizations/${org.id}"`);
    expect(typo.body).toContain(`/persons/${p.id}`);
  });

  it('answer 404 for an unknown id and for a malformed one', async () => {
    const c = await t.as('employee');
    expect((await c.get('/organizations/999999')).statusCode).toBe(404);
    expect((await c.get('/organizations/abc')).statusCode).toBeGreaterThanOrEqual(400);
    expect((await c.get('/organizations/abc')).statusCode).toBeLessThan(500);
  });
});
