-- The word triggers split the search texts with string_to_table instead of regexp_split_to_table:
-- the same words for a literal one-space separator (both give '' between two spaces and at either
-- end, which every use filters out or never finds; for an empty text one gives '' and the other
-- nothing), without running the regular-expression engine over every text. An import of 10,000
-- persons splits some 20,000 texts this way (search_words and contact_words).
CREATE OR REPLACE FUNCTION crm_contact_words_persons_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO contact_words (word, card, organization_id, live)
  SELECT DISTINCT w, n.id, n.organization_id, n.archived_at IS NULL
  FROM crm_new_rows n, string_to_table(n.search_text, ' ') AS w
  WHERE w <> '';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION crm_contact_words_persons_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contact_words c
  USING (SELECT DISTINCT w, o.id FROM crm_old_rows o, string_to_table(o.search_text, ' ') AS w) d
  WHERE c.word = d.w AND c.card = d.id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION crm_contact_words_persons_upd() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION crm_contact_words_organizations_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO contact_words (word, card, organization_id, live)
  SELECT DISTINCT w, -n.id, n.id, true
  FROM crm_new_rows n, string_to_table(n.search_text, ' ') AS w
  WHERE w <> '';
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION crm_contact_words_organizations_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM contact_words c
  USING (SELECT DISTINCT w, -o.id AS card FROM crm_old_rows o, string_to_table(o.search_text, ' ') AS w) d
  WHERE c.word = d.w AND c.card = d.card;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION crm_contact_words_organizations_upd() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION crm_search_words_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_words (word)
  SELECT DISTINCT w FROM crm_new_rows n, string_to_table(n.search_text, ' ') AS w
  WHERE length(w) >= 3
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION crm_search_words_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_words (word)
  SELECT DISTINCT w
  FROM crm_new_rows n JOIN crm_old_rows o ON o.id = n.id AND o.search_text IS DISTINCT FROM n.search_text,
    string_to_table(n.search_text, ' ') AS w
  WHERE length(w) >= 3
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
