import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';

let h: BrowserHarness;
const people: Record<string, number> = {};
beforeAll(async () => {
  h = await startHarness();
  const db = h.t.database.db;
  const s = h.t.users.secretary;
  const org = await makeOrganization(db, s, { name: 'ООО «Премиум»' });
  for (const surname of ['Первый', 'Второй', 'Третий']) people[surname] = (await makePerson(db, s, { surname, organizationId: org.id })).id;
});
afterAll(async () => h?.close());

async function clickAndWait(page: Page, selector: string) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

describe('mailing groups (browser)', () => {
  let groupUrl = '';

  it('a secretary creates "VIP", adds two persons with +, one from the group page, removes one with −', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/groups`);
    await page.type('#group-create input[name=name]', 'VIP');
    await page.click('#group-create input[name=mark][value=priority]');
    await clickAndWait(page, '#group-create button[type=submit]');
    groupUrl = new URL(page.url()).pathname;
    expect(groupUrl).toMatch(/^\/groups\/\d+$/);

    for (const surname of ['Первый', 'Второй']) {
      await page.goto(`${h.baseUrl}/persons/${people[surname]}?tab=groups`);
      // "+" from the keyboard opens the picker (htmx), focused on the first choice.
      // Wait until htmx is ready, so "+" opens the picker in place rather than as its own page
      // (both are the same picker; on a loaded CI machine the first key can beat htmx).
      await page.waitForFunction(() => 'htmx' in window);
      await page.keyboard.press('+');
      await page.waitForSelector('[data-picker]');
      await clickAndWait(page, '[data-picker] [data-action=pick-group][data-group="VIP"]');
      expect(await page.$eval('[data-groups-tab]', (el) => el.textContent)).toContain('VIP');
    }

    await page.goto(`${h.baseUrl}${groupUrl}`);
    await page.type('[data-member-search]', 'Третий');
    await page.waitForSelector('#candidates [data-action=add-candidate]');
    await clickAndWait(page, '#candidates [data-action=add-candidate]');
    const members = await page.$$eval('table.members tbody tr', (rows) => rows.map((r) => r.querySelector('td')?.textContent?.trim()));
    expect(members).toEqual(['Второй Иван Иванович', 'Первый Иван Иванович', 'Третий Иван Иванович']);

    // "−" on the focused membership of a card removes it.
    await page.goto(`${h.baseUrl}/persons/${people['Второй']}?tab=groups`);
    await page.focus('[data-membership] a');
    // "−" asks first, as on the card's groups tab.
    page.once('dialog', (d) => void d.accept());
    await Promise.all([page.waitForNavigation(), page.keyboard.press('-')]);
    expect(await page.$('[data-membership]')).toBeNull();
    await page.goto(`${h.baseUrl}${groupUrl}`);
    expect(await page.$$eval('table.members tbody tr', (rows) => rows.length)).toBe(2);
  });

  it('an employee opens the group URL and sees the members and the badge, but no edit controls', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}${groupUrl}`);
    expect(await page.$eval('[data-testid=group-mark]', (el) => el.textContent)).toBe('приоритет');
    const names = await page.$$eval('table.members tbody tr td:first-child', (tds) => tds.map((td) => td.textContent?.trim()));
    expect(names).toEqual(['Первый Иван Иванович', 'Третий Иван Иванович']);
    expect(await page.$('[data-action=remove-member]')).toBeNull();
    expect(await page.$('[data-member-search]')).toBeNull();
    expect(await page.$('[data-action=edit]')).toBeNull();
    await page.goto(`${h.baseUrl}/persons/${people['Первый']}`);
    expect(await page.$eval('h1 .badge-priority', (el) => el.textContent)).toBe('VIP');
  });
});
