-- The title and description part of each asset's search vector (weights A and B), kept beside it.
-- The search ranks a title match above a description match above a match in the text; asking
-- that of search_vector itself de-TOASTs and copies a file's whole vector twice per hit (a common
-- word's 10,000 hits at a million assets: 115 ms of the ranked page's 130, measured in psql),
-- while this small vector is never TOASTed. Generated from search_vector, so every writer of it
-- (the triggers, `npm run search:backfill`, a language change) keeps the two in step.
ALTER TABLE "assets" ADD COLUMN "title_description_vector" tsvector GENERATED ALWAYS AS (ts_filter("search_vector", '{a,b}')) STORED;
