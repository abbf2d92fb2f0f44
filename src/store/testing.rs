//! Test support, hidden from the documentation: the Postgres runs of the tests.
//!
//! `GDBOT_TEST_POSTGRES_URL` (e.g. `postgres://postgres@127.0.0.1:5432/postgres`, set by `.ci/run`)
//! names a server the tests may create schemas on. Each test database is a fresh schema there,
//! reached through a URL that puts it first on the search path, so tests run in parallel without
//! seeing each other. Schemas left by earlier test processes that are no longer running are
//! dropped when the first one of a process is made.

use std::{
    str::FromStr,
    sync::atomic::{AtomicU32, Ordering},
};

use sqlx::{postgres::PgConnectOptions, Connection, PgConnection};

/// The variable naming the test server.
pub const POSTGRES_VAR: &str = "GDBOT_TEST_POSTGRES_URL";

/// Prefix of the test schemas (`gdbot_t_<pid>_<n>`).
const PREFIX: &str = "gdbot_t_";

/// The test server's URL, when the Postgres runs are asked for.
pub fn postgres_server() -> Option<String> {
    std::env::var(POSTGRES_VAR)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A URL of a new, empty schema on `server`. Blocking (its own thread and runtime), so sync and
/// async tests alike can call it. Panics when the server cannot be reached: the run asked for it.
pub fn fresh_postgres_url(server: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let schema = format!("{PREFIX}{}_{n}", std::process::id());
    let (server_url, name) = (server.to_string(), schema.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let mut conn = PgConnection::connect_with(
                &PgConnectOptions::from_str(&server_url).expect("a Postgres URL"),
            )
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_VAR}: cannot connect: {e}"));
            if n == 0 {
                drop_stale(&mut conn).await;
            }
            sqlx::query(&format!("CREATE SCHEMA {name}"))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("{POSTGRES_VAR}: cannot create schema {name}: {e}"));
            let _ = conn.close().await;
        })
    })
    .join()
    .expect("schema creation");
    let sep = if server.contains('?') { '&' } else { '?' };
    format!("{server}{sep}options=-c%20search_path%3D{schema}")
}

/// Drop the test schemas of processes that are gone.
async fn drop_stale(conn: &mut PgConnection) {
    let Ok(names) = sqlx::query_scalar::<_, String>(
        "SELECT nspname::TEXT FROM pg_namespace WHERE starts_with(nspname, $1)",
    )
    .bind(PREFIX)
    .fetch_all(&mut *conn)
    .await
    else {
        return;
    };
    for name in names {
        let pid = name
            .strip_prefix(PREFIX)
            .and_then(|r| r.split('_').next())
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                .execute(&mut *conn)
                .await;
        }
    }
}
