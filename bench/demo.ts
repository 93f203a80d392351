// The demo directory (`npm run demo`: 240 persons, its groups and accounts) seeded into a PGlite
// data directory as the demo seeds it, for measuring the embedded default at the size a newcomer
// meets first (`npm run bench -- --db pglite --demo`, bench/tools/pglite-pages.ts).
import type { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '../src/db/client.js';
import { ensureRegions } from '../src/features/references/service.js';
import { ensureDemoAccounts, seedDemo } from '../src/features/demo/seed.js';
import { seedDemoGroups } from '../src/features/groups/demo.js';
import { pageList } from './pages.js';

export const DEMO_LOGIN = { login: 'secretary', password: 'demo' };

export async function seedDemoInto(dataDir: string) {
  const database = await openDatabase({ databaseUrl: null, dataDir });
  try {
    await database.migrate();
    await ensureRegions(database.db);
    await ensureDemoAccounts(database.db, DEMO_LOGIN.password);
    await seedDemo(database.db);
    await seedDemoGroups(database.db);
    // As `npm run demo` does once it has seeded.
    await database.refreshStatistics();
  } finally {
    await database.close();
  }
}

export async function demoPages(client: PGlite) {
  return pageList(async (text) => (await client.query<Record<string, unknown>>(text)).rows);
}
