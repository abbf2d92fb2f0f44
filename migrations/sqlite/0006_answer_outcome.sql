-- What /stats and `gdbot stats` need that the answer log did not keep.

-- 1 when an answer was meant to come from the LLM but fell back to quoted excerpts (the LLM
-- failed, timed out or said nothing), 0 otherwise; NULL for answers recorded before this
-- migration (unknown: /stats counts them as quoted).
ALTER TABLE answers ADD COLUMN fell_back INTEGER;
-- The note shown with the answer: why it fell back, or that it was cut off (NULL: none).
ALTER TABLE answers ADD COLUMN note TEXT;
-- The episodes the answer cites, as shown under it (`answer::cited`): a JSON list of
-- {"url", "title", "moments"} in the order first cited, `moments` the passages of it cited.
-- `sources_json` keeps every passage the answer was made from, cited or not. NULL before this
-- migration (/stats then counts the episodes of `sources_json`).
ALTER TABLE answers ADD COLUMN cited_json TEXT;

-- /stats reads the answers of the last N days.
CREATE INDEX answers_at ON answers(at);
