//! The benchmark's inputs: the first N records of a corpus as a CSV of their own, and realistic
//! queries sampled deterministically (no randomness) from transcript sentences.

use std::{io::Read, path::Path};

use super::BenchError;

/// Words a sampled sentence must have (inclusive bounds).
pub const MIN_SENTENCE_WORDS: usize = 8;
pub const MAX_SENTENCE_WORDS: usize = 20;

/// A corpus read into memory: its header and raw records, in file order.
pub struct Corpus {
    pub header: csv::ByteRecord,
    pub records: Vec<csv::ByteRecord>,
    transcript_col: usize,
}

impl Corpus {
    /// Read a `.csv` or `.csv.gz` corpus in the project's schema.
    pub fn read(path: &Path) -> Result<Corpus, BenchError> {
        let io = |e: std::io::Error| BenchError::io(path, e);
        let file = std::fs::File::open(path).map_err(io)?;
        let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
            Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
                file,
            )))
        } else {
            Box::new(std::io::BufReader::new(file))
        };
        let csv_err = |e: csv::Error| BenchError::Corpus {
            path: path.display().to_string(),
            reason: e.to_string(),
        };
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
        let header = rdr.byte_headers().map_err(csv_err)?.clone();
        let transcript_col = header
            .iter()
            .position(|h| h == b"transcript")
            .ok_or_else(|| BenchError::Corpus {
                path: path.display().to_string(),
                reason: "no `transcript` column in the header".into(),
            })?;
        let records = rdr
            .byte_records()
            .collect::<Result<Vec<_>, _>>()
            .map_err(csv_err)?;
        Ok(Corpus {
            header,
            records,
            transcript_col,
        })
    }

    /// Transcript of record `i` (empty when missing or not UTF-8).
    pub fn transcript(&self, i: usize) -> &str {
        self.records
            .get(i)
            .and_then(|r| r.get(self.transcript_col))
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// Write the first `n` records (same header) to `out`; returns (bytes, words) of the subset.
    pub fn write_subset(&self, n: usize, out: &Path) -> Result<(u64, u64), BenchError> {
        let io = |e: std::io::Error| BenchError::io(out, e);
        let mut w = csv::Writer::from_path(out).map_err(|e| io(e.into()))?;
        w.write_byte_record(&self.header)
            .map_err(|e| io(e.into()))?;
        let mut words = 0u64;
        for (i, r) in self.records.iter().take(n).enumerate() {
            w.write_byte_record(r).map_err(|e| io(e.into()))?;
            words += self.transcript(i).split_whitespace().count() as u64;
        }
        w.flush().map_err(io)?;
        drop(w);
        let bytes = std::fs::metadata(out).map_err(io)?.len();
        Ok((bytes, words))
    }
}

/// Sentences of `text`: split after `.`, `?` or `!` followed by whitespace, trimmed.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '?' | '!') && chars.peek().is_some_and(|(_, n)| n.is_whitespace()) {
            let s = text[start..=i].trim();
            if !s.is_empty() {
                out.push(s);
            }
            start = i + 1;
        }
    }
    let tail = text[start..].trim();
    if !tail.is_empty() {
        out.push(tail);
    }
    out
}

/// Up to `n` query sentences of 8–20 words, spread over `transcripts` with a fixed stride: the
/// k-th pick comes from transcript `k × len / n` and from a position inside it that also moves
/// with k. Same input, same output.
pub fn sample_sentences(transcripts: &[&str], n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    if transcripts.is_empty() || n == 0 {
        return out;
    }
    for k in 0..n {
        let text = transcripts[k * transcripts.len() / n];
        let eligible: Vec<&str> = sentences(text)
            .into_iter()
            .filter(|s| {
                let w = s.split_whitespace().count();
                (MIN_SENTENCE_WORDS..=MAX_SENTENCE_WORDS).contains(&w)
            })
            .collect();
        if eligible.is_empty() {
            continue;
        }
        // A prime stride keeps picks away from intros (position 0) and spread over the episode.
        let pick = (eligible.len() / 3 + k * 7919) % eligible.len();
        out.push(eligible[pick].to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_on_terminal_punctuation() {
        let s = sentences("Hello there. Is v1.2 out? Yes!  It is\nshipping now");
        assert_eq!(
            s,
            [
                "Hello there.",
                "Is v1.2 out?",
                "Yes!",
                "It is\nshipping now"
            ]
        );
        assert!(sentences("   ").is_empty());
    }

    #[test]
    fn sampling_is_deterministic_and_bounded() {
        let long = "one two three four five six seven eight nine.";
        let short = "Too short.";
        let a =
            format!("{short} {long} {short} Alpha beta gamma delta epsilon zeta eta theta iota?");
        let b = "No eligible sentence here.".to_string();
        let texts = [a.as_str(), b.as_str(), a.as_str()];
        let first = sample_sentences(&texts, 6);
        assert_eq!(first, sample_sentences(&texts, 6));
        // Transcript b (picks 2 and 3) has nothing eligible: fewer picks, never a short one.
        assert_eq!(first.len(), 4);
        for s in &first {
            let w = s.split_whitespace().count();
            assert!(
                (MIN_SENTENCE_WORDS..=MAX_SENTENCE_WORDS).contains(&w),
                "{s}"
            );
        }
        assert!(sample_sentences(&[], 5).is_empty());
    }
}
