#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod error;
mod gate;
mod posterior;
mod prior;

pub use error::{Error, Result};
pub use gate::{ColumnModel, FORMAT, FORMAT_VERSION, FitOptions, Model, SchemeSpec, Score, candidates};
pub use posterior::Estimate;
pub use prior::{Histogram, Lattice, MAX_LATTICE_POINTS, Prior, Seed};
