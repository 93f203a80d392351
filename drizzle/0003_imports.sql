CREATE TABLE "import_batches" (
	"id" serial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" integer,
	"file_name" text NOT NULL,
	"file_size" integer DEFAULT 0 NOT NULL,
	"format" text NOT NULL,
	"encoding" text NOT NULL,
	"delimiter" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'preview' NOT NULL,
	"options" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"report" jsonb,
	"error" text,
	"started_at" timestamp with time zone,
	"progress_at" timestamp with time zone,
	"committed_at" timestamp with time zone,
	"committed_by" integer,
	"undone_at" timestamp with time zone,
	"undone_by" integer,
	"undo_report" jsonb,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "import_batches_status_check" CHECK ("import_batches"."status" in ('preview', 'committing', 'committed', 'failed', 'undone'))
);
--> statement-breakpoint
CREATE TABLE "import_changes" (
	"id" serial PRIMARY KEY NOT NULL,
	"batch_id" integer NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" integer NOT NULL,
	"action" text NOT NULL,
	"before" jsonb,
	"version_after" integer,
	"external_key" text
);
--> statement-breakpoint
CREATE TABLE "import_rows" (
	"batch_id" integer NOT NULL,
	"row_no" integer NOT NULL,
	"kind" text DEFAULT 'person' NOT NULL,
	"line" integer DEFAULT 0 NOT NULL,
	"data" jsonb NOT NULL,
	"problems" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"duplicate_id" integer,
	"duplicate_reason" text,
	"decision" text,
	"photo_thumbnail" "bytea",
	"photo_original" "bytea",
	"photo_type" text,
	"photo_width" integer,
	"photo_height" integer,
	"outcome" text,
	"outcome_reason" text,
	"entity_id" integer,
	CONSTRAINT "import_rows_batch_id_row_no_pk" PRIMARY KEY("batch_id","row_no")
);
--> statement-breakpoint
ALTER TABLE "import_batches" ADD CONSTRAINT "import_batches_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_batches" ADD CONSTRAINT "import_batches_committed_by_users_id_fk" FOREIGN KEY ("committed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_batches" ADD CONSTRAINT "import_batches_undone_by_users_id_fk" FOREIGN KEY ("undone_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_changes" ADD CONSTRAINT "import_changes_batch_id_import_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."import_batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_rows" ADD CONSTRAINT "import_rows_batch_id_import_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."import_batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_batches_created_idx" ON "import_batches" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "import_changes_batch_idx" ON "import_changes" USING btree ("batch_id","id");--> statement-breakpoint
CREATE INDEX "import_changes_entity_idx" ON "import_changes" USING btree ("entity_type","entity_id");--> statement-breakpoint
CREATE INDEX "import_changes_key_idx" ON "import_changes" USING btree ("entity_type","external_key") WHERE "import_changes"."external_key" is not null;--> statement-breakpoint
CREATE INDEX "import_rows_duplicate_idx" ON "import_rows" USING btree ("batch_id","row_no") WHERE "import_rows"."duplicate_id" is not null;