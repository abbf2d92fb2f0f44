//! Tests of `parse` on whole files: the fixtures in tests/data/captions (`fixtures.rs`), WebVTT
//! shapes (`vtt.rs`), SubRip and text (`srt_text.rs`), refusals (`hostile.rs`) and size (`speed.rs`).

use super::*;

mod fixtures;
mod hostile;
mod speed;
mod srt_text;
mod vtt;

/// A fixture's bytes.
macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/captions/",
            $name
        ))
    };
}
pub(crate) use fixture;

/// Parse, choosing the format by `name`'s extension.
fn try_parse(bytes: &[u8], name: &str) -> Result<TimedTranscript, CaptionError> {
    let Some(format) = CaptionFormat::from_file_name(name) else {
        panic!("no caption format for {name}");
    };
    parse(bytes, name, format)
}

/// Parse and check the invariants every transcript keeps: one time per word, times in order and
/// not after the end.
fn ok(bytes: &[u8], name: &str) -> TimedTranscript {
    let t = match try_parse(bytes, name) {
        Ok(t) => t,
        Err(e) => panic!("expected success, got: {e}"),
    };
    assert_eq!(
        t.text,
        t.text.split_whitespace().collect::<Vec<_>>().join(" ")
    );
    if let Some(times) = &t.word_times {
        assert_eq!(times.len(), t.word_count(), "one time per word");
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "times in order");
        let end = t.duration_s.unwrap_or(f64::INFINITY);
        assert!(
            times.iter().all(|&x| (0.0..=end).contains(&x)),
            "times within the file"
        );
    }
    t
}

/// Parse text that must be refused; returns the message.
fn err(bytes: &[u8], name: &str) -> String {
    match try_parse(bytes, name) {
        Ok(t) => panic!("expected an error, got {} words", t.word_count()),
        Err(e) => {
            let msg = e.to_string();
            let prefix = format!("{name}: line {}: ", e.line());
            assert!(
                msg.starts_with(&prefix),
                "{msg:?} should start with {prefix:?}"
            );
            msg
        }
    }
}

fn words(t: &TimedTranscript) -> Vec<&str> {
    t.text.split_whitespace().collect()
}

fn times(t: &TimedTranscript) -> Vec<f64> {
    t.word_times.clone().unwrap_or_default()
}
