import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import multipartPlugin from './plugins/multipart.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db/client.js';
import accessPlugin from './plugins/access.js';
import authPlugin from './plugins/auth.js';
import errorsPlugin, { frameworkErrors } from './plugins/errors.js';
import { loggerOptions } from './plugins/logging.js';
import renderPlugin from './plugins/render.js';
import replicaPlugin from './plugins/replica.js';
import { ReplicaRouter } from './db/replica.js';
import securityPlugin from './plugins/security.js';
import staticPlugin from './plugins/static.js';
import { ensureFirstAdmin, firstAdminNotice } from './features/users/service.js';
import jobsPlugin from './plugins/jobs.js';
import { ensureRegions } from './features/references/service.js';
import { registerFeatures, registerRoutes } from './features/index.js';

export interface BuildOptions {
  /** An already opened database (tests share one per file); otherwise one is opened from config. */
  database?: Database;
  logger?: FastifyServerOptions['logger'];
  /**
   * Receives the first administrator's generated password (an empty database, no
   * ADMIN_PASSWORD), once. Unset: it is printed at once on stderr as a plain block.
   */
  onGeneratedAdmin?: (admin: { login: string; password: string }) => void;
  /** The app's own logger (level, redaction) writing here instead of stdout (tests read it). */
  logStream?: NodeJS.WritableStream;
}

/** Secrets that must never reach the log, wherever an object carrying them is logged. */
// The first administrator's generated password is printed on stderr, never logged.
export const LOG_REDACT = ['password', '*.password', 'bindPassword', '*.bindPassword', '*.*.bindPassword', 'sessionSecret', '*.sessionSecret', '*.adminPassword', '*.demoPassword'];

/** Builds the whole application: plugins first, then features. Listening is server.ts's job. */
export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<FastifyInstance> {
  registerFeatures();
  // Request ids unique across instances (logs of several instances are read together): this
  // instance's random id, then a counter.
  const instance = randomBytes(3).toString('hex');
  let requests = 0;
  const app = Fastify({
    genReqId: () => `${instance}-${(++requests).toString(36)}`,
    logger: loggerOptions(
      opts.logger ?? {
        level: config.logLevel,
        redact: { paths: LOG_REDACT, censor: '[redacted]' },
        ...(opts.logStream ? { stream: opts.logStream } : {}),
      },
    ),
    // A malformed URL (`/%`) gets the same localized page as every other error, not Fastify's JSON.
    frameworkErrors,
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
  // The features' database: the primary, or the replica inside a read-only page (config.replica).
  const replica = database.replica
    ? new ReplicaRouter(database.db, database.replica, { maxLagMs: config.replicaMaxLagSeconds * 1000 }, app.log.child({ component: 'replica' }))
    : null;
  app.decorate('db', replica?.db ?? database.db);

  const generated = await ensureFirstAdmin(database.db, { login: config.adminLogin, password: config.adminPassword }, app.log);
  if (generated) {
    if (opts.onGeneratedAdmin) opts.onGeneratedAdmin(generated);
    else process.stderr.write(firstAdminNotice(generated.login, generated.password, `http://${config.host}:${config.port}/login`));
  }
  await ensureRegions(database.db, app.log);

  // Before the session plugin (in auth): its onSend puts the write position into the session.
  await app.register(replicaPlugin, { router: replica });
  await app.register(securityPlugin);
  await app.register(formbody, { bodyLimit: config.bodyLimitBytes });
  await app.register(multipartPlugin);
  await app.register(authPlugin);
  await app.register(accessPlugin);
  await app.register(renderPlugin);
  await app.register(errorsPlugin);
  await app.register(staticPlugin);
  await app.register(jobsPlugin);
  await registerRoutes(app);
  return app;
}
