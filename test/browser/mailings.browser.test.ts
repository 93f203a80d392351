import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'puppeteer-core';
import { startHarness, type BrowserHarness } from './harness.js';
import { mixedGroup, tracking } from '../mailings/helpers.js';

let h: BrowserHarness;
let g: Awaited<ReturnType<typeof mixedGroup>>;

beforeAll(async () => {
  h = await startHarness();
  g = await mixedGroup(h.t.database.db, h.t.users.secretary);
});
afterAll(async () => h?.close());

async function clickAndWait(page: Page, selector: string) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));

describe('mailings (browser)', () => {
  it('a secretary mails a group: creates, registers, prints the envelopes, enters tracking numbers, and the cards show the letters', async () => {
    const year = new Date().getFullYear();
    const page = await h.newPage();
    await h.signIn(page, 'secretary');

    // From the group's page.
    await page.goto(`${h.baseUrl}/groups/${g.group.id}`);
    await clickAndWait(page, '[data-action=new-mailing]');
    expect(await page.$eval('select[name=groupId]', (s) => (s as HTMLSelectElement).value)).toBe(String(g.group.id));
    await page.type('input[name=subject]', 'Приглашение на выставку');
    await page.select('select[name=kind]', 'registered_notice');
    await clickAndWait(page, '[data-action=create-mailing]');
    expect(new URL(page.url()).pathname).toMatch(/^\/mailings\/\d+$/);
    const mailingUrl = new URL(page.url()).pathname;
    expect(await page.$eval('.flash-success', (el) => el.textContent)).toContain('Приглашение на выставку');
    expect(await page.$$('[data-recipient]')).toHaveLength(2);
    const reasons = await page.$$eval('[data-excluded-recipient]', (rows) => rows.map((r) => r.getAttribute('data-reason')));
    expect(reasons.sort()).toEqual(['archived', 'blacklisted', 'noAddress']);

    // The navigation leads here too.
    expect(await page.$eval('a[data-nav=mailings]', (a) => a.getAttribute('aria-current'))).toBe('page');

    // Register: one outgoing number per recipient, shown in the list.
    await clickAndWait(page, '[data-action=register]');
    expect(await page.$eval('.flash-success', (el) => el.textContent)).toContain(`Исх-${year}/`);
    const numbers = (await texts(page, '[data-recipient] [data-testid=reg-number]')).filter((s) => s !== '—');
    expect(numbers).toHaveLength(2);
    expect(numbers.every((n) => n.startsWith(`Исх-${year}/`))).toBe(true);

    // Envelopes with the outgoing numbers printed small; and the same as a PDF.
    await clickAndWait(page, '[data-action=print-envelopes-numbers]');
    expect(await page.$$('[data-testid=envelope]')).toHaveLength(2);
    const notes = await texts(page, '[data-testid=envelope-note]');
    expect(notes.sort()).toEqual([...numbers].sort());
    const pdfUrl = await page.$eval('[data-testid=pdf-link]', (a) => a.getAttribute('href'));
    const pdf = await page.evaluate(async (u) => {
      const r = await fetch(u!);
      const b = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get('content-type'), head: String.fromCharCode(...b.slice(0, 5)) };
    }, pdfUrl);
    expect(pdf).toEqual({ status: 200, type: 'application/pdf', head: '%PDF-' });

    // Mark it printed, then paste the receipt's column of tracking numbers.
    await page.goto(`${h.baseUrl}${mailingUrl}`);
    await clickAndWait(page, '[data-action=state-printed]');
    expect(await page.$eval('[data-testid=mailing-state]', (el) => el.textContent)).toBe('напечатана');
    const [a, b] = [tracking(501), tracking(502)];
    // A wrong check digit first: refused, nothing filled in.
    await page.type('textarea[name=paste]', `${a}\n${b.slice(0, 13)}${(Number(b[13]) + 1) % 10}`);
    await clickAndWait(page, '[data-action=paste-tracking]');
    expect(await page.$eval('#paste-error', (el) => el.textContent)).toContain('Строка 2');
    expect(await page.$$eval('input[data-tracking]', (els) => els.map((e) => (e as HTMLInputElement).value))).toEqual(['', '']);
    await page.$eval('textarea[name=paste]', (el) => ((el as HTMLTextAreaElement).value = ''));
    await page.type('textarea[name=paste]', `${a}\n${b}\n`);
    await clickAndWait(page, '[data-action=paste-tracking]');
    expect(await page.$$eval('input[data-tracking]', (els) => els.map((e) => (e as HTMLInputElement).value))).toEqual([a, b]);

    // Each recipient's card shows the outgoing document with its tracking number.
    const first = await page.$eval('[data-recipient] td:nth-child(2) a', (el) => el.getAttribute('href'));
    await page.goto(`${h.baseUrl}${first}`);
    const section = await page.$eval('[data-testid=card-mailings]', (el) => el.textContent ?? '');
    expect(section).toContain('Приглашение на выставку');
    expect(section).toContain(numbers[0]);
    expect(section).toContain(a);
    await page.goto(`${h.baseUrl}${first}/correspondence`);
    expect(await page.$eval('[data-documents]', (el) => el.textContent ?? '')).toContain(numbers[0]);
    expect(await page.$eval('[data-testid=doc-tracking]', (el) => el.textContent ?? '')).toContain(a);
  });

  it('an employee reads the mailing but is offered no changes', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/mailings`);
    await clickAndWait(page, '[data-mailing] a');
    expect(await page.$('[data-action=register]')).toBeNull();
    expect(await page.$('textarea[name=paste]')).toBeNull();
    expect(await page.$$('[data-recipient]')).toHaveLength(2);
  });
});
