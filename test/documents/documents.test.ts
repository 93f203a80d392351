import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';
import { documentCounters, documentFiles, documents } from '../../src/db/schema/documents.js';
import { auditLog } from '../../src/db/schema/audit.js';
import { groupMemberships, mailingGroups, membershipDocuments } from '../../src/db/schema/groups.js';
import { registerDocument } from '../../src/features/documents/service.js';
import { fields, makePdf, postMultipart } from './multipart.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const db = () => t.database.db;
const YEAR = new Date().getFullYear();
const docRow = async (id: number) => (await db().select().from(documents).where(eq(documents.id, id)))[0];
const countRows = async () => (await db().select({ n: sql<number>`count(*)::int` }).from(documents))[0].n;
const counter = async (direction: 'incoming' | 'outgoing', year: number) =>
  (await db().select().from(documentCounters).where(and(eq(documentCounters.direction, direction), eq(documentCounters.year, year))))[0]?.lastSeq ?? 0;
const idFrom = (location: unknown) => Number(String(location).split('/').pop());

describe('registration', () => {
  it('numbers incoming and outgoing documents per direction and year, and records the audit entry', async () => {
    const org = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Нумерация»' });
    const c = await t.as('secretary');
    const form = { organizationId: org.id, regDate: '2019-03-15', senderNumber: '17/2-к', senderDate: '2019-03-11', subject: 'Запрос коммерческого предложения' };
    const a = await postMultipart(c, '/documents', fields({ ...form, direction: 'incoming' }));
    expect(a.statusCode).toBe(303);
    const b = await postMultipart(c, '/documents', fields({ ...form, direction: 'outgoing', senderDate: '2019-03-20' }));
    const d = await postMultipart(c, '/documents', fields({ ...form, direction: 'incoming', regDate: '15.04.2019' }));
    const e = await postMultipart(c, '/documents', fields({ ...form, direction: 'incoming', regDate: '2020-01-09' }));
    const rows = await Promise.all([a, b, d, e].map((r) => docRow(idFrom(r.headers.location))));
    expect(rows.map((r) => r.regNumber)).toEqual(['Вх-2019/000001', 'Исх-2019/000001', 'Вх-2019/000002', 'Вх-2020/000001']);
    expect(rows[2]).toMatchObject({ direction: 'incoming', regYear: 2019, regSeq: 2, regDate: '2019-04-15', senderNumber: '17/2-к', senderDate: '2019-03-11', organizationId: org.id, personId: null });
    expect(rows[0].searchText).toBe('вх-2019/000001 запрос коммерческого предложения 17/2-к');
    const page = await c.get(String(a.headers.location));
    expect(page.body).toContain('Документ зарегистрирован под номером Вх-2019/000001.');
    expect(page.body).toContain('Запрос коммерческого предложения');
    expect(page.body).toContain('15.03.2019');
    expect(page.body).toContain(`href="/organizations/${org.id}"`);
    const [audit] = await db().select().from(auditLog).where(and(eq(auditLog.entityType, 'document'), eq(auditLog.entityId, rows[0].id)));
    expect(audit.action).toBe('create');
    expect(audit.changes).toMatchObject({ regNumber: [null, 'Вх-2019/000001'], documentOrganization: [null, 'ООО «Нумерация»'] });
  });

  it('gives 50 concurrent registrations through the routes 50 distinct consecutive numbers', async () => {
    const person = await makePerson(db(), t.users.secretary);
    const c = await t.as('secretary');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => c.post('/documents', { direction: 'outgoing', regDate: '2031-06-01', subject: `Параллельное письмо ${i}`, personId: person.id })),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(50).fill(303));
    const rows = await db().select().from(documents).where(and(eq(documents.regYear, 2031), eq(documents.direction, 'outgoing')));
    expect(rows.length).toBe(50);
    expect(rows.map((r) => r.regSeq).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.regNumber)).size).toBe(50);
    expect(rows.map((r) => r.regNumber)).toContain('Исх-2031/000050');
    expect(await counter('outgoing', 2031)).toBe(50);
  });

  it('gives 50 concurrent service registrations (with files) distinct consecutive numbers', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        makeDocument(db(), t.users.secretary, { organizationId: org.id, regDate: '2032-01-10', subject: `Пакет ${i}` }, [
          { fileName: `${i}.txt`, contentType: 'text/plain; charset=utf-8', size: 1, sha256: 'x', content: Buffer.from('x') },
        ]),
      ),
    );
    expect(results.map((r) => r.regSeq).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(await counter('incoming', 2032)).toBe(50);
  });

  it('leaves no committed gap when a registration fails after taking its number', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    await makeDocument(db(), t.users.secretary, { organizationId: org.id, regDate: '2033-02-01' });
    const input = { direction: 'incoming' as const, regDate: '2033-02-02', senderNumber: '', senderDate: null, subject: 'Сбой', summary: '', note: '', organizationId: 99999999, personId: null };
    await expect(registerDocument(db(), t.users.secretary, input)).rejects.toThrow();
    expect(await counter('incoming', 2033)).toBe(1);
    const next = await makeDocument(db(), t.users.secretary, { organizationId: org.id, regDate: '2033-02-03' });
    expect(next.regNumber).toBe('Вх-2033/000002');
  });

  it('refuses bad input with field errors and saves nothing', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    const archivedOrg = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Архивная»' });
    const person = await makePerson(db(), t.users.secretary);
    const c = await t.as('secretary');
    await c.post(`/organizations/${archivedOrg.id}/archive`);
    await c.post(`/persons/${person.id}/archive`);
    const before = await countRows();
    const counterBefore = await counter('incoming', 2034);
    const ok = { direction: 'incoming', regDate: '2034-05-05', subject: 'Письмо', organizationId: org.id };
    for (const [form, message] of [
      [{ ...ok, subject: '   ' }, 'Заполните это поле.'],
      [{ ...ok, regDate: '20260-01-15' }, 'год — от 1900 до 2100'],
      [{ ...ok, regDate: '2034-02-30' }, 'Введите дату в формате ДД.ММ.ГГГГ'],
      [{ ...ok, regDate: '' }, 'Заполните это поле.'],
      [{ ...ok, senderDate: '1899-12-31' }, 'год — от 1900 до 2100'],
      [{ ...ok, senderDate: '2034-05-06' }, 'не может быть позже даты регистрации'],
      [{ ...ok, organizationId: '' }, 'Укажите организацию или контактное лицо.'],
      [{ ...ok, organizationId: archivedOrg.id }, 'Эта организация в архиве.'],
      [{ ...ok, organizationId: '', personId: person.id }, 'Это контактное лицо в архиве.'],
      [{ ...ok, organizationId: 99999999 }, 'Выберите значение из списка.'],
      [{ ...ok, direction: 'sideways' }, 'Выберите значение из списка.'],
      [{ ...ok, subject: 'x'.repeat(1001) }, 'Не длиннее 1\u00a0000 символов.'],
    ] as const) {
      const res = await postMultipart(c, '/documents', fields(form as Record<string, string>));
      expect(res.statusCode, JSON.stringify(form)).toBe(422);
      expect(res.body, JSON.stringify(form)).toContain(message);
      expect(res.body).toContain('id="document-form"');
    }
    // The form comes back with what was typed, escaped.
    const hostile = await postMultipart(c, '/documents', fields({ ...ok, subject: '<script>alert(1)</script>', regDate: '20260-01-15' }));
    expect(hostile.body).toContain('value="&lt;script&gt;alert(1)&lt;/script&gt;"');
    expect(hostile.body).not.toContain('<script>alert');
    expect(await countRows()).toBe(before);
    expect(await counter('incoming', 2034)).toBe(counterBefore);
  });

  it('is refused to employees (403), who can still read', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    const doc = await makeDocument(db(), t.users.secretary, { organizationId: org.id, subject: 'Только для чтения' }, []);
    const c = await t.as('employee');
    const before = await countRows();
    expect((await c.get('/documents/new')).statusCode).toBe(403);
    expect((await c.post('/documents', { direction: 'incoming', regDate: '2034-01-01', subject: 'Взлом', organizationId: org.id })).statusCode).toBe(403);
    expect((await postMultipart(c, '/documents', fields({ direction: 'incoming', regDate: '2034-01-01', subject: 'Взлом', organizationId: org.id }))).statusCode).toBe(403);
    expect((await c.get(`/documents/${doc.id}/edit`)).statusCode).toBe(403);
    expect((await c.post(`/documents/${doc.id}`, { subject: 'Взлом', regDate: doc.regDate, organizationId: org.id, version: doc.version })).statusCode).toBe(403);
    expect((await postMultipart(c, `/documents/${doc.id}/files`, [{ name: 'files', filename: 'a.txt', content: Buffer.from('a') }])).statusCode).toBe(403);
    expect(await countRows()).toBe(before);
    expect((await docRow(doc.id)).subject).toBe('Только для чтения');
    const page = await c.get(`/documents/${doc.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Только для чтения');
    expect(page.body).not.toContain(`/documents/${doc.id}/edit`);
    expect(page.body).not.toContain('id="files-form"');
    expect((await c.get('/documents')).body).not.toContain('data-action="register-incoming"');
  });

  it('needs the CSRF token on the multipart form', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    const c = await t.as('secretary');
    const before = await countRows();
    const { multipart } = await import('./multipart.js');
    const m = multipart(fields({ direction: 'incoming', regDate: '2034-01-01', subject: 'Без токена', organizationId: org.id }));
    const res = await c.request({ method: 'POST', url: '/documents', payload: m.payload, headers: { 'content-type': m.contentType } });
    expect(res.statusCode).toBe(403);
    expect(await countRows()).toBe(before);
  });
});

describe('files', () => {
  it('stores the files with sniffed types and serves the exact bytes with a safe Content-Disposition', async () => {
    const person = await makePerson(db(), t.users.secretary, { surname: 'Файлов' });
    const c = await t.as('secretary');
    const pdf = makePdf(['Test letter']);
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    const cyrillic = 'Я'.repeat(300) + '.pdf';
    const res = await postMultipart(c, '/documents', [
      ...fields({ direction: 'incoming', regDate: '2035-01-20', subject: 'Письмо с вложениями', personId: person.id }),
      { name: 'files', filename: 'Письмо от 20.01 (скан).pdf', content: pdf, type: 'text/html' },
      { name: 'files', filename: '../../etc/passwd', content: png, type: 'image/png' },
      { name: 'files', filename: 'счёт\u0001\u0007 «2035».pdf', content: html, type: 'application/pdf' },
      { name: 'files', filename: cyrillic, content: pdf },
      { name: 'files', filename: '', content: Buffer.alloc(0) },
    ]);
    expect(res.statusCode).toBe(303);
    const id = idFrom(res.headers.location);
    const stored = await db().select().from(documentFiles).where(eq(documentFiles.documentId, id)).orderBy(documentFiles.id);
    expect(stored.map((f) => [f.fileName.slice(0, 30), f.contentType, f.size])).toEqual([
      ['Письмо от 20.01 (скан).pdf', 'application/pdf', pdf.length],
      ['passwd', 'image/png', png.length],
      ['счёт «2035».pdf', 'text/plain; charset=utf-8', html.length],
      ['Я'.repeat(30), 'application/pdf', pdf.length],
    ]);
    expect([...stored[3].fileName].length).toBe(200);
    expect(stored[3].fileName.endsWith('Я.pdf')).toBe(true);
    for (const f of stored) {
      expect(f.fileName).not.toMatch(/[\u0000-\u001f/\\]/);
      expect(f.fileName.startsWith('.')).toBe(false);
    }

    const e = await t.as('employee');
    const dl = await e.get(`/documents/${id}/files/${stored[0].id}`);
    expect(dl.statusCode).toBe(200);
    expect(dl.rawPayload.equals(pdf)).toBe(true);
    expect(dl.headers['content-type']).toBe('application/pdf');
    expect(dl.headers['x-content-type-options']).toBe('nosniff');
    const cd = String(dl.headers['content-disposition']);
    expect(cd).toMatch(/^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''[A-Za-z0-9%!#$&+\-.^_`|~]+$/);
    expect(cd).toContain('filename="Pismo ot 20.01 (skan).pdf"');
    expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(cd)![1])).toBe('Письмо от 20.01 (скан).pdf');

    const long = await e.get(`/documents/${id}/files/${stored[3].id}`);
    expect(decodeURIComponent(/filename\*=UTF-8''(.+)$/.exec(String(long.headers['content-disposition']))![1])).toBe(stored[3].fileName);

    // Inline only for PDF and images; the HTML uploaded as "PDF" is a text attachment.
    expect(String((await e.get(`/documents/${id}/files/${stored[0].id}?inline=1`)).headers['content-disposition'])).toMatch(/^inline;/);
    expect(String((await e.get(`/documents/${id}/files/${stored[1].id}?inline=1`)).headers['content-disposition'])).toMatch(/^inline;/);
    const fake = await e.get(`/documents/${id}/files/${stored[2].id}?inline=1`);
    expect(String(fake.headers['content-disposition'])).toMatch(/^attachment;/);
    expect(fake.headers['content-type']).toBe('text/plain; charset=utf-8');

    // A file id under another document is not found.
    const other = await makeDocument(db(), t.users.secretary, { personId: person.id });
    expect((await e.get(`/documents/${other.id}/files/${stored[0].id}`)).statusCode).toBe(404);

    const page = await e.get(`/documents/${id}`);
    expect(page.body).toContain('Письмо от 20.01 (скан).pdf');
    expect(page.body).toContain(`href="/documents/${id}/files/${stored[0].id}?inline=1"`);
    expect(page.body).not.toContain(`href="/documents/${id}/files/${stored[2].id}?inline=1"`);
  });

  it('refuses an empty file and a file over the limit, and saves nothing of the document', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    const c = await t.as('secretary');
    const before = await countRows();
    const filesBefore = (await db().select({ n: sql<number>`count(*)::int` }).from(documentFiles))[0].n;
    const form = fields({ direction: 'incoming', regDate: '2036-01-01', subject: 'Вложения с ошибкой', organizationId: org.id, note: 'Заметка' });
    const empty = await postMultipart(c, '/documents', [...form, { name: 'files', filename: 'пусто.pdf', content: Buffer.alloc(0) }]);
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('Файл «пусто.pdf» пустой (0 байт).');
    expect(empty.body).toContain('value="Вложения с ошибкой"');
    expect(empty.body).toContain('data-testid="files-lost"');

    const big = Buffer.alloc(21 * 1024 * 1024, 0x41);
    const tooBig = await postMultipart(c, '/documents', [{ name: 'files', filename: 'огромный.pdf', content: big }, ...form]);
    expect(tooBig.statusCode).toBe(422);
    expect(tooBig.body).toContain('Файл «огромный.pdf» больше 20 МБ.');
    // Fields after the rejected file were still read.
    expect(tooBig.body).toContain('Заметка');

    const chunk = Buffer.alloc(18 * 1024 * 1024, 0x42);
    const total = await postMultipart(c, '/documents', [
      ...form,
      { name: 'files', filename: 'a.txt', content: chunk },
      { name: 'files', filename: 'b.txt', content: chunk },
      { name: 'files', filename: 'c.txt', content: chunk },
    ]);
    expect(total.statusCode).toBe(422);
    expect(total.body).toContain('вместе не могут быть больше 50 МБ');

    const many = await postMultipart(c, '/documents', [...form, ...Array.from({ length: 21 }, (_, i) => ({ name: 'files', filename: `${i}.txt`, content: Buffer.from('x') }))]);
    expect(many.statusCode).toBe(422);
    expect(many.body).toContain('Не больше 20 файлов за один раз.');

    expect(await countRows()).toBe(before);
    expect((await db().select({ n: sql<number>`count(*)::int` }).from(documentFiles))[0].n).toBe(filesBefore);
    expect(await counter('incoming', 2036)).toBe(0);
  });

  it('adds and removes files on an existing document, in its history', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    const doc = await makeDocument(db(), t.users.secretary, { organizationId: org.id, subject: 'Договор поставки' });
    const c = await t.as('secretary');
    const add = await postMultipart(c, `/documents/${doc.id}/files`, [
      { name: 'files', filename: 'договор.docx', content: Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('word/document.xml'), Buffer.alloc(100)]) },
      { name: 'files', filename: 'приложение.txt', content: Buffer.from('Приложение 1', 'utf8') },
    ]);
    expect(add.statusCode).toBe(303);
    const files = await db().select().from(documentFiles).where(eq(documentFiles.documentId, doc.id)).orderBy(documentFiles.id);
    expect(files.map((f) => [f.fileName, f.contentType])).toEqual([
      ['договор.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
      ['приложение.txt', 'text/plain; charset=utf-8'],
    ]);
    const none = await postMultipart(c, `/documents/${doc.id}/files`, [{ name: 'files', filename: '', content: Buffer.alloc(0) }]);
    expect(none.statusCode).toBe(422);
    expect(none.body).toContain('Выберите файлы.');
    const empty = await postMultipart(c, `/documents/${doc.id}/files`, [{ name: 'files', filename: 'ноль.txt', content: Buffer.alloc(0) }]);
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('Файл «ноль.txt» пустой');

    expect((await c.post(`/documents/${doc.id}/files/${files[1].id}/delete`)).statusCode).toBe(303);
    expect((await db().select().from(documentFiles).where(eq(documentFiles.documentId, doc.id))).map((f) => f.fileName)).toEqual(['договор.docx']);
    expect((await c.post(`/documents/${doc.id}/files/${files[1].id}/delete`)).statusCode).toBe(404);
    // Files do not bump the version an open edit form holds.
    expect((await docRow(doc.id)).version).toBe(doc.version);
    const page = await c.get(`/documents/${doc.id}`);
    expect(page.body).toContain('<ins>договор.docx, приложение.txt</ins>');
    expect(page.body).toContain('<del>договор.docx, приложение.txt</del>');
  });
});

