// Duplicates (issue #20): the full scan of the directory through its route, the check of one card
// after a save (the statements the save path runs, straight through pg), the /duplicates page,
// first and last, and precision and recall against the generator's planted duplicates
// (bench_duplicates, written by bench/data.ts).
import pg from 'pg';
import type { Context, Figure, Scenario } from '../scenarios.js';

const round = (n: number) => Math.round(n * 100) / 100;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function timed(n: number, fn: () => Promise<void>) {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { p50: round(pct(times, 50)), p99: round(pct(times, 99)) };
}

export const scenario: Scenario = async (ctx: Context) => {
  const db = new pg.Client({ connectionString: ctx.url });
  await db.connect();
  const figures: Figure[] = [];
  try {
    const count = async (sql: string) => Number((await db.query(sql)).rows[0].n);
    const persons = await count('select count(*) as n from persons');
    const orgs = await count('select count(*) as n from organizations');
    // Earlier runs' dismissals and merges would change what is found.
    await db.query('delete from duplicate_dismissals');

    ctx.log(`duplicates: full scan of ${persons} persons, ${orgs} organizations…`);
    const t0 = performance.now();
    const res = await fetch(`${ctx.base}/duplicates/scan`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: ctx.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: ctx.csrf }).toString(),
    });
    const scanSeconds = round((performance.now() - t0) / 1000);
    if (res.status !== 303) throw new Error(`/duplicates/scan answered ${res.status}`);
    await db.query('vacuum analyze duplicate_candidates');

    // Precision and recall on the planted pairs.
    const stats = async (kind: string) => {
      const r = (
        await db.query(
          `select (select count(*) from bench_duplicates where kind = $1) as truth,
             (select count(*) from duplicate_candidates where kind = $1) as found,
             (select count(*) from bench_duplicates t join duplicate_candidates c on c.kind = t.kind and c.a_id = least(t.a_id, t.b_id) and c.b_id = greatest(t.a_id, t.b_id) where t.kind = $1) as hit`,
          [kind],
        )
      ).rows[0];
      const truth = Number(r.truth);
      const found = Number(r.found);
      const hit = Number(r.hit);
      return { truth, found, hit, precision: found ? round(hit / found) : 0, recall: truth ? round(hit / truth) : 0 };
    };
    const ps = await stats('person');
    const os = await stats('organization');
    ctx.log(`duplicates: scan ${scanSeconds} s; persons ${ps.found} pairs, recall ${ps.recall} (${ps.hit}/${ps.truth}), precision ${ps.precision}; organizations ${os.found} pairs, recall ${os.recall} (${os.hit}/${os.truth}), precision ${os.precision}`);
    figures.push({ name: `duplicates: full scan, ${persons.toLocaleString('en-US')} persons / ${orgs.toLocaleString('en-US')} organizations`, url: '/duplicates/scan', seconds: scanSeconds, target: '< 10 s' });
    figures.push({ name: 'duplicates: persons, planted pairs', url: '', ...ps });
    figures.push({ name: 'duplicates: organizations, planted pairs', url: '', ...os });

    // The check of one saved card: the function the save paths call after their transaction
    // (src/features/duplicates/queries.ts checkCard), on the benchmark database.
    const { openDatabase } = await import('../../src/db/client.js');
    const { checkCard, checkCards } = await import('../../src/features/duplicates/queries.js');
    const database = await openDatabase({ databaseUrl: ctx.url, dataDir: ':memory:' });
    try {
      const ids = (await db.query(`select a_id from bench_duplicates where kind = 'person' order by a_id limit 50`)).rows.map((r) => Number(r.a_id));
      const oids = (await db.query(`select a_id from bench_duplicates where kind = 'organization' order by a_id limit 50`)).rows.map((r) => Number(r.a_id));
      let i = 0;
      const person = await timed(Math.max(ids.length * 2, 1), async () => checkCard(database.db, 'person', ids[i++ % ids.length]));
      i = 0;
      const org = await timed(Math.max(oids.length * 2, 1), async () => checkCard(database.db, 'organization', oids[i++ % oids.length]));
      ctx.log(`duplicates: check of one card p50/p99 person ${person.p50}/${person.p99} ms, organization ${org.p50}/${org.p99} ms`);
      figures.push({ name: 'duplicates: check of one saved person', url: '', ...person, target: '< 50 ms' });
      figures.push({ name: 'duplicates: check of one saved organization', url: '', ...org, target: '< 50 ms' });

      // An import's commit checks its cards in bulk (src/features/import/jobs.ts): the newest
      // 10,000 persons and 2,000 organizations, as a commit of that size would.
      const newest = async (table: string, n: number) => (await db.query(`select id from ${table} order by id desc limit ${n}`)).rows.map((r) => Number(r.id));
      const bulk = async (kind: 'person' | 'organization', list: number[]) => {
        const t1 = performance.now();
        await checkCards(database.db, kind, list);
        return round((performance.now() - t1) / 1000);
      };
      const pids = await newest('persons', 10_000);
      const orgIds = await newest('organizations', 2_000);
      const bulkPersons = await bulk('person', pids);
      const bulkOrgs = await bulk('organization', orgIds);
      ctx.log(`duplicates: bulk check of an import's cards: ${pids.length} persons ${bulkPersons} s, ${orgIds.length} organizations ${bulkOrgs} s`);
      figures.push({ name: `duplicates: bulk check of ${pids.length.toLocaleString('en-US')} imported persons`, url: '', seconds: bulkPersons });
      figures.push({ name: `duplicates: bulk check of ${orgIds.length.toLocaleString('en-US')} imported organizations`, url: '', seconds: bulkOrgs });
    } finally {
      await database.close();
    }

    // The page, first and last.
    for (const [name, url] of [
      ['first page', '/duplicates'],
      ['last page', '/duplicates?last=1'],
      ['persons, first page', '/duplicates?kind=person'],
      ['organizations, last page', '/duplicates?kind=organization&last=1'],
    ] as const) {
      const r = await timed(100, async () => {
        const res = await fetch(`${ctx.base}${url}`, { headers: { cookie: ctx.cookie } });
        if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
        await res.arrayBuffer();
      });
      ctx.log(`duplicates: ${name} p50 ${r.p50} ms, p99 ${r.p99} ms`);
      figures.push({ name: `duplicates: ${name}`, url, ...r, target: 'p99 < 50 ms' });
    }
  } finally {
    await db.end();
  }
  return figures;
};
