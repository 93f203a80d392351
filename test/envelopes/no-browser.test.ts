import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makeOrganization } from '../helpers/factories.js';
import { ADDRESS, makeGroup } from './helpers.js';

/** The server has no Chromium: PDFs fail with a clear page, the printable HTML keeps working. */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ PUPPETEER_EXECUTABLE_PATH: '/nonexistent/chromium' });
});
afterAll(async () => t?.close());

describe('without Chromium', () => {
  it('answers the PDF with a 503 page that points to the HTML version, which still works', async () => {
    const org = await makeOrganization(t.database.db, t.users.secretary, { name: 'ООО «Без браузера»', ...ADDRESS });
    const group = await makeGroup(t.database.db, [{ organizationId: org.id }]);
    const c = await t.as('employee');
    for (const [url, html] of [
      [`/groups/${group.id}/envelopes.pdf?format=DL`, `/groups/${group.id}/envelopes?format=DL`],
      [`/organizations/${org.id}/envelope.pdf?format=C5`, `/organizations/${org.id}/envelope?format=C5`],
      [`/groups/${group.id}/labels.pdf?sheet=L7163&start=2`, `/groups/${group.id}/labels?sheet=L7163&amp;start=2`],
    ]) {
      const res = await c.get(url);
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('PDF сейчас недоступен');
      expect(res.body).toContain('не найден браузер Chromium');
      expect(res.body).toContain('PUPPETEER_EXECUTABLE_PATH');
      expect(res.body).toContain(`href="${html}" data-testid="html-version"`);
    }
    const page = await c.get(`/groups/${group.id}/envelopes?format=DL`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ООО «Без браузера»');
    expect(page.body).toContain('data-index="620014"');
  });
});
