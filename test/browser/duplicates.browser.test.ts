import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { organizations } from '../../src/db/schema/organizations.js';
import { persons } from '../../src/db/schema/persons.js';

let h: BrowserHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('duplicates (browser)', () => {
  it('finds a duplicate organization, merges it and undoes the merge', async () => {
    const db = h.t.database.db;
    const s = h.t.users.secretary;
    const a = await makeOrganization(db, s, { name: 'ООО «Ландыш»', phones: '+7 495 100-00-01' });
    const b = await makeOrganization(db, s, { name: 'Landysh LLC', email: 'office@landysh.ru' });
    const person = await makePerson(db, s, { surname: 'Громова', firstName: 'Нина', patronymic: '', organizationId: b.id });

    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await Promise.all([page.waitForNavigation(), page.click('a[data-nav=duplicates]')]);
    await Promise.all([page.waitForNavigation(), page.click('button[data-action=scan]')]);
    const row = `tr[data-pair="organization:${a.id}:${b.id}"]`;
    expect(await page.$eval(`${row} [data-reasons]`, (el) => el.getAttribute('data-reasons'))).toBe('name');
    await Promise.all([page.waitForNavigation(), page.click(`${row} a[data-action=merge]`)]);
    expect(await page.$eval('h1', (el) => el.textContent)).toBe('Объединение карточек');
    // Keep the first card, with the e-mail of the second.
    await page.click(`input[name=survivorId][value="${a.id}"]`);
    await page.click(`input[name=choice_email][value="${b.id}"]`);
    await Promise.all([page.waitForNavigation(), page.click('button[data-action=merge]')]);
    expect(page.url()).toMatch(/\/duplicates\/merges\/\d+$/);
    const mergeUrl = page.url();
    const [merged] = await db.select().from(organizations).where(eq(organizations.id, a.id));
    expect(merged.email).toBe('office@landysh.ru');
    expect((await db.select().from(persons).where(eq(persons.id, person.id)))[0].organizationId).toBe(a.id);

    // The merged card's old address leads to the survivor.
    await page.goto(`${h.baseUrl}/organizations/${b.id}`);
    expect(new URL(page.url()).pathname).toBe(`/organizations/${a.id}`);

    await page.goto(mergeUrl);
    await Promise.all([page.waitForNavigation(), page.click('button[data-action=undo]')]);
    expect(new URL(page.url()).pathname).toBe(`/organizations/${a.id}`);
    expect(await page.$eval('.flash', (el) => el.textContent)).toContain('Объединение отменено');
    expect((await db.select().from(persons).where(eq(persons.id, person.id)))[0].organizationId).toBe(b.id);
    expect((await db.select().from(organizations).where(eq(organizations.id, b.id)))[0].mergedInto).toBeNull();
  });
});
