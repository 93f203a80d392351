ALTER TABLE "organizations" ADD COLUMN "group_refs" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "organizations_no_group_idx" ON "organizations" USING btree ("sort_key","id") WHERE "organizations"."group_refs" = 0;--> statement-breakpoint
-- organizations.group_refs is kept here, in the database, so that every path that writes
-- memberships, persons or groups (forms, "add selection", import, undo, SQL by hand) keeps it
-- right. Statement-level triggers with transition tables: a bulk insert of 10,000 memberships
-- costs one aggregated UPDATE, not 10,000.
CREATE FUNCTION crm_recount_group_refs() RETURNS void LANGUAGE sql AS $$
  UPDATE organizations o SET group_refs = coalesce(c.n, 0)
  FROM organizations o2
  LEFT JOIN (
    SELECT org_id, count(*)::int AS n FROM (
      SELECT m.organization_id AS org_id
      FROM group_memberships m JOIN mailing_groups g ON g.id = m.group_id AND g.archived_at IS NULL
      WHERE m.removed_at IS NULL AND m.organization_id IS NOT NULL
      UNION ALL
      SELECT p.organization_id
      FROM group_memberships m JOIN mailing_groups g ON g.id = m.group_id AND g.archived_at IS NULL
      JOIN persons p ON p.id = m.person_id AND p.archived_at IS NULL
      WHERE m.removed_at IS NULL AND p.organization_id IS NOT NULL
    ) s GROUP BY org_id
  ) c ON c.org_id = o2.id
  WHERE o.id = o2.id AND o.group_refs IS DISTINCT FROM coalesce(c.n, 0);
$$;
--> statement-breakpoint
-- A current membership in a live group counts once for its organization: its own, or its
-- active person's. The trigger functions below hand their rows here: leaving -1, arriving +1.
CREATE FUNCTION crm_group_refs_apply(group_ids integer[], person_ids integer[], org_ids integer[], deltas integer[]) RETURNS void LANGUAGE sql AS $$
  WITH changed AS (
    SELECT * FROM unnest(group_ids, person_ids, org_ids, deltas) AS c(group_id, person_id, organization_id, d)
  ), delta AS (
    SELECT coalesce(c.organization_id, p.organization_id) AS org_id, sum(c.d)::int AS n
    FROM changed c
    JOIN mailing_groups g ON g.id = c.group_id AND g.archived_at IS NULL
    LEFT JOIN persons p ON p.id = c.person_id AND p.archived_at IS NULL
    WHERE coalesce(c.organization_id, p.organization_id) IS NOT NULL
    GROUP BY 1
  )
  UPDATE organizations o SET group_refs = o.group_refs + delta.n FROM delta WHERE o.id = delta.org_id AND delta.n <> 0;
$$;
--> statement-breakpoint
CREATE FUNCTION crm_group_refs_memberships_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM crm_group_refs_apply(array_agg(group_id), array_agg(person_id), array_agg(organization_id), array_agg(1))
  FROM crm_new_rows WHERE removed_at IS NULL;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION crm_group_refs_memberships_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM crm_group_refs_apply(array_agg(group_id), array_agg(person_id), array_agg(organization_id), array_agg(-1))
  FROM crm_old_rows WHERE removed_at IS NULL;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION crm_group_refs_memberships_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM crm_group_refs_apply(array_agg(group_id), array_agg(person_id), array_agg(organization_id), array_agg(d))
  FROM (
    SELECT group_id, person_id, organization_id, -1 AS d FROM crm_old_rows WHERE removed_at IS NULL
    UNION ALL
    SELECT group_id, person_id, organization_id, 1 FROM crm_new_rows WHERE removed_at IS NULL
  ) c;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- A person moving to another organization, or archived / restored, takes their memberships along.
CREATE FUNCTION crm_group_refs_persons_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH moved AS (
    SELECT o.id AS person_id, o.organization_id AS old_org, o.archived_at IS NULL AS old_active,
      n.organization_id AS new_org, n.archived_at IS NULL AS new_active
    FROM crm_old_rows o JOIN crm_new_rows n ON n.id = o.id
    WHERE o.organization_id IS DISTINCT FROM n.organization_id OR (o.archived_at IS NULL) <> (n.archived_at IS NULL)
  ), counted AS (
    SELECT mv.*, (
      SELECT count(*) FROM group_memberships m JOIN mailing_groups g ON g.id = m.group_id AND g.archived_at IS NULL
      WHERE m.person_id = mv.person_id AND m.removed_at IS NULL
    )::int AS k
    FROM moved mv
  ), delta AS (
    SELECT org_id, sum(n)::int AS n FROM (
      SELECT old_org AS org_id, -k AS n FROM counted WHERE old_active AND old_org IS NOT NULL AND k > 0
      UNION ALL
      SELECT new_org, k FROM counted WHERE new_active AND new_org IS NOT NULL AND k > 0
    ) s GROUP BY org_id
  )
  UPDATE organizations o SET group_refs = o.group_refs + delta.n FROM delta WHERE o.id = delta.org_id AND delta.n <> 0;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Archiving a group takes all its memberships out of the count; restoring it brings them back.
CREATE FUNCTION crm_group_refs_groups_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH flipped AS (
    SELECT n.id, CASE WHEN n.archived_at IS NULL THEN 1 ELSE -1 END AS d
    FROM crm_old_rows o JOIN crm_new_rows n ON n.id = o.id
    WHERE (o.archived_at IS NULL) <> (n.archived_at IS NULL)
  ), delta AS (
    SELECT coalesce(m.organization_id, p.organization_id) AS org_id, sum(f.d)::int AS n
    FROM flipped f
    JOIN group_memberships m ON m.group_id = f.id AND m.removed_at IS NULL
    LEFT JOIN persons p ON p.id = m.person_id AND p.archived_at IS NULL
    WHERE coalesce(m.organization_id, p.organization_id) IS NOT NULL
    GROUP BY 1
  )
  UPDATE organizations o SET group_refs = o.group_refs + delta.n FROM delta WHERE o.id = delta.org_id AND delta.n <> 0;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER crm_group_refs_memberships_ins AFTER INSERT ON group_memberships
  REFERENCING NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_group_refs_memberships_ins();
--> statement-breakpoint
CREATE TRIGGER crm_group_refs_memberships_del AFTER DELETE ON group_memberships
  REFERENCING OLD TABLE AS crm_old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_group_refs_memberships_del();
--> statement-breakpoint
CREATE TRIGGER crm_group_refs_memberships_upd AFTER UPDATE ON group_memberships
  REFERENCING OLD TABLE AS crm_old_rows NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_group_refs_memberships_upd();
--> statement-breakpoint
CREATE TRIGGER crm_group_refs_persons_upd AFTER UPDATE ON persons
  REFERENCING OLD TABLE AS crm_old_rows NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_group_refs_persons_upd();
--> statement-breakpoint
CREATE TRIGGER crm_group_refs_groups_upd AFTER UPDATE ON mailing_groups
  REFERENCING OLD TABLE AS crm_old_rows NEW TABLE AS crm_new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_group_refs_groups_upd();
--> statement-breakpoint
SELECT crm_recount_group_refs();
