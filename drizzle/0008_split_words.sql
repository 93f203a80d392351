-- The search_words triggers (0005) split the search texts with string_to_table instead of
-- regexp_split_to_table, as the contact_words triggers (0007) do: the same words for a literal
-- one-space separator (both give '' between two spaces and at either end, which every use filters
-- out or never finds; for an empty text one gives '' and the other nothing), without running the
-- regular-expression engine over every text. An import of 10,000 persons splits some 20,000
-- texts this way.
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
