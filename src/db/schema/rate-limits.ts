import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * Sign-in attempts per client address and route, shared by every instance (the rate-limit
 * store, src/plugins/rate-limit-store.ts), so N instances allow the configured number of
 * attempts, not N times it. Created UNLOGGED (drizzle/0009_rate_limits.sql): counters that a
 * crash or a failover resets cost nothing, and they need no WAL.
 */
export const rateLimits = pgTable('rate_limits', {
  key: text('key').primaryKey(),
  hits: integer('hits').notNull(),
  windowEnds: timestamp('window_ends', { withTimezone: true }).notNull(),
});
