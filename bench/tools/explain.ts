// `node --import tsx bench/tools/explain.ts /url …`: the SQL a page runs, each statement with
// EXPLAIN ANALYZE, on the benchmark database; for finding which query a slow page waits on.
import pg from 'pg';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';

const URL_ = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/crm_bench';

async function main() {
  const captured: { text: string; params: unknown[] }[] = [];
  let on = false;
  const database = await openDatabase({ databaseUrl: URL_, dataDir: ':memory:', logger: { logQuery: (text, params) => on && captured.push({ text, params }) } });
  const app = await buildApp(loadConfig({ DATABASE_URL: URL_, LOG_LEVEL: 'silent', LOGIN_RATE_LIMIT: '1000' }), { database, logger: false });
  await app.ready();
  const page = await app.inject('/login');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
  const jar = (r: { cookies: { name: string; value: string }[] }) => r.cookies.map((c) => `${c.name}=${c.value}`);
  const login = await app.inject({ method: 'POST', url: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar(page).join('; ') }, payload: new URLSearchParams({ login: 'bench', password: 'bench', _csrf: csrf }).toString() });
  const cookie = [...jar(page), ...jar(login)].join('; ');
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  for (const url of process.argv.slice(2)) {
    await app.inject({ url, headers: { cookie } });
    captured.length = 0;
    on = true;
    const res = await app.inject({ url, headers: { cookie } });
    on = false;
    console.log(`\n### ${url} → ${res.statusCode}, ${captured.length} statements`);
    await client.query('begin');
    for (const s of captured) {
      const t0 = performance.now();
      const isSelect = /^\s*(select|with)/i.test(s.text);
      const r = await client.query((isSelect ? 'explain (analyze, costs off, buffers off) ' : '') + s.text, s.params as unknown[]);
      const ms = performance.now() - t0;
      if (!isSelect) continue;
      const plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
      const exec = /Execution Time: ([\d.]+)/.exec(plan)?.[1];
      if (Number(exec) < Number(process.env.MIN_MS ?? 2)) { console.log(`-- ${exec} ms: ${s.text.replace(/\s+/g, ' ').slice(0, 100)}`); continue; }
      console.log(`\n-- ${exec} ms (${ms.toFixed(1)} round trip)\n${s.text.replace(/\s+/g, ' ')}\n${JSON.stringify(s.params).slice(0, 300)}\n${plan}`);
    }
    await client.query('rollback');
  }
  await client.end();
  await app.close();
  await database.close();
}
main().catch((e) => { console.error(e); process.exit(1); });
