//! Timestamps (`01:02:03.456`, `02:03.456`, SubRip's `01:02:03,456`) and cue timing lines
//! (`start --> end [settings]`), in whole milliseconds.

/// No episode runs this long: a later time is a broken file, not a long show.
pub const MAX_MS: u64 = 48 * 3600 * 1000;

/// Which decimal mark the format uses before the fraction of a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// WebVTT: `.`.
    Dot,
    /// SubRip: `,` (a `.` is accepted too, as many tools write it).
    Comma,
}

/// Parse one timestamp to milliseconds; the error says what is wrong with it.
///
/// Hours (and minutes, then) are optional; hours may have up to 10 digits; minutes and seconds must be below 60;
/// the fraction may have 1 to 9 digits (rounded to the millisecond) or be absent.
pub fn parse_time(s: &str, mark: Mark) -> Result<u64, String> {
    let shape = match mark {
        Mark::Dot => "hh:mm:ss.ttt or mm:ss.ttt",
        Mark::Comma => "hh:mm:ss,ttt",
    };
    let not_a_time = || format!("\"{s}\" is not a time (expected {shape})");
    let (clock, fraction) = match s.find([',', '.']) {
        Some(at) => {
            let sep = s.as_bytes()[at];
            if sep == b',' && mark == Mark::Dot {
                return Err(format!(
                    "\"{s}\" has a comma before the milliseconds; WebVTT needs a dot (is this a SubRip file?)"
                ));
            }
            (&s[..at], Some(&s[at + 1..]))
        }
        None => (s, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    // Bare seconds (`01.280`) only with a fraction: a lone number is no time.
    let bare_ok = parts.len() > 1 || fraction.is_some();
    if !bare_ok || parts.len() > 3 || parts.iter().any(|p| !is_digits(p, 10)) {
        return Err(not_a_time());
    }
    let num = |p: &str| p.parse::<u64>().map_err(|_| not_a_time());
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m, s] => (num(h)?, num(m)?, num(s)?),
        [m, s] => (0, num(m)?, num(s)?),
        [s] => (0, 0, num(s)?),
        _ => return Err(not_a_time()),
    };
    if minutes >= 60 {
        return Err(format!("\"{s}\": minutes must be below 60"));
    }
    if seconds >= 60 {
        return Err(format!("\"{s}\": seconds must be below 60"));
    }
    let millis = match fraction {
        None => 0,
        Some(f) if is_digits(f, 9) => {
            let value: u64 = f.parse().map_err(|_| not_a_time())?;
            let scale = 10u64.pow(f.len() as u32);
            (value * 1000 + scale / 2) / scale
        }
        Some(_) => return Err(not_a_time()),
    };
    let total = ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis;
    if total > MAX_MS {
        return Err(format!(
            "\"{s}\" is more than 48 hours into the recording; the time is wrong"
        ));
    }
    Ok(total)
}

/// 1 to `max` ASCII digits.
fn is_digits(s: &str, max: usize) -> bool {
    !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parse a cue timing line: `start --> end` and optional cue settings after the end time (ignored).
/// The error names the line's content and what is wrong.
pub fn parse_timing(line: &str, mark: Mark) -> Result<(u64, u64), String> {
    let whole = super::quote(line);
    let fail = |what: String| format!("cue timing {whole}: {what}");
    let Some((left, right)) = line.split_once("-->") else {
        return Err(fail("no \"-->\" between the start and end times".into()));
    };
    let start = left.trim();
    let right = right.trim_start();
    let end = right.split_whitespace().next().unwrap_or("");
    if start.is_empty() {
        return Err(fail("the start time is missing".into()));
    }
    if end.is_empty() {
        return Err(fail("the end time is missing".into()));
    }
    let start_ms = parse_time(start, mark).map_err(fail)?;
    let end_ms = parse_time(end, mark).map_err(fail)?;
    if end_ms < start_ms {
        return Err(fail(format!("the end {end} is before the start {start}")));
    }
    Ok((start_ms, end_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_with_and_without_hours() {
        assert_eq!(parse_time("00:00:01.280", Mark::Dot), Ok(1280));
        assert_eq!(parse_time("01.280", Mark::Dot), Ok(1280));
        assert_eq!(parse_time("12", Mark::Dot).ok(), None);
        assert_eq!(parse_time("02:01.280", Mark::Dot), Ok(121_280));
        assert_eq!(parse_time("100:00:00.000", Mark::Dot).ok(), None);
        assert_eq!(parse_time("01:00:00,5", Mark::Comma), Ok(3_600_500));
        assert_eq!(parse_time("00:00:01.2805", Mark::Dot), Ok(1281));
        assert_eq!(parse_time("00:00:07", Mark::Comma), Ok(7000));
    }

    #[test]
    fn bad_times_say_what_is_wrong() {
        let e = parse_timing("00:00:61.000 --> 00:01:02.000", Mark::Dot).err();
        assert_eq!(
            e.as_deref(),
            Some("cue timing \"00:00:61.000 --> 00:01:02.000\": \"00:00:61.000\": seconds must be below 60")
        );
        let e = parse_timing("00:00:05.000 --> 00:00:04.000", Mark::Dot).err();
        assert!(e.is_some_and(|e| e.contains("the end 00:00:04.000 is before the start")));
        let e = parse_time("49:00:00.000", Mark::Dot).err();
        assert!(e.is_some_and(|e| e.contains("more than 48 hours")));
        let e = parse_time("00:00:01,000", Mark::Dot).err();
        assert!(e.is_some_and(|e| e.contains("WebVTT needs a dot")));
        assert!(parse_timing("00:00:01.000 -->", Mark::Dot)
            .is_err_and(|e| e.contains("end time is missing")));
        assert!(parse_time("1:2:3:4.000", Mark::Dot).is_err());
        assert!(parse_time("aa:bb.ccc", Mark::Dot).is_err());
    }

    #[test]
    fn settings_after_the_end_are_ignored() {
        let t = parse_timing(
            "00:00:01.280 --> 00:00:04.150 align:start position:0%",
            Mark::Dot,
        );
        assert_eq!(t, Ok((1280, 4150)));
    }
}
