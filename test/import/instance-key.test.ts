import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { makePerson } from '../helpers/factories.js';
import { settings } from '../../src/db/schema/settings.js';

// The installation's name in the export's keys is a random hex string kept in settings (jsonb).
// One in about seventy of those reads as a JSON number ("3353e082"), and was read back as
// 3.353e+85: keys like "p1-3.3533e+82", which the XSD refuses and which no re-import recognises.

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
  // Before anything asks for it, as a first start that happened to draw this name would store it.
  await t.database.db.insert(settings).values({ key: 'export_instance', value: '3353e082' });
});
afterAll(async () => t?.close());

describe('the installation name in export keys', () => {
  it('stays the hex string it was stored as, even when it reads as a number', async () => {
    const p = await makePerson(t.database.db, t.users.secretary, { surname: 'Ключов' });
    const c = await t.as('employee');
    const res = await c.get('/export.xml');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`id="p${p.id}-3353e082"`);
    expect(res.body).not.toMatch(/id="[pog]\d+-[^"]*[.+]/);
  });
});
