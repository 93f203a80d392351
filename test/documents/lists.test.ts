import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';
import { countDocuments } from '../../src/features/documents/queries.js';
import { personHasHistory } from '../../src/features/persons/service.js';
import { organizationHasHistory } from '../../src/features/organizations/service.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const db = () => t.database.db;
const HX = { 'hx-request': 'true', 'hx-request-type': 'partial' };
/** The registration numbers in a list page, in the order shown. */
const numbers = (html: string) => [...html.matchAll(/class="doc-link" href="\/documents\/\d+" data-open="\/documents\/\d+">([^<]+)</g)].map((m) => m[1]);

describe('counterparty counts', () => {
  it('shows the counts on the person card with Russian plurals, linking to the lists', async () => {
    const person = await makePerson(db(), t.users.secretary, { surname: 'Счётов' });
    const c = await t.as('employee');
    const none = await c.get(`/persons/${person.id}`);
    expect(none.body).toContain('0 входящих документов');
    expect(none.body).toContain('0 исходящих документов');
    for (let i = 0; i < 3; i++) await makeDocument(db(), t.users.secretary, { personId: person.id });
    await makeDocument(db(), t.users.secretary, { personId: person.id, direction: 'outgoing' });
    const card = await c.get(`/persons/${person.id}`);
    expect(card.body).toContain('3 входящих документа');
    expect(card.body).toContain('1 исходящий документ<');
    expect(card.body).toContain(`href="/persons/${person.id}/correspondence?direction=incoming"`);
    expect(card.body).toContain(`href="/persons/${person.id}/correspondence?direction=outgoing"`);
    for (let i = 0; i < 2; i++) await makeDocument(db(), t.users.secretary, { personId: person.id });
    for (let i = 0; i < 20; i++) await makeDocument(db(), t.users.secretary, { personId: person.id, direction: 'outgoing' });
    const more = await c.get(`/persons/${person.id}`);
    expect(more.body).toContain('5 входящих документов');
    expect(more.body).toContain('21 исходящий документ<');
    expect(await countDocuments(db(), { personId: person.id })).toEqual({ incoming: 5, outgoing: 21 });
    // The counts stay on the card whichever tab is open.
    expect((await c.get(`/persons/${person.id}?tab=note`)).body).toContain('5 входящих документов');
    const en = await c.get(`/persons/${person.id}`, { 'accept-language': 'en' });
    expect(en.body).toMatch(/5 (incoming documents|входящих документов)/);
  });

  it("shows an organization's counts including its persons' documents", async () => {
    const org = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Сводная»' });
    const person = await makePerson(db(), t.users.secretary, { organizationId: org.id });
    const outsider = await makePerson(db(), t.users.secretary);
    await makeDocument(db(), t.users.secretary, { organizationId: org.id });
    await makeDocument(db(), t.users.secretary, { personId: person.id });
    await makeDocument(db(), t.users.secretary, { organizationId: org.id, personId: person.id, direction: 'outgoing' });
    await makeDocument(db(), t.users.secretary, { personId: outsider.id });
    const page = await (await t.as('employee')).get(`/organizations/${org.id}`);
    expect(page.body).toContain('2 входящих документа');
    expect(page.body).toContain('1 исходящий документ<');
    expect(page.body).toContain(`href="/organizations/${org.id}/correspondence?direction=incoming"`);
  });
});

