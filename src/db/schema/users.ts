import { sql } from 'drizzle-orm';
import { boolean, check, integer, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const ROLES = ['employee', 'secretary', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const LOCALES = ['ru', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const users = pgTable(
  'users',
  {
    id: serial('id').primaryKey(),
    login: text('login').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ROLES }).notNull().default('employee'),
    active: boolean('active').notNull().default(true),
    locale: text('locale', { enum: LOCALES }).notNull().default('ru'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Logins are compared case-insensitively: "Ivanov" and "ivanov" are one account.
    uniqueIndex('users_login_lower_idx').on(sql`lower(${t.login})`),
    check('users_role_check', sql`${t.role} in ('employee', 'secretary', 'admin')`),
    check('users_locale_check', sql`${t.locale} in ('ru', 'en')`),
  ],
);

export type User = typeof users.$inferSelect;
