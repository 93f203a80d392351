import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeDocument, makeOrganization, makePerson } from '../helpers/factories.js';
import { addMember, createGroup } from '../../src/features/groups/service.js';

// Issue 16: an office's 1366×768 screen shows every main page without a horizontal scroll bar,
// and the selected organization stands out clearly from the rows around it.

const SAMPLE_CSV = fileURLToPath(new URL('../../src/features/import/parse/__fixtures__/outlook-ru-windows1251.csv', import.meta.url));

let h: BrowserHarness;
const ids: Record<string, number> = {};
beforeAll(async () => {
  h = await startHarness();
  const db = h.t.database.db;
  const s = h.t.users.secretary;
  const org = await makeOrganization(db, s, {
    name: 'Федеральное государственное бюджетное образовательное учреждение высшего образования «Уральский государственный лесотехнический университет»',
    addrLocality: 'Екатеринбург', addrStreet: 'Сибирский тракт', addrHouse: '37', phones: '+7 343 262-96-10, +7 343 261-52-88', email: 'general.office.of.the.university@usfeu.example.ru',
  });
  ids.org = org.id;
  for (let i = 0; i < 5; i++) await makeOrganization(db, s, { name: `ООО «Соседняя фирма ${i}»` });
  ids.person = (await makePerson(db, s, {
    surname: 'Константинопольская', firstName: 'Александра', patronymic: 'Вячеславовна', organizationId: org.id,
    jobTitle: 'Заместитель начальника управления по международному сотрудничеству и академической мобильности',
    phones: [{ kind: 'work', number: '+7 343 262-96-10' }], emails: ['aleksandra.konstantinopolskaya@usfeu.example.ru'],
  })).id;
  const g = await createGroup(db, s, { name: 'Поздравления с Днём работников леса и лесоперерабатывающей промышленности', description: '', mark: 'none' });
  ids.group = g.id;
  await addMember(db, s, g.id, { personId: ids.person });
  ids.document = (await makeDocument(db, s, { organizationId: org.id, personId: ids.person, subject: 'О сотрудничестве в области подготовки специалистов лесного хозяйства и деревообработки' })).id;
});
afterAll(async () => h?.close());

async function overflow(page: Page, path: string) {
  const res = await page.goto(`${h.baseUrl}${path}`);
  expect(res?.status(), path).toBe(200);
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > width + 1).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
    return { scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, wide: wide.slice(0, 5) };
  });
}

/** WCAG relative luminance and contrast of two computed rgb() colours. */
function contrast(a: string, b: string) {
  const lum = (c: string) => {
    const [r, g, bl] = (c.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map((v) => Number(v) / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

describe('at 1366×768', () => {
  it('no main page is wider than the window', async () => {
    const page = await h.newPage();
    await page.setViewport({ width: 1366, height: 768 });
    await h.signIn(page, 'secretary');
    // An import in the list of recent imports (the page that used to be too wide), with a report.
    await page.goto(`${h.baseUrl}/import`);
    const input = await page.$('#import-upload input[type=file]');
    await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(SAMPLE_CSV);
    await Promise.all([page.waitForNavigation(), page.click('#import-upload button[type=submit]')]);
    const batch = new URL(page.url()).pathname;
    expect(batch).toMatch(/^\/import\/\d+$/);

    const pages = [
      '/contacts', `/contacts?org=${ids.org}`, '/contacts?group_by=region', '/contacts?group_by=group', '/contacts?q=лесо',
      `/organizations/${ids.org}`, `/organizations/${ids.org}/edit`, '/organizations/new',
      `/persons/${ids.person}`, `/persons/${ids.person}?tab=contact`, `/persons/${ids.person}?tab=groups`, `/persons/${ids.person}?tab=history`, `/persons/${ids.person}/edit`,
      '/groups', `/groups/${ids.group}`, '/documents', `/documents/${ids.document}`, `/documents/${ids.document}/edit`, '/documents/new',
      '/import', batch, `/groups/${ids.group}/envelopes`, `/groups/${ids.group}/labels`, `/persons/${ids.person}/envelope`, '/duplicates', '/references',
    ];
    const wide: string[] = [];
    for (const path of pages) {
      const r = await overflow(page, path);
      if (r.scrollWidth > r.innerWidth) wide.push(`${path}: ${r.scrollWidth} > ${r.innerWidth} (${r.wide.join(', ')})`);
    }
    // The administrator's pages too.
    const admin = await h.newPage();
    await admin.setViewport({ width: 1366, height: 768 });
    await h.signIn(admin, 'admin');
    for (const path of ['/admin/users', '/admin/settings', '/jobs', '/references/regions']) {
      const r = await overflow(admin, path);
      if (r.scrollWidth > r.innerWidth) wide.push(`${path}: ${r.scrollWidth} > ${r.innerWidth} (${r.wide.join(', ')})`);
    }
    expect(wide).toEqual([]);
  });

  it('the selected organization is a band of clear contrast with its neighbours and its own text', async () => {
    const page = await h.newPage();
    await page.setViewport({ width: 1366, height: 768 });
    await h.signIn(page, 'secretary');
    await page.goto(`${h.baseUrl}/contacts?org=${ids.org}`);
    const colours = await page.evaluate(() => {
      // The colour a cell shows: its own background, or the first ancestor's that is not transparent.
      const shown = (el: Element | null): string => {
        for (let e = el; e; e = e.parentElement) {
          const bg = getComputedStyle(e).backgroundColor;
          if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
        }
        return 'rgb(255, 255, 255)';
      };
      const cell = (tr: Element | null) => ({ backgroundColor: shown(tr!.querySelector('td')) });
      const selected = document.querySelector('[data-list] tr.org-row.selected');
      const other = document.querySelector('[data-list] tr.org-row:not(.selected)');
      const link = selected!.querySelector('a.org-link')!;
      return { selected: cell(selected).backgroundColor, other: cell(other).backgroundColor, text: getComputedStyle(link).color };
    });
    // WCAG 2.2 (1.4.11, 1.4.3): a state indicator at least 3:1 against its surroundings, text 4.5:1.
    expect(contrast(colours.selected, colours.other)).toBeGreaterThanOrEqual(3);
    expect(contrast(colours.selected, colours.text)).toBeGreaterThanOrEqual(4.5);
    // Focusing the selected row (keyboard) keeps the band.
    await page.focus('[data-list] tr.selected a.org-link');
    const focused = await page.$eval('[data-list] tr.org-row.selected td', (td) => getComputedStyle(td).backgroundColor);
    expect(colours.selected).not.toBe('rgb(255, 255, 255)');
    expect(focused).toBe(colours.selected);
  });
});
