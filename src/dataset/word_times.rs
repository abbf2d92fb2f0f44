//! Word times: one per word of a transcript (`split_whitespace`), in whole milliseconds from the
//! start of the episode. Validated here (as many times as words; finite, ≥ 0, non-decreasing, at
//! most `MAX_MS`), stored as a compact blob (`encode` / `decode`) and written to and read from
//! the dataset CSV's `word_times` column (`to_csv` / `from_csv`).
//!
//! Milliseconds because captions are written to the millisecond (`00:01:02.345`, `00:01:02,345`):
//! integers keep every time exact, compare equal after a round trip and hash the same. The blob is
//! a version byte, then each time as the LEB128 varint of its difference from the previous word's:
//! words are a few hundred milliseconds apart, so most take 2 bytes (a 10,000-word episode ≈ 20 kB,
//! against 40 kB of f32 and 55 kB of transcript text).

/// The latest time accepted: 100 hours (an episode is never that long; keeps sums in `u32`).
pub const MAX_MS: u32 = 100 * 3600 * 1000;

/// First byte of a stored blob: the encoding above.
const BLOB_VERSION: u8 = 1;

/// Validate times in seconds (as caption parsers give them) for a transcript of `words` words,
/// rounded to milliseconds. The message names the first bad word (1-based).
pub fn from_seconds(times: &[f64], words: usize) -> Result<Vec<u32>, String> {
    if times.len() != words {
        return Err(format!(
            "{} word times for {words} words of transcript; expected one time per word",
            times.len()
        ));
    }
    let mut out = Vec::with_capacity(times.len());
    let mut previous = 0.0f64;
    for (i, &t) in times.iter().enumerate() {
        let n = i + 1;
        if !t.is_finite() {
            return Err(format!("the time of word {n} is not a number ({t})"));
        }
        if t < 0.0 {
            return Err(format!("the time of word {n} is negative ({t} s)"));
        }
        if t * 1000.0 > f64::from(MAX_MS) {
            return Err(format!(
                "the time of word {n} is past 100 hours ({t} s); times are seconds from the start"
            ));
        }
        if t < previous {
            return Err(format!(
                "the time of word {n} ({t} s) is before that of word {} ({previous} s); times must not decrease",
                n - 1
            ));
        }
        previous = t;
        // In range and ≥ 0: the cast cannot overflow; rounding keeps the order.
        out.push((t * 1000.0).round() as u32);
    }
    Ok(out)
}

/// The stored form (see the module doc).
pub fn encode(ms: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + ms.len() * 2);
    out.push(BLOB_VERSION);
    let mut previous = 0u32;
    for &t in ms {
        let mut delta = t.saturating_sub(previous);
        previous = t;
        loop {
            let byte = (delta & 0x7f) as u8;
            delta >>= 7;
            if delta == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    out
}

/// The times of a stored blob; `None` when it is not one `encode` wrote (damaged, other version).
pub fn decode(blob: &[u8]) -> Option<Vec<u32>> {
    let (&version, rest) = blob.split_first()?;
    if version != BLOB_VERSION {
        return None;
    }
    let mut out = Vec::with_capacity(rest.len() / 2);
    let (mut value, mut shift, mut previous) = (0u64, 0u32, 0u64);
    for &byte in rest {
        if shift > 28 {
            return None;
        }
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 != 0 {
            shift += 7;
            continue;
        }
        previous += value;
        if previous > u64::from(MAX_MS) {
            return None;
        }
        out.push(previous as u32);
        (value, shift) = (0, 0);
    }
    (shift == 0).then_some(out)
}

/// The CSV column's text: a JSON array of seconds with three decimals, `[0.000,1.280,1.600]`.
pub fn to_csv(ms: &[u32]) -> String {
    let mut out = String::with_capacity(2 + ms.len() * 8);
    out.push('[');
    for (i, t) in ms.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("{}.{:03}", t / 1000, t % 1000));
    }
    out.push(']');
    out
}

/// Read the CSV column back (any JSON array of numbers, in seconds) for `words` words.
pub fn from_csv(text: &str, words: usize) -> Result<Vec<u32>, String> {
    let times: Vec<f64> = serde_json::from_str(text).map_err(|e| {
        format!("not a JSON list of seconds ({e}); expected e.g. [0.000,1.280,1.600]")
    })?;
    from_seconds(&times, words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_are_validated_and_rounded_to_milliseconds() {
        assert_eq!(
            from_seconds(&[0.0, 1.2804, 1.2806, 3725.5], 4),
            Ok(vec![0, 1280, 1281, 3_725_500])
        );
        for (times, words, needle) in [
            (vec![0.0, 1.0], 3, "2 word times for 3 words"),
            (vec![0.0, f64::NAN], 2, "word 2 is not a number"),
            (vec![f64::INFINITY], 1, "word 1 is not a number"),
            (vec![-0.5], 1, "word 1 is negative"),
            (vec![1.0, 0.5], 2, "word 2 (0.5 s) is before that of word 1"),
            (vec![400_000.0], 1, "past 100 hours"),
        ] {
            let e = from_seconds(&times, words).unwrap_err();
            assert!(e.contains(needle), "{times:?}: {e}");
        }
    }

    #[test]
    fn blobs_round_trip_and_damage_is_detected() {
        let ms = vec![0, 0, 130, 127, 128, 16_511, 16_512, 2_000_000, MAX_MS];
        // `encode` expects non-decreasing times; feed it sorted ones.
        let mut sorted = ms.clone();
        sorted.sort();
        let blob = encode(&sorted);
        assert_eq!(decode(&blob), Some(sorted));
        assert_eq!(decode(&encode(&[])), Some(vec![]));
        assert_eq!(decode(&[]), None, "no version byte");
        assert_eq!(decode(&[9, 1]), None, "another version");
        assert_eq!(decode(&[1, 0x80]), None, "cut inside a varint");
        assert_eq!(decode(&[1, 0xff, 0xff, 0xff, 0xff, 0x7f]), None, "overflow");
        // About two bytes per word at speech pace.
        let speech: Vec<u32> = (0..10_000).map(|i| i * 380).collect();
        assert!(encode(&speech).len() <= 20_001, "{}", encode(&speech).len());
    }

    #[test]
    fn csv_text_round_trips_exactly() {
        let ms = vec![0, 5, 1280, 61_001, 3_725_500];
        let text = to_csv(&ms);
        assert_eq!(text, "[0.000,0.005,1.280,61.001,3725.500]");
        assert_eq!(from_csv(&text, 5), Ok(ms));
        assert_eq!(from_csv("[]", 0), Ok(vec![]));
        let e = from_csv("[1, 2", 2).unwrap_err();
        assert!(e.contains("not a JSON list of seconds"), "{e}");
        let e = from_csv("[\"a\"]", 1).unwrap_err();
        assert!(e.contains("not a JSON list of seconds"), "{e}");
        let e = from_csv("[2, 1]", 2).unwrap_err();
        assert!(e.contains("must not decrease"), "{e}");
    }
}
