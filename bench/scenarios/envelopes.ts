// Issue 8: envelopes PDF for 1,000 and 10,000 members through the running server (time, Chromium's
// and the server's peak memory), beside its floor: a Chromium launched here printing the very
// same HTML, in the same batches, with nothing of the app around it.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import pg from 'pg';
import { ParseSpeeds, PDFDocument } from '@cantoo/pdf-lib';
import puppeteer, { type Browser } from 'puppeteer-core';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { chromiumArgs, findBrowser } from '../../src/lib/browser.js';
import { normalizeKey } from '../../src/lib/text.js';
import { PdfEngine, type RenderRequest } from '../../src/features/envelopes/pdf-engine.js';
import type { Context, Figure, Scenario } from '../scenarios.js';

const SIZES = [1_000, 10_000];
/** The small group is cheap enough to repeat; the fastest run is the least disturbed one. */
const runsFor = (n: number) => (n <= 1_000 ? 3 : 1);
const FORMAT = 'DL';
const groupName = (n: number) => `bench: ${n.toLocaleString('en').replace(/,/g, ' ')} envelopes`;

// ---------------------------------------------------------------------------------------------
// The groups. Members are the first N active persons (by id) whose own or organization's address
// passes addressProblem() in recipient.ts. The SQL only mirrors it (trim and lower case differ a
// little from JS), so the scenario also checks that the app itself finds every member printable.
// Low ids keep the groups away from the person the page benchmark opens (the highest id).

const DOMESTIC = (t: string) =>
  `(btrim(${t}.addr_country) = '' or lower(btrim(${t}.addr_country)) in ('россия', 'российская федерация', 'russia', 'russian federation', 'рф'))`;
const USABLE = (t: string) => `(
  ((${DOMESTIC(t)} and btrim(${t}.addr_index) ~ '^[0-9]{6}$')
    or (not ${DOMESTIC(t)} and (btrim(${t}.addr_index) = '' or btrim(${t}.addr_index) ~ '^[A-Za-z0-9 -]{2,12}$')))
  and (btrim(${t}.addr_street) <> '' or btrim(${t}.addr_locality) <> ''))`;
const PRINTABLE = `p.archived_at is null and (${USABLE('p')} or (o.id is not null and ${USABLE('o')}))`;

