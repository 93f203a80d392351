ALTER TABLE "users" ADD COLUMN "source" text DEFAULT 'local' NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "external_dn" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "email" text;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "checked_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "users_external_dn_lower_idx" ON "users" USING btree (lower("external_dn"));--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_source_check" CHECK ("users"."source" in ('local', 'ldap'));