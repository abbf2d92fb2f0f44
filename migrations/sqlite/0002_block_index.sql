-- Passages are ranked by gdbot's own block index (src/index): each transcript word is indexed
-- once, in 60-word blocks, and windows of two blocks are scored exactly. It replaces the FTS5
-- index over overlapping windows, which indexed every word twice. The index is rebuilt from the
-- stored transcripts when the database is opened (Store::open → ensure_index).
DROP TABLE passages_fts;
DROP TABLE passages;

-- One row per stemmed term: how many windows hold it, and its (block, frequency) postings.
CREATE TABLE postings (
    term     TEXT PRIMARY KEY,
    windows  INTEGER NOT NULL,
    data     BLOB NOT NULL
);

-- The index's scheme, collection statistics and where each episode's blocks are (one row).
CREATE TABLE index_meta (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    scheme        TEXT NOT NULL,
    windows       INTEGER NOT NULL,
    window_words  INTEGER NOT NULL,
    layout        BLOB NOT NULL
);
