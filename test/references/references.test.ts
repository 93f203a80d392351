import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { activities, categories, regions, type ReferenceItem } from '../../src/db/schema/references.js';
import { settings } from '../../src/db/schema/settings.js';
import { ensureRegions, listActive } from '../../src/features/references/service.js';
import { RUSSIAN_REGIONS } from '../../src/features/references/russian-regions.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const HX = { 'hx-request': 'true', 'hx-request-type': 'partial' };

async function category(name: string): Promise<ReferenceItem | undefined> {
  const rows = await t.database.db.select().from(categories).where(eq(categories.name, name));
  return rows[0];
}

async function auditOf(entityType: string, entityId: number) {
  return t.database.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityType, entityType), eq(auditLog.entityId, entityId)))
    .orderBy(asc(auditLog.id));
}

describe('regions pre-filled', () => {
  it('holds the 89 subjects of the Russian Federation with their codes', async () => {
    const rows = await t.database.db.select().from(regions);
    expect(rows).toHaveLength(89);
    const byName = new Map(rows.map((r) => [r.name, r]));
    expect(byName.get('Москва')?.code).toBe('77');
    expect(byName.get('Республика Крым')?.code).toBe('91');
    expect(byName.get('Севастополь')?.code).toBe('92');
    for (const name of ['Донецкая Народная Республика', 'Луганская Народная Республика', 'Запорожская область', 'Херсонская область']) {
      expect(byName.has(name), name).toBe(true);
    }
    expect(new Set(RUSSIAN_REGIONS.map((r) => r.code)).size).toBe(89);
    expect(rows.every((r) => /^\d{2}$/.test(r.code ?? ''))).toBe(true);
    const [marker] = await t.database.db.select().from(settings).where(eq(settings.key, 'regions_seeded'));
    expect(marker).toBeDefined();
  });

  it('shows them to an employee, read-only, in Russian alphabetical order', async () => {
    const c = await t.as('employee');
    const res = await c.get('/references/regions');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<html');
    expect(res.body).toContain('89 записей');
    expect(res.body).toContain('Изменять справочники могут секретари и администраторы.');
    expect(res.body).not.toContain('id="ref-create"');
    expect(res.body).not.toContain('/archive"');
    expect(res.body).not.toContain('/edit"');
    const names = [...res.body.matchAll(/<tr id="ref-\d+"[^>]*>\s*<td>([^<]+)/g)].map((m) => m[1]);
    expect(names[0]).toBe('Алтайский край');
    expect(names.at(-1)).toBe('Ярославская область');
    expect(names.indexOf('Ямало-Ненецкий автономный округ')).toBeGreaterThan(names.indexOf('Еврейская автономная область'));
  });
});

describe('/references/:kind', () => {
  it('renders the full page and, for htmx, only the list fragment', async () => {
    const c = await t.as('secretary');
    const page = await c.get('/references/categories');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html');
    expect(page.body).toContain('Категории');
    expect(page.body).toContain('id="ref-create"');
    expect(page.body).toContain('Список пока пуст.');
    const frag = await c.get('/references/regions?q=' + encodeURIComponent('МОСК'), HX);
    expect(frag.statusCode).toBe(200);
    expect(frag.body).not.toContain('<html');
    expect(frag.body).toContain('id="ref-list"');
    expect(frag.body).toContain('Москва');
    expect(frag.body).toContain('Московская область');
    expect(frag.body).not.toContain('Санкт-Петербург');
    expect(frag.body).toContain('2 записи');
    expect(frag.headers.vary).toContain('HX-Request');
  });

  it('answers 404 for an unknown list and redirects /references to the first one', async () => {
    const c = await t.as('employee');
    expect((await c.get('/references/colours')).statusCode).toBe(404);
    expect((await c.get('/references/colours/1/edit')).statusCode).toBe(404);
    const root = await c.get('/references');
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/references/regions');
  });

  it('sends an anonymous visitor to sign in', async () => {
    const res = await t.anonymous().get('/references/regions');
    expect(res.statusCode).toBe(303);
    expect(String(res.headers.location)).toMatch(/^\/login\?next=/);
  });
});

