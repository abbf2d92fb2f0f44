-- What /stats and `gdbot stats` need that the answer log did not keep (as
-- migrations/sqlite/0006_answer_outcome.sql describes): whether an answer fell back to quotes
-- (NULL before this migration), its note, the episodes it cites (JSON text), an index on `at`.
ALTER TABLE answers ADD COLUMN fell_back BOOLEAN;
ALTER TABLE answers ADD COLUMN note TEXT;
ALTER TABLE answers ADD COLUMN cited_json TEXT;

CREATE INDEX answers_at ON answers(at);

-- `doc` as jsonb, or NULL when it is not JSON (what SQLite's json_valid() tells; Postgres 15 has
-- no IS JSON): /stats reads the answers' JSON and skips damaged documents.
CREATE FUNCTION gdbot_try_jsonb(doc TEXT) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN CAST(doc AS jsonb);
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
