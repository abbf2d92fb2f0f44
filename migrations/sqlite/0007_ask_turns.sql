-- The per-user /ask limit shared by every process on this database (`store::turns`): each
-- user's theoretical arrival time in milliseconds since 1970 (GCRA, the algorithm governor runs
-- in memory). A row whose time has passed is the same as no row; old ones are deleted now and then.
CREATE TABLE ask_turns (
    user_id INTEGER PRIMARY KEY,
    tat_ms INTEGER NOT NULL
);
