#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod classify;
mod envelope;
mod error;
pub mod interval;
mod preimage;

pub use classify::{ClaimCheck, Classification, check_claim, classify};
pub use envelope::{Envelope, envelope, expected_log10_residual_histogram, max_abs_residual};
pub use error::{Error, Result};
pub use interval::Interval;
pub use preimage::{preimage, preimages, preimages_with};
