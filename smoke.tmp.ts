import { buildApp } from '/work/wt-jobs/src/app.js';
import { loadConfig } from '/work/wt-jobs/src/config.js';
const t0 = Date.now();
const app = await buildApp(loadConfig({ DATA_DIR: ':memory:', LOG_LEVEL: 'warn', ADMIN_PASSWORD: 'x1234567890', DATABASE_URL: process.env.DATABASE_URL }));
let seen = 0;
app.jobs.registerHandler('test.echo', { title: 'x', async run(ctx) { ctx.progress(1, 2, 'p'); return { report: { ok: ctx.payload } }; } });
const tr = Date.now(); await app.ready(); console.log("boss start", Date.now() - tr);
console.log('ready', Date.now() - t0);
const t1 = Date.now();
const { id } = await app.jobs.enqueue('test.echo', { a: 1 }, { owner: { id: 1 } });
for (;;) { const j = await app.jobs.find(id); if (j!.state === 'done') { console.log('done', Date.now() - t1, j!.report); break; } await new Promise(r => setTimeout(r, 20)); }
const t2 = Date.now(); await app.close(); console.log('closed', Date.now() - t2);
