#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod error;
mod pointwise;
mod sum;
mod value;

pub use error::{Error, Result};
pub use pointwise::{Coverage, Pointwise};
pub use sum::Sum;
pub use value::Value;
