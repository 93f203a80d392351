/**
 * Benchmark, not a test: N DL envelopes through the real route (query, layout, templates,
 * Chromium in batches, merge). Prints the wall time, the pages, the peak memory of Chromium (sum
 * of PSS over its processes) and the CPU seconds Chromium and Node used, which say more than the
 * wall time on a busy machine. The sampling runs in a separate process so it does not skew Node.
 *
 *   node --import tsx test/envelopes/bench.ts 1000 10000
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { PDFDocument } from '@cantoo/pdf-lib';
import { organizations } from '../../src/db/schema/organizations.js';
import { createTestApp } from '../helpers/app.js';
import { makeGroup } from './helpers.js';

// Samples every 200 ms: the descendants of ROOT whose name contains "chrom"; on stdin's end prints
// the peak summed PSS (MB) and the CPU seconds they used (last value seen per process).
const SAMPLER = `
const fs = require('fs');
const root = Number(process.argv[1]);
const cpu = new Map(); let peak = 0;
function tree() {
  const kids = new Map();
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(n)) continue;
    try { const s = fs.readFileSync('/proc/' + n + '/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      kids.set(+f[1], [...(kids.get(+f[1]) || []), +n]); } catch {}
  }
  const out = []; const walk = (p) => (kids.get(p) || []).forEach((c) => { out.push(c); walk(c); }); walk(root); return out;
}
function sample() {
  let kb = 0;
  for (const pid of tree()) {
    try {
      if (!fs.readFileSync('/proc/' + pid + '/comm', 'utf8').includes('chrom')) continue;
      const s = fs.readFileSync('/proc/' + pid + '/stat', 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(f[11]) + Number(f[12])) / 100);
      const m = /^Pss:\\s+(\\d+)/m.exec(fs.readFileSync('/proc/' + pid + '/smaps_rollup', 'utf8')); if (m) kb += Number(m[1]);
    } catch {}
  }
  peak = Math.max(peak, kb / 1024);
}
sample(); const base = new Map(cpu);
const timer = setInterval(sample, 200);
process.stdin.resume();
process.stdin.on('end', () => { clearInterval(timer); sample();
  let used = 0; for (const [pid, v] of cpu) used += v - (base.get(pid) || 0);
  process.stdout.write(JSON.stringify({ peakMb: Math.round(peak), cpu: +used.toFixed(1) })); });
`;

function startSampler(): () => Promise<{ peakMb: number; cpu: number }> {
  const child = spawn(process.execPath, ['-e', SAMPLER, String(process.pid)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return () =>
    new Promise((resolve) => {
      child.on('close', () => resolve(JSON.parse(out)));
      child.stdin.end();
    });
}

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const t = await createTestApp();
const db = t.database.db;
const c = await t.as('employee');
let warm = false;
for (const n of sizes.length ? sizes : [1000]) {
  const ids: number[] = [];
  for (let i = 0; i < n; i += 1000) {
    const rows = Array.from({ length: Math.min(1000, n - i) }, (_, k) => {
      const name = `ООО «Контрагент ${String(i + k).padStart(5, '0')}»`;
      return {
        name, sortKey: name.toLowerCase(), searchText: name.toLowerCase(),
        addrIndex: String(100000 + ((i + k) % 900000)).padStart(6, '0'), addrLocality: 'Екатеринбург', addrRegion: 'Свердловская область',
        addrStreet: 'ул. Малышева', addrHouse: String((i + k) % 200), addrOffice: String((i + k) % 50),
      };
    });
    ids.push(...(await db.insert(organizations).values(rows).returning({ id: organizations.id })).map((r) => r.id));
  }
  const group = await makeGroup(db, ids.map((id) => ({ organizationId: id })));
  // Warm-up: the first PDF also starts Chromium, which an office pays once, not per print run.
  if (!warm) await c.get(`/groups/${group.id}/envelopes.pdf?format=DL`);
  warm = true;
  const stop = startSampler();
  await new Promise((r) => setTimeout(r, 300));
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  const res = await c.get(`/groups/${group.id}/envelopes.pdf?format=DL`);
  const seconds = (performance.now() - started) / 1000;
  const node = process.cpuUsage(nodeBefore);
  const chromium = await stop();
  const pages = (await PDFDocument.load(res.rawPayload)).getPageCount();
  process.stdout.write(
    `${n} DL envelopes: ${seconds.toFixed(2)} s, ${pages} pages, ${(res.rawPayload.length / 1e6).toFixed(1)} MB; ` +
      `Chromium peak PSS ${chromium.peakMb} MB, CPU ${chromium.cpu} s; Node CPU ${((node.user + node.system) / 1e6).toFixed(1)} s, RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB; ` +
      `load average ${loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores\n`,
  );
}
await t.close();
