import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeOrganization } from '../helpers/factories.js';

const SAMPLE_BMP = fileURLToPath(new URL('../../src/features/import/parse/__fixtures__/photo-24bit.bmp', import.meta.url));

let h: BrowserHarness;
beforeAll(async () => {
  h = await startHarness();
  // Enough organizations for two pages of 50.
  for (let i = 0; i < 60; i++) await makeOrganization(h.t.database.db, h.t.users.secretary, { name: `ООО «Фирма ${String(i).padStart(2, '0')}»` });
});
afterAll(async () => h?.close());

async function clickAndWait(page: Page, selector: string) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

describe('external contacts (browser)', () => {
  let orgUrl = '';

  it('a secretary creates an organization and a person with a photo, and switches tabs', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/contacts`);
    await clickAndWait(page, '[data-action=add-org]');
    await page.type('input[name=name]', 'ООО «Лесоповал»');
    const regionValue = await page.$$eval('select[name=regionId] option', (opts) => opts.find((o) => o.textContent === 'Свердловская область')?.getAttribute('value'));
    await page.select('select[name=regionId]', regionValue!);
    await page.type('input[name=addrIndex]', '620014');
    await page.type('input[name=addrLocality]', 'Екатеринбург');
    await clickAndWait(page, '#organization-form button[type=submit]');
    orgUrl = new URL(page.url()).pathname;
    expect(orgUrl).toMatch(/^\/organizations\/\d+$/);
    expect(await page.$eval('h1', (el) => el.textContent)).toContain('ООО «Лесоповал»');

    await clickAndWait(page, 'a[href^="/persons/new"]');
    await page.type('input[name=surname]', 'Ёлкин');
    await page.type('input[name=firstName]', 'Пётр');
    await page.type('input[name=phoneNumber]', '+7 343 555-12-34');
    await clickAndWait(page, '#person-form button[type=submit]');
    expect(page.url()).toMatch(/\/persons\/\d+$/);

    // Tabs switch through htmx: the URL follows, the page does not reload.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.click('[data-tab=contact]');
    await page.waitForSelector('[data-current-tab=contact]');
    expect(page.url()).toContain('tab=contact');
    expect(await page.$eval('#tab-panel', (el) => el.textContent)).toContain('+7 343 555-12-34');
    await page.click('[data-tab=additional]');
    await page.waitForSelector('[data-current-tab=additional]');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);

    const input = await page.$('input[type=file][name=photo]');
    await input!.uploadFile(SAMPLE_BMP);
    await clickAndWait(page, '#photo-form button[type=submit]');
    await page.waitForSelector('img[data-testid=photo]');
    const width = await page.$eval('img[data-testid=photo]', (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth);
    expect(width).toBeGreaterThan(0);
    expect(await page.$eval('.flash-success', (el) => el.textContent)).toContain('Фотография сохранена');
  });

  it('groups by region, finds "Ёлкин" by typing "елкин", and pages to the last page', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/contacts`);
    await page.select('select[name=group_by]', 'region');
    await page.waitForFunction(() => document.querySelector('.group-header')?.textContent?.includes('Регион не указан') || document.querySelector('.group-header')?.textContent?.includes('Свердловская'));
    expect(await page.$$eval('.group-header', (els) => els.map((e) => e.textContent?.trim().split(/\s+/)[0]))).toContain('Свердловская');
    expect(page.url()).toContain('group_by=region');

    await page.type('input[name=q]', 'елкин');
    await page.waitForFunction(() => document.querySelectorAll('a.org-link').length === 1);
    expect(await page.$eval('a.org-link', (el) => el.textContent)).toBe('ООО «Лесоповал»');
    await page.click('a.org-link');
    await page.waitForSelector('a.person-link');
    expect(await page.$eval('a.person-link', (el) => el.textContent)).toContain('Ёлкин');

    // Clear the locator: back to the whole directory, then the last page.
    await page.click('input[name=q]', { count: 3 });
    await page.keyboard.press('Backspace');
    await page.waitForFunction(() => document.querySelectorAll('a.org-link').length === 50);
    await page.click('[data-page=last]');
    await page.waitForFunction(() => !document.querySelector('a[data-page=next]'));
    const names = await page.$$eval('a.org-link', (els) => els.map((e) => e.textContent));
    // The last page is the true remainder of the order (pages stay aligned with the first), and its
    // position says so: "51–60 из 60"; the region-less firms end it.
    const pager = await page.$eval('[data-testid=position]', (el) => el.textContent ?? '');
    const [, from, to, total] = /(\d+)[–-](\d+)\D+(\d+)/.exec(pager.replace(/\s/g, ''))!.map(Number);
    expect(to).toBe(total);
    expect(names.length).toBe(to - from + 1);
    expect(names.length).toBe(total % 50 || 50);
    expect(names[names.length - 1]).toBe('ООО «Фирма 59»');
    expect(names).not.toContain('ООО «Лесоповал»');
    expect(page.url()).toContain('page=last');
    // Keyboard: Home goes back to the first page.
    await page.focus('a.org-link');
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelectorAll('a.org-link').length === 50);
  });

  it('an employee sees no edit controls and is refused when posting anyway', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/contacts`);
    expect(await page.$('[data-action=add-org]')).toBeNull();
    expect(await page.$('[data-action=add-person]')).toBeNull();
    await page.goto(`${h.baseUrl}${orgUrl}`);
    expect(await page.$(`a[href="${orgUrl}/edit"]`)).toBeNull();
    expect(await page.$('[data-action=archive]')).toBeNull();
    const status = await page.evaluate(async (url) => {
      const token = /"X-CSRF-Token": "([^"]+)"/.exec(document.body.getAttribute('hx-headers:inherited') ?? '')?.[1] ?? '';
      const res = await fetch(`${url}/archive`, { method: 'POST', headers: { 'X-CSRF-Token': token, 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
      return res.status;
    }, orgUrl);
    expect(status).toBe(403);
    await page.reload();
    expect(await page.$eval('h1', (el) => el.textContent)).not.toContain('в архиве');
  });
});
