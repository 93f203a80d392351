// `npm run bench`: the app against the real PostgreSQL with a large directory. Each page is
// measured with autocannon against a running server and beside its floor: the very same SQL
// statements replayed straight through `pg`. The ratio app/floor is what the project steers by.
import { spawn, execSync, type ChildProcess } from 'node:child_process';
import { writeFileSync, existsSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { inProcessApp, type Target } from './in-process.js';
import { ensureDatabase, generate, generatePglite, generatedScale, pgBulk, sameScale, scaleFor } from './data.js';
import { DEMO_LOGIN, seedDemoInto } from './demo.js';
import { pageList } from './pages.js';
import { extraScenarios, type Context, type Figure } from './scenarios.js';
import { eventLoopScenario } from './scenarios/event-loop.js';
import { SERVER_ENV, SERVER_NODE_ARGS } from './proc.js';

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

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}
/** The database: `BENCH_DB=pglite` or `--db pglite` (default PostgreSQL): the pages in the curve, and the event-loop scenario. */
const BENCH_DB: 'pg' | 'pglite' = (arg('db') ?? process.env.BENCH_DB) === 'pglite' ? 'pglite' : 'pg';
/** `--scale 10000,100000,1000000` (`BENCH_SCALE`): the page scenarios at each directory size, one database (directory) per size. */
const SCALE = (arg('scale') ?? process.env.BENCH_SCALE ?? '').split(',').map((x) => Number(x.replace(/[_\s]/g, ''))).filter((n) => n > 0);
/** `--demo`: the page scenarios on the demo directory (240 persons, as `npm run demo`). */
const DEMO = process.argv.includes('--demo');
/** Each page is measured this many times (`--runs`, `BENCH_RUNS`); the median of the runs is reported with their spread. */
const RUNS = Math.max(1, Number(arg('runs') ?? process.env.BENCH_RUNS ?? 3));
/** The PGlite data directories of the curve: `<BENCH_PGLITE_DIR>/pglite-<n>` (default data/bench). */
const PGLITE_ROOT = path.resolve(ROOT, process.env.BENCH_PGLITE_DIR ?? 'data/bench');
/**
 * PGlite is WebAssembly: V8 optimizes its hot functions in the background for seconds after start
 * (`select 1` goes from 4 to 1 ms meanwhile on a busy machine), so a fresh PGlite process (the
 * in-process floor's, the server's) first loads every page for this long (`BENCH_PGLITE_WARMUP`).
 */
const PGLITE_WARMUP_SECONDS = Number(process.env.BENCH_PGLITE_WARMUP ?? 15);
/** A run is "quiet" only while the 1-minute load average stays at or under this. */
const QUIET_LOAD = 1.0;

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

/** The PostgreSQL database of one size of the curve: the bench database's name with `_<persons>`. */
function sizedUrl(persons: number) {
  const u = new URL(URL_);
  u.pathname = `/${decodeURIComponent(u.pathname.slice(1))}_${persons}`;
  return u.toString();
}

/**
 * One size of the curve ready to measure: reused when its database (directory) holds a finished
 * directory of that scale (bench_meta, written last by the generator), generated otherwise.
 */
