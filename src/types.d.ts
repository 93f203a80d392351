import type { Config } from './config.js';
import type { Database, Db } from './db/client.js';
import type { Locale, User } from './db/schema/users.js';
import type { Translate } from './i18n/index.js';
import type { Access } from './lib/access.js';
import type { StoredSessionData } from './plugins/session-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    database: Database;
    db: Db;
  }
  interface FastifyRequest {
    user: User | null;
    locale: Locale;
    t: Translate;
  }
  interface FastifyContextConfig {
    /** Who may use the route. Required on every route: the app refuses to boot without it. */
    access?: Access;
  }
}

declare module '@fastify/session' {
  interface FastifySessionObject extends StoredSessionData {}
}
