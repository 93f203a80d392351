-- Counts the contacts screen shows on every page, kept incrementally so that a page costs the same
-- at 10,000 and at a million persons: the organizations (all, and those not archived), per first
-- letter of the sorting name, per region, activity and category (key '' = none), those in some
-- mailing group or in none (group_refs > 0, see 0004_group_refs.sql), and the persons without an
-- organization. Counting them on each page read every organization (20 ms at a million).
-- Kept by statement-level triggers with transition tables (one statement per import, not per row);
-- rows are upserted in key order, so that two writers lock them in the same order.
CREATE TABLE "directory_counts" (
	"kind" text COLLATE "C" NOT NULL,
	"key" text COLLATE "C" NOT NULL,
	"live" bigint DEFAULT 0 NOT NULL,
	"total" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "directory_counts_pkey" PRIMARY KEY ("kind", "key")
);
--> statement-breakpoint
-- One organization's counted keys, as (kind, key) rows.
CREATE FUNCTION crm_organization_count_keys(sort_name text, region_id int, activity_id int, category_id int, group_refs int)
RETURNS TABLE (kind text, key text) LANGUAGE sql IMMUTABLE AS $$
  VALUES ('organizations', ''), ('letter', left(sort_name, 1)), ('region', coalesce(region_id::text, '')),
    ('activity', coalesce(activity_id::text, '')), ('category', coalesce(category_id::text, '')),
    ('grouped', CASE WHEN group_refs > 0 THEN 'some' ELSE 'none' END)
$$;
--> statement-breakpoint
CREATE FUNCTION crm_recount_directory_counts() RETURNS void LANGUAGE sql AS $$
  DELETE FROM directory_counts;
  INSERT INTO directory_counts (kind, key, live, total)
  SELECT k.kind, k.key, count(*) FILTER (WHERE o.archived_at IS NULL), count(*)
  FROM organizations o, crm_organization_count_keys(o.sort_name, o.region_id, o.activity_id, o.category_id, o.group_refs) k
  GROUP BY 1, 2;
  INSERT INTO directory_counts (kind, key, live, total)
  SELECT 'unaffiliated', '', count(*) FILTER (WHERE archived_at IS NULL), count(*) FROM persons WHERE organization_id IS NULL;
$$;
--> statement-breakpoint
-- Adds the rows of a (kind, key, live, total) delta, in key order.
CREATE FUNCTION crm_directory_counts_add(d jsonb) RETURNS void LANGUAGE sql AS $$
  INSERT INTO directory_counts AS c (kind, key, live, total)
  SELECT x.kind, x.key, x.live, x.total FROM jsonb_to_recordset(d) AS x(kind text, key text, live bigint, total bigint)
  WHERE x.live <> 0 OR x.total <> 0
  ORDER BY x.kind, x.key
  ON CONFLICT (kind, key) DO UPDATE SET live = c.live + excluded.live, total = c.total + excluded.total;
