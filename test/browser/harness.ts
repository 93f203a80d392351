import type { AddressInfo } from 'node:net';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { chromiumArgs, findBrowser } from '../../src/lib/browser.js';
import { createTestApp, PASSWORD, type TestApp } from '../helpers/app.js';

export { PASSWORD };

export interface BrowserHarness {
  t: TestApp;
  baseUrl: string;
  browser: Browser;
  /** A new page (own cookies) with JavaScript on or off. */
  newPage(opts?: { javascript?: boolean }): Promise<Page>;
  signIn(page: Page, login: string, password?: string): Promise<void>;
  close(): Promise<void>;
}

/** The real server on a free port of 127.0.0.1, and the system Chromium driven by Puppeteer. */
export async function startHarness(): Promise<BrowserHarness> {
  const t = await createTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = t.app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const browser = await puppeteer.launch({ executablePath: await findBrowser(), args: chromiumArgs(), headless: true });
  const contexts: { close(): Promise<void> }[] = [];
  return {
    t,
    baseUrl,
    browser,
    async newPage(opts = {}) {
      const ctx = await browser.createBrowserContext();
      contexts.push(ctx);
      const page = await ctx.newPage();
      await page.setJavaScriptEnabled(opts.javascript ?? true);
      // A Russian office's browser; the app's default language follows Accept-Language.
      await page.setExtraHTTPHeaders({ 'Accept-Language': 'ru-RU,ru;q=0.9' });
      // Generous: CI shares two cores between PGlite test files and Chromium.
      page.setDefaultTimeout(30_000);
      return page;
    },
    async signIn(page, login, password = PASSWORD) {
      await page.goto(`${baseUrl}/login`);
      await page.type('input[name=login]', login);
      await page.type('input[name=password]', password);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await t.close();
    },
  };
}
