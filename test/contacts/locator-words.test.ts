import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { persons } from '../../src/db/schema/persons.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { commit, sample, uploadOk } from '../import/helpers.js';
import { Locator } from '../../src/lib/search/locator.js';
import { matchContacts } from '../../src/features/contacts/queries.js';
import { rows } from '../helpers/db.js';

// One-word queries are matched through contact_words (drizzle/0007_contact_words.sql), kept by
// triggers; everything else through the search texts. These tests hold the two to the same answer
// and the table to the texts after every kind of write the product makes.

let t: TestApp;
const ids: Record<string, number> = {};

beforeAll(async () => {
  t = await createTestApp();
  const db = t.database.db;
  const s = t.users.secretary;
  const ivanovsky = await makeOrganization(db, s, { name: 'ЗАО «Ивановский текстиль»', shortName: 'Ивтекс' });
  const romashka = await makeOrganization(db, s, { name: 'ООО «Ромашка»' });
  const petrov = await makeOrganization(db, s, { name: 'ИП Петров' });
  ids.ivanovsky = ivanovsky.id;
  ids.romashka = romashka.id;
  ids.petrov = petrov.id;
  const people: [string, string, string, number | null, string[]][] = [
    ['Иванов', 'Иван', 'Иванович', romashka.id, ['ivanov@romashka.ru']],
    ['Иванова', 'Мария', 'Петровна', romashka.id, []],
    ['Ёлкин', 'Пётр', 'Семёнович', ivanovsky.id, ['elkin@ivtex.ru']],
    ['Елкина', 'Анна', '', petrov.id, []],
    ['Петров', 'Пётр', 'Петрович', petrov.id, ['petrov@mail.ru', 'p.petrov@mail.ru']],
    ['Сидоров', 'Иван', '', null, []],
    ['Иваненко', 'Олег', '', null, ['olegi@ya.ru']],
    ['Ромашкин', 'Илья', '', ivanovsky.id, []],
  ];
  for (const [surname, firstName, patronymic, organizationId, emails] of people) {
    ids[surname] = (await makePerson(db, s, { surname, firstName, patronymic, organizationId, emails })).id;
  }
  const c = await t.as('secretary');
  expect((await c.post(`/persons/${ids['Сидоров']}/archive`)).statusCode).toBe(303);
});
afterAll(async () => t?.close());

/** What the locator matches for q, through contact_words or through the search texts. */
async function match(q: string, words: boolean, showArchived: boolean) {
  return t.database.db.transaction(async (tx) => {
    const L = new Locator(q, { words });
    const m = await matchContacts(tx, L, showArchived);
    return { orgs: [...m.orgRanks].sort((a, b) => a[0] - b[0]), unaffiliated: m.unaffiliated, fuzzy: L.useFuzzy };
  });
}

/** Every (word, card) the texts give, against what contact_words holds: both must be empty. */
async function drift() {
  const expected = `
    select distinct w as word, p.id as card, p.organization_id, p.archived_at is null as live
    from persons p, regexp_split_to_table(p.search_text, ' ') w where w <> ''
    union all
    select distinct w, -o.id, o.id, true from organizations o, regexp_split_to_table(o.search_text, ' ') w where w <> ''`;
  const actual = 'select word, card, organization_id, live from contact_words';
  const missing = await t.database.db.execute(sql.raw(`${expected} except ${actual}`));
  const extra = await t.database.db.execute(sql.raw(`${actual} except (${expected})`));
  return { missing: rows<{ word: string; card: number }>(missing), extra: rows<{ word: string; card: number }>(extra) };
}