$$;
--> statement-breakpoint
CREATE FUNCTION crm_directory_counts_organizations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(jsonb_build_object('kind', kind, 'key', key, 'live', live, 'total', total)) INTO d FROM (
      SELECT k.kind, k.key, count(*) FILTER (WHERE n.archived_at IS NULL) AS live, count(*) AS total
      FROM crm_new_rows n, crm_organization_count_keys(n.sort_name, n.region_id, n.activity_id, n.category_id, n.group_refs) k GROUP BY 1, 2) s;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT jsonb_agg(jsonb_build_object('kind', kind, 'key', key, 'live', -live, 'total', -total)) INTO d FROM (
      SELECT k.kind, k.key, count(*) FILTER (WHERE o.archived_at IS NULL) AS live, count(*) AS total
      FROM crm_old_rows o, crm_organization_count_keys(o.sort_name, o.region_id, o.activity_id, o.category_id, o.group_refs) k GROUP BY 1, 2) s;
  ELSE
    SELECT jsonb_agg(jsonb_build_object('kind', kind, 'key', key, 'live', live, 'total', total)) INTO d FROM (
      SELECT kind, key, sum(live) AS live, sum(total) AS total FROM (
        SELECT k.kind, k.key, (n.archived_at IS NULL)::int AS live, 1 AS total
        FROM crm_new_rows n JOIN crm_old_rows o ON o.id = n.id, crm_organization_count_keys(n.sort_name, n.region_id, n.activity_id, n.category_id, n.group_refs) k
        WHERE (o.sort_name, o.region_id, o.activity_id, o.category_id, o.group_refs > 0, o.archived_at IS NULL) IS DISTINCT FROM (n.sort_name, n.region_id, n.activity_id, n.category_id, n.group_refs > 0, n.archived_at IS NULL)
        UNION ALL
        SELECT k.kind, k.key, -((o.archived_at IS NULL)::int), -1
        FROM crm_old_rows o JOIN crm_new_rows n ON n.id = o.id, crm_organization_count_keys(o.sort_name, o.region_id, o.activity_id, o.category_id, o.group_refs) k
        WHERE (o.sort_name, o.region_id, o.activity_id, o.category_id, o.group_refs > 0, o.archived_at IS NULL) IS DISTINCT FROM (n.sort_name, n.region_id, n.activity_id, n.category_id, n.group_refs > 0, n.archived_at IS NULL)
      ) u GROUP BY 1, 2) s;
  END IF;
  IF d IS NOT NULL THEN PERFORM crm_directory_counts_add(d); END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION crm_directory_counts_persons() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE d_live bigint := 0; d_total bigint := 0; n_live bigint; n_total bigint;
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT count(*) FILTER (WHERE n.archived_at IS NULL), count(*) INTO n_live, n_total FROM crm_new_rows n WHERE n.organization_id IS NULL;
    d_live := d_live + n_live;
    d_total := d_total + n_total;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    SELECT count(*) FILTER (WHERE o.archived_at IS NULL), count(*) INTO n_live, n_total FROM crm_old_rows o WHERE o.organization_id IS NULL;
    d_live := d_live - n_live;
    d_total := d_total - n_total;
  END IF;
  IF d_live <> 0 OR d_total <> 0 THEN
    PERFORM crm_directory_counts_add(jsonb_build_array(jsonb_build_object('kind', 'unaffiliated', 'key', '', 'live', d_live, 'total', d_total)));
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION crm_directory_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM crm_recount_directory_counts();
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER crm_directory_counts_organizations_ins AFTER INSERT ON organizations REFERENCING NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_directory_counts_organizations();
--> statement-breakpoint
CREATE TRIGGER crm_directory_counts_organizations_upd AFTER UPDATE ON organizations REFERENCING OLD TABLE AS crm_old_rows NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_directory_counts_organizations();
--> statement-breakpoint
CREATE TRIGGER crm_directory_counts_organizations_del AFTER DELETE ON organizations REFERENCING OLD TABLE AS crm_old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_directory_counts_organizations();
--> statement-breakpoint
CREATE TRIGGER crm_directory_counts_persons_ins AFTER INSERT ON persons REFERENCING NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_directory_counts_persons();
--> statement-breakpoint
CREATE TRIGGER crm_directory_counts_persons_upd AFTER UPDATE ON persons REFERENCING OLD TABLE AS crm_old_rows NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_directory_counts_persons();
--> statement-breakpoint
CREATE TRIGGER crm_directory_counts_persons_del AFTER DELETE ON persons REFERENCING OLD TABLE AS crm_old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_directory_counts_persons();
--> statement-breakpoint
CREATE TRIGGER crm_directory_counts_organizations_trunc AFTER TRUNCATE ON organizations FOR EACH STATEMENT EXECUTE FUNCTION crm_directory_counts_truncated();
--> statement-breakpoint
CREATE TRIGGER crm_directory_counts_persons_trunc AFTER TRUNCATE ON persons FOR EACH STATEMENT EXECUTE FUNCTION crm_directory_counts_truncated();
--> statement-breakpoint
SELECT crm_recount_directory_counts();