export async function ensureGroup(db: pg.Client, n: number, log: (s: string) => void): Promise<number> {
  const name = groupName(n);
  await db.query('begin');
  try {
    await db.query(
      `insert into mailing_groups (name, sort_key, description) values ($1, $2, $3) on conflict (sort_key) do nothing`,
      [name, normalizeKey(name), `Benchmark (bench/scenarios/envelopes.ts): ${n} persons with a usable postal address.`],
    );
    const id = Number((await db.query(`select id from mailing_groups where sort_key = $1`, [normalizeKey(name)])).rows[0].id);
    const { rows } = await db.query(
      `select count(*)::int as total, count(*) filter (where ${PRINTABLE})::int as printable
       from group_memberships m join persons p on p.id = m.person_id left join organizations o on o.id = p.organization_id
       where m.group_id = $1 and m.removed_at is null`,
      [id],
    );
    const others = Number((await db.query(`select count(*) from group_memberships where group_id = $1 and removed_at is null and person_id is null`, [id])).rows[0].count);
    if (rows[0].total === n && rows[0].printable === n && others === 0) {
      await db.query('commit');
      return id;
    }
    // Only this group's own rows are rebuilt; the rest of the bench data is never touched.
    log(`  envelopes: filling group "${name}" with ${n} members`);
    await db.query(`delete from membership_documents where membership_id in (select id from group_memberships where group_id = $1)`, [id]);
    await db.query(`delete from group_memberships where group_id = $1`, [id]);
    const inserted = await db.query(
      `insert into group_memberships (group_id, person_id, reason)
       select $1, p.id, 'bench' from persons p left join organizations o on o.id = p.organization_id
       where ${PRINTABLE} order by p.id limit $2`,
      [id, n],
    );
    if (inserted.rowCount !== n) throw new Error(`only ${inserted.rowCount} persons with a usable address for "${name}"`);
    await db.query('commit');
    return id;
  } catch (err) {
    await db.query('rollback');
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Memory. A separate process samples, so a busy event loop here (puppeteer, pdf-lib) cannot delay
// or skip samples. Chromium's processes share much (zygote, fonts, shared memory), so summed RSS
// counts shared pages several times; summed PSS splits them and adds up to the real footprint.

const SAMPLER = `
const fs = require('fs');
const [root, withRoot, ms] = process.argv.slice(1).map(Number);
const stat = (pid) => { const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).split(' '); };
const kb = (file, key) => { const m = new RegExp('^' + key + ':\\\\s+(\\\\d+)', 'm').exec(fs.readFileSync(file, 'utf8')); return m ? Number(m[1]) : 0; };
const cpu = new Map(); const base = new Map();
let peakPss = 0, peakRss = 0, rootPeakRss = 0, samples = 0, maxProcs = 0;
function tree() {
  const kids = new Map();
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(n)) continue;
    try { const ppid = +stat(n)[1]; kids.set(ppid, [...(kids.get(ppid) || []), +n]); } catch {}
  }
  const out = withRoot ? [root] : [];
  const walk = (p) => (kids.get(p) || []).forEach((c) => { out.push(c); walk(c); });
  walk(root);
  return out;
}
function sample(first) {
  let pss = 0, rss = 0, n = 0;
  for (const pid of tree()) {
    try {
      const f = stat(pid);
      const t = (Number(f[11]) + Number(f[12])) / 100;
      cpu.set(pid, t); if (first) base.set(pid, t);
      pss += kb('/proc/' + pid + '/smaps_rollup', 'Pss'); rss += kb('/proc/' + pid + '/status', 'VmRSS'); n++;
    } catch {}
  }
  let rootCpu = 0;
  if (!withRoot) try {
    const f = stat(root); rootCpu = (Number(f[11]) + Number(f[12])) / 100;
    if (first) base.set('root', rootCpu); cpu.set('root', rootCpu);
    rootPeakRss = Math.max(rootPeakRss, kb('/proc/' + root + '/status', 'VmRSS'));
  } catch {}
  peakPss = Math.max(peakPss, pss); peakRss = Math.max(peakRss, rss); maxProcs = Math.max(maxProcs, n); samples++;
}
sample(true);
const timer = setInterval(sample, ms);
process.stdin.resume();
process.stdin.on('end', () => {
  clearInterval(timer); sample(false);
  let used = 0; for (const [pid, v] of cpu) if (pid !== 'root') used += v - (base.get(pid) || 0);
  const rootUsed = (cpu.get('root') || 0) - (base.get('root') || 0);
  process.stdout.write(JSON.stringify({ pssMB: Math.round(peakPss / 1024), rssMB: Math.round(peakRss / 1024), rootRssMB: Math.round(rootPeakRss / 1024),
    cpu: +used.toFixed(1), rootCpu: +rootUsed.toFixed(1), samples, maxProcs }));
});
`;

interface Sampled {
  /** Peak of the summed PSS / VmRSS of the sampled Chromium processes. */
  pssMB: number;
  rssMB: number;
  /** Peak VmRSS of the root itself when it is not part of the sum (the server). */
  rootRssMB: number;
  /** CPU seconds the Chromium processes used (processes that ended count as last seen). */
  cpu: number;
  rootCpu: number;
  samples: number;
  maxProcs: number;
}

/** Samples `root`'s descendants (and root itself when `withRoot`) every 150 ms until stopped. */
export async function startSampler(root: number, withRoot: boolean): Promise<() => Promise<Sampled>> {
  const child = spawn(process.execPath, ['-e', SAMPLER, String(root), withRoot ? '1' : '0', '150'], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  // Let it take its first sample (the CPU baseline) before the work starts.
  await new Promise((r) => setTimeout(r, 300));
  return () =>
    new Promise((resolve, reject) => {
      child.on('close', () => {
        try {
          resolve(JSON.parse(out));
        } catch {
          reject(new Error(`memory sampler gave no result: ${out}`));
        }
      });
      child.stdin.end();
    });
}

// ---------------------------------------------------------------------------------------------
// The app: the PDF route through the running server, body streamed to a file.

async function download(url: string, cookie: string, file: string) {
  const started = performance.now();
  return new Promise<{ status: number; seconds: number; firstByteSeconds: number; bytes: number; head: string; skipped: string | undefined }>((resolve, reject) => {
    // node:http rather than fetch: undici gives up on a response whose headers take over 300 s.
    const req = http.get(url, { headers: { cookie } }, (res) => {
      const firstByteSeconds = (performance.now() - started) / 1000;
      let bytes = 0;
      let head = '';
      const out = createWriteStream(file);
      res.on('data', (chunk: Buffer) => {
        if (head.length < 4) head += chunk.subarray(0, 4 - head.length).toString('latin1');
        bytes += chunk.length;
      });
      res.pipe(out);
      finished(out)
        .then(() => resolve({ status: res.statusCode ?? 0, seconds: (performance.now() - started) / 1000, firstByteSeconds, bytes, head, skipped: res.headers['x-skipped-addressees'] as string | undefined }))
        .catch(reject);
    });
    req.on('error', reject);
  });
}

/** Pages of a PDF file: poppler's pdfinfo when installed, else pdf-lib. */
async function pageCount(file: string): Promise<number> {
  try {
    return Number(/^Pages:\s+(\d+)/m.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
  } catch {
    const { readFile } = await import('node:fs/promises');
    return (await PDFDocument.load(await readFile(file), { updateMetadata: false })).getPageCount();
  }
}

// ---------------------------------------------------------------------------------------------
// The floor's input. The route is run in-process with PdfEngine.render replaced by a recorder, so
// the HTML and CSS are what the route hands the engine by construction (format, sender, template,
// stylesheet) and the batches are the engine's own batch size and concurrency.

interface CapturedJob {
  job: RenderRequest<unknown>;
  batchSize: number;
  concurrency: number;
  /** The route up to the engine: session, query, addressees, layout. */
  prepareSeconds: number;
}

async function inProcessApp(url: string) {
  const database = await openDatabase({ databaseUrl: url, dataDir: ':memory:' });
  const app = await buildApp(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'silent', LOGIN_RATE_LIMIT: '1000', JOB_PDF_THRESHOLD: '1000000', WORKERS: '0' }), { database, logger: false });
  await app.ready();
  const page = await app.inject('/login');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
  const cookies = (r: { cookies: { name: string; value: string }[] }) => r.cookies.map((c) => `${c.name}=${c.value}`);
  const login = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies(page).join('; ') },
    payload: new URLSearchParams({ login: 'bench', password: 'bench', _csrf: csrf }).toString(),
  });
  if (login.statusCode !== 303) throw new Error(`in-process sign-in failed: ${login.statusCode}`);
  // Sign-in rotates the session: its cookies replace the anonymous ones of the same name.
  const jar = new Map<string, string>();
  for (const c of [...cookies(page), ...cookies(login)]) jar.set(c.slice(0, c.indexOf('=')), c);
  const cookie = [...jar.values()].join('; ');
  return {
    async capture(route: string): Promise<CapturedJob> {
      const original = PdfEngine.prototype.render;
      let captured: Omit<CapturedJob, 'prepareSeconds'> | null = null;
      const started = performance.now();
      let prepareSeconds = 0;
      PdfEngine.prototype.render = async function <T>(this: PdfEngine, req: RenderRequest<T>) {
        prepareSeconds = (performance.now() - started) / 1000;
        captured = { job: req as RenderRequest<unknown>, batchSize: req.batchSize ?? this.batchSize, concurrency: this.concurrency };
        return new Uint8Array(0);
      };
      try {
        const res = await app.inject({ url: route, headers: { cookie } });
        if (res.statusCode !== 200) throw new Error(`${route} in-process: ${res.statusCode}`);
      } finally {
        PdfEngine.prototype.render = original;
      }
      if (!captured) throw new Error(`${route} did not reach the PDF engine`);
      return { ...(captured as Omit<CapturedJob, 'prepareSeconds'>), prepareSeconds };
    },
    async close() {
      await app.close();
      await database.close();
    },
  };
}

