//! Files that must be refused, each with the file, the line and what is wrong.

use super::*;

#[test]
fn a_bad_timing_line_names_the_line_and_the_field() {
    assert_eq!(
        err(fixture!("broken_seconds.vtt"), "broken_seconds.vtt"),
        "broken_seconds.vtt: line 14: cue timing \"00:00:61.000 --> 00:01:04.000\": \"00:00:61.000\": seconds must be below 60"
    );
    assert_eq!(
        err(fixture!("broken_end_before_start.srt"), "broken_end_before_start.srt"),
        "broken_end_before_start.srt: line 6: cue timing \"00:00:09,000 --> 00:00:05,500\": the end 00:00:05,500 is before the start 00:00:09,000"
    );
    let msg = err(b"WEBVTT\n\n00:00:01.000 --> 49:00:00.000\nx\n", "t.vtt");
    assert!(msg.starts_with("t.vtt: line 3: cue timing") && msg.contains("more than 48 hours"));
    let msg = err(b"WEBVTT\n\n00:00:01.000 00:00:02.000\nx\n", "t.vtt");
    assert!(
        msg.starts_with("t.vtt: line 3: expected a cue timing line"),
        "{msg}"
    );
    let msg = err(b"1\n00:00:01,000 -> 00:00:02,000\nx\n", "t.srt");
    assert!(
        msg.starts_with("t.srt: line 2: cue 1 has no timing line"),
        "{msg}"
    );
    let msg = err(
        b"1\n00:00:01,000 --> 00:00:02,000\nx\n\nstray text\n",
        "t.srt",
    );
    assert!(
        msg.contains("line 5: expected a cue number or a timing line"),
        "{msg}"
    );
}

#[test]
fn a_bad_inline_timestamp_names_its_line() {
    let msg = err(
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n \nhi<00:00:01.9x><c> there</c>\n",
        "t.vtt",
    );
    assert_eq!(msg, "t.vtt: line 5: inline timestamp <00:00:01.9x>: \"00:00:01.9x\" is not a time (expected hh:mm:ss.ttt or mm:ss.ttt)");
}

#[test]
fn the_wrong_format_for_the_name_says_which_it_is() {
    let msg = err(fixture!("broken_srt_named.vtt"), "broken_srt_named.vtt");
    assert!(
        msg.starts_with("broken_srt_named.vtt: line 1: this looks like a SubRip file"),
        "{msg}"
    );
    assert!(msg.ends_with("name it .srt"));
    let msg = err(fixture!("youtube_auto.vtt"), "youtube_auto.srt");
    assert!(msg.contains("line 1: this is a WebVTT file"), "{msg}");
    let msg = err(b"00:00:01.000 --> 00:00:02.000\nx\n", "t.vtt");
    assert!(
        msg.contains("line 1: the WEBVTT header is missing"),
        "{msg}"
    );
    let msg = err(b"<html><body>Not found</body></html>\n", "t.vtt");
    assert!(msg.contains("line 1: not a WebVTT file"), "{msg}");
    // A comma in WebVTT times is SubRip's.
    let msg = err(b"WEBVTT\n\n00:00:01,000 --> 00:00:02,000\nx\n", "t.vtt");
    assert!(
        msg.contains("line 3: ") && msg.contains("WebVTT needs a dot"),
        "{msg}"
    );
}

#[test]
fn bytes_that_are_not_utf8_text() {
    assert_eq!(
        err(fixture!("broken_latin1.txt"), "broken_latin1.txt"),
        "broken_latin1.txt: line 1: invalid UTF-8 at byte offset 3; save the file as UTF-8"
    );
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    assert_eq!(
        err(png, "cover.vtt"),
        "cover.vtt: line 3: binary data (NUL byte at byte offset 8), not a caption or transcript file"
    );
    let utf16 = b"\xFF\xFEW\0E\0B\0V\0T\0T\0";
    assert!(err(utf16, "t.vtt").contains("line 1: UTF-16 text (save the file as UTF-8)"));
    let msg = err(
        b"WEBVTT\n\n00:01.000 --> 00:02.000\nok\n\n00:02.000 --> 00:03.000\n\xC3\x28\n",
        "t.vtt",
    );
    assert!(
        msg.starts_with("t.vtt: line 7: invalid UTF-8 at byte offset 60"),
        "{msg}"
    );
}

#[test]
fn files_without_words() {
    for name in ["t.vtt", "t.srt", "t.txt", "t.md"] {
        assert_eq!(err(b"", name), format!("{name}: line 1: the file is empty"));
        assert_eq!(
            err(b"\xEF\xBB\xBF \r\n\t\n", name),
            format!("{name}: line 1: the file is empty")
        );
    }
    assert_eq!(
        err(b"WEBVTT\nKind: captions\n\nNOTE nothing yet\n", "t.vtt"),
        "t.vtt: line 4: no words in the file (it has no cues)"
    );
    assert_eq!(
        err(b"1\n00:00:01,000 --> 00:00:02,000\n<i> </i>\n", "t.srt"),
        "t.srt: line 3: no words in the file (its 1 cue(s) have no text)"
    );
    assert_eq!(
        err(fixture!("broken_only_markup.md"), "broken_only_markup.md"),
        "broken_only_markup.md: line 7: no words in the file (only blank lines or markup)"
    );
}
