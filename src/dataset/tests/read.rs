//! Reading files and attachments: every gzip member, the size limit (plain and inflated), and
//! files that are not regular files.

use std::io::Write;
use std::time::Duration;

use super::*;

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text).unwrap_or_else(|e| panic!("{e}"));
    gz.finish().unwrap_or_else(|e| panic!("{e}"))
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    path
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"))
}

/// `cat a.gz b.gz > c.gz`: the header and first row in one member, two more rows in another.
fn two_members() -> Vec<u8> {
    let mut bytes = gzip(format!("{HEADER}{}", row(0, "One", "https://a.org/1")).as_bytes());
    bytes.extend(gzip(
        format!(
            "{}{}",
            row(1, "Two", "https://a.org/2"),
            row(2, "Three", "https://a.org/3")
        )
        .as_bytes(),
    ));
    bytes
}

#[test]
fn every_gzip_member_is_read_from_files_and_attachments() {
    let dir = tempdir();
    let path = write(&dir, "cat.csv.gz", &two_members());
    let titles = |ds: Dataset| ds.episodes.into_iter().map(|e| e.title).collect::<Vec<_>>();
    match load_file(&path, DEFAULT_MAX_BYTES) {
        Ok(ds) => assert_eq!(titles(ds), ["One", "Two", "Three"]),
        Err(e) => panic!("{e}"),
    }
    match parse_bytes(&two_members(), "upload.csv.gz", DEFAULT_MAX_BYTES) {
        Ok(ds) => assert_eq!(titles(ds), ["One", "Two", "Three"]),
        Err(e) => panic!("{e}"),
    }
}

/// A gzip bomb: a valid header, then rows to `inflated` bytes (compresses ~1000:1).
fn bomb(inflated: usize) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut written = 0;
    let header = HEADER.as_bytes();
    gz.write_all(header).unwrap_or_else(|e| panic!("{e}"));
    written += header.len();
    let chunk = row(0, "T", "https://a.org/1").repeat(1000);
    while written < inflated {
        gz.write_all(chunk.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        written += chunk.len();
    }
    gz.finish().unwrap_or_else(|e| panic!("{e}"))
}

fn assert_too_large(result: Result<Dataset, DatasetError>, name: &str, inflated: bool) {
    match result {
        Err(e @ DatasetError::TooLarge { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains(name) && msg.contains("IMPORT_MAX_MB"), "{msg}");
            assert_eq!(msg.contains("once decompressed"), inflated, "{msg}");
        }
        Err(e) => panic!("expected TooLarge, got: {e}"),
        Ok(ds) => panic!("expected TooLarge, got {} episodes", ds.episodes.len()),
    }
}

#[test]
fn inflated_data_over_the_limit_is_refused() {
    const LIMIT: u64 = 1024 * 1024;
    let bytes = bomb(8 * 1024 * 1024);
    assert!(bytes.len() < 100_000, "{} bytes compressed", bytes.len());
    let dir = tempdir();
    let path = write(&dir, "bomb.csv.gz", &bytes);
    assert_too_large(load_file(&path, LIMIT), "bomb.csv.gz", true);
    assert_too_large(
        parse_bytes(&bytes, "upload.csv.gz", LIMIT),
        "upload.csv.gz",
        true,
    );
    // The limit is on the inflated text: the same file passes that check under a higher one
    // (and is then rejected for its duplicate URLs, which needs the whole text).
    match load_file(&path, 16 * LIMIT) {
        Err(DatasetError::Rows { .. }) => {}
        other => panic!("expected row errors, got {other:?}"),
    }
    // A file whose extension says nothing is still inflated by its magic bytes.
    let path = write(&dir, "renamed.csv", &bytes);
    assert_too_large(load_file(&path, LIMIT), "renamed.csv", true);
}

#[test]
fn plain_data_over_the_limit_is_refused_and_at_the_limit_accepted() {
    let text = format!("{HEADER}{}", row(0, "T", "https://a.org/1"));
    let size = text.len() as u64;
    let dir = tempdir();
    let path = write(&dir, "plain.csv", text.as_bytes());
    assert_too_large(load_file(&path, size - 1), "plain.csv", false);
    assert_too_large(
        parse_bytes(text.as_bytes(), "a.csv", size - 1),
        "a.csv",
        false,
    );
    assert!(load_file(&path, size).is_ok());
    assert!(parse_bytes(text.as_bytes(), "a.csv", size).is_ok());
    let gz = write(&dir, "exact.csv.gz", &gzip(text.as_bytes()));
    assert!(load_file(&gz, size).is_ok());
    assert_too_large(load_file(&gz, size - 1), "exact.csv.gz", true);
}

/// Run `f` on another thread; a hang (the FIFO case on 2dd64aa) fails instead of blocking.
fn within_10s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("did not return within 10 s"))
}

fn not_regular(path: std::path::PathBuf) -> String {
    let shown = path.display().to_string();
    let msg = within_10s(move || match load_file(&path, DEFAULT_MAX_BYTES) {
        Err(e @ DatasetError::NotRegular { .. }) => e.to_string(),
        Err(e) => panic!("expected NotRegular, got: {e}"),
        Ok(_) => panic!("expected NotRegular, got a dataset"),
    });
    assert!(msg.contains(&shown), "{msg}");
    msg
}

#[cfg(unix)]
#[test]
fn fifos_devices_and_directories_are_refused_before_reading() {
    let dir = tempdir();
    let fifo = dir.path().join("pipe.csv");
    let c_path =
        std::ffi::CString::new(fifo.display().to_string()).unwrap_or_else(|e| panic!("{e}"));
    // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    assert!(not_regular(fifo).contains("FIFO"));
    assert!(not_regular("/dev/zero".into()).contains("device"));
    assert!(not_regular(dir.path().to_path_buf()).contains("directory"));
}
