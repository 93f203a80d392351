import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';
import { documents } from '../../src/db/schema/documents.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { persons } from '../../src/db/schema/persons.js';
import { fields, postMultipart } from '../documents/multipart.js';

/**
 * The searchable picker of organizations and persons: more organizations than one select shows,
 * and the one that matters is named late in the alphabet.
 */
let t: TestApp;
let yashma: { id: number };
let archived: { id: number };
let yashmaPerson: { id: number };
const EARLY = 60;

beforeAll(async () => {
  t = await createTestApp();
  const db = t.database.db;
  for (let i = 0; i < EARLY; i++) await makeOrganization(db, t.users.secretary, { name: `ООО «Альфа ${String(i).padStart(2, '0')}»` });
  yashma = await makeOrganization(db, t.users.secretary, { name: 'Яшма Ёлочная' });
  archived = await makeOrganization(db, t.users.secretary, { name: 'Яшма Архивная' });
  yashmaPerson = await makePerson(db, t.users.secretary, { surname: 'Ящеров', firstName: 'Пётр', patronymic: 'Ильич', organizationId: yashma.id });
  const c = await t.as('secretary');
  expect((await c.post(`/organizations/${archived.id}/archive`)).statusCode).toBe(303);
});
afterAll(async () => t?.close());

interface Option {
  value: string;
  text: string;
  selected: boolean;
  disabled: boolean;
}

const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');

/** The options of an option list, or of the select named `name` in a page. */
function options(html: string, name?: string): Option[] {
  let body = html;
  if (name) {
    const m = new RegExp(`<select[^>]* name="${name}"[^>]*>([\\s\\S]*?)</select>`).exec(html);
    if (!m) throw new Error(`no select ${name}`);
    body = m[1];
  }
  return [...body.matchAll(/<option([^>]*)>([^<]*)<\/option>/g)].map((m) => ({
    value: /value="([^"]*)"/.exec(m[1])?.[1] ?? '',
    text: decode(m[2]).trim(),
    selected: /\bselected\b/.test(m[1]),
    disabled: /\bdisabled\b/.test(m[1]),
  }));
}
const values = (opts: Option[]) => opts.filter((o) => !o.disabled).map((o) => o.value);
const q = encodeURIComponent;

