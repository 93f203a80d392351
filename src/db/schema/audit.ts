import { index, integer, jsonb, pgTable, serial, text, timestamp } from 'drizzle-orm/pg-core';
import { users } from './users.js';

export const AUDIT_ACTIONS = ['create', 'update', 'archive', 'restore', 'delete', 'merge', 'unmerge'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Every change to a record: who, when, and each field's value before and after. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: serial('id').primaryKey(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    userId: integer('user_id').references(() => users.id),
    entityType: text('entity_type').notNull(),
    entityId: integer('entity_id').notNull(),
    action: text('action', { enum: AUDIT_ACTIONS }).notNull(),
    /** { field: [before, after] } */
    changes: jsonb('changes').notNull().default({}),
  },
  (t) => [index('audit_log_entity_idx').on(t.entityType, t.entityId, t.at)],
);

export type AuditEntry = typeof auditLog.$inferSelect;
