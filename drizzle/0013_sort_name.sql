DROP INDEX "organizations_no_group_idx";--> statement-breakpoint
DROP INDEX "organizations_live_sort_idx";--> statement-breakpoint
DROP INDEX "organizations_live_region_idx";--> statement-breakpoint
DROP INDEX "organizations_live_activity_idx";--> statement-breakpoint
DROP INDEX "organizations_live_category_idx";--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "sort_name" text collate "C" DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "locality_key" text collate "C" GENERATED ALWAYS AS (translate(lower(addr_locality), 'АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯё', 'абвгдеежзийклмнопрстуфхцчшщъыьэюяе')) STORED;--> statement-breakpoint
-- The backfill's copy of organizations/model.ts sortNameOf(), over the already normalized sort_key.
-- The app derives sort_name itself on every write; test/contacts/sort-name.test.ts holds the two equal.
CREATE OR REPLACE FUNCTION crm_sort_name(k text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  select case when s ~ '^[a-z]' then chr(57344) || s else s end from (
    select coalesce(nullif(btrim(regexp_replace(regexp_replace(btrim(regexp_replace(regexp_replace(k, '[«»"“”„''‘’`]', ' ', 'g'), '\s+', ' ', 'g')),
      '^(?:(?:общество с ограниченной ответственностью|публичное акционерное общество|закрытое акционерное общество|открытое акционерное общество|непубличное акционерное общество|акционерное общество|индивидуальный предприниматель|фгбоу|фгбу|фгуп|гбоу|гбуз|гбу|гуп|муп|мбу|мбоу|гау|нко|ано|ооо|оао|зао|пао|нао|ао|ип|нп|тоо|чп|кфх|llc|ltd|inc|gmbh|jsc|plc|corp)\.?(?:\s+|$))+', ''), '(?:[\s,]+(?:общество с ограниченной ответственностью|публичное акционерное общество|закрытое акционерное общество|открытое акционерное общество|непубличное акционерное общество|акционерное общество|индивидуальный предприниматель|фгбоу|фгбу|фгуп|гбоу|гбуз|гбу|гуп|муп|мбу|мбоу|гау|нко|ано|ооо|оао|зао|пао|нао|ао|ип|нп|тоо|чп|кфх|llc|ltd|inc|gmbh|jsc|plc|corp)\.?)+$', '')), ''), k) as s
  ) t
$$;
--> statement-breakpoint
UPDATE "organizations" SET "sort_name" = crm_sort_name("sort_key");
--> statement-breakpoint
CREATE INDEX "organizations_no_group_name_idx" ON "organizations" USING btree ("sort_name","id") WHERE "organizations"."group_refs" = 0;--> statement-breakpoint
CREATE INDEX "organizations_locality_trgm_idx" ON "organizations" USING gin ("locality_key" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "organizations_live_name_idx" ON "organizations" USING btree ("sort_name","id") WHERE "organizations"."archived_at" is null;--> statement-breakpoint
CREATE INDEX "organizations_name_idx" ON "organizations" USING btree ("sort_name","id");--> statement-breakpoint
CREATE INDEX "organizations_live_region_name_idx" ON "organizations" USING btree ("region_id","sort_name","id") WHERE "organizations"."archived_at" is null;--> statement-breakpoint
CREATE INDEX "organizations_live_activity_name_idx" ON "organizations" USING btree ("activity_id","sort_name","id") WHERE "organizations"."archived_at" is null;--> statement-breakpoint
CREATE INDEX "organizations_live_category_name_idx" ON "organizations" USING btree ("category_id","sort_name","id") WHERE "organizations"."archived_at" is null;