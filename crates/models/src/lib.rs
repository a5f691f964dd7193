#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod batch;
mod constraint;
mod error;
mod gate;
mod kind;
pub mod names;
#[cfg(feature = "neural")]
pub mod neural;
mod posterior;
mod prior;
mod validate;

pub use constraint::{Agreement, Group, MAX_FREE, Relation, Rule, detect_groups};
pub use error::{Error, Result};
pub use gate::{
    ColumnModel, FORMAT, FORMAT_VERSION, FitOptions, MAX_CONTEXT, MIN_NEURAL, MIN_VALIDATION, Model, NetFile,
    NeuralColumn, SchemeSpec, Schemes, Score, candidates,
};
pub use kind::{Epoch, Kind, Kinds, Method, Progress};
pub use posterior::Estimate;
pub use prior::{Histogram, Lattice, MAX_LATTICE_POINTS, Prior, Seed};
pub use validate::{MAX_HIDDEN, MAX_HISTOGRAM_BINS};
