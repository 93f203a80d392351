CREATE TABLE "search_words" (
	"word" text collate "C" PRIMARY KEY NOT NULL
);
--> statement-breakpoint
CREATE INDEX "search_words_trgm_idx" ON "search_words" USING gin ("word" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "organizations_live_sort_idx" ON "organizations" USING btree ("sort_key","id") WHERE "organizations"."archived_at" is null;--> statement-breakpoint
CREATE INDEX "organizations_live_region_idx" ON "organizations" USING btree ("region_id","sort_key","id") WHERE "organizations"."archived_at" is null;--> statement-breakpoint
CREATE INDEX "organizations_live_activity_idx" ON "organizations" USING btree ("activity_id","sort_key","id") WHERE "organizations"."archived_at" is null;--> statement-breakpoint
CREATE INDEX "organizations_live_category_idx" ON "organizations" USING btree ("category_id","sort_key","id") WHERE "organizations"."archived_at" is null;--> statement-breakpoint
CREATE INDEX "persons_live_org_idx" ON "persons" USING btree ("organization_id") WHERE "persons"."archived_at" is null;--> statement-breakpoint
CREATE INDEX "documents_direction_date_idx" ON "documents" USING btree ("direction","reg_date","id");--> statement-breakpoint
-- search_words is kept here, in the database, so that every writer of persons and organizations
-- (forms, import, undo, the organization rename that rewrites its persons' texts) adds its words.
-- Statement-level triggers with transition tables: an import of 10,000 persons costs one INSERT.
-- Only words of three characters or more: shorter ones have no trigrams to compare a typo with.
CREATE FUNCTION crm_search_words_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_words (word)
  SELECT DISTINCT w FROM crm_new_rows n, regexp_split_to_table(n.search_text, ' ') AS w
  WHERE length(w) >= 3
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION crm_search_words_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO search_words (word)
  SELECT DISTINCT w
  FROM crm_new_rows n JOIN crm_old_rows o ON o.id = n.id AND o.search_text IS DISTINCT FROM n.search_text,
    regexp_split_to_table(n.search_text, ' ') AS w
  WHERE length(w) >= 3
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER crm_search_words_persons_ins AFTER INSERT ON persons
  REFERENCING NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_search_words_ins();
--> statement-breakpoint
CREATE TRIGGER crm_search_words_persons_upd AFTER UPDATE ON persons
  REFERENCING OLD TABLE AS crm_old_rows NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_search_words_upd();
--> statement-breakpoint
CREATE TRIGGER crm_search_words_organizations_ins AFTER INSERT ON organizations
  REFERENCING NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_search_words_ins();
--> statement-breakpoint
CREATE TRIGGER crm_search_words_organizations_upd AFTER UPDATE ON organizations
  REFERENCING OLD TABLE AS crm_old_rows NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_search_words_upd();
--> statement-breakpoint
INSERT INTO search_words (word)
SELECT DISTINCT w FROM (
  SELECT search_text FROM persons UNION ALL SELECT search_text FROM organizations
) t, regexp_split_to_table(t.search_text, ' ') AS w
WHERE length(w) >= 3
ON CONFLICT DO NOTHING;
