import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, primaryKey, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { documents } from './documents.js';
import { organizations } from './organizations.js';
import { persons } from './persons.js';
import { textC } from './types.js';
import { users } from './users.js';

export const GROUP_MARKS = ['none', 'priority', 'warning'] as const;
export type GroupMark = (typeof GROUP_MARKS)[number];

/** Mailing groups: unlimited in number, each with a read-only page for every department. */
export const mailingGroups = pgTable(
  'mailing_groups',
  {
    id: serial('id').primaryKey(),
    name: text('name').notNull(),
    /** Normalized name: unique case- and Ё-insensitively. */
    sortKey: textC('sort_key').notNull(),
    description: text('description').notNull().default(''),
    /** A mark makes members carry a badge everywhere: priority (green, VIP), warning (red, blacklist). */
    mark: text('mark', { enum: GROUP_MARKS }).notNull().default('none'),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: integer('created_by').references(() => users.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: integer('updated_by').references(() => users.id),
  },
  (t) => [uniqueIndex('mailing_groups_sort_key_idx').on(t.sortKey), check('mailing_groups_mark_check', sql`${t.mark} in ('none', 'priority', 'warning')`)],
);

/**
 * A person or an organization in a group. Removing a member keeps the row (removed_at/by), so
 * the group page can show former members and the history of who added whom, when and why.
 */
export const groupMemberships = pgTable(
  'group_memberships',
  {
    id: serial('id').primaryKey(),
    groupId: integer('group_id')
      .notNull()
      .references(() => mailingGroups.id),
    personId: integer('person_id').references(() => persons.id),
    organizationId: integer('organization_id').references(() => organizations.id),
    reason: text('reason').notNull().default(''),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
    addedBy: integer('added_by').references(() => users.id),
    removedAt: timestamp('removed_at', { withTimezone: true }),
    removedBy: integer('removed_by').references(() => users.id),
  },
  (t) => [
    check('group_memberships_one_member', sql`(${t.personId} is null) <> (${t.organizationId} is null)`),
    // One active membership per member and group; former ones may repeat.
    uniqueIndex('group_memberships_active_person_idx').on(t.groupId, t.personId).where(sql`${t.removedAt} is null and ${t.personId} is not null`),
    uniqueIndex('group_memberships_active_org_idx').on(t.groupId, t.organizationId).where(sql`${t.removedAt} is null and ${t.organizationId} is not null`),
    index('group_memberships_person_idx').on(t.personId),
    index('group_memberships_org_idx').on(t.organizationId),
    index('group_memberships_group_idx').on(t.groupId, t.removedAt),
  ],
);

/** The registered documents that justify a membership. */
export const membershipDocuments = pgTable(
  'membership_documents',
  {
    membershipId: integer('membership_id')
      .notNull()
      .references(() => groupMemberships.id, { onDelete: 'cascade' }),
    documentId: integer('document_id')
      .notNull()
      .references(() => documents.id),
  },
  (t) => [primaryKey({ columns: [t.membershipId, t.documentId] }), index('membership_documents_document_idx').on(t.documentId)],
);

export type MailingGroup = typeof mailingGroups.$inferSelect;
export type GroupMembership = typeof groupMemberships.$inferSelect;