async function ensureSize(db: 'pg' | 'pglite', persons: number): Promise<{ target: Target; generatedSeconds: number | null; bytes: number | null }> {
  const scale = scaleFor(persons);
  const t0 = Date.now();
  if (db === 'pg') {
    const url = sizedUrl(persons);
    await ensureDatabase(url);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const have = await generatedScale(pgBulk(c));
    await c.end();
    let generatedSeconds: number | null = null;
    if (!sameScale(have, scale)) {
      log(`generating ${persons} persons into ${new URL(url).pathname.slice(1)}…`);
      await generate(url, scale, (s) => log(`  ${s}`));
      generatedSeconds = round((Date.now() - t0) / 1000);
      log(`  generated in ${generatedSeconds} s`);
    } else log(`reusing ${new URL(url).pathname.slice(1)} (${persons} persons, complete)`);
    const s = new pg.Client({ connectionString: url });
    await s.connect();
    const bytes = Number((await s.query('select pg_database_size(current_database()) as b')).rows[0].b);
    await s.end();
    return { target: { db: 'pg', url }, generatedSeconds, bytes };
  }
  const dataDir = path.join(PGLITE_ROOT, DEMO_SIZE === persons ? 'pglite-demo' : `pglite-${persons}`);
  const marker = `${dataDir}.json`;
  const want = DEMO_SIZE === persons ? { demo: true } : scale;
  const have = existsSync(marker) ? readFileSync(marker, 'utf8') : '';
  let generatedSeconds: number | null = null;
  if (have !== JSON.stringify(want)) {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(marker, { force: true });
    mkdirSync(PGLITE_ROOT, { recursive: true });
    log(`${DEMO_SIZE === persons ? 'seeding the demo' : `generating ${persons} persons`} into PGlite ${path.relative(ROOT, dataDir)}…`);
    if (DEMO_SIZE === persons) await seedDemoInto(dataDir);
    else await generatePglite(dataDir, scale, (s) => log(`  ${s}`));
    writeFileSync(marker, JSON.stringify(want));
    generatedSeconds = round((Date.now() - t0) / 1000);
    log(`  done in ${generatedSeconds} s`);
  } else log(`reusing PGlite ${path.relative(ROOT, dataDir)} (complete)`);
  const bytes = Number(execSync(`du -sb ${JSON.stringify(dataDir)}`).toString().split('\t')[0]);
  return { target: { db: 'pglite', dataDir }, generatedSeconds, bytes };
}

/** The demo's size stands for it in the curve's columns. */
const DEMO_SIZE = 240;

/**
 * The page server prints every PDF synchronously (today's way, the envelopes scenario's baseline)
 * and runs only the import's and export's jobs; the jobs scenario starts instances of its own.
 */
