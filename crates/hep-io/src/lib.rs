#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod compression;
mod cursor;
mod decode;
mod error;
mod events;
mod file;
mod lossy;
mod object;
mod protect;
mod rntuple;
mod source;
mod tree;
mod types;
mod write;

pub use compression::Codec;
pub use error::{Error, Result};
pub use events::read;
pub use file::{Header, Key, Limits, ONE_BLOCK, RootFile};
pub use lossy::{Packing, SCHEME_KEY, UPSAMPLED_FROM_KEY, scheme_of, upsampled_from, with_scheme};
pub use object::{StreamerElement, StreamerInfo};
pub use protect::{Protection, verify_parquet};
pub use rntuple::{RField, RNTuple};
pub use tree::{BasketStorage, BatchReader, Batches, Branch, DamagedBranch, Selection, Tree, Unreadable, glob_match};
pub use types::{ColumnType, Dims, Layout, Primitive};
pub use write::{DIGEST_KEY, ParquetOptions, ParquetWriter, WriteSummary, write_ipc, write_parquet, write_parquet_to};
