import type { AddressInfo } from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PASSWORD, type TestApp } from '../helpers/app.js';
import { makePerson } from '../helpers/factories.js';
import { sessions } from '../../src/db/schema/sessions.js';
import { groupMemberships } from '../../src/db/schema/groups.js';
import { addMember, createGroup } from '../../src/features/groups/service.js';
import { SocketClient } from './socket-client.js';

/**
 * Issue 14, finding 1: a `next=` with characters a header cannot carry (`/Ж`) was written into
 * Location as is; when the request had also changed the session, the ERR_INVALID_CHAR escaped as
 * an unhandled rejection and Node exited. Three ways in, each on a real socket; afterwards the
 * server must still answer.
 */
let t: TestApp;
let base = '';
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  t = await createTestApp();
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await t?.close();
});

async function membership() {
  const group = await createGroup(t.database.db, t.users.secretary, { name: `Группа ${Math.random()}`, description: '', mark: 'none' });
  const person = await makePerson(t.database.db, t.users.secretary);
  await addMember(t.database.db, t.users.secretary, group.id, { personId: person.id });
  const [m] = await t.database.db.select().from(groupMemberships).where(eq(groupMemberships.groupId, group.id));
  return { group, membershipId: m.id };
}

describe('next= on a real socket', () => {
  it('signing in with next=/Ж lands on the percent-encoded path', async () => {
    const c = new SocketClient(base);
    await c.get('/login?next=%2F%D0%96');
    const res = await c.post('/login', { login: 'employee', password: PASSWORD, next: '/Ж' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/%D0%96');
    expect((await c.get('/healthz')).status).toBe(200);
  });

  it('GET /login?next=/%D0%96 from a user idle over a minute redirects there, encoded', async () => {
    const c = new SocketClient(base);
    await c.signIn('employee', PASSWORD);
    // Idle for two minutes: this request touches the session (lastSeenAt) and so saves it.
    for (const r of await t.database.db.select().from(sessions)) {
      const d = r.data as { userId?: number; lastSeenAt?: number };
      if (d.userId === t.users.employee.id) {
        await t.database.db.update(sessions).set({ data: { ...d, lastSeenAt: Date.now() - 120_000 } }).where(eq(sessions.sid, r.sid));
      }
    }
    const res = await c.get('/login?next=/%D0%96');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/%D0%96');
    expect((await c.get('/healthz')).status).toBe(200);
  });

  it("a secretary's membership removal with a non-ASCII next is saved and lands on the group page with the flash", async () => {
    const { group, membershipId } = await membership();
    const c = new SocketClient(base);
    await c.signIn('secretary', PASSWORD);
    await c.get(`/groups/${group.id}`);
    const res = await c.post(`/memberships/${membershipId}/remove`, { next: '/Ж' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/groups/${group.id}`);
    const [m] = await t.database.db.select().from(groupMemberships).where(eq(groupMemberships.id, membershipId));
    expect(m.removedAt).not.toBeNull();
    const page = await c.get(`/groups/${group.id}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('Исключено из группы');
    expect((await c.get('/healthz')).status).toBe(200);
  });

  it('a membership removal with a next of another site also lands on the group page', async () => {
    const { group, membershipId } = await membership();
    const c = await t.as('secretary');
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/ok\u0000']) {
      const res = await c.post(`/memberships/${membershipId}/remove`, { next });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe(`/groups/${group.id}`);
    }
  });

  it('sign-in falls back to the home page for anything but a same-site path', async () => {
    for (const next of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'evil', '/a\u0000b']) {
      const c = t.anonymous();
      await c.get('/login');
      const res = await c.post('/login', { login: 'employee', password: PASSWORD, next });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/');
    }
  });

  it('keeps a same-site path with its query, encoding only what a header cannot carry', async () => {
    const c = t.anonymous();
    await c.get('/login');
    const res = await c.post('/login', { login: 'employee', password: PASSWORD, next: '/contacts?q=%D0%98&org=5 x' });
    expect(res.headers.location).toBe('/contacts?q=%D0%98&org=5%20x');
  });

  it('nothing went unhandled and the server still answers', async () => {
    expect(unhandled).toEqual([]);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
  });
});
