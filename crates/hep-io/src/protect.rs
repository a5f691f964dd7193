//! What protects a Parquet file's data against damage on disk or in transfer, and the check of
//! it: hepfloat's block digest ([`DIGEST_KEY`], written by every Parquet writer of the SDK) is
//! verified here over the whole file; Parquet's own page CRCs (pyarrow's `write_page_checksum`,
//! Spark) are verified by the `parquet` reader page by page as it decodes them, and are only
//! detected here.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use parquet::file::metadata::{PageIndexPolicy, ParquetMetaData, ParquetMetaDataReader};

use crate::error::{Error, Result};
use crate::write::DIGEST_KEY;

/// How a Parquet file's data are protected against damage (see [`verify_parquet`]).
///
/// ```
/// let p = hep_io::Protection { digest_bytes: None, crc_chunks: 3, chunks: 3 };
/// assert!(p.is_protected());
/// assert_eq!(p.to_string(), "Parquet page CRCs (3 of 3 column chunks)");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Protection {
    /// The bytes hepfloat's digest ([`DIGEST_KEY`]) covers, every block of them verified, where
    /// the file has one.
    pub digest_bytes: Option<u64>,
    /// Column chunks whose first page carries a Parquet page CRC (which the `parquet` reader
    /// verifies as it decodes the pages).
    pub crc_chunks: usize,
    /// Column chunks in the file.
    pub chunks: usize,
}

impl Protection {
    /// Whether damage to any column's data would be detected: a digest, or page CRCs in every
    /// column chunk.
    ///
    /// ```
    /// let none = hep_io::Protection { digest_bytes: None, crc_chunks: 0, chunks: 4 };
    /// assert!(!none.is_protected());
    /// ```
    pub fn is_protected(&self) -> bool {
        self.digest_bytes.is_some() || (self.chunks > 0 && self.crc_chunks == self.chunks)
    }
}

impl std::fmt::Display for Protection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.digest_bytes, self.crc_chunks) {
            (Some(n), 0) => write!(f, "hepfloat digest ({DIGEST_KEY}, {n} bytes verified)"),
            (Some(n), c) => write!(
                f,
                "hepfloat digest ({DIGEST_KEY}, {n} bytes verified) and Parquet page CRCs ({c} of {} column chunks)",
                self.chunks
            ),
            (None, 0) => write!(f, "none: damage to the data would go unnoticed"),
            (None, c) => write!(f, "Parquet page CRCs ({c} of {} column chunks)", self.chunks),
        }
    }
}

/// Check the Parquet file at `path` against what protects it: hepfloat's digest, where the file
/// has one, is recomputed over every byte it covers (one sequential read of the data), and a
/// block that differs is an [`Error::Checksum`] naming the column, row group and page it falls
/// in; page CRCs are found (the first page header of each column chunk) for the `parquet`
/// reader to verify as it decodes. A file without either is reported as unprotected, not
/// refused.
///
/// ```
/// use std::sync::Arc;
/// use arrow_array::{Float32Array, RecordBatch};
/// let batch = RecordBatch::try_from_iter([("x", Arc::new(Float32Array::from(vec![1.5f32; 1000])) as _)]).unwrap();
/// let path = std::env::temp_dir().join(format!("hep-io-verify-doc-{}.parquet", std::process::id()));
/// hep_io::write_parquet(&path, arrow_array::RecordBatchIterator::new([Ok(batch.clone())], batch.schema()), &Default::default())?;
/// assert!(hep_io::verify_parquet(&path)?.digest_bytes.is_some());
/// // A byte of the data changed on disk: refused, with where.
/// let mut bytes = std::fs::read(&path)?;
/// bytes[10] ^= 1; // inside the one column chunk
/// std::fs::write(&path, &bytes)?;
/// let e = hep_io::verify_parquet(&path).unwrap_err();
/// assert!(matches!(e, hep_io::Error::Checksum { row_group: 0, .. }), "{e}");
/// std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn verify_parquet(path: impl AsRef<Path>) -> Result<Protection> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let io = |e: std::io::Error| Error::Io { path: shown.clone(), source: e };
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let meta = ParquetMetaDataReader::new()
        .with_offset_index_policy(PageIndexPolicy::Optional)
        .parse_and_finish(&file)
        .map_err(|e| Error::Malformed { what: "Parquet footer", offset: len, detail: format!("{shown}: {e}") })?;
    let chunks = meta.row_groups().iter().map(|g| g.num_columns()).sum();
    let crc_chunks = page_crc_chunks(&file, &meta).map_err(io)?;
    let digest = meta
        .file_metadata()
        .key_value_metadata()
        .and_then(|kv| kv.iter().find(|k| k.key == DIGEST_KEY))
        .and_then(|k| k.value.clone());
    let digest_bytes = match digest {
        None => None,
        Some(text) => Some(check_digest(&file, &shown, len, &meta, &text)?),
    };
    Ok(Protection { digest_bytes, crc_chunks, chunks })
}

