import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { organizations } from '../../src/db/schema/organizations.js';
import { persons } from '../../src/db/schema/persons.js';
import { createTestApp, type Client, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { rows } from '../helpers/db.js';
import { commit, outlookRuCsv, uploadOk } from '../import/helpers.js';

// The contacts screen's counts (total, letters, regions, activities, categories, persons without
// an organization) are kept by triggers (drizzle/0021_directory_counts.sql) so that a page does not
// count a million rows. These tests hold the kept counts to a fresh count after every kind of write
// the product makes, and the screen to them.

let t: TestApp;
let c: Client;
const ids: Record<string, number> = {};

beforeAll(async () => {
  t = await createTestApp();
  c = await t.as('secretary');
  const db = t.database.db;
  const s = t.users.secretary;
  ids.alpha = (await makeOrganization(db, s, { name: 'ООО «Альфа»' })).id;
  ids.beta = (await makeOrganization(db, s, { name: 'АО «Бета»' })).id;
  ids.gamma = (await makeOrganization(db, s, { name: 'Гамма' })).id;
  ids.p1 = (await makePerson(db, s, { surname: 'Первый', organizationId: ids.alpha })).id;
  ids.p2 = (await makePerson(db, s, { surname: 'Второй', organizationId: null })).id;
});
afterAll(async () => t?.close());

/** The kept counts against a fresh count: both lists must be empty. */
async function drift() {
  const fresh = `
    select k.kind, k.key, count(*) filter (where o.archived_at is null)::bigint as live, count(*)::bigint as total
    from organizations o, crm_organization_count_keys(o.sort_name, o.region_id, o.activity_id, o.category_id, o.group_refs) k group by 1, 2
    union all
    select 'unaffiliated', '', count(*) filter (where archived_at is null), count(*) from persons where organization_id is null having count(*) > 0`;
  const kept = 'select kind, key, live, total from directory_counts where live <> 0 or total <> 0';
  const missing = rows<Record<string, unknown>>(await t.database.db.execute(sql.raw(`${fresh} except ${kept}`)));
  const extra = rows<Record<string, unknown>>(await t.database.db.execute(sql.raw(`${kept} except (${fresh})`)));
  return { missing, extra };
}

const totalOf = async (url = '/contacts') => /data-testid="total">([^<]*)</.exec((await c.get(url)).body)?.[1];
const version = async (table: typeof organizations | typeof persons, id: number) =>
  String((await t.database.db.select({ v: table.version }).from(table).where(eq(table.id, id)))[0].v);

describe('the directory counts kept by triggers', () => {
  it('stay equal to a fresh count through forms, archiving, moves, imports, undo and deletion', async () => {
    expect(await drift()).toEqual({ missing: [], extra: [] });
    expect(await totalOf()).toBe('Найдено 3 организации');

    // A rename moves an organization to another letter; a region, activity and category are set.
    const [region] = rows<{ id: number }>(await t.database.db.execute(sql`select id from regions order by id limit 1`));
    expect((await c.post(`/organizations/${ids.gamma}`, { name: 'Дельта', regionId: String(region.id), version: await version(organizations, ids.gamma) })).statusCode).toBe(303);
    expect(await drift()).toEqual({ missing: [], extra: [] });
    const byRegion = (await c.get('/contacts?group_by=region')).body;
    expect(byRegion).toMatch(/class="count">1<\/span>/);

    // Archiving leaves the total of all but not the live one.
    expect((await c.post(`/organizations/${ids.beta}/archive`)).statusCode).toBe(303);
    expect(await drift()).toEqual({ missing: [], extra: [] });
    expect(await totalOf()).toBe('Найдено 2 организации');
    expect(await totalOf('/contacts?archived=1')).toBe('Найдено 3 организации');
    expect((await c.post(`/organizations/${ids.beta}/restore`)).statusCode).toBe(303);

    // Persons moving to and from "without organization", archived and restored.
    expect((await c.post(`/persons/${ids.p1}`, { surname: 'Первый', version: await version(persons, ids.p1) })).statusCode).toBe(303);
    expect((await c.post(`/persons/${ids.p2}`, { surname: 'Второй', organizationId: String(ids.alpha), version: await version(persons, ids.p2) })).statusCode).toBe(303);
    expect(await drift()).toEqual({ missing: [], extra: [] });
    expect((await c.post(`/persons/${ids.p1}/archive`)).statusCode).toBe(303);
    expect(await drift()).toEqual({ missing: [], extra: [] });
    expect((await c.get('/contacts')).body).not.toContain('Без организации');
    expect((await c.post(`/persons/${ids.p1}/restore`)).statusCode).toBe(303);
    expect((await c.get('/contacts')).body).toContain('Без организации: 1 человек');

    // An import creates organizations and persons in one statement each; its undo deletes them.
    const batch = await uploadOk(c, outlookRuCsv('Импортов;Иван;;ООО «Ежевика»;;;;;', 'Импортова;Анна;;;;;;;', 'Третьяков;Пётр;;ЗАО «Жёлудь»;;;;;'), 'counts.csv');
    expect((await commit(t, c, batch)).status).toBe('committed');
    expect(await drift()).toEqual({ missing: [], extra: [] });
    expect(await totalOf()).toBe('Найдено 5 организаций');
    expect((await c.post(`/import/${batch}/undo`)).statusCode).toBe(303);
    expect(await drift()).toEqual({ missing: [], extra: [] });
    expect(await totalOf()).toBe('Найдено 3 организации');

    // Mailing groups: an organization joins one and leaves it (group_refs, kept by triggers too).
    const g = await c.post('/groups', { name: 'Счётная группа' });
    expect(g.statusCode, g.body.slice(0, 300)).toBe(303);
    const groupId = Number(/\/groups\/(\d+)/.exec(String(g.headers.location))![1]);
    expect((await c.post(`/groups/${groupId}/members`, { organization_id: String(ids.alpha) })).statusCode).toBe(303);
    expect(await drift()).toEqual({ missing: [], extra: [] });
    expect(rows<{ n: number }>(await t.database.db.execute(sql`select live::int as n from directory_counts where kind = 'grouped' and key = 'some'`))[0].n).toBe(1);

    // A person deleted outright.
    const gone = await makePerson(t.database.db, t.users.secretary, { surname: 'Удаляемый', organizationId: null });
    expect((await c.post(`/persons/${gone.id}/delete`, { confirm: 'yes' })).statusCode).toBe(303);
    expect(await drift()).toEqual({ missing: [], extra: [] });
  });
});