describe('adding', () => {
  it('adds an entry, records it in the audit log and lists it', async () => {
    const c = await t.as('secretary');
    const res = await c.post('/references/activities', { name: '  Оптовая   торговля ' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/references/activities');
    const [row] = await t.database.db.select().from(activities).where(eq(activities.name, 'Оптовая торговля'));
    expect(row.sortKey).toBe('оптовая торговля');
    expect(row.updatedBy).toBe(t.users.secretary.id);
    const audit = await auditOf('activity', row.id);
    expect(audit).toHaveLength(1);
    expect(audit[0].action).toBe('create');
    expect(audit[0].userId).toBe(t.users.secretary.id);
    expect(audit[0].changes).toEqual({ name: [null, 'Оптовая торговля'] });
    const list = await c.get('/references/activities');
    expect(list.body).toContain('Запись «Оптовая торговля» добавлена.');
    expect(list.body).toContain('Оптовая торговля</td>');
  });

  it('answers htmx with a redirect the page follows', async () => {
    const c = await t.as('admin');
    const res = await c.post('/references/activities', { name: 'Логистика' }, HX);
    expect(res.statusCode).toBe(204);
    expect(res.headers['hx-redirect']).toBe('/references/activities');
    expect(await t.database.db.select().from(activities).where(eq(activities.name, 'Логистика'))).toHaveLength(1);
  });

  it('is forbidden to an employee, and nothing is written', async () => {
    const c = await t.as('employee');
    const before = await t.database.db.select({ n: sql<number>`count(*)::int` }).from(auditLog);
    const res = await c.post('/references/categories', { name: 'Чужая категория' });
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('Доступ запрещён');
    const frag = await c.post('/references/categories', { name: 'Чужая категория' }, HX);
    expect(frag.statusCode).toBe(403);
    expect(frag.headers['hx-retarget']).toBe('#flash');
    expect(await category('Чужая категория')).toBeUndefined();
    const after = await t.database.db.select({ n: sql<number>`count(*)::int` }).from(auditLog);
    expect(after[0].n).toBe(before[0].n);
  });

  it('refuses an empty name with 422 and a field error, full page and fragment', async () => {
    const c = await t.as('secretary');
    const res = await c.post('/references/categories', { name: '   ' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('<html');
    expect(res.body).toContain('Заполните это поле.');
    const frag = await c.post('/references/categories', { name: '' }, HX);
    expect(frag.statusCode).toBe(422);
    expect(frag.body).not.toContain('<html');
    expect(frag.body).toContain('id="ref-create"');
    expect(frag.body).toContain('Заполните это поле.');
    const long = await c.post('/references/categories', { name: 'я'.repeat(201) });
    expect(long.statusCode).toBe(422);
    expect(long.body).toContain('Не длиннее 200 символов.');
    expect(await t.database.db.select().from(categories).where(sql`length(${categories.name}) > 200`)).toHaveLength(0);
  });

  it('refuses a duplicate regardless of case and Ё', async () => {
    const c = await t.as('secretary');
    expect((await c.post('/references/categories', { name: 'Орёл' })).statusCode).toBe(303);
    const dup = await c.post('/references/categories', { name: 'ОРЕЛ' });
    expect(dup.statusCode).toBe(422);
    expect(dup.body).toContain('Такая запись уже есть: «Орёл».');
    expect(dup.body).toContain('value="ОРЕЛ"');
    const rows = await t.database.db.select().from(categories).where(eq(categories.sortKey, 'орел'));
    expect(rows.map((r) => r.name)).toEqual(['Орёл']);
  });

  it('lets only one of two simultaneous adds of the same name through', async () => {
    const { createReference } = await import('../../src/features/references/service.js');
    const { ValidationError } = await import('../../src/lib/errors.js');
    const results = await Promise.allSettled([
      createReference(t.database.db, t.users.secretary, 'categories', { name: 'Склад' }),
      createReference(t.database.db, t.users.admin, 'categories', { name: 'СКЛАД' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(ValidationError);
    expect((refused.reason as InstanceType<typeof ValidationError>).fields.name.key).toBe('references.duplicate');
    expect(await t.database.db.select().from(categories).where(eq(categories.sortKey, 'склад'))).toHaveLength(1);
  });

  it('escapes a hostile name everywhere it is shown', async () => {
    const c = await t.as('secretary');
    const hostile = '<script>alert(1)</script>';
    expect((await c.post('/references/categories', { name: hostile })).statusCode).toBe(303);
    const page = await c.get('/references/categories');
    expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.body).not.toContain(hostile);
    const item = (await category(hostile))!;
    const edit = await c.get(`/references/categories/${item.id}/edit`, HX);
    expect(edit.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(edit.body).not.toContain(hostile);
  });
});

describe('searching', () => {
  it('matches ignoring case and treating Ё as Е', async () => {
    const c = await t.as('secretary');
    await c.post('/references/categories', { name: 'Ёлочные игрушки' });
    for (const q of ['елоч', 'ЁЛОЧ', 'ИГРУШКИ']) {
      const res = await c.get(`/references/categories?q=${encodeURIComponent(q)}`);
      expect(res.body, q).toContain('Ёлочные игрушки');
      expect(res.body, q).not.toContain('Орёл</td>');
    }
    const none = await c.get(`/references/categories?q=${encodeURIComponent('100%_')}`);
    expect(none.body).toContain('По запросу «100%_» ничего не найдено.');
  });
});

describe('renaming', () => {
  it('shows the edit form as a full page and as an htmx row', async () => {
    const c = await t.as('secretary');
    await c.post('/references/categories', { name: 'Поставщики' });
    const item = (await category('Поставщики'))!;
    const page = await c.get(`/references/categories/${item.id}/edit`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html');
    expect(page.body).toContain(`action="/references/categories/${item.id}"`);
    expect(page.body).toContain(`name="version" value="${item.version}"`);
    const frag = await c.get(`/references/categories/${item.id}/edit`, HX);
    expect(frag.body).not.toContain('<html');
    expect(frag.body.trim()).toMatch(new RegExp(`^<tr id="ref-${item.id}"`));
    expect(frag.body).toContain('value="Поставщики"');
    expect((await (await t.as('employee')).get(`/references/categories/${item.id}/edit`)).statusCode).toBe(403);
  });

  it('renames, returns the row to htmx, and records the change', async () => {
    const c = await t.as('secretary');
    const item = (await category('Поставщики'))!;
    const res = await c.post(`/references/categories/${item.id}`, { name: 'Ключевые поставщики', version: item.version }, HX);
    expect(res.statusCode).toBe(200);
    expect(res.body.trim()).toMatch(new RegExp(`^<tr id="ref-${item.id}"`));
    expect(res.body).toContain('Ключевые поставщики');
    const row = (await category('Ключевые поставщики'))!;
    expect(row.id).toBe(item.id);
    expect(row.version).toBe(item.version + 1);
    expect(row.sortKey).toBe('ключевые поставщики');
    const audit = await auditOf('category', item.id);
    expect(audit.at(-1)!.action).toBe('update');
    expect(audit.at(-1)!.changes).toEqual({ name: ['Поставщики', 'Ключевые поставщики'] });
  });

  it('refuses a stale version with 409, shows both names and overwrites nothing', async () => {
    const c = await t.as('secretary');
    const item = (await category('Ключевые поставщики'))!;
    const first = await c.post(`/references/categories/${item.id}`, { name: 'Поставщики A', version: item.version });
    expect(first.statusCode).toBe(303);
    const stale = await c.post(`/references/categories/${item.id}`, { name: 'Поставщики B', version: item.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('<html');
    expect(stale.body).toContain('data-testid="conflict-current">Поставщики A<');
    expect(stale.body).toContain('value="Поставщики B"');
    expect(stale.body).toContain(`name="version" value="${item.version + 1}"`);
    expect((await category('Поставщики A'))?.id).toBe(item.id);
    expect(await category('Поставщики B')).toBeUndefined();
    const frag = await c.post(`/references/categories/${item.id}`, { name: 'Поставщики B', version: item.version }, HX);
    expect(frag.statusCode).toBe(409);
    expect(frag.body).not.toContain('<html');
    expect(frag.body).toContain('Поставщики A');
  });

  it('refuses renaming into another entry’s name but allows changing its own case', async () => {
    const c = await t.as('secretary');
    const item = (await category('Поставщики A'))!;
    const dup = await c.post(`/references/categories/${item.id}`, { name: 'орел', version: item.version }, HX);
    expect(dup.statusCode).toBe(422);
    expect(dup.body).toContain('Такая запись уже есть: «Орёл».');
    expect(dup.body).toContain(`name="version" value="${item.version}"`);
    expect((await category('Поставщики A'))?.version).toBe(item.version);
    const orel = (await category('Орёл'))!;
    const own = await c.post(`/references/categories/${orel.id}`, { name: 'ОРЁЛ', version: orel.version });
    expect(own.statusCode).toBe(303);
    expect((await t.database.db.select().from(categories).where(eq(categories.id, orel.id)))[0].name).toBe('ОРЁЛ');
  });

  it('is forbidden to an employee', async () => {
    const c = await t.as('employee');
    const item = (await category('Поставщики A'))!;
    const res = await c.post(`/references/categories/${item.id}`, { name: 'Взлом', version: item.version });
    expect(res.statusCode).toBe(403);
    expect((await category('Поставщики A'))?.version).toBe(item.version);
  });
});

describe('archiving', () => {
  it('hides an archived entry unless asked, and restores it', async () => {
    const c = await t.as('secretary');
    await c.post('/references/activities', { name: 'Розничная торговля' });
    const [item] = await t.database.db.select().from(activities).where(eq(activities.name, 'Розничная торговля'));

    const archived = await c.post(`/references/activities/${item.id}/archive`, {});
    expect(archived.statusCode).toBe(303);
    const [row] = await t.database.db.select().from(activities).where(eq(activities.id, item.id));
    expect(row.archivedAt).toBeInstanceOf(Date);

    const list = await c.get('/references/activities');
    expect(list.body).toContain('Запись «Розничная торговля» перенесена в архив.');
    expect(list.body).not.toContain('Розничная торговля</td>');
    expect(list.body).toContain('Ещё 1 запись в архиве.');
    expect((await listActive(t.database.db, 'activities')).map((r) => r.name)).not.toContain('Розничная торговля');
    expect((await listActive(t.database.db, 'activities', { alsoId: item.id })).map((r) => r.name)).toContain('Розничная торговля');

    const withArchived = await c.get('/references/activities?archived=1');
    expect(withArchived.body).toMatch(new RegExp(`<tr id="ref-${item.id}" class="inactive">`));
    expect(withArchived.body).toContain(`action="/references/activities/${item.id}/restore"`);

    const restored = await c.post(`/references/activities/${item.id}/restore`, {}, HX);
    expect(restored.statusCode).toBe(200);
    expect(restored.body).toContain(`action="/references/activities/${item.id}/archive"`);
    const [back] = await t.database.db.select().from(activities).where(eq(activities.id, item.id));
    expect(back.archivedAt).toBeNull();
    expect((await c.get('/references/activities')).body).toContain('Розничная торговля</td>');

    const audit = await auditOf('activity', item.id);
    expect(audit.map((a) => a.action)).toEqual(['create', 'archive', 'restore']);
    expect(audit.every((a) => a.userId === t.users.secretary.id)).toBe(true);
  });

  it('is forbidden to an employee', async () => {
    const c = await t.as('employee');
    const [item] = await t.database.db.select().from(activities).where(eq(activities.name, 'Розничная торговля'));
    expect((await c.post(`/references/activities/${item.id}/archive`, {})).statusCode).toBe(403);
    const [row] = await t.database.db.select().from(activities).where(eq(activities.id, item.id));
    expect(row.archivedAt).toBeNull();
  });

  it('answers 404 for an unknown entry', async () => {
    const c = await t.as('secretary');
    expect((await c.post('/references/activities/999999/archive', {})).statusCode).toBe(404);
  });
});

describe('ensureRegions', () => {
  it('does not bring back regions once seeded, even archived or deleted ones', async () => {
    const c = await t.as('admin');
    const [moscow] = await t.database.db.select().from(regions).where(eq(regions.name, 'Москва'));
    expect((await c.post(`/references/regions/${moscow.id}/archive`, {})).statusCode).toBe(303);
    await t.database.db.delete(regions).where(eq(regions.name, 'Севастополь'));

    expect(await ensureRegions(t.database.db)).toBe(0);
    const rows = await t.database.db.select().from(regions);
    expect(rows).toHaveLength(88);
    expect(rows.find((r) => r.name === 'Москва')?.archivedAt).toBeInstanceOf(Date);
    expect(rows.some((r) => r.name === 'Севастополь')).toBe(false);
    expect((await listActive(t.database.db, 'regions')).map((r) => r.name)).not.toContain('Москва');
  });
});
