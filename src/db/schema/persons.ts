import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, serial, smallint, text, timestamp } from 'drizzle-orm/pg-core';
import { bytea, textC } from './types.js';
import { addressColumns } from './address.js';
import { organizations } from './organizations.js';
import { users } from './users.js';


export const GENDERS = ['unspecified', 'female', 'male'] as const;
export type Gender = (typeof GENDERS)[number];
export const PHONE_KINDS = ['work', 'mobile', 'fax', 'home'] as const;
export type PhoneKind = (typeof PHONE_KINDS)[number];

export const persons = pgTable(
  'persons',
  {
    id: serial('id').primaryKey(),
    organizationId: integer('organization_id').references(() => organizations.id),
    surname: text('surname').notNull(),
    firstName: text('first_name').notNull().default(''),
    patronymic: text('patronymic').notNull().default(''),
    /** −5…+5: how much the person influences decisions in their organization; 0 = unknown. */
    influence: smallint('influence').notNull().default(0),
    jobTitle: text('job_title').notNull().default(''),
    gender: text('gender', { enum: GENDERS }).notNull().default('unspecified'),
    note: text('note').notNull().default(''),
    /** "Кому" on envelopes in the dative case, when the declension library gets the name wrong. */
    dativeOverride: text('dative_override').notNull().default(''),
    ...addressColumns(),
    /** Normalized "surname first patronymic": Russian order under the C collation. */
    sortKey: textC('sort_key').notNull(),
    /** Normalized names, organization name and e-mails, for the locator. */
    searchText: textC('search_text').notNull(),
    /** All phone digits, space-separated, for matching by digits. */
    phoneDigits: textC('phone_digits').notNull().default(''),
    archivedAt: timestamp('archived_at', { withTimezone: true }),
    /** Set when the card was merged into another (archived): its old links lead there. */
    mergedInto: integer('merged_into'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    createdBy: integer('created_by').references(() => users.id),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    updatedBy: integer('updated_by').references(() => users.id),
  },
  (t) => [
    check('persons_influence_check', sql`${t.influence} between -5 and 5`),
    check('persons_gender_check', sql`${t.gender} in ('unspecified', 'female', 'male')`),
    index('persons_org_sort_idx').on(t.organizationId, t.sortKey, t.id),
    index('persons_sort_idx').on(t.sortKey, t.id),
    index('persons_search_trgm_idx').using('gin', sql`${t.searchText} gin_trgm_ops`),
    index('persons_phone_trgm_idx').using('gin', sql`${t.phoneDigits} gin_trgm_ops`),
    // Active persons per organization (and without one): the list's person counts, index-only.
    index('persons_live_org_idx').on(t.organizationId).where(sql`${t.archivedAt} is null`),
  ],
);

/**
 * "Фамилия Имя Отчество" of a persons row in SQL (null when all three are empty): beside the
 * columns, so every feature that lists persons (pickers, correspondence) names them the same way.
 */
export const personNameSql = (p: typeof persons) => sql<string | null>`nullif(concat_ws(' ', ${p.surname}, ${p.firstName}, ${p.patronymic}), '')`;

export const personPhones = pgTable(
  'person_phones',
  {
    id: serial('id').primaryKey(),
    personId: integer('person_id')
      .notNull()
      .references(() => persons.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: PHONE_KINDS }).notNull(),
    /** As the user typed it: shown as entered. */
    number: text('number').notNull(),
    /** E.164 from libphonenumber-js, when it could be parsed. */
    e164: text('e164'),
    position: smallint('position').notNull().default(0),
  },
  (t) => [index('person_phones_person_idx').on(t.personId)],
);

export const personEmails = pgTable(
  'person_emails',
  {
    id: serial('id').primaryKey(),
    personId: integer('person_id')
      .notNull()
      .references(() => persons.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    position: smallint('position').notNull().default(0),
  },
  (t) => [index('person_emails_person_idx').on(t.personId), index('person_emails_lower_idx').on(sql`lower(${t.email})`)],
);

/** The photo: a PNG thumbnail to show and the original upload, kept as it came. */
export const personPhotos = pgTable('person_photos', {
  personId: integer('person_id')
    .primaryKey()
    .references(() => persons.id, { onDelete: 'cascade' }),
  thumbnail: bytea('thumbnail').notNull(),
  original: bytea('original').notNull(),
  originalType: text('original_type').notNull(),
  width: integer('width').notNull(),
  height: integer('height').notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

export type Person = typeof persons.$inferSelect;
export type PersonPhone = typeof personPhones.$inferSelect;
export type PersonEmail = typeof personEmails.$inferSelect;
