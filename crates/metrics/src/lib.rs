#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

mod compare;
mod distribution;
mod error;
mod observable;
mod pointwise;
mod sum;
mod value;

pub use compare::{CompareOptions, Comparison, Row};
pub use distribution::{
    Edges, Histogram, KsTest, MAX_BINS, Scale, js_divergence, kl_divergence, ks_two_sample, wasserstein1,
};
pub use error::{Error, Result};
pub use observable::{Arity, Cut, Flips, Observable, ObservableFn, ObservableReport, Shift, Tally};
pub use pointwise::{Coverage, Pointwise};
pub use sum::Sum;
pub use value::Value;
