//! Validation of single field values and the episode id derived from the URL.

/// The parts of an `http(s)` URL this module needs.
struct UrlParts<'a> {
    /// Lowercase host without port or user info.
    host: String,
    /// Path (starting with `/` or empty).
    path: &'a str,
    /// Query without the `?`.
    query: &'a str,
}

fn split_url(url: &str) -> Result<UrlParts<'_>, String> {
    let lower_scheme = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower_scheme.starts_with("https://") {
        url.get(8..)
    } else if lower_scheme.starts_with("http://") {
        url.get(7..)
    } else {
        None
    }
    .ok_or_else(|| format!("{url:?} is not an http(s) URL"))?;
    if let Some(c) = url.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{url:?} contains whitespace or a control character ({c:?})"
        ));
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after) = rest.split_at(end);
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    let host = match host_port.rfind(':') {
        Some(i) if !host_port.ends_with(']') => host_port.get(..i).unwrap_or(""),
        _ => host_port,
    };
    let valid_host = !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '[' | ']' | ':'));
    if !valid_host {
        return Err(format!("{url:?} has no valid host"));
    }
    let after = after.split('#').next().unwrap_or("");
    let (path, query) = after.split_once('?').unwrap_or((after, ""));
    Ok(UrlParts {
        host: host.to_lowercase(),
        path,
        query,
    })
}

/// Check that `url` is an `http(s)` URL with a host.
pub fn check_url(url: &str) -> Result<(), String> {
    split_url(url).map(|_| ())
}

/// The YouTube video id, else a slug of host + path. `url` must have passed [`check_url`].
pub fn episode_id(url: &str) -> String {
    let Ok(parts) = split_url(url) else {
        return slug(url);
    };
    youtube_id(&parts).unwrap_or_else(|| {
        let host = parts.host.strip_prefix("www.").unwrap_or(&parts.host);
        slug(&format!("{host}{}", parts.path))
    })
}

fn youtube_id(parts: &UrlParts<'_>) -> Option<String> {
    let host = parts.host.as_str();
    let host = host
        .strip_prefix("www.")
        .or_else(|| host.strip_prefix("m."))
        .or_else(|| host.strip_prefix("music."))
        .unwrap_or(host);
    let mut segments = parts.path.split('/').filter(|s| !s.is_empty());
    let candidate = match host {
        "youtu.be" => segments.next(),
        "youtube.com" | "youtube-nocookie.com" => match segments.next() {
            Some("watch") => parts.query.split('&').find_map(|kv| kv.strip_prefix("v=")),
            Some("shorts" | "embed" | "live" | "v") => segments.next(),
            _ => None,
        },
        _ => None,
    }?;
    let valid = (1..=64).contains(&candidate.len())
        && candidate
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then(|| candidate.to_string())
}

/// Lowercase ASCII alphanumerics and single `-`, trimmed, at most 60 chars.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(64));
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    let trimmed = out.trim_matches('-');
    if trimmed.is_empty() {
        "episode".to_string()
    } else {
        trimmed.to_string()
    }
}

/// A non-negative whole number; `123.0` (as pandas writes floats) counts as 123.
pub fn whole_number(text: &str) -> Result<i64, String> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if text.starts_with('-') && text.len() > 1 {
        return Err(format!("{text:?} is negative"));
    }
    let int_ok = digits_only(int.strip_prefix('+').unwrap_or(int));
    let frac_ok = !text.contains('.') || (!frac.is_empty() && frac.bytes().all(|b| b == b'0'));
    if !int_ok || !frac_ok {
        return Err(format!("{text:?} is not a whole number"));
    }
    int.parse::<i64>()
        .map_err(|_| format!("{text:?} is too large"))
}

/// A real calendar date written `YYYY-MM-DD`.
pub fn check_date(text: &str) -> Result<(), String> {
    let bad = || format!("{text:?} is not a date in the form YYYY-MM-DD");
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<u32>().ok());
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return Err(bad());
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(format!("{text:?} has month {month}; expected 1-12")),
    };
    if day == 0 || day > days {
        return Err(format!(
            "{text:?} has day {day}; {year}-{month:02} has {days} days"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn youtube_ids() {
        for url in [
            "https://www.youtube.com/watch?v=v3O20NMdOuA",
            "https://youtube.com/watch?feature=share&v=v3O20NMdOuA#t=3",
            "http://m.youtube.com/watch?v=v3O20NMdOuA",
            "https://youtu.be/v3O20NMdOuA?t=10",
            "https://www.youtube.com/shorts/v3O20NMdOuA",
            "https://www.youtube.com/embed/v3O20NMdOuA",
            "HTTPS://WWW.YOUTUBE.COM/watch?v=v3O20NMdOuA",
        ] {
            assert_eq!(episode_id(url), "v3O20NMdOuA", "{url}");
        }
    }

    #[test]
    fn slugs_for_other_urls() {
        assert_eq!(
            episode_id("https://www.example.com/Podcast/Episode_12/?x=1"),
            "example-com-podcast-episode-12"
        );
        let long = format!("https://example.com/{}", "abc/".repeat(40));
        let id = episode_id(&long);
        assert!(id.len() <= 60 && !id.ends_with('-'), "{id}");
        assert_eq!(
            episode_id("https://www.youtube.com/channel/xyz"),
            "youtube-com-channel-xyz"
        );
    }

    #[test]
    fn urls() {
        assert!(check_url("https://example.com").is_ok());
        assert!(check_url("http://example.com:8080/a?b").is_ok());
        for bad in [
            "ftp://example.com/x",
            "example.com",
            "https://",
            "https:///path",
            "https://a b.com/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(whole_number("123"), Ok(123));
        assert_eq!(whole_number("123.0"), Ok(123));
        assert_eq!(whole_number("0"), Ok(0));
        for bad in ["12.5", "abc", "-3", "", ".0", "1e3", "12."] {
            assert!(whole_number(bad).is_err(), "{bad}");
        }
        assert!(whole_number("-3").unwrap_err().contains("negative"));
    }

    #[test]
    fn dates() {
        for ok in ["2023-02-02", "2024-02-29", "2000-02-29", "1999-12-31"] {
            assert!(check_date(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-04-31",
            "2023-4-1",
            "02/02/2023",
            "2023-02-02T00:00",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
    }
}
