import { readFileSync } from 'node:fs';
import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Attribute, Change } from 'ldapts';
import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { createTestApp, PASSWORD, Client as HttpClient, type TestApp } from '../helpers/app.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { users, type User } from '../../src/db/schema/users.js';
import { rateLimits } from '../../src/db/schema/rate-limits.js';
import { userFilterFor } from '../../src/features/auth/ldap.js';
import { DEFAULT_LDAP_USER_FILTER } from '../../src/config.js';

/**
 * Sign-in through a real OpenLDAP directory (slapd started here, on a free port, from
 * directory.ldif), through the real /login route.
 */
const SUFFIX = 'dc=example,dc=org';
const SERVICE_DN = `cn=svc-crm,ou=service,${SUFFIX}`;
const SERVICE_PASSWORD = 'service-secret-Ж7';
const ADMINS = `cn=crm-admins,ou=groups,${SUFFIX}`;
const SECRETARIES = `cn=crm-secretaries,ou=groups,${SUFFIX}`;

let slapd: Slapd;
let t: TestApp;

function ldapEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    LDAP_URL: slapd.url,
    LDAP_STARTTLS: 'true',
    LDAP_CA_FILE: slapd.caFile,
    LDAP_BIND_DN: SERVICE_DN,
    LDAP_BIND_PASSWORD: SERVICE_PASSWORD,
    LDAP_USER_BASE: `ou=people,${SUFFIX}`,
    LDAP_GROUP_ADMIN: ADMINS,
    LDAP_GROUP_SECRETARY: SECRETARIES,
    LDAP_TIMEOUT_MS: '2000',
    ...extra,
  };
}

beforeAll(async () => {
  slapd = await startSlapd({ ldif: readFileSync(new URL('./directory.ldif', import.meta.url), 'utf8'), suffix: SUFFIX, serviceDn: SERVICE_DN });
  t = await createTestApp(ldapEnv());
});
afterAll(async () => {
  await t?.close();
  await slapd?.remove();
});

/** Another instance of the app on the same database, configured differently (cheap: no new database). */
async function otherApp(env: Record<string, string>, logStream?: Writable): Promise<{ app: FastifyInstance; anonymous(): HttpClient; close(): Promise<void> }> {
  const config = loadConfig({ DATA_DIR: ':memory:', ADMIN_PASSWORD: PASSWORD, LOGIN_RATE_LIMIT: '10000', LOG_LEVEL: logStream ? 'trace' : 'silent', ...ldapEnv(env) });
  const app = await buildApp(config, logStream ? { database: t.database, logStream } : { database: t.database, logger: false });
  await app.ready();
  return { app, anonymous: () => new HttpClient(app), close: () => app.close() };
}

/** Binds as anyone but the service account and the root DN: password checks of users. */
const userBinds = () => slapd.binds() - slapd.binds(SERVICE_DN) - slapd.binds(slapd.rootDn);

/**
 * A bind count once slapd's log has caught up with what was asked before: it writes its log
 * asynchronously, and a root bind made now is logged after everything earlier.
 */
async function settled(count: () => number): Promise<number> {
  const marks = slapd.binds(slapd.rootDn);
  await (await slapd.admin()).unbind();
  for (let i = 0; i < 100 && slapd.binds(slapd.rootDn) === marks; i++) await new Promise((r) => setTimeout(r, 50));
  return count();
}

async function account(login: string): Promise<User | undefined> {
  const rows = await t.database.db.select().from(users).where(eq(users.login, login));
  return rows[0];
}

async function signIn(login: string, password: string): Promise<{ c: HttpClient; status: number; body: string }> {
  const c = t.anonymous();
  await c.get('/login');
  const res = await c.post('/login', { login, password });
  return { c, status: res.statusCode, body: res.body };
}

