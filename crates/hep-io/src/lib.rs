#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod compression;
mod cursor;
mod error;
mod file;

pub use compression::Codec;
pub use error::{Error, Result};
pub use file::{Header, Key, Limits, RootFile};
