//! SubRip variations and plain text / Markdown details not in the fixtures.

use super::*;

fn srt(text: &str) -> TimedTranscript {
    ok(text.as_bytes(), "t.srt")
}

#[test]
fn subrip_tolerates_what_writers_do() {
    // No cue number, a dot before the milliseconds, blank lines of spaces, a cue number glued to
    // the text before it, font tags and an ASS override.
    let t = srt("00:00:01.000 --> 00:00:03,000 X1:10 X2:20\n<font color=\"#fff\">one</font> two\n \t \n\
        7\n00:00:03,000 --> 00:00:04,000\n{\\an8}three\n8\n00:00:04,000 --> 00:00:05,000\n<i>four\nfive</i>\n\n\n");
    assert_eq!(t.text, "one two three four five");
    assert_eq!(times(&t), [1.0, 2.0, 3.0, 4.0, 4.5]);
    assert_eq!(t.duration_s, Some(5.0));
}

#[test]
fn subrip_keeps_a_line_said_twice() {
    let t = srt("1\n00:00:01,000 --> 00:00:02,000\nNo.\n\n2\n00:00:02,000 --> 00:00:03,000\nNo.\n");
    assert_eq!(t.text, "No. No.");
}

#[test]
fn format_by_extension() {
    use CaptionFormat::*;
    let cases = [
        ("a.vtt", Some(Vtt)),
        ("A.VTT", Some(Vtt)),
        ("dir.v/x.Srt", Some(Srt)),
        ("notes.txt", Some(Text)),
        ("notes.MD", Some(Text)),
        ("captions.vtt.gz", None),
        ("vtt", None),
        ("x.csv", None),
    ];
    for (name, format) in cases {
        assert_eq!(CaptionFormat::from_file_name(name), format, "{name}");
    }
}

#[test]
fn plain_text_is_taken_as_it_is() {
    let t = ok(
        b"\xEF\xBB\xBF# not a heading in .txt\r\n\r\n*stars* [a](b)\n",
        "t.txt",
    );
    assert_eq!(t.text, "# not a heading in .txt *stars* [a](b)");
}

#[test]
fn markdown_code_fences_keep_their_code_as_words() {
    let t = ok(
        b"Intro *text*\n```\nlet x_y = *p;\n```\n~~~\n# comment\n~~~\n",
        "t.md",
    );
    assert_eq!(t.text, "Intro text let x_y = *p; # comment");
}
