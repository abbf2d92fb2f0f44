-- Episodes: identity is the URL; episode_id is the short id (YouTube video id).
CREATE TABLE episodes (
    id            INTEGER PRIMARY KEY,
    episode_id    TEXT NOT NULL UNIQUE,
    url           TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL,
    publish_date  TEXT,
    length_s      INTEGER,
    total_words   INTEGER NOT NULL,
    transcript    TEXT NOT NULL,
    summary       TEXT,
    -- accent- and case-folded title for lookups
    search_title  TEXT NOT NULL,
    -- hash of every stored field and the chunking scheme: unchanged episodes are kept as they are
    content_hash  TEXT NOT NULL
);

CREATE TABLE questions (
    episode   INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (episode, position)
);

-- Overlapping word windows of a transcript; the text is the transcript's words [start_word, end_word).
CREATE TABLE passages (
    id          INTEGER PRIMARY KEY,
    episode     INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    start_word  INTEGER NOT NULL,
    end_word    INTEGER NOT NULL
);
CREATE INDEX passages_episode ON passages(episode, start_word);

-- Full-text indexes hold only the index (text lives in episodes.transcript); rowids follow passages.id / episodes.id.
CREATE VIRTUAL TABLE passages_fts USING fts5(
    text, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE episodes_fts USING fts5(
    title, summary, questions, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2'
);

-- One row per reload attempt, successful or not.
CREATE TABLE reloads (
    id              INTEGER PRIMARY KEY,
    at              TEXT NOT NULL,
    source          TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('ok', 'rejected', 'dry-run')),
    added           INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,
    removed         INTEGER NOT NULL DEFAULT 0,
    unchanged       INTEGER NOT NULL DEFAULT 0,
    repaired_fields INTEGER NOT NULL DEFAULT 0,
    warnings        INTEGER NOT NULL DEFAULT 0,
    message         TEXT
);

-- Every answer given, for audits and feedback.
CREATE TABLE answers (
    id                INTEGER PRIMARY KEY,
    at                TEXT NOT NULL,
    question          TEXT NOT NULL,
    episode_filter    TEXT,
    mode              TEXT NOT NULL,
    confident         INTEGER NOT NULL,
    answer            TEXT NOT NULL,
    sources_json      TEXT NOT NULL,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    latency_ms        INTEGER NOT NULL
);

CREATE TABLE feedback (
    answer   INTEGER NOT NULL REFERENCES answers(id) ON DELETE CASCADE,
    user_id  TEXT NOT NULL,
    vote     INTEGER NOT NULL CHECK (vote IN (-1, 1)),
    at       TEXT NOT NULL,
    PRIMARY KEY (answer, user_id)
);
