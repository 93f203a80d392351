// `node --import tsx bench/tools/pglite-pages.ts [--dir DIR] [--runs N] [--warmup S] [--explain MS] [/url …]`: the
// main pages on a PGlite data directory, requested in this process through the app (no network),
// each N times (default 30): p50 / p99 / max, and the CPU time the process spent on it (PGlite
// runs on this thread: on a busy machine the CPU time is the steadier figure). Without a directory it seeds the demo (240 persons,
// as `npm run demo`) into a fresh one. `--explain 5` prints EXPLAIN ANALYZE of every statement of
// a page that took longer than 5 ms (run inside PGlite, on the same instance).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inProcessApp } from '../in-process.js';
import { seedDemoInto, demoPages } from '../demo.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const given = arg('dir');
  const dir = given ?? mkdtempSync(path.join(os.tmpdir(), 'crm-pglite-pages-'));
  const runs = Number(arg('runs') ?? 30);
  const explainMs = arg('explain') !== undefined ? Number(arg('explain')) : null;
  try {
    if (!given) {
      const t0 = performance.now();
      await seedDemoInto(dir);
      console.log(`demo seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s into ${dir}`);
    }
    const app = await inProcessApp({ db: 'pglite', dataDir: dir }, { login: 'secretary', password: 'demo' });
    const urls = process.argv.slice(2).filter((a, i, all) => a.startsWith('/') && !['--dir', '--runs', '--explain', '--warmup'].includes(all[i - 1]));
    const pages = urls.length ? urls.map((u) => [u, u] as [string, string]) : await demoPages(app.pglite!);
    // PGlite is WebAssembly: V8 compiles it quickly first and optimizes the hot functions in the
    // background, which takes seconds (longer on a busy machine): `select 1` goes 4 → 1 ms meanwhile.
    const warm = performance.now() + Number(arg('warmup') ?? 10) * 1000;
    while (performance.now() < warm) for (const [, url] of pages) await app.time(url);
    for (const [name, url] of pages) {
      const times: number[] = [];
      const cpu: number[] = [];
      let status = 0;
      for (let i = 0; i < runs + 3; i++) {
        const c0 = process.cpuUsage();
        const r = await app.time(url);
        const c = process.cpuUsage(c0);
        status = r.statusCode;
        if (i >= 3) {
          times.push(r.ms);
          cpu.push((c.user + c.system) / 1000);
        }
      }
      cpu.sort((a, b) => a - b);
      times.sort((a, b) => a - b);
      const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))];
      console.log(`${name.padEnd(36)} ${status}  p50 ${pct(50).toFixed(1).padStart(7)}  p99 ${pct(99).toFixed(1).padStart(7)}  max ${times.at(-1)!.toFixed(1).padStart(7)} ms  cpu p50 ${cpu[Math.floor(cpu.length / 2)].toFixed(1).padStart(6)} ms`);
      if (explainMs === null) continue;
      const { statements } = await app.capture(url);
      let sum = 0;
      for (const s of statements) {
        const ts: number[] = [];
        const cs: number[] = [];
        for (let i = 0; i < 7; i++) {
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          await app.pglite!.query(s.text, s.params as unknown[]);
          const c = process.cpuUsage(c0);
          ts.push(performance.now() - t0);
          cs.push((c.user + c.system) / 1000);
        }
        ts.sort((a, b) => a - b);
        cs.sort((a, b) => a - b);
        sum += ts[3];
        console.log(`   ${ts[3].toFixed(2).padStart(7)} ms (cpu ${cs[3].toFixed(2).padStart(6)})  ${s.text.replace(/\s+/g, ' ').slice(0, 130)}`);
      }
      console.log(`   ${sum.toFixed(2).padStart(7)} ms  the ${statements.length} statements`);
      for (const s of statements) {
        if (!/^\s*(select|with)/i.test(s.text)) continue;
        const r = await app.pglite!.query<{ 'QUERY PLAN': string }>(`explain (analyze, costs off, buffers off, timing off) ${s.text}`, s.params as unknown[]);
        const plan = r.rows.map((x) => x['QUERY PLAN']).join('\n');
        const exec = Number(/Execution Time: ([\d.]+)/.exec(plan)?.[1]);
        if (exec >= explainMs) console.log(`\n-- ${exec} ms\n${s.text.replace(/\s+/g, ' ')}\n${JSON.stringify(s.params).slice(0, 300)}\n${plan}\n`);
      }
    }
    await app.close();
  } finally {
    if (!given) rmSync(dir, { recursive: true, force: true });
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
