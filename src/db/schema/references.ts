import { integer, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { users } from './users.js';
import { textC } from './types.js';

/**
 * The three reference lists (regions, activity types, categories) share one shape. A name is
 * unique among the list's entries case- and Ё-insensitively (sort_key is the normalized name).
 */
function referenceTable(name: 'regions' | 'activities' | 'categories') {
  return pgTable(
    name,
    {
      id: serial('id').primaryKey(),
      name: text('name').notNull(),
      /** lower-case, Ё folded to Е: the key for uniqueness, sorting and matching. */
      sortKey: textC('sort_key').notNull(),
      /** Optional official code (e.g. the region's code in the Russian Federation). */
      code: text('code'),
      archivedAt: timestamp('archived_at', { withTimezone: true }),
      version: integer('version').notNull().default(1),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
      updatedBy: integer('updated_by').references(() => users.id),
    },
    (t) => [uniqueIndex(`${name}_sort_key_idx`).on(t.sortKey)],
  );
}

export const regions = referenceTable('regions');
export const activities = referenceTable('activities');
export const categories = referenceTable('categories');

export const REFERENCE_KINDS = ['regions', 'activities', 'categories'] as const;
export type ReferenceKind = (typeof REFERENCE_KINDS)[number];
export const referenceTables = { regions, activities, categories } as const;
export type ReferenceItem = typeof regions.$inferSelect;
