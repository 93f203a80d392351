// `npm run bench`: the app against the real PostgreSQL with a large directory. Each page is
// measured with autocannon against a running server and beside its floor: the very same SQL
// statements replayed straight through `pg`. The ratio app/floor is what the project steers by.
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import { writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { inProcessApp } from './in-process.js';
import { ensureDatabase, generate, scaleFor } from './data.js';
import { extraScenarios, type Context, type Figure } from './scenarios.js';
import { eventLoopScenario } from './scenarios/event-loop.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PERSONS = Number(process.env.BENCH_PERSONS ?? 100_000);
const URL_ = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/crm_bench';
const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
// One connection: latency comparable with the floor, which replays the SQL one request at a time.
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1);
const FLOOR_RUNS = 100;
/** `BENCH_ONLY=pages,export`: run only these parts (pages, export, xlsx, import, envelopes, duplicates, jobs, mailings, eventloop). */
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map((s) => s.trim())) : null;
const wants = (part: string) => !ONLY || ONLY.has(part);
/** `BENCH_PAGES=locator`: only the pages whose name contains one of these words. */
const PAGE_FILTER = process.env.BENCH_PAGES ? process.env.BENCH_PAGES.split(',').map((s) => s.trim()) : null;

/** The event-loop scenario's database: `BENCH_DB=pglite` or `--db pglite` (default PostgreSQL). */
const argDb = process.argv.indexOf('--db');
const BENCH_DB = (argDb > 0 ? process.argv[argDb + 1] : process.env.BENCH_DB) === 'pglite' ? 'pglite' : 'pg';

const log = (s: string) => process.stdout.write(`${s}\n`);

function percentile(sorted: number[], p: number) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function ensureData() {
  await ensureDatabase(URL_);
  const d = new pg.Client({ connectionString: URL_ });
  await d.connect();
  let count = 0;
  try {
    count = Number((await d.query('select count(*) from persons')).rows[0].count);
  } catch {
    count = 0;
  }
  await d.end();
  if (count < PERSONS) {
    log(`generating ${PERSONS} persons (npm run bench:data)…`);
    await generate(URL_, scaleFor(PERSONS), (s) => log(`  ${s}`));
  }
}

/**
 * The page server prints every PDF synchronously (today's way, the envelopes scenario's baseline)
 * and runs only the import's and export's jobs; the jobs scenario starts instances of its own.
 */
async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: URL_, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT: '1000', JOB_PDF_THRESHOLD: process.env.JOB_PDF_THRESHOLD ?? '1000000', JOB_KINDS: 'import.commit,import.undo,xml.directory,mailings.create,mailings.register' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Up to 90 s: on a busy machine compiling the TypeScript alone takes half a minute.
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  child.kill();
  throw new Error('server did not start');
}

/** Signs in through the real form; returns the Cookie header and a CSRF token. */
export async function signIn(base: string, login = 'bench', password = 'bench'): Promise<{ cookie: string; csrf: string }> {
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      jar.set(kv.slice(0, i), kv.slice(i + 1));
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const page = await fetch(`${base}/login`);
  keep(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
    body: new URLSearchParams({ login, password, _csrf: csrf }).toString(),
  });
  keep(res);
  if (res.status !== 303) throw new Error(`bench sign-in failed: ${res.status}`);
  const after = await fetch(`${base}/groups`, { headers: { cookie: cookie() } });
  const token = /"X-CSRF-Token": "([^"]+)"/.exec(await after.text())?.[1] ?? csrf;
  return { cookie: cookie(), csrf: token };
}

