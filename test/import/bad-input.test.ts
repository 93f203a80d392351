import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count, sql } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { sample, upload, uploadOk, waitForCommit } from './helpers.js';
import { pseudoRandomBytes } from '../../src/features/import/parse/test-helpers.js';
import { importBatches } from '../../src/db/schema/imports.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { persons } from '../../src/db/schema/persons.js';

let t: TestApp;
let small: TestApp;
beforeAll(async () => {
  [t, small] = await Promise.all([createTestApp(), createTestApp({ IMPORT_MAX_BYTES: String(100 * 1024), IMPORT_MAX_ROWS: '2' })]);
});
afterAll(async () => {
  await t?.close();
  await small?.close();
});

async function counts(app: TestApp) {
  const db = app.database.db;
  return {
    batches: (await db.select({ n: count() }).from(importBatches))[0].n,
    persons: (await db.select({ n: count() }).from(persons))[0].n,
    organizations: (await db.select({ n: count() }).from(organizations))[0].n,
  };
}

async function refused(app: TestApp, content: Buffer, name: string, message: string, status = 422) {
  const c = await app.as('secretary');
  const before = await counts(app);
  const res = await upload(c, content, name);
  expect(res.statusCode, res.body.slice(0, 300)).toBe(status);
  expect(res.body).toContain(message);
  expect(res.body).toContain('id="import-upload"');
  expect(await counts(app)).toEqual(before);
}

const HEADER = '"First Name","Last Name","Company","E-mail Address"\r\n';

describe('bad files are refused with a clear message and nothing written', () => {
  it('an empty file', () => refused(t, Buffer.alloc(0), 'empty.csv', 'Файл пуст.'));

  it('a header line only', () => refused(t, Buffer.from(HEADER), 'header.csv', 'В файле нет ни одного контакта (только строка заголовков?).'));

  it('random bytes', () => refused(t, pseudoRandomBytes(4096, 7), 'random.csv', 'Это не файл контактов'));

  // A table of unknown columns goes to the mapping step (see formats.test.ts); text with no columns is refused.
  it('a text that is not a table', () => refused(t, Buffer.from('Hello\r\nthis is a letter.\r\n'), 'x.csv', 'Это не таблица контактов'));

  it('a CSV with a broken quote on line 5,000', async () => {
    const rows = Array.from({ length: 4998 }, (_, i) => `"Имя${i}","Фамилия${i}","ООО Ромашка","p${i}@example.ru"`);
    const file = HEADER + rows.join('\r\n') + '\r\n"Сломан,"Кавычка","ООО","x@example.ru"\r\n"Ещё","Строка","",""\r\n';
    await refused(t, Buffer.from(file), 'broken.csv', 'незакрытая или лишняя кавычка в строке 5\u00a0000');
  });

  it('a vCard with no END', () => refused(t, Buffer.from('BEGIN:VCARD\r\nVERSION:3.0\r\nN:Петров;Пётр;;;\r\nFN:Пётр Петров\r\n'), 'cut.vcf', 'карточка, начатая в строке 1, не закрыта'));

  it('a form without a file', async () => {
    const c = await t.as('secretary');
    const res = await c.post('/import', {});
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('Выберите файл для загрузки.');
  });

  it('a file over the size limit', () => refused(small, Buffer.concat([Buffer.from(HEADER), Buffer.alloc(150 * 1024, 0x41)]), 'big.csv', 'Файл слишком большой: можно не больше 0,1 МБ.'));

  it('a file over the row limit', () => refused(small, sample('outlook-ru-windows1251.csv'), 'three.csv', 'В файле слишком много записей: можно не больше 2.'));

  it('a 2 GB upload is refused from its Content-Length before its body is read', async () => {
    await small.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = small.app.server.address() as AddressInfo;
    const c = await small.as('secretary');
    const boundary = '----big';
    const result = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/import?_csrf=${encodeURIComponent(c.csrf)}`,
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(2 * 1024 ** 3),
          cookie: [...c.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        },
      });
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body, sent });
        });
      });
      req.on('error', (err) => (sent > 0 ? undefined : reject(err)));
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.csv"\r\n\r\n`);
      // Keep sending (at most 64 MB) until the server answers.
      const pump = () => {
        if (req.destroyed || sent >= 64 * 1024 ** 2) return;
        sent += chunk.length;
        if (req.write(chunk)) setImmediate(pump);
        else req.once('drain', pump);
      };
      pump();
    });
    expect(result.status).toBe(413);
    expect(result.body).toContain('Файл слишком большой: можно не больше 0,1 МБ.');
    expect(result.sent).toBeLessThan(64 * 1024 ** 2);
    expect((await counts(small)).batches).toBe(0);
  });
});

