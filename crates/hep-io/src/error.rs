//! The crate's error type: every failure names the file offset (and the structure) involved.

use crate::DIGEST_KEY;

/// What can go wrong reading a ROOT file. Every variant says what was being read and where.
///
/// ```
/// let e = hep_io::RootFile::from_bytes(b"nope".to_vec()).unwrap_err();
/// assert!(matches!(e, hep_io::Error::BadMagic { offset: 0, .. }));
/// assert!(e.to_string().contains("offset 0"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the file itself failed.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating-system error.
        #[source]
        source: std::io::Error,
    },
    /// The file does not start with the ROOT magic `root`.
    #[error("not a ROOT file: bytes at offset {offset} are {found:?}, expected \"root\"")]
    BadMagic {
        /// Where the magic was expected.
        offset: u64,
        /// What was there.
        found: Vec<u8>,
    },
    /// A structure runs past the end of the file (or of its enclosing record).
    #[error("truncated {what} at offset {offset}: needs {need} bytes, {have} available")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Its offset in the file.
        offset: u64,
        /// Bytes needed.
        need: u64,
        /// Bytes available.
        have: u64,
    },
    /// A field holds a value that cannot be right (negative length, pointer outside the file…).
    #[error("malformed {what} at offset {offset}: {detail}")]
    Malformed {
        /// The structure being read.
        what: &'static str,
        /// Its offset in the file.
        offset: u64,
        /// What is wrong.
        detail: String,
    },
    /// A compressed block uses an algorithm this reader does not know.
    #[error("unknown compression algorithm {tag:?} in the block at offset {offset}")]
    UnknownCodec {
        /// The block's offset in the file.
        offset: u64,
        /// Its two-byte tag.
        tag: [u8; 2],
    },
    /// A codec rejected a block, or produced a different size than the header says.
    #[error("{codec} block at offset {offset}: {detail}")]
    Decompression {
        /// The block's offset in the file.
        offset: u64,
        /// The codec.
        codec: &'static str,
        /// What went wrong.
        detail: String,
    },
    /// A size from the file exceeds a configured limit ([`Limits`](crate::Limits)).
    #[error("{what} at offset {offset} declares {size} bytes, above the limit of {limit}")]
    LimitExceeded {
        /// The structure being read.
        what: &'static str,
        /// Its offset in the file.
        offset: u64,
        /// The declared size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// No key of that name.
    #[error("no key named {0:?}")]
    NoSuchKey(String),
    /// No TTree or RNTuple of the file holds event data: only bookkeeping ones (`found`).
    #[error("no event TTree or RNTuple (only metadata: {found:?})")]
    NoEventData {
        /// The trees and RNTuples of the file.
        found: Vec<String>,
    },
    /// Several TTrees or RNTuples could hold the event data; open one by name.
    #[error("several trees and RNTuples could hold the events: {}", candidates.join(", "))]
    SeveralEventData {
        /// Those that are not bookkeeping.
        candidates: Vec<String>,
    },
    /// A structure this reader recognises but does not read (a class version, an algorithm).
    #[error("unsupported {what} at offset {offset}: {detail}")]
    Unsupported {
        /// The structure.
        what: &'static str,
        /// Its offset in the file.
        offset: u64,
        /// What it is.
        detail: String,
    },
    /// No branch of that name, or no branch matching that glob.
    #[error("no branch matches {0:?}")]
    NoSuchBranch(String),
    /// A selected branch has a type this reader does not decode.
    #[error("branch {branch}: unsupported type ({detail}); skip it with select_supported")]
    UnsupportedBranch {
        /// The branch.
        branch: String,
        /// Its type, and why.
        detail: String,
    },
    /// An entry range outside the tree or branch.
    #[error("entry range {start}..{end} is outside 0..{entries}")]
    BadRange {
        /// First entry asked for.
        start: u64,
        /// One past the last entry asked for.
        end: u64,
        /// Entries available.
        entries: u64,
    },
    /// Writing an output failed (the encoder refused a setting or a batch, or the sink failed).
    #[error("writing {format}{}: {source}", path.as_ref().map(|p| format!(" file {p}")).unwrap_or_default())]
    Write {
        /// The file (`None` for a sink that is not one).
        path: Option<String>,
        /// The format (`Parquet`, `Arrow IPC`).
        format: &'static str,
        /// The encoder's or the sink's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A batch source given to a writer failed (an error that is not one of this crate's, which
    /// are passed on as they are).
    #[error("the input batches: {0}")]
    Input(#[source] arrow_schema::ArrowError),
    /// An error reading one branch (and basket), with the cause.
    #[error(
        "branch {branch}{} (offset {offset}): {source}",
        basket.map(|b| format!(", basket {b}")).unwrap_or_default()
    )]
    InBranch {
        /// The branch.
        branch: String,
        /// The basket index, when one was involved.
        basket: Option<usize>,
        /// File offset of the basket's key when a basket was involved; for an RNTuple field,
        /// of the damage its cause found (a page, an envelope); else of the branch record.
        offset: u64,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    /// A selected branch of a type this reader decodes cannot be read: the file is damaged
    /// there (see [`Unreadable::Damaged`](crate::Unreadable::Damaged)).
    #[error("{0}; skip damaged branches with select_readable")]
    DamagedBranch(crate::DamagedBranch),
    /// Bytes of a Parquet file that no longer match the checksum its writer stored (hepfloat's
    /// digest, [`crate::DIGEST_KEY`]): the data changed since it was written.
    #[error(
        "{file} is damaged at bytes {start}..{end} (columns {column}, row group {row_group}{}): they fail their checksum ({DIGEST_KEY}), so the file no longer holds what was written",
        page.map(|p| format!(", the page at offset {p}")).unwrap_or_default()
    )]
    Checksum {
        /// The file.
        file: String,
        /// Start of the block that fails its checksum.
        start: u64,
        /// End of that block.
        end: u64,
        /// The columns whose data the block holds (up to three named, then how many more).
        column: String,
        /// The row group (of the first of those columns).
        row_group: usize,
        /// The first page the block falls in, where the file has an offset index.
        page: Option<u64>,
    },
    /// A number read from the file overflows when combined with another (a size plus an
    /// offset, a count times an item size…).
    #[error("{what} at offset {offset} overflows: {detail}")]
    Overflow {
        /// The structure being read.
        what: &'static str,
        /// Its offset in the file.
        offset: u64,
        /// The arithmetic that overflowed.
        detail: String,
    },
    /// A column's [`SCHEME_KEY`](crate::SCHEME_KEY) metadata is not a valid scheme.
    #[error("column {column}: its scheme metadata {text:?} is not a valid scheme: {detail}")]
    BadScheme {
        /// The column (Arrow field name).
        column: String,
        /// The metadata text.
        text: String,
        /// Why it does not parse.
        detail: String,
    },
}