async function startServer(port: number, target: Target = { db: 'pg', url: URL_ }): Promise<ChildProcess> {
  // PGlite: the server holds the data directory, as `npm start` does.
  const db = target.db === 'pg' ? { DATABASE_URL: target.url } : { DATABASE_URL: '', DATA_DIR: target.dataDir };
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, 'src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...SERVER_ENV, ...db, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT: '1000', JOB_PDF_THRESHOLD: process.env.JOB_PDF_THRESHOLD ?? '1000000', JOB_KINDS: 'import.commit,import.undo,xml.directory,mailings.create,mailings.register,mailings.form103' },
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

/**
 * Captures the SQL one request runs (in-process app with a query logger), then replays it: through
 * a plain `pg` client on PostgreSQL, through the app's own embedded instance on PGlite.
 */
async function makeFloor(target: Target, login?: { login: string; password: string }) {
  const inProcess = await inProcessApp(target, login);
  const client = target.db === 'pg' ? new pg.Client({ connectionString: target.url }) : null;
  await client?.connect();
  const run = client ? (text: string, params?: unknown[]) => client.query(text, params) : (text: string, params?: unknown[]) => inProcess.pglite!.query(text, params);
  return {
    async measure(url: string) {
      const { statusCode, statements } = await inProcess.capture(url);
      if (statusCode !== 200) throw new Error(`${url}: ${statusCode}`);
      const times: number[] = [];
      const until = performance.now() + 8000;
      // Up to FLOOR_RUNS measured runs after 10 warm-up ones, but no more than ~8 s per page.
      for (let i = 0; i < FLOOR_RUNS + 10 && (i < 15 || performance.now() < until); i++) {
        const t0 = performance.now();
        await run('begin');
        for (const s of statements) await run(s.text, s.params as unknown[]);
        await run('commit');
        if (i >= 10 || (i >= 2 && performance.now() > until)) times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return { p50: percentile(times, 50), p99: percentile(times, 99), statements: statements.length };
    },
    /** Loads the pages in turn for this long (PGlite's warm-up). */
    async warm(urls: string[], seconds: number) {
      const until = performance.now() + seconds * 1000;
      while (performance.now() < until) for (const url of urls) await inProcess.time(url);
    },
    /** The page list, with ids read from this directory. */
    pages: () => pageList(async (text) => (client ? (await client.query(text)).rows : (await inProcess.pglite!.query<Record<string, unknown>>(text)).rows)),
    async close() {
      await client?.end();
      await inProcess.close();
    },
  };
}

/** The 1-minute load average, sampled every 2 s over the whole run. */
const load = {
  before: os.loadavg(),
  samples: [] as number[],
  timer: null as NodeJS.Timeout | null,
  start() {
    this.samples.push(os.loadavg()[0]);
    this.timer = setInterval(() => this.samples.push(os.loadavg()[0]), 2000);
    this.timer.unref();
  },
  stop() {
    if (this.timer) clearInterval(this.timer);
    const after = os.loadavg();
    this.samples.push(after[0]);
    const max = Math.max(...this.samples);
    return { before: this.before.map(round), after: after.map(round), max1: round(max), quiet: max <= QUIET_LOAD, samples: this.samples.length };
  },
};

function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.type()} ${os.release()}` };
}

async function main() {
  const started = Date.now();
  const figures: Figure[] = [];
  const m = machine();
  log(`machine: ${m.cpuModel}, ${m.cpus} cores, ${m.memoryGiB} GiB; load average ${load.before.map((x) => x.toFixed(2)).join(' / ')} (1 / 5 / 15 min)`);
  load.start();
  if (DEMO && BENCH_DB !== 'pglite') throw new Error('--demo measures the embedded default: add --db pglite');
  const curve = SCALE.length > 0 || DEMO || (BENCH_DB === 'pglite' && !(ONLY?.size === 1 && ONLY.has('eventloop')));
  const sizes: { persons: number; db: string; generatedSeconds: number | null; bytes: number | null }[] = [];
  if (curve) {
    // The page scenarios at each size, on one database kind; nothing else.
    const list = DEMO ? [DEMO_SIZE, ...SCALE] : SCALE.length ? SCALE : [PERSONS];
    for (const persons of list) {
      const ready = await ensureSize(BENCH_DB, persons);
      sizes.push({ persons, db: BENCH_DB, generatedSeconds: ready.generatedSeconds, bytes: ready.bytes });
      log(`\n== ${BENCH_DB === 'pg' ? 'PostgreSQL' : 'PGlite'}, ${persons === DEMO_SIZE && DEMO ? 'demo, ' : ''}${persons} persons (${ready.bytes ? `${Math.round(ready.bytes / 2 ** 20)} MB` : '?'}) ==`);
      const got = await measurePages(ready.target, persons === DEMO_SIZE && DEMO ? DEMO_LOGIN : undefined, false);
      for (const f of got) figures.push({ ...f, db: BENCH_DB, persons });
    }
  } else {
    // The event-loop scenario brings its own server and database: alone, it needs no bench directory.
    const onlyEventLoop = ONLY !== null && ONLY.size === 1 && ONLY.has('eventloop');
    if (!onlyEventLoop) {
      await ensureData();
      for (const f of await measurePages({ db: 'pg', url: URL_ }, undefined, true)) figures.push({ ...f, persons: f.url ? PERSONS : undefined });
    }
    if (wants('eventloop')) {
      try {
        figures.push(...(await eventLoopScenario({ db: BENCH_DB, url: URL_, log })));
      } catch (err) {
        log(`scenario failed: ${err instanceof Error ? err.message : String(err)}`);
        figures.push({ name: 'scenario failed', url: '', error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  const l = load.stop();
  const warning = l.quiet ? null : `NOT QUIET: the 1-minute load average reached ${l.max1} during the run (over ${QUIET_LOAD}); these figures are not the reference machine's — compare ratios, not milliseconds, and repeat on a quiet machine`;
  const results = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: { ...m, loadBefore: l.before, loadAfter: l.after, loadMax1: l.max1 },
    quiet: l.quiet,
    warning,
    settings: { persons: PERSONS, durationSeconds: DURATION, connections: CONNECTIONS, floorRuns: FLOOR_RUNS, runs: RUNS, db: BENCH_DB, scale: curve ? sizes.map((x) => x.persons) : null, demo: DEMO, eventLoopDb: BENCH_DB },
    sizes,
    figures,
    seconds: round((Date.now() - started) / 1000),
  };
  // The file keeps the last run of each kind (database × sizes × scenarios) under `runs`, so that the
  // PostgreSQL curve, the PGlite curve and a full run made one after another all stay in it.
  const file = path.join(ROOT, 'bench/results.json');
  const kind = `${curve ? BENCH_DB : 'pg'}:${curve ? sizes.map((x) => x.persons).join(',') : `default ${PERSONS}`}:${ONLY ? [...ONLY].join(',') : 'all'}`;
  let runs: Record<string, unknown> = {};
  try {
    const before = JSON.parse(readFileSync(file, 'utf8')) as { runs?: Record<string, unknown> };
    runs = before.runs ?? {};
  } catch {
    runs = {};
  }
  runs[kind] = results;
  writeFileSync(file, JSON.stringify({ ...results, kind, runs }, null, 2));
  if (curve) printCurve(figures, sizes.map((x) => x.persons));
  else printTable(figures);
  log(`\nmachine: ${m.cpuModel}, ${m.cpus} cores; load average before ${l.before.join(' / ')}, after ${l.after.join(' / ')}, highest 1-minute ${l.max1}`);
  if (warning) log(`\n*** ${warning} ***`);
  log(`\nbench/results.json written (${results.seconds} s)`);
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * The pages of one directory: first every page's floor (the in-process app, which on PGlite must
 * hold the data directory alone), then the server and autocannon; each RUNS times, round by round
 * over all pages (a passing disturbance touches one run of several pages, not every run of one).
 * With `extras`, the other scenarios follow on the same server (PostgreSQL, the single-size run).
 */
