// The app built in this process on the benchmark database, signed in as `bench`, with every SQL
// statement a request runs captured: the floor (bench/run.ts) replays them, the explain tool
// (bench/tools/explain.ts) prints their plans.
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';

export interface Statement {
  text: string;
  params: unknown[];
}

export async function inProcessApp(url: string) {
  let capturing = false;
  const captured: Statement[] = [];
  const database = await openDatabase({ databaseUrl: url, dataDir: ':memory:', logger: { logQuery: (text, params) => capturing && captured.push({ text, params }) } });
  const app = await buildApp(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', LOGIN_RATE_LIMIT: '1000' }), { database, logger: false });
  await app.ready();
  const page = await app.inject('/login');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
  const cookies = (r: { cookies: { name: string; value: string }[] }) => r.cookies.map((c) => `${c.name}=${c.value}`);
  const login = await app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies(page).join('; ') }, payload: new URLSearchParams({ login: 'bench', password: 'bench', _csrf: csrf }).toString() });
  // Sign-in rotates the session: its cookies replace the anonymous ones of the same name.
  const jar = new Map<string, string>();
  for (const c of [...cookies(page), ...cookies(login)]) jar.set(c.slice(0, c.indexOf('=')), c);
  const cookie = [...jar.values()].join('; ');
  const home = await app.inject({ url: '/contacts', headers: { cookie } });
  if (home.statusCode !== 200) throw new Error(`the in-process app did not sign in as bench (/contacts answered ${home.statusCode})`);
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
    async close() {
      await app.close();
      await database.close();
    },
  };
}