/** The same as withStyle() in pdf-engine.ts (not exported): the stylesheet parsed with the page. */
function withStyle(html: string, css: string): string {
  const style = `<style>${css.replace(/<\/style/gi, '<\\/style')}</style>`;
  const head = html.indexOf('</head>');
  return head >= 0 ? html.slice(0, head) + style + html.slice(head) : style + html;
}

/**
 * Chromium alone: each batch in a fresh tab (setContent, fonts, pdf with the engine's options),
 * `concurrency` tabs at a time in one browser, parts kept in order and not merged.
 */
async function printBatches(browser: Browser, pages: string[], concurrency: number): Promise<Uint8Array[]> {
  const parts: Uint8Array[] = new Array(pages.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < pages.length; i = next++) {
      const tab = await browser.newPage();
      try {
        await tab.setContent(pages[i], { waitUntil: 'load', timeout: 0 });
        await tab.evaluate(() => document.fonts.ready.then(() => undefined));
        parts[i] = await tab.pdf({ preferCSSPageSize: true, timeout: 0 });
      } finally {
        await tab.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, pages.length) }, worker));
  return parts;
}

/** What the app adds after Chromium, for the report: pdf-lib joining the parts as OrderedMerge does. */
async function merge(parts: Uint8Array[]): Promise<{ pages: number; seconds: number }> {
  const started = performance.now();
  const out = await PDFDocument.create({ updateMetadata: false });
  for (const part of parts) {
    const doc = await PDFDocument.load(part, { updateMetadata: false, parseSpeed: ParseSpeeds.Fast });
    for (const page of await out.copyPages(doc, doc.getPageIndices())) out.addPage(page);
  }
  await out.save({ objectsPerTick: 2_000 });
  return { pages: out.getPageCount(), seconds: (performance.now() - started) / 1000 };
}