describe('counterparty lists', () => {
  it("lists an organization's documents with its persons', newest first, as a page and a fragment", async () => {
    const org = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Переписка»' });
    const person = await makePerson(db(), t.users.secretary, { organizationId: org.id, surname: 'Письмов' });
    const outsider = await makePerson(db(), t.users.secretary);
    const a = await makeDocument(db(), t.users.secretary, { organizationId: org.id, regDate: '2024-01-10', subject: 'Письмо организации' });
    const b = await makeDocument(db(), t.users.secretary, { personId: person.id, regDate: '2024-02-10', subject: 'Письмо сотрудника' });
    const cc = await makeDocument(db(), t.users.secretary, { personId: outsider.id, regDate: '2024-03-10', subject: 'Чужое письмо' });
    const c = await t.as('employee');
    const page = await c.get(`/organizations/${org.id}/correspondence`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html');
    expect(page.body).toContain('Корреспонденция: <a');
    expect(numbers(page.body)).toEqual([b.regNumber, a.regNumber]);
    expect(page.body).not.toContain(cc.regNumber);
    expect(page.body).toContain('Письмов');
    // Opening: a plain link, double-click on the row (data-row + data-open), Enter on the focused link.
    expect(page.body).toMatch(new RegExp(`<tr class="doc-row doc-incoming" data-row>\\s*<td class="nowrap"><a class="doc-link" href="/documents/${b.id}" data-open="/documents/${b.id}">`));
    const frag = await c.get(`/organizations/${org.id}/correspondence?q=сотрудника`, HX);
    expect(frag.statusCode).toBe(200);
    expect(frag.body).not.toContain('<html');
    expect(frag.headers.vary).toContain('HX-Request');
    expect(numbers(frag.body)).toEqual([b.regNumber]);

    const personList = await c.get(`/persons/${person.id}/correspondence`);
    expect(numbers(personList.body)).toEqual([b.regNumber]);
    const incoming = await c.get(`/persons/${person.id}/correspondence?direction=outgoing`);
    expect(numbers(incoming.body)).toEqual([]);
    expect(incoming.body).toContain('Документов нет.');
    // The fixed counterparty cannot be swapped through the URL.
    expect(numbers((await c.get(`/persons/${person.id}/correspondence?person=${outsider.id}&organization=${org.id}`)).body)).toEqual([b.regNumber]);
  });

  it('filters by date range and text (case and Ё insensitive, by number and sender number)', async () => {
    const person = await makePerson(db(), t.users.secretary);
    const d1 = await makeDocument(db(), t.users.secretary, { personId: person.id, regDate: '2023-01-15', subject: 'Счёт на оплату', senderNumber: 'АБ-77' });
    const d2 = await makeDocument(db(), t.users.secretary, { personId: person.id, regDate: '2023-02-15', subject: 'Акт сверки' });
    const d3 = await makeDocument(db(), t.users.secretary, { personId: person.id, regDate: '2023-03-15', subject: 'СЧЕТ-фактура' });
    const c = await t.as('employee');
    const base = `/persons/${person.id}/correspondence`;
    expect(numbers((await c.get(`${base}?q=${encodeURIComponent('счет')}`)).body)).toEqual([d3.regNumber, d1.regNumber]);
    expect(numbers((await c.get(`${base}?q=${encodeURIComponent('СЧЁТ')}`)).body)).toEqual([d3.regNumber, d1.regNumber]);
    expect(numbers((await c.get(`${base}?q=${encodeURIComponent('аб-77')}`)).body)).toEqual([d1.regNumber]);
    expect(numbers((await c.get(`${base}?q=${encodeURIComponent(d2.regNumber.toLowerCase())}`)).body)).toEqual([d2.regNumber]);
    expect(numbers((await c.get(`${base}?q=${encodeURIComponent('100%_')}`)).body)).toEqual([]);
    expect(numbers((await c.get(`${base}?from=2023-02-01&to=2023-03-15`)).body)).toEqual([d3.regNumber, d2.regNumber]);
    expect(numbers((await c.get(`${base}?from=01.02.2023&to=14.03.2023`)).body)).toEqual([d2.regNumber]);
    const bad = await c.get(`${base}?from=20230-01-01`);
    expect(bad.statusCode).toBe(200);
    expect(bad.body).toContain('год — от 1900 до 2100');
    expect(numbers(bad.body)).toEqual([d3.regNumber, d2.regNumber, d1.regNumber]);
  });

  it('pages newest first by keyset: first, next, previous and last pages without overlap', async () => {
    const person = await makePerson(db(), t.users.secretary);
    const made = [];
    // 120 documents over 40 days, three a day: ties on the date are ordered by id.
    for (let i = 0; i < 120; i++) {
      const regDate = new Date(Date.UTC(2022, 0, 1 + Math.floor(i / 3))).toISOString().slice(0, 10);
      made.push(await makeDocument(db(), t.users.secretary, { personId: person.id, regDate }));
    }
    const expected = [...made].sort((x, y) => (x.regDate === y.regDate ? y.id - x.id : x.regDate < y.regDate ? 1 : -1)).map((d) => d.regNumber);
    const c = await t.as('employee');
    const base = `/persons/${person.id}/correspondence`;
    const p1 = await c.get(base);
    expect(p1.body).toContain('Найдено 120 документов');
    expect(numbers(p1.body)).toEqual(expected.slice(0, 50));
    const next = /href="([^"]+)" hx-get="[^"]+" hx-target="#documents-list" hx-push-url="true" data-page="next"/.exec(p1.body)![1].replace(/&amp;/g, '&');
    expect(next).toMatch(/after=2022-\d\d-\d\d_\d+/);
    const p2 = await c.get(next);
    expect(numbers(p2.body)).toEqual(expected.slice(50, 100));
    const next2 = /href="([^"]+)" hx-get="[^"]+" hx-target="#documents-list" hx-push-url="true" data-page="next"/.exec(p2.body)![1].replace(/&amp;/g, '&');
    const p3 = await c.get(next2, HX);
    expect(numbers(p3.body)).toEqual(expected.slice(100));
    expect(p3.body).not.toContain('data-page="next"');
    const prev = /href="([^"]+)" hx-get="[^"]+" hx-target="#documents-list" hx-push-url="true" data-page="prev"/.exec(p3.body)![1].replace(/&amp;/g, '&');
    expect(numbers((await c.get(prev)).body)).toEqual(expected.slice(50, 100));
    expect(numbers((await c.get(`${base}?page=last`)).body)).toEqual(expected.slice(70));
    // A malformed cursor is the first page, not an error.
    expect(numbers((await c.get(`${base}?after=garbage`)).body)).toEqual(expected.slice(0, 50));
  });
});

