-- Enrichment (`gdbot enrich`): an LLM writes a summary and 3 questions per ~1,000-token chunk of a
-- transcript (map), then one summary of the chunk summaries (reduce).

-- A generated question keeps the word span [start_word, end_word) of the chunk it was written
-- for (a passage-level signal); questions from the dataset file have none.
ALTER TABLE questions ADD COLUMN start_word INTEGER;
ALTER TABLE questions ADD COLUMN end_word INTEGER;

-- The map step's results, each committed as it arrives, so an interrupted run resumes where it
-- stopped. Keyed by the episode's identity (its URL), not its row id: a reload renumbers episodes.
-- `source_hash` covers the transcript and the chunking scheme; rows of another hash are stale and
-- are discarded. Rows are kept after the final write (`written` = 1): an episode whose summary and
-- questions an import replaced is enriched again with one call (the reduce); `--force` discards them.
CREATE TABLE enrich_chunks (
    url                TEXT NOT NULL,
    source_hash        TEXT NOT NULL,
    chunk              INTEGER NOT NULL,
    start_word         INTEGER NOT NULL,
    end_word           INTEGER NOT NULL,
    summary            TEXT NOT NULL,
    -- JSON array of the chunk's questions
    questions          TEXT NOT NULL,
    prompt_tokens      INTEGER,
    completion_tokens  INTEGER,
    at                 TEXT NOT NULL,
    -- 1 once a final write used it
    written            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (url, chunk)
);

-- One row per enrichment of an episode, finished or failed.
CREATE TABLE enrichments (
    id                 INTEGER PRIMARY KEY,
    at                 TEXT NOT NULL,
    url                TEXT NOT NULL,
    outcome            TEXT NOT NULL CHECK (outcome IN ('ok', 'failed')),
    chunks             INTEGER NOT NULL,
    reused_chunks      INTEGER NOT NULL,
    calls              INTEGER NOT NULL,
    prompt_tokens      INTEGER NOT NULL,
    completion_tokens  INTEGER NOT NULL,
    questions          INTEGER NOT NULL DEFAULT 0,
    model              TEXT,
    message            TEXT
);