async function measurePages(target: Target, login: { login: string; password: string } | undefined, extras: boolean): Promise<Figure[]> {
  const floors = new Map<string, { p50: number[]; p99: number[]; statements: number }>();
  let pages: [string, string][] = [];
  const picked = (name: string) => wants('pages') && (!PAGE_FILTER || PAGE_FILTER.some((w) => name.includes(w)));
  {
    const floor = await makeFloor(target, login);
    try {
      pages = (await floor.pages()).filter(([name]) => picked(name));
      if (target.db === 'pglite') await floor.warm(pages.map(([, url]) => url), PGLITE_WARMUP_SECONDS);
      for (let r = 0; r < RUNS; r++) {
        for (const [name, url] of pages) {
          const f = await floor.measure(url);
          const x = floors.get(name) ?? { p50: [], p99: [], statements: f.statements };
          x.p50.push(f.p50);
          x.p99.push(f.p99);
          floors.set(name, x);
        }
      }
    } finally {
      await floor.close();
    }
  }

  const port = Number(process.env.BENCH_PORT ?? 3900 + Math.floor(Math.random() * 90));
  const base = `http://127.0.0.1:${port}`;
  const server = await startServer(port, target);
  const figures: Figure[] = [];
  try {
    const { cookie, csrf } = await signIn(base, login?.login, login?.password);
    if (target.db === 'pglite') {
      const until = performance.now() + PGLITE_WARMUP_SECONDS * 1000;
      while (performance.now() < until) for (const [, url] of pages) await (await fetch(base + url, { headers: { cookie } })).arrayBuffer();
    }
    const runs = new Map<string, autocannon.Result[]>();
    const skipped = new Set<string>();
    for (let r = 0; r < RUNS; r++) {
      for (const [name, url] of pages) {
        if (skipped.has(name)) continue;
        if (r === 0) {
          const check = await fetch(base + url, { headers: { cookie } });
          if (check.status !== 200) {
            log(`skip ${name}: ${check.status}`);
            skipped.add(name);
            continue;
          }
        }
        const res = await cannon(base + url, cookie);
        runs.set(name, [...(runs.get(name) ?? []), res]);
        if (r === RUNS - 1) {
          const all = runs.get(name)!;
          const fl = floors.get(name)!;
          const p50s = all.map((x) => x.latency.p50);
          const p99s = all.map((x) => x.latency.p99);
          const p50 = median(p50s);
          const floorP50 = median(fl.p50);
          const fig: Figure = {
            name,
            url,
            p50,
            p99: median(p99s),
            p50Runs: p50s,
            p99Runs: p99s,
            p99Spread: round(Math.max(...p99s) - Math.min(...p99s)),
            rps: round(median(all.map((x) => x.requests.average))),
            errors: all.reduce((n, x) => n + x.errors + x.non2xx, 0),
            floorP50: round(floorP50),
            floorP99: round(median(fl.p99)),
            floorP50Runs: fl.p50.map(round),
            ratio: round(p50 / Math.max(floorP50, 0.01)),
            statements: fl.statements,
          };
          figures.push(fig);
          log(`${name.padEnd(34)} p50 ${String(fig.p50).padStart(5)} ms  p99 ${String(fig.p99).padStart(5)} ms (runs ${p99s.join(', ')})  floor p50 ${fig.floorP50} ms  ×${fig.ratio}`);
        }
      }
    }

    if (extras) {
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
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => (server.exitCode !== null ? r(null) : server.once('exit', r)));
  }
  return figures;
}

