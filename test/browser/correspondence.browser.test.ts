import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';
import { makePdf } from '../../src/features/documents/demo-pdf.js';

let h: BrowserHarness;
let dir: string;
let pdfPath: string;
const pdf = makePdf(['Incoming letter', 'Test scan']);
let personId = 0;
let lateOrgId = 0;

beforeAll(async () => {
  h = await startHarness();
  const org = await makeOrganization(h.t.database.db, h.t.users.secretary, { name: 'ООО «Почтовый ящик»' });
  const person = await makePerson(h.t.database.db, h.t.users.secretary, { surname: 'Адресатов', firstName: 'Семён', organizationId: org.id });
  personId = person.id;
  // More organizations than a picker shows at once; the one wanted comes last in the alphabet.
  for (let i = 0; i < 55; i++) await makeOrganization(h.t.database.db, h.t.users.secretary, { name: `ООО «Ранняя ${String(i).padStart(2, '0')}»` });
  lateOrgId = (await makeOrganization(h.t.database.db, h.t.users.secretary, { name: 'Яшма Ёлочная' })).id;
  dir = mkdtempSync(path.join(tmpdir(), 'corr-browser-'));
  pdfPath = path.join(dir, 'Письмо о поставке.pdf');
  writeFileSync(pdfPath, pdf);
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function clickAndWait(page: Page, selector: string) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

describe('correspondence (browser)', () => {
  let docUrl = '';
  const year = new Date().getFullYear();

  it('a secretary registers an incoming letter with a PDF for a person', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/persons/${personId}`);
    await clickAndWait(page, '[data-count=all]');
    await clickAndWait(page, '[data-action=register-incoming]');
    // Opened from the person: the person and their organization are already chosen.
    expect(await page.$eval('select[name=personId]', (s) => (s as HTMLSelectElement).value)).toBe(String(personId));
    expect(await page.$eval('input[name=direction][value=incoming]', (i) => (i as HTMLInputElement).checked)).toBe(true);
    await page.type('input[name=senderNumber]', '123/45-п');
    await page.type('input[name=subject]', 'Письмо о сроках поставки');
    await page.type('textarea[name=summary]', 'Просят подтвердить сроки.');
    const input = await page.$('input[type=file][name=files]');
    await input!.uploadFile(pdfPath);
    await clickAndWait(page, '#document-form button[type=submit]');
    docUrl = new URL(page.url()).pathname;
    expect(docUrl).toMatch(/^\/documents\/\d+$/);
    expect(await page.$eval('[data-testid=reg-number]', (el) => el.textContent)).toBe(`Вх-${year}/000001`);
    expect(await page.$eval('.flash-success', (el) => el.textContent)).toContain(`Вх-${year}/000001`);
    expect(await page.$eval('[data-testid=file-link]', (el) => el.textContent)).toBe('Письмо о поставке.pdf');
    // The stored file is the uploaded one, byte for byte, typed by its content.
    const href = await page.$eval('[data-testid=file-link]', (a) => a.getAttribute('href'));
    const got = await page.evaluate(async (u) => {
      const r = await fetch(u!);
      return { type: r.headers.get('content-type'), disposition: r.headers.get('content-disposition'), bytes: Array.from(new Uint8Array(await r.arrayBuffer())) };
    }, href);
    expect(got.type).toBe('application/pdf');
    expect(got.disposition).toContain("filename*=UTF-8''%D0%9F%D0%B8%D1%81%D1%8C%D0%BC%D0%BE");
    expect(Buffer.from(got.bytes).equals(pdf)).toBe(true);
  });

  it('finds it from the person card and opens it by double-click', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/persons/${personId}`);
    expect(await page.$eval('[data-testid=document-counts]', (el) => el.textContent)).toContain('1 входящий документ');
    await clickAndWait(page, '[data-count=incoming]');
    expect(page.url()).toContain(`/persons/${personId}/correspondence?direction=incoming`);
    const rows = await page.$$eval('tr[data-row] a.doc-link', (as) => as.map((a) => a.textContent));
    expect(rows).toEqual([`Вх-${year}/000001`]);
    // Double-click on the subject cell, not on the link: the row opens the document.
    await Promise.all([page.waitForNavigation(), page.click('tr[data-row] td:nth-child(4)', { count: 2 })]);
    expect(new URL(page.url()).pathname).toBe(docUrl);
    expect(await page.$eval('h2.doc-subject', (el) => el.textContent)).toBe('Письмо о сроках поставки');
  });

  it('filters the list through htmx, and opens a row with Enter', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    // Another counterparty's letter, so that the filter has something to leave out.
    const org = await makeOrganization(h.t.database.db, h.t.users.secretary);
    await makeDocument(h.t.database.db, h.t.users.secretary, { organizationId: org.id, subject: 'Акт сверки', regDate: '2020-01-01' });
    await page.goto(`${h.baseUrl}/documents`);
    expect(await page.$eval('[data-testid=total]', (el) => el.textContent)).toContain('Найдено 2 документа');
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.type('input[name=q]', 'СРОКАХ ПОСТАВКИ');
    await page.waitForFunction(() => document.querySelector('[data-testid=total]')?.textContent?.includes('Найден 1 документ'));
    await page.waitForFunction(() => location.search.includes('q='));
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    await page.type('input[name=q]', ' нет такого');
    await page.waitForFunction(() => document.querySelector('[data-testid=total]')?.textContent?.includes('Найдено 0 документов'));
    await page.goto(`${h.baseUrl}/documents`);
    await page.focus('tr[data-row] a.doc-link');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).pathname).toBe(docUrl);
  });

  it('works without JavaScript: the filter form and the plain link', async () => {
    const page = await h.newPage({ javascript: false });
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/persons/${personId}/correspondence`);
    await page.type('input[name=q]', 'сроках');
    await clickAndWait(page, '#documents-filter button[type=submit]');
    expect(page.url()).toContain('q=');
    await clickAndWait(page, 'tr[data-row] a.doc-link');
    expect(new URL(page.url()).pathname).toBe(docUrl);
  });

  it('registers a letter from an organization found by typing in the picker', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/documents/new?direction=incoming`);
    // Every form sent from here on: only the click on the button below may send one.
    const sent: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST') sent.push(new URL(r.url()).pathname);
    });
    const orgOptions = () => page.$$eval('select[name=organizationId] option:not([disabled])', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(await orgOptions()).toHaveLength(51);
    expect(await orgOptions()).not.toContain(String(lateOrgId));
    // Tab order: the search box comes right before its select.
    await page.focus('input[name=organizationId_find]');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as HTMLSelectElement).name)).toBe('organizationId');
    await page.type('input[name=subject]', 'Письмо из конца алфавита');
    await page.type('input[name=organizationId_find]', 'ЁЛОЧ');
    await page.waitForFunction((id) => {
      const values = Array.from(document.querySelectorAll<HTMLOptionElement>('select[name=organizationId] option')).map((o) => o.value);
      return values.length === 2 && values[1] === id;
    }, {}, String(lateOrgId));
    // Enter searches, it does not submit the form with no counterparty chosen yet: the search
    // box gets its search event, the form no submit event (a submission would start in the
    // key's own handling), and (below) the only form sent is the button's.
    await page.$eval('input[name=organizationId_find]', (el) => el.addEventListener('search', () => el.setAttribute('data-searched', ''), { once: true }));
    await page.$eval('#document-form', (form) => form.addEventListener('submit', () => form.setAttribute('data-submitted', ''), { once: true }));
    await page.keyboard.press('Enter');
    await page.waitForSelector('input[name=organizationId_find][data-searched]');
    expect(await page.$('#document-form[data-submitted]')).toBeNull();
    expect(new URL(page.url()).pathname).toBe('/documents/new');
    await page.select('select[name=organizationId]', String(lateOrgId));
    await clickAndWait(page, '#document-form button[type=submit]');
    expect(new URL(page.url()).pathname).toMatch(/^\/documents\/\d+$/);
    expect(sent).toEqual(['/documents']);
    expect(await page.$eval('.flash-success', (el) => el.textContent)).toContain('Документ зарегистрирован');
    expect(await page.$eval(`a[href="/organizations/${lateOrgId}"]`, (a) => a.textContent)).toBe('Яшма Ёлочная');
  });

  it('filters the register by a picked organization; typing alone applies nothing', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/documents`);
    const total = () => page.$eval('[data-testid=total]', (el) => el.textContent ?? '');
    const before = await total();
    // The register's own requests (the filter), not the picker's (/choices).
    const filtered: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/documents') filtered.push(new URL(r.url()).search);
    });
    await page.type('input[name=organization_find]', 'яшм');
    await page.waitForFunction(() => document.querySelectorAll('select[name=organization] option').length === 2);
    // Leaving the search box (a change event) neither filters nor loses the text: the change
    // happens, and (below) the only filter request is the one the choice makes.
    await page.$eval('input[name=organization_find]', (el) => el.addEventListener('change', () => el.setAttribute('data-changed', ''), { once: true }));
    await page.keyboard.press('Tab');
    await page.waitForSelector('input[name=organization_find][data-changed]');
    expect(await total()).toBe(before);
    expect(new URL(page.url()).search).not.toContain('organization=');
    expect(await page.$eval('input[name=organization_find]', (i) => (i as HTMLInputElement).value)).toBe('яшм');
    expect(await page.$eval('select[name=organization] option', (o) => o.textContent)).toBe('любая');
    await page.select('select[name=organization]', String(lateOrgId));
    await page.waitForFunction(() => document.querySelector('[data-testid=total]')?.textContent?.includes('Найден 1 документ'));
    expect(filtered).toHaveLength(1);
    expect(new URLSearchParams(filtered[0]).get('organization')).toBe(String(lateOrgId));
    expect(await page.$$eval('tr[data-row] td:nth-child(4)', (tds) => tds.map((td) => td.textContent?.trim()))).toEqual(['Письмо из конца алфавита']);
    expect(new URL(page.url()).searchParams.get('organization')).toBe(String(lateOrgId));
    // The pushed URL renders the same page when loaded directly: the choice stays selected.
    await page.reload();
    expect(await page.$eval('select[name=organization]', (s) => (s as HTMLSelectElement).value)).toBe(String(lateOrgId));
    expect(await page.$eval('input[name=organization_find]', (i) => (i as HTMLInputElement).value)).toBe('яшм');
  });
});
