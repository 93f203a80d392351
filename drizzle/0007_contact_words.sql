-- contact_words: every word of every card's search text, one row per (word, card), for the
-- locator's one-word queries. A card is a person (card = persons.id) or an organization
-- (card = -organizations.id). `search_text like '%q%'` for a q without spaces is true exactly when
-- one of the text's space-separated words contains q, so the locator looks up the matching words
-- in search_words and then reads their cards here, index-only: (organization_id, live) are
-- included in the index. Through the trigram index on persons it had to read and recheck every
-- matching person row, which for a common surname is most of the table.
-- Kept by statement-level triggers, like search_words: an import of 10,000 persons is one INSERT.
-- Texts are split with string_to_table: the same words as regexp_split_to_table for a one-space
-- separator, without running the regular-expression engine over every text.
CREATE TABLE "contact_words" (
	"word" text COLLATE "C" NOT NULL,
	"card" integer NOT NULL,
	"organization_id" integer,
	"live" boolean NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "contact_words_word_card_idx" ON "contact_words" USING btree ("word", "card") INCLUDE ("organization_id", "live");
--> statement-breakpoint
-- Index-only scans skip the table only on pages the visibility map marks all-visible, and only
-- VACUUM sets those marks. With the default scale factors (20 % of a million rows) autovacuum
-- would wait for some 20,000 imported persons; 1 % keeps the map current after each import.
ALTER TABLE "contact_words" SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
--> statement-breakpoint
-- Persons: live = not archived (the list counts only active persons, except persons without an
-- organization when archived ones are shown).
CREATE FUNCTION crm_contact_words_persons_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO contact_words (word, card, organization_id, live)
  SELECT DISTINCT w, n.id, n.organization_id, n.archived_at IS NULL
  FROM crm_new_rows n, string_to_table(n.search_text, ' ') AS w
  WHERE w <> '';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION crm_contact_words_persons_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contact_words c
  USING (SELECT DISTINCT w, o.id FROM crm_old_rows o, string_to_table(o.search_text, ' ') AS w) d
  WHERE c.word = d.w AND c.card = d.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Only the rows whose text, organization or archived state changed are rewritten: an import that
-- updates 10,000 persons without renaming anyone costs one join of the transition tables.
CREATE FUNCTION crm_contact_words_persons_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contact_words c
  USING (
    SELECT DISTINCT w, o.id
    FROM crm_old_rows o JOIN crm_new_rows n ON n.id = o.id
      AND (o.search_text IS DISTINCT FROM n.search_text OR o.organization_id IS DISTINCT FROM n.organization_id
        OR (o.archived_at IS NULL) <> (n.archived_at IS NULL)),
      string_to_table(o.search_text, ' ') AS w
  ) d
  WHERE c.word = d.w AND c.card = d.id;
  INSERT INTO contact_words (word, card, organization_id, live)
  SELECT DISTINCT w, n.id, n.organization_id, n.archived_at IS NULL
  FROM crm_new_rows n JOIN crm_old_rows o ON o.id = n.id
    AND (o.search_text IS DISTINCT FROM n.search_text OR o.organization_id IS DISTINCT FROM n.organization_id
      OR (o.archived_at IS NULL) <> (n.archived_at IS NULL)),
    string_to_table(n.search_text, ' ') AS w
  WHERE w <> '';
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Organizations match whether archived or not (the list leaves archived ones out afterwards).
CREATE FUNCTION crm_contact_words_organizations_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO contact_words (word, card, organization_id, live)
  SELECT DISTINCT w, -n.id, n.id, true
  FROM crm_new_rows n, string_to_table(n.search_text, ' ') AS w
  WHERE w <> '';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION crm_contact_words_organizations_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contact_words c
  USING (SELECT DISTINCT w, -o.id AS card FROM crm_old_rows o, string_to_table(o.search_text, ' ') AS w) d
  WHERE c.word = d.w AND c.card = d.card;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION crm_contact_words_organizations_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contact_words c
  USING (
    SELECT DISTINCT w, -o.id AS card
    FROM crm_old_rows o JOIN crm_new_rows n ON n.id = o.id AND o.search_text IS DISTINCT FROM n.search_text,
      string_to_table(o.search_text, ' ') AS w
  ) d
  WHERE c.word = d.w AND c.card = d.card;
  INSERT INTO contact_words (word, card, organization_id, live)
  SELECT DISTINCT w, -n.id, n.id, true
  FROM crm_new_rows n JOIN crm_old_rows o ON o.id = n.id AND o.search_text IS DISTINCT FROM n.search_text,
    string_to_table(n.search_text, ' ') AS w
  WHERE w <> '';
  RETURN NULL;
END $$;
--> statement-breakpoint
-- TRUNCATE fires no row or statement DML triggers; the bench generator and tests truncate.
CREATE FUNCTION crm_contact_words_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'persons' THEN
    DELETE FROM contact_words WHERE card > 0;
  ELSE
    DELETE FROM contact_words WHERE card < 0;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER crm_contact_words_persons_ins AFTER INSERT ON persons
  REFERENCING NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_words_persons_ins();
--> statement-breakpoint
CREATE TRIGGER crm_contact_words_persons_upd AFTER UPDATE ON persons
  REFERENCING OLD TABLE AS crm_old_rows NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_words_persons_upd();
--> statement-breakpoint
CREATE TRIGGER crm_contact_words_persons_del AFTER DELETE ON persons
  REFERENCING OLD TABLE AS crm_old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_words_persons_del();
--> statement-breakpoint
CREATE TRIGGER crm_contact_words_persons_truncate AFTER TRUNCATE ON persons
  FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_words_truncate();
--> statement-breakpoint
CREATE TRIGGER crm_contact_words_organizations_ins AFTER INSERT ON organizations
  REFERENCING NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_words_organizations_ins();
--> statement-breakpoint
CREATE TRIGGER crm_contact_words_organizations_upd AFTER UPDATE ON organizations
  REFERENCING OLD TABLE AS crm_old_rows NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_words_organizations_upd();
--> statement-breakpoint
CREATE TRIGGER crm_contact_words_organizations_del AFTER DELETE ON organizations
  REFERENCING OLD TABLE AS crm_old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_words_organizations_del();
--> statement-breakpoint
CREATE TRIGGER crm_contact_words_organizations_truncate AFTER TRUNCATE ON organizations
  FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_words_truncate();
--> statement-breakpoint
INSERT INTO contact_words (word, card, organization_id, live)
SELECT DISTINCT w, -o.id, o.id, true FROM organizations o, string_to_table(o.search_text, ' ') AS w WHERE w <> '';
--> statement-breakpoint
INSERT INTO contact_words (word, card, organization_id, live)
SELECT DISTINCT w, p.id, p.organization_id, p.archived_at IS NULL FROM persons p, string_to_table(p.search_text, ' ') AS w WHERE w <> '';