const r2 = (n: number) => Math.round(n * 100) / 100;

export const scenario: Scenario = async (ctx: Context) => {
  const { log } = ctx;
  const db = new pg.Client({ connectionString: ctx.url });
  await db.connect();
  const groups: { n: number; id: number }[] = [];
  let warmPerson: number;
  try {
    for (const n of SIZES) groups.push({ n, id: await ensureGroup(db, n, log) });
    warmPerson = Number((await db.query(`select person_id from group_memberships where group_id = $1 and removed_at is null order by id limit 1`, [groups[0].id])).rows[0].person_id);
  } finally {
    await db.end();
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-envelopes-'));
  const local = await inProcessApp(ctx.url);
  let browser: Browser | null = null;
  const figures: Figure[] = [];
  try {
    // Both Chromiums are started and have printed once before anything is timed: an office pays
    // the launch once per server, not per print run.
    const warm = await download(`${ctx.base}/persons/${warmPerson}/envelope.pdf?format=${FORMAT}`, ctx.cookie, path.join(dir, 'warm.pdf'));
    if (warm.status !== 200 || warm.head !== '%PDF') throw new Error(`warm-up envelope: HTTP ${warm.status}`);
    browser = await puppeteer.launch({ executablePath: await findBrowser(), args: [...chromiumArgs(), '--font-render-hinting=none'], headless: true, timeout: 30_000 });
    const warmJob = await local.capture(`/persons/${warmPerson}/envelope.pdf?format=${FORMAT}`);
    await printBatches(browser, [withStyle(await warmJob.job.html(warmJob.job.items, 0), warmJob.job.css)], 1);

    for (const { n, id } of groups) {
      const url = `/groups/${id}/envelopes.pdf?format=${FORMAT}`;
      const captured = await local.capture(url);
      const items = captured.job.items;
      if (items.length !== n) throw new Error(`group "${groupName(n)}": ${items.length} printable of ${n} members`);
      // Templates are rendered before the floor's clock starts; the engine renders each batch's
      // HTML just before printing it (breakdown.templateSeconds says what that costs the app).
      const t0 = performance.now();
      const html: string[] = [];
      for (let i = 0; i * captured.batchSize < items.length; i++) {
        html.push(withStyle(await captured.job.html(items.slice(i * captured.batchSize, (i + 1) * captured.batchSize), i), captured.job.css));
      }
      const templateSeconds = (performance.now() - t0) / 1000;

      const apps: (Awaited<ReturnType<typeof download>> & { pages: number; mem: Sampled })[] = [];
      const floors: { seconds: number; pages: number; mergeSeconds: number; mem: Sampled }[] = [];
      // App and floor alternate, so a neighbour's burst on the shared cores hits both alike.
      for (let run = 0; run < runsFor(n); run++) {
        // App: the whole route through the server, Chromium inside it.
        const file = path.join(dir, `${n}.pdf`);
        const stopApp = await startSampler(ctx.serverPid, false);
        const got = await download(ctx.base + url, ctx.cookie, file);
        const mem = await stopApp();
        if (got.status !== 200) throw new Error(`${url}: HTTP ${got.status}`);
        if (got.head !== '%PDF') throw new Error(`${url}: the body does not start with %PDF`);
        const pages = await pageCount(file);
        rmSync(file, { force: true });
        if (pages !== n) log(`  envelopes: ${url} has ${pages} pages, expected ${n}`);
        apps.push({ ...got, pages, mem });

        // Floor: the same batches of the same HTML, Chromium only.
        const stopFloor = await startSampler(browser.process()!.pid!, true);
        const f0 = performance.now();
        const parts = await printBatches(browser, html, captured.concurrency);
        const seconds = (performance.now() - f0) / 1000;
        const floorMem = await stopFloor();
        const merged = await merge(parts);
        if (merged.pages !== n) log(`  envelopes: the floor printed ${merged.pages} pages, expected ${n}`);
        floors.push({ seconds, pages: merged.pages, mergeSeconds: merged.seconds, mem: floorMem });
      }

      // Time: the fastest run, the least disturbed one. CPU seconds: the median. Memory: the peak.
      const app = apps.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const floor = floors.reduce((a, b) => (b.seconds < a.seconds ? b : a));
      const max = (xs: Sampled[], k: keyof Sampled) => Math.max(...xs.map((x) => x[k]));
      const median = (xs: Sampled[], k: keyof Sampled) => xs.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const appMem = apps.map((a) => a.mem);
      const floorMem = floors.map((f) => f.mem);
      const figure: Figure = {
        name: `envelopes ${FORMAT} PDF, ${n.toLocaleString('en')} members`,
        url,
        seconds: r2(app.seconds),
        firstByteSeconds: r2(app.firstByteSeconds),
        pages: app.pages,
        skipped: app.skipped === undefined ? undefined : Number(app.skipped),
        bytes: app.bytes,
        chromiumPeakMB: max(appMem, 'pssMB'),
        chromiumPeakRssMB: max(appMem, 'rssMB'),
        chromiumCpuSeconds: median(appMem, 'cpu'),
        serverPeakMB: max(appMem, 'rootRssMB'),
        serverCpuSeconds: median(appMem, 'rootCpu'),
        floorSeconds: r2(floor.seconds),
        floorPages: floor.pages,
        floorChromiumPeakMB: max(floorMem, 'pssMB'),
        floorChromiumPeakRssMB: max(floorMem, 'rssMB'),
        floorChromiumCpuSeconds: median(floorMem, 'cpu'),
        ratio: r2(app.seconds / floor.seconds),
        // Wall time on these shared cores swings by 2× from run to run; CPU seconds hardly do.
        cpuRatio: r2((median(appMem, 'cpu') + median(appMem, 'rootCpu')) / median(floorMem, 'cpu')),
        runs: apps.length,
        allSeconds: apps.map((a) => r2(a.seconds)),
        allFloorSeconds: floors.map((f) => r2(f.seconds)),
        // What the app does beyond Chromium, measured in this process (not part of either time).
        breakdown: {
          prepareSeconds: r2(captured.prepareSeconds),
          templateSeconds: r2(templateSeconds),
          mergeSeconds: r2(Math.min(...floors.map((f) => f.mergeSeconds))),
          batches: html.length,
          batchSize: captured.batchSize,
          concurrency: captured.concurrency,
        },
      };
      html.length = 0;
      log(
        `${figure.name}: ${figure.seconds} s, ${app.pages} pages, ${(app.bytes / 1e6).toFixed(1)} MB, Chromium ${figure.chromiumPeakMB} MB PSS (${figure.chromiumPeakRssMB} MB RSS), ` +
          `server ${figure.serverPeakMB} MB; floor ${figure.floorSeconds} s, ${figure.floorChromiumPeakMB} MB PSS (${figure.floorChromiumPeakRssMB} MB RSS); ×${figure.ratio} (CPU ×${figure.cpuRatio})`,
      );
      figures.push(figure);
    }
  } finally {
    await browser?.close().catch(() => {});
    await local.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
};
