#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod detect;
mod error;
mod float;
mod kernel;
pub mod pack;
pub mod reference;
mod scheme;
pub mod storage;
#[cfg(feature = "proptest")]
pub mod strategies;

pub use detect::{KeptBits, detect_kept_bits, needed_bits};
pub use error::{Error, Result};
pub use float::{Bits, Float};
pub use kernel::Backend;
pub use scheme::{Atlas, Cms, Half, NearestEven, RntupleQuant, RootFloat16, RootRange, Scheme, TowardZero};
