CREATE TABLE "card_merges" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"survivor_id" integer NOT NULL,
	"merged_ids" integer[] NOT NULL,
	"survivor_version" integer NOT NULL,
	"snapshot" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" integer,
	"undone_at" timestamp with time zone,
	"undone_by" integer,
	CONSTRAINT "card_merges_kind_check" CHECK ("card_merges"."kind" in ('person', 'organization'))
);
--> statement-breakpoint
CREATE TABLE "duplicate_candidates" (
	"kind" text NOT NULL,
	"a_id" integer NOT NULL,
	"b_id" integer NOT NULL,
	"reasons" text[] NOT NULL,
	"score" smallint NOT NULL,
	"found_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "duplicate_candidates_kind_a_id_b_id_pk" PRIMARY KEY("kind","a_id","b_id"),
	CONSTRAINT "duplicate_candidates_order" CHECK ("duplicate_candidates"."a_id" < "duplicate_candidates"."b_id")
);
--> statement-breakpoint
CREATE TABLE "duplicate_dismissals" (
	"kind" text NOT NULL,
	"a_id" integer NOT NULL,
	"b_id" integer NOT NULL,
	"dismissed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dismissed_by" integer,
	CONSTRAINT "duplicate_dismissals_kind_a_id_b_id_pk" PRIMARY KEY("kind","a_id","b_id")
);
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "merged_into" integer;--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "merged_into" integer;--> statement-breakpoint
ALTER TABLE "card_merges" ADD CONSTRAINT "card_merges_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_merges" ADD CONSTRAINT "card_merges_undone_by_users_id_fk" FOREIGN KEY ("undone_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duplicate_dismissals" ADD CONSTRAINT "duplicate_dismissals_dismissed_by_users_id_fk" FOREIGN KEY ("dismissed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "card_merges_survivor_idx" ON "card_merges" USING btree ("kind","survivor_id");--> statement-breakpoint
CREATE INDEX "duplicate_candidates_score_idx" ON "duplicate_candidates" USING btree ("score","kind","a_id","b_id");--> statement-breakpoint
CREATE INDEX "duplicate_candidates_kind_score_idx" ON "duplicate_candidates" USING btree ("kind","score","a_id","b_id");--> statement-breakpoint
CREATE INDEX "duplicate_candidates_b_idx" ON "duplicate_candidates" USING btree ("kind","b_id");--> statement-breakpoint
-- The duplicate finder's keys (src/features/duplicates/queries.ts). Their JS twins for display
-- live in src/features/organizations/model.ts; test/duplicates/keys.test.ts holds them equal.
-- Cyrillic to Latin, so that «Ромашка» and Romashka meet. Calls between these functions name the
-- schema: an index build runs them with a search_path of pg_catalog only.
CREATE FUNCTION crm_translit(s text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT translate(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(s,
      'щ', 'shch'), 'ж', 'zh'), 'х', 'kh'), 'ц', 'ts'), 'ч', 'ch'), 'ш', 'sh'), 'ю', 'yu'), 'я', 'ya'), 'ъ', ''), 'ь', ''),
    'абвгдезийклмнопрстуфыэ', 'abvgdeziyklmnoprstufye')
$$;
--> statement-breakpoint
-- An organization's name without legal form, quotes and punctuation, in Latin letters:
-- ООО «Ромашка», «Ромашка» and Romashka LLC are all 'romashka'.
CREATE FUNCTION crm_org_name_key(name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(public.crm_translit(w), ' ' ORDER BY n), '')
  FROM regexp_split_to_table(
    regexp_replace(
      replace(replace(replace(replace(replace(replace(replace(replace(lower(name), 'ё', 'е'),
        'общество с ограниченной ответственностью', ' '),
        'публичное акционерное общество', ' '),
        'закрытое акционерное общество', ' '),
        'открытое акционерное общество', ' '),
        'акционерное общество', ' '),
        'индивидуальный предприниматель', ' '),
        'limited liability company', ' '),
      '[«»"“”„''`.,;:()!?&/\\–—№_+-]+', ' ', 'g'),
    '\s+') WITH ORDINALITY AS t(w, n)
  WHERE w <> '' AND w <> ALL (ARRAY['ооо', 'оао', 'зао', 'пао', 'ао', 'ип', 'нко', 'ано', 'фгуп', 'гуп', 'муп', 'фгбу', 'гбу', 'мбу', 'тоо',
    'llc', 'ltd', 'inc', 'gmbh', 'corp', 'co', 'plc', 'jsc', 'pjsc', 'cjsc', 'ojsc', 'ag', 'limited', 'incorporated', 'company'])
$$;
--> statement-breakpoint
-- Near names are compared within a block: the same first letter and the same digits ("Школа № 5"
-- and "Школа № 6" are two schools), so the full scan is a hash join, not 20,000 trigram searches.
CREATE FUNCTION crm_org_name_block(name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT left(public.crm_org_name_key(name), 1) || '|' || regexp_replace(public.crm_org_name_key(name), '[^0-9]+', '', 'g')
$$;
--> statement-breakpoint
-- A website's host: no scheme, no "www.", no path or port; null when there is none.
CREATE FUNCTION crm_web_domain(w text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT nullif(rtrim(split_part(regexp_replace(regexp_replace(regexp_replace(lower(btrim(w)), '^[a-z][a-z0-9+.-]*://', ''), '^www\.', ''), '[/?#].*$', ''), ':', 1), '.'), '')
$$;
--> statement-breakpoint
-- "Иванов И. И." and "Иванов Иван Иванович": the surname and the first letter of every other name
-- ("иванов ии"). One regular expression, no set-returning call: the full scan computes it for
-- every person.
CREATE FUNCTION crm_person_initials(surname text, first_name text, patronymic text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT replace(lower(btrim(surname)), 'ё', 'е') || ' ' ||
    btrim(regexp_replace(replace(replace(lower(' ' || first_name || ' ' || patronymic), 'ё', 'е'), '.', ' '), '\s+(\S)\S*', '\1', 'g'))
$$;
--> statement-breakpoint
CREATE INDEX "person_phones_e164_idx" ON "person_phones" USING btree ("e164") WHERE "e164" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "persons_initials_idx" ON "persons" USING btree ("organization_id", crm_person_initials("surname", "first_name", "patronymic")) WHERE "archived_at" IS NULL AND "organization_id" IS NOT NULL;
--> statement-breakpoint
CREATE INDEX "organizations_name_key_idx" ON "organizations" USING btree (crm_org_name_key("name")) WHERE "archived_at" IS NULL;
--> statement-breakpoint
CREATE INDEX "organizations_name_block_idx" ON "organizations" USING btree (crm_org_name_block("name")) WHERE "archived_at" IS NULL;
--> statement-breakpoint
CREATE INDEX "organizations_web_domain_idx" ON "organizations" USING btree (crm_web_domain("website")) WHERE "archived_at" IS NULL AND "website" <> '';
--> statement-breakpoint
CREATE INDEX "organizations_email_lower_idx" ON "organizations" USING btree (lower("email")) WHERE "archived_at" IS NULL AND "email" <> '';
