import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import type { Role, User } from '../../src/db/schema/users.js';
import { insertUser } from '../../src/features/users/queries.js';
import { hashPassword } from '../../src/lib/passwords.js';
import { freshDatabase } from './db.js';

export const PASSWORD = 'test-password-1';

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  config: Config;
  users: Record<Role, User>;
  /** A signed-in client for the role, through the real sign-in form. */
  as(role: Role): Promise<Client>;
  anonymous(): Client;
  close(): Promise<void>;
}

/** Boots the real app on a fresh database with one account per role. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const { database, drop } = await freshDatabase();
  const config = loadConfig({
    DATA_DIR: ':memory:',
    ADMIN_LOGIN: 'admin',
    ADMIN_PASSWORD: PASSWORD,
    LOGIN_RATE_LIMIT: '10000',
    // TEST_LOG_LEVEL=error (say) shows the server's log of a failing test.
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
  const app = await buildApp(config, { database, logger: process.env.TEST_LOG_LEVEL ? undefined : false });
  await app.ready();
  const hash = await hashPassword(PASSWORD);
  const secretary = await insertUser(database.db, { login: 'secretary', name: 'Секретарь Анна', passwordHash: hash, role: 'secretary' });
  const employee = await insertUser(database.db, { login: 'employee', name: 'Сотрудник Борис', passwordHash: hash, role: 'employee' });
  const [admin] = await database.db.query.users.findMany({ where: (u, { eq }) => eq(u.login, 'admin') });
  const clients = new Map<Role, Client>();
  return {
    app,
    database,
    config,
    users: { admin, secretary, employee },
    async as(role) {
      let c = clients.get(role);
      if (!c) {
        c = new Client(app);
        await c.signIn(role, PASSWORD);
        clients.set(role, c);
      }
      return c;
    },
    anonymous: () => new Client(app),
    async close() {
      await app.close();
      await drop();
    },
  };
}

type Form = Record<string, string | number | boolean | (string | number)[] | undefined>;

export function encodeForm(form: Form): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, String(x)));
    else p.append(k, String(v));
  }
  return p.toString();
}

/** A browser-like client over app.inject: keeps cookies, reads the CSRF token from pages. */
export class Client {
  cookies = new Map<string, string>();
  csrf = '';

  constructor(private readonly app: FastifyInstance) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: LightMyRequestResponse) {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now()) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(res.body) ?? /"X-CSRF-Token": "([^"]+)"/.exec(res.body);
    if (token) this.csrf = token[1];
    return res;
  }

  async get(url: string, headers: Record<string, string> = {}) {
    return this.keep(await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader(), ...headers } }));
  }

  /** Posts a form; adds the CSRF token unless the form sets `_csrf` itself (use null to omit). */
  async post(url: string, form: Form = {}, headers: Record<string, string> = {}) {
    if (!this.csrf) await this.get('/login');
    const body = encodeForm({ _csrf: this.csrf, ...form });
    return this.keep(
      await this.app.inject({
        method: 'POST',
        url,
        payload: body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader(), ...headers },
      }),
    );
  }

  async request(opts: { method: string; url: string; payload?: string | Buffer; headers?: Record<string, string> }) {
    return this.keep(
      await this.app.inject({
        method: opts.method as 'POST',
        url: opts.url,
        payload: opts.payload,
        headers: { cookie: this.cookieHeader(), ...(opts.headers ?? {}) },
      }),
    );
  }

  async signIn(login: string, password: string) {
    await this.get('/login');
    const res = await this.post('/login', { login, password });
    if (res.statusCode !== 303) throw new Error(`sign-in as ${login} failed: ${res.statusCode}`);
    // Sign-in starts a new session with a new CSRF secret: take the token from a page of it.
    await this.get('/logout');
    return res;
  }
}
