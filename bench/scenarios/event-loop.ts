// The event-loop scenario (issue 14): while the server processes a 6300×6300 PNG photo, a
// 12-megapixel phone JPEG, a 6300×6300 JPEG, an Outlook CSV of a million rows (refused at the row
// limit) and a 10,000-row import (preview and commit), a second client keeps loading /contacts and
// /healthz. Reported: their p50/p99/max, the server's event-loop delay (read from inside the server
// by bench/loop-probe.ts over an IPC channel, never over HTTP) and its peak resident memory.
// Runs on PostgreSQL (a fresh database `<bench db>_eventloop`, dropped afterwards) or on PGlite
// (`BENCH_DB=pglite`: a temporary data directory); before the measured part, both get a directory
// of `BENCH_EVENTLOOP_PERSONS` (2,000) persons through the app's own import, so /contacts has
// pages to show.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import sharp from 'sharp';
import { outlookCsv } from '../outlook-csv.js';
import { rss, SERVER_ENV, SERVER_NODE_ARGS } from '../proc.js';
import type { Figure } from '../scenarios.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MB = 1024 * 1024;
/** Rows of the import that is committed; `BENCH_EVENTLOOP_SCALE` < 1 shrinks every file for a smoke test. */
const SCALE = Number(process.env.BENCH_EVENTLOOP_SCALE ?? 1);
const IMPORT_ROWS = Math.max(10, Math.round(10_000 * SCALE));
const CSV_ROWS = Math.max(100, Math.round(1_000_000 * SCALE));
const BIG_SIDE = Math.max(64, Math.round(6300 * Math.sqrt(SCALE)));
const DIRECTORY = Number(process.env.BENCH_EVENTLOOP_PERSONS ?? 2000);
const ADMIN_PASSWORD = 'bench-eventloop-admin';

type Probe = { p50: number; p99: number; max: number; count: number };

export interface EventLoopOptions {
  db: 'pg' | 'pglite';
  /** PostgreSQL server of the bench (its database name gets `_eventloop` appended). */
  url: string;
  log: (s: string) => void;
}

function percentile(sorted: number[], p: number) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}
const round = (n: number) => Math.round(n * 10) / 10;