describe('the register', () => {
  it('filters by direction, counterparty (with its name) and text; full page and fragment', async () => {
    const org = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Реестровая»' });
    const person = await makePerson(db(), t.users.secretary, { surname: 'Реестров', firstName: 'Пётр', patronymic: '' });
    const inc = await makeDocument(db(), t.users.secretary, { organizationId: org.id, regDate: '2021-05-05', subject: 'Уникальная тема реестра' });
    const out = await makeDocument(db(), t.users.secretary, { personId: person.id, regDate: '2021-05-06', subject: 'Уникальная тема реестра', direction: 'outgoing' });
    const c = await t.as('employee');
    const q = encodeURIComponent('уникальная тема РЕЕСТРА');
    const page = await c.get(`/documents?q=${q}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html');
    expect(page.body).toContain('aria-current=page>Корреспонденция');
    expect(numbers(page.body)).toEqual([out.regNumber, inc.regNumber]);
    expect(page.body).toContain(`<a href="/organizations/${org.id}">ООО «Реестровая»</a>`);
    expect(numbers((await c.get(`/documents?q=${q}&direction=incoming`)).body)).toEqual([inc.regNumber]);
    expect(numbers((await c.get(`/documents?q=${q}&organization=${org.id}`)).body)).toEqual([inc.regNumber]);
    const byPerson = await c.get(`/documents?person=${person.id}`);
    expect(numbers(byPerson.body)).toEqual([out.regNumber]);
    expect(byPerson.body).toContain('data-testid="filter-person"');
    expect(byPerson.body).toContain('Реестров Пётр');
    const frag = await c.get(`/documents?q=${q}&direction=outgoing`, HX);
    expect(frag.body).not.toContain('<html');
    expect(frag.body).not.toContain('id="documents-filter"');
    expect(numbers(frag.body)).toEqual([out.regNumber]);
    expect(frag.body).toContain('Найден 1 документ');
  });

  it('offers registration to secretaries, prefilled from the counterparty', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    const person = await makePerson(db(), t.users.secretary, { organizationId: org.id });
    const c = await t.as('secretary');
    const list = await c.get(`/persons/${person.id}/correspondence`);
    expect(list.body).toContain(`href="/documents/new?direction=incoming&amp;person=${person.id}"`);
    const form = await c.get(`/documents/new?direction=outgoing&person=${person.id}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="outgoing" checked');
    expect(form.body).toContain(`<option value="${person.id}" selected`);
    expect(form.body).toContain(`<option value="${org.id}" selected`);
    expect(form.body).toContain(`action="/documents?_csrf=`);
    expect(form.body).toContain('enctype="multipart/form-data"');
    expect(form.body).toMatch(/name="regDate" value="\d{4}-\d{2}-\d{2}"/);
  });
});

describe('history and the contacts screen', () => {
  it('archives rather than deletes a counterparty with documents', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    const person = await makePerson(db(), t.users.secretary);
    const lonely = await makePerson(db(), t.users.secretary);
    await makeDocument(db(), t.users.secretary, { organizationId: org.id, personId: person.id });
    expect(await personHasHistory(db(), person.id)).toBe(true);
    expect(await organizationHasHistory(db(), org.id)).toBe(true);
    expect(await personHasHistory(db(), lonely.id)).toBe(false);
    const c = await t.as('secretary');
    const refused = await c.post(`/persons/${person.id}/delete`, { confirm: 'yes' });
    expect(refused.statusCode).toBe(409);
    const orgRefused = await c.post(`/organizations/${org.id}/delete`, { confirm: 'yes' });
    expect(orgRefused.statusCode).toBe(409);
    expect((await c.get(`/persons/${person.id}`)).body).not.toContain(`href="/persons/${person.id}/delete"`);
  });

  it("has a correspondence button in the toolbar for the selected organization, for everyone", async () => {
    const org = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Панель»' });
    const c = await t.as('employee');
    const selected = await c.get(`/contacts?org=${org.id}`);
    expect(selected.body).toContain(`href="/organizations/${org.id}/correspondence" accesskey="k" data-action="correspondence"`);
    const none = await c.get('/contacts');
    expect(none.body).not.toContain('data-action="correspondence"');
  });
});

