import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type BrowserHarness } from './harness.js';

let h: BrowserHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('signing in (browser)', () => {
  it('signs in, shows the name, switches language and signs out', async () => {
    const page = await h.newPage();
    await h.signIn(page, 'employee');
    const who = await page.$eval('[data-testid=current-user]', (el) => el.textContent ?? '');
    expect(who).toContain('Сотрудник Борис');
    expect(who).toContain('сотрудник');

    await Promise.all([page.waitForNavigation(), page.click('button[name=lang][value=en]')]);
    expect(await page.$eval('html', (el) => el.lang)).toBe('en');
    expect(await page.$eval('[data-testid=logout]', (el) => el.textContent)).toBe('Sign out');
    expect(await page.$eval('[data-testid=current-user]', (el) => el.textContent)).toContain('employee');

    await Promise.all([page.waitForNavigation(), page.click('[data-testid=logout]')]);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.$('[data-testid=current-user]')).toBeNull();
    // The language stays English after signing out: it is remembered in a cookie too.
    expect(await page.$eval('h1', (el) => el.textContent)).toBe('Sign in');
  });

  it('shows the error for a wrong password without JavaScript', async () => {
    const page = await h.newPage({ javascript: false });
    await h.signIn(page, 'employee', 'wrong');
    expect(await page.$eval('[role=alert]', (el) => el.textContent)).toContain('Неверный логин или пароль');
  });
});
