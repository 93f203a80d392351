// `node --import tsx bench/tools/explain.ts /url …`: the SQL a page runs, each statement with
// EXPLAIN ANALYZE, on the benchmark database; for finding which query a slow page waits on.
import pg from 'pg';
import { inProcessApp } from '../in-process.js';

const URL_ = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/crm_bench';

async function main() {
  const inProcess = await inProcessApp(URL_);
  const client = new pg.Client({ connectionString: URL_ });
  await client.connect();
  for (const url of process.argv.slice(2)) {
    const { statusCode, statements: captured } = await inProcess.capture(url);
    console.log(`\n### ${url} → ${statusCode}, ${captured.length} statements`);
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
  await inProcess.close();
}
main().catch((e) => { console.error(e); process.exit(1); });
