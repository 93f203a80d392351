import { Writable } from 'node:stream';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { importBatches } from '../../src/db/schema/imports.js';
import { mailingGroups } from '../../src/db/schema/groups.js';
import { persons } from '../../src/db/schema/persons.js';
import { assetUrl, HTMX_URL } from '../../src/plugins/static.js';
import { Client, createTestApp, PASSWORD, type TestApp } from '../helpers/app.js';
import { freshDatabase } from '../helpers/db.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { multipart, upload } from '../import/helpers.js';

/** Issue 14, findings 2, 5 and 6: bad input answered at the edge, CSRF bound to the session, caching, file names. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

const RAW_JSON = /"statusCode"\s*:/;

function expectLocalizedPage(res: { statusCode: number; body: string; headers: Record<string, unknown> }, status: number) {
  expect(res.statusCode, res.body.slice(0, 300)).toBe(status);
  expect(res.body).not.toMatch(RAW_JSON);
  expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
}

describe('errors never come out as Fastify JSON', () => {
  it('a malformed URL (FST_ERR_BAD_URL) gets a localized page, in Russian or English', async () => {
    const c = t.anonymous();
    const ru = await c.get('/contacts/%');
    expectLocalizedPage(ru, 400);
    expect(ru.body).toContain('Адрес страницы записан неверно');
    const en = await c.get('/%E0%A4%A', { 'accept-language': 'en' });
    expectLocalizedPage(en, 400);
    expect(en.body).toContain('The page address is malformed');
  });

  it('bad content types, a multipart body without boundary, malformed JSON, a body too large, an unknown route', async () => {
    const c = await t.as('secretary');
    const person = await makePerson(t.database.db, t.users.secretary);
    const cases: [string, string, Record<string, string>, string | Buffer, number][] = [
      // Fastify parses text/plain itself: the form's token is then missing, so CSRF refuses it.
      ['POST', '/groups', { 'content-type': 'text/plain' }, 'x', 403],
      ['POST', '/groups', { 'content-type': 'application/json' }, '{"name":', 400],
      ['POST', '/groups', { 'content-type': 'application/xml' }, '<a/>', 415],
      ['POST', `/persons/${person.id}/photo?_csrf=${encodeURIComponent(c.csrf)}`, { 'content-type': 'multipart/form-data' }, 'xxxx', 400],
      ['POST', `/persons/${person.id}/photo?_csrf=${encodeURIComponent(c.csrf)}`, { 'content-type': 'multipart/form-data; boundary=zzz' }, 'garbage', 400],
      ['POST', `/documents?_csrf=${encodeURIComponent(c.csrf)}`, { 'content-type': 'multipart/form-data' }, 'xxxx', 400],
      ['POST', `/import?_csrf=${encodeURIComponent(c.csrf)}`, { 'content-type': 'multipart/form-data' }, 'xxxx', 400],
      ['POST', '/groups', { 'content-type': 'application/x-www-form-urlencoded' }, Buffer.alloc(2 * 1024 * 1024, 'a'), 413],
      ['GET', '/no/such/page', {}, '', 404],
    ];
    for (const [method, url, headers, payload, status] of cases) {
      const res = await c.request({ method, url, headers, payload: payload || undefined });
      expect(res.statusCode, `${method} ${url} ${headers['content-type'] ?? ''}: ${res.body.slice(0, 200)}`).toBe(status);
      expect(res.body).not.toMatch(RAW_JSON);
      const frag = await c.request({ method, url, headers: { ...headers, 'hx-request': 'true' }, payload: payload || undefined });
      expect(frag.statusCode).toBe(status);
      expect(frag.body).not.toContain('<html');
      expect(frag.headers['hx-retarget']).toBe('#flash');
    }
  });

  it('the parameters nobody checked answer 400 with the parameter named, not 500', async () => {
    const c = await t.as('secretary');
    const org = await makeOrganization(t.database.db, t.users.secretary);
    const [group] = await t.database.db.insert(mailingGroups).values({ name: 'Проверка', sortKey: 'проверка', createdBy: t.users.admin.id, updatedBy: t.users.admin.id }).returning();
    const urls = [
      '/contacts?q=%00',
      '/export.xml?q=a%00b',
      `/groups/${group.id}?find=%00`,
      '/contacts?after=%00',
      `/groups/${group.id}?after=%00`,
      '/documents?after=2026-01-01_1%00',
      ...['org=99999999999', 'org=1e309', 'org=-5', 'add_to=99999999999', 'add_to=1e309'].map((q) => `/contacts?${q}`),
      ...['org=99999999999', 'org=1e309', 'group=99999999999', 'group=1e309'].map((q) => `/export.xml?${q}`),
      ...['org=99999999999', 'org=1e309'].map((q) => `/groups/choose?${q}`),
      ...['org=99999999999', 'org=1e309'].map((q) => `/groups/${group.id}/members/selection?${q}`),
      ...['organization=99999999999', 'organization=1e309'].map((q) => `/persons/new?${q}`),
      ...['organization=99999999999', 'organization=1e309', 'person=1e309'].map((q) => `/documents/new?${q}`),
    ];
    // A query value out of shape: 422 naming the parameter; a path that cannot name a record: 400.
    for (const url of urls) {
      const res = await c.get(url);
      expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBe(422);
      expect(res.body).not.toMatch(RAW_JSON);
      expect(res.body).toContain('В адресе страницы неверное значение');
    }
    for (const url of ['/persons/99999999999', '/persons/1e309', '/persons/-1', `/organizations/${org.id}x`]) {
      const res = await c.get(url);
      expect(res.statusCode, `${url}: ${res.body.slice(0, 200)}`).toBe(400);
      expect(res.body).toContain('Неверный запрос');
    }
    // The same in English, naming the parameter.
    const en = await c.get('/contacts?org=1e309', { 'accept-language': 'en' });
    expect(en.body).toMatch(/wrong value of “org”|неверное значение «org»/);
  });

  it('influence=a5 on the person form is a field error (422), the form keeps what was typed', async () => {
    const c = await t.as('secretary');
    await c.get('/persons/new');
    const res = await c.post('/persons', { surname: 'Буквин', firstName: 'Пётр', influence: 'a5', gender: 'unspecified' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Буквин');
    expect(res.body).toMatch(/field-error|aria-invalid/);
    expect(await t.database.db.select().from(persons).where(eq(persons.surname, 'Буквин'))).toEqual([]);
    const ok = await c.post('/persons', { surname: 'Знаков', firstName: 'Пётр', influence: '−3', gender: 'unspecified' });
    expect(ok.statusCode).toBe(303);
  });

  it('a file name with NUL is cleaned, not a 500', async () => {
    const c = await t.as('secretary');
    await c.get('/import');
    const res = await upload(c, Buffer.from('Фамилия;Имя\r\nИванов;Иван\r\n', 'utf8'), 'a\u0000b.csv');
    expect(res.statusCode).toBeLessThan(500);
    expect(res.body).not.toMatch(RAW_JSON);
  });
});

describe('CSRF is bound to the session', () => {
  it("refuses a token taken from another (anonymous) session, and changes nothing", async () => {
    const stranger = t.anonymous();
    await stranger.get('/login');
    const s = await t.as('secretary');
    await s.get('/groups');
    const res = await s.post('/groups', { name: 'Чужой токен', _csrf: stranger.csrf }, { cookie: [...s.cookies].map(([k, v]) => `${k}=${v}`).join('; ') });
    expectLocalizedPage(res, 403);
    expect(res.body).toContain('Форма устарела');
    expect(await t.database.db.select().from(mailingGroups).where(eq(mailingGroups.name, 'Чужой токен'))).toEqual([]);
  });

  it('refuses a token issued before sign-in once signed in (sign-in rotates the secret)', async () => {
    const c = new Client(t.app);
    await c.get('/login');
    const before = c.csrf;
    const res = await c.post('/login', { login: 'secretary', password: PASSWORD });
    expect(res.statusCode).toBe(303);
    const stale = await c.post('/groups', { name: 'Старый токен', _csrf: before });
    expectLocalizedPage(stale, 403);
    expect(await t.database.db.select().from(mailingGroups).where(eq(mailingGroups.name, 'Старый токен'))).toEqual([]);
    await c.get('/groups');
    expect(c.csrf).not.toBe(before);
    const fresh = await c.post('/groups', { name: 'Новый токен' });
    expect(fresh.statusCode).toBe(303);
  });

  it('never writes the multipart token into the request log', { timeout: 240_000 }, async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const { database, drop } = await freshDatabase();
    const app = await buildApp(t.config, { database, logger: { level: 'info', stream } });
    try {
      await app.ready();
      const c = new Client(app);
      await c.signIn('admin', PASSWORD);
      await c.get('/import');
      const token = c.csrf;
      expect(token.length).toBeGreaterThan(10);
      const m = multipart('file', 'contacts.csv', Buffer.from('Фамилия;Имя\r\nИванов;Иван\r\n', 'utf8'));
      const res = await c.request({ method: 'POST', url: `/import?_csrf=${encodeURIComponent(token)}`, payload: m.payload, headers: { 'content-type': m.contentType } });
      expect(res.statusCode).toBeLessThan(500);
      const log = lines.join('');
      expect(log).toContain('/import?_csrf=[redacted]');
      expect(log).not.toContain(token);
      expect(log).not.toContain(encodeURIComponent(token));
    } finally {
      await app.close();
      await drop();
    }
  });
});

describe('caching', () => {
  it('signed-in pages are no-store; versioned assets are cached for a year', async () => {
    const c = await t.as('employee');
    const page = await c.get('/contacts');
    expect(page.headers['cache-control']).toBe('no-store');
    expect((await c.get('/contacts', { 'hx-request': 'true' })).headers['cache-control']).toBe('no-store');
    expect(page.body).toContain(assetUrl('app.css'));
    for (const url of [HTMX_URL, assetUrl('app.css'), assetUrl('app.js')]) {
      const res = await c.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['cache-control'], url).toBe('public, max-age=31536000, immutable');
    }
    const plain = await c.get('/assets/app.css');
    expect(plain.headers['cache-control']).toBe('public, max-age=3600');
  });
});

describe('import file names', () => {
  it('are cleaned like document file names: no RTL override, bounded length', async () => {
    const c = await t.as('secretary');
    await c.get('/import');
    const name = `${'Ж'.repeat(320)}\u202Evsc.csv`;
    const res = await upload(c, Buffer.from('Фамилия;Имя\r\nИванов;Иван\r\n', 'utf8'), name);
    expect(res.statusCode, res.body.slice(0, 500)).toBe(303);
    const id = Number(/\/import\/(\d+)$/.exec(String(res.headers.location))![1]);
    const [batch] = await t.database.db.select().from(importBatches).where(eq(importBatches.id, id));
    expect(batch.fileName).not.toContain('\u202E');
    expect([...batch.fileName].length).toBeLessThanOrEqual(200);
    expect(batch.fileName.endsWith('.csv')).toBe(true);
  });
});
