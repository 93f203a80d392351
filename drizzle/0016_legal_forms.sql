-- One list of legal forms for the alphabetical order and the duplicate finder's name key, in one
-- function: the twin of organizations/model.ts withoutLegalForm() (LEGAL_FORMS, the same order).
-- The name normalized (lower case, Ё = Е, spaces collapsed), quotes set aside, without the legal
-- form at its start and at its end ("Рога и копыта, ООО", "Ромашка (ООО)", "Acme Ltd.").
CREATE OR REPLACE FUNCTION crm_legal_form_free(name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT btrim(regexp_replace(regexp_replace(
    btrim(regexp_replace(regexp_replace(replace(lower(name), 'ё', 'е'), '[«»"“”„''‘’`]', ' ', 'g'), '\s+', ' ', 'g')),
    '^(?:(?:общество с ограниченной ответственностью|публичное акционерное общество|закрытое акционерное общество|открытое акционерное общество|непубличное акционерное общество|акционерное общество|индивидуальный предприниматель|limited liability company|фгбоу|фгбу|фгуп|гбоу|гбуз|гбу|гуп|муп|мбу|мбоу|гау|нко|ано|ооо|оао|зао|пао|нао|ао|ип|нп|тоо|чп|кфх|llc|ltd|inc|gmbh|pjsc|cjsc|ojsc|jsc|plc|corp|ag|co|limited|incorporated|company)\.?(?:\s+|$))+', ''),
    '(?:[\s,(]+(?:общество с ограниченной ответственностью|публичное акционерное общество|закрытое акционерное общество|открытое акционерное общество|непубличное акционерное общество|акционерное общество|индивидуальный предприниматель|limited liability company|фгбоу|фгбу|фгуп|гбоу|гбуз|гбу|гуп|муп|мбу|мбоу|гау|нко|ано|ооо|оао|зао|пао|нао|ао|ип|нп|тоо|чп|кфх|llc|ltd|inc|gmbh|pjsc|cjsc|ojsc|jsc|plc|corp|ag|co|limited|incorporated|company)\.?\)?)+$', ''))
$$;
--> statement-breakpoint
-- The alphabetical key (organizations/model.ts sortNameOf), over the already normalized sort_key.
CREATE OR REPLACE FUNCTION crm_sort_name(k text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN s ~ '^[a-z]' THEN chr(57344) || s ELSE s END
  FROM (SELECT coalesce(nullif(public.crm_legal_form_free(k), ''), k) AS s) t
$$;
--> statement-breakpoint
-- The duplicate finder's name key (organizations/model.ts organizationNameKey): without legal
-- form, quotes and punctuation, in Latin letters.
CREATE OR REPLACE FUNCTION crm_org_name_key(name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(string_agg(public.crm_translit(w), ' ' ORDER BY n), '')
  FROM regexp_split_to_table(
    regexp_replace(public.crm_legal_form_free(name), '[«»"“”„''`.,;:()!?&/\\–—№_+-]+', ' ', 'g'),
    '\s+') WITH ORDINALITY AS t(w, n)
  WHERE w <> ''
$$;
--> statement-breakpoint
-- The indexes over the name key hold the old function's answers: built again with the new one.
REINDEX INDEX "organizations_name_key_idx";
--> statement-breakpoint
REINDEX INDEX "organizations_name_block_idx";
--> statement-breakpoint
UPDATE "organizations" SET "sort_name" = crm_sort_name("sort_key") WHERE "sort_name" IS DISTINCT FROM crm_sort_name("sort_key");
