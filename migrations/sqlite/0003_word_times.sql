-- When each transcript word was said, for episodes added from captions (NULL: no times; a
-- passage's time is then estimated from the episode's length). One value per word of
-- `transcript` split on whitespace, in milliseconds, as a version byte (1) followed by LEB128
-- varints of the difference from the previous word's time (src/dataset/word_times.rs): about
-- 2 bytes a word, exact to the millisecond captions are written in.
ALTER TABLE episodes ADD COLUMN word_times BLOB;
