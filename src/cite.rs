//! Citations: the time a passage starts, exact for episodes with word times (from captions),
//! else ≈estimated from word offsets; and links that jump there.

/// `length_s × start_word / total_words`, or `None` when the duration is unknown.
pub fn timestamp_s(length_s: Option<i64>, start_word: usize, total_words: i64) -> Option<i64> {
    let len = length_s?;
    if total_words <= 0 || len < 0 {
        return None;
    }
    Some(((len as i128 * start_word as i128) / total_words as i128) as i64)
}

/// When the passage starting at word `start_word` begins: the whole second its first word was
/// said at (exact: `true`) when the episode has word times, else the estimate of `timestamp_s`.
pub fn passage_time(
    word_times_ms: Option<&[u32]>,
    length_s: Option<i64>,
    start_word: usize,
    total_words: i64,
) -> (Option<i64>, bool) {
    match word_times_ms.and_then(|t| t.get(start_word)) {
        Some(&ms) => (Some(i64::from(ms / 1000)), true),
        None => (timestamp_s(length_s, start_word, total_words), false),
    }
}

/// `≈m:ss` or `≈h:mm:ss`.
pub fn format_timestamp(seconds: i64) -> String {
    format!("≈{}", format_clock(seconds))
}

/// `m:ss` when `exact`, else `≈m:ss` (with hours when there are any).
pub fn format_at(seconds: i64, exact: bool) -> String {
    if exact {
        format_clock(seconds)
    } else {
        format_timestamp(seconds)
    }
}

/// `m:ss` or `h:mm:ss`.
fn format_clock(seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{sec:02}")
    } else {
        format!("{m}:{sec:02}")
    }
}

/// Link to the moment: YouTube watch URLs get `&t=Ns`; other URLs are returned as they are.
pub fn link(url: &str, timestamp_s: Option<i64>) -> String {
    match timestamp_s {
        Some(t) if is_youtube(url) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}t={t}s")
        }
        _ => url.to_string(),
    }
}

fn is_youtube(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or("");
    let host = rest.split(['/', '?']).next().unwrap_or("");
    host == "youtu.be" || host == "youtube.com" || host.ends_with(".youtube.com")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_links() {
        assert_eq!(timestamp_s(Some(4584), 4760, 9519), Some(2292));
        assert_eq!(timestamp_s(None, 10, 100), None);
        assert_eq!(format_timestamp(2292), "≈38:12");
        assert_eq!(format_timestamp(3725), "≈1:02:05");
        assert_eq!(format_at(727, true), "12:07");
        assert_eq!(format_at(727, false), "≈12:07");
        assert_eq!(format_at(3725, true), "1:02:05");
        assert_eq!(
            link("https://www.youtube.com/watch?v=v3O20NMdOuA", Some(2292)),
            "https://www.youtube.com/watch?v=v3O20NMdOuA&t=2292s"
        );
        assert_eq!(
            link("https://youtu.be/abc", Some(5)),
            "https://youtu.be/abc?t=5s"
        );
        assert_eq!(
            link("https://changelog.com/practicalai/1", Some(5)),
            "https://changelog.com/practicalai/1"
        );
    }

    #[test]
    fn word_times_make_the_time_exact() {
        let times = [0, 1_500, 727_999, 728_000];
        // The floor of the first word's time, not the estimate.
        assert_eq!(
            passage_time(Some(&times), Some(4000), 2, 4),
            (Some(727), true)
        );
        assert_eq!(passage_time(Some(&times), None, 3, 4), (Some(728), true));
        // Without times (or a word past them): the estimate, marked as such.
        assert_eq!(passage_time(None, Some(4000), 2, 4), (Some(2000), false));
        assert_eq!(
            passage_time(Some(&times), Some(4000), 9, 4),
            (Some(9000), false)
        );
        assert_eq!(passage_time(None, None, 2, 4), (None, false));
    }
}