describe('a very large register', () => {
  it('stops counting past 10,000 and says "more than", in both languages; filters count exactly below it', async () => {
    const { sql } = await import('drizzle-orm');
    const org = await makeOrganization(db(), t.users.secretary, { name: 'Массовый отправитель' });
    // 10,001 bare incoming documents of one year, written directly: the count, not the form, is tested.
    await db().execute(sql`
      insert into documents (direction, reg_year, reg_seq, reg_number, reg_date, subject, organization_id, search_text)
      select 'incoming', 1999, g, 'ВХ-1999-' || g, date '1999-01-01' + (g % 365), 'Массовое письмо ' || g, ${org.id}, 'массовое письмо ' || g
      from generate_series(1, 10001) g`);
    const c = await t.as('employee');
    const all = await c.get('/documents');
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain('Найдено более 10&nbsp;000 документов'.replace('&nbsp;', '\u00a0'));
    const english = await t.as('employee');
    await english.post('/locale', { lang: 'en' });
    const en = await english.get('/documents');
    expect(en.body).toMatch(/More than 10,000 documents found/);
    await english.post('/locale', { lang: 'ru' });
    const few = await c.get(`/documents?q=${encodeURIComponent('Массовое письмо 10001')}`);
    expect(few.body).toContain('Найден 1 документ');
  });
});
