import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, serial, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './users.js';

export const DUPLICATE_KINDS = ['person', 'organization'] as const;
export type DuplicateKind = (typeof DUPLICATE_KINDS)[number];

/**
 * Probable duplicate pairs (a_id < b_id) of active cards, with why and how sure: written by the
 * full scan and kept current for each saved card (src/features/duplicates/queries.ts). The keys
 * they are found by are SQL functions and expression indexes of drizzle/0011_duplicates.sql.
 */
export const duplicateCandidates = pgTable(
  'duplicate_candidates',
  {
    kind: text('kind', { enum: DUPLICATE_KINDS }).notNull(),
    aId: integer('a_id').notNull(),
    bId: integer('b_id').notNull(),
    reasons: text('reasons').array().notNull(),
    score: smallint('score').notNull(),
    foundAt: timestamp('found_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.kind, t.aId, t.bId] }),
    check('duplicate_candidates_order', sql`${t.aId} < ${t.bId}`),
    // The list: best score first, newer pairs first within one score, keyset over the index.
    index('duplicate_candidates_score_idx').on(t.score, t.kind, t.aId, t.bId),
    index('duplicate_candidates_kind_score_idx').on(t.kind, t.score, t.aId, t.bId),
    index('duplicate_candidates_b_idx').on(t.kind, t.bId),
  ],
);

/** "Not a duplicate": the pair is never proposed again. */
export const duplicateDismissals = pgTable(
  'duplicate_dismissals',
  {
    kind: text('kind', { enum: DUPLICATE_KINDS }).notNull(),
    aId: integer('a_id').notNull(),
    bId: integer('b_id').notNull(),
    dismissedAt: timestamp('dismissed_at', { withTimezone: true }).notNull().defaultNow(),
    dismissedBy: integer('dismissed_by').references(() => users.id),
  },
  (t) => [primaryKey({ columns: [t.kind, t.aId, t.bId] })],
);

/**
 * One merge of cards into a survivor: what it moved and what the survivor and the merged cards
 * were before, so that it can be undone while nobody has written on them since.
 */
export const cardMerges = pgTable(
  'card_merges',
  {
    id: serial('id').primaryKey(),
    kind: text('kind', { enum: DUPLICATE_KINDS }).notNull(),
    survivorId: integer('survivor_id').notNull(),
    mergedIds: integer('merged_ids').array().notNull(),
    /** The survivor's version the merge left: an edit since makes undo refuse. */
    survivorVersion: integer('survivor_version').notNull(),
    /** Everything undo needs (see MergeSnapshot in src/features/duplicates/service.ts). */
    snapshot: jsonb('snapshot').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: integer('created_by').references(() => users.id),
    undoneAt: timestamp('undone_at', { withTimezone: true }),
    undoneBy: integer('undone_by').references(() => users.id),
  },
  (t) => [check('card_merges_kind_check', sql`${t.kind} in ('person', 'organization')`), index('card_merges_survivor_idx').on(t.kind, t.survivorId)],
);

export type DuplicateCandidate = typeof duplicateCandidates.$inferSelect;
export type CardMerge = typeof cardMerges.$inferSelect;
