-- The per-user /ask limit shared by every process on this database (as
-- migrations/sqlite/0007_ask_turns.sql describes).
CREATE TABLE ask_turns (
    user_id BIGINT PRIMARY KEY,
    tat_ms BIGINT NOT NULL
);
