//! The neural model families, by name (available without the `neural` feature, so that model
//! files and options can name them).

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A family of neural upsamplers (see [`neural`](crate::neural) for what each one is).
///
/// ```
/// use models::Kind;
/// assert_eq!("flow".parse::<Kind>()?, Kind::Flow);
/// assert_eq!(Kind::FlowMatching.name(), "flow-matching");
/// assert!(!Kind::AutoencoderUnbounded.bounded());
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The bounded two-stage corrector: a link from the context, then an MLP with a sigmoid head.
    #[default]
    Hybrid,
    /// A denoising autoencoder (compressed row in, original out) through a bottleneck, with the
    /// bounded head.
    Autoencoder,
    /// The same autoencoder predicting the standardised value itself, as the 2025 study did:
    /// unbounded, so its outputs may leave the preimage (reported, never chosen by the gate).
    AutoencoderUnbounded,
    /// A conditional variational autoencoder of the position in the interval.
    Vae,
    /// A conditional monotone rational-quadratic spline flow on the position in the interval.
    Flow,
    /// Conditional flow matching: a velocity field carrying uniform noise to the position.
    FlowMatching,
    /// Masked-bit inpainting: a small transformer over the object's fields as tokens (the
    /// value's kept bits and interval, each context field's value) predicting the position of
    /// the dropped bits inside the interval, with the bounded head.
    Inpainting,
}

impl Kind {
    /// Every kind, in the order the gate tries them.
    pub const ALL: [Kind; 7] = [
        Kind::Hybrid,
        Kind::Autoencoder,
        Kind::AutoencoderUnbounded,
        Kind::Vae,
        Kind::Flow,
        Kind::FlowMatching,
        Kind::Inpainting,
    ];

    /// The kind's name in model files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Hybrid => "hybrid",
            Kind::Autoencoder => "autoencoder",
            Kind::AutoencoderUnbounded => "autoencoder-unbounded",
            Kind::Vae => "vae",
            Kind::Flow => "flow",
            Kind::FlowMatching => "flow-matching",
            Kind::Inpainting => "inpainting",
        }
    }

    /// The name of a container network of this kind ([`crate::neural::ContainerNet`]) as a
    /// candidate and a choice: `container-hybrid`, `container-inpainting` (`container` for the
    /// kinds that have no container form).
    ///
    /// ```
    /// assert_eq!(models::Kind::Inpainting.container_name(), "container-inpainting");
    /// ```
    pub fn container_name(self) -> &'static str {
        match self {
            Kind::Hybrid => "container-hybrid",
            Kind::Inpainting => "container-inpainting",
            _ => "container",
        }
    }

    /// Whether every output lies inside its value's preimage by construction.
    pub fn bounded(self) -> bool {
        self != Kind::AutoencoderUnbounded
    }

    /// Whether the model is a distribution of the position, so that it can draw samples.
    pub fn generative(self) -> bool {
        matches!(self, Kind::Vae | Kind::Flow | Kind::FlowMatching)
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Kind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s).ok_or_else(|| {
            let names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
            Error::Parse { what: "model", input: s.into(), expected: names.join(", ") }
        })
    }
}

/// A set of [`Kind`]s (the neural candidates of the gate).
///
/// ```
/// use models::{Kind, Kinds};
/// let k = Kinds::of(&[Kind::Flow, Kind::Hybrid]);
/// assert_eq!(k.iter().collect::<Vec<_>>(), [Kind::Hybrid, Kind::Flow]); // in Kind::ALL's order
/// assert!(Kinds::NONE.is_empty() && !Kinds::BOUNDED.contains(Kind::AutoencoderUnbounded));
/// assert!(Kinds::BOUNDED.contains(Kind::Inpainting) && !Kinds::MLP.contains(Kind::Inpainting));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Kinds(u8);

impl Kinds {
    /// No neural model.
    pub const NONE: Kinds = Kinds(0);
    /// Every bounded kind: those the gate may choose.
    pub const BOUNDED: Kinds = Kinds(0b111_1011);
    /// The bounded kinds built of small MLPs (all but [`Kind::Inpainting`], whose transformer
    /// costs about ten times as much to fit): the CLI's `--neural`.
    pub const MLP: Kinds = Kinds(0b011_1011);

