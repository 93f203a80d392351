import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type BrowserHarness } from './harness.js';
import { makeOrganization, makePerson } from '../helpers/factories.js';
import { ADDRESS, makeGroup, pageSizesMm, pdfText } from '../envelopes/helpers.js';
import { ENVELOPE_FORMAT_LIST } from '../../src/features/envelopes/formats.js';

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
  it('an employee opens the printable page in every format: nothing overflows, the stamp area stays clear', async () => {
    const page = await h.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await h.signIn(page, 'employee');
    const pxPerMm = 96 / 25.4;
    const heights: Record<string, number> = {};
    for (const f of ENVELOPE_FORMAT_LIST) {
      await page.goto(`${h.baseUrl}/groups/${groupId}/envelopes?format=${f.id}`);
      expect(await page.$eval('[data-testid=skipped]', (el) => el.textContent)).toContain('Безадресов');
      const boxes = await page.$$eval('[data-testid=envelope]', (envs) =>
        envs.map((env) => {
          const rect = (el: Element | null) => {
            const r = el!.getBoundingClientRect();
            return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
          };
          const recipient = env.querySelector('.recipient') as HTMLElement;
          return {
            fits: recipient.scrollHeight <= recipient.clientHeight && recipient.scrollWidth <= recipient.clientWidth,
            indexVisible: recipient.querySelector('.index')!.getBoundingClientRect().bottom <= recipient.getBoundingClientRect().bottom,
            font: Number(recipient.dataset.font),
            // The height the recipient's text takes: the block grows with the envelope.
            textHeight: [...recipient.querySelectorAll('.row')].reduce((h, r) => h + r.getBoundingClientRect().height, 0),
            long: recipient.textContent!.includes('Научно-производственное'),
            // 1 px: scrollHeight and clientHeight round a fractional height differently.
            namesClipped: [...env.querySelectorAll('.names')].some((n) => n.scrollHeight > n.clientHeight + 1),
            envelope: rect(env),
            recipient: rect(recipient),
            stamp: rect(env.querySelector('.stamp')),
            stencil: rect(env.querySelector('.stencil-box svg')),
          };
        }),
      );
      expect(boxes, f.id).toHaveLength(3);
      for (const b of boxes) {
        expect(b.fits, `${f.id}: recipient at ${b.font}pt overflows`).toBe(true);
        expect(b.indexVisible, f.id).toBe(true);
        expect(b.namesClipped, `${f.id}: a name had to be clipped at ${b.font}pt`).toBe(false);
        expect(intersects(b.stamp, b.recipient), f.id).toBe(false);
        expect(intersects(b.stencil, b.recipient), f.id).toBe(false);
        expect((b.envelope.right - b.envelope.left) / pxPerMm, f.id).toBeCloseTo(f.width, 0);
        expect((b.envelope.bottom - b.envelope.top) / pxPerMm, f.id).toBeCloseTo(f.height, 0);
        // The stencil is drawn to scale: 56 mm wide, 14 mm tall.
        expect((b.stencil.right - b.stencil.left) / pxPerMm).toBeCloseTo(56, 0);
        expect((b.stencil.bottom - b.stencil.top) / pxPerMm).toBeCloseTo(14, 0);
      }
      // The 400-character name steps the font down (except on C4, where it fits as it is).
      const long = boxes.find((b) => b.long)!;
      if (f.id !== 'C4') expect(long.font, f.id).toBeLessThan(f.maxPt);
      // The others take the envelope's largest step, which grows with the envelope.
      expect(boxes.filter((b) => !b.long).map((b) => b.font), f.id).toEqual([f.maxPt, f.maxPt]);
      heights[f.id] = Math.max(...boxes.filter((b) => !b.long).map((b) => b.textHeight)) / pxPerMm;
    }
    // The same address stands taller on C5 than on DL, and taller still on C4.
    expect(heights.C5).toBeGreaterThan(heights.DL * 1.15);
    expect(heights.C4).toBeGreaterThan(heights.C5 * 1.3);
    expect(cspErrors).toEqual([]);
  });

  it('prints the HTML page from the browser: one DL page per envelope, no toolbar', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    await page.goto(`${h.baseUrl}/groups/${groupId}/envelopes?format=DL`);
    const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
    const sizes = await pageSizesMm(pdf);
    expect(sizes).toHaveLength(3);
    for (const s of sizes) {
      expect(Math.abs(s.w - 220)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(s.h - 110)).toBeLessThanOrEqual(0.5);
    }
    const text = pdfText(pdf);
    expect(text).toContain('Иванову И. П.');
    expect(text).not.toContain('Скачать PDF');
    expect(text).not.toContain('Безадресов');
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
          namesWhole: names.scrollHeight <= names.clientHeight + 1,
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
