import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { jobFileChunks, jobFiles, jobs } from '../../src/db/schema/jobs.js';
import { FILE_CHUNK } from '../../src/lib/jobs.js';
import { setPersonPhoto } from '../../src/features/persons/service.js';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { translator } from '../../src/i18n/index.js';
import { ADDRESS, makeGroup, pageSizesMm } from '../envelopes/helpers.js';
import { outlookRuCsv, uploadOk } from '../import/helpers.js';
import { jobIdOf, waitDone } from '../helpers/jobs.js';

/**
 * Long work as jobs, through the real routes: a group's envelopes above JOB_PDF_THRESHOLD become
 * a job that a worker of this app runs (pg-boss on the test's database), watched on /jobs/:id
 * and downloaded from it; rights, repeats, cancel, expiry and the finish flash.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ JOB_PDF_THRESHOLD: '2', WORKERS: '1' });
});
afterAll(async () => t?.close());

const db = () => t.database.db;

async function bigGroup() {
  const org = await makeOrganization(db(), t.users.secretary, { name: 'ООО «Ромашка»', ...ADDRESS });
  const a = await makePerson(db(), t.users.secretary, { surname: 'Иванов', firstName: 'Иван', organizationId: org.id });
  const b = await makePerson(db(), t.users.secretary, { surname: 'Петров', firstName: 'Пётр', organizationId: org.id });
  return makeGroup(db(), [{ personId: a.id }, { personId: b.id }, { organizationId: org.id }]);
}

describe('envelopes above the threshold as a job', () => {
  let jobId = 0;
  let groupId = 0;

  it('the PDF link starts a job; a second click within seconds gets the same job', async () => {
    const c = await t.as('secretary');
    groupId = (await bigGroup()).id;
    const first = await c.get(`/groups/${groupId}/envelopes.pdf?format=dl`);
    expect(first.statusCode).toBe(303);
    jobId = jobIdOf(first.headers.location);
    const second = await c.get(`/groups/${groupId}/envelopes.pdf?format=dl`);
    expect(jobIdOf(second.headers.location)).toBe(jobId);
    const page = await c.get(`/jobs/${jobId}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Такое задание уже запущено');
    expect(page.body).toContain('Конверты: ');
    expect(page.body).toContain('(3 конверта)');
    expect(await db().select({ id: jobs.id }).from(jobs).where(eq(jobs.ownerId, t.users.secretary.id))).toHaveLength(1);
  });

  it('is watched on its page, with polling while it runs, and ends with the PDF to download', async () => {
    const c = await t.as('secretary');
    const { state, body } = await waitDone(c, jobId);
    expect(state, body).toBe('done');
    // Finished: no more polling, a download link, the bar full.
    expect(body).not.toContain('hx-trigger="every 1s"');
    expect(body).toContain(`href="/jobs/${jobId}/file"`);
    expect(body).toMatch(/<progress max="3" value="3"/);
    const file = await c.get(`/jobs/${jobId}/file`);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toContain(`envelopes-group-${groupId}-DL.pdf`);
    const sizes = await pageSizesMm(file.rawPayload);
    expect(sizes).toHaveLength(3);
    expect(Math.round(sizes[0].w)).toBe(220);
    // The list shows it, the layout links to it.
    const list = await c.get('/jobs');
    expect(list.body).toContain(`href="/jobs/${jobId}"`);
    expect(list.body).toContain('готово');
    expect(list.body).toContain('data-nav="jobs"');
  });

  it('is the owner’s and the administrators’ only; an employee’s own envelopes are the employee’s alone', async () => {
    const employee = await t.as('employee');
    expect((await employee.get(`/jobs/${jobId}`)).statusCode).toBe(404);
    expect((await employee.get(`/jobs/${jobId}/file`)).statusCode).toBe(404);
    const admin = await t.as('admin');
    expect((await admin.get(`/jobs/${jobId}`)).statusCode).toBe(200);
    expect((await admin.get(`/jobs/${jobId}/file`)).statusCode).toBe(200);

    const res = await employee.get(`/groups/${groupId}/envelopes.pdf?format=c5`);
    const own = jobIdOf(res.headers.location);
    expect((await waitDone(employee, own)).state).toBe('done');
    expect((await employee.get(`/jobs/${own}/file`)).statusCode).toBe(200);
    expect((await admin.get(`/jobs/${own}`)).statusCode).toBe(404);
    expect((await admin.get(`/jobs/${own}/file`)).statusCode).toBe(404);
    expect((await (await t.as('secretary')).get(`/jobs/${own}`)).statusCode).toBe(404);
    expect((await employee.get('/jobs/2147483647')).statusCode).toBe(404);
    expect((await employee.get('/jobs/abc')).statusCode).not.toBe(500);
  });

  it('cancelling a finished job is refused with a clear word, and changes nothing', async () => {
    const c = await t.as('secretary');
    const res = await c.post(`/jobs/${jobId}/cancel`);
    expect(res.statusCode).toBe(409);
    expect(res.body).toContain('Задание уже завершено');
    const [row] = await db().select().from(jobs).where(eq(jobs.id, jobId));
    expect(row.state).toBe('done');
    const other = await t.as('employee');
    expect((await other.post(`/jobs/${jobId}/cancel`)).statusCode).toBe(404);
  });

  it('an expired result answers 410 with a page that says why', async () => {
    const c = await t.as('secretary');
    await db().update(jobs).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(jobs.id, jobId));
    await t.app.jobs.sweep();
    expect(await db().select({ id: jobFiles.jobId }).from(jobFiles).where(eq(jobFiles.jobId, jobId))).toEqual([]);
    expect(await db().select({ id: jobFileChunks.jobId }).from(jobFileChunks).where(eq(jobFileChunks.jobId, jobId))).toEqual([]);
    const res = await c.get(`/jobs/${jobId}/file`);
    expect(res.statusCode).toBe(410);
    expect(res.body).toContain('Результат больше не хранится');
    expect(res.body).toContain('24 ч');
    const page = await c.get(`/jobs/${jobId}`);
    expect(page.body).toContain('результат удалён по сроку хранения');
    expect(page.body).not.toContain(`href="/jobs/${jobId}/file"`);
  });

  it('a job that finished while the user was elsewhere is announced on the next page, once', async () => {
    const c = await t.as('admin');
    const res = await c.get(`/groups/${groupId}/labels.pdf`);
    const id = jobIdOf(res.headers.location);
    for (let i = 0; i < 600; i++) {
      const [row] = await db().select({ state: jobs.state }).from(jobs).where(eq(jobs.id, id));
      if (row.state === 'done' || row.state === 'failed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const next = await c.get('/contacts');
    expect(next.body).toContain('Задание «Наклейки:');
    expect(next.body).toContain(`href="/jobs/${id}"`);
    const again = await c.get('/contacts');
    expect(again.body).not.toContain('Задание «Наклейки:');
  });

  it('small runs stay synchronous PDFs', async () => {
    const c = await t.as('secretary');
    const org = await makeOrganization(db(), t.users.secretary, { name: 'ЗАО «Малое»', ...ADDRESS });
    const small = await makeGroup(db(), [{ organizationId: org.id }]);
    const res = await c.get(`/groups/${small.id}/envelopes.pdf?format=dl`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
  });
});

describe('the whole directory as an XML file', () => {
  it('is made in the background and downloaded from the job page', async () => {
    const c = await t.as('employee');
    const res = await c.post('/export/jobs');
    expect(res.statusCode).toBe(303);
    const id = jobIdOf(res.headers.location);
    expect((await waitDone(c, id)).state).toBe('done');
    const file = await c.get(`/jobs/${id}/file`);
    expect(file.statusCode).toBe(200);
    expect(file.body).toContain('ООО «Ромашка»');
    expect(file.body.startsWith('<?xml')).toBe(true);
  });

  it('with photos, bigger than a stored piece: written to disk, stored in pieces, read back the same as /export.xml', async () => {
    const s = t.users.secretary;
    const p = await makePerson(db(), s, { surname: 'Фотографов', firstName: 'Пётр' });
    // An original of 2 MB: 2.7 MB in base64, three pieces.
    const original = randomBytes(2_000_000);
    await setPersonPhoto(db(), s, p.id, { thumbnail: Buffer.from('thumb'), original, originalType: 'image/png', width: 10, height: 10 });
    const c = await t.as('employee');
    const res = await c.post('/export/jobs', { photos: '1' });
    const id = jobIdOf(res.headers.location);
    expect((await waitDone(c, id)).state).toBe('done');
    const pieces = await db().select({ seq: jobFileChunks.seq, bytes: jobFileChunks.bytes }).from(jobFileChunks).where(eq(jobFileChunks.jobId, id)).orderBy(jobFileChunks.seq);
    expect(pieces.length).toBeGreaterThanOrEqual(3);
    expect(pieces.map((x) => x.seq)).toEqual(pieces.map((_, i) => i));
    expect(pieces.slice(0, -1).every((x) => x.bytes.length === FILE_CHUNK)).toBe(true);
    const [meta] = await db().select().from(jobFiles).where(eq(jobFiles.jobId, id));
    expect(meta.size).toBe(pieces.reduce((n, x) => n + x.bytes.length, 0));

    const file = await c.get(`/jobs/${id}/file`);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/xml; charset=utf-8');
    expect(file.headers['content-disposition']).toMatch(/contacts-\d{4}-\d\d-\d\d\.xml/);
    expect(Number(file.headers['content-length'])).toBe(meta.size);
    expect(file.rawPayload.length).toBe(meta.size);
    expect(file.body).toContain(original.toString('base64'));
    // The same document the streamed export gives, but for the moment it was made.
    const direct = await c.get('/export.xml?photos=1');
    const comparable = (xml: string) => xml.replace(/ exported="[^"]+"/, '');
    expect(comparable(file.body)).toBe(comparable(direct.body));
    // The job's file on disk goes with the job's end (right after its state is written).
    const leftovers = async () => (await readdir(tmpdir())).filter((n) => n.startsWith(`crm-job-${process.pid}-${id}-`));
    for (let i = 0; i < 50 && (await leftovers()).length; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await leftovers()).toEqual([]);
  });
});

describe('job pages', () => {
  it('phases are in Russian with the right plural forms, numbers grouped', () => {
    const t = translator('ru');
    const nbsp = (s: string) => s.replace(/\s/g, ' ');
    expect(nbsp(t('envelopes.job.phase', { done: 3200, total: 10000, count: 10000 }))).toBe('рендеринг 3 200 из 10 000 конвертов');
    expect(nbsp(t('envelopes.job.phase', { done: 1, total: 21, count: 21 }))).toBe('рендеринг 1 из 21 конверта');
    expect(t('envelopes.job.phase', { done: 2, total: 3, count: 3 })).toBe('рендеринг 2 из 3 конвертов');
    expect(t('import.job.phase.commit', { done: 500, total: 1000, count: 1000 })).toBe('запись 500 из 1 000 записей'.replace(' 000', '\u00a0000'));
    expect(translator('en')('envelopes.job.phase', { done: 1, total: 2, count: 2 })).toBe('rendering 1 of 2 envelopes');
  });

  it('a running job’s page polls every second with htmx, and refreshes itself without JavaScript', async () => {
    const c = await t.as('secretary');
    const [row] = await db().insert(jobs).values({ kind: 'xml.directory', ownerId: t.users.secretary.id, state: 'running', startedAt: new Date(Date.now() - 65_000), done: 250, total: 1000, phase: 'envelopes.job.phase' }).returning();
    const full = await c.get(`/jobs/${row.id}`);
    expect(full.body).toContain('<noscript><meta http-equiv="refresh" content="2"></noscript>');
    expect(full.body).toContain('hx-trigger="every 1s"');
    expect(full.body).toContain('<progress max="1000" value="250"');
    expect(full.body).toMatch(/рендеринг 250 из 1.000 конвертов/);
    // 65 s ago plus however long the request took on a busy machine; a quarter done in that time.
    const elapsed = Number(/Прошло: 1 мин (\d\d) с/.exec(full.body)?.[1]);
    expect(elapsed).toBeGreaterThanOrEqual(4);
    const left = /Осталось примерно: 3 мин (\d\d) с/.exec(full.body);
    expect(left, 'about three times the elapsed time is left').not.toBeNull();
    expect(Math.abs(180 + Number(left![1]) - 3 * (60 + elapsed))).toBeLessThanOrEqual(3);
    expect(full.body).toContain('data-testid="job-cancel"');
    // The layout counts it among the running ones.
    expect(full.body).toContain('data-testid="jobs-running"');
    const fragment = await c.get(`/jobs/${row.id}`, { 'hx-request': 'true' });
    expect(fragment.body.trimStart().startsWith('<div id="job-status"')).toBe(true);
    // Cancelling a running job is cooperative: asked for, then seen by its worker.
    const cancel = await c.post(`/jobs/${row.id}/cancel`);
    expect(cancel.statusCode).toBe(303);
    const [after] = await db().select().from(jobs).where(eq(jobs.id, row.id));
    expect(after.cancelRequested).toBe(true);
    expect((await c.get(`/jobs/${row.id}`)).body).toContain('Отмена запрошена');
    await db().update(jobs).set({ state: 'cancelled', finishedAt: new Date() }).where(eq(jobs.id, row.id));
  });

  it('the list is per user, in English too', async () => {
    const c = await t.as('employee');
    await c.post('/locale', { lang: 'en', next: '/jobs' });
    const res = await c.get('/jobs');
    expect(res.body).toContain('My jobs');
    const mine = await db().select({ id: jobs.id, ownerId: jobs.ownerId }).from(jobs);
    expect(mine.some((j) => j.ownerId === t.users.employee.id)).toBe(true);
    for (const j of mine) expect(res.body.includes(`href="/jobs/${j.id}"`), String(j.id)).toBe(j.ownerId === t.users.employee.id);
    await c.post('/locale', { lang: 'ru', next: '/jobs' });
  });
});

describe('an import being committed and its job', () => {
  // Web-only (WORKERS=0): the commit's job waits in the queue, so the batch stays "committing".
  let web: TestApp;
  beforeAll(async () => {
    web = await createTestApp({ WORKERS: '0' });
  });
  afterAll(async () => web?.close());

  it('link to each other: the batch page to the job (to watch and cancel it), the job page back to the batch', async () => {
    const c = await web.as('secretary');
    const id = await uploadOk(c, outlookRuCsv('Связкин;Олег;;ООО «Связь»;Инженер;;svyazkin@example.ru;;'), 'link.csv');
    const res = await c.post(`/import/${id}/commit`);
    expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain('data-status="committing"');
    const m = /<a href="\/jobs\/(\d+)" data-testid="import-job">Ход и отмена импорта — на странице задания №(\d+)<\/a>/.exec(page.body);
    expect(m, page.body.slice(0, 3000)).not.toBeNull();
    const jobId = Number(m![1]);
    const [job] = await web.database.db.select().from(jobs).where(eq(jobs.id, jobId));
    expect(job).toMatchObject({ kind: 'import.commit', payload: { batchId: id }, state: 'queued' });
    // The polled fragment carries the link too.
    expect((await c.get(`/import/${id}`, { 'hx-request': 'true' })).body).toContain(`href="/jobs/${jobId}"`);

    const jobPage = await c.get(`/jobs/${jobId}`);
    expect(jobPage.statusCode).toBe(200);
    expect(jobPage.body).toContain(`<a href="/import/${id}" data-testid="job-origin">← Импорт №${id}</a>`);
    expect(jobPage.body).toContain('data-testid="job-cancel"');
    // An administrator sees it as well, an employee does not.
    expect((await (await web.as('admin')).get(`/jobs/${jobId}`)).body).toContain(`href="/import/${id}"`);
    expect((await (await web.as('employee')).get(`/jobs/${jobId}`)).statusCode).toBe(404);

    // Cancelled there, the batch is no longer committing.
    expect((await c.post(`/jobs/${jobId}/cancel`)).statusCode).toBe(303);
    const after = await c.get(`/import/${id}`);
    expect(after.body).not.toContain('data-status="committing"');
    expect(after.body).not.toContain('data-testid="import-job"');
  });
});
