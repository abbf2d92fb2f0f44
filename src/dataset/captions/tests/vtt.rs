//! WebVTT shapes: YouTube's rolling cues, roll-up captions without timestamps, manual captions
//! with a line said twice, blocks and identifiers, and cues out of order or overlapping.

use super::*;

fn vtt(text: &str) -> TimedTranscript {
    ok(text.as_bytes(), "t.vtt")
}

#[test]
fn youtube_rolling_cues_give_each_line_once() {
    // As YouTube writes them: the line before repeated above the new one, a 10 ms cue repeating
    // the new line, a one-word line without tags, and a " " line inside cues.
    let t = vtt(
        "WEBVTT\nKind: captions\nLanguage: en\n\n\
        00:00:00.030 --> 00:00:03.830 align:start position:0%\n \n\
        hey<00:00:00.539><c> guys</c><00:00:00.989><c> what's</c>\n\n\
        00:00:03.830 --> 00:00:03.840 align:start position:0%\nhey guys what's\n \n\n\
        00:00:03.840 --> 00:00:06.590 align:start position:0%\nhey guys what's\nup\n\n\
        00:00:06.590 --> 00:00:06.600 align:start position:0%\nup\n \n\n\
        00:00:06.600 --> 00:00:08.000 align:start position:0%\nup\nup<00:00:07.000><c> again</c>\n",
    );
    assert_eq!(t.text, "hey guys what's up up again");
    assert_eq!(times(&t), [0.03, 0.539, 0.989, 3.84, 6.6, 7.0]);
    assert_eq!(t.duration_s, Some(8.0));
}

#[test]
fn roll_up_captions_without_timestamps_are_taken_once() {
    let t = vtt("WEBVTT\n\n00:01.000 --> 00:02.000\none two\n\n\
        00:02.000 --> 00:03.000\none two\nthree four\n\n\
        00:03.000 --> 00:04.000\nthree four\nfive\n\n\
        00:04.000 --> 00:05.000\nfive\nsix seven\n");
    assert_eq!(t.text, "one two three four five six seven");
    assert_eq!(times(&t), [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 4.5]);
}

#[test]
fn manual_captions_keep_a_line_said_twice() {
    let t = vtt(
        "WEBVTT\n\n00:01.000 --> 00:02.000\nNo.\n\n00:02.000 --> 00:03.000\nNo.\n\n\
        00:03.000 --> 00:04.000\nYes, &amp; then\n[Music]\n",
    );
    assert_eq!(t.text, "No. No. Yes, & then [Music]");
    assert_eq!(times(&t), [1.0, 2.0, 3.0, 3.25, 3.5, 3.75]);
}

#[test]
fn header_text_blocks_identifiers_and_line_endings() {
    let t = vtt("\n\u{20}\nWEBVTT - a title\r\nKind: captions\r\n\r\nSTYLE\r\n::cue { color: red }\r\n\r\n\
        REGION\rid:fred\r\rNOTE a --> inside a note is skipped too\r\n\r\n\
        intro\r\n00:00:01.000 --> 00:00:02.000 line:0\r\n<v.loud Lukas>Hello <c.colorE5E5E5>there</c>\r\n\r\n\
        NOTEWORTHY\r\n00:00:02.000 --> 00:00:03.000\r\nit's an identifier\r\n");
    assert_eq!(t.text, "Hello there it's an identifier");
}

#[test]
fn cues_without_empty_lines_between_them() {
    // A line of spaces then an identifier, and a timing line straight after text.
    let t = vtt(
        "WEBVTT\n\n00:01.000 --> 00:02.000\none\n  \nid-2\n00:02.000 --> 00:03.000\ntwo\n\
        00:03.000 --> 00:04.000\nthree\n",
    );
    assert_eq!(t.text, "one two three");
    assert_eq!(times(&t), [1.0, 2.0, 3.0]);
}

#[test]
fn cues_out_of_order_are_sorted_with_a_warning() {
    let t = vtt("WEBVTT\n\n00:05.000 --> 00:06.000\nlater\n\n00:01.000 --> 00:02.000\nfirst\n");
    assert_eq!(t.text, "first later");
    assert_eq!(times(&t), [1.0, 5.0]);
    assert_eq!(
        t.warnings,
        ["t.vtt: line 6: 1 cue(s) start before the cue above them; the cues were sorted by start time"]
    );
}

#[test]
fn overlapping_cues_keep_times_in_order_with_a_warning() {
    let t = vtt("WEBVTT\n\n00:01.000 --> 00:05.000\na b c d\n\n00:02.000 --> 00:03.000\ne f\n");
    assert_eq!(times(&t), [1.0, 2.0, 3.0, 4.0, 4.0, 4.0]);
    assert_eq!(t.duration_s, Some(5.0));
    assert!(
        t.warnings[0].contains("line 6: 1 cue(s) overlap the cue before"),
        "{:?}",
        t.warnings
    );
}

#[test]
fn inline_timestamps_outside_their_cue_are_clamped_with_a_warning() {
    let t = vtt("WEBVTT\n\n00:00:02.000 --> 00:00:04.000\n\
        a<00:00:01.000><c> b</c><00:00:03.000><c> c</c><00:00:02.500><c> d</c><00:00:09.000><c> e</c>\n");
    assert_eq!(times(&t), [2.0, 2.0, 3.0, 3.0, 4.0]);
    assert!(t.warnings[0].contains("line 3: 1 cue(s) have inline timestamps outside the cue"));
}

#[test]
fn empty_cues_are_skipped_with_a_warning() {
    let t = vtt(
        "WEBVTT\n\n00:01.000 --> 00:02.000\n<i></i>\n\n00:02.000 --> 00:03.000\n\n\
        00:03.000 --> 00:09.000\nwords\n",
    );
    assert_eq!(t.text, "words");
    assert_eq!(t.duration_s, Some(9.0));
    assert_eq!(
        t.warnings,
        ["t.vtt: line 3: 2 cue(s) without text were skipped"]
    );
}
