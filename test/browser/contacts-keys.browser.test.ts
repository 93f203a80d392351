import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HTTPRequest } from 'puppeteer-core';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { addMember, createGroup } from '../../src/features/groups/service.js';

// Issue 16 in real Chromium: the keys of the External contacts screen (+, −, ?, tabs), the pane
// that stays in view, the position of the page, the loading feedback and no double submits.

let h: BrowserHarness;
const ids: Record<string, number> = {};
beforeAll(async () => {
  h = await startHarness();
  const db = h.t.database.db;
  const s = h.t.users.secretary;
  for (let i = 0; i < 49; i++) await makeOrganization(db, s, { name: `ООО «Фирма ${String(i).padStart(2, '0')}»` });
  // Low in the list: the last of page 1 ("Я…"); the Latin names come after it, on page 2.
  ids.low = (await makeOrganization(db, s, { name: 'АО «Ямал»' })).id;
  for (let i = 0; i < 10; i++) await makeOrganization(db, s, { name: `Acme ${i} Ltd` });
  ids.person = (await makePerson(db, s, { surname: 'Яковлев', firstName: 'Ян', organizationId: ids.low })).id;
  const g = await createGroup(db, s, { name: 'Рассылка к празднику', description: '', mark: 'none' });
  ids.group = g.id;
  await addMember(db, s, g.id, { personId: ids.person });
});
afterAll(async () => h?.close());

describe('the External contacts screen with the keyboard', () => {
  it('"?" shows every key and Escape closes it; the toolbar says its keys; no accesskey twice', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/contacts`);
    await page.keyboard.press('?');
    await page.waitForSelector('[data-shortcuts][open]');
    const text = await page.$eval('[data-shortcuts]', (el) => el.textContent ?? '');
    for (const k of ['PageDown', 'Home', 'Alt+Shift+N', 'Alt+Shift+S', '+', '−', '?']) expect(text).toContain(k);
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-shortcuts]:not([open])');
    expect(await page.$eval('[data-action=add-org]', (el) => el.getAttribute('title'))).toContain('Alt+Shift+N');
    expect(await page.$eval('[data-page=next]', (el) => el.getAttribute('title'))).toContain('PageDown');
    const keys = await page.$$eval('[accesskey]', (els) => els.map((e) => e.getAttribute('accesskey')));
    expect(new Set(keys).size).toBe(keys.length);
    // The position of the page.
    expect(await page.$eval('[data-testid=position]', (el) => el.textContent)).toBe('1–50 из 60');
    await Promise.all([page.waitForSelector('[data-testid=position]'), page.keyboard.press('End')]);
    await page.waitForFunction(() => document.querySelector('[data-testid=position]')?.textContent === '51–60 из 60');
    expect(await page.$$eval('[data-list] a.org-link', (a) => a.length)).toBe(10);
  });

  it('an organization low in the list: its cards are in view; "+" on a selected card opens the group picker', async () => {
    const page = await h.newPage();
    await page.setViewport({ width: 1366, height: 700 });
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/contacts`);
    const link = await page.$(`[data-list] a.org-link[data-open="/organizations/${ids.low}"]`);
    await link!.scrollIntoView();
    await link!.click();
    await page.waitForSelector(`.person-card[data-person="${ids.person}"]`);
    const top = await page.$eval('#persons-pane', (el) => el.getBoundingClientRect().top);
    expect(top).toBeGreaterThanOrEqual(0);
    expect(top).toBeLessThan(700);
    // Select the card with the keyboard: ↓ from the organization goes on into the cards.
    await page.focus(`.person-card[data-person="${ids.person}"] a.person-link`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('+')]);
    expect(new URL(page.url()).pathname).toBe(`/persons/${ids.person}/groups/add`);
  });

  it('"−" on a selected card leads to its memberships; "−" there removes the focused one after a confirmation', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/contacts?org=${ids.low}`);
    await page.focus(`.person-card[data-person="${ids.person}"] a.person-link`);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('-')]);
    expect(page.url()).toContain('tab=groups');
    const focused = await page.evaluate(() => document.activeElement?.closest('[data-membership]') !== null);
    expect(focused).toBe(true);
    let asked = '';
    page.once('dialog', async (d) => {
      asked = d.message();
      await d.accept();
    });
    await Promise.all([page.waitForNavigation(), page.keyboard.press('-')]);
    expect(asked).toContain('Рассылка к празднику');
    expect(await page.$('[data-membership]')).toBeNull();
  });

  it('the person card\'s tabs: ←/→ move between them (WAI-ARIA tabs)', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/persons/${ids.person}?tab=main`);
    await page.focus('[role=tab][data-tab=main]');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('[data-current-tab=contact]');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-tab') === 'contact');
    expect(await page.$eval('[role=tab][data-tab=contact]', (el) => [el.getAttribute('aria-selected'), el.getAttribute('tabindex')])).toEqual(['true', '0']);
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector('[data-current-tab=main]');
    await page.keyboard.press('End');
    await page.waitForSelector('[data-current-tab=history]');
  });

  it('a slow request shows the loading bar; a submit button is disabled while its request runs', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/contacts`);
    await page.setRequestInterception(true);
    const held: HTTPRequest[] = [];
    let postSeen: () => void = () => {};
    const posted = new Promise<void>((resolve) => (postSeen = resolve));
    page.on('request', (r) => {
      const post = r.method() === 'POST' && r.url().endsWith('/groups');
      if (r.url().includes('q=%D1%8F%D0%BC') || post) held.push(r);
      else void r.continue();
      if (post) postSeen();
    });
    await page.type('[data-locator]', 'ям');
    await page.waitForSelector('html.busy');
    for (const r of held.splice(0)) await r.continue();
    await page.waitForSelector('html:not(.busy)');
    await page.waitForFunction(() => document.querySelectorAll('[data-list] a.org-link').length === 1);

    // An htmx form: the group picker's "new group"; its button is disabled while the POST runs.
    await page.goto(`${h.baseUrl}/persons/${ids.person}/groups/add`);
    await page.type('form.new-group input[name=name]', 'Один раз');
    await page.click('form.new-group button[type=submit]');
    await page.waitForFunction(() => (document.querySelector('form.new-group button[type=submit]') as HTMLButtonElement | null)?.disabled === true);
    // The button is disabled before the request leaves; wait for the request itself, held.
    await posted;
    expect(held.length).toBe(1);
    await held[0].continue();
    await page.waitForFunction(() => document.body.textContent?.includes('Один раз') && (document.querySelector('form.new-group button[type=submit]') as HTMLButtonElement | null)?.disabled === false);
  });
});