describe('the locator through contact_words', () => {
  it('matches exactly what the search texts match, ranks and near misses included', async () => {
    const queries = [
      'иван', 'иванов', 'ИВАНОВА', 'ивано', 'ванов', 'ёлкин', 'елкин', 'лкин', 'петров', 'петр', 'етро',
      'ромашка', 'ромаш', 'ивтекс', 'текстиль', '«ивановский', 'mail.ru', 'ivanov@', 'olegi', 'сидоров',
      // Typos: few exact matches, so near misses count too.
      'иваонв', 'петорв', 'ромошка', 'ёлкен', 'текстель', 'иваненка',
      // LIKE's own characters are plain text to the locator.
      'ив%', 'a_b', '100%',
      // Nothing at all.
      'щщщщ',
    ];
    for (const q of queries) {
      for (const showArchived of [false, true]) {
        const viaWords = await match(q, true, showArchived);
        const viaTexts = await match(q, false, showArchived);
        expect(viaWords, `${q}, archived shown: ${showArchived}`).toEqual(viaTexts);
      }
    }
    // The comparison is not empty-handed: these find something, one of them by its near misses.
    expect((await match('иванов', true, false)).orgs.map(([id]) => id).sort()).toEqual([ids.ivanovsky, ids.romashka].sort());
    expect(await match('сидоров', true, true)).toMatchObject({ unaffiliated: 1 });
    expect(await match('сидоров', true, false)).toMatchObject({ unaffiliated: 0 });
    const typo = await match('петорв', true, false);
    expect(typo.fuzzy).toBe(true);
    // Near misses rank after every exact match (rank 2: shown under the "похожие" divider).
    expect(typo.orgs).toContainEqual([ids.petrov, 2]);
  });

  it('stays in step with the texts through edits, moves, archiving, renames, imports and their undo', async () => {
    expect(await drift()).toEqual({ missing: [], extra: [] });
    const c = await t.as('secretary');
    const edit = async (id: number, form: Record<string, string>) => {
      const [{ version }] = await t.database.db.select({ version: persons.version }).from(persons).where(eq(persons.id, id));
      const res = await c.post(`/persons/${id}`, { ...form, version: String(version) });
      expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
    };

    expect(await match('иваненко', true, false)).toMatchObject({ unaffiliated: 1 });
    // A person renamed and moved to another organization: found by the new name, under the new one.
    await edit(ids['Иваненко'], { surname: 'Кузнецов', firstName: 'Олег', organizationId: String(ids.petrov), email: 'olegk@ya.ru' });
    expect(await match('иваненко', true, false)).toMatchObject({ unaffiliated: 0 });
    expect((await match('кузнецов', true, false)).orgs).toEqual([[ids.petrov, 0]]);
    expect((await match('legk@', true, false)).orgs).toEqual([[ids.petrov, 1]]);

    // Archived and restored.
    expect((await c.post(`/persons/${ids['Ромашкин']}/archive`)).statusCode).toBe(303);
    const orgIds = async (q: string) => (await match(q, true, false)).orgs.map(([id]) => id);
    expect(await orgIds('ромашкин')).not.toContain(ids.ivanovsky);
    expect((await c.post(`/persons/${ids['Ромашкин']}/restore`)).statusCode).toBe(303);
    expect((await match('ромашкин', true, false)).orgs).toContainEqual([ids.ivanovsky, 0]);

    // An organization renamed: its persons' texts are rewritten, and so are their words.
    const [{ version }] = await t.database.db.select({ version: organizations.version }).from(organizations).where(eq(organizations.id, ids.romashka));
    expect((await c.post(`/organizations/${ids.romashka}`, { name: 'ООО «Незабудка»', version })).statusCode).toBe(303);
    expect((await match('незабудка', true, false)).orgs).toContainEqual([ids.romashka, 1]);
    expect(await orgIds('ромашка')).not.toContain(ids.romashka);
    expect(await drift()).toEqual({ missing: [], extra: [] });

    // An Outlook import creates persons and organizations; its undo deletes them again.
    const batch = await uploadOk(c, sample('outlook-en-utf8.csv'), 'contacts.csv');
    const done = await commit(t, c, batch);
    expect(done.status).toBe('committed');
    expect(await drift()).toEqual({ missing: [], extra: [] });
    const created = rows<{ n: number }>(await t.database.db.execute(sql`select count(*)::int as n from contact_words where card > ${ids['Ромашкин']}`));
    expect(Number(created[0].n)).toBeGreaterThan(0);
    expect((await c.post(`/import/${batch}/undo`)).statusCode).toBe(303);
    expect(await drift()).toEqual({ missing: [], extra: [] });

    // A person deleted outright (no history to keep).
    const gone = await makePerson(t.database.db, t.users.secretary, { surname: 'Удаляемый', organizationId: ids.petrov });
    expect((await match('удаляемый', true, false)).orgs).toContainEqual([ids.petrov, 0]);
    expect((await c.post(`/persons/${gone.id}/delete`, { confirm: 'yes' })).statusCode).toBe(303);
    expect(await orgIds('удаляемый')).not.toContain(ids.petrov);
    expect(await drift()).toEqual({ missing: [], extra: [] });
  });

  it('the contacts page answers a one-word query the same way', async () => {
    const c = await t.as('employee');
    const res = await c.get(`/contacts?q=${encodeURIComponent('Кузнецов')}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`data-open="/organizations/${ids.petrov}"`);
    expect(res.body).not.toContain(`data-open="/organizations/${ids.ivanovsky}"`);
  });
});
