// Issue 21: a mailing to the 5,000-member group, through the running server: create (recipients
// frozen with their addresses) and register (one outgoing document per included recipient, in one
// transaction). Both run as jobs above MAILING_JOB_THRESHOLD; the figure is the time from the
// click to the job's end, as the user waits for it. Target: create + register under 5 s. Then the
// mailing's form 103 list as PDF (target: under 5 s).
import pg from 'pg';
import type { Context, Figure, Scenario } from '../scenarios.js';

const round = (n: number) => Math.round(n * 100) / 100;

async function post(ctx: Context, url: string, form: Record<string, string>) {
  return fetch(`${ctx.base}${url}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: ctx.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: ctx.csrf, ...form }).toString(),
  });
}

/** Follows a job's page as the browser does until it ends; returns the page it links to. */
async function waitJob(ctx: Context, location: string): Promise<string> {
  for (let i = 0; i < 3000; i++) {
    const res = await fetch(`${ctx.base}${location}`, { headers: { cookie: ctx.cookie, 'hx-request': 'true' } });
    const html = await res.text();
    const state = /data-state="(\w+)"/.exec(html)?.[1];
    if (state === 'done') return /href="(\/mailings\/\d+)"/.exec(html)?.[1] ?? '';
    if (state === 'failed' || state === 'cancelled') throw new Error(`${location} ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${location} did not finish`);
}

/** A POST that either answers at once (a small mailing) or starts a job: the mailing's page either way. */
async function run(ctx: Context, url: string, form: Record<string, string>): Promise<string> {
  const res = await post(ctx, url, form);
  if (res.status !== 303) throw new Error(`${url} answered ${res.status}`);
  const to = String(res.headers.get('location'));
  return to.startsWith('/jobs/') ? waitJob(ctx, to) : to;
}

export const scenario: Scenario = async (ctx) => {
  const db = new pg.Client({ connectionString: ctx.url });
  await db.connect();
  try {
    // The group the pages benchmark calls the big one: the one nearest 5,000 members.
    const { rows } = await db.query(
      `select group_id as id, count(*)::int as n from group_memberships where removed_at is null group by 1 order by abs(count(*) - 5000), 1 limit 1`,
    );
    if (!rows.length) throw new Error('no mailing group in the bench data');
    const { id: groupId, n: members } = rows[0] as { id: number; n: number };
    const today = new Date().toISOString().slice(0, 10);
    ctx.log(`mailings: create + register a mailing to group ${groupId} (${members} members)…`);

    const t0 = performance.now();
    const page = await run(ctx, '/mailings', { source: 'group', groupId: String(groupId), subject: `bench ${new Date().toISOString()}`, kind: 'registered', category: 'letter', print: 'envelopes:DL', mailDate: today });
    const createSeconds = (performance.now() - t0) / 1000;
    const mailingId = Number(page.split('/').pop());
    const html = await (await fetch(`${ctx.base}${page}`, { headers: { cookie: ctx.cookie } })).text();
    const version = /name="version" value="(\d+)"/.exec(html)?.[1];
    if (!version) throw new Error(`no version on ${page}`);

    const t1 = performance.now();
    await run(ctx, `${page}/register`, { version });
    const registerSeconds = (performance.now() - t1) / 1000;

    const counts = (
      await db.query(
        `select count(*) filter (where not excluded)::int as included, count(*) filter (where document_id is not null)::int as registered from mailing_recipients where mailing_id = $1`,
        [mailingId],
      )
    ).rows[0] as { included: number; registered: number };
    if (counts.included !== counts.registered) throw new Error(`registered ${counts.registered} of ${counts.included}`);
    ctx.log(`mailings: ${counts.included} recipients; create ${round(createSeconds)} s, register ${round(registerSeconds)} s`);

    // The form 103 list of the whole mailing (the bench server makes PDFs in the request).
    const t2 = performance.now();
    // Above MAILING_JOB_THRESHOLD it is a job: the user follows its page and downloads the file.
    let pdf = await fetch(`${ctx.base}${page}/form103.pdf`, { headers: { cookie: ctx.cookie }, redirect: 'manual' });
    if (pdf.status === 303) {
      const job = String(pdf.headers.get('location'));
      await pdf.arrayBuffer();
      await waitJob(ctx, job);
      pdf = await fetch(`${ctx.base}${job}/file`, { headers: { cookie: ctx.cookie } });
    }
    const bytes = Buffer.from(await pdf.arrayBuffer());
    const form103Seconds = (performance.now() - t2) / 1000;
    if (pdf.status !== 200 || bytes.subarray(0, 5).toString() !== '%PDF-') throw new Error(`form 103 PDF answered ${pdf.status}`);
    const sheets = (bytes.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    ctx.log(`mailings: form 103 PDF of ${counts.included} items: ${round(form103Seconds)} s, ${sheets} sheets, ${round(bytes.length / 2 ** 20)} MB (target 5 s)`);
    const figure: Figure = {
      name: `mailing to ${members} members: create + register`,
      url: page,
      members,
      recipients: counts.included,
      createSeconds: round(createSeconds),
      registerSeconds: round(registerSeconds),
      totalSeconds: round(createSeconds + registerSeconds),
      targetSeconds: 5,
    };
    const form103: Figure = { name: `form 103 PDF, ${counts.included} items`, url: `${page}/form103.pdf`, seconds: round(form103Seconds), sheets, bytes: bytes.length, targetSeconds: 5 };
    return [figure, form103];
  } finally {
    await db.end();
  }
};
