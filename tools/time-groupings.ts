// Times listOrganizations per grouping on a copy of the demo's PGlite directory, counting statements.
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { drizzle } from 'drizzle-orm/pglite';
import * as schema from '../src/db/schema/index.ts';
import { listOrganizations } from '../src/features/contacts/queries.ts';
import { Locator } from '../src/lib/search/locator.ts';

const client = await PGlite.create(process.argv[2], { extensions: { pg_trgm } });
if (process.env.ANALYZE) await client.exec('analyze');
let n = 0;
const log: string[] = [];
const db = drizzle(client, { schema, logger: { logQuery: (q) => { n++; log.push(q.replace(/\s+/g, ' ').slice(0, 160)); } } }) as any;
for (const groupBy of ['organization', 'region', 'activity', 'category', 'group'] as const) {
  for (const mode of ['first', 'last'] as const) {
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < 25; i++) {
      n = 0; log.length = 0;
      const t0 = performance.now();
      await listOrganizations(db, { groupBy, locator: new Locator(''), showArchived: false, size: 50, mode, cursor: null });
      times.push(performance.now() - t0);
      count = n;
    }
    times.sort((a, b) => a - b);
    console.log(`${groupBy.padEnd(12)} ${mode.padEnd(5)} median ${times[12].toFixed(1)} ms, min ${times[0].toFixed(1)}, statements ${count}`);
    if (process.env.SHOW === groupBy + mode) console.log(log.join('\n'));
  }
}
await client.close();
