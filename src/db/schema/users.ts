import { sql } from 'drizzle-orm';
import { boolean, check, integer, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

export const ROLES = ['employee', 'secretary', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const LOCALES = ['ru', 'en'] as const;
/** Where an account comes from: a local password, or the organization's LDAP directory. */
export const USER_SOURCES = ['local', 'ldap'] as const;
export type UserSource = (typeof USER_SOURCES)[number];
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
    source: text('source', { enum: USER_SOURCES }).notNull().default('local'),
    /** The directory entry's DN (source 'ldap'); the account is found by it at the next sign-in. */
    externalDn: text('external_dn'),
    email: text('email'),
    /** When the directory last confirmed the account (sign-in or re-check). */
    checkedAt: timestamp('checked_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Logins are compared case-insensitively: "Ivanov" and "ivanov" are one account.
    uniqueIndex('users_login_lower_idx').on(sql`lower(${t.login})`),
    check('users_role_check', sql`${t.role} in ('employee', 'secretary', 'admin')`),
    check('users_locale_check', sql`${t.locale} in ('ru', 'en')`),
    check('users_source_check', sql`${t.source} in ('local', 'ldap')`),
    // DNs compare case-insensitively; one account per directory entry.
    uniqueIndex('users_external_dn_lower_idx').on(sql`lower(${t.externalDn})`),
  ],
);

export type User = typeof users.$inferSelect;