describe('editing', () => {
  it('saves with the version, keeps the number, and shows both values on a stale save (409)', async () => {
    const org = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Правки»' });
    const org2 = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Другая»' });
    const doc = await makeDocument(db(), t.users.secretary, { organizationId: org.id, regDate: '2037-03-01', subject: 'Исходная тема' });
    const a = await t.as('secretary');
    const b = await t.as('admin');
    const form = await a.get(`/documents/${doc.id}/edit`);
    expect(form.body).toContain('value="Исходная тема"');
    expect(form.body).toContain('Вх-2037/000001');
    const openedBase = /name="base" value="([^"]+)"/.exec((await b.get(`/documents/${doc.id}/edit`)).body)![1];
    const saved = await a.post(`/documents/${doc.id}`, { regDate: '2037-03-02', subject: 'Тема от секретаря', organizationId: org2.id, direction: 'outgoing', version: doc.version });
    expect(saved.statusCode).toBe(303);
    expect(await docRow(doc.id)).toMatchObject({ subject: 'Тема от секретаря', direction: 'incoming', regNumber: 'Вх-2037/000001', regDate: '2037-03-02', organizationId: org2.id, version: doc.version + 1 });
    expect((await docRow(doc.id)).searchText).toContain('тема от секретаря');

    const stale = await b.post(`/documents/${doc.id}`, { regDate: '2037-03-01', subject: 'Тема от администратора', organizationId: org.id, version: doc.version });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('Тема от секретаря');
    expect(stale.body).toContain('value="Тема от администратора"');
    expect(stale.body).toContain('ООО «Другая»');
    expect(stale.body).toContain(`name="version" value="${doc.version + 1}"`);
    expect((await docRow(doc.id)).subject).toBe('Тема от секретаря');

    // Opened before the secretary's save, the administrator's form names only what she changed,
    // her organization by its name.
    const stale2 = await b.post(`/documents/${doc.id}`, {
      regDate: '2037-03-02', subject: 'Тема от секретаря', organizationId: org.id, note: 'Заметка администратора', direction: 'outgoing', version: doc.version, base: openedBase,
    });
    expect(stale2.statusCode).toBe(409);
    const rows = [...stale2.body.matchAll(/<tr><td>([^<]*)<\/td><td class="theirs">([^<]*)<\/td><td class="yours">([^<]*)<\/td><\/tr>/g)].map((m) => m.slice(1));
    expect(rows).toEqual([['Организация', 'ООО «Другая»', 'ООО «Правки»']]);

    const wrongYear = await a.post(`/documents/${doc.id}`, { regDate: '2038-01-01', subject: 'x', organizationId: org.id, version: doc.version + 1 });
    expect(wrongYear.statusCode).toBe(422);
    expect(wrongYear.body).toContain('выдан на 2037 год');

    const page = await a.get(`/documents/${doc.id}`);
    expect(page.body).toContain('<del>Исходная тема</del>');
    expect(page.body).toContain('<ins>Тема от секретаря</ins>');
    expect(page.body).toContain('<ins>ООО «Другая»</ins>');
  });

  it('keeps a counterparty archived since registration, but refuses a newly chosen archived one', async () => {
    const org = await makeOrganization(db(), t.users.secretary);
    const other = await makeOrganization(db(), t.users.secretary);
    const doc = await makeDocument(db(), t.users.secretary, { organizationId: org.id, regDate: '2037-05-01' });
    const c = await t.as('secretary');
    await c.post(`/organizations/${org.id}/archive`);
    await c.post(`/organizations/${other.id}/archive`);
    const edit = await c.get(`/documents/${doc.id}/edit`);
    expect(edit.body).toContain(`<option value="${org.id}" selected`);
    expect((await c.post(`/documents/${doc.id}`, { regDate: '2037-05-01', subject: 'Старая организация', organizationId: org.id, version: doc.version })).statusCode).toBe(303);
    const refused = await c.post(`/documents/${doc.id}`, { regDate: '2037-05-01', subject: 'Другая', organizationId: other.id, version: doc.version + 1 });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('Эта организация в архиве.');
  });
});

