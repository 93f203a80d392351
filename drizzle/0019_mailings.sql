CREATE TABLE "mailing_files" (
	"mailing_id" integer PRIMARY KEY NOT NULL,
	"file_name" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"content" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" integer
);
--> statement-breakpoint
CREATE TABLE "mailing_recipients" (
	"id" serial PRIMARY KEY NOT NULL,
	"mailing_id" integer NOT NULL,
	"person_id" integer,
	"organization_id" integer,
	"display_name" text NOT NULL,
	"sort_key" text collate "C" NOT NULL,
	"name_lines" jsonb NOT NULL,
	"short_name_lines" jsonb,
	"address" jsonb,
	"address_source" text,
	"address_line" text DEFAULT '' NOT NULL,
	"postcode" text,
	"owner_organization_id" integer,
	"owner_organization_name" text,
	"excluded" boolean DEFAULT false NOT NULL,
	"exclusion_reason" text,
	"document_id" integer,
	"tracking" text,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "mailing_recipients_one" CHECK (("mailing_recipients"."person_id" is null) <> ("mailing_recipients"."organization_id" is null)),
	CONSTRAINT "mailing_recipients_reason" CHECK ("mailing_recipients"."excluded" = ("mailing_recipients"."exclusion_reason" is not null))
);
--> statement-breakpoint
CREATE TABLE "mailings" (
	"id" serial PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"source" text NOT NULL,
	"group_id" integer,
	"selection" jsonb,
	"source_fingerprint" text DEFAULT '' NOT NULL,
	"kind" text NOT NULL,
	"category" text NOT NULL,
	"print_mode" text DEFAULT 'envelopes' NOT NULL,
	"print_format" text DEFAULT 'DL' NOT NULL,
	"mail_date" date NOT NULL,
	"state" text DEFAULT 'draft' NOT NULL,
	"registered_at" timestamp with time zone,
	"registered_by" integer,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" integer,
	CONSTRAINT "mailings_kind_check" CHECK ("mailings"."kind" in ('simple', 'registered', 'registered_notice')),
	CONSTRAINT "mailings_state_check" CHECK ("mailings"."state" in ('draft', 'printed', 'handed', 'done')),
	CONSTRAINT "mailings_source_check" CHECK (("mailings"."source" = 'group') = ("mailings"."group_id" is not null))
);
--> statement-breakpoint
ALTER TABLE "mailing_files" ADD CONSTRAINT "mailing_files_mailing_id_mailings_id_fk" FOREIGN KEY ("mailing_id") REFERENCES "public"."mailings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailing_files" ADD CONSTRAINT "mailing_files_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailing_recipients" ADD CONSTRAINT "mailing_recipients_mailing_id_mailings_id_fk" FOREIGN KEY ("mailing_id") REFERENCES "public"."mailings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailing_recipients" ADD CONSTRAINT "mailing_recipients_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailing_recipients" ADD CONSTRAINT "mailing_recipients_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailing_recipients" ADD CONSTRAINT "mailing_recipients_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailings" ADD CONSTRAINT "mailings_group_id_mailing_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."mailing_groups"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailings" ADD CONSTRAINT "mailings_registered_by_users_id_fk" FOREIGN KEY ("registered_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailings" ADD CONSTRAINT "mailings_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "mailings" ADD CONSTRAINT "mailings_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "mailing_recipients_person_idx" ON "mailing_recipients" USING btree ("mailing_id","person_id") WHERE "mailing_recipients"."person_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "mailing_recipients_org_idx" ON "mailing_recipients" USING btree ("mailing_id","organization_id") WHERE "mailing_recipients"."organization_id" is not null;--> statement-breakpoint
CREATE INDEX "mailing_recipients_order_idx" ON "mailing_recipients" USING btree ("mailing_id","excluded","sort_key","id");--> statement-breakpoint
CREATE INDEX "mailing_recipients_person_card_idx" ON "mailing_recipients" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "mailing_recipients_org_card_idx" ON "mailing_recipients" USING btree ("organization_id");--> statement-breakpoint
CREATE UNIQUE INDEX "mailing_recipients_document_idx" ON "mailing_recipients" USING btree ("document_id");--> statement-breakpoint
CREATE INDEX "mailings_date_idx" ON "mailings" USING btree ("mail_date","id");--> statement-breakpoint
CREATE INDEX "mailings_group_idx" ON "mailings" USING btree ("group_id");