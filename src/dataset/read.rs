//! Bytes of a dataset file or attachment, bounded: gzip data (by its magic bytes) is inflated
//! member after member (`cat a.gz b.gz` is one valid gzip file, as `zcat` reads it), and neither
//! a plain file nor inflated data may exceed the caller's limit (`IMPORT_MAX_MB`). Decompression
//! streams through that limit, so a gzip bomb costs at most the limit in memory, never more.
//! Only regular files are read: a FIFO would block forever and `/dev/zero` never ends.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::DatasetError;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Inflate gzip bytes (by magic), else borrow them; either way at most `max_bytes` of data.
pub fn inflate_if_needed<'a>(
    bytes: &'a [u8],
    source: &str,
    max_bytes: u64,
) -> Result<Cow<'a, [u8]>, DatasetError> {
    if !bytes.starts_with(&GZIP_MAGIC) {
        if bytes.len() as u64 > max_bytes {
            return Err(too_large(source, max_bytes, false));
        }
        return Ok(Cow::Borrowed(bytes));
    }
    let capacity = bytes.len().saturating_mul(4);
    inflate(bytes, capacity, source, max_bytes).map(Cow::Owned)
}

/// Read a regular file, inflating gzip data (by magic, whatever the extension).
pub fn read_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, DatasetError> {
    let source = path.display().to_string();
    let io = |error: std::io::Error| DatasetError::Io {
        source_name: source.clone(),
        error,
    };
    // Checked before opening (opening a FIFO for reading waits for a writer), and again on the
    // opened file in case the path was replaced in between.
    check_regular(&std::fs::metadata(path).map_err(io)?, &source)?;
    let file = open_nonblocking(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    check_regular(&meta, &source)?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    if reader.fill_buf().map_err(io)?.starts_with(&GZIP_MAGIC) {
        let capacity = (meta.len().saturating_mul(4)).min(max_bytes) as usize;
        return inflate(reader, capacity, &source, max_bytes);
    }
    if meta.len() > max_bytes {
        return Err(too_large(&source, max_bytes, false));
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    // The limit again: the file may have grown since it was measured.
    reader
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(io)?;
    if out.len() as u64 > max_bytes {
        return Err(too_large(&source, max_bytes, false));
    }
    Ok(out)
}

/// Inflate every gzip member of `input`, stopping one byte past `max_bytes`.
fn inflate(
    input: impl BufRead,
    capacity: usize,
    source: &str,
    max_bytes: u64,
) -> Result<Vec<u8>, DatasetError> {
    let mut out = Vec::with_capacity(capacity.min(max_bytes as usize));
    MultiGzDecoder::new(input)
        .take(max_bytes.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| DatasetError::NotCsv {
            source_name: source.to_string(),
            reason: format!("gzip data that cannot be decompressed ({e}); is the file complete?"),
        })?;
    if out.len() as u64 > max_bytes {
        return Err(too_large(source, max_bytes, true));
    }
    Ok(out)
}

fn check_regular(meta: &std::fs::Metadata, source: &str) -> Result<(), DatasetError> {
    if meta.is_file() {
        return Ok(());
    }
    let kind = if meta.is_dir() {
        "a directory"
    } else {
        special_kind(meta)
    };
    Err(DatasetError::NotRegular {
        source_name: source.to_string(),
        kind,
    })
}

#[cfg(unix)]
fn special_kind(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::Metadata) -> &'static str {
    "not a regular file"
}

/// Open for reading without blocking on a FIFO (regular files ignore O_NONBLOCK).
#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

fn too_large(source: &str, max_bytes: u64, inflated: bool) -> DatasetError {
    DatasetError::TooLarge {
        source_name: source.to_string(),
        limit: show_size(max_bytes),
        inflated,
    }
}

/// `256 MB`, or bytes below one MB (tests use small limits).
fn show_size(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB && bytes % MB == 0 {
        format!("{} MB", bytes / MB)
    } else {
        format!("{bytes} bytes")
    }
}