/// Verify the digest `text` ([`DIGEST_KEY`]) of `file`; the bytes it covers.
fn check_digest(file: &File, shown: &str, len: u64, meta: &ParquetMetaData, text: &str) -> Result<u64> {
    let bad = |detail: String| Error::Malformed { what: "Parquet checksum metadata", offset: len, detail };
    let mut words = text.split(' ');
    let (version, block, bytes, crcs) = (words.next(), words.next(), words.next(), words.next().unwrap_or(""));
    let number = |w: Option<&str>, key: &str| {
        w.and_then(|w| w.strip_prefix(key))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| bad(format!("{text:.80}")))
    };
    if version != Some("v1") || words.next().is_some() {
        return Err(bad(format!("{DIGEST_KEY} {text:.80}: not a version 1 digest")));
    }
    let (block, bytes) = (number(block, "block=")?, number(bytes, "bytes=")?);
    if !(4096..=1 << 24).contains(&block) || bytes > len {
        return Err(bad(format!("{DIGEST_KEY}: blocks of {block} bytes over {bytes} bytes of a {len}-byte file")));
    }
    let blocks = bytes.div_ceil(block);
    if crcs.len() as u64 != blocks * 8 || !crcs.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad(format!("{DIGEST_KEY}: {} hex digits for {blocks} blocks", crcs.len())));
    }
    let io = |e: std::io::Error| Error::Io { path: shown.to_string(), source: e };
    let mut reader = BufReader::with_capacity(1 << 20, file);
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut buf = vec![0u8; block as usize];
    for i in 0..blocks {
        let start = i * block;
        let n = (bytes - start).min(block) as usize;
        reader.read_exact(&mut buf[..n]).map_err(io)?;
        let want =
            u32::from_str_radix(&crcs[i as usize * 8..i as usize * 8 + 8], 16).map_err(|e| bad(e.to_string()))?;
        if crc32fast::hash(&buf[..n]) != want {
            let end = start + n as u64;
            let (column, row_group, page) = locate(meta, start, end);
            return Err(Error::Checksum { file: shown.to_string(), start, end, column, row_group, page });
        }
    }
    Ok(bytes)
}

/// The columns (names, the row group of the first) and the first page holding bytes
/// `start..end`, as the footer and offset index place them.
fn locate(meta: &ParquetMetaData, start: u64, end: u64) -> (String, usize, Option<u64>) {
    let overlaps = |a: u64, b: u64| a < end && b > start;
    let mut found: Vec<(String, usize, Option<u64>)> = Vec::new();
    for (g, group) in meta.row_groups().iter().enumerate() {
        for (c, chunk) in group.columns().iter().enumerate() {
            let (a, n) = chunk.byte_range();
            if !overlaps(a, a.saturating_add(n)) {
                continue;
            }
            let pages = meta.page_index_for_row_group(g);
            let page = pages
                .page_locations(c)
                .and_then(|locations| {
                    locations.iter().find(|p| {
                        let a = u64::try_from(p.offset).unwrap_or(0);
                        overlaps(a, a.saturating_add(u64::try_from(p.compressed_page_size).unwrap_or(0)))
                    })
                })
                .and_then(|p| u64::try_from(p.offset).ok());
            found.push((chunk.column_path().string(), g, page));
        }
    }
    let Some((_, row_group, page)) = found.first().cloned() else {
        return ("(none: the file's header)".to_string(), 0, None);
    };
    let names: Vec<&str> = found.iter().take(3).map(|f| f.0.as_str()).collect();
    let more = if found.len() > 3 { format!(" and {} more", found.len() - 3) } else { String::new() };
    (format!("{}{more}", names.join(", ")), row_group, page)
}

/// Column chunks whose first page header declares a CRC (Thrift compact `PageHeader`, field 4).
fn page_crc_chunks(file: &File, meta: &ParquetMetaData) -> std::io::Result<usize> {
    let mut reader = BufReader::with_capacity(256, file);
    let mut n = 0;
    for group in meta.row_groups() {
        for chunk in group.columns() {
            let at = chunk.dictionary_page_offset().unwrap_or(chunk.data_page_offset());
            let Ok(at) = u64::try_from(at) else { continue };
            reader.seek(SeekFrom::Start(at))?;
            let mut head = Vec::with_capacity(64);
            reader.by_ref().take(64).read_to_end(&mut head)?;
            n += usize::from(declares_crc(&head));
        }
    }
    Ok(n)
}

/// Whether a Thrift compact `PageHeader` at the start of `bytes` has its field 4 (`crc`): fields
/// 1 to 3 are `i32`s (type, sizes), each a zig-zag varint after its field header.
fn declares_crc(bytes: &[u8]) -> bool {
    let mut at = 0;
    let mut id = 0i32;
    let varint = |at: &mut usize| -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *bytes.get(*at)?;
            *at += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    };
    for _ in 0..4 {
        let Some(&h) = bytes.get(at) else { return false };
        at += 1;
        if h == 0 {
            return false; // end of the struct
        }
        let (delta, kind) = (i32::from(h >> 4), h & 0x0f);
        id = if delta != 0 {
            id + delta
        } else {
            match varint(&mut at) {
                Some(z) => ((z >> 1) as i32) ^ -((z & 1) as i32),
                None => return false,
            }
        };
        if id == 4 {
            return kind == 5;
        }
        // Only `i32` and `i64` fields come before it.
        if id > 4 || !matches!(kind, 5 | 6) || varint(&mut at).is_none() {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::declares_crc;

    /// Compact Thrift page headers: type 0 (DATA_PAGE), sizes 100 and 80, with and without a
    /// CRC; a long-form field header; cut short.
    #[test]
    fn page_header_crc_fields_are_found() {
        // Field 1 (delta 1, i32): zig-zag 0; field 2: 200 = 100 zig-zag (0xc8 0x01); field 3: 160.
        let without = [0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0xa0, 0x01, 0x2c];
        assert!(!declares_crc(&without));
        let mut with = without[..8].to_vec();
        with.extend([0x15, 0x8e, 0x9a, 0x02]); // field 4, i32
        assert!(declares_crc(&with));
        // Field 4 written with an explicit id (delta 0, zig-zag i16 8).
        let mut long = without[..8].to_vec();
        long.extend([0x05, 0x08, 0x02]);
        assert!(declares_crc(&long));
        assert!(!declares_crc(&with[..3]));
        assert!(!declares_crc(&[]));
    }
}
