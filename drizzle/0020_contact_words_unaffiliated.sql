-- The locator's persons without an organization, for a query matching much of a large directory:
-- the list then counts them no further than a cap (src/features/contacts/dense.ts), which this
-- partial index makes a short range read whatever the directory's size (5 % of the cards are
-- such persons in the benchmark's directory). Kept by the same triggers as contact_words.
CREATE INDEX "contact_words_unaffiliated_idx" ON "contact_words" USING btree ("word") INCLUDE ("live") WHERE "organization_id" IS NULL;
