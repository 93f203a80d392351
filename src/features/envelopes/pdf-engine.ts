import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { ParseSpeeds, PDFDocument } from '@cantoo/pdf-lib';
import { chromiumArgs, findBrowser } from '../../lib/browser.js';

export interface PdfEngineOptions {
  /** config.browserPath: null finds the system Chromium; a path that does not exist fails clearly. */
  executablePath?: string | null;
  /** Pages rendering at once, across all requests; more than the cores only adds memory. */
  concurrency?: number;
  /** For one batch, from opening the page to the finished PDF. */
  timeoutMs?: number;
  /**
   * Envelopes per Chromium page. One page holding thousands of envelopes grows to gigabytes
   * (FORMATS.md: 5,000 in one pass ≈ 7 GB); batches of ~500 merged afterwards stay near 1 GB.
   */
  batchSize?: number;
  log?: { warn(obj: object, msg: string): void };
}

export interface Progress {
  done: number;
  total: number;
}

export interface RenderRequest<T> {
  items: T[];
  /** The HTML of one batch; called only when the batch is about to render, so few exist at once. */
  html(batch: T[], batchIndex: number): string | Promise<string>;
  /** Put into every page's head: the PDF page is not served by us, so it cannot link our stylesheets. */
  css: string;
  /** Items per batch when they are not single envelopes (a label sheet holds two dozen). */
  batchSize?: number;
  onProgress?(p: Progress): void;
  /** Aborted (a cancelled job, a shutdown): no further batch is started and the render fails. */
  signal?: AbortSignal;
  /**
   * false: no structure tree in the PDF. Chromium's tagged PDF (puppeteer's default) costs a third
   * of the CPU on a dense table (form 103: 1,000 rows 4.3 → 3.1 s) and quadruples its size.
   */
  tagged?: boolean;
}

export class PdfTimeoutError extends Error {
  constructor(ms: number) {
    super(`PDF rendering took longer than ${ms} ms`);
  }
}

/** A counting semaphore: at most `max` holders, the others wait in order. */
class Slots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly max: number) {}

  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    // The releasing holder hands its slot over, so `active` stays the same.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PdfTimeoutError(ms)), ms);
  });
  // After a timeout the page is closed and the work rejects; nobody waits for it any more.
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The stylesheet goes into the head before the page is parsed: added afterwards (addStyleTag) it
 * costs a second layout of every envelope. This page is never served, so the CSP does not apply.
 */
