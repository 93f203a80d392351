-- UNLOGGED: sign-in counters need no WAL; a crash or a failover that empties them costs nothing.
CREATE UNLOGGED TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"hits" integer NOT NULL,
	"window_ends" timestamp with time zone NOT NULL
);
