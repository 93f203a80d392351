// The .xlsx import against the CSV import of the same rows (issue 19: 10,000 rows, preview + commit
// within 1.3× of the CSV). The generated Outlook CSV of the import scenario is written again as a
// workbook with exceljs's streaming writer (one sheet, the same header and cells); each file is
// uploaded, previewed and committed through the real routes, then undone, and what undo leaves
// (nothing, for new rows) is deleted, so the bench database is left as it was found.
import ExcelJS from 'exceljs';
import pg from 'pg';
import { parseCsv } from '../../src/features/import/parse/csv.js';
import { outlookCsv } from '../outlook-csv.js';
import type { Figure, Scenario } from '../scenarios.js';
import { App, watch } from './import.js';

const ROWS = Number(process.env.BENCH_XLSX_ROWS ?? process.env.BENCH_IMPORT_ROWS ?? 10_000);
const round = (n: number) => Math.round(n * 100) / 100;

/** The CSV's records as a one-sheet workbook, streamed by exceljs's writer. */
async function asWorkbook(csv: Buffer): Promise<Buffer> {
  const text = csv.toString('utf8').replace(/^\ufeff/, '');
  const chunks: Buffer[] = [];
  const { PassThrough } = await import('node:stream');
  const out = new PassThrough();
  out.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => out.on('end', resolve));
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: true, useStyles: false });
  const ws = wb.addWorksheet('Контакты');
  for (const r of parseCsv(text, ',')) ws.addRow(r.fields).commit();
  ws.commit();
  await wb.commit();
  await done;
  return Buffer.concat(chunks);
}

export const scenario: Scenario = async (ctx) => {
  const db = new pg.Client({ connectionString: ctx.url });
  await db.connect();
  const app = new App(ctx, db);
  const batches: number[] = [];
  const lastAudit = Number((await db.query('select coalesce(max(id), 0) as id from audit_log')).rows[0].id);
  const cleanUp = async () => {
    for (const id of [...batches].reverse()) {
      const status = (await db.query('select status from import_batches where id = $1', [id])).rows[0]?.status;
      if (status === 'committed') await app.undo(id);
    }
    await db.query('begin');
    const created = `select entity_id from import_changes where batch_id = any($1::int[]) and action = 'created' and entity_type = $2`;
    await db.query(`delete from persons where id in (${created.replace('$2', "'person'")})`, [batches]);
    await db.query(`delete from organizations where id in (${created.replace('$2', "'organization'")})`, [batches]);
    await db.query('delete from import_batches where id = any($1::int[])', [batches]);
    await db.query('delete from audit_log where id > $1', [lastAudit]);
    await db.query('commit');
    batches.length = 0;
  };
  try {
    const before = Number((await db.query('select count(*)::int as n from persons')).rows[0].n);
    const csv = outlookCsv(ROWS, { realisticNames: true, tag: 'xlsx-bench' });
    const xlsx = await asWorkbook(csv);
    ctx.log(`XLSX import: ${ROWS} rows, CSV ${round(csv.length / 2 ** 20)} MB, XLSX ${round(xlsx.length / 2 ** 20)} MB…`);
    const run = async (name: string, file: Buffer) => {
      const m = await watch(ctx.serverPid, db, async () => {
        const p = await app.preview(file, name);
        batches.push(p.id);
        const c = await app.commit(p.id, { options: '1' });
        return { previewMs: p.ms, commitMs: c.ms };
      });
      await cleanUp();
      ctx.log(`  ${name.padEnd(10)} preview ${Math.round(m.result.previewMs)} ms, commit ${Math.round(m.result.commitMs)} ms; CPU server ${m.serverCpuMs} ms; RSS peak ${m.peakMB} MB`);
      return { ...m.result, total: m.result.previewMs + m.result.commitMs, peakMB: m.peakMB, serverCpuMs: m.serverCpuMs };
    };
    try {
      // Warm both paths (the parse worker, exceljs) before measuring.
      await run('warm.xlsx', await asWorkbook(outlookCsv(100, { realisticNames: true, tag: 'xlsx-warm' })));
      await run('warm.csv', outlookCsv(100, { realisticNames: true, tag: 'xlsx-warm' }));
      const c = await run('bench.csv', csv);
      const x = await run('bench.xlsx', xlsx);
      const after = Number((await db.query('select count(*)::int as n from persons')).rows[0].n);
      if (after !== before) throw new Error(`the bench database changed: persons ${before} → ${after}`);
      const figures: Figure[] = [
        {
          name: `XLSX import ${ROWS.toLocaleString('en-US')} rows (preview + commit) vs the same rows as CSV`,
          url: '/import',
          previewMs: Math.round(x.previewMs),
          commitMs: Math.round(x.commitMs),
          totalMs: Math.round(x.total),
          csvTotalMs: Math.round(c.total),
          rssPeakMB: x.peakMB,
          serverCpuMs: x.serverCpuMs,
          csvServerCpuMs: c.serverCpuMs,
          ratio: round(x.total / Math.max(c.total, 1)),
          target: 1.3,
        },
      ];
      return figures;
    } finally {
      await cleanUp().catch((err: unknown) => ctx.log(`  clean-up failed: ${err instanceof Error ? err.message : String(err)}`));
    }
  } finally {
    await db.end();
  }
};
