//! `gdbot add --manifest FILE.csv`: rows of `url,title,publish_date,file` (an optional `length`
//! column too), file paths relative to the manifest. Every row is checked (errors name the line
//! and column) and no file is read here; `load_all` then reads and parses every listed file,
//! collecting each one's problem, so one run reports everything that is wrong.

use std::{collections::HashMap, path::Path, path::PathBuf};

use super::{
    episode_file::{check_meta, load_episode, EpisodeFileError, EpisodeMeta},
    fields, read, sniff, Episode,
};

/// Problems listed before giving up (the rest are counted).
const MAX_PROBLEMS: usize = 50;

/// One row of a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// 1-based line of the row in the manifest.
    pub line: u64,
    pub meta: EpisodeMeta,
    /// The episode's file, resolved against the manifest's directory.
    pub file: PathBuf,
}

/// Read and check a manifest (a regular file of at most `max_bytes`).
pub fn read_manifest(path: &Path, max_bytes: u64) -> Result<Vec<ManifestEntry>, EpisodeFileError> {
    let name = path.display().to_string();
    let bytes = read::read_file(path, max_bytes)?;
    let text = sniff::to_text(&bytes, &name)?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse_manifest(text, &name, base)
}

fn parse_manifest(
    text: &str,
    name: &str,
    base: &Path,
) -> Result<Vec<ManifestEntry>, EpisodeFileError> {
    let problem = |line: u64, column: &str, message: String| EpisodeFileError::Manifest {
        manifest: name.to_string(),
        line,
        column: column.to_string(),
        message,
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| problem(1, "*", format!("not a CSV file ({e})")))?
        .iter()
        .map(sniff::normalize_name)
        .collect();
    let column = |n: &str| header.iter().position(|h| h == n);
    let required = |n: &str| {
        column(n).ok_or_else(|| {
            problem(
                1,
                n,
                "missing column; a manifest has the columns url,title,publish_date,file"
                    .to_string(),
            )
        })
    };
    let (url, title, file) = (required("url")?, required("title")?, required("file")?);
    let (date, length) = (column("publish_date"), column("length"));
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    // csv's own line numbers skip blank lines; count physical lines instead.
    let mut lines = sniff::LineCounter::new(text.as_bytes(), 1);
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            problem(line, "*", format!("not a valid CSV row ({e})"))
        })?;
        let byte = record.position().map_or(0, |p| p.byte() as usize);
        let (_, line) = lines.record_start(byte);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != header.len() {
            let message = format!(
                "the row has {} fields, expected {} (as in the header)",
                record.len(),
                header.len()
            );
            problems.push(problem(line, "*", message));
            continue;
        }
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
        let length_s = match get(length) {
            "" => None,
            t => match fields::whole_number(t) {
                Ok(n) => Some(n),
                Err(e) => {
                    problems.push(problem(
                        line,
                        "length",
                        format!("{e}; expected whole seconds"),
                    ));
                    continue;
                }
            },
        };
        let meta = EpisodeMeta {
            url: get(Some(url)).to_string(),
            title: get(Some(title)).to_string(),
            publish_date: Some(get(date)).filter(|d| !d.is_empty()).map(String::from),
            length_s,
        };
        if let Err((field, message)) = check_meta(&meta) {
            problems.push(problem(line, field.column(), message));
            continue;
        }
        let path = get(Some(file));
        if path.is_empty() {
            problems.push(problem(line, "file", "no file given".to_string()));
            continue;
        }
        for key in [meta.url.clone(), fields::episode_id(&meta.url)] {
            if let Some(first) = seen.insert(key.clone(), line) {
                problems.push(problem(
                    line,
                    "url",
                    format!("`{key}` is already on line {first}; each episode may be listed once"),
                ));
            }
        }
        entries.push(ManifestEntry {
            line,
            meta,
            file: base.join(path),
        });
    }
    if !problems.is_empty() {
        return Err(several(problems));
    }
    if entries.is_empty() {
        return Err(problem(1, "*", "the manifest lists no files".to_string()));
    }
    Ok(entries)
}