describe('choices routes', () => {
  it('offer the first 50 in alphabetical order with the blank first, and say there are more', async () => {
    const c = await t.as('employee');
    const res = await c.get('/choices/organizations');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).not.toContain('<html');
    const opts = options(res.body);
    expect(opts[0]).toEqual({ value: '', text: '—', selected: false, disabled: false });
    expect(values(opts)).toHaveLength(51);
    expect(opts[1].text).toBe('ООО «Альфа 00»');
    expect(opts[50].text).toBe('ООО «Альфа 49»');
    expect(values(opts)).not.toContain(String(yashma.id));
    expect(opts.at(-1)).toMatchObject({ disabled: true, text: '… Показаны первые 50 — уточните поиск' });
  });

  it('find a late organization by a lowercase or Ё-variant search, archived ones left out', async () => {
    const c = await t.as('employee');
    for (const find of ['яшм', 'ЯШМА ЕЛОЧ', 'ёлочная', 'Елочн']) {
      const opts = options((await c.get(`/choices/organizations?find=${q(find)}`)).body);
      expect(values(opts), find).toEqual(['', String(yashma.id)]);
      expect(opts[1].text).toBe('Яшма Ёлочная');
    }
    const none = options((await c.get(`/choices/organizations?find=${q('нет такой')}`)).body);
    expect(none.map((o) => o.text)).toEqual(['—', 'Ничего не найдено']);
    expect(none[1].disabled).toBe(true);
  });

  it('keep the selected one among the options, first after the blank, even when archived', async () => {
    const c = await t.as('employee');
    const opts = options((await c.get(`/choices/organizations?selected=${yashma.id}`)).body);
    expect(opts[1]).toMatchObject({ value: String(yashma.id), selected: true });
    expect(values(opts)).toHaveLength(52);
    expect(opts.filter((o) => o.selected)).toHaveLength(1);
    const kept = options((await c.get(`/choices/organizations?find=${q('альфа 07')}&selected=${archived.id}`)).body);
    expect(kept.map((o) => [o.text, o.selected])).toEqual([
      ['—', false],
      ['Яшма Архивная (в архиве)', true],
      ['ООО «Альфа 07»', false],
    ]);
    // Among the matches it keeps its place, and is not repeated.
    const inPlace = options((await c.get(`/choices/organizations?find=${q('альфа 0')}&selected=${yashma.id}`)).body);
    expect(values(inPlace)).toHaveLength(12);
    expect(inPlace.filter((o) => o.value === String(yashma.id))).toHaveLength(1);
  });

  it("read the form's own names when told the field, and say 'any' for a filter", async () => {
    const c = await t.as('employee');
    const someAlfa = options((await c.get(`/choices/organizations?find=${q('альфа 03')}`)).body)[1].value;
    const res = await c.get(`/choices/organizations?field=organization&blank=any&organization_find=${q('ЯШМ')}&organization=${someAlfa}`);
    const opts = options(res.body);
    expect(opts.map((o) => [o.value, o.selected])).toEqual([
      ['', false],
      [someAlfa, true],
      [String(yashma.id), false],
    ]);
    expect(opts[0].text).toBe('любая');
  });

  it('show persons as "Фамилия Имя Отчество — Организация", found by their organization too', async () => {
    const c = await t.as('employee');
    for (const find of ['ящеров', 'яшма ёлочная', 'ПЕТР']) {
      const opts = options((await c.get(`/choices/persons?find=${q(find)}`)).body);
      expect(opts.find((o) => o.value === String(yashmaPerson.id))?.text, find).toBe('Ящеров Пётр Ильич — Яшма Ёлочная');
    }
    const byField = options((await c.get(`/choices/persons?field=personId&personId_find=&personId=${yashmaPerson.id}`)).body);
    expect(byField.find((o) => o.selected)?.value).toBe(String(yashmaPerson.id));
  });

  it('answer hostile input with a sane list, and refuse an overlong one', async () => {
    const c = await t.as('employee');
    for (const find of ['%', '_', '\\', "'; drop table organizations; --", '<script>alert(1)</script>', 'я'.repeat(500), 'x'.repeat(500)]) {
      const res = await c.get(`/choices/organizations?find=${q(find)}`);
      expect(res.statusCode, find.slice(0, 20)).toBe(200);
      expect(values(options(res.body)), find.slice(0, 20)).toEqual(['']);
      expect(res.body).not.toContain('<script>');
    }
    for (const url of [`/choices/organizations?find=${'x'.repeat(501)}`, `/choices/persons?selected=${'1'.repeat(13)}`]) {
      expect((await c.get(url)).statusCode).toBe(422);
    }
    // Out of shape (not an id, a field name with markup): refused at the edge, naming the parameter.
    for (const url of ['/choices/organizations?selected=abc', '/choices/organizations?selected=-1', '/choices/organizations?field=x%3Cy&blank=%3Cb%3E']) {
      const res = await c.get(url);
      expect(res.statusCode, url).toBe(422);
      expect(res.body).not.toContain('<b>');
    }
    // An id of the right shape that names nothing: the list as usual.
    for (const url of ['/choices/organizations?selected=99999999']) {
      const res = await c.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(values(options(res.body))).toHaveLength(51);
    }
    expect((await t.database.db.select().from(organizations)).length).toBe(EARLY + 2);
  });

  it('need a signed-in user', async () => {
    const res = await t.anonymous().get('/choices/organizations?find=яшм');
    expect(res.statusCode).toBe(303);
    expect(String(res.headers.location)).toMatch(/^\/login\?/);
  });
});

