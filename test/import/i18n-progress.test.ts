import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { dictionaries } from '../../src/i18n/index.js';
import { registerFeatures } from '../../src/features/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { sample, uploadOk } from './helpers.js';
import { importBatches } from '../../src/db/schema/imports.js';

// The features' strings join the dictionary at startup; the first tests here start no app.
registerFeatures();

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('import and export strings', () => {
  it('exist in Russian and English for every key the import code and views name', () => {
    const dirs = ['src/features/import', 'src/features/export', 'views/import'];
    const used = new Set<string>();
    for (const dir of dirs) {
      for (const name of readdirSync(path.join(ROOT, dir))) {
        if (!/\.(ts|eta)$/.test(name) || name.endsWith('.test.ts')) continue;
        const text = readFileSync(path.join(ROOT, dir, name), 'utf8');
        for (const m of text.matchAll(/'((?:import|export)\.[a-zA-Z][\w.]*[a-zA-Z])'/g)) used.add(m[1]);
      }
    }
    expect(used.size).toBeGreaterThan(60);
    const missing = [...used].filter((k) => !(k in dictionaries.ru) || !(k in dictionaries.en));
    expect(missing).toEqual([]);
  });

  it('translate every problem code the parsers and the mapping report', () => {
    const codes = new Set<string>();
    for (const dir of ['src/features/import/parse', 'src/features/import']) {
      for (const name of readdirSync(path.join(ROOT, dir))) {
        if (!name.endsWith('.ts') || name.endsWith('.test.ts')) continue;
        for (const m of readFileSync(path.join(ROOT, dir, name), 'utf8').matchAll(/code: '([a-z_0-9]+)'/g)) codes.add(m[1]);
      }
    }
    expect(codes.size).toBeGreaterThan(15);
    expect([...codes].filter((c) => !(`import.problem.${c}` in dictionaries.ru) || !(`import.problem.${c}` in dictionaries.en))).toEqual([]);
  });
});

describe('progress', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  it('a committing batch polls every second (htmx), and a commit whose process died can be started again', async () => {
    const c = await t.as('secretary');
    const id = await uploadOk(c, sample('outlook-en-utf8.csv'), 'en.csv');
    const db = t.database.db;
    await db.update(importBatches).set({ status: 'committing', startedAt: new Date(), progressAt: new Date(), done: 0 }).where(eq(importBatches.id, id));
    const page = await c.get(`/import/${id}`);
    expect(page.body).toContain(`hx-get="/import/${id}" hx-trigger="every 1s" hx-target="this" hx-swap="outerHTML"`);
    expect(page.body).toContain('<progress max="1" value="0" data-progress></progress>');
    const frag = await c.get(`/import/${id}`, { 'hx-request': 'true' });
    expect(frag.body).not.toContain('<html');
    expect(frag.body).toContain('hx-trigger="every 1s"');
    // Meanwhile nothing else may start it.
    expect((await c.post(`/import/${id}/commit`)).statusCode).toBe(409);

    // No progress for a long time and no job in this process: it died, nothing was written.
    await db.update(importBatches).set({ progressAt: new Date(Date.now() - 60 * 60 * 1000) }).where(eq(importBatches.id, id));
    const stale = await c.get(`/import/${id}`);
    expect(stale.body).not.toContain('hx-trigger="every 1s"');
    expect(stale.body).toContain('data-testid="import-failed"');
    expect((await c.post(`/import/${id}/commit`)).statusCode).toBe(303);
    // Followed as the page does (it polls every second), until the job has committed it.
    for (const until = Date.now() + 60_000; Date.now() < until; ) {
      const [b] = await db.select().from(importBatches).where(eq(importBatches.id, id));
      if (b.status === 'committed') return;
      await c.get(`/import/${id}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('not committed');
  });
});
