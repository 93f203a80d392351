import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { ADDRESS, makeGroup, pageSizesMm } from '../envelopes/helpers.js';

let h: BrowserHarness;
let groupId = 0;
const LONG_NAME = `ООО «${'Научно-производственное объединение '.repeat(11)}`.slice(0, 399) + '»';

beforeAll(async () => {
  h = await startHarness();
  const db = h.t.database.db;
  const long = await makeOrganization(db, h.t.users.secretary, { name: LONG_NAME, ...ADDRESS });
  const org = await makeOrganization(db, h.t.users.secretary, { name: 'ООО «Ромашка»', ...ADDRESS });
  const person = await makePerson(db, h.t.users.secretary, { surname: 'Иванов', firstName: 'Иван', patronymic: 'Петрович', gender: 'male', organizationId: org.id });
  const nobody = await makePerson(db, h.t.users.secretary, { surname: 'Безадресов' });
  groupId = (await makeGroup(db, [{ organizationId: long.id }, { organizationId: org.id }, { personId: person.id }, { personId: nobody.id }])).id;
});
afterAll(async () => h?.close());

type Rect = { left: number; top: number; right: number; bottom: number };
const intersects = (a: Rect, b: Rect) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

describe('envelopes (browser)', () => {
  it('an employee opens the printable page and prints it: one DL page per envelope, nothing overflows', async () => {
    const page = await h.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/groups/${groupId}/envelopes?format=DL`);
    expect(await page.$$eval('[data-testid=envelope]', (els) => els.length)).toBe(3);
    expect(await page.$eval('[data-testid=skipped]', (el) => el.textContent)).toContain('Безадресов');

    const boxes = await page.$$eval('[data-testid=envelope]', (envs) =>
      envs.map((env) => {
        const rect = (sel: string) => {
          const r = (sel === ':scope' ? env : env.querySelector(sel))?.getBoundingClientRect();
          return r ? { left: r.left, top: r.top, right: r.right, bottom: r.bottom } : null;
        };
        const recipient = env.querySelector('.recipient') as HTMLElement;
        const lastLine = recipient.querySelector('.index') as HTMLElement;
        return {
          fits: recipient.scrollHeight <= recipient.clientHeight && recipient.scrollWidth <= recipient.clientWidth,
          indexVisible: lastLine.getBoundingClientRect().bottom <= recipient.getBoundingClientRect().bottom,
          font: Number(recipient.dataset.font),
          long: recipient.textContent!.includes('Научно-производственное'),
          namesClipped: [...env.querySelectorAll('.names')].some((n) => n.scrollHeight > n.clientHeight),
          envelope: rect(':scope'),
          recipient: rect('.recipient'),
          stamp: rect('.stamp'),
          stencil: rect('.stencil-box svg'),
        };
      }),
    );
    const pxPerMm = 96 / 25.4;
    for (const b of boxes) {
      expect(b.fits, `recipient at ${b.font}pt overflows`).toBe(true);
      expect(b.indexVisible).toBe(true);
      expect(b.namesClipped, 'a name had to be clipped').toBe(false);
      expect(intersects(b.stamp!, b.recipient!)).toBe(false);
      expect(intersects(b.stencil!, b.recipient!)).toBe(false);
      expect((b.envelope!.right - b.envelope!.left) / pxPerMm).toBeCloseTo(220, 0);
      // The stencil is drawn to scale: 56 mm wide, 14 mm tall.
      expect((b.stencil!.right - b.stencil!.left) / pxPerMm).toBeCloseTo(56, 0);
      expect((b.stencil!.bottom - b.stencil!.top) / pxPerMm).toBeCloseTo(14, 0);
    }
    // The 400-character name got a smaller step than the others, and still fits whole.
    const long = boxes.filter((b) => b.long);
    expect(long).toHaveLength(1);
    expect(long[0].font).toBeLessThanOrEqual(9);
    expect(boxes.filter((b) => !b.long).map((b) => b.font)).toEqual([14, 14]);

    // What the print dialog would produce: the toolbar and report are left out.
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    const sizes = await pageSizesMm(pdf);
    expect(sizes).toHaveLength(3);
    for (const s of sizes) {
      expect(Math.abs(s.w - 220)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(s.h - 110)).toBeLessThanOrEqual(0.5);
    }
    expect(cspErrors).toEqual([]);
  });

  it('prints a C4 envelope page and an A4 label sheet from the browser', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/groups/${groupId}/envelopes?format=C4`);
    const c4 = await pageSizesMm(await page.pdf({ preferCSSPageSize: true }));
    expect(c4).toHaveLength(3);
    expect(Math.abs(c4[0].w - 324)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(c4[0].h - 229)).toBeLessThanOrEqual(0.5);

    await page.goto(`${h.baseUrl}/groups/${groupId}/labels?sheet=3475&start=23`);
    const labels = await page.$$eval('[data-testid=label]', (els) =>
      els.map((el) => {
        const names = el.querySelector('.names')!;
        const index = el.querySelector('.index')!.getBoundingClientRect();
        return {
          fits: el.scrollHeight <= el.clientHeight && index.bottom <= el.getBoundingClientRect().bottom,
          namesWhole: names.scrollHeight <= names.clientHeight,
          long: el.textContent!.includes('Научно-производственное'),
          w: el.getBoundingClientRect().width,
          h: el.getBoundingClientRect().height,
        };
      }),
    );
    expect(labels).toHaveLength(3);
    const pxPerMm = 96 / 25.4;
    for (const l of labels) {
      expect(l.fits).toBe(true);
      // Only a 400-character name on a 70 × 36 mm label gives way, and only the name, never the address.
      expect(l.namesWhole || l.long).toBe(true);
      expect(l.w / pxPerMm).toBeCloseTo(70, 0);
      expect(l.h / pxPerMm).toBeCloseTo(36, 0);
    }
    const a4 = await pageSizesMm(await page.pdf({ preferCSSPageSize: true }));
    // Labels 23 and 24 on the first sheet, the third on the next.
    expect(a4).toHaveLength(2);
    expect(Math.abs(a4[0].w - 210)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(a4[0].h - 297)).toBeLessThanOrEqual(0.5);
  });
});