impl Error {
    /// The file offset the error points at, where it has one: the damaged page, basket, block
    /// or record (for [`Error::InBranch`], that of its cause where the cause has one).
    ///
    /// ```
    /// let e = hep_io::RootFile::from_bytes(b"nope".to_vec()).unwrap_err();
    /// assert_eq!(e.offset(), Some(0));
    /// assert_eq!(hep_io::Error::NoSuchBranch("x".into()).offset(), None);
    /// ```
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::BadMagic { offset, .. }
            | Error::Truncated { offset, .. }
            | Error::Malformed { offset, .. }
            | Error::UnknownCodec { offset, .. }
            | Error::Decompression { offset, .. }
            | Error::LimitExceeded { offset, .. }
            | Error::Unsupported { offset, .. }
            | Error::Overflow { offset, .. } => Some(*offset),
            Error::InBranch { offset, source, .. } => source.offset().or(Some(*offset)),
            Error::Checksum { start, .. } => Some(*start),
            Error::DamagedBranch(d) => Some(d.offset),
            _ => None,
        }
    }
}

/// An error of this crate seen through Arrow (a [`RecordBatchReader`](arrow_array::RecordBatchReader)
/// yields Arrow errors): wrapped as an external error, which the writers of this crate unwrap
/// again.
///
/// ```
/// let e: arrow_schema::ArrowError = hep_io::Error::NoSuchBranch("x".into()).into();
/// assert!(matches!(e, arrow_schema::ArrowError::ExternalError(_)));
/// ```
impl From<Error> for arrow_schema::ArrowError {
    fn from(e: Error) -> Self {
        arrow_schema::ArrowError::ExternalError(Box::new(e))
    }
}

/// `Result` with this crate's [`Error`].
///
/// ```
/// fn f() -> hep_io::Result<()> { Ok(()) }
/// assert!(f().is_ok());
/// ```
pub type Result<T, E = Error> = core::result::Result<T, E>;
