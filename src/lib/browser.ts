import { existsSync } from 'node:fs';

/** Flags Chromium needs on these machines (root, no GPU, closed network) and in containers. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const SYSTEM_BROWSERS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

export class BrowserMissingError extends Error {
  constructor() {
    super(
      'No Chromium or Chrome found. Install one (Debian/Ubuntu: `apt-get install chromium`; ' +
        'elsewhere: `npx puppeteer browsers install chrome`) or set PUPPETEER_EXECUTABLE_PATH.',
    );
  }
}

/**
 * Finds a browser: PUPPETEER_EXECUTABLE_PATH, else the system Chromium/Chrome, else one in
 * Puppeteer's cache. Puppeteer never downloads one itself (.puppeteerrc.cjs).
 */
export async function findBrowser(configured: string | null = process.env.PUPPETEER_EXECUTABLE_PATH || null): Promise<string> {
  if (configured) {
    if (existsSync(configured)) return configured;
    throw new BrowserMissingError();
  }
  for (const p of SYSTEM_BROWSERS) if (existsSync(p)) return p;
  try {
    const { default: puppeteer } = await import('puppeteer');
    const cached = puppeteer.executablePath();
    if (cached && existsSync(cached)) return cached;
  } catch {
    // No cached browser: fall through to the clear message.
  }
  throw new BrowserMissingError();
}
