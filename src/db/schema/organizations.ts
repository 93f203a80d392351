import { sql } from 'drizzle-orm';
import { index, integer, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { textC } from './types.js';
import { addressColumns } from './address.js';
import { activities, categories, regions } from './references.js';
import { users } from './users.js';

export const organizations = pgTable(
  'organizations',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    shortName: text('short_name').notNull().default(''),
    /** INN (ИНН): 10 digits (legal entity) or 12 (individual entrepreneur), checked by organizations/model.ts; '' when unknown. */
    inn: text('inn').notNull().default(''),
    regionId: integer('region_id').references(() => regions.id),
    activityId: integer('activity_id').references(() => activities.id),
    categoryId: integer('category_id').references(() => categories.id),
    ...addressColumns(),
    phones: text('phones').notNull().default(''),
    email: text('email').notNull().default(''),
    website: text('website').notNull().default(''),
    note: text('note').notNull().default(''),
    /** Normalized name (lower case, Ё→Е): Russian alphabetical order under the C collation. */
    sortKey: textC('sort_key').notNull(),
    /**
     * The alphabetical grouping's key: the normalized name without legal form and quotes, Latin
     * names after Cyrillic (organizations/model.ts, sortNameOf). The list orders by it.
     */
    sortName: textC('sort_name').notNull().default(''),
    /** The city, normalized like the keys (case, Ё→Е): the locator matches it in the alphabetical grouping. */
    localityKey: textC('locality_key').generatedAlwaysAs(
      sql`translate(lower(addr_locality), 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯё', 'абвгдеежзийклмнопрстуфхцчшщъыьэюяе')`,
    ),
    /** Normalized name and short name, for the locator. */
    searchText: textC('search_text').notNull(),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    /** Set when the organization was merged into another (archived): its old links lead there. */
    mergedInto: integer('merged_into'),
    /**
     * How many current memberships, in groups not archived, the organization has itself or through
     * its active persons. Kept by triggers (drizzle/0004_group_refs.sql), never by the app: it lets
     * "No group" under the mailing-group grouping be an index range instead of an anti-join.
     */
    groupRefs: integer('group_refs').notNull().default(0),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: integer('created_by').references(() => users.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: integer('updated_by').references(() => users.id),
  },
  (t) => [
    index('organizations_sort_idx').on(t.sortKey, t.id),
    index('organizations_region_idx').on(t.regionId),
    index('organizations_activity_idx').on(t.activityId),
    index('organizations_category_idx').on(t.categoryId),
    index('organizations_search_trgm_idx').using('gin', sql`${t.searchText} gin_trgm_ops`),
    index('organizations_no_group_name_idx').on(t.sortName, t.id).where(sql`${t.groupRefs} = 0`),
    index('organizations_locality_trgm_idx').using('gin', sql`${t.localityKey} gin_trgm_ops`),
    // The list's hot path hides archived organizations: counts by letter and in all become
    // index-only scans, and each region/activity/category is an index range in name order.
    index('organizations_live_name_idx').on(t.sortName, t.id).where(sql`${t.archivedAt} is null`),
    // The bound of the rows by mailing group (contacts/queries.ts groupRows): an index-only sum.
    index('organizations_live_group_refs_idx').on(t.groupRefs).where(sql`${t.archivedAt} is null`),
    index('organizations_name_idx').on(t.sortName, t.id),
    index('organizations_live_region_name_idx').on(t.regionId, t.sortName, t.id).where(sql`${t.archivedAt} is null`),
    index('organizations_live_activity_name_idx').on(t.activityId, t.sortName, t.id).where(sql`${t.archivedAt} is null`),
    // The duplicate finder's "same INN": an equality over the live organizations that have one.
    index('organizations_inn_idx').on(t.inn).where(sql`${t.inn} <> '' and ${t.archivedAt} is null`),
    index('organizations_live_category_name_idx').on(t.categoryId, t.sortName, t.id).where(sql`${t.archivedAt} is null`),
  ],
);

export type Organization = typeof organizations.$inferSelect;
