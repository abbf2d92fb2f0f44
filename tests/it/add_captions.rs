//! Adding from caption files (the parsers' committed fixtures): YouTube auto-captions, manual
//! WebVTT and SubRip keep every word's time and cite it to the second; Markdown has no times;
//! broken files of each kind are refused naming the file and line, and change nothing. And the
//! whole flow from the command line: one `gdbot add` of an auto-caption `.vtt`, then `gdbot ask`
//! cites the new episode with an exact-second link.

use std::path::PathBuf;

use gdbot::{dataset::captions, retrieve::SearchOptions};

use crate::{
    add::{meta, write},
    cli::{gdbot, gdbot_in},
    enrich::{map_json, responder, settings, SUMMARY},
    support::{
        app_with_dataset,
        fake_openai::{FakeOpenAi, Reply},
    },
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/captions")).join(name)
}

/// Word times of a fixture as the parser gives them, in seconds.
fn parsed_times(name: &str) -> Vec<f64> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    let format = captions::CaptionFormat::from_file_name(name).unwrap();
    captions::parse(&bytes, name, format)
        .unwrap()
        .word_times
        .expect("times")
}

#[tokio::test]
async fn caption_files_are_added_with_their_word_times_and_cited_to_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    // (file, url, has times, length: the last cue's end, rounded up)
    let cases = [
        (
            "youtube_auto.vtt",
            "https://youtu.be/autoVtt0001",
            true,
            Some(221),
        ),
        (
            "manual.vtt",
            "https://youtu.be/manualVtt01",
            true,
            Some(221),
        ),
        (
            "manual.srt",
            "https://youtu.be/manualSrt01",
            true,
            Some(221),
        ),
        ("transcript.md", "https://youtu.be/markdown001", false, None),
    ];
    for (name, url, timed, length) in cases {
        let r = app.add_file(&fixture(name), meta(url, name)).await.unwrap();
        let ep = &r.episodes[0];
        assert_eq!(
            (r.added, ep.word_times, ep.length_s),
            (1, timed, length),
            "{name}"
        );
        if !timed {
            continue;
        }
        assert_eq!(ep.words, 507, "{name}");
        let options = SearchOptions {
            episode: Some(ep.episode_id.clone()),
            k: 3,
            ..SearchOptions::default()
        };
        let hits = app
            .search("diffusion models learning", &options)
            .await
            .unwrap()
            .hits;
        assert!(!hits.is_empty(), "{name}");
        let times = parsed_times(name);
        for h in &hits {
            let t = times[h.start_word as usize].floor() as i64;
            assert!(h.timestamp_exact, "{name}: {h:?}");
            assert_eq!(h.timestamp_s, Some(t), "{name} word {}", h.start_word);
            assert_eq!(h.link, format!("{url}?t={t}s"), "{name}");
        }
    }
    assert_eq!(app.episodes().await.unwrap().len(), 7);
}

#[tokio::test]
async fn broken_caption_files_are_refused_naming_the_line_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let before = app.store_for_tests().dump().await.unwrap();
    for (name, needle) in [
        (
            "broken_seconds.vtt",
            "broken_seconds.vtt: line 14: cue timing",
        ),
        ("broken_srt_named.vtt", "broken_srt_named.vtt: line 1:"),
        (
            "broken_end_before_start.srt",
            "broken_end_before_start.srt: line 6:",
        ),
        (
            "broken_latin1.txt",
            "broken_latin1.txt: line 1: invalid UTF-8",
        ),
        ("broken_only_markup.md", "broken_only_markup.md: line"),
    ] {
        let msg = app
            .add_file(&fixture(name), meta("https://example.org/broken", "Broken"))
            .await
            .expect_err(name)
            .to_string();
        assert!(msg.contains(needle), "{name}: {msg}");
        assert_eq!(
            app.store_for_tests().dump().await.unwrap(),
            before,
            "{name}"
        );
    }
}

