#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod batch;
mod constraint;
mod error;
pub mod evidence;
mod fit;
mod kind;
mod link;
mod model;
pub mod names;
#[cfg(feature = "neural")]
pub mod neural;
mod posterior;
mod prior;
pub mod recover;
mod stored;
mod validate;

pub use constraint::{
    Agreement, Group, INFORMATIVE, JointAtom, MAX_FREE, MAX_JOINT_ATOMS, Relation, Rule, Verdict, constant,
    detect_groups,
};
pub use error::{Error, Result};
pub use fit::{Column, FitOptions, FitRequest, MIN_NEURAL, MIN_VALIDATION, Schemes, candidates};
pub use kind::{Epoch, Kind, Kinds, Method, Progress};
pub use model::{Model, Request};
pub use posterior::Estimate;
pub use prior::{Histogram, Lattice, MAX_LATTICE_POINTS, Prior, Seed};
pub use stored::{
    Choice, ColumnModel, ContainerFile, ContainerModel, FORMAT, FORMAT_VERSION, FieldNorm, MAX_CONTEXT, NetFile,
    NeuralColumn, SchemeSpec, Score,
};
pub use validate::{MAX_FIELDS, MAX_HIDDEN, MAX_HISTOGRAM_BINS};