function withStyle(html: string, css: string): string {
  const style = `<style>${css.replace(/<\/style/gi, '<\\/style')}</style>`;
  const head = html.indexOf('</head>');
  return head >= 0 ? html.slice(0, head) + style + html.slice(head) : style + html;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Joins the batch PDFs in order while later batches are still rendering: a part is appended as
 * soon as every part before it is in, then dropped, so Node holds little more than the result.
 */
class OrderedMerge {
  private readonly out = PDFDocument.create({ updateMetadata: false });
  private readonly ready = new Map<number, Uint8Array>();
  private next = 0;
  private chain: Promise<void> = Promise.resolve();

  add(index: number, part: Uint8Array): Promise<void> {
    this.ready.set(index, part);
    this.chain = this.chain.then(() => this.drain());
    return this.chain;
  }

  private async drain() {
    const out = await this.out;
    for (let part = this.ready.get(this.next); part; part = this.ready.get(this.next)) {
      this.ready.delete(this.next++);
      // Parsing yields to the event loop every 1,500 objects, so other requests are served meanwhile.
      const doc = await PDFDocument.load(part, { updateMetadata: false, parseSpeed: ParseSpeeds.Fast });
      for (const page of await out.copyPages(doc, doc.getPageIndices())) out.addPage(page);
    }
  }

  async save(): Promise<Uint8Array> {
    await this.chain;
    return (await this.out).save({ objectsPerTick: 2_000 });
  }
}

/**
 * One Chromium for the whole application, launched on the first PDF and reused: starting it costs
 * more than rendering a few hundred envelopes. Each batch gets its own page, closed afterwards;
 * a concurrency limit bounds memory; a Chromium that died is relaunched on the next batch.
 */
export class PdfEngine {
  private browser: Promise<Browser> | null = null;
  private readonly slots: Slots;
  private closed = false;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly batchSize: number;
  /** How many times Chromium was started: tests and the benchmark read it. */
  launches = 0;

  constructor(private readonly opts: PdfEngineOptions = {}) {
    this.concurrency = opts.concurrency ?? 2;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.batchSize = opts.batchSize ?? 500;
    this.slots = new Slots(this.concurrency);
  }

  /** The shared browser, launched when first needed; throws BrowserMissingError without one. */
  browserInstance(): Promise<Browser> {
    if (this.closed) return Promise.reject(new Error('PDF engine is closed'));
    if (this.browser) return this.browser;
    const launching = (async () => {
      const executablePath = await findBrowser(this.opts.executablePath ?? null);
      const browser = await puppeteer.launch({ executablePath, args: [...chromiumArgs(), '--font-render-hinting=none'], headless: true, timeout: 30_000 });
      this.launches++;
      browser.on('disconnected', () => {
        if (this.browser === launching) this.browser = null;
        if (!this.closed) this.opts.log?.warn({ launches: this.launches }, 'Chromium disconnected; it will be relaunched on the next PDF');
      });
      return browser;
    })();
    this.browser = launching;
    // A failed launch is not cached: the next request tries again (Chromium may be installed meanwhile).
    launching.catch(() => {
      if (this.browser === launching) this.browser = null;
    });
    return launching;
  }

  private async renderBatch(html: string, css: string, tagged?: boolean): Promise<Uint8Array> {
    for (let attempt = 0; ; attempt++) {
      const launched = this.browserInstance();
      const browser = await launched;
      const held: { page?: Page } = {};
      try {
        return await withTimeout(
          (async () => {
            held.page = await browser.newPage();
            await held.page.setContent(withStyle(html, css), { waitUntil: 'load', timeout: this.timeoutMs });
            // Text measured before the fonts are in would be laid out in a fallback font.
            await held.page.evaluate(() => document.fonts.ready.then(() => undefined));
            return held.page.pdf({ preferCSSPageSize: true, timeout: this.timeoutMs, ...(tagged === undefined ? {} : { tagged }) });
          })(),
          this.timeoutMs,
        );
      } catch (err) {
        // Chromium crashed or was killed under this batch: start a fresh one and try once more.
        if (attempt === 0 && !browser.connected && !this.closed) {
          if (this.browser === launched) this.browser = null;
          this.opts.log?.warn({ err }, 'Chromium died during a PDF batch; relaunching');
          continue;
        }
        throw err;
      } finally {
        // A hung renderer must not hold the slot forever: closing gets a deadline too.
        if (held.page) await withTimeout(held.page.close(), 5_000).catch(() => {});
      }
    }
  }

  /** Renders the items in batches and returns one PDF with their pages in order. */
  async render<T>(req: RenderRequest<T>): Promise<Uint8Array> {
    const batches = chunk(req.items, req.batchSize ?? this.batchSize);
    if (batches.length === 0) throw new Error('nothing to render');
    const merge = batches.length > 1 ? new OrderedMerge() : null;
    let single: Uint8Array | null = null;
    let done = 0;
    let failed = false;
    await Promise.all(
      batches.map(async (batch, i) => {
        let pdf: Uint8Array;
        await this.slots.acquire();
        try {
          // One failed batch fails the request: do not spend Chromium on the rest.
          if (failed) return;
          if (req.signal?.aborted) throw new Error('PDF rendering aborted');
          pdf = await this.renderBatch(await req.html(batch, i), req.css, req.tagged);
          done += batch.length;
          req.onProgress?.({ done, total: req.items.length });
        } catch (err) {
          failed = true;
          throw err;
        } finally {
          this.slots.release();
        }
        // Merged outside the slot, so Chromium goes on with the next batch meanwhile.
        if (merge) await merge.add(i, pdf);
        else single = pdf;
      }),
    );
    return merge ? merge.save() : single!;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.browser;
    this.browser = null;
    const browser = await pending?.catch(() => null);
    await browser?.close().catch(() => {});
  }
}

const engines = new WeakMap<object, PdfEngine>();

/**
 * The app's one engine (one Chromium, one limit on pages at once) for every feature that prints
 * through it: envelopes, and a mailing's envelopes. Keyed by the app's database, which every
 * encapsulated plugin of one app shares; closed when the app closes.
 */
export function sharedPdfEngine(app: { db: object; config: { browserPath: string | null }; log: PdfEngineOptions['log']; addHook(name: 'onClose', fn: () => Promise<void>): unknown }): PdfEngine {
  let engine = engines.get(app.db);
  if (!engine) {
    const created = new PdfEngine({ executablePath: app.config.browserPath, log: app.log });
    engines.set(app.db, created);
    app.addHook('onClose', async () => {
      engines.delete(app.db);
      await created.close();
    });
    engine = created;
  }
  return engine;
}
