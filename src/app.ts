import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import multipartPlugin from './plugins/multipart.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import accessPlugin from './plugins/access.js';
import authPlugin from './plugins/auth.js';
import errorsPlugin from './plugins/errors.js';
import renderPlugin from './plugins/render.js';
import securityPlugin from './plugins/security.js';
import staticPlugin from './plugins/static.js';
import jobsPlugin from './plugins/jobs.js';
import { ensureFirstAdmin } from './features/users/service.js';
import { ensureRegions } from './features/references/service.js';
import { registerFeatures } from './features/index.js';

export interface BuildOptions {
  /** An already opened database (tests share one per file); otherwise one is opened from config. */
  database?: Database;
  logger?: FastifyServerOptions['logger'];
}

/** Builds the whole application: plugins first, then features. Listening is server.ts's job. */
export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? { level: config.logLevel },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    routerOptions: { ignoreTrailingSlash: true },
    // Plugins read the database at boot (the session secret); on a busy 2-core machine with an
    // embedded database that can take longer than Fastify's default 10 s.
    pluginTimeout: 60_000,
  });

  const ownsDatabase = !opts.database;
  const database = opts.database ?? (await openDatabase(config));
  if (ownsDatabase) {
    await database.migrate();
    app.addHook('onClose', async () => database.close());
  }
  app.decorate('config', config);
  app.decorate('database', database);
  app.decorate('db', database.db);

  await ensureFirstAdmin(database.db, { login: config.adminLogin, password: config.adminPassword }, app.log);
  await ensureRegions(database.db, app.log);

  await app.register(securityPlugin);
  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });
  await app.register(multipartPlugin);
  await app.register(authPlugin);
  await app.register(accessPlugin);
  await app.register(renderPlugin);
  await app.register(errorsPlugin);
  await app.register(staticPlugin);
  await app.register(jobsPlugin);
  await registerFeatures(app);
  return app;
}