/// One command adds a new episode from auto-captions; `gdbot ask` about it cites it with a link
/// to the second its passage starts, without "≈".
#[test]
fn one_add_then_ask_cites_the_new_episode_to_the_second() {
    let dir = tempfile::tempdir().unwrap();
    let text = "Axolotls regrow whole limbs because their cells remember positional information \
                and the blastema rebuilds bone muscle and nerve in the right order";
    let words: Vec<&str> = text.split(' ').cycle().take(3_000).collect();
    let vtt = captions::synthetic_auto_vtt(&words, 0.37);
    let file = write(dir.path(), "axolotl.en.vtt", &vtt);
    let url = "https://www.youtube.com/watch?v=axolotl0001";
    let o = gdbot(
        &dir,
        &[
            "add",
            file.to_str().unwrap(),
            "--url",
            url,
            "--title",
            "Axolotl limbs",
            "--date",
            "2024-06-01",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(
        report.contains("1 added") && report.contains("word times (exact citations)"),
        "{report}"
    );

    let o = gdbot(
        &dir,
        &["ask", "How do axolotls regrow limbs?", "--json"],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let s = &v["sources"][0];
    assert_eq!(
        (s["url"].as_str(), s["timestamp_exact"].as_bool()),
        (Some(url), Some(true)),
        "{v}"
    );
    let t = s["timestamp_s"].as_i64().unwrap();
    assert_eq!(s["link"], format!("{url}&t={t}s"));
    // Word i is said at 0.37·i s: the cited second is the floor of the passage's first word's time.
    let o = gdbot(
        &dir,
        &[
            "search",
            "axolotls blastema",
            "--episode",
            "axolotl0001",
            "--json",
        ],
        &[],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for h in v["hits"].as_array().unwrap() {
        let start = h["start_word"].as_f64().unwrap();
        assert_eq!(
            h["timestamp_s"].as_f64(),
            Some((start * 0.37 * 1000.0).round().div_euclid(1000.0)),
            "{h}"
        );
    }
}

/// The whole flow, one command each: `gdbot add` of an auto-caption `.vtt`, `gdbot enrich`
/// (calls = chunks + 1, against the local fake LLM), then `gdbot ask` with the LLM cites the new
/// episode to the second and `gdbot episode` shows the summary and questions enrich wrote.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_then_enrich_then_ask_with_an_llm() {
    let fake = FakeOpenAi::start(settings(responder(|part| Reply::Text(map_json(part))))).await;
    let dir = tempfile::tempdir().unwrap();
    let words: Vec<&str> = "Axolotls regrow whole limbs because their cells remember positional \
                            information and the blastema rebuilds bone muscle and nerve in order"
        .split_whitespace()
        .cycle()
        .take(3_000)
        .collect();
    let file = write(
        dir.path(),
        "axolotl.en.vtt",
        &captions::synthetic_auto_vtt(&words, 0.37),
    );
    let url = "https://www.youtube.com/watch?v=axolotl0001";
    let llm: Vec<(&str, String)> = vec![
        ("OPENAI_API_KEY", "sk-test-flow".into()),
        ("OPENAI_BASE_URL", fake.base_url().to_string()),
        ("LLM_MAX_RETRIES", "0".into()),
    ];
    let run = move |args: Vec<String>, with_llm: bool| {
        let (dir, llm) = (dir.path().to_path_buf(), llm.clone());
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = if with_llm {
                llm.iter().map(|(k, v)| (*k, v.as_str())).collect()
            } else {
                Vec::new()
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let o = gdbot_in(&dir, &args, &env);
            assert!(
                o.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap_or_default()
        })
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let file = file.to_str().unwrap().to_string();
    run(
        args(&[
            "add",
            &file,
            "--url",
            url,
            "--title",
            "Axolotl limbs",
            "--json",
        ]),
        false,
    )
    .await
    .unwrap();
    let enriched = run(
        args(&["enrich", "--episode", "axolotl0001", "--json"]),
        true,
    )
    .await
    .unwrap();
    let calls = fake.requests().len();
    let detail = run(args(&["episode", "axolotl0001", "--json"]), false)
        .await
        .unwrap();
    let questions = detail["questions"].as_array().map_or(0, Vec::len);
    assert!(
        calls >= 3,
        "several chunks and a reduce: {calls} calls; {enriched}"
    );
    assert_eq!(questions, 3 * (calls - 1), "3 questions a chunk: {detail}");
    assert_eq!(detail["summary"].as_str(), Some(SUMMARY), "{detail}");

    let answer = run(
        args(&["ask", "How do axolotls regrow limbs?", "--json"]),
        true,
    )
    .await
    .unwrap();
    assert_eq!(answer["mode"], "llm", "{answer}");
    let s = &answer["sources"][0];
    assert_eq!(
        (s["url"].as_str(), s["timestamp_exact"].as_bool()),
        (Some(url), Some(true)),
        "{answer}"
    );
    let t = s["timestamp_s"].as_i64().unwrap();
    assert_eq!(s["link"], format!("{url}&t={t}s"));
}

/// `App::add_episodes` takes `Episode` values built anywhere: they are checked as files are (word
/// times that do not fit the transcript, a URL twice) and a refused batch stores nothing.
#[tokio::test]
async fn episode_values_are_checked_before_anything_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let before = app.store_for_tests().dump().await.unwrap();
    let episode = |url: &str, times: Option<Vec<u32>>| gdbot::dataset::Episode {
        episode_id: url.rsplit('=').next().unwrap_or_default().to_string(),
        url: url.to_string(),
        title: "Hand made".into(),
        publish_date: None,
        length_s: Some(3),
        total_words: 3,
        transcript: "three little words".into(),
        summary: None,
        questions: vec![],
        word_times_ms: times,
    };
    let a = "https://www.youtube.com/watch?v=handmade001";
    let b = "https://www.youtube.com/watch?v=handmade002";
    for (name, batch, needle) in [
        (
            "too few times",
            vec![episode(a, Some(vec![0, 500]))],
            "2 word times for 3 words",
        ),
        (
            "decreasing",
            vec![episode(a, Some(vec![0, 900, 500]))],
            "must not decrease",
        ),
        (
            "a URL twice",
            vec![episode(a, None), episode(b, None), episode(a, None)],
            "each episode may be added once",
        ),
    ] {
        let msg = app
            .add_episodes(batch, "hand")
            .await
            .expect_err(name)
            .to_string();
        assert!(msg.contains(needle), "{name}: {msg}");
        assert_eq!(
            app.store_for_tests().dump().await.unwrap(),
            before,
            "{name}"
        );
    }
    let r = app
        .add_episodes(
            vec![episode(a, Some(vec![0, 1_999, 2_000])), episode(b, None)],
            "hand",
        )
        .await
        .unwrap();
    assert_eq!((r.added, r.archive_episodes), (2, 5));
    let options = SearchOptions {
        episode: Some("handmade001".into()),
        ..SearchOptions::default()
    };
    let hit = app
        .search("little words", &options)
        .await
        .unwrap()
        .hits
        .remove(0);
    assert_eq!((hit.timestamp_s, hit.timestamp_exact), (Some(0), true));
}