describe('document page', () => {
  it('shows the memberships that cite the document, with links to the groups', async () => {
    const person = await makePerson(db(), t.users.secretary, { surname: 'Цитатов' });
    const doc = await makeDocument(db(), t.users.secretary, { personId: person.id, subject: 'Рекламация' });
    const [group] = await db().insert(mailingGroups).values({ name: 'Чёрный список', sortKey: 'черный список' }).returning();
    const groupId = group.id;
    const [membership] = await db().insert(groupMemberships).values({ groupId, personId: person.id, reason: 'Три рекламации подряд' }).returning();
    await db().insert(membershipDocuments).values({ membershipId: membership.id, documentId: doc.id });
    const page = await (await t.as('employee')).get(`/documents/${doc.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`<a href="/groups/${groupId}">Чёрный список</a>`);
    expect(page.body).toContain('Три рекламации подряд');
    expect(page.body).toContain(`data-membership="${membership.id}"`);
    const plain = await makeDocument(db(), t.users.secretary, { personId: person.id });
    expect((await (await t.as('employee')).get(`/documents/${plain.id}`)).body).toContain('Ни одно участие в группах рассылки не ссылается на этот документ.');
  });

  it('answers 404 for missing documents and files', async () => {
    const c = await t.as('secretary');
    expect((await c.get('/documents/99999999')).statusCode).toBe(404);
    expect((await c.get('/documents/99999999/files/1')).statusCode).toBe(404);
    expect((await c.post('/documents/99999999', { subject: 'x' })).statusCode).toBe(404);
    expect((await c.get('/persons/99999999/correspondence')).statusCode).toBe(404);
    expect((await c.get('/organizations/99999999/correspondence')).statusCode).toBe(404);
  });
});
