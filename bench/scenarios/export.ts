// The XML export of the whole directory against the running server: total time, time to the
// first byte, size, and the server's memory while it streams (the issue asks for a steady RSS).
// Its floor: the same rows read with plain SELECTs streamed through server-side cursors.
import pg from 'pg';
import type { Context, Figure, Scenario } from '../scenarios.js';
import { cpuMs, rss } from '../proc.js';

const cpuSeconds = (pid: number) => cpuMs(pid) / 1000;

const FETCH = 1000;
const MB = 1024 * 1024;
const round = (n: number) => Math.round(n * 100) / 100;


/** Counts a pattern in a byte stream without holding it: matches may straddle two chunks. */
class Counter {
  count = 0;
  private tail = Buffer.alloc(0);
  constructor(private readonly pattern: Buffer) {}
  push(chunk: Buffer) {
    // The tail is shorter than the pattern, so a match found in it is never counted twice.
    const buf = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    for (let i = buf.indexOf(this.pattern); i !== -1; i = buf.indexOf(this.pattern, i + 1)) this.count++;
    this.tail = Buffer.from(buf.subarray(Math.max(0, buf.length - (this.pattern.length - 1))));
  }
}

async function download(ctx: Context) {
  const rssBefore = rss(ctx.serverPid);
  const cpuBefore = cpuSeconds(ctx.serverPid);
  const samples: { at: number; rss: number }[] = [];
  const sampler = setInterval(() => samples.push({ at: performance.now(), rss: rss(ctx.serverPid) }), 100);
  const persons = new Counter(Buffer.from('<person '));
  let head = Buffer.alloc(0);
  let end = Buffer.alloc(0);
  let bytes = 0;
  let ttfb = 0;
  const t0 = performance.now();
  try {
    const res = await fetch(`${ctx.base}/export.xml`, { headers: { cookie: ctx.cookie } });
    if (res.status !== 200 || !res.body) throw new Error(`/export.xml answered ${res.status}`);
    for await (const part of res.body) {
      const chunk = Buffer.from(part);
      if (!ttfb) ttfb = performance.now() - t0;
      bytes += chunk.length;
      if (head.length < 64) head = Buffer.concat([head, chunk.subarray(0, 64)]);
      end = Buffer.concat([end, chunk.subarray(-64)]).subarray(-64);
      persons.push(chunk);
    }
  } finally {
    clearInterval(sampler);
  }
  const t1 = performance.now();
  const seconds = (t1 - t0) / 1000;
  samples.push({ at: t1, rss: rss(ctx.serverPid) });
  // Peak of each quarter of the download: flat quarters mean memory does not grow with the file.
  const quarters = [0, 1, 2, 3].map((q) =>
    Math.round(Math.max(0, ...samples.filter((s) => s.at >= t0 + ((t1 - t0) * q) / 4 && s.at <= t0 + ((t1 - t0) * (q + 1)) / 4).map((s) => s.rss)) / MB),
  );
  return {
    seconds,
    ttfbMs: Math.round(ttfb),
    bytes,
    persons: persons.count,
    wellFormedEnds: head.toString('utf8').startsWith('<?xml') && end.toString('utf8').trimEnd().endsWith('</contacts>'),
    rssBeforeMB: Math.round(rssBefore / MB),
    rssPeakMB: Math.max(...quarters, Math.round(rssBefore / MB)),
    rssQuartersMB: quarters,
    serverCpuSeconds: round(cpuSeconds(ctx.serverPid) - cpuBefore),
  };
}

/**
 * The floor: the rows the export reads, as plain SELECTs in the export's order, streamed through
 * server-side cursors a batch at a time (parsed by pg, nothing written). Phones and e-mails are
 * read on their own, the cheapest plain way; the keys the export builds in SQL are the ids here.
 */
const ADDRESS = 'addr_index, addr_country, addr_region, addr_district, addr_locality, addr_street, addr_house, addr_building, addr_office';
const FLOOR_QUERIES = [
  `select g.id, g.sort_key, g.name, g.description, g.mark, g.archived_at from mailing_groups g order by g.sort_key, g.id`,
  `select o.id, o.sort_key, o.name, o.short_name, r.name as region, a.name as activity, c.name as category, o.phones, o.email, o.website, o.note, o.archived_at, ${ADDRESS}
     from organizations o left join regions r on r.id = o.region_id left join activities a on a.id = o.activity_id left join categories c on c.id = o.category_id
     order by o.sort_key, o.id`,
  `select p.id, p.sort_key, po.id as organization, p.surname, p.first_name, p.patronymic, p.influence, p.job_title, p.gender, p.dative_override, p.note,
       p.archived_at, p.updated_at, ${ADDRESS.replace(/addr_/g, 'p.addr_')}
     from persons p left join organizations po on po.id = p.organization_id
     order by p.sort_key, p.id`,
  `select person_id, kind, number from person_phones order by person_id, position, id`,
  `select person_id, email from person_emails order by person_id, position, id`,
  `select m.id, m.group_id, m.person_id, m.organization_id, m.reason, m.added_at, m.removed_at from group_memberships m order by m.id`,
];

async function floor(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const t0 = performance.now();
    let rows = 0;
    await client.query('begin');
    for (const [i, text] of FLOOR_QUERIES.entries()) {
      await client.query(`declare c${i} no scroll cursor for ${text}`);
      for (;;) {
        const r = await client.query(`fetch ${FETCH} from c${i}`);
        rows += r.rows.length;
        if (r.rows.length < FETCH) break;
      }
      await client.query(`close c${i}`);
    }
    await client.query('commit');
    return { seconds: (performance.now() - t0) / 1000, rows };
  } finally {
    await client.end();
  }
}

export const scenario: Scenario = async (ctx) => {
  const db = new pg.Client({ connectionString: ctx.url });
  await db.connect();
  const expected = Number((await db.query('select count(*) from persons')).rows[0].count);
  await db.end();

  ctx.log(`XML export of ${expected} persons…`);
  const app = await download(ctx);
  const base = await floor(ctx.url);
  const ratio = round(app.seconds / Math.max(base.seconds, 0.001));
  ctx.log(
    `XML export: ${round(app.seconds)} s (first byte ${app.ttfbMs} ms), ${Math.round(app.bytes / MB)} MB, server RSS ${app.rssBeforeMB} → peak ${app.rssPeakMB} MB (by quarter ${app.rssQuartersMB.join(', ')}), ` +
      `server CPU ${app.serverCpuSeconds} s; floor ${round(base.seconds)} s (${base.rows} rows) ×${ratio}`,
  );
  if (!app.wellFormedEnds) throw new Error('the export does not end with </contacts>: cut short?');
  if (app.persons !== expected) throw new Error(`the export has ${app.persons} persons, the database ${expected}`);

  const figure: Figure = {
    name: `XML export, ${expected.toLocaleString('en-US')} persons`,
    url: '/export.xml',
    seconds: round(app.seconds),
    ttfbMs: app.ttfbMs,
    bytes: app.bytes,
    rssBeforeMB: app.rssBeforeMB,
    rssPeakMB: app.rssPeakMB,
    rssQuartersMB: app.rssQuartersMB,
    serverCpuSeconds: app.serverCpuSeconds,
    floorSeconds: round(base.seconds),
    floorRows: base.rows,
    ratio,
  };
  return [figure];
};
