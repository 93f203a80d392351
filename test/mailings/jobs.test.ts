import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asc, eq } from 'drizzle-orm';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makePerson } from '../helpers/factories.js';
import { documents } from '../../src/db/schema/documents.js';
import { mailingRecipients, mailings } from '../../src/db/schema/mailings.js';
import { ADDRESS, makeGroup, versionOf } from './helpers.js';
import { jobIdOf, waitDone } from '../helpers/jobs.js';

/**
 * Large mailings run as jobs with progress: here "large" is more than 3 recipients
 * (MAILING_JOB_THRESHOLD), so the same paths run with a handful of rows.
 */
let t: TestApp;
const db = () => t.database.db;
beforeAll(async () => {
  t = await createTestApp({ MAILING_JOB_THRESHOLD: '3' });
});
afterAll(async () => t?.close());

const today = new Date().toISOString().slice(0, 10);

describe('a large mailing', () => {
  it('is created and registered as jobs, and its numbers are consecutive', async () => {
    const people = [];
    for (let i = 0; i < 6; i++) people.push(await makePerson(db(), t.users.secretary, { surname: `Многих${i}`, ...ADDRESS, addrHouse: String(i + 1) }));
    const group = await makeGroup(db(), people.map((p) => ({ personId: p.id })));
    const c = await t.as('secretary');
    const res = await c.post('/mailings', { source: 'group', groupId: group.id, subject: 'Большая рассылка', kind: 'registered_notice', category: 'letter', print: 'envelopes:C5', mailDate: today });
    expect(res.statusCode).toBe(303);
    const created = await waitDone(c, jobIdOf(res.headers.location));
    expect(created.state).toBe('done');
    const [m] = await db().select().from(mailings).where(eq(mailings.subject, 'Большая рассылка'));
    expect(created.body).toContain(`/mailings/${m.id}`);
    expect(await db().select().from(mailingRecipients).where(eq(mailingRecipients.mailingId, m.id))).toHaveLength(6);

    const page = await c.get(`/mailings/${m.id}`);
    const reg = await c.post(`/mailings/${m.id}/register`, { version: versionOf(page.body) });
    expect(reg.statusCode).toBe(303);
    const registered = await waitDone(c, jobIdOf(reg.headers.location));
    expect(registered.state).toBe('done');
    const linked = await db()
      .select({ seq: documents.regSeq })
      .from(mailingRecipients)
      .innerJoin(documents, eq(documents.id, mailingRecipients.documentId))
      .where(eq(mailingRecipients.mailingId, m.id))
      .orderBy(asc(documents.regSeq));
    expect(linked).toHaveLength(6);
    for (let i = 1; i < linked.length; i++) expect(linked[i].seq).toBe(linked[i - 1].seq + 1);

    // A second registration, even as a job, changes nothing.
    const again = await c.post(`/mailings/${m.id}/register`, { version: versionOf((await c.get(`/mailings/${m.id}`)).body) });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Рассылка уже зарегистрирована');
    expect(await db().select().from(documents).where(eq(documents.subject, 'Большая рассылка'))).toHaveLength(6);
  });

  it('fails its job with the reason when nobody in the group has an address, and creates nothing', async () => {
    const people = [];
    for (let i = 0; i < 5; i++) people.push(await makePerson(db(), t.users.secretary, { surname: `Безадресных${i}` }));
    const group = await makeGroup(db(), people.map((p) => ({ personId: p.id })));
    const c = await t.as('secretary');
    const res = await c.post('/mailings', { source: 'group', groupId: group.id, subject: 'Никому', kind: 'simple', category: 'letter', print: 'envelopes:DL', mailDate: today });
    const job = await waitDone(c, jobIdOf(res.headers.location));
    expect(job.state).toBe('failed');
    expect(job.body).toContain('нет адреса, пригодного для письма');
    expect(await db().select().from(mailings).where(eq(mailings.subject, 'Никому'))).toHaveLength(0);
  });
});
