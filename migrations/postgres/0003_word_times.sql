-- When each transcript word was said (migrations/sqlite/0003_word_times.sql has the encoding).
ALTER TABLE episodes ADD COLUMN word_times BYTEA;
