// The app built in this process on the benchmark database, signed in as `bench`, with every SQL
// statement a request runs captured: the floor (bench/run.ts) replays them, the explain tool
// (bench/tools/explain.ts) prints their plans. On PGlite (a data directory instead of a URL) the
// app holds the one embedded instance, so the floor replays through that same instance.
import type { PGlite } from '@electric-sql/pglite';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';

export interface Statement {
  text: string;
  params: unknown[];
}

/** Where the directory is: a PostgreSQL URL, or a PGlite data directory. */
export type Target = { db: 'pg'; url: string } | { db: 'pglite'; dataDir: string };

export interface InProcessOptions {
  login?: string;
  password?: string;
}

export async function inProcessApp(target: string | Target, opts: InProcessOptions = {}) {
  const t: Target = typeof target === 'string' ? { db: 'pg', url: target } : target;
  let capturing = false;
  const captured: Statement[] = [];
  const logger = { logQuery: (text: string, params: unknown[]) => void (capturing && captured.push({ text, params })) };
  const database = t.db === 'pg'
    ? await openDatabase({ databaseUrl: t.url, dataDir: ':memory:', logger })
    : await openDatabase({ databaseUrl: null, dataDir: t.dataDir, logger });
  // The floor may run before the page server ever started on this database: bring it up to date.
  await database.migrate();
  const env: Record<string, string> = t.db === 'pg' ? { DATABASE_URL: t.url } : { DATA_DIR: t.dataDir };
  // No job workers: the floor must not share the instance with a queue's polling.
  const app = await buildApp(loadConfig({ ...env, LOG_LEVEL: 'silent', LOGIN_RATE_LIMIT: '1000', WORKERS: '0' }), { database, logger: false });
  await app.ready();
  const page = await app.inject('/login');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
  const cookies = (r: { cookies: { name: string; value: string }[] }) => r.cookies.map((c) => `${c.name}=${c.value}`);
  const login = await app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies(page).join('; ') }, payload: new URLSearchParams({ login: opts.login ?? 'bench', password: opts.password ?? 'bench', _csrf: csrf }).toString() });
  // Sign-in rotates the session: its cookies replace the anonymous ones of the same name.
  const jar = new Map<string, string>();
  for (const c of [...cookies(page), ...cookies(login)]) jar.set(c.slice(0, c.indexOf('=')), c);
  const cookie = [...jar.values()].join('; ');
  const home = await app.inject({ url: '/contacts', headers: { cookie } });
  if (home.statusCode !== 200) throw new Error(`the in-process app did not sign in as ${opts.login ?? 'bench'} (/contacts answered ${home.statusCode})`);
  const pglite = database.connection.driver === 'pglite' ? (database.connection.client as PGlite) : null;
  return {
    /** Requests the page twice (the first warms caches) and returns the second one's statements. */
    async capture(pageUrl: string): Promise<{ statusCode: number; statements: Statement[] }> {
      await app.inject({ url: pageUrl, headers: { cookie } });
      captured.length = 0;
      capturing = true;
      const res = await app.inject({ url: pageUrl, headers: { cookie } });
      capturing = false;
      return { statusCode: res.statusCode, statements: captured.slice() };
    },
    /** One request through the app, timed (ms), without the network. */
    async time(pageUrl: string): Promise<{ statusCode: number; ms: number }> {
      const t0 = performance.now();
      const res = await app.inject({ url: pageUrl, headers: { cookie } });
      return { statusCode: res.statusCode, ms: performance.now() - t0 };
    },
    /** PGlite only: the embedded instance itself, for replaying statements and EXPLAIN. */
    pglite,
    database,
    async close() {
      await app.close();
      await database.close();
    },
  };
}
