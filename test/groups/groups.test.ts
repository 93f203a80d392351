import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, isNull } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { groupMemberships, mailingGroups, membershipDocuments } from '../../src/db/schema/groups.js';
import { documents } from '../../src/db/schema/documents.js';
import { auditLog } from '../../src/db/schema/audit.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

async function createGroup(name: string, mark = 'none') {
  const c = await t.as('secretary');
  const res = await c.post('/groups', { name, mark, description: '' });
  expect(res.statusCode, name).toBe(303);
  return Number(String(res.headers.location).split('/').pop());
}
const active = (groupId: number) =>
  t.database.db.select().from(groupMemberships).where(and(eq(groupMemberships.groupId, groupId), isNull(groupMemberships.removedAt)));

describe('groups', () => {
  it('are created by secretaries, listed for everyone, with full page and fragment', async () => {
    const id = await createGroup('VIP', 'priority');
    const [row] = await t.database.db.select().from(mailingGroups).where(eq(mailingGroups.id, id));
    expect(row).toMatchObject({ name: 'VIP', mark: 'priority', sortKey: 'vip', createdBy: t.users.secretary.id });
    const e = await t.as('employee');
    const list = await e.get('/groups');
    expect(list.body).toContain('VIP');
    expect(list.body).not.toContain('id="group-create"');
    const frag = await e.get('/groups', { 'hx-request': 'true' });
    expect(frag.body).toContain('id="groups-list"');
    expect(frag.body).not.toContain('<html');
  });

  it('refuse a duplicate name, case- and Ё-insensitively', async () => {
    await createGroup('Чёрный список', 'warning');
    const c = await t.as('secretary');
    for (const name of ['черный список', 'ЧЁРНЫЙ   СПИСОК']) {
      const res = await c.post('/groups', { name });
      expect(res.statusCode).toBe(422);
      expect(res.body).toContain('Группа с таким названием уже есть.');
    }
    expect((await t.database.db.select().from(mailingGroups).where(eq(mailingGroups.sortKey, 'черный список'))).length).toBe(1);
  });

  it('refuse every write from an employee with 403 and change nothing', async () => {
    const id = await createGroup('Только чтение');
    const p = await makePerson(t.database.db, t.users.secretary);
    const e = await t.as('employee');
    expect((await e.post('/groups', { name: 'Чужая' })).statusCode).toBe(403);
    expect((await e.post(`/groups/${id}/members`, { person_id: p.id })).statusCode).toBe(403);
    expect((await e.post(`/groups/${id}`, { name: 'Взлом', version: 1 })).statusCode).toBe(403);
    expect((await e.post(`/groups/${id}/archive`)).statusCode).toBe(403);
    expect((await e.post(`/groups/${id}/members/selection`, { q: '' })).statusCode).toBe(403);
    expect(await active(id)).toEqual([]);
  });

  it('add a person once with a reason and cited documents; a second add changes nothing', async () => {
    const id = await createGroup('Обоснованная');
    const org = await makeOrganization(t.database.db, t.users.secretary);
    const p = await makePerson(t.database.db, t.users.secretary, { organizationId: org.id });
    const [doc] = await t.database.db
      .insert(documents)
      .values({ direction: 'incoming', regYear: 2026, regSeq: 901, regNumber: 'Вх-2026/000901', regDate: '2026-11-01', subject: 'Претензия', organizationId: org.id, createdBy: t.users.secretary.id })
      .returning();
    const c = await t.as('secretary');
    const bad = await c.post(`/groups/${id}/members`, { person_id: p.id, reason: 'Претензия', documents: 'Вх-2026/999999', next: `/persons/${p.id}?tab=groups` });
    expect(bad.statusCode).toBe(303);
    expect(await active(id)).toEqual([]);
    expect((await c.get(bad.headers.location as string)).body).toContain('Нет документов с такими номерами: Вх-2026/999999.');
    const ok = await c.post(`/groups/${id}/members`, { person_id: p.id, reason: 'Претензия по качеству', documents: 'вх-2026/000901', next: `/persons/${p.id}?tab=groups` });
    expect(ok.statusCode).toBe(303);
    const [m] = await active(id);
    expect(m).toMatchObject({ personId: p.id, reason: 'Претензия по качеству', addedBy: t.users.secretary.id });
    expect(await t.database.db.select().from(membershipDocuments).where(eq(membershipDocuments.membershipId, m.id))).toEqual([{ membershipId: m.id, documentId: doc.id }]);
    const again = await c.post(`/groups/${id}/members`, { person_id: p.id, next: `/groups/${id}` });
    expect(again.statusCode).toBe(303);
    expect((await active(id)).length).toBe(1);
    expect((await c.get(`/groups/${id}`)).body).toContain('Уже состоит в группе');
    const card = await c.get(`/persons/${p.id}?tab=groups`);
    expect(card.body).toContain('Обоснованная');
    expect(card.body).toContain('Вх-2026/000901');
    expect(card.body).toContain(`/memberships/${m.id}/remove`);
  });

  it('remove a member keeping history; a second removal is harmless; former members shown', async () => {
    const id = await createGroup('Временная');
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Бывшийучастник' });
    const c = await t.as('secretary');
    await c.post(`/groups/${id}/members`, { person_id: p.id });
    const [m] = await active(id);
    const first = await c.post(`/memberships/${m.id}/remove`, { next: `/groups/${id}` });
    expect(first.statusCode).toBe(303);
    const second = await c.post(`/memberships/${m.id}/remove`, { next: `/groups/${id}` });
    expect(second.statusCode).toBe(303);
    expect((await c.get(`/groups/${id}`)).body).toContain('Уже исключено из группы');
    const [row] = await t.database.db.select().from(groupMemberships).where(eq(groupMemberships.id, m.id));
    expect(row.removedAt).not.toBeNull();
    expect(row.removedBy).toBe(t.users.secretary.id);
    expect((await c.get(`/groups/${id}`)).body).not.toContain('Бывшийучастник');
    expect((await c.get(`/groups/${id}?former=1`)).body).toContain('Бывшийучастник');
    // History now exists, so the person can no longer be erased.
    expect((await c.post(`/persons/${p.id}/delete`, { confirm: 'yes' })).statusCode).toBe(409);
    const audit = await t.database.db.select().from(auditLog).where(and(eq(auditLog.entityType, 'person'), eq(auditLog.entityId, p.id)));
    expect(audit.map((a) => a.changes)).toContainEqual({ groups: ['Временная', null] });
    // The card's history tab names the change in words, never by its raw key.
    const history = await c.get(`/persons/${p.id}?tab=history`);
    expect(history.body).toContain('<span class="field">Группы рассылки</span>: <del>Временная</del>');
    expect(history.body).toContain('<span class="field">Группы рассылки</span>: <del>—</del> → <ins>Временная</ins>');
    expect(history.body).not.toMatch(/class="field">fields\./);
  });

  it('show members and the badge to an employee, without edit controls; badges appear everywhere', async () => {
    const id = await createGroup('Особые', 'priority');
    const org = await makeOrganization(t.database.db, t.users.secretary, { name: 'ООО «Значок»' });
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Значков', organizationId: org.id });
    const c = await t.as('secretary');
    await c.post(`/groups/${id}/members`, { person_id: p.id });
    const e = await t.as('employee');
    const page = await e.get(`/groups/${id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Значков');
    expect(page.body).toContain('data-testid="group-mark"');
    expect(page.body).not.toContain('data-action="remove-member"');
    expect(page.body).not.toContain('/edit"');
    expect((await e.get(`/persons/${p.id}`)).body).toMatch(/class="badge badge-priority" href="\/groups\/\d+"[^>]*>Особые</);
    expect((await e.get(`/contacts?org=${org.id}`)).body).toMatch(/badge-priority[^>]*>Особые</);
  });

  it('add the current /contacts selection in one action, without duplicates', async () => {
    const id = await createGroup('Выборка');
    const org = await makeOrganization(t.database.db, t.users.secretary, { name: 'ООО «Ромб»' });
    const ps = [];
    for (const s of ['Выборов', 'Выборнов', 'Петров']) ps.push(await makePerson(t.database.db, t.users.secretary, { surname: s, organizationId: org.id }));
    const c = await t.as('secretary');
    await c.post(`/groups/${id}/members`, { person_id: ps[0].id });
    const screen = await c.get(`/contacts?add_to=${id}&q=${encodeURIComponent('выбор')}`);
    expect(screen.body).toContain('data-testid="selection-banner"');
    const confirm = await c.get(`/groups/${id}/members/selection?q=${encodeURIComponent('выбор')}`);
    expect(confirm.body).toContain('Будет добавлен 1 человек.');
    const res = await c.post(`/groups/${id}/members/selection`, { q: 'выбор', reason: 'Рассылка' });
    expect(res.statusCode).toBe(303);
    const members = await active(id);
    expect(members.map((m) => m.personId).sort()).toEqual([ps[0].id, ps[1].id].sort());
    expect((await c.get(`/groups/${id}`)).body).toContain('добавлен 1 человек');
  });

  it('group /contacts by mailing group: a person in three groups puts the organization under all three', async () => {
    const local = await createTestApp();
    try {
      const db = local.database.db;
      const s = local.users.secretary;
      const c = await local.as('secretary');
      const org = await makeOrganization(db, s, { name: 'ООО «Тройное»' });
      const lonely = await makeOrganization(db, s, { name: 'ООО «Одинокое»' });
      const p = await makePerson(db, s, { organizationId: org.id });
      const gids: number[] = [];
      for (const name of ['Альфа', 'Бета', 'Гамма']) {
        const r = await c.post('/groups', { name });
        gids.push(Number(String(r.headers.location).split('/').pop()));
        await c.post(`/groups/${gids.at(-1)}/members`, { person_id: p.id });
      }
      const res = await c.get('/contacts?group_by=group');
      const ids = [...res.body.matchAll(/data-open="\/organizations\/(\d+)"/g)].map((m) => Number(m[1]));
      expect(ids).toEqual([org.id, org.id, org.id, lonely.id]);
      for (const name of ['Альфа', 'Бета', 'Гамма']) expect(res.body).toMatch(new RegExp(`>${name}</a> <a[^>]*>✉</a>\\s*<span class="count"[^>]*>1 организация, \\d+ человека?</span>`));
      expect(res.body).toMatch(/Без группы\s*<span class="count">1<\/span>/);
    } finally {
      await local.close();
    }
  });

  it('group /contacts by mailing group: pages across groups into "No group", following every change of membership', async () => {
    const local = await createTestApp();
    try {
      const db = local.database.db;
      const s = local.users.secretary;
      const c = await local.as('secretary');
      const { sql } = await import('drizzle-orm');
      const orgs: Awaited<ReturnType<typeof makeOrganization>>[] = [];
      for (let i = 0; i < 8; i++) orgs.push(await makeOrganization(db, s, { name: `ООО «Пачка ${i}»` }));
      const persons = [];
      for (const o of orgs) persons.push(await makePerson(db, s, { organizationId: o.id }));
      const gids: number[] = [];
      for (const name of ['Первая', 'Вторая']) {
        const r = await c.post('/groups', { name });
        gids.push(Number(String(r.headers.location).split('/').pop()));
      }
      // Orgs 0–3 through their persons in "Первая", 2–5 in "Вторая" (org 5 directly); 6, 7 in none.
      for (const i of [0, 1, 2, 3]) await c.post(`/groups/${gids[0]}/members`, { person_id: persons[i].id });
      for (const i of [2, 3, 4]) await c.post(`/groups/${gids[1]}/members`, { person_id: persons[i].id });
      await c.post(`/groups/${gids[1]}/members`, { organization_id: orgs[5].id });
      const ids = (html: string) => [...html.matchAll(/data-open="\/organizations\/(\d+)"/g)].map((m) => Number(m[1]));
      const next = (html: string) => /href="([^"]*)" hx-get="[^"]*"[^>]*data-page="next"/.exec(html)?.[1].replace(/&amp;/g, '&');
      const o = (...is: number[]) => is.map((i) => orgs[i].id);
      // "Вторая" sorts before "Первая"; 5 rows a page.
      const expected = [...o(2, 3, 4, 5), ...o(0, 1, 2, 3), ...o(6, 7)];
      const seen: number[] = [];
      let url: string | undefined = '/contacts?group_by=group&size=5';
      for (let guard = 0; url && guard < 10; guard++) {
        const page = await c.get(url);
        expect(page.statusCode).toBe(200);
        seen.push(...ids(page.body));
        url = next(page.body);
      }
      expect(seen).toEqual(expected);
      const last = await c.get('/contacts?group_by=group&size=5&page=last');
      expect(ids(last.body)).toEqual(expected.slice(-5));
      expect(last.body).toMatch(/Без группы\s*<span class="count">2<\/span>/);
      const first = await c.get('/contacts?group_by=group&size=5');
      expect(first.body).toMatch(/>Вторая<\/a> <a[^>]*>✉<\/a>\s*<span class="count"[^>]*>4 организации, \d+ человека?<\/span>/);

      const noGroup = async () => {
        const page = await c.get('/contacts?group_by=group&size=200');
        const at = page.body.indexOf('Без группы');
        return at < 0 ? [] : ids(page.body.slice(at));
      };
      // Removing org 0's only membership puts it under "No group"; archiving the person of org 1 too.
      const [m0] = await db.select().from(groupMemberships).where(and(eq(groupMemberships.personId, persons[0].id), isNull(groupMemberships.removedAt)));
      expect((await c.post(`/memberships/${m0.id}/remove`, {})).statusCode).toBeLessThan(400);
      await db.execute(sql`update persons set archived_at = now() where id = ${persons[1].id}`);
      expect((await noGroup()).sort()).toEqual(o(0, 1, 6, 7).sort());
      // Person 2 moves to org 7: org 7 joins both groups, org 2 keeps none of its own.
      await db.execute(sql`update persons set organization_id = ${orgs[7].id} where id = ${persons[2].id}`);
      expect((await noGroup()).sort()).toEqual(o(0, 1, 2, 6).sort());
      // Archiving "Вторая" leaves orgs 4 and 5 (only there) with no group; restoring brings them back.
      await db.execute(sql`update mailing_groups set archived_at = now() where id = ${gids[1]}`);
      expect((await noGroup()).sort()).toEqual(o(0, 1, 2, 4, 5, 6).sort());
      await db.execute(sql`update mailing_groups set archived_at = null where id = ${gids[1]}`);
      expect((await noGroup()).sort()).toEqual(o(0, 1, 2, 6).sort());
      // The kept counts equal a recount from scratch.
      const before = await db.execute(sql`select id, group_refs from organizations order by id`);
      await db.execute(sql`select crm_recount_group_refs()`);
      const after = await db.execute(sql`select id, group_refs from organizations order by id`);
      expect((after as unknown as { rows: unknown[] }).rows).toEqual((before as unknown as { rows: unknown[] }).rows);
    } finally {
      await local.close();
    }
  });

  it('refuse a stale rename with 409 and keep the stored name', async () => {
    const id = await createGroup('Первое имя');
    const [g] = await t.database.db.select().from(mailingGroups).where(eq(mailingGroups.id, id));
    const a = await t.as('secretary');
    const b = await t.as('admin');
    expect((await a.post(`/groups/${id}`, { name: 'Второе имя', mark: 'none', version: g.version })).statusCode).toBe(303);
    const stale = await b.post(`/groups/${id}`, { name: 'Третье имя', mark: 'none', version: g.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Второе имя');
    expect((await t.database.db.select().from(mailingGroups).where(eq(mailingGroups.id, id)))[0].name).toBe('Второе имя');
  });

  it('picker: lists groups, creates and renames a group in place (htmx), refuses a duplicate', async () => {
    const p = await makePerson(t.database.db, t.users.secretary);
    const c = await t.as('secretary');
    const picker = await c.get(`/persons/${p.id}/groups/add`, { 'hx-request': 'true' });
    expect(picker.body).toContain('id="group-picker"');
    expect(picker.body).not.toContain('<html');
    const created = await c.post('/groups', { name: 'Из пикера', picker_for: `person:${p.id}` }, { 'hx-request': 'true' });
    expect(created.statusCode).toBe(200);
    expect(created.body).toContain('Группа «Из пикера» создана.');
    const dup = await c.post('/groups', { name: 'ИЗ ПИКЕРА', picker_for: `person:${p.id}` }, { 'hx-request': 'true' });
    expect(dup.statusCode).toBe(422);
    expect(dup.body).toContain('Группа с таким названием уже есть.');
    const [g] = await t.database.db.select().from(mailingGroups).where(eq(mailingGroups.name, 'Из пикера'));
    const renamed = await c.post(`/groups/${g.id}`, { name: 'Переименована', mark: 'none', description: '', version: g.version, picker_for: `person:${p.id}` }, { 'hx-request': 'true' });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.body).toContain('Переименована');
  });

  it('page and sort the members of a large group by keyset', async () => {
    const id = await createGroup('Большая');
    const c = await t.as('secretary');
    for (let i = 0; i < 55; i++) {
      const p = await makePerson(t.database.db, t.users.secretary, { surname: `Участник${String(i).padStart(2, '0')}` });
      await c.post(`/groups/${id}/members`, { person_id: p.id });
    }
    const e = await t.as('employee');
    const first = await e.get(`/groups/${id}`);
    const names = (body: string) => [...body.matchAll(/>(Участник\d\d) /g)].map((m) => m[1]);
    expect(names(first.body).length).toBe(50);
    expect(names(first.body)[0]).toBe('Участник00');
    const next = /href="([^"]+)"[^>]*data-page="next"/.exec(first.body)![1].replace(/&amp;/g, '&');
    expect(names((await e.get(next)).body)).toEqual(['Участник50', 'Участник51', 'Участник52', 'Участник53', 'Участник54']);
    const frag = await e.get(`/groups/${id}?sort=added`, { 'hx-request': 'true' });
    expect(frag.body).toContain('id="members"');
    expect(frag.body).not.toContain('<html');
  });
});
