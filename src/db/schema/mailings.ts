import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, jsonb, pgTable, serial, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import type { Address } from './address.js';
import { documents } from './documents.js';
import { mailingGroups } from './groups.js';
import { organizations } from './organizations.js';
import { persons } from './persons.js';
import { bytea, textC } from './types.js';
import { users } from './users.js';

export const MAILING_KINDS = ['simple', 'registered', 'registered_notice'] as const;
export type MailingKind = (typeof MAILING_KINDS)[number];
/** Russian Post's kinds of item a batch may hold (вид отправления). */
export const MAIL_CATEGORIES = ['letter', 'banderole', 'letter_first_class', 'banderole_first_class'] as const;
export type MailCategory = (typeof MAIL_CATEGORIES)[number];
export const MAILING_STATES = ['draft', 'printed', 'handed', 'done'] as const;
export type MailingState = (typeof MAILING_STATES)[number];
export const MAILING_SOURCES = ['group', 'selection'] as const;
export type MailingSource = (typeof MAILING_SOURCES)[number];
export const PRINT_MODES = ['envelopes', 'labels'] as const;
export type PrintMode = (typeof PRINT_MODES)[number];
export const EXCLUSION_REASONS = ['noAddress', 'noIndex', 'badIndex', 'noStreetOrLocality', 'archived', 'blacklisted', 'removed'] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

/**
 * A letter sent to many counterparties at once: its recipients are frozen when it is created, and
 * on registration every included recipient gets an outgoing document in the register.
 */
export const mailings = pgTable(
  'mailings',
  {
    id: serial('id').primaryKey(),
    subject: text('subject').notNull(),
    source: text('source', { enum: MAILING_SOURCES }).notNull(),
    groupId: integer('group_id').references(() => mailingGroups.id),
    /** The /contacts selection's parameters (q, org…), shown as they were; null for a group. */
    selection: jsonb('selection'),
    /** The source's memberships when the recipients were frozen: a change shows a "refresh" notice. */
    sourceFingerprint: text('source_fingerprint').notNull().default(''),
    kind: text('kind', { enum: MAILING_KINDS }).notNull(),
    category: text('category', { enum: MAIL_CATEGORIES }).notNull(),
    printMode: text('print_mode', { enum: PRINT_MODES }).notNull().default('envelopes'),
    /** An envelope format id (DL, C5…) or a label sheet id, by printMode. */
    printFormat: text('print_format').notNull().default('DL'),
    mailDate: date('mail_date', { mode: 'string' }).notNull(),
    state: text('state', { enum: MAILING_STATES }).notNull().default('draft'),
    registeredAt: timestamp('registered_at', { withTimezone: true }),
    registeredBy: integer('registered_by').references(() => users.id),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: integer('created_by').references(() => users.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: integer('updated_by').references(() => users.id),
  },
  (t) => [
    check('mailings_kind_check', sql`${t.kind} in ('simple', 'registered', 'registered_notice')`),
    check('mailings_state_check', sql`${t.state} in ('draft', 'printed', 'handed', 'done')`),
    check('mailings_source_check', sql`(${t.source} = 'group') = (${t.groupId} is not null)`),
    index('mailings_date_idx').on(t.mailDate, t.id),
    index('mailings_group_idx').on(t.groupId),
  ],
);

/**
 * One addressee of a mailing, frozen at creation: the name lines and the address the envelope
 * will carry (person → organization fallback, as envelopes), or why the member is left out.
 */
export const mailingRecipients = pgTable(
  'mailing_recipients',
  {
    id: serial('id').primaryKey(),
    mailingId: integer('mailing_id')
      .notNull()
      .references(() => mailings.id, { onDelete: 'cascade' }),
    personId: integer('person_id').references(() => persons.id),
    organizationId: integer('organization_id').references(() => organizations.id),
    /** The name as on the card; sorted by `sortKey`. */
    displayName: text('display_name').notNull(),
    sortKey: textC('sort_key').notNull(),
    /** "Кому" lines (dative) and the same with the organization's short name. */
    nameLines: jsonb('name_lines').$type<string[]>().notNull(),
    shortNameLines: jsonb('short_name_lines').$type<string[] | null>(),
    address: jsonb('address').$type<Address | null>(),
    addressSource: text('address_source', { enum: ['person', 'organization'] }),
    /** The full address on one line with its index, as form 103 and the lists show it. */
    addressLine: text('address_line').notNull().default(''),
    postcode: text('postcode'),
    /** The person's organization (or the organization itself), for links. */
    ownerOrganizationId: integer('owner_organization_id'),
    ownerOrganizationName: text('owner_organization_name'),
    excluded: boolean('excluded').notNull().default(false),
    exclusionReason: text('exclusion_reason', { enum: EXCLUSION_REASONS }),
    documentId: integer('document_id').references(() => documents.id),
    /** ШПИ, the 14-digit Russian Post tracking number, once the post office has given it. */
    tracking: text('tracking'),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('mailing_recipients_one', sql`(${t.personId} is null) <> (${t.organizationId} is null)`),
    check('mailing_recipients_reason', sql`${t.excluded} = (${t.exclusionReason} is not null)`),
    uniqueIndex('mailing_recipients_person_idx').on(t.mailingId, t.personId).where(sql`${t.personId} is not null`),
    uniqueIndex('mailing_recipients_org_idx').on(t.mailingId, t.organizationId).where(sql`${t.organizationId} is not null`),
    index('mailing_recipients_order_idx').on(t.mailingId, t.excluded, t.sortKey, t.id),
    index('mailing_recipients_person_card_idx').on(t.personId),
    index('mailing_recipients_org_card_idx').on(t.organizationId),
    uniqueIndex('mailing_recipients_document_idx').on(t.documentId),
  ],
);

/** The letter itself (optional), stored like a document's files: in PostgreSQL, type from the bytes. */
export const mailingFiles = pgTable('mailing_files', {
  mailingId: integer('mailing_id')
    .primaryKey()
    .references(() => mailings.id, { onDelete: 'cascade' }),
  fileName: text('file_name').notNull(),
  contentType: text('content_type').notNull(),
  size: integer('size').notNull(),
  sha256: text('sha256').notNull(),
  content: bytea('content').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  createdBy: integer('created_by').references(() => users.id),
});

export type Mailing = typeof mailings.$inferSelect;
export type MailingRecipient = typeof mailingRecipients.$inferSelect;
