import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import sharp from 'sharp';
import { createTestApp, type Client, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { personEmails, personPhones, personPhotos, persons } from '../../src/db/schema/persons.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { bmpHeaderOnly } from '../../src/features/persons/photo/test-bmp.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const SAMPLE_BMP = readFileSync(new URL('../../src/features/import/parse/__fixtures__/photo-24bit.bmp', import.meta.url));

function multipart(fields: { name: string; filename: string; content: Buffer }[]) {
  const boundary = '----crmtest' + Math.random().toString(16).slice(2);
  const parts = fields.map((f) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.name}"; filename="${f.filename}"\r\nContent-Type: image/bmp\r\n\r\n`),
      f.content,
      Buffer.from('\r\n'),
    ]),
  );
  return { payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function upload(c: Client, personId: number, content: Buffer, filename = 'photo.bmp') {
  const m = multipart([{ name: 'photo', filename, content }]);
  return c.request({ method: 'POST', url: `/persons/${personId}/photo?_csrf=${encodeURIComponent(c.csrf)}`, payload: m.payload, headers: { 'content-type': m.contentType } });
}

const personRow = async (id: number) => (await t.database.db.select().from(persons).where(eq(persons.id, id)))[0];

const unescapeHtml = (s: string) =>
  s.replace(/&(quot|#39|lt|gt|amp);/g, (_, e: string) => ({ quot: '"', '#39': "'", lt: '<', gt: '>', amp: '&' })[e]!);

/** What a browser posts from the person form of a page, unchanged: inputs, selected options, textareas. */
function formValues(html: string): Record<string, string[]> {
  const form = /<form\b[^>]*id="person-form"[\s\S]*?<\/form>/.exec(html)![0];
  const values: Record<string, string[]> = {};
  const add = (name: string, value: string) => (values[name] ??= []).push(unescapeHtml(value));
  for (const [, attrs] of form.matchAll(/<input\b([^>]*)>/g)) {
    const name = /\bname="([^"]*)"/.exec(attrs)?.[1];
    if (name) add(name, /\bvalue="([^"]*)"/.exec(attrs)?.[1] ?? '');
  }
  for (const [, name, options] of form.matchAll(/<select\b[^>]*\bname="([^"]*)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const chosen = /<option value="([^"]*)"[^>]*\bselected/.exec(options) ?? /<option value="([^"]*)"/.exec(options);
    add(name, chosen?.[1] ?? '');
  }
  for (const [, name, text] of form.matchAll(/<textarea\b[^>]*\bname="([^"]*)"[^>]*>([\s\S]*?)<\/textarea>/g)) add(name, text);
  return values;
}

