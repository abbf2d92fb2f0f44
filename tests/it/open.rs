//! Opening and keeping a database usable: damaged postings are rebuilt, and first opens of a new
//! or old-schema database are safe when several processes race.

use gdbot::App;

use crate::support::{app_with_dataset, config};

/// A postings blob damaged on disk is noticed by the next search that reads it (a warning), the
/// index is rebuilt from the transcripts, and the search finds what it found before.
#[tokio::test]
async fn damaged_postings_are_rebuilt_and_found_again() {
    let dir = tempfile::tempdir().unwrap();
    let app = app_with_dataset(&dir, &[]).await;
    let before = app.store.dump().await.unwrap();
    let search = |app: App| async move {
        gdbot::retrieve::search(&app.store, "Runway", &Default::default())
            .await
            .unwrap()
            .hits
    };
    let hits = search(app.clone()).await;
    assert!(!hits.is_empty());
    let mut app = app;
    for damage in [
        "UPDATE postings SET data = x'ff' WHERE term = 'runway'",
        "UPDATE postings SET data = substr(data, 1, length(data) / 2) WHERE term = 'runway'",
        "UPDATE postings SET data = zeroblob(length(data)) WHERE term = 'runway'",
    ] {
        let changed = sqlx::query(damage)
            .execute(app.store.pool())
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(changed, 1, "{damage}");
        app.store.close().await;
        let reopened = App::open(config(&dir, &[])).await.unwrap();
        assert_eq!(search(reopened.clone()).await, hits, "{damage}");
        assert_eq!(reopened.store.dump().await.unwrap(), before, "{damage}");
        app = reopened;
    }
}