function multipart(field: string, filename: string, content: Buffer) {
  const boundary = '----crmbench' + Math.random().toString(16).slice(2);
  const body = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    content,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The files, made before the server is watched (smooth pictures: sizes like real photos). */
async function files() {
  const blobs = await sharp({ create: { width: 90, height: 90, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer();
  const side = BIG_SIDE;
  const stripe = await sharp(blobs).resize(side, Math.max(1, Math.round(side / 300))).png().toBuffer();
  const png = await sharp({ create: { width: side, height: side, channels: 3, background: { r: 240, g: 235, b: 220 } } })
    .composite([{ input: stripe, top: Math.floor(side / 2), left: 0 }])
    .png({ compressionLevel: 9 })
    .toBuffer();
  const jpeg = await sharp(blobs).resize(side, side, { kernel: 'cubic' }).jpeg({ quality: 80 }).toBuffer();
  const w12 = Math.max(40, Math.round(4000 * Math.sqrt(SCALE)));
  const phone = await sharp(blobs).resize(w12, Math.round((w12 * 3) / 4), { kernel: 'cubic' }).jpeg({ quality: 85 }).withMetadata({ orientation: 6 }).toBuffer();
  const pieces: Buffer[] = [Buffer.from('First Name,Last Name,Company,E-mail Address\r\n')];
  for (let k = 0; k < CSV_ROWS; k += 10_000) {
    let s = '';
    for (let i = k; i < Math.min(CSV_ROWS, k + 10_000); i++) s += `A${i},B${i},C,\r\n`;
    pieces.push(Buffer.from(s));
  }
  const million = Buffer.concat(pieces);
  const outlook = outlookCsv(IMPORT_ROWS, { tag: `el${Date.now().toString(36)}` });
  return { png, jpeg, phone, million, outlook };
}

async function startServer(env: Record<string, string>, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, '--import', './bench/loop-probe.ts', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...SERVER_ENV, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', LOGIN_RATE_LIMIT: '1000' },
    stdio: ['ignore', process.env.BENCH_SERVER_LOG ? 'inherit' : 'ignore', 'inherit', 'ipc'],
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`event loop: the server exited (code ${code}, signal ${signal})`);
  });
  for (let i = 0; i < 400; i++) {
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

function ask(child: ChildProcess, msg: 'loop:reset' | 'loop:read'): Promise<Probe> {
  return new Promise((resolve) => {
    const on = (m: { type?: string } & Probe) => {
      if (m?.type !== msg) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
    child.send(msg);
  });
}

async function signIn(base: string, login: string, password: string) {
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
  const res = await fetch(`${base}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() }, body: new URLSearchParams({ login, password, _csrf: csrf }).toString() });
  keep(res);
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status}`);
  const after = await fetch(`${base}/contacts`, { headers: { cookie: cookie() } });
  const token = /"X-CSRF-Token": "([^"]+)"/.exec(await after.text())?.[1] ?? csrf;
  return { cookie: cookie(), csrf: token };
}

export async function eventLoopScenario(opts: EventLoopOptions): Promise<Figure[]> {
  const { log } = opts;
  const port = 3990 + Math.floor(Math.random() * 9);
  const base = `http://127.0.0.1:${port}`;
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  if (opts.db === 'pglite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'crm-bench-eventloop-'));
    env = { DATA_DIR: dir, DATABASE_URL: '' };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const u = new URL(opts.url);
    const name = `${u.pathname.slice(1)}_eventloop`;
    const admin = new pg.Client({ connectionString: opts.url });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    await admin.end();
    u.pathname = `/${name}`;
    env = { DATABASE_URL: u.toString() };
    cleanup = async () => {
      const a = new pg.Client({ connectionString: opts.url });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    };
  }
  env.ADMIN_PASSWORD = ADMIN_PASSWORD;
  try {
    log(`event loop (${opts.db}): making the files, starting the server…`);
    const f = await files();
    const server = await startServer(env, port);
    try {
      const s = await signIn(base, 'admin', ADMIN_PASSWORD);
      const upload = async (path: string, field: string, name: string, content: Buffer) => {
        const m = multipart(field, name, content);
        const res = await fetch(base + path, { method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': m.contentType }, body: m.body });
        return { status: res.status, location: res.headers.get('location') ?? '', body: await res.text() };
      };
      const form = async (path: string) => {
        const res = await fetch(base + path, { method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: s.csrf }).toString() });
        await res.arrayBuffer();
        if (res.status !== 303) throw new Error(`POST ${path} answered ${res.status}`);
      };
      const statusOf = async (id: number) => /id="import-status" data-status="(\w+)"/.exec(await (await fetch(`${base}/import/${id}`, { headers: { cookie: s.cookie } })).text())?.[1];
      const importFile = async (file: Buffer) => {
        const r = await upload('/import', 'file', 'outlook.csv', file);
        const id = Number(/^\/import\/(\d+)$/.exec(r.location)?.[1]);
        if (r.status !== 303 || !id) return `upload ${r.status}`;
        await fetch(`${base}/import/${id}`, { headers: { cookie: s.cookie } }).then((x) => x.arrayBuffer());
        await form(`/import/${id}/commit`);
        for (let st = await statusOf(id); ; st = await statusOf(id)) {
          if (st !== 'committing') return st ?? 'unknown';
          await new Promise((res) => setTimeout(res, 200));
        }
      };

      // The directory, before anything is measured.
      log(`event loop (${opts.db}): importing a directory of ${DIRECTORY} persons…`);
      const seeded = await importFile(outlookCsv(DIRECTORY, { realisticNames: true, tag: 'directory' }));
      if (seeded !== 'committed') throw new Error(`the directory import ended ${seeded}`);
      // The main screen lists organizations; a person appears once one is opened (or the unaffiliated).
      const page = async (path: string) => (await fetch(base + path.replaceAll('&amp;', '&'), { headers: { cookie: s.cookie } })).text();
      const main = await page('/contacts');
      const opened = [...main.matchAll(/class="org-link" href="([^"]+)"/g)].map((m) => m[1]).slice(0, 3);
      let person = 0;
      for (const link of [...opened, '/contacts?org=none']) {
        person = Number(/href="\/persons\/(\d+)"/.exec(await page(link))?.[1]);
        if (person) break;
      }
      if (!person) throw new Error('no person on /contacts to put the photos on');

      // The heavy work, all at once, as several secretaries would.
      const work: Record<string, () => Promise<string>> = {
        'photo 6300×6300 PNG': async () => String((await upload(`/persons/${person}/photo`, 'photo', 'big.png', f.png)).status),
        'photo 6300×6300 JPEG': async () => String((await upload(`/persons/${person}/photo`, 'photo', 'big.jpg', f.jpeg)).status),
        'photo 12 MP phone JPEG': async () => String((await upload(`/persons/${person}/photo`, 'photo', 'IMG_0001.JPG', f.phone)).status),
        [`CSV of ${CSV_ROWS} rows`]: async () => {
          const r = await upload('/import', 'file', 'million.csv', f.million);
          return `${r.status}${/слишком много записей|too many/i.test(r.body) ? ' (row limit)' : ''}`;
        },
        [`import of ${IMPORT_ROWS} rows`]: () => importFile(f.outlook),
      };

      // The other client: /contacts and /healthz in turn, one at a time, as long as the work lasts.
      const times = { contacts: [] as number[], healthz: [] as number[] };
      let busy = true;
      const observer = (async () => {
        while (busy) {
          for (const [key, url] of [['healthz', '/healthz'], ['contacts', '/contacts']] as const) {
            const t0 = performance.now();
            const res = await fetch(base + url, { headers: key === 'contacts' ? { cookie: s.cookie } : {} });
            await res.arrayBuffer();
            if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
            times[key].push(performance.now() - t0);
          }
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      let peak = rss(server.pid!);
      const sampler = setInterval(() => (peak = Math.max(peak, rss(server.pid!))), 50);
      await ask(server, 'loop:reset');
      const t0 = performance.now();
      const outcomes = await Promise.all(Object.entries(work).map(async ([name, run]) => [name, await run()] as const));
      const seconds = (performance.now() - t0) / 1000;
      const loop = await ask(server, 'loop:read');
      busy = false;
      await observer;
      clearInterval(sampler);
      peak = Math.max(peak, rss(server.pid!));

      const figures: Figure[] = [];
      for (const key of ['healthz', 'contacts'] as const) {
        const sorted = times[key].sort((a, b) => a - b);
        figures.push({ name: `event loop (${opts.db}): /${key} during the heavy work`, url: `/${key}`, p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? NaN), requests: sorted.length });
      }
      figures.push({
        name: `event loop (${opts.db}): server`,
        url: '',
        eventLoopDelayP50: loop.p50,
        eventLoopDelayP99: loop.p99,
        eventLoopDelayMax: loop.max,
        peakRssMB: Math.round(peak / MB),
        seconds: round(seconds),
        outcomes: Object.fromEntries(outcomes),
      });
      for (const x of figures) log(`${x.name}: ${JSON.stringify({ ...x, name: undefined, url: undefined })}`);
      return figures;
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  } finally {
    await cleanup();
  }
}
