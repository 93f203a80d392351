import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** Sessions live in PostgreSQL so any instance behind a load balancer can serve any request. */
export const sessions = pgTable(
  'sessions',
  {
    sid: text('sid').primaryKey(),
    data: jsonb('data').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('sessions_expires_at_idx').on(t.expiresAt)],
);
