CREATE TABLE "job_file_chunks" (
	"job_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"bytes" "bytea" NOT NULL,
	CONSTRAINT "job_file_chunks_job_id_seq_pk" PRIMARY KEY("job_id","seq")
);
--> statement-breakpoint
ALTER TABLE "job_files" ALTER COLUMN "size" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "job_file_chunks" ADD CONSTRAINT "job_file_chunks_job_id_job_files_job_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."job_files"("job_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- The files kept so far become one piece each: nothing a user may still download is lost.
INSERT INTO "job_file_chunks" ("job_id", "seq", "bytes") SELECT "job_id", 0, "bytes" FROM "job_files";--> statement-breakpoint
ALTER TABLE "job_files" DROP COLUMN "bytes";