-- Conversations, as migrations/sqlite/0005_conversations.sql describes: an answer and the
-- follow-up questions asked on it, written by the answer log's writer after the answers they
-- name. A conversation's id is its first answer's id. Times are RFC 3339 text, as elsewhere.
CREATE TABLE conversations (
    id          BIGINT PRIMARY KEY,
    started_at  TEXT COLLATE "C" NOT NULL,
    last_at     TEXT COLLATE "C" NOT NULL,
    turns       BIGINT NOT NULL
);

CREATE TABLE turns (
    answer_id     BIGINT PRIMARY KEY REFERENCES answers(id) ON DELETE CASCADE,
    conversation  BIGINT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent        BIGINT REFERENCES answers(id) ON DELETE SET NULL,
    position      BIGINT NOT NULL,
    at            TEXT COLLATE "C" NOT NULL
);
CREATE INDEX turns_conversation ON turns(conversation, position);

CREATE TABLE turn_sources (
    answer_id    BIGINT NOT NULL REFERENCES turns(answer_id) ON DELETE CASCADE,
    rank         BIGINT NOT NULL,
    episode_url  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (answer_id, rank)
);