describe('person card', () => {
  it('is created with phones (kinds, shown as entered, normalized) and e-mails', async () => {
    const org = await makeOrganization(t.database.db, t.users.secretary);
    const c = await t.as('secretary');
    const form = await c.get(`/persons/new?organization=${org.id}`);
    expect(form.body).toContain(`<option value="${org.id}" selected`);
    const res = await c.post('/persons', {
      surname: 'Ёлкин', firstName: 'Пётр', patronymic: 'Семёнович', influence: '3', organizationId: org.id, jobTitle: 'Директор', gender: 'male',
      phoneKind: ['work', 'mobile', 'fax'], phoneNumber: ['8 (495) 123-45-67', '+7 916 111-22-33', ''], email: ['p.elkin@example.ru', 'P.Elkin@example.ru', ''],
      note: 'Любит <b>чай</b>',
    });
    expect(res.statusCode).toBe(303);
    const id = Number(String(res.headers.location).split('/').pop());
    expect(await personRow(id)).toMatchObject({ surname: 'Ёлкин', influence: 3, organizationId: org.id, gender: 'male', sortKey: 'елкин петр семенович' });
    const phones = await t.database.db.select().from(personPhones).where(eq(personPhones.personId, id));
    expect(phones.map((p) => [p.kind, p.number, p.e164])).toEqual([
      ['work', '8 (495) 123-45-67', '+74951234567'],
      ['mobile', '+7 916 111-22-33', '+79161112233'],
    ]);
    const emails = await t.database.db.select().from(personEmails).where(eq(personEmails.personId, id));
    expect(emails.map((e) => e.email)).toEqual(['p.elkin@example.ru']);
    const contact = await c.get(`/persons/${id}?tab=contact`);
    expect(contact.body).toContain('8 (495) 123-45-67');
    expect(contact.body).toContain('мобильный');
    const note = await c.get(`/persons/${id}?tab=note`);
    expect(note.body).toContain('Любит &lt;b&gt;чай&lt;/b&gt;');
  });

  it('refuses bad input with field errors and stores nothing', async () => {
    const c = await t.as('secretary');
    const before = (await t.database.db.select().from(persons)).length;
    for (const [form, message] of [
      [{ surname: '' }, 'Заполните это поле.'],
      [{ surname: 'Иванов', influence: '6' }, 'от -5 до 5'],
      [{ surname: 'Иванов', influence: 'abc' }, 'от -5 до 5'],
      [{ surname: 'Иванов', email: ['ivanov@'] }, 'Неверный адрес электронной почты.'],
      [{ surname: 'Иванов', phoneKind: ['work'], phoneNumber: ['12'] }, 'Неверный номер телефона.'],
      [{ surname: 'Иванов', organizationId: '999999' }, 'Выберите значение из списка.'],
      [{ surname: 'x'.repeat(201) }, 'Не длиннее 200 символов.'],
    ] as const) {
      const res = await c.post('/persons', form as Record<string, string>);
      expect(res.statusCode, JSON.stringify(form)).toBe(422);
      expect(res.body).toContain(message);
    }
    const hostile = await c.post('/persons', { surname: '<script>alert("x")</script>', influence: 'abc' });
    expect(hostile.body).toContain('&lt;script&gt;');
    expect(hostile.body).not.toContain('<script>alert');
    expect((await t.database.db.select().from(persons)).length).toBe(before);
  });

  it('has tabs that are plain URLs and htmx fragments', async () => {
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Вкладкин', note: 'Заметка про вкладки' });
    const c = await t.as('employee');
    for (const tab of ['main', 'contact', 'additional', 'note', 'groups', 'history']) {
      const page = await c.get(`/persons/${p.id}?tab=${tab}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<html');
      expect(page.body).toContain(`data-current-tab="${tab}"`);
      const frag = await c.get(`/persons/${p.id}?tab=${tab}`, { 'hx-request': 'true', 'hx-request-type': 'partial' });
      expect(frag.body).not.toContain('<html');
      expect(frag.body).toContain('id="person-tabs"');
      expect(frag.body).toContain(`data-current-tab="${tab}"`);
    }
    expect((await c.get(`/persons/${p.id}?tab=note`)).body).toContain('Заметка про вкладки');
    expect((await c.get(`/persons/${p.id}?tab=bogus`)).body).toContain('data-current-tab="main"');
  });

  it('is read-only for employees', async () => {
    const p = await makePerson(t.database.db, t.users.secretary);
    const c = await t.as('employee');
    const page = await c.get(`/persons/${p.id}?tab=additional`);
    expect(page.body).not.toContain(`/persons/${p.id}/edit`);
    expect(page.body).not.toContain('id="photo-form"');
    expect((await c.post(`/persons/${p.id}`, { surname: 'Взлом', version: p.version })).statusCode).toBe(403);
    expect((await c.post('/persons', { surname: 'Взлом' })).statusCode).toBe(403);
    expect((await upload(c, p.id, SAMPLE_BMP)).statusCode).toBe(403);
    expect((await c.post(`/persons/${p.id}/archive`)).statusCode).toBe(403);
    expect((await personRow(p.id)).surname).toBe(p.surname);
  });

  it('keeps both editors\' values on a stale save (409) and records field-level history', async () => {
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Конфликтов', jobTitle: 'Инженер' });
    const a = await t.as('secretary');
    const b = await t.as('admin');
    expect((await a.post(`/persons/${p.id}`, { surname: 'Конфликтов', jobTitle: 'Главный инженер', version: p.version })).statusCode).toBe(303);
    const stale = await b.post(`/persons/${p.id}`, { surname: 'Конфликтов', jobTitle: 'Технолог', version: p.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Главный инженер');
    expect(stale.body).toContain('value="Технолог"');
    expect((await personRow(p.id)).jobTitle).toBe('Главный инженер');
    const history = await a.get(`/persons/${p.id}?tab=history`);
    expect(history.body).toContain('Должность');
    expect(history.body).toContain('<del>Инженер</del>');
    expect(history.body).toContain('<ins>Главный инженер</ins>');
    expect(history.body).toContain('Секретарь Анна');
  });

  it('names a new workplace and a gender in the history in words, not by id or code', async () => {
    const first = await makeOrganization(t.database.db, t.users.secretary, { name: 'ООО «Прежнее место»' });
    const second = await makeOrganization(t.database.db, t.users.secretary, { name: 'ООО «Новое место»' });
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Перешедший', organizationId: first.id });
    const c = await t.as('secretary');
    expect((await c.post(`/persons/${p.id}`, { surname: 'Перешедший', organizationId: second.id, gender: 'female', version: p.version })).statusCode).toBe(303);
    const history = (await c.get(`/persons/${p.id}?tab=history`)).body;
    expect(history).toContain('<span class="field">Место работы</span>: <del>ООО «Прежнее место»</del> → <ins>ООО «Новое место»</ins>');
    expect(history).toContain('<span class="field">Пол</span>: <del>не указан</del> → <ins>женский</ins>');
  });

  it('shows on a stale save (409) only the fields the other user changed', async () => {
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Трёхполев', jobTitle: 'Инженер', note: '' });
    const a = await t.as('secretary');
    const b = await t.as('admin');
    // B opens the form; A saves a new job title meanwhile; B adds a note and a phone.
    const opened = await b.get(`/persons/${p.id}/edit`);
    const base = /name="base" value="([^"]+)"/.exec(opened.body)![1];
    expect((await a.post(`/persons/${p.id}`, { surname: 'Трёхполев', jobTitle: 'Главный инженер', version: p.version })).statusCode).toBe(303);
    const stale = await b.post(`/persons/${p.id}`, {
      surname: 'Трёхполев', jobTitle: 'Инженер', note: 'Любит чай', phoneKind: ['work', 'work'], phoneNumber: ['+7 495 123-45-67', ''], version: p.version, base,
    });
    expect(stale.statusCode).toBe(409);
    const rows = [...stale.body.matchAll(/<tr><td>([^<]*)<\/td><td class="theirs">([^<]*)<\/td><td class="yours">([^<]*)<\/td><\/tr>/g)].map((m) => m.slice(1));
    // Not the note or the phones: A never touched them (they would read "—" as A's value).
    expect(rows).toEqual([['Должность', 'Главный инженер', 'Инженер']]);
    expect(stale.body).toContain('Любит чай');
    expect(stale.body).toContain('value="+7 495 123-45-67"');
    // The page's form carries the new version and the new base: saving it again goes through.
    const again = /name="base" value="([^"]+)"/.exec(stale.body)![1];
    expect(again).not.toBe(base);
    const saved = await b.post(`/persons/${p.id}`, { surname: 'Трёхполев', jobTitle: 'Главный инженер', note: 'Любит чай', version: p.version + 1, base: again });
    expect(saved.statusCode).toBe(303);
    expect(await personRow(p.id)).toMatchObject({ jobTitle: 'Главный инженер', note: 'Любит чай' });
  });

  it('keeps exactly the entered phones and e-mails, plus one blank row, however often a save is refused', async () => {
    const c = await t.as('secretary');
    const rowsOf = (html: string) => ({
      phones: [...html.matchAll(/<input name="phoneNumber" value="([^"]*)"/g)].map((m) => m[1]),
      emails: [...html.matchAll(/<input name="email" type="email" value="([^"]*)"/g)].map((m) => m[1]),
    });
    expect(rowsOf((await c.get('/persons/new')).body)).toEqual({ phones: [''], emails: [''] });
    let form: Record<string, string | string[]> = {
      surname: '', phoneKind: ['mobile', 'work', 'work'], phoneNumber: ['+7 900 111-22-33', '', 'не номер'], email: ['', 'a@example.ru', ''],
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await c.post('/persons', form);
      expect(res.statusCode).toBe(422);
      const shown = rowsOf(res.body);
      expect(shown).toEqual({ phones: ['+7 900 111-22-33', 'не номер', ''], emails: ['a@example.ru', ''] });
      // The refused number keeps its error on its own row (the second one now), and its kind.
      const second = res.body.split('data-repeat-row').filter((r) => r.includes('name="phoneNumber"'))[1];
      expect(second).toContain('aria-invalid=true');
      expect(res.body).toMatch(/<option value="mobile" selected>/);
      // Post back what the page shows, blanks included, as a browser would.
      form = { surname: '', phoneKind: ['mobile', 'work', 'work'], phoneNumber: shown.phones, email: shown.emails };
    }
    const p = await makePerson(t.database.db, t.users.secretary, { phones: [{ kind: 'work', number: '+7 495 000-00-01' }], emails: ['x@example.ru'] });
    const edit = await c.get(`/persons/${p.id}/edit`);
    expect(rowsOf(edit.body)).toEqual({ phones: ['+7 495 000-00-01', ''], emails: ['x@example.ru', ''] });
    const refused = await c.post(`/persons/${p.id}`, { surname: '', phoneKind: ['work', 'work'], phoneNumber: ['+7 495 000-00-01', ''], email: ['x@example.ru', ''], version: p.version });
    expect(refused.statusCode).toBe(422);
    expect(rowsOf(refused.body)).toEqual({ phones: ['+7 495 000-00-01', ''], emails: ['x@example.ru', ''] });
  });

  it('archives and restores; deletes only without history, after confirmation', async () => {
    const p = await makePerson(t.database.db, t.users.secretary);
    const c = await t.as('secretary');
    expect((await c.post(`/persons/${p.id}/archive`)).statusCode).toBe(303);
    expect((await personRow(p.id)).archivedAt).not.toBeNull();
    expect((await c.post(`/persons/${p.id}/restore`)).statusCode).toBe(303);
    expect((await personRow(p.id)).archivedAt).toBeNull();
    expect((await c.post(`/persons/${p.id}/delete`, {})).statusCode).toBe(422);
    expect((await c.post(`/persons/${p.id}/delete`, { confirm: 'yes' })).statusCode).toBe(303);
    expect(await personRow(p.id)).toBeUndefined();
    const audit = await t.database.db.select().from(auditLog).where(and(eq(auditLog.entityType, 'person'), eq(auditLog.entityId, p.id)));
    expect(audit.map((a) => a.action)).toEqual(['create', 'archive', 'restore', 'delete']);
  });

  it('keeps the organization archived since, but refuses a newly chosen archived one without losing the input', async () => {
    const org = await makeOrganization(t.database.db, t.users.secretary, { name: 'ООО «Закрытая»' });
    const other = await makeOrganization(t.database.db, t.users.secretary, { name: 'ООО «Тоже закрытая»' });
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Давнишний', organizationId: org.id, jobTitle: 'Инженер' });
    const c = await t.as('secretary');
    await c.post(`/organizations/${org.id}/archive`);
    await c.post(`/organizations/${other.id}/archive`);

    const edit = await c.get(`/persons/${p.id}/edit`);
    expect(edit.body).toMatch(new RegExp(`<option value="${org.id}" selected>ООО «Закрытая»[^<]*\\(в архиве\\)`));
    const form = formValues(edit.body);
    expect(form.organizationId).toEqual([String(org.id)]);
    expect((await c.post(`/persons/${p.id}`, form)).statusCode).toBe(303);
    expect((await c.post(`/persons/${p.id}`, { ...formValues((await c.get(`/persons/${p.id}/edit`)).body), jobTitle: 'Главный инженер' })).statusCode).toBe(303);
    expect(await personRow(p.id)).toMatchObject({ organizationId: org.id, jobTitle: 'Главный инженер', version: p.version + 2 });

    const again = formValues((await c.get(`/persons/${p.id}/edit`)).body);
    const refused = await c.post(`/persons/${p.id}`, { ...again, organizationId: other.id, jobTitle: 'Технолог', note: 'Перешёл в «Тоже закрытую»' });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('Эта организация в архиве.');
    const kept = formValues(refused.body);
    expect(kept).toMatchObject({ organizationId: [String(other.id)], jobTitle: ['Технолог'], note: ['Перешёл в «Тоже закрытую»'], surname: ['Давнишний'], version: [String(p.version + 2)] });
    expect(await personRow(p.id)).toMatchObject({ organizationId: org.id, jobTitle: 'Главный инженер', note: '' });

    const english = await t.as('secretary');
    await english.post('/locale', { lang: 'en' });
    const refusedEn = await english.post(`/persons/${p.id}`, { ...again, organizationId: other.id });
    await english.post('/locale', { lang: 'ru' });
    expect(refusedEn.statusCode).toBe(422);
    expect(refusedEn.body).toContain('This organization is archived.');
  });

  it('refuses a person for an archived organization', async () => {
    const org = await makeOrganization(t.database.db, t.users.secretary);
    const c = await t.as('secretary');
    await c.post(`/organizations/${org.id}/archive`);
    const res = await c.post('/persons', { surname: 'Архивов', organizationId: org.id });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('в архиве');
  });
});

describe('person photo', () => {
  it('accepts a BMP, stores a PNG thumbnail and the original, and serves both', async () => {
    const p = await makePerson(t.database.db, t.users.secretary);
    const c = await t.as('secretary');
    const res = await upload(c, p.id, SAMPLE_BMP, 'фото сотрудника.bmp');
    expect(res.statusCode).toBe(303);
    const [photo] = await t.database.db.select().from(personPhotos).where(eq(personPhotos.personId, p.id));
    expect(photo.originalType).toBe('image/bmp');
    expect(photo.original.equals(SAMPLE_BMP)).toBe(true);
    const img = await (await t.as('employee')).get(`/persons/${p.id}/photo`);
    expect(img.statusCode).toBe(200);
    expect(img.headers['content-type']).toBe('image/png');
    const png = await sharp(img.rawPayload).metadata();
    expect(Math.max(png.width, png.height)).toBeLessThanOrEqual(320);
    expect(png.width / png.height).toBeCloseTo(120 / 160, 1);
    const card = await c.get(`/persons/${p.id}?tab=additional`);
    expect(card.body).toContain(`src="/persons/${p.id}/photo"`);
  });

  it('checks content, not the name: a renamed EXE, a truncated BMP, a 60000×60000 header, 6 MB', async () => {
    const p = await makePerson(t.database.db, t.users.secretary);
    const c = await t.as('secretary');
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00\x03\x00\x00\x00', 'binary'), Buffer.alloc(4000, 7)]);
    const cases: [Buffer, string][] = [
      [exe, 'не является изображением'],
      [SAMPLE_BMP.subarray(0, 2000), 'обрезан или повреждён'],
      [bmpHeaderOnly(60000, 60000), 'слишком большое'],
      [Buffer.alloc(6 * 1024 * 1024, 0x42), 'больше 5 мегабайт'],
    ];
    for (const [content, message] of cases) {
      const res = await upload(c, p.id, content, 'photo.bmp');
      expect(res.statusCode, message).toBe(422);
      expect(res.body).toContain(message);
    }
    expect(await t.database.db.select().from(personPhotos).where(eq(personPhotos.personId, p.id))).toEqual([]);
  });

  it('needs the CSRF token on the upload too', async () => {
    const p = await makePerson(t.database.db, t.users.secretary);
    const c = await t.as('secretary');
    const m = multipart([{ name: 'photo', filename: 'a.bmp', content: SAMPLE_BMP }]);
    const res = await c.request({ method: 'POST', url: `/persons/${p.id}/photo`, payload: m.payload, headers: { 'content-type': m.contentType } });
    expect(res.statusCode).toBe(403);
  });
});