async function setMembers(group: string, members: string[]) {
  const admin = await slapd.admin();
  try {
    await admin.modify(group, new Change({ operation: 'replace', modification: new Attribute({ type: 'member', values: members }) }));
  } finally {
    await admin.unbind();
  }
}

describe('sign-in with the directory', () => {
  it('signs in a user of each role over StartTLS, creating the account from the directory', async () => {
    const cases = [
      { login: 'ivanov', password: 'Пароль-Иванова-1', role: 'admin', name: 'Иванов Иван Петрович', email: 'ivanov@example.org', adminPage: 200 },
      { login: 'petrova', password: 'petrova-pass-2', role: 'secretary', name: 'Петрова Мария Сергеевна', email: 'petrova@example.org', adminPage: 403 },
      // No displayName: the name falls back to cn; no group: the default role.
      { login: 'sidorov', password: 'sidorov-pass-3', role: 'employee', name: 'Пётр Сидоров', email: 'sidorov@example.org', adminPage: 403 },
    ];
    for (const x of cases) {
      const { c, status } = await signIn(x.login, x.password);
      expect(status, x.login).toBe(303);
      const row = await account(x.login);
      expect(row).toMatchObject({ source: 'ldap', role: x.role, name: x.name, email: x.email, externalDn: `uid=${x.login},ou=people,${SUFFIX}` });
      expect(row!.passwordHash).not.toMatch(/^scrypt/);
      expect(row!.checkedAt).toBeInstanceOf(Date);
      expect((await c.get('/admin/users')).statusCode).toBe(x.adminPage);
      const home = await c.get('/logout');
      expect(home.body).toContain(x.name);
    }
  });

  it('finds an Active Directory-style entry by sAMAccountName or userPrincipalName: one account', async () => {
    const dn = `cn=Ёлкина Анна,ou=people,${SUFFIX}`;
    expect((await signIn('yolkina', 'yolkina-pass-4')).status).toBe(303);
    expect((await signIn('yolkina@corp.example', 'yolkina-pass-4')).status).toBe(303);
    const rows = (await t.database.db.select().from(users).where(eq(users.source, 'ldap'))).filter((u) => u.externalDn === dn);
    expect(rows).toHaveLength(1);
    // Secretary through the entry's memberOf (the group itself does not list her).
    expect(rows[0]).toMatchObject({ login: 'yolkina', name: 'Ёлкина Анна Викторовна', role: 'secretary' });
  });

  it('refuses a wrong password and an unknown login with the usual message', async () => {
    for (const [login, password] of [
      ['petrova', 'wrong-password'],
      ['nobody-here', 'whatever-1'],
    ]) {
      const { c, status, body } = await signIn(login, password);
      expect(status).toBe(401);
      expect(body).toContain('Неверный логин или пароль.');
      // Not signed in (an anonymous session may exist: it holds the CSRF secret).
      expect((await c.get('/contacts')).statusCode).toBe(303);
    }
  });

  it('refuses disabled accounts: AD userAccountControl bit 2 and an OpenLDAP ppolicy lock', async () => {
    const before = await settled(userBinds);
    for (const [login, password] of [
      ['blocked', 'blocked-pass-5'],
      ['locked', 'locked-pass-6'],
    ]) {
      const { status, body } = await signIn(login, password);
      expect(status, login).toBe(401);
      expect(body).toContain('Неверный логин или пароль.');
      expect(await account(login)).toBeUndefined();
    }
    // Refused from the service account's search: the disabled user's password was never tried.
    expect(await settled(userBinds)).toBe(before);
  });

  it('gives a user moved between groups the new role at the next sign-in', async () => {
    expect((await signIn('sidorov', 'sidorov-pass-3')).status).toBe(303);
    expect((await account('sidorov'))!.role).toBe('employee');
    await setMembers(ADMINS, [`uid=ivanov,ou=people,${SUFFIX}`, `uid=sidorov,ou=people,${SUFFIX}`]);
    const { c } = await signIn('sidorov', 'sidorov-pass-3');
    expect((await account('sidorov'))!.role).toBe('admin');
    expect((await c.get('/admin/users')).statusCode).toBe(200);
    await setMembers(ADMINS, [`uid=ivanov,ou=people,${SUFFIX}`]);
    await signIn('sidorov', 'sidorov-pass-3');
    expect((await account('sidorov'))!.role).toBe('employee');
  });

  it('escapes the login in the filter (RFC 4515): wildcards and injected filters match nobody', async () => {
    // The filter this test checks really would match when unescaped: the test can fail.
    const admin = await slapd.admin();
    try {
      const raw = DEFAULT_LDAP_USER_FILTER.replaceAll('{login}', '*)(uid=*');
      expect((await admin.search(`ou=people,${SUFFIX}`, { filter: raw })).searchEntries.length).toBeGreaterThan(1);
      const escaped = userFilterFor(DEFAULT_LDAP_USER_FILTER, '*)(uid=*');
      expect(escaped).toContain('\\2a\\29\\28uid=\\2a');
      expect((await admin.search(`ou=people,${SUFFIX}`, { filter: escaped })).searchEntries).toHaveLength(0);
    } finally {
      await admin.unbind();
    }
    const before = await settled(userBinds);
    for (const [login, password] of [
      ['*)(uid=*', 'anything-1'],
      ['*', 'petrova-pass-2'],
      // Unescaped, "petr*" would find petrova and sign her in with her password.
      ['petr*', 'petrova-pass-2'],
      ['ivanov)(|(uid=*', 'Пароль-Иванова-1'],
    ]) {
      const { status } = await signIn(login, password);
      expect(status, login).toBe(401);
    }
    expect(await settled(userBinds)).toBe(before);
  });

  it('never binds with an empty password (that would be an anonymous bind)', async () => {
    const before = await settled(userBinds);
    for (const login of ['ivanov', 'nobody', '*']) {
      const { status, body } = await signIn(login, '');
      expect(status).toBe(401);
      expect(body).toContain('Неверный логин или пароль.');
    }
    expect(await settled(userBinds)).toBe(before);
  });

  it('keeps local accounts local: the administrator signs in with the local password, not the directory one', async () => {
    expect((await signIn('admin', 'directory-admin-pass')).status).toBe(401);
    expect((await signIn('admin', PASSWORD)).status).toBe(303);
    expect((await account('admin'))!.source).toBe('local');
  });

  it('shows in /admin/users where each account comes from, and offers no local password to directory accounts', async () => {
    const c = await t.as('admin');
    const page = await c.get('/admin/users');
    expect(page.body).toMatch(/<td>petrova<\/td>[\s\S]*?data-source="ldap">каталог</);
    expect(page.body).toMatch(/<td>secretary<\/td>[\s\S]*?data-source="local">локальная</);
    const petrova = (await account('petrova'))!;
    const edit = await c.get(`/admin/users/${petrova.id}/edit`);
    expect(edit.body).toContain('data-testid="directory-account"');
    expect(edit.body).toContain(`uid=petrova,ou=people,${SUFFIX}`);
    expect(edit.body).not.toContain(`action="/admin/users/${petrova.id}/password"`);
    const res = await c.post(`/admin/users/${petrova.id}/password`, { password: 'local-password-1' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('хранится в каталоге организации');
    expect((await account('petrova'))!.passwordHash).toBe(petrova.passwordHash);
    // A local account keeps its password form.
    const local = await c.get(`/admin/users/${t.users.secretary.id}/edit`);
    expect(local.body).toContain(`action="/admin/users/${t.users.secretary.id}/password"`);
  });

  it('ends the session of a user removed from the directory after the re-check interval', async () => {
    const { c, status } = await signIn('kozlov', 'kozlov-pass-7');
    expect(status).toBe(303);
    const admin = await slapd.admin();
    try {
      await admin.del(`uid=kozlov,ou=people,${SUFFIX}`);
    } finally {
      await admin.unbind();
    }
    // Checked at sign-in, so within LDAP_RECHECK_MINUTES (15) the session goes on.
    expect((await c.get('/contacts')).statusCode).toBe(200);
    // The interval has passed: the next request asks the directory and ends the session.
    await t.database.db.update(users).set({ checkedAt: new Date(Date.now() - 16 * 60_000) }).where(eq(users.login, 'kozlov'));
    const res = await c.get('/contacts');
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toMatch(/^\/login\?next=/);
    const login = await c.get(res.headers.location as string);
    expect(login.body).toContain('удалена или отключена в каталоге');
    expect((await c.get('/contacts')).statusCode).toBe(303);
    // Nor can the removed user sign in again.
    expect((await signIn('kozlov', 'kozlov-pass-7')).status).toBe(401);
  });

  it('re-checks a signed-in user on every request with LDAP_RECHECK_MINUTES=0, and a disabled one is signed out', async () => {
    const t0 = await otherApp({ LDAP_RECHECK_MINUTES: '0' });
    try {
      const c = t0.anonymous();
      await c.signIn('petrova', 'petrova-pass-2');
      expect((await c.get('/contacts')).statusCode).toBe(200);
      const admin = await slapd.admin();
      try {
        await admin.modify(`uid=petrova,ou=people,${SUFFIX}`, new Change({ operation: 'add', modification: new Attribute({ type: 'pwdAccountLockedTime', values: ['000001010000Z'] }) }));
        const res = await c.get('/contacts');
        expect(res.statusCode).toBe(303);
        const login = await c.get(res.headers.location as string);
        expect(login.body).toContain('удалена или отключена в каталоге');
      } finally {
        await admin.modify(`uid=petrova,ou=people,${SUFFIX}`, new Change({ operation: 'delete', modification: new Attribute({ type: 'pwdAccountLockedTime', values: [] }) }));
        await admin.unbind();
      }
    } finally {
      await t0.close();
    }
  });

  it('rate-limits directory sign-ins like local ones: past the limit the directory is not asked', async () => {
    const o = await otherApp({ LOGIN_RATE_LIMIT: '3' });
    // The sign-in limit is kept in the database for all instances: start from no attempts.
    await t.database.db.delete(rateLimits);
    try {
      const c = o.anonymous();
      await c.get('/login');
      // Petrova's own binds (another instance's session re-check may bind the service account
      // meanwhile), read once slapd's log has caught up: a bind of the root DN made after the
      // requests is logged after everything they caused.
      const petrova = `uid=petrova,ou=people,${SUFFIX}`;
      const binds = () => slapd.binds(petrova);
      const start = await settled(binds);
      for (let i = 0; i < 3; i++) expect((await c.post('/login', { login: 'petrova', password: `wrong-${i}` })).statusCode).toBe(401);
      const before = await settled(binds);
      expect(before).toBe(start + 3);
      const res = await c.post('/login', { login: 'petrova', password: 'petrova-pass-2' });
      expect(res.statusCode).toBe(429);
      expect(await settled(binds)).toBe(before);
    } finally {
      await o.close();
    }
  });

  it('never logs the bind password or a user password, even when the directory refuses the service account', async () => {
    let log = '';
    const stream = new Writable({
      write(chunk, _enc, done) {
        log += chunk.toString();
        done();
      },
    });
    const wrong = 'wrong-service-secret-Щ9';
    const o = await otherApp({ LDAP_BIND_PASSWORD: wrong }, stream);
    try {
      const c = o.anonymous();
      await c.get('/login');
      const res = await c.post('/login', { login: 'ivanov', password: 'Пароль-Иванова-1' });
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('Каталог недоступен');
      expect(res.body).not.toContain(wrong);
      // Whatever carries the configuration into the log is redacted.
      o.app.log.info({ config: o.app.config }, 'configuration');
    } finally {
      await o.close();
    }
    expect(log).toContain('the directory refused the request');
    expect(log).toContain('[redacted]');
    expect(log).toContain('sign-in refused');
    for (const secret of [wrong, 'Пароль-Иванова-1']) expect(log).not.toContain(secret);
  });

  it('signs in over ldaps:// with the CA file', async () => {
    const t1 = await otherApp({ LDAP_URL: slapd.ldapsUrl, LDAP_STARTTLS: 'false' });
    try {
      const c = t1.anonymous();
      await c.signIn('ivanov', 'Пароль-Иванова-1');
      expect((await c.get('/admin/users')).statusCode).toBe(200);
      // Without the CA the certificate is not trusted: no password goes to an unverified server.
      const t2 = await otherApp({ LDAP_URL: slapd.ldapsUrl, LDAP_STARTTLS: 'false', LDAP_CA_FILE: '' });
      try {
        const c2 = t2.anonymous();
        await c2.get('/login');
        const res = await c2.post('/login', { login: 'ivanov', password: 'Пароль-Иванова-1' });
        expect(res.statusCode).toBe(503);
        expect(res.body).toContain('Каталог недоступен');
      } finally {
        await t2.close();
      }
    } finally {
      await t1.close();
    }
  });
});

describe('a dead directory', () => {
  it('answers "directory unavailable" within the timeout when the directory accepts but never replies', async () => {
    // A TCP server that accepts connections and says nothing: the worst kind of dead directory.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const t3 = await otherApp({ LDAP_URL: `ldap://127.0.0.1:${port}`, LDAP_STARTTLS: 'false', LDAP_ALLOW_PLAINTEXT: 'true', LDAP_CA_FILE: '', LDAP_TIMEOUT_MS: '1000' });
    try {
      const c = t3.anonymous();
      await c.get('/login', { 'accept-language': 'en' });
      const started = Date.now();
      const res = await c.post('/login', { login: 'ivanov', password: 'Пароль-Иванова-1' }, { 'accept-language': 'en' });
      const took = Date.now() - started;
      expect(res.statusCode).toBe(503);
      expect(res.body).toContain('Directory unavailable');
      expect(took).toBeLessThan(5000);
      // The server is not held: other requests are answered meanwhile and after.
      expect((await c.get('/healthz')).statusCode).toBe(200);
    } finally {
      await t3.close();
      sockets.forEach((s) => s.destroy());
      silent.close();
    }
  });

  it('when the directory stops mid-test: "каталог недоступен" at once, sessions end, the local admin still signs in', async () => {
    const t4 = await otherApp({ LDAP_RECHECK_MINUTES: '15' });
    try {
      const c = t4.anonymous();
      await c.signIn('petrova', 'petrova-pass-2');
      await slapd.stop();
      const started = Date.now();
      const { statusCode, body } = await (async () => {
        const x = t4.anonymous();
        await x.get('/login');
        return x.post('/login', { login: 'ivanov', password: 'Пароль-Иванова-1' });
      })();
      expect(statusCode).toBe(503);
      expect(body).toContain('Каталог недоступен');
      expect(Date.now() - started).toBeLessThan(5000);
      // The local administrator is never sent to the directory.
      const admin = t4.anonymous();
      await admin.signIn('admin', PASSWORD);
      expect((await admin.get('/admin/users')).statusCode).toBe(200);
      // A directory session due for its re-check ends (fail closed) and says why.
      await t.database.db.update(users).set({ checkedAt: new Date(Date.now() - 16 * 60_000) }).where(eq(users.login, 'petrova'));
      const res = await c.get('/contacts');
      expect(res.statusCode).toBe(303);
      expect((await c.get(res.headers.location as string)).body).toContain('Каталог недоступен, поэтому проверить вашу учётную запись не удалось');
    } finally {
      await t4.close();
    }
  });
});
