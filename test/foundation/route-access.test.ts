import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Client, type TestApp } from '../helpers/app.js';
import { allows, type Access } from '../../src/lib/access.js';
import type { Role } from '../../src/db/schema/users.js';

/**
 * Walks every registered route as anonymous, employee, secretary and admin, and checks that the
 * declared access is what the server enforces. A new route is covered without touching this file.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

// Routes whose success would end the session the walk is using.
const SKIP_ALLOWED = new Set(['POST /logout', 'POST /login']);

function concrete(url: string): string {
  return url.replace(/:(\w+)/g, '1').replace(/\*$/, 'app.css');
}

async function call(c: Client, method: string, url: string) {
  if (method === 'GET') return c.get(url);
  return c.request({ method, url, payload: `_csrf=${encodeURIComponent(c.csrf)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}

describe('route access', () => {
  it('has routes of every access level', () => {
    const levels = new Set(t.app.routeTable.map((r) => r.access));
    for (const l of ['public', 'user', 'admin'] as Access[]) expect(levels.has(l)).toBe(true);
    expect(t.app.routeTable.length).toBeGreaterThan(5);
  });

  it('enforces the declared access on every route for every role', async () => {
    const roles: (Role | null)[] = [null, 'employee', 'secretary', 'admin'];
    const failures: string[] = [];
    for (const role of roles) {
      const client = role ? await t.as(role) : t.anonymous();
      if (!role) await client.get('/login');
      for (const route of t.app.routeTable) {
        const key = `${route.method} ${route.url}`;
        const allowed = allows(route.access, role);
        if (allowed && SKIP_ALLOWED.has(key)) continue;
        const res = await call(client, route.method, concrete(route.url));
        const toLogin = res.statusCode === 303 && String(res.headers.location).startsWith('/login?');
        if (allowed) {
          if (res.statusCode === 403 || toLogin || res.statusCode >= 500) failures.push(`${key} as ${role ?? 'anonymous'}: ${res.statusCode}`);
        } else if (role === null) {
          if (!toLogin) failures.push(`${key} as anonymous: expected redirect to /login, got ${res.statusCode}`);
        } else if (res.statusCode !== 403) {
          failures.push(`${key} as ${role}: expected 403, got ${res.statusCode}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('every route declares a schema for what it reads: params, query string, form body', () => {
    const missing: string[] = [];
    // Uploads are read part by part by their route (limits, sniffing); their URL carries the CSRF token.
    const multipart = new Set(['POST /import', 'POST /documents', 'POST /documents/:id/files', 'POST /persons/:id/photo', 'POST /mailings/:id/letter']);
    for (const r of t.app.routeTable) {
      const key = `${r.method} ${r.url}`;
      const s = r.schema;
      if (/[:*]/.test(r.url) && !s.params) missing.push(`${key}: params`);
      if (r.method === 'GET' && !s.querystring) missing.push(`${key}: querystring`);
      if (r.method === 'POST') {
        if (multipart.has(key)) {
          if (!s.querystring) missing.push(`${key}: querystring (upload)`);
        } else if (!s.body) missing.push(`${key}: body`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('refuses to boot when a route declares no access', async () => {
    const { buildApp } = await import('../../src/app.js');
    const { freshDatabase } = await import('../helpers/db.js');
    const db = await freshDatabase();
    const app = await buildApp(t.config, { database: db.database, logger: false });
    try {
      expect(() => app.get('/open', async () => 'oops')).toThrow(/declares no valid config.access/);
    } finally {
      await app.close();
      await db.drop();
    }
  });

  it('shows a localized 403 page, and a flash fragment to htmx', async () => {
    const c = await t.as('employee');
    const page = await c.get('/admin/users');
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Доступ запрещён');
    expect(page.body).toContain('<html');
    const frag = await c.get('/admin/users', { 'hx-request': 'true' });
    expect(frag.statusCode).toBe(403);
    expect(frag.body).not.toContain('<html');
    expect(frag.body).toContain('Доступ запрещён');
    expect(frag.headers['hx-retarget']).toBe('#flash');
  });
});
