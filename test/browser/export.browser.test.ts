import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';

/**
 * The spreadsheet downloads as an employee finds them: the links follow what the screen shows
 * (the locator typed, the register's filter changed, both without a page load), and what they give
 * is the file the browser downloads.
 */
let h: BrowserHarness;

beforeAll(async () => {
  h = await startHarness();
  const db = h.t.database.db;
  const s = h.t.users.secretary;
  const org = await makeOrganization(db, s, { name: 'ООО «Ромашка»' });
  await makeOrganization(db, s, { name: 'АО «Лютик»' });
  await makePerson(db, s, { surname: 'Сидоров', organizationId: org.id });
  await makeDocument(db, s, { organizationId: org.id, direction: 'incoming', subject: 'Входящее письмо' });
  await makeDocument(db, s, { organizationId: org.id, direction: 'outgoing', subject: 'Исходящее письмо' });
});
afterAll(async () => h?.close());

/** What a link gives, fetched with the page's own session. */
async function download(page: Page, selector: string) {
  const href = await page.$eval(selector, (el) => el.getAttribute('href')!);
  const res = await page.evaluate(async (url) => {
    const r = await fetch(url);
    const bytes = new Uint8Array(await r.arrayBuffer());
    return { status: r.status, type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), head: Array.from(bytes.slice(0, 4)), size: bytes.length, text: new TextDecoder().decode(bytes) };
  }, href);
  return { href, ...res };
}

describe('spreadsheet exports (browser)', () => {
  it('the contacts toolbar offers Excel and CSV of what the locator found', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/contacts`);
    await page.type('input[name=q]', 'ромашка');
    await page.waitForFunction(() => document.querySelector('[data-action=export-xlsx]')?.getAttribute('href')?.includes('q='));
    const xlsx = await download(page, '[data-action=export-xlsx]');
    expect(xlsx.href).toBe(`/export.xlsx?q=${encodeURIComponent('ромашка')}`);
    expect(xlsx).toMatchObject({ status: 200, type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    expect(xlsx.disposition).toMatch(/^attachment;/);
    // A zip archive: "PK\3\4".
    expect(xlsx.head).toEqual([0x50, 0x4b, 0x03, 0x04]);
    const csv = await download(page, '[data-action=export-csv]');
    expect(csv).toMatchObject({ status: 200, type: 'text/csv; charset=utf-8' });
    expect(csv.text).toContain('Сидоров');
    expect(csv.text).not.toContain('Лютик');
  });

  it('the register offers its rows as filtered on the screen', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/documents`);
    await page.select('select[name=direction]', 'outgoing');
    await page.waitForFunction(() => document.querySelector('[data-action=documents-csv]')?.getAttribute('href')?.includes('direction=outgoing'));
    const csv = await download(page, '[data-action=documents-csv]');
    expect(csv.status).toBe(200);
    expect(csv.text).toContain('Исходящее письмо');
    expect(csv.text).not.toContain('Входящее письмо');
    expect((await download(page, '[data-action=documents-xlsx]')).head).toEqual([0x50, 0x4b, 0x03, 0x04]);
  });
});
