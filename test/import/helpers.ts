import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Client, TestApp } from '../helpers/app.js';
import { importBatches } from '../../src/db/schema/imports.js';
import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { personPhones, persons } from '../../src/db/schema/persons.js';

export function sample(name: string): Buffer {
  return readFileSync(new URL(`../../src/features/import/parse/__fixtures__/${name}`, import.meta.url));
}

/** A multipart body with one file field, as a browser sends it. */
export function multipart(name: string, filename: string, content: Buffer, contentType = 'application/octet-stream') {
  const boundary = '----crmimport' + Math.random().toString(16).slice(2);
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${filename}"\r\nContent-Type: ${contentType}\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Uploads a file to /import through the real multipart route (CSRF token in the URL). */
export async function upload(c: Client, content: Buffer, filename: string) {
  if (!c.csrf) await c.get('/import');
  const m = multipart('file', filename, content);
  return c.request({ method: 'POST', url: `/import?_csrf=${encodeURIComponent(c.csrf)}`, payload: m.payload, headers: { 'content-type': m.contentType } });
}

/** Uploads and expects a preview: returns the batch id. */
export async function uploadOk(c: Client, content: Buffer, filename: string): Promise<number> {
  const res = await upload(c, content, filename);
  expect(res.statusCode, res.body.slice(0, 2000)).toBe(303);
  const m = /^\/import\/(\d+)$/.exec(String(res.headers.location));
  expect(m).not.toBeNull();
  return Number(m![1]);
}

/** Waits until the batch's commit is over (PGlite answers only then; PostgreSQL shows progress first). */
export async function waitForCommit(t: TestApp, c: Client, id: number) {
  for (let i = 0; i < 600; i++) {
    const res = await c.get(`/import/${id}`, { 'hx-request': 'true' });
    expect(res.statusCode).toBe(200);
    const [batch] = await t.database.db.select().from(importBatches).where(eq(importBatches.id, id));
    if (batch.status !== 'committing') return batch;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the commit did not finish');
}

/** Commits a previewed batch with the given form fields and waits for it. */
export async function commit(t: TestApp, c: Client, id: number, form: Record<string, string> = {}) {
  const res = await c.post(`/import/${id}/commit`, form);
  expect(res.statusCode, res.body.slice(0, 1000)).toBe(303);
  return waitForCommit(t, c, id);
}

/** Outlook's Russian CSV header (semicolons), the columns the import tests fill. */
const OUTLOOK_RU_HEADER = 'Фамилия;Имя;Отчество;Организация;Должность;Рабочий телефон;Адрес эл. почты;Заметки;Категории';

/** A small Outlook CSV in Russian, one string per row, CRLF line ends as Outlook writes them. */
export const outlookRuCsv = (...rows: string[]) => Buffer.from([OUTLOOK_RU_HEADER, ...rows].join('\r\n') + '\r\n', 'utf8');

/** The person of that surname (the tests give each a distinct one). */
export async function personBySurname(db: Db, surname: string) {
  const [p] = await db.select().from(persons).where(eq(persons.surname, surname));
  return p;
}

/** A person's phones in their order, as [kind, number]. */
export async function phonesOf(db: Db, id: number) {
  return (await db.select().from(personPhones).where(eq(personPhones.personId, id)).orderBy(asc(personPhones.position))).map((p) => [p.kind, p.number]);
}
