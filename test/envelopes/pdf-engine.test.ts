import { afterAll, describe, expect, it } from 'vitest';
import { BrowserMissingError } from '../../src/lib/browser.js';
import { PdfEngine, PdfTimeoutError } from '../../src/features/envelopes/pdf-engine.js';
import { pageSizesMm, pdfText } from './helpers.js';

const CSS = '@page { size: 100mm 50mm; margin: 0; } body { margin: 0; font-family: "PT Sans"; } .p { height: 50mm; } .p + .p { break-before: page; }';
const html = (items: string[]) => `<!doctype html><html><body>${items.map((i) => `<div class="p">Конверт ${i}</div>`).join('')}</body></html>`;
const items = (n: number) => Array.from({ length: n }, (_, i) => String(i + 1).padStart(2, '0'));

const engines: PdfEngine[] = [];
function engine(opts: ConstructorParameters<typeof PdfEngine>[0] = {}) {
  const e = new PdfEngine(opts);
  engines.push(e);
  return e;
}
afterAll(async () => {
  for (const e of engines) await e.close();
});

describe('PDF engine', () => {
  it('renders in batches, merges them in order and reports progress', async () => {
    const e = engine({ batchSize: 2 });
    const progress: number[] = [];
    const pdf = await e.render({ items: items(5), html, css: CSS, onProgress: (p) => progress.push(p.done) });
    const sizes = await pageSizesMm(pdf);
    expect(sizes).toHaveLength(5);
    expect(Math.abs(sizes[0].w - 100)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(sizes[0].h - 50)).toBeLessThanOrEqual(0.5);
    for (let page = 1; page <= 5; page++) expect(pdfText(pdf, page).trim()).toBe(`Конверт 0${page}`);
    expect(progress).toHaveLength(3);
    expect(progress[2]).toBe(5);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
  });

  it('launches Chromium once and reuses it; closes its pages', async () => {
    const e = engine();
    await e.render({ items: items(2), html, css: CSS });
    await e.render({ items: items(3), html, css: CSS });
    expect(e.launches).toBe(1);
    const browser = await e.browserInstance();
    // Only the blank start page is left open.
    expect((await browser.pages()).length).toBeLessThanOrEqual(1);
  });

  it('keeps to its concurrency limit', async () => {
    const log: string[] = [];
    const e = engine({ batchSize: 1, concurrency: 1 });
    await e.render({ items: items(3), html: (b) => (log.push(`start ${b[0]}`), html(b)), css: CSS, onProgress: (p) => log.push(`done ${p.done}`) });
    expect(log).toEqual(['start 01', 'done 1', 'start 02', 'done 2', 'start 03', 'done 3']);
    const wide: string[] = [];
    const e2 = engine({ batchSize: 1, concurrency: 2 });
    await e2.render({ items: items(3), html: (b) => (wide.push(`start ${b[0]}`), html(b)), css: CSS, onProgress: (p) => wide.push(`done ${p.done}`) });
    expect(wide.slice(0, 2)).toEqual(['start 01', 'start 02']);
  });

  it('relaunches Chromium after it died', async () => {
    const e = engine();
    await e.render({ items: items(1), html, css: CSS });
    const first = await e.browserInstance();
    const gone = new Promise((resolve) => first.once('disconnected', resolve));
    first.process()!.kill('SIGKILL');
    await gone;
    const pdf = await e.render({ items: items(2), html, css: CSS });
    expect(await pageSizesMm(pdf)).toHaveLength(2);
    expect(e.launches).toBe(2);
    expect((await e.browserInstance()).connected).toBe(true);
  });

  it('gives up on a page that takes too long', async () => {
    // Long enough for the usable render afterwards on a loaded 2-core CI machine (1.5 s was not).
    const e = engine({ timeoutMs: 6000 });
    const stuck = () => '<!doctype html><html><body><script>for(;;){}</script></body></html>';
    await expect(e.render({ items: items(1), html: stuck, css: CSS })).rejects.toBeInstanceOf(PdfTimeoutError);
    // The engine is still usable afterwards.
    expect(await pageSizesMm(await e.render({ items: items(1), html, css: CSS }))).toHaveLength(1);
  });

  it('says clearly when there is no Chromium, and launches nothing', async () => {
    const e = engine({ executablePath: '/nonexistent/chromium' });
    await expect(e.render({ items: items(1), html, css: CSS })).rejects.toBeInstanceOf(BrowserMissingError);
    expect(e.launches).toBe(0);
  });

  it('closes Chromium on close', async () => {
    const e = engine();
    await e.render({ items: items(1), html, css: CSS });
    const browser = await e.browserInstance();
    await e.close();
    expect(browser.connected).toBe(false);
    await expect(e.render({ items: items(1), html, css: CSS })).rejects.toThrow(/closed/);
  });
});
