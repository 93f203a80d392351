CREATE TABLE "group_memberships" (
	"id" serial PRIMARY KEY NOT NULL,
	"group_id" integer NOT NULL,
	"person_id" integer,
	"organization_id" integer,
	"reason" text DEFAULT '' NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	"added_by" integer,
	"removed_at" timestamp with time zone,
	"removed_by" integer,
	CONSTRAINT "group_memberships_one_member" CHECK (("group_memberships"."person_id" is null) <> ("group_memberships"."organization_id" is null))
);
--> statement-breakpoint
CREATE TABLE "mailing_groups" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"sort_key" text collate "C" NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"mark" text DEFAULT 'none' NOT NULL,
	"archived_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" integer,
	CONSTRAINT "mailing_groups_mark_check" CHECK ("mailing_groups"."mark" in ('none', 'priority', 'warning'))
);
--> statement-breakpoint
CREATE TABLE "membership_documents" (
	"membership_id" integer NOT NULL,
	"document_id" integer NOT NULL,
	CONSTRAINT "membership_documents_membership_id_document_id_pk" PRIMARY KEY("membership_id","document_id")
);
--> statement-breakpoint
CREATE TABLE "document_counters" (
	"direction" text NOT NULL,
	"year" integer NOT NULL,
	"last_seq" integer NOT NULL,
	CONSTRAINT "document_counters_direction_year_pk" PRIMARY KEY("direction","year")
);
--> statement-breakpoint
CREATE TABLE "document_files" (
	"id" serial PRIMARY KEY NOT NULL,
	"document_id" integer NOT NULL,
	"file_name" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"content" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" integer
);
--> statement-breakpoint
CREATE TABLE "documents" (
	"id" serial PRIMARY KEY NOT NULL,
	"direction" text NOT NULL,
	"reg_year" integer NOT NULL,
	"reg_seq" integer NOT NULL,
	"reg_number" text NOT NULL,
	"reg_date" date NOT NULL,
	"sender_number" text DEFAULT '' NOT NULL,
	"sender_date" date,
	"subject" text NOT NULL,
	"summary" text DEFAULT '' NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"organization_id" integer,
	"person_id" integer,
	"search_text" text collate "C" DEFAULT '' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" integer,
	CONSTRAINT "documents_direction_check" CHECK ("documents"."direction" in ('incoming', 'outgoing')),
	CONSTRAINT "documents_counterparty_check" CHECK ("documents"."organization_id" is not null or "documents"."person_id" is not null)
);
--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "dative_override" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_group_id_mailing_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."mailing_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_added_by_users_id_fk" FOREIGN KEY ("added_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "group_memberships" ADD CONSTRAINT "group_memberships_removed_by_users_id_fk" FOREIGN KEY ("removed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailing_groups" ADD CONSTRAINT "mailing_groups_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailing_groups" ADD CONSTRAINT "mailing_groups_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "membership_documents" ADD CONSTRAINT "membership_documents_membership_id_group_memberships_id_fk" FOREIGN KEY ("membership_id") REFERENCES "public"."group_memberships"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "membership_documents" ADD CONSTRAINT "membership_documents_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_files" ADD CONSTRAINT "document_files_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_files" ADD CONSTRAINT "document_files_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "group_memberships_active_person_idx" ON "group_memberships" USING btree ("group_id","person_id") WHERE "group_memberships"."removed_at" is null and "group_memberships"."person_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "group_memberships_active_org_idx" ON "group_memberships" USING btree ("group_id","organization_id") WHERE "group_memberships"."removed_at" is null and "group_memberships"."organization_id" is not null;--> statement-breakpoint
CREATE INDEX "group_memberships_person_idx" ON "group_memberships" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "group_memberships_org_idx" ON "group_memberships" USING btree ("organization_id");--> statement-breakpoint
CREATE INDEX "group_memberships_group_idx" ON "group_memberships" USING btree ("group_id","removed_at");--> statement-breakpoint
CREATE UNIQUE INDEX "mailing_groups_sort_key_idx" ON "mailing_groups" USING btree ("sort_key");--> statement-breakpoint
CREATE INDEX "membership_documents_document_idx" ON "membership_documents" USING btree ("document_id");--> statement-breakpoint
CREATE INDEX "document_files_document_idx" ON "document_files" USING btree ("document_id");--> statement-breakpoint
CREATE UNIQUE INDEX "documents_reg_idx" ON "documents" USING btree ("direction","reg_year","reg_seq");--> statement-breakpoint
CREATE UNIQUE INDEX "documents_reg_number_idx" ON "documents" USING btree ("reg_number");--> statement-breakpoint
CREATE INDEX "documents_org_date_idx" ON "documents" USING btree ("organization_id","reg_date","id");--> statement-breakpoint
CREATE INDEX "documents_person_date_idx" ON "documents" USING btree ("person_id","reg_date","id");--> statement-breakpoint
CREATE INDEX "documents_date_idx" ON "documents" USING btree ("reg_date","id");--> statement-breakpoint
CREATE INDEX "documents_search_trgm_idx" ON "documents" USING gin ("search_text" gin_trgm_ops);