/// Read and parse every listed file (each at most `max_bytes`), reporting every file's problem.
/// Files are parsed on all cores (contiguous shares of the list; results kept in order).
pub fn load_all(
    entries: &[ManifestEntry],
    max_bytes: u64,
) -> Result<(Vec<Episode>, Vec<String>), EpisodeFileError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let share = entries.len().div_ceil(threads).max(1);
    let loaded: Vec<_> = std::thread::scope(|s| {
        let parts: Vec<_> = entries
            .chunks(share)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|e| load_episode(&e.file, &e.meta, max_bytes))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let mut episodes = Vec::with_capacity(entries.len());
    let mut warnings = Vec::new();
    let mut problems = Vec::new();
    for (entry, result) in entries.iter().zip(loaded) {
        match result {
            Ok((ep, w)) => {
                let name = entry.file.display();
                warnings.extend(w.into_iter().map(|w| format!("{name}: {w}")));
                episodes.push(ep);
            }
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(several(problems));
    }
    Ok((episodes, warnings))
}

/// One problem as itself, several as a list (capped).
fn several(mut problems: Vec<EpisodeFileError>) -> EpisodeFileError {
    if problems.len() == 1 {
        return problems.remove(0);
    }
    let more = problems.len().saturating_sub(MAX_PROBLEMS);
    problems.truncate(MAX_PROBLEMS);
    if more > 0 {
        problems.push(EpisodeFileError::File {
            source_name: "…".to_string(),
            message: format!("and {more} more problem(s)"),
        });
    }
    EpisodeFileError::Several(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<ManifestEntry>, EpisodeFileError> {
        parse_manifest(text, "m.csv", Path::new("/data"))
    }

    #[test]
    fn rows_become_entries_with_paths_beside_the_manifest() {
        let entries = parse(
            "url,title,publish_date,file\n\
             https://youtu.be/abc,First,2024-01-02,a.vtt\n\
             \n\
             https://example.org/2,\"Second, with comma\",,sub/b.srt\n",
        )
        .unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].line, 2);
        assert_eq!(entries[0].file, Path::new("/data/a.vtt"));
        assert_eq!(entries[0].meta.publish_date.as_deref(), Some("2024-01-02"));
        assert_eq!(entries[1].line, 4);
        assert_eq!(entries[1].meta.title, "Second, with comma");
        assert_eq!(entries[1].meta.publish_date, None);
        assert_eq!(entries[1].file, Path::new("/data/sub/b.srt"));
    }

    #[test]
    fn every_bad_row_is_named_by_line_and_column() {
        let e = parse(
            "url,title,publish_date,file\n\
             ftp://x,A,2024-01-02,a.vtt\n\
             https://a.b/1,,2024-01-02,b.vtt\n\
             https://a.b/2,C,2024-02-30,c.vtt\n\
             https://a.b/3,D,,\n\
             https://youtu.be/abc,E,,e.vtt\n\
             https://www.youtube.com/watch?v=abc,F,,f.vtt\n",
        )
        .unwrap_err()
        .to_string();
        for needle in [
            "m.csv: line 2, column `url`: \"ftp://x\" is not an http(s) URL",
            "m.csv: line 3, column `title`: the title is empty",
            "m.csv: line 4, column `publish_date`: \"2024-02-30\" has day 30",
            "m.csv: line 5, column `file`: no file given",
            "m.csv: line 7, column `url`: `abc` is already on line 6",
        ] {
            assert!(e.contains(needle), "{needle} in:\n{e}");
        }
        let e = parse("url,title\nhttps://a.b/1,A\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 1, column `file`: missing column"), "{e}");
        let e = parse("url,title,file\n").unwrap_err().to_string();
        assert!(e.contains("lists no files"), "{e}");
    }
}