function printTable(figures: Figure[]) {
  log(`\n| scenario | p50 ms | p99 ms | p99 spread (${RUNS} runs) | req/s | floor p50 ms | app/floor |`);
  log('|---|---:|---:|---:|---:|---:|---:|');
  for (const f of figures) {
    if (f.p50 === undefined) continue;
    log(`| ${f.name} | ${f.p50} | ${f.p99 ?? ''} | ${f.p99Spread ?? ''} | ${f.rps !== undefined ? Math.round(f.rps) : ''} | ${f.floorP50 ?? ''} | ${f.ratio ?? ''} |`);
  }
  for (const f of figures) if (f.p50 === undefined) log(`- ${f.name}: ${JSON.stringify({ ...f, name: undefined })}`);
}

/** One row per page, one column per size: p50 / p99 (± the runs' p99 spread), floor p50, app/floor. */
function printCurve(figures: Figure[], sizes: number[]) {
  const names = [...new Set(figures.map((f) => f.name))];
  const label = (n: number) => (DEMO && n === DEMO_SIZE ? 'demo (240)' : n.toLocaleString('en-US'));
  log(`\n${BENCH_DB === 'pg' ? 'PostgreSQL' : 'PGlite'}: p50 / p99 ms (± p99 spread over ${RUNS} runs) · floor p50 ms · app/floor`);
  log(`| page | ${sizes.map(label).join(' | ')} |${sizes.length > 1 ? ` p99 ×${label(sizes[sizes.length - 1])} / ${label(sizes[sizes.length - 2])} |` : ''}`);
  log(`|---|${sizes.map(() => '---:').join('|')}|${sizes.length > 1 ? '---:|' : ''}`);
  for (const name of names) {
    const cells = sizes.map((n) => {
      const f = figures.find((x) => x.name === name && x.persons === n);
      return f ? `${f.p50} / ${f.p99} (±${f.p99Spread}) · ${f.floorP50} · ×${f.ratio}` : '';
    });
    const [a, b] = sizes.slice(-2).map((n) => figures.find((x) => x.name === name && x.persons === n)?.p99);
    log(`| ${name} | ${cells.join(' | ')} |${sizes.length > 1 ? ` ${a && b ? round(b / a) : ''} |` : ''}`);
  }
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
