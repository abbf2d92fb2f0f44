-- Passages are ranked by gdbot's own block index (src/index), as on SQLite: one row per stemmed
-- term with its (block, frequency) postings, and one metadata row. Rebuilt from the stored
-- transcripts when missing or of another scheme (Store::open → ensure_index).
CREATE TABLE postings (
    term     TEXT COLLATE "C" PRIMARY KEY,
    windows  BIGINT NOT NULL,
    data     BYTEA NOT NULL
);

CREATE TABLE index_meta (
    id            BIGINT PRIMARY KEY CHECK (id = 1),
    scheme        TEXT NOT NULL,
    windows       BIGINT NOT NULL,
    window_words  BIGINT NOT NULL,
    layout        BYTEA NOT NULL
);
