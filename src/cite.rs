//! Citations: ≈timestamps estimated from word offsets, and links that jump there.

/// `length_s × start_word / total_words`, or `None` when the duration is unknown.
pub fn timestamp_s(length_s: Option<i64>, start_word: usize, total_words: i64) -> Option<i64> {
    let len = length_s?;
    if total_words <= 0 || len < 0 {
        return None;
    }
    Some(((len as i128 * start_word as i128) / total_words as i128) as i64)
}

/// `≈m:ss` or `≈h:mm:ss`.
pub fn format_timestamp(seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, sec) = (s / 3600, (s % 3600) / 60, s % 60);
    if h > 0 {
        format!("≈{h}:{m:02}:{sec:02}")
    } else {
        format!("≈{m}:{sec:02}")
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
}