describe('rights', () => {
  it('refuses every import route to an employee (403), and offers import only to secretaries', async () => {
    const s = await t.as('secretary');
    const id = await uploadOk(s, sample('outlook-en-utf8.csv'), 'en.csv');
    const e = await t.as('employee');
    const routes: [string, string][] = [
      ['GET', '/import'],
      ['GET', `/import/${id}`],
      ['POST', '/import'],
      ['POST', `/import/${id}/decisions`],
      ['POST', `/import/${id}/commit`],
      ['POST', `/import/${id}/undo`],
      ['POST', `/import/${id}/discard`],
    ];
    for (const [method, url] of routes) {
      const res = method === 'GET' ? await e.get(url) : await e.post(url, {});
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    const contacts = await e.get('/contacts');
    expect(contacts.body).not.toContain('data-action="import"');
    expect(contacts.body).not.toContain('data-nav="import"');
    expect(contacts.body).toContain('data-action="export-xml"');
    const mine = await s.get('/contacts?q=%D1%80%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0&group_by=region');
    expect(mine.body).toContain('href="/import" accesskey="i" data-action="import"');
    expect(mine.body).toContain('href="/export.xml?group_by=region&amp;q=%D1%80%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0" accesskey="x"');
  });

  it('needs the CSRF token on every POST', async () => {
    const s = await t.as('secretary');
    const id = await uploadOk(s, sample('outlook-en-utf8.csv'), 'en.csv');
    for (const url of ['/import', `/import/${id}/decisions`, `/import/${id}/commit`, `/import/${id}/undo`, `/import/${id}/discard`]) {
      const res = await s.post(url, { _csrf: 'forged' });
      expect(res.statusCode, url).toBe(403);
    }
  });

  it('a preview can be dropped; a batch is committed once', async () => {
    const s = await t.as('secretary');
    const id = await uploadOk(s, sample('outlook-en-utf8.csv'), 'en.csv');
    const res = await s.post(`/import/${id}/discard`);
    expect(res.statusCode).toBe(303);
    expect((await s.get(`/import/${id}`)).statusCode).toBe(404);
    const id2 = await uploadOk(s, sample('outlook-en-utf8.csv'), 'en.csv');
    expect((await s.post(`/import/${id2}/commit`)).statusCode).toBe(303);
    const again = await s.post(`/import/${id2}/commit`);
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Этот импорт уже выполняется или завершён.');
    expect((await waitForCommit(t, s, id2)).status).toBe('committed');
  });
});

describe('a commit that fails part-way', () => {
  it('writes nothing, says so, and can be committed again', async () => {
    const db = t.database.db;
    // A write in the middle of the commit fails (the e-mails go in after persons and
    // organizations, before the audit entries and the row outcomes).
    await db.execute(sql`create function test_refuse_email() returns trigger language plpgsql as $$
      begin if new.email = 'refused@example.ru' then raise exception 'refused by the test'; end if; return new; end $$`);
    await db.execute(sql`create trigger test_refuse_email before insert on person_emails for each row execute function test_refuse_email()`);
    try {
      const s = await t.as('secretary');
      const rows = Array.from({ length: 1200 }, (_, i) => `Сбоев${i};Иван;;ООО «Сбой ${i % 7}»;;;${i === 600 ? 'refused' : `ok${i}`}@example.ru;;Сбой`);
      const file = Buffer.from(['Фамилия;Имя;Отчество;Организация;Должность;Рабочий телефон;Адрес эл. почты;Заметки;Категории', ...rows].join('\r\n') + '\r\n', 'utf8');
      const before = await counts(t);
      const id = await uploadOk(s, file, 'fails.csv');
      expect((await s.post(`/import/${id}/commit`, { options: '1', createGroups: '1' })).statusCode).toBe(303);
      const batch = await waitForCommit(t, s, id);
      expect(batch).toMatchObject({ status: 'failed', error: 'import.commitFailed' });
      expect(await counts(t)).toEqual({ ...before, batches: before.batches + 1 });
      const page = await s.get(`/import/${id}`);
      expect(page.body).toContain('Импорт не выполнен из-за ошибки; в справочник ничего не записано.');
      await db.execute(sql`drop trigger test_refuse_email on person_emails`);
      expect((await s.post(`/import/${id}/commit`, { options: '1', createGroups: '1' })).statusCode).toBe(303);
      expect(await waitForCommit(t, s, id)).toMatchObject({ status: 'committed', report: { rows: { created: 1200 } } });
    } finally {
      await db.execute(sql`drop trigger if exists test_refuse_email on person_emails`);
      await db.execute(sql`drop function if exists test_refuse_email()`);
    }
  });
});