    /// The set of the given kinds.
    pub fn of(kinds: &[Kind]) -> Kinds {
        Kinds(kinds.iter().fold(0, |s, k| s | k.bit()))
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: Kind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The kinds in the set, in [`Kind::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Kind> {
        Kind::ALL.into_iter().filter(move |k| self.contains(*k))
    }
}

/// A candidate of the gate, named so that it can be forced on every column where it applies
/// ([`FitOptions::force`](crate::FitOptions::force)), for comparisons.
///
/// ```
/// use models::{Kind, Method};
/// assert_eq!("histogram".parse::<Method>()?, Method::Histogram);
/// assert_eq!("vae".parse::<Method>()?, Method::Neural(Kind::Vae));
/// assert_eq!(Method::Neural(Kind::Flow).name(), "flow");
/// assert_eq!("container-inpainting".parse::<Method>()?, Method::Container(Kind::Inpainting));
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// The compressed value.
    Identity,
    /// The uniform prior.
    Uniform,
    /// The lattice prior (where the training values lie on one).
    Lattice,
    /// The histogram prior.
    Histogram,
    /// The relation groups' joint posterior (for their members).
    Constraint,
    /// A neural model (where the column has context and enough values).
    Neural(Kind),
    /// A container network ([`Kind::Hybrid`] or [`Kind::Inpainting`]; where the column's
    /// container has another aligned compressed column and enough values).
    Container(Kind),
}

impl Method {
    /// The candidate's name, as in [`Score::prior`](crate::Score::prior).
    pub fn name(self) -> &'static str {
        match self {
            Method::Identity => "identity",
            Method::Uniform => "uniform",
            Method::Lattice => "lattice",
            Method::Histogram => "histogram",
            Method::Constraint => "constraint",
            Method::Neural(k) => k.name(),
            Method::Container(k) => k.container_name(),
        }
    }
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Method> {
        Ok(match s {
            "identity" => Method::Identity,
            "uniform" => Method::Uniform,
            "lattice" => Method::Lattice,
            "histogram" => Method::Histogram,
            "constraint" => Method::Constraint,
            "container-hybrid" => Method::Container(Kind::Hybrid),
            "container-inpainting" => Method::Container(Kind::Inpainting),
            other => Method::Neural(other.parse().map_err(|e| match e {
                Error::Parse { expected, .. } => Error::Parse {
                    what: "method",
                    input: other.into(),
                    expected: format!(
                        "identity, uniform, lattice, histogram, constraint, container-hybrid, container-inpainting, \
                         {expected}"
                    ),
                },
                e => e,
            })?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bounded_set_is_the_bounded_kinds() {
        for k in Kind::ALL {
            assert_eq!(k.name().parse::<Kind>().unwrap(), k);
            assert_eq!(Kinds::BOUNDED.contains(k), k.bounded());
            assert_eq!(Kinds::MLP.contains(k), k.bounded() && k != Kind::Inpainting);
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.name()));
        }
        assert!("nope".parse::<Kind>().is_err());
        for m in ["identity", "uniform", "lattice", "histogram", "constraint", "flow-matching"] {
            assert_eq!(m.parse::<Method>().unwrap().name(), m);
        }
        assert!("nope".parse::<Method>().is_err());
    }
}

/// One finished epoch of a neural fit, as told to a progress callback
/// ([`FitOptions::progress`](crate::FitOptions::progress), `neural::Net::fit_with`).
///
/// ```
/// let e = models::Epoch { kind: models::Kind::Flow, epoch: 3, epochs: 40, train_loss: -0.2, validation_loss: 0.61, best: 0.6 };
/// assert!(e.validation_loss > e.best);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epoch {
    /// The model being fitted.
    pub kind: Kind,
    /// Epochs done (from 1).
    pub epoch: usize,
    /// The most epochs the fit may run (early stopping may end it sooner).
    pub epochs: usize,
    /// The mean training loss of the epoch, in the kind's own units (a negative log-likelihood
    /// for the flow, a weighted squared error for the others).
    pub train_loss: f64,
    /// The validation loss after the epoch: the squared error of the mean estimate, in units of
    /// the mean interval width².
    pub validation_loss: f64,
    /// The lowest validation loss so far (the weights that will be kept).
    pub best: f64,
}

/// A progress callback of fits: called with the column's name and each finished [`Epoch`].
///
/// ```
/// let seen = std::sync::atomic::AtomicUsize::new(0);
/// let tell = |_column: &str, _e: &models::Epoch| {
///     seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
/// };
/// let progress = models::Progress(&tell);
/// let opts = models::FitOptions { progress: Some(progress), ..Default::default() };
/// assert!(opts.progress.is_some());
/// ```
#[derive(Clone, Copy)]
pub struct Progress<'a>(pub &'a (dyn Fn(&str, &Epoch) + Sync));

impl std::fmt::Debug for Progress<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}
