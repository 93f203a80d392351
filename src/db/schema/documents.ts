import { sql } from 'drizzle-orm';
import { check, date, index, integer, pgTable, primaryKey, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.js';
import { persons } from './persons.js';
import { bytea, textC } from './types.js';
import { users } from './users.js';

export const DIRECTIONS = ['incoming', 'outgoing'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** The correspondence register: incoming and outgoing documents of a counterparty. */
export const documents = pgTable(
  'documents',
  {
    id: serial('id').primaryKey(),
    direction: text('direction', { enum: DIRECTIONS }).notNull(),
    regYear: integer('reg_year').notNull(),
    regSeq: integer('reg_seq').notNull(),
    /** e.g. Вх-2026/000123, Исх-2026/000045: unique, never reused. */
    regNumber: text('reg_number').notNull(),
    regDate: date('reg_date', { mode: 'string' }).notNull(),
    /** The counterparty's own number and date on the document. */
    senderNumber: text('sender_number').notNull().default(''),
    senderDate: date('sender_date', { mode: 'string' }),
    subject: text('subject').notNull(),
    summary: text('summary').notNull().default(''),
    note: text('note').notNull().default(''),
    organizationId: integer('organization_id').references(() => organizations.id),
    personId: integer('person_id').references(() => persons.id),
    /** Normalized number, subject and sender number, for the register's text filter. */
    searchText: textC('search_text').notNull().default(''),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: integer('created_by').references(() => users.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: integer('updated_by').references(() => users.id),
  },
  (t) => [
    check('documents_direction_check', sql`${t.direction} in ('incoming', 'outgoing')`),
    check('documents_counterparty_check', sql`${t.organizationId} is not null or ${t.personId} is not null`),
    uniqueIndex('documents_reg_idx').on(t.direction, t.regYear, t.regSeq),
    uniqueIndex('documents_reg_number_idx').on(t.regNumber),
    index('documents_org_date_idx').on(t.organizationId, t.regDate, t.id),
    index('documents_person_date_idx').on(t.personId, t.regDate, t.id),
    index('documents_date_idx').on(t.regDate, t.id),
    // The register filtered by direction (and dates): its page and its count are index ranges.
    index('documents_direction_date_idx').on(t.direction, t.regDate, t.id),
    index('documents_search_trgm_idx').using('gin', sql`${t.searchText} gin_trgm_ops`),
  ],
);

/** The last number given per direction and year; incremented inside the registering transaction. */
export const documentCounters = pgTable(
  'document_counters',
  {
    direction: text('direction', { enum: DIRECTIONS }).notNull(),
    year: integer('year').notNull(),
    lastSeq: integer('last_seq').notNull(),
  },
  (t) => [primaryKey({ columns: [t.direction, t.year] })],
);

/** Attached files, kept in PostgreSQL so every app instance can serve them. */
export const documentFiles = pgTable(
  'document_files',
  {
    id: serial('id').primaryKey(),
    documentId: integer('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    content: bytea('content').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: integer('created_by').references(() => users.id),
  },
  (t) => [index('document_files_document_idx').on(t.documentId)],
);

export type Document = typeof documents.$inferSelect;
export type DocumentFile = typeof documentFiles.$inferSelect;
