//! The CSV as interchange format: what `write_csv` writes, the importer reads back to the same
//! episodes (word times included), and writing those again gives the same bytes.

use super::*;

fn export(episodes: &[Episode]) -> Vec<u8> {
    let mut out = Vec::new();
    write_csv(episodes, &mut out).expect("write to memory");
    out
}

#[test]
fn shipped_dataset_round_trips_through_an_export() {
    let ds = load_file(Path::new(&dataset_path()), DEFAULT_MAX_BYTES).expect("shipped dataset");
    let first = export(&ds.episodes);
    assert!(
        first.starts_with(
            b",title,url,length,publish_date,transcript,total_words,summary,questions\n"
        ),
        "{}",
        String::from_utf8_lossy(&first[..100])
    );
    let back = parse_bytes(&first, "export.csv", DEFAULT_MAX_BYTES).expect("re-import");
    assert_eq!(back.episodes, ds.episodes);
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_eq!(back.repaired_fields, 0, "the export is already repaired");
    assert_eq!(export(&back.episodes), first);
}

#[test]
fn word_times_column_round_trips_and_is_validated() {
    let mut ds = ok(&format!(
        "{HEADER}{}{}",
        row(0, "A", "https://a.b/1"),
        row(1, "B", "https://a.b/2")
    ));
    ds.episodes[1].word_times_ms = Some(vec![0, 1280, 61_001]);
    let text = String::from_utf8(export(&ds.episodes)).expect("UTF-8");
    assert!(
        text.lines()
            .next()
            .is_some_and(|h| h.ends_with(",questions,word_times")),
        "{text}"
    );
    assert!(
        text.contains(",\"['Q one?', \"\"Q two's\"\"]\",\n"),
        "no times: empty field: {text}"
    );
    assert!(text.contains(",\"[0.000,1.280,61.001]\"\n"), "{text}");
    let back = ok(&text);
    assert_eq!(back.episodes, ds.episodes);
    assert_eq!(export(&back.episodes), text.as_bytes());

    let header = ",title,url,transcript,word_times\n";
    for (times, needle) in [
        ("[0, 1]", "2 word times for 3 words"),
        ("[0, 2, 1]", "must not decrease"),
        ("[0, -1, 2]", "negative"),
        ("0 1 2", "not a JSON list of seconds"),
    ] {
        let e = one_row_error(
            &format!("{header}0,T,https://a.b/c,one two three,\"{times}\"\n"),
            "word_times",
        );
        assert!(e.contains("line 2") && e.contains(needle), "{times}: {e}");
    }
}
