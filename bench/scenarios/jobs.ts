// Issue 15: long work as jobs. (1) A 10,000-envelope PDF as a job, through two fresh server
// instances that print through jobs (JOB_PDF_THRESHOLD=200): time from the click to the first
// progress on the job's page, to the end, Chromium's peak memory; (2) the job system's own
// overhead: enqueue → start latency with two instances polling one queue (in-process apps).
// The import of 10,000 rows runs as a job in the import scenario (its commit is the job now).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { ensureGroup, startSampler } from './envelopes.js';
import type { Context, Figure, Scenario } from '../scenarios.js';
import { SERVER_ENV, SERVER_NODE_ARGS } from '../proc.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SIZE = Number(process.env.BENCH_JOB_ENVELOPES ?? 10_000);
const LATENCY_JOBS = Number(process.env.BENCH_JOB_LATENCY_JOBS ?? 200);

async function startInstance(url: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, 'src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...SERVER_ENV, DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT: '1000', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  child.kill();
  throw new Error('job instance did not start');
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Clicks "PDF" on one instance and follows the job's page on the other, as a user would. */
async function pdfAsJob(ctx: Context, bases: string[], groupId: number, serverPids: number[]): Promise<Figure> {
  const url = `/groups/${groupId}/envelopes.pdf?format=DL`;
  const samplers = await Promise.all(serverPids.map((pid) => startSampler(pid, false)));
  const t0 = performance.now();
  const res = await fetch(bases[0] + url, { headers: { cookie: ctx.cookie }, redirect: 'manual' });
  const location = res.headers.get('location') ?? '';
  const m = /^\/jobs\/(\d+)$/.exec(location);
  if (res.status !== 303 || !m) throw new Error(`${url}: HTTP ${res.status} ${location} (expected a job)`);
  const enqueued = (performance.now() - t0) / 1000;
  let firstProgress: number | null = null;
  let state = 'queued';
  for (;;) {
    const page = await fetch(`${bases[1]}/jobs/${m[1]}`, { headers: { cookie: ctx.cookie, 'hx-request': 'true' } });
    const html = await page.text();
    state = /data-state="(\w+)"/.exec(html)?.[1] ?? 'unknown';
    const bar = /<progress max="(\d+)"(?: value="(\d+)")?/.exec(html);
    if (firstProgress === null && state === 'running' && bar && Number(bar[1]) > 1) firstProgress = (performance.now() - t0) / 1000;
    if (state === 'done' || state === 'failed' || state === 'cancelled') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const total = (performance.now() - t0) / 1000;
  const mems = await Promise.all(samplers.map((s) => s()));
  if (state !== 'done') throw new Error(`PDF job ${m[1]} ended ${state}`);
  const file = await fetch(`${bases[1]}/jobs/${m[1]}/file`, { headers: { cookie: ctx.cookie } });
  const bytes = Buffer.from(await file.arrayBuffer());
  if (file.status !== 200 || bytes.subarray(0, 4).toString() !== '%PDF') throw new Error(`PDF job ${m[1]}: download HTTP ${file.status}`);
  return {
    name: `envelopes ${SIZE.toLocaleString('en')} as a job`,
    url,
    enqueueSeconds: +enqueued.toFixed(3),
    firstProgressSeconds: firstProgress === null ? null : +firstProgress.toFixed(2),
    totalSeconds: +total.toFixed(1),
    pdfMB: +(bytes.length / 1024 / 1024).toFixed(1),
    chromiumPssMB: Math.max(...mems.map((x) => x.pssMB)),
    serverRssMB: Math.max(...mems.map((x) => x.rootRssMB)),
  };
}

/** Two in-process instances on the bench database; jobs enqueued one by one, at a steady pace. */
async function enqueueLatency(url: string, ownerId: number): Promise<Figure> {
  const pools: Database[] = [];
  const apps: FastifyInstance[] = [];
  const sent = new Map<number, number>();
  const startedAt = new Map<number, number>();
  try {
    for (let i = 0; i < 2; i++) {
      const database = await openDatabase({ databaseUrl: url, dataDir: ':memory:' });
      pools.push(database);
      const app = await buildApp(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', WORKERS: '2', JOB_KINDS: 'bench.noop' }), { database, logger: false });
      app.jobs.registerHandler<{ n: number }>('bench.noop', {
        title: 'jobs.title',
        async run(ctx) {
          startedAt.set(ctx.jobId, performance.now());
        },
      });
      await app.ready();
      apps.push(app);
    }
    for (let n = 0; n < LATENCY_JOBS; n++) {
      const t = performance.now();
      const { id } = await apps[n % 2].jobs.enqueue('bench.noop', { n }, { owner: { id: ownerId } });
      sent.set(id, t);
      await new Promise((r) => setTimeout(r, 25));
    }
    const deadline = Date.now() + 60_000;
    while (startedAt.size < sent.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lat = [...sent].filter(([id]) => startedAt.has(id)).map(([id, t]) => startedAt.get(id)! - t);
    // The bench's own jobs are removed again.
    await pools[0].db.execute(sql`delete from jobs where kind = 'bench.noop'`);
    return {
      name: `enqueue → start, 2 instances, ${LATENCY_JOBS} jobs`,
      url: '(in-process)',
      started: lat.length,
      p50: +percentile(lat, 50).toFixed(1),
      p99: +percentile(lat, 99).toFixed(1),
      max: +Math.max(...lat).toFixed(1),
    };
  } finally {
    for (const app of apps) await app.close();
    for (const p of pools) await p.close();
  }
}

export const scenario: Scenario = async (ctx: Context) => {
  const { log } = ctx;
  const db = new pg.Client({ connectionString: ctx.url });
  await db.connect();
  let groupId: number;
  let ownerId: number;
  try {
    groupId = await ensureGroup(db, SIZE, log);
    ownerId = Number((await db.query(`select id from users where login = 'bench'`)).rows[0].id);
  } finally {
    await db.end();
  }
  const figures: Figure[] = [];
  const port = Number(new URL(ctx.base).port) + 10;
  log(`  jobs: two instances printing through jobs on ports ${port}, ${port + 1}`);
  const instances = [
    await startInstance(ctx.url, port, { JOB_PDF_THRESHOLD: '200', WORKERS: '1' }),
    await startInstance(ctx.url, port + 1, { JOB_PDF_THRESHOLD: '200', WORKERS: '1' }),
  ];
  try {
    const bases = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`];
    // Chromium starts on the instance's first print: its launch is part of the figure, as for a
    // user's first PDF after a restart.
    figures.push(await pdfAsJob(ctx, bases, groupId, instances.map((c) => c.pid!)));
  } finally {
    for (const c of instances) await stop(c);
  }
  figures.push(await enqueueLatency(ctx.url, ownerId));
  for (const f of figures) log(`  jobs: ${JSON.stringify(f)}`);
  return figures;
};
