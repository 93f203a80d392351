// `npm run demo`: the product with a demo directory loaded into an empty database, and the
// accounts admin / secretary / employee with the password DEMO_PASSWORD (default "demo").
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { listeningUrl, start } from '../server.js';
import { ensureDemoAccounts, seedDemo, DEMO_ACCOUNTS } from '../features/demo/seed.js';
import { seedDemoGroups } from '../features/groups/demo.js';
import { getOwnOrganization, saveOwnOrganization } from '../features/envelopes/sender.js';

// The demo keeps its own data directory, so it never mixes with a real embedded database.
if (!process.env.DATABASE_URL && !process.env.DATA_DIR) process.env.DATA_DIR = path.resolve('data-demo');
// The first administrator is the demo's admin account, with the demo password.
process.env.ADMIN_PASSWORD ??= process.env.DEMO_PASSWORD || 'demo';

let loaded: Awaited<ReturnType<typeof seedDemo>> = null;
start(async (app) => {
  const password = app.config.demoPassword;
  await ensureDemoAccounts(app.db, password);
  loaded = await seedDemo(app.db, { log: app.log });
  await seedDemoGroups(app.db);
  // The embedded database has no autovacuum: its first statistics pass ran while the seed was
  // under way, so the planner would know half-filled tables until the next one, a minute later.
  if (loaded) await app.database.refreshStatistics();
  // The sender block of the demo's envelopes.
  const own = await getOwnOrganization(app.db);
  if (!own.name) {
    const [admin] = await app.db.query.users.findMany({ where: (u, { eq }) => eq(u.login, 'admin') });
    await saveOwnOrganization(app.db, admin, {
      ...own,
      name: 'АО «Документ-Сервис»',
      addrIndex: '125009', addrCountry: 'Россия', addrRegion: '', addrDistrict: '', addrLocality: 'Москва',
      addrStreet: 'ул. Тверская', addrHouse: '7', addrBuilding: '', addrOffice: '301', defaultFormat: 'DL',
    });
  }
})
  .then((app) => {
    // Only now that the server listens is the address worth opening.
    const lines = [
      '',
      loaded ? `Demo directory loaded: ${loaded.organizations} organizations, ${loaded.persons} persons.` : 'Demo directory already present.',
      `Open ${listeningUrl(app.server.address() as AddressInfo)} and sign in as one of (password "${app.config.demoPassword}"):`,
      ...DEMO_ACCOUNTS.map((a) => `  ${a.login.padEnd(10)} ${a.role}`),
      '',
    ];
    process.stdout.write(lines.join('\n') + '\n');
  })
  .catch((err) => {
    process.stderr.write(`demo failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  });
