//! Guards retrieval quality (leakage-free: the generated-questions signal is off, since the gold
//! questions are those questions), on the 3 dataset episodes and among 299 distractors.

use gdbot::{
    eval::{Gold, Scores},
    retrieve::SearchOptions,
    App,
};

use crate::support::{app_with_dataset, app_with_distractors, config, DATASET, DEV, GOLD};

async fn scores(app: &App) -> Scores {
    let gold: Vec<Gold> = serde_json::from_str(&std::fs::read_to_string(GOLD).unwrap()).unwrap();
    let options = SearchOptions {
        k: 10,
        use_questions: false,
        ..SearchOptions::default()
    };
    app.eval(&gold, &options).await.unwrap()
}

#[tokio::test]
async fn three_episode_figures_hold() {
    let dir = tempfile::tempdir().unwrap();
    let s = scores(&app_with_dataset(&dir, &[]).await).await;
    assert_eq!(s.n_passage, 105);
    assert!(s.ep_at_1 >= 0.97, "{s:?}");
    assert!(s.hit_at_1000 >= 0.92, "{s:?}");
    assert!(
        s.mean_context_tokens > 0.0 && s.mean_context_tokens <= 1200.0,
        "{s:?}"
    );
}

/// Real questions about the episodes are answered, not turned away as "not covered".
#[tokio::test]
async fn gold_questions_are_answered_with_confidence() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let gold: Vec<Gold> = serde_json::from_str(&std::fs::read_to_string(GOLD).unwrap()).unwrap();
    let mut confident = 0;
    for g in &gold {
        confident += app.ask(&g.question, None, None).await.unwrap().confident as usize;
    }
    assert!(confident >= 102, "{confident} of {} confident", gold.len());
}

/// With 299 topically similar Practical AI episodes imported alongside the dataset.
#[tokio::test]
async fn figures_hold_among_distractors() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_distractors(&dir).await;
    let s = scores(&app).await;
    assert!(s.ep_at_1 >= 0.90, "{s:?}");
    assert!(s.hit_at_1000 >= 0.85, "{s:?}");
}

/// A full name in a title names that episode even when other transcripts say it more often:
/// "What does Ada Lovelace think about Kubernetes?" is not covered when only another episode
/// discusses Kubernetes (a name said all over the archive is no anchor on its own).
#[tokio::test]
async fn a_full_name_names_its_episode() {
    let filler = |seed: &str| {
        (0..600)
            .map(|i| format!("{seed}{}", i % 37))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut csv = String::from("title,url,transcript\n");
    csv.push_str(&format!(
        "Ada Lovelace — Engines and notes,https://example.org/ada,\"Ada: I think the analytical \
         engine weaves algebraic patterns. {}\"\n",
        filler("note")
    ));
    for i in 0..4 {
        csv.push_str(&format!(
            "Tools episode {i},https://example.org/t{i},\"As Ada Lovelace said, and Ada Lovelace \
             again, and Ada Lovelace once more: I think kubernetes clusters schedule containers well. {}\"\n",
            filler("tool")
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(config(&dir, &[])).await.unwrap();
    app.import_bytes(csv.into_bytes(), "t.csv", false)
        .await
        .unwrap();
    let a = app
        .ask("What does Ada Lovelace think about Kubernetes?", None, None)
        .await
        .unwrap();
    assert!(!a.confident, "{}", a.answer);
    let a = app
        .ask(
            "What does Ada Lovelace say about the analytical engine?",
            None,
            None,
        )
        .await
        .unwrap();
    assert!(a.confident, "{}", a.answer);
}

/// Every dev-set span holds its answer keywords (folded, as whole words), so the answer metrics
/// measure answers, not typos in the dev set.
#[test]
fn dev_set_spans_hold_their_keywords() {
    use gdbot::fold::fold;
    let dataset = gdbot::dataset::load_file(DATASET.as_ref(), u64::MAX).unwrap();
    let gold: Vec<Gold> = serde_json::from_str(&std::fs::read_to_string(DEV).unwrap()).unwrap();
    let kinds = |k: &str| gold.iter().filter(|g| g.kind == k).count();
    assert!(kinds("passage") >= 40 && kinds("episode") >= 8 && kinds("unanswerable") >= 10);
    for g in gold.iter().filter(|g| g.kind == "passage") {
        let ep = dataset.episodes.iter().find(|e| e.url == g.url).unwrap();
        let words: Vec<&str> = ep.transcript.split_whitespace().collect();
        let span = format!(
            " {} ",
            fold(&words[g.start_word as usize..g.end_word as usize].join(" "))
        );
        assert!(!g.answer_keywords.is_empty(), "{}", g.qid);
        for k in &g.answer_keywords {
            assert!(span.contains(&format!(" {} ", fold(k))), "{}: {k}", g.qid);
        }
    }
}

async fn dev_scores(app: &App) -> Scores {
    let gold: Vec<Gold> = serde_json::from_str(&std::fs::read_to_string(DEV).unwrap()).unwrap();
    app.eval(&gold, &SearchOptions::default()).await.unwrap()
}

/// The dev set's keyless answers and not-covered figures (README "How answers are found").
#[tokio::test]
async fn dev_set_answer_figures_hold() {
    let dir = tempfile::tempdir().unwrap();
    let s = dev_scores(&app_with_dataset(&dir, &[]).await).await;
    let a = s.answers.clone().unwrap();
    assert_eq!((a.n_unanswerable, a.n_answerable), (14, 97));
    // measured 0.929 and 0.031; main (c6db4f3) turned away 3 of 14
    assert!(a.not_covered_recall.unwrap() >= 0.85, "{a:?}");
    assert!(a.answerable_turned_away.unwrap() <= 0.05, "{a:?}");
    // keyless quotes: measured 0.764 / 0.629 / 0.831, 129.5 words; whole-episode 0.750
    // (before anchors preferred the kind of answer asked for, `Expects`: 0.742 / 0.607 / 0.809,
    // 126.4 words; before runs started ahead of their anchor and a third passage could add a sentence:
    // 0.719 / 0.573 / 0.753, 124.3 words;
    // main c6db4f3: 0.551 / 0.371 / 0.820, 66.4 words; 0.375)
    assert!(a.keyword_any.unwrap() >= 0.74, "{a:?}");
    assert!(a.keyword_all.unwrap() >= 0.60, "{a:?}");
    assert!(a.quote_in_span.unwrap() >= 0.80, "{a:?}");
    assert!(a.mean_quoted_words <= 130.0, "{a:?}");
    assert!(a.episode_keyword_any.unwrap() >= 0.62, "{a:?}");
}

/// A question word no episode holds, or a guest's name with a topic only another episode raised,
/// is turned away; another form of archive words is not.
#[tokio::test]
async fn unknown_words_and_named_episodes_decide_coverage() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let away = app
        .ask("What is federated learning?", None, None)
        .await
        .unwrap();
    assert!(!away.confident);
    assert!(
        away.answer.contains("No episode mentions “federated”"),
        "{}",
        away.answer
    );
    for q in [
        "What does Cris Valenzuela think about Julia replacing Python?",
        "Did Jeremy Howard explain how Runway does rotoscoping?",
    ] {
        let a = app.ask(q, None, None).await.unwrap();
        assert!(!a.confident, "{q}: {}", a.answer);
    }
    for q in [
        "What do deepfakes mean for video?",
        "What did Sarah Catanzaro say about Runway?",
        "Is there an episode about the Chilean founder of Runway?",
    ] {
        let a = app.ask(q, None, None).await.unwrap();
        assert!(a.confident, "{q}: {}", a.answer);
    }
}
