// `npm run db:migrate`: applies the committed migrations and exits non-zero on failure.
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/client.js';

async function main() {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    await database.migrate();
    process.stdout.write(`migrations applied (${database.driver})\n`);
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
