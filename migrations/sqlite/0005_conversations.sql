-- Conversations: an answer and the follow-up questions asked on it (the "Follow up" button,
-- `gdbot ask --follow-up ANSWER_ID`). Rows are written by the answer log's background writer
-- (src/store/recorder.rs) after the answers they name, and only once a follow-up is asked: an
-- answer nobody followed up is in `answers` alone. A conversation's id is its first answer's id.
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    -- when its latest turn was answered
    last_at     TEXT NOT NULL,
    turns       INTEGER NOT NULL
);

-- One answer of a conversation: the first (position 0, no parent) or a follow-up to `parent`.
-- The question and answer text are the answer's row in `answers`.
CREATE TABLE turns (
    answer_id     INTEGER PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
    conversation  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent        INTEGER REFERENCES answers(id) ON DELETE SET NULL,
    position      INTEGER NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX turns_conversation ON turns(conversation, position);

-- The episodes a turn's answer cited, in citation order ([1] is rank 1): the prior a follow-up's
-- retrieval leans on. By URL, the episode's identity (a reload renumbers episode rows).
CREATE TABLE turn_sources (
    answer_id    INTEGER NOT NULL REFERENCES turns(answer_id) ON DELETE CASCADE,
    rank         INTEGER NOT NULL,
    episode_url  TEXT NOT NULL,
    PRIMARY KEY (answer_id, rank)
);