describe('the forms', () => {
  it('register a document with the late organization, the form coming back with the matches when incomplete', async () => {
    const c = await t.as('secretary');
    const form = await c.get('/documents/new');
    expect(values(options(form.body, 'organizationId'))).toHaveLength(51);
    expect(form.body).toContain('name="organizationId_find"');
    expect(form.body).toContain('aria-label="Найти организацию…"');
    expect(form.body).toContain('aria-label="Найти контактное лицо…"');
    // Without JavaScript: the search text goes with the form, which comes back offering its matches.
    const bad = await postMultipart(c, '/documents', fields({ direction: 'incoming', regDate: '2035-01-10', subject: '', organizationId: '', organizationId_find: 'ЯШМ', personId_find: 'ящеров' }));
    expect(bad.statusCode).toBe(422);
    expect(values(options(bad.body, 'organizationId'))).toEqual(['', String(yashma.id)]);
    expect(values(options(bad.body, 'personId'))).toEqual(['', String(yashmaPerson.id)]);
    expect(bad.body).toContain('name="organizationId_find" value="ЯШМ"');
    const res = await postMultipart(c, '/documents', fields({ direction: 'incoming', regDate: '2035-01-10', subject: 'Письмо от Яшмы', organizationId: yashma.id, organizationId_find: 'ЯШМ', personId_find: '' }));
    expect(res.statusCode).toBe(303);
    const id = Number(String(res.headers.location).split('/').pop());
    const [row] = await t.database.db.select().from(documents).where(eq(documents.id, id));
    expect(row).toMatchObject({ organizationId: yashma.id, personId: null, subject: 'Письмо от Яшмы' });
    // The edit form holds it although it is not among the first 50.
    const edit = await c.get(`/documents/${id}/edit`);
    expect(options(edit.body, 'organizationId').find((o) => o.selected)?.value).toBe(String(yashma.id));
    const saved = await c.post(`/documents/${id}`, { regDate: '2035-01-11', subject: 'Письмо от Яшмы', organizationId: yashma.id, organizationId_find: 'яшм', personId_find: '', version: row.version });
    expect(saved.statusCode).toBe(303);
    // A stale save (409) comes back with the matches and the counterparty by name.
    const stale = await c.post(`/documents/${id}`, { regDate: '2035-01-11', subject: 'Другая тема', organizationId: yashma.id, personId: yashmaPerson.id, personId_find: 'ЯЩЕР', version: row.version });
    expect(stale.statusCode).toBe(409);
    expect(values(options(stale.body, 'personId'))).toEqual(['', String(yashmaPerson.id)]);
    expect(stale.body).toContain('<td class="yours">Ящеров Пётр Ильич</td>');
  });

  it("make the late organization a person's place of work", async () => {
    const c = await t.as('secretary');
    const bad = await c.post('/persons', { surname: '', organizationId: '', organizationId_find: 'ёлочн' });
    expect(bad.statusCode).toBe(422);
    expect(values(options(bad.body, 'organizationId'))).toEqual(['', String(yashma.id)]);
    const res = await c.post('/persons', { surname: 'Самоцветов', organizationId: yashma.id, organizationId_find: 'ёлочн' });
    expect(res.statusCode).toBe(303);
    const id = Number(String(res.headers.location).split('/').pop());
    const [row] = await t.database.db.select().from(persons).where(eq(persons.id, id));
    expect(row.organizationId).toBe(yashma.id);
    const edit = await c.get(`/persons/${id}/edit`);
    expect(options(edit.body, 'organizationId').find((o) => o.selected)?.text).toBe('Яшма Ёлочная');
    const prefilled = await c.get(`/persons/new?organization=${yashma.id}`);
    expect(options(prefilled.body, 'organizationId').find((o) => o.selected)?.value).toBe(String(yashma.id));
  });

  it('filter the register by the late organization, also without JavaScript', async () => {
    const doc = await makeDocument(t.database.db, t.users.secretary, { organizationId: yashma.id, subject: 'Реестр Яшмы', regDate: '2036-02-02' });
    const c = await t.as('employee');
    const page = await c.get('/documents');
    const all = options(page.body, 'organization');
    expect(values(all)).toHaveLength(51);
    expect(all[0].text).toBe('любая');
    expect(page.body).toContain('name="organization_find"');
    // The no-JS search: the filter form sent with only the search text.
    const found = await c.get(`/documents?direction=&from=&to=&organization=&organization_find=${q('яшм')}&q=`);
    expect(found.statusCode).toBe(200);
    expect(values(options(found.body, 'organization'))).toEqual(['', String(yashma.id)]);
    expect(found.body).toContain('name="organization_find" value="яшм"');
    const filtered = await c.get(`/documents?organization=${yashma.id}&organization_find=${q('яшм')}`);
    expect(options(filtered.body, 'organization').find((o) => o.selected)?.value).toBe(String(yashma.id));
    expect(filtered.body).toContain(doc.regNumber);
    expect(filtered.body).toContain('Найдено 2 документа');
    // The htmx fragment is the list alone, without the picker.
    const frag = await c.get(`/documents?organization=${yashma.id}&organization_find=x`, { 'hx-request': 'true', 'hx-request-type': 'partial' });
    expect(frag.body).toContain(doc.regNumber);
    expect(frag.body).not.toContain('organization_find');
    expect((await c.get(`/documents?organization_find=${'я'.repeat(501)}`)).statusCode).toBe(422);
  });

  it('give employees the choices but none of the forms they could not post before', async () => {
    const c = await t.as('employee');
    expect((await c.get(`/choices/persons?find=${q('ящеров')}`)).statusCode).toBe(200);
    expect((await c.get('/documents/new')).statusCode).toBe(403);
    expect((await c.get('/persons/new')).statusCode).toBe(403);
    const before = (await t.database.db.select().from(documents)).length;
    const post = await postMultipart(c, '/documents', fields({ direction: 'incoming', regDate: '2035-01-10', subject: 'Взлом', organizationId: yashma.id, organizationId_find: 'яшм' }));
    expect(post.statusCode).toBe(403);
    expect((await c.post('/persons', { surname: 'Взлом', organizationId: yashma.id, organizationId_find: 'яшм' })).statusCode).toBe(403);
    expect((await t.database.db.select().from(documents)).length).toBe(before);
  });
});
