#![doc = include_str!("../README.md")]

/// Every HEP lossy float scheme, bit for bit: the package `hepfloat-float-bits`.
pub use float_bits as bits;
/// How well a reconstruction matches the original: the package `hepfloat-metrics`.
pub use metrics;
/// Priors, relation groups, neural priors and the gate: the package `hepfloat-models`.
pub use models;
/// Exact preimage intervals and the residual envelope: the package `quant-bounds`.
pub use quant_bounds as bounds;

/// ROOT files into Arrow, Parquet and Arrow IPC out: the package `hep-io`.
#[cfg(feature = "root")]
pub use hep_io as io;

/// Seeded toy events with known laws: the package `hep-toy`.
#[cfg(feature = "toy")]
pub use hep_toy as toy;