function cannon(url: string, cookie: string): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    // `warmup` is supported by autocannon 8 but missing from its type definitions.
    const opts = { url, connections: CONNECTIONS, duration: DURATION, headers: { cookie }, warmup: { connections: CONNECTIONS, duration: 1 } };
    autocannon(
      opts as autocannon.Options,
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

/** Captures the SQL one request runs (in-process app with a query logger), then replays it via pg. */
async function makeFloor() {
  const inProcess = await inProcessApp(URL_);
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  return {
    async measure(url: string) {
      const { statusCode, statements } = await inProcess.capture(url);
      if (statusCode !== 200) throw new Error(`${url}: ${statusCode}`);
      const times: number[] = [];
      const until = performance.now() + 8000;
      // Up to FLOOR_RUNS measured runs after 10 warm-up ones, but no more than ~8 s per page.
      for (let i = 0; i < FLOOR_RUNS + 10 && (i < 15 || performance.now() < until); i++) {
        const t0 = performance.now();
        await client.query('begin');
        for (const s of statements) await client.query(s.text, s.params as unknown[]);
        await client.query('commit');
        if (i >= 10 || (i >= 2 && performance.now() > until)) times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return { p50: percentile(times, 50), p99: percentile(times, 99), statements: statements.length };
    },
    async close() {
      await client.end();
      await inProcess.close();
    },
  };
}

async function main() {
  const started = Date.now();
  const figures: Figure[] = [];
  // The event-loop scenario brings its own server and database: alone, it needs no bench directory.
  const onlyEventLoop = ONLY !== null && ONLY.size === 1 && ONLY.has('eventloop');
  if (!onlyEventLoop) await measureDirectory(figures);
  if (wants('eventloop')) {
    try {
      figures.push(...(await eventLoopScenario({ db: BENCH_DB, url: URL_, log })));
    } catch (err) {
      log(`scenario failed: ${err instanceof Error ? err.message : String(err)}`);
      figures.push({ name: 'scenario failed', url: '', error: err instanceof Error ? err.message : String(err) });
    }
  }

  const results = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}` },
    settings: { persons: PERSONS, durationSeconds: DURATION, connections: CONNECTIONS, floorRuns: FLOOR_RUNS, eventLoopDb: BENCH_DB },
    figures,
    seconds: round((Date.now() - started) / 1000),
  };
  writeFileSync(path.join(ROOT, 'bench/results.json'), JSON.stringify(results, null, 2));
  printTable(figures);
  log(`\nbench/results.json written (${results.seconds} s)`);
}

/** The pages, with their floors, and the scenarios on the bench directory in PostgreSQL. */
async function measureDirectory(figures: Figure[]) {
  await ensureData();
  const port = Number(process.env.BENCH_PORT ?? 3900 + Math.floor(Math.random() * 90));
  const base = `http://127.0.0.1:${port}`;
  const server = await startServer(port);
  try {
    const { cookie, csrf } = await signIn(base);
    const floor = await makeFloor();
    const db = new pg.Client({ connectionString: URL_ });
    await db.connect();
    const personId = Number((await db.query(`select id from persons where organization_id is not null order by id desc limit 1`)).rows[0].id);
    // The "group page of 5,000 members" (the generator's group 1; the envelope scenario adds bigger ones).
    const big = Number((await db.query(`select group_id from group_memberships where removed_at is null group by 1 order by abs(count(*) - 5000), 1 limit 1`)).rows[0].group_id);
    await db.end();

    const pages: [string, string][] = [];
    for (const g of ['organization', 'region', 'activity', 'category', 'group']) {
      pages.push([`contacts ${g}, first page`, `/contacts?group_by=${g}`]);
      pages.push([`contacts ${g}, last page`, `/contacts?group_by=${g}&page=last`]);
    }
    pages.push(['locator, prefix "иванов"', `/contacts?q=${encodeURIComponent('иванов')}`]);
    pages.push(['locator, Ё "ёлкин"', `/contacts?q=${encodeURIComponent('ёлкин')}`]);
    pages.push(['locator, typo "иваонв"', `/contacts?q=${encodeURIComponent('иваонв')}`]);
    pages.push(['locator, phone digits', `/contacts?q=${encodeURIComponent('495 00012')}`]);
    for (const tab of ['main', 'contact', 'additional', 'note', 'groups', 'history']) pages.push([`person card, ${tab}`, `/persons/${personId}?tab=${tab}`]);
    pages.push([`group page (group ${big})`, `/groups/${big}`]);
    pages.push([`group page, last page`, `/groups/${big}?page=last`]);
    pages.push(['documents, no filter', '/documents']);
    pages.push(['documents, incoming Mar–Jun', '/documents?direction=incoming&from=2026-03-01&to=2026-06-30']);
    pages.push(['documents, text "поставке № 1234"', `/documents?q=${encodeURIComponent('поставке № 1234')}`]);
    pages.push(['documents, last page', '/documents?page=last']);
    pages.push(['organization correspondence', `/organizations/1/correspondence`]);

    for (const [name, url] of pages) {
      if (!wants('pages') || (PAGE_FILTER && !PAGE_FILTER.some((w) => name.includes(w)))) continue;
      const check = await fetch(base + url, { headers: { cookie } });
      if (check.status !== 200) {
        log(`skip ${name}: ${check.status}`);
        continue;
      }
      const r = await cannon(base + url, cookie);
      const f = await floor.measure(url);
      figures.push({
        name,
        url,
        p50: r.latency.p50,
        p99: r.latency.p99,
        rps: r.requests.average,
        errors: r.errors + r.non2xx,
        floorP50: round(f.p50),
        floorP99: round(f.p99),
        ratio: round(r.latency.p50 / Math.max(f.p50, 0.01)),
        statements: f.statements,
      });
      log(`${name.padEnd(34)} p50 ${String(r.latency.p50).padStart(5)} ms  p99 ${String(r.latency.p99).padStart(5)} ms  ${Math.round(r.requests.average).toString().padStart(5)} req/s  floor p50 ${round(f.p50)} ms  ×${round(r.latency.p50 / Math.max(f.p50, 0.01))}`);
    }
    await floor.close();

    const ctx: Context = { base, cookie, csrf, url: URL_, serverPid: server.pid!, log };
    for (const scenario of extraScenarios) {
      if (!wants(scenario.name)) continue;
      try {
        const out = await scenario.run(ctx);
        if (out) figures.push(...out);
      } catch (err) {
        log(`scenario failed: ${err instanceof Error ? err.message : String(err)}`);
        figures.push({ name: 'scenario failed', url: '', error: err instanceof Error ? err.message : String(err) });
      }
    }
  } finally {
    server.kill('SIGTERM');
  }
}

function printTable(figures: Figure[]) {
  log('\n| scenario | p50 ms | p99 ms | req/s | floor p50 ms | app/floor |');
  log('|---|---:|---:|---:|---:|---:|');
  for (const f of figures) {
    if (f.p50 === undefined) continue;
    log(`| ${f.name} | ${f.p50} | ${f.p99 ?? ''} | ${f.rps !== undefined ? Math.round(f.rps) : ''} | ${f.floorP50 ?? ''} | ${f.ratio ?? ''} |`);
  }
  for (const f of figures) if (f.p50 === undefined) log(`- ${f.name}: ${JSON.stringify({ ...f, name: undefined })}`);
}

function round(n: number) {
  return Math.round(n * 100) / 100;
}

function gitCommit() {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim();
  } catch {
    return existsSync(path.join(ROOT, '.git')) ? 'unknown' : 'not a checkout';
  }
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
