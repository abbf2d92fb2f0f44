//! The committed fixtures: one passage of the dataset (the end of the Jeremy Howard episode) as
//! YouTube auto-captions, manual WebVTT, SubRip and plain text; and a Markdown transcript.

use super::*;

fn source_words() -> Vec<&'static str> {
    let text = std::str::from_utf8(fixture!("jeremy_howard_end.txt")).unwrap_or("");
    text.split_whitespace().collect()
}

/// The times in a file's `<hh:mm:ss.ttt>` tags, in order (read naively, for the test).
fn tag_times(vtt: &str) -> Vec<f64> {
    vtt.split('<')
        .filter_map(|s| s.get(..12))
        .filter_map(|s| timing::parse_time(s, timing::Mark::Dot).ok())
        .map(|ms| ms as f64 / 1000.0)
        .collect()
}

#[test]
fn youtube_auto_captions_give_each_word_once_in_order_at_its_time() {
    let bytes = fixture!("youtube_auto.vtt");
    let t = ok(bytes, "youtube_auto.vtt");
    let source = source_words();
    assert_eq!(source.len(), 507);
    assert_eq!(words(&t), source);
    assert_eq!(t.warnings, Vec::<String>::new());
    assert_eq!(t.duration_s, Some(220.459));
    let times = times(&t);
    // The first word of a line starts with its cue; the others at their tags.
    assert_eq!(times[..3], [1.280, 1.702, 2.019]);
    assert_eq!(times[10], 4.955); // "took", first word of the second line
    let mut all = times.iter();
    let tags = tag_times(std::str::from_utf8(bytes).unwrap_or(""));
    assert_eq!(
        tags.len(),
        507 - 77,
        "one tag per word but the 77 line openers"
    );
    for tag in tags {
        assert!(
            all.any(|&x| x == tag),
            "tag time {tag} is some word's time, in order"
        );
    }
}

#[test]
fn manual_webvtt_spreads_each_cue_over_its_words() {
    let t = ok(fixture!("manual.vtt"), "manual.vtt");
    assert_eq!(words(&t), source_words());
    assert_eq!(t.warnings, Vec::<String>::new());
    assert_eq!(t.duration_s, Some(220.454));
    let times = times(&t);
    // Cue 1: 8 words over [1.280, 4.116); cue 2 starts at 4.157 with its 9th word.
    assert_eq!(times[0], 1.280);
    assert_eq!(times[1], 1.635);
    assert_eq!(times[7], 3.762);
    assert_eq!(times[8], 4.157);
    // Cue 3 has no hours in its timing line: 00:09.773.
    assert!(times.contains(&9.773));
}

#[test]
fn subrip_with_bom_crlf_and_no_final_blank_line_matches_the_webvtt() {
    let srt = ok(fixture!("manual.srt"), "manual.srt");
    let vtt = ok(fixture!("manual.vtt"), "manual.vtt");
    assert_eq!(words(&srt), source_words());
    assert_eq!(srt.word_times, vtt.word_times);
    assert_eq!(srt.duration_s, vtt.duration_s);
    assert_eq!(srt.warnings, Vec::<String>::new());
}

#[test]
fn plain_text_keeps_the_words_without_times() {
    let t = ok(fixture!("jeremy_howard_end.txt"), "Jeremy_Howard_End.TXT");
    assert_eq!(words(&t), source_words());
    assert_eq!((t.word_times, t.duration_s), (None, None));
}

#[test]
fn markdown_keeps_what_a_reader_sees() {
    let t = ok(fixture!("transcript.md"), "transcript.md");
    assert_eq!(
        t.text,
        "Gradient Dissent: Jeremy Howard Notes from the end of the episode. Closing \
         Lukas: Interesting. Well, great to talk to you. That was super fun. \
         Jeremy asks how things are going at Weights & Biases. \
         He used plot.plot before his friend showed him the graph. Everybody hates loves it. \
         lr_find() Speaker Line Jeremy Cheers, mate. a teddy bear [Music]"
    );
    assert_eq!(t.word_times, None);
    // The same file read as plain text keeps every mark.
    let plain = ok(fixture!("transcript.md"), "transcript.txt");
    assert!(plain.text.starts_with("--- title: Jeremy Howard"));
}
