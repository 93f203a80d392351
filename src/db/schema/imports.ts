import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea } from './types.js';
import { users } from './users.js';

export const IMPORT_FORMATS = ['outlook-csv', 'google-csv', 'thunderbird-csv', 'csv', 'xlsx', 'vcard', 'xml'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];
export const IMPORT_STATUSES = ['preview', 'committing', 'committed', 'failed', 'undone'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];
export const IMPORT_DECISIONS = ['skip', 'update', 'create'] as const;
export type ImportDecision = (typeof IMPORT_DECISIONS)[number];
/** What a stored row stands for: an Outlook/vCard contact is a person; the XML has all four. */
export const IMPORT_ROW_KINDS = ['person', 'organization', 'group', 'membership'] as const;
export type ImportRowKind = (typeof IMPORT_ROW_KINDS)[number];
export const IMPORT_OUTCOMES = ['created', 'updated', 'skipped', 'failed'] as const;
export type ImportOutcome = (typeof IMPORT_OUTCOMES)[number];
export const IMPORT_ENTITY_TYPES = ['person', 'organization', 'group', 'membership', 'region', 'activity', 'category'] as const;
export type ImportEntityType = (typeof IMPORT_ENTITY_TYPES)[number];

/**
 * One uploaded file: parsed and checked (preview), then written as one transaction (committing →
 * committed, or failed with nothing written), and possibly undone later.
 */
export const importBatches = pgTable(
  'import_batches',
  {
    id: serial('id').primaryKey(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: integer('created_by').references(() => users.id),
    fileName: text('file_name').notNull(),
    fileSize: integer('file_size').notNull().default(0),
    format: text('format', { enum: IMPORT_FORMATS }).notNull(),
    encoding: text('encoding').notNull(),
    delimiter: text('delimiter'),
    /** Header language, vCard versions, file-level problems: what the preview tells about the file. */
    details: jsonb('details').notNull().default({}),
    status: text('status', { enum: IMPORT_STATUSES }).notNull().default('preview'),
    /** { decision: the all-rows choice for duplicates, createGroups: categories → mailing groups }. */
    options: jsonb('options').notNull().default({}),
    total: integer('total').notNull().default(0),
    done: integer('done').notNull().default(0),
    /** Counts and failures of the commit, or what undo left alone and why. */
    report: jsonb('report'),
    /** i18n key of the reason a commit failed (nothing was written). */
    error: text('error'),
    startedAt: timestamp('started_at', { withTimezone: true }),
    progressAt: timestamp('progress_at', { withTimezone: true }),
    committedAt: timestamp('committed_at', { withTimezone: true }),
    committedBy: integer('committed_by').references(() => users.id),
    undoneAt: timestamp('undone_at', { withTimezone: true }),
    undoneBy: integer('undone_by').references(() => users.id),
    undoReport: jsonb('undo_report'),
    version: integer('version').notNull().default(1),
    /** The uploaded file while its columns await the user's mapping (cleared once mapped). */
    source: bytea('source'),
  },
  (t) => [
    check('import_batches_status_check', sql`${t.status} in ('preview', 'committing', 'committed', 'failed', 'undone')`),
    index('import_batches_created_idx').on(t.createdAt, t.id),
  ],
);

/** The rows of a batch as they will be stored, with their problems, duplicate and the user's choice. */
export const importRows = pgTable(
  'import_rows',
  {
    batchId: integer('batch_id')
      .notNull()
      .references(() => importBatches.id, { onDelete: 'cascade' }),
    /** 1-based position in the batch: the preview pages by it. */
    rowNo: integer('row_no').notNull(),
    kind: text('kind', { enum: IMPORT_ROW_KINDS }).notNull().default('person'),
    /** Source line (CSV record, vCard BEGIN, XML element). */
    line: integer('line').notNull().default(0),
    data: jsonb('data').notNull(),
    /** [{ code, detail? }]: machine codes, translated when shown. */
    problems: jsonb('problems').notNull().default([]),
    /** A probable duplicate among existing persons, and why it is thought one ('key', 'email', 'name'). */
    duplicateId: integer('duplicate_id'),
    duplicateReason: text('duplicate_reason'),
    /** The user's choice for this row; null follows the batch's all-rows choice. */
    decision: text('decision', { enum: IMPORT_DECISIONS }),
    /** A checked photo, ready to store: the PNG thumbnail and the original bytes. */
    photoThumbnail: bytea('photo_thumbnail'),
    photoOriginal: bytea('photo_original'),
    photoType: text('photo_type'),
    photoWidth: integer('photo_width'),
    photoHeight: integer('photo_height'),
    outcome: text('outcome', { enum: IMPORT_OUTCOMES }),
    /** Why the row failed or was skipped (an i18n key). */
    outcomeReason: text('outcome_reason'),
    entityId: integer('entity_id'),
  },
  (t) => [
    primaryKey({ columns: [t.batchId, t.rowNo] }),
    index('import_rows_duplicate_idx').on(t.batchId, t.rowNo).where(sql`${t.duplicateId} is not null`),
  ],
);

/**
 * What a committed batch changed, so that undo can remove what it created and restore what it
 * updated: `before` is the record as it was, `versionAfter` the version the batch left, so an
 * edit made since is recognised and left alone.
 */
export const importChanges = pgTable(
  'import_changes',
  {
    id: serial('id').primaryKey(),
    batchId: integer('batch_id')
      .notNull()
      .references(() => importBatches.id, { onDelete: 'cascade' }),
    entityType: text('entity_type', { enum: IMPORT_ENTITY_TYPES }).notNull(),
    entityId: integer('entity_id').notNull(),
    action: text('action', { enum: ['created', 'updated'] }).notNull(),
    before: jsonb('before'),
    versionAfter: integer('version_after'),
    /**
     * The version undo wrote when it gave the record `before` back: a new version (a form opened
     * earlier must not match it), yet the content of `before.version`, so an earlier batch whose
     * `versionAfter` that was still recognises the record as its own when it is undone in turn.
     */
    undoVersion: integer('undo_version'),
    /** The record's key in the imported XML: exporting again keeps it, so round trips are stable. */
    externalKey: text('external_key'),
  },
  (t) => [
    index('import_changes_batch_idx').on(t.batchId, t.id),
    index('import_changes_entity_idx').on(t.entityType, t.entityId),
    index('import_changes_key_idx').on(t.entityType, t.externalKey).where(sql`${t.externalKey} is not null`),
  ],
);

/**
 * A column mapping the user gave for a table (CSV or spreadsheet) no known format matched,
 * remembered by the header line's signature and offered again for the next file with those columns.
 */
export const importMappings = pgTable('import_mappings', {
  signature: text('signature').primaryKey(),
  /** [{ to, typeFrom? } | null] per column, as the parser takes it. */
  mapping: jsonb('mapping').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  updatedBy: integer('updated_by').references(() => users.id),
});

/** A batch as pages and jobs read it: without the kept upload (see queries.batchSource). */
export type ImportBatch = Omit<typeof importBatches.$inferSelect, 'source'>;
export type ImportRow = typeof importRows.$inferSelect;
export type ImportChange = typeof importChanges.$inferSelect;
