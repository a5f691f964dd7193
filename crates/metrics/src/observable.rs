//! Physics observables: quantities derived from several columns of one object, or of the first
//! two objects of one event, computed on the original, the compressed and the upsampled values
//! side by side, with the decisions of a cut on them.
//!
//! A column's MSE says how close the numbers are; an analysis asks whether its selection keeps
//! the same objects and whether a mass peak moves. An [`Observable`] is a function of columns
//! (declared by the user, or built in by a front end); a [`Tally`] accumulates it over batches
//! of the three versions of the data and reports ([`ObservableReport`]) the shift of its mean
//! and width, the distance between its distributions, and, with a [`Cut`], the **decision
//! flips**: objects whose decision compression changed, how many of those upsampling put back,
//! and how many new ones upsampling caused.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::sum::Sum;
use crate::{Edges, Histogram, Scale, kl_divergence, ks_two_sample};

/// What an observable is a function of.
///
/// ```
/// assert_ne!(metrics::Arity::Object, metrics::Arity::Pair);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arity {
    /// The columns of one object (one row of a container).
    Object,
    /// The columns of the first two objects of an event (the function gets the first object's
    /// values, then the second's); events with fewer objects contribute nothing.
    Pair,
}

/// A decision on an observable's value: `value > threshold` (`above`) or `value < threshold`.
/// A value that is not a number fails every cut.
///
/// ```
/// let iso = metrics::Cut::below(0.15, "user: ptvarcone30 / pt < 0.15");
/// assert!(iso.passes(0.1) && !iso.passes(0.2) && !iso.passes(f64::NAN));
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Cut {
    /// The threshold.
    pub threshold: f64,
    /// Whether values above the threshold pass (else values below it).
    pub above: bool,
    /// Where the threshold comes from, in words (a publication, a recommendation, the user).
    pub source: String,
}

impl Cut {
    /// Pass where `value > threshold`.
    ///
    /// ```
    /// assert!(metrics::Cut::above(2.0, "user").passes(2.5));
    /// ```
    pub fn above(threshold: f64, source: impl Into<String>) -> Cut {
        Cut { threshold, above: true, source: source.into() }
    }

    /// Pass where `value < threshold`.
    ///
    /// ```
    /// assert!(metrics::Cut::below(2.0, "user").passes(1.5));
    /// ```
    pub fn below(threshold: f64, source: impl Into<String>) -> Cut {
        Cut { threshold, above: false, source: source.into() }
    }

    /// The decision on `value`.
    ///
    /// ```
    /// assert!(!metrics::Cut::above(2.0, "user").passes(2.0));
    /// ```
    pub fn passes(&self, value: f64) -> bool {
        if self.above { value > self.threshold } else { value < self.threshold }
    }
}

/// The function of an [`Observable`].
pub type ObservableFn = Arc<dyn Fn(&[f64]) -> f64 + Send + Sync>;

/// A quantity derived from columns, optionally with a [`Cut`].
///
/// ```
/// use metrics::{Arity, Cut, Observable};
/// // The invariant mass of the first two truth electrons of each event.
/// let cols = ["px", "py", "pz", "e"].map(|v| format!("TruthElectrons.{v}"));
/// let mass = Observable::pair("m_ee", cols, |v| {
///     let (px, py, pz, e) = (v[0] + v[4], v[1] + v[5], v[2] + v[6], v[3] + v[7]);
///     (e * e - px * px - py * py - pz * pz).max(0.0).sqrt()
/// });
/// assert_eq!((mass.arity(), mass.columns().len()), (Arity::Pair, 4));
/// let z = mass.with_cut(Cut::above(60e3, "user: m_ee > 60 GeV"));
/// assert!(z.cut().is_some());
/// ```
#[derive(Clone)]
pub struct Observable {
    name: String,
    columns: Vec<String>,
    arity: Arity,
    f: ObservableFn,
    cut: Option<Cut>,
}

impl std::fmt::Debug for Observable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observable")
            .field("name", &self.name)
            .field("columns", &self.columns)
            .field("arity", &self.arity)
            .field("cut", &self.cut)
            .finish_non_exhaustive()
    }
}

impl Observable {
    /// A function of the columns of one object: `f` gets the object's values of `columns`, in
    /// that order.
    ///
    /// ```
    /// let iso = metrics::Observable::object("iso", ["mu.ptvarcone30", "mu.pt"], |v| v[0] / v[1]);
    /// assert_eq!(iso.value(&[3.0, 30.0]), 0.1);
    /// ```
    pub fn object<S: Into<String>>(
        name: impl Into<String>,
        columns: impl IntoIterator<Item = S>,
        f: impl Fn(&[f64]) -> f64 + Send + Sync + 'static,
    ) -> Observable {
        Observable {
            name: name.into(),
            columns: columns.into_iter().map(Into::into).collect(),
            arity: Arity::Object,
            f: Arc::new(f),
            cut: None,
        }
    }

    /// A function of the first two objects of an event: `f` gets the first object's values of
    /// `columns`, then the second's.
    ///
    /// ```
    /// let dphi = metrics::Observable::pair("dphi", ["j.phi"], |v| (v[0] - v[1]).abs());
    /// assert_eq!(dphi.value(&[0.5, 2.0]), 1.5);
    /// ```
    pub fn pair<S: Into<String>>(
        name: impl Into<String>,
        columns: impl IntoIterator<Item = S>,
        f: impl Fn(&[f64]) -> f64 + Send + Sync + 'static,
    ) -> Observable {
        Observable { arity: Arity::Pair, ..Observable::object(name, columns, f) }
    }

    /// The same observable with a cut on its value.
    ///
    /// ```
    /// let o = metrics::Observable::object("x", ["x"], |v| v[0]).with_cut(metrics::Cut::above(1.0, "user"));
    /// assert_eq!(o.cut().unwrap().threshold, 1.0);
    /// ```
    pub fn with_cut(mut self, cut: Cut) -> Observable {
        self.cut = Some(cut);
        self
    }

    /// The name.
    ///
    /// ```
    /// assert_eq!(metrics::Observable::object("x", ["x"], |v| v[0]).name(), "x");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The columns it reads (per object).
    ///
    /// ```
    /// assert_eq!(metrics::Observable::object("x", ["a", "b"], |v| v[0]).columns(), ["a", "b"]);
    /// ```
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// One object, or the first two of an event.
    ///
    /// ```
    /// assert_eq!(metrics::Observable::object("x", ["x"], |v| v[0]).arity(), metrics::Arity::Object);
    /// ```
    pub fn arity(&self) -> Arity {
        self.arity
    }

    /// The cut, if any.
    ///
    /// ```
    /// assert!(metrics::Observable::object("x", ["x"], |v| v[0]).cut().is_none());
    /// ```
    pub fn cut(&self) -> Option<&Cut> {
        self.cut.as_ref()
    }

    /// The observable's value on the arguments its function takes (one object's values, or two
    /// objects' values one after the other).
    ///
    /// ```
    /// assert_eq!(metrics::Observable::object("sum", ["a", "b"], |v| v[0] + v[1]).value(&[1.0, 2.0]), 3.0);
    /// ```
    pub fn value(&self, args: &[f64]) -> f64 {
        (self.f)(args)
    }
}

/// The three versions of the data an observable is compared on.
const VERSIONS: usize = 3;

/// An observable accumulated over batches of the original, compressed and upsampled data.
///
/// ```
/// use metrics::{Cut, Observable, Tally};
/// let iso = Observable::object("iso", ["c", "pt"], |v| v[0] / v[1]).with_cut(Cut::below(0.15, "user"));
/// let pt = [10.0f32, 20.0, 40.0];
/// let (original, compressed, upsampled) = ([1.4f32, 2.0, 4.0], [1.6f32, 2.0, 4.0], [1.45f32, 2.0, 4.0]);
/// let mut t = Tally::new(&iso, 1000);
/// t.add(&iso, [&[&original[..], &pt[..]], &[&compressed[..], &pt[..]], &[&upsampled[..], &pt[..]]], None)?;
/// let r = t.report();
/// let flips = r.flips.unwrap();
/// assert_eq!((r.values, flips.passing, flips.compressed, flips.restored, flips.caused), (3, 3, 1, 1, 0));
/// # Ok::<(), metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Tally {
    name: String,
    cut: Option<Cut>,
    values: u64,
    /// Per version: Σv and Σv² over the values where every version is finite.
    sum: [Sum; VERSIONS],
    square: [Sum; VERSIONS],
    /// Σ(v − original) and its square, compressed and upsampled.
    diff: [Sum; 2],
    diff_square: [Sum; 2],
    not_finite: u64,
    passing: u64,
    flipped: u64,
    restored: u64,
    caused: u64,
    /// A sample of the triples for the distances: every `stride`-th value, at most `2 × max`.
    held: Vec<[f64; VERSIONS]>,
    stride: u64,
    seen: u64,
    max_held: usize,
}

/// The shift of a mean with its standard error.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Shift {
    /// The mean of `version − original` over the values.
    pub mean: f64,
    /// Its standard error, `sd / √n` of the differences (paired values).
    pub error: f64,
}

/// Decision flips of an observable's [`Cut`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Flips {
    /// Objects (or pairs) the original passes.
    pub passing: u64,
    /// Objects whose decision on the compressed values differs from the original's.
    pub compressed: u64,
    /// Of those, the ones whose decision on the upsampled values is the original's again.
    pub restored: u64,
    /// Objects whose compressed decision was the original's but whose upsampled one is not.
    pub caused: u64,
}

/// What a [`Tally`] measured: the original (`[0]`), compressed (`[1]`) and upsampled (`[2]`)
/// versions side by side; shifts and distances are against the original.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ObservableReport {
    /// The observable's name.
    pub name: String,
    /// Values (objects or pairs) where all three versions are finite.
    pub values: u64,
    /// Values left out because a version is not finite.
    pub not_finite: u64,
    /// Mean per version.
    pub mean: [f64; VERSIONS],
    /// Standard deviation (width) per version.
    pub width: [f64; VERSIONS],
    /// Shift of the mean against the original: compressed, upsampled.
    pub shift: [Shift; 2],
    /// Width over the original's width: compressed, upsampled.
    pub width_ratio: [f64; 2],
    /// Two-sample Kolmogorov–Smirnov statistic against the original: compressed, upsampled
    /// (on the held sample).
    pub ks: [f64; 2],
    /// KL divergence of the original's distribution from each version's on `bins` equal bins
    /// over the original's range (on the held sample; 0.5 pseudo-counts a bin).
    pub kl: [f64; 2],
    /// The flips, where the observable has a cut.
    pub flips: Option<Flips>,
    /// The cut.
    pub cut: Option<Cut>,
}

impl Tally {
    /// An empty tally of `observable`, holding at most about `max_held` values for the
    /// distances (spread over the input: every n-th value, n doubling as the input grows).
    ///
    /// ```
    /// let o = metrics::Observable::object("x", ["x"], |v| v[0]);
    /// assert_eq!(metrics::Tally::new(&o, 100).report().values, 0);
    /// ```
    pub fn new(observable: &Observable, max_held: usize) -> Tally {
        Tally {
            name: observable.name.clone(),
            cut: observable.cut.clone(),
            values: 0,
            sum: [Sum::default(); VERSIONS],
            square: [Sum::default(); VERSIONS],
            diff: [Sum::default(); 2],
            diff_square: [Sum::default(); 2],
            not_finite: 0,
            passing: 0,
            flipped: 0,
            restored: 0,
            caused: 0,
            held: Vec::new(),
            stride: 1,
            seen: 0,
            max_held: max_held.max(1),
        }
    }

    /// Add one batch: `columns[v][c]` holds version `v`'s (original, compressed, upsampled)
    /// values of the observable's column `c`, one value per object, all of one length. For a
    /// [`Arity::Pair`] observable, `events` are the offsets of each event's objects in those
    /// values (`events[i]..events[i + 1]`; required); an object observable ignores them.
    ///
    /// ```
    /// use metrics::{Observable, Tally};
    /// let sum = Observable::pair("x1+x2", ["x"], |v| v[0] + v[1]);
    /// let x = [1.0f32, 2.0, 5.0, 3.0, 4.0];
    /// let mut t = Tally::new(&sum, 10);
    /// // Events of 2, 1 and 2 objects: two pairs.
    /// t.add(&sum, [&[&x[..]], &[&x[..]], &[&x[..]]], Some(&[0, 2, 3, 5]))?;
    /// assert_eq!((t.report().values, t.report().mean[0]), (2, 5.0));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn add(
        &mut self,
        observable: &Observable,
        columns: [&[&[f32]]; VERSIONS],
        events: Option<&[usize]>,
    ) -> Result<()> {
        let width = observable.columns.len();
        let rows = columns[0].first().map_or(0, |c| c.len());
        for version in &columns {
            if version.len() != width || version.iter().any(|c| c.len() != rows) {
                return Err(Error::InvalidArgument(format!(
                    "observable {:?}: expected {width} columns of {rows} values in each version",
                    observable.name
                )));
            }
        }
        let mut args = vec![0f64; 2 * width];
        let mut value = |version: usize, objects: &[usize]| {
            for (k, &row) in objects.iter().enumerate() {
                for (c, col) in columns[version].iter().enumerate() {
                    args[k * width + c] = f64::from(col[row]);
                }
            }
            (observable.f)(&args[..objects.len() * width])
        };
        match observable.arity {
            Arity::Object => {
                for row in 0..rows {
                    let v = [0, 1, 2].map(|version| value(version, &[row]));
                    self.push(v);
                }
            }
            Arity::Pair => {
                let events = events.ok_or_else(|| {
                    Error::InvalidArgument(format!("pair observable {:?}: no event offsets", observable.name))
                })?;
                for e in events.windows(2) {
                    if e[0] > e[1] || e[1] > rows {
                        return Err(Error::InvalidArgument(format!(
                            "observable {:?}: event offsets {}..{} outside {rows} objects",
                            observable.name, e[0], e[1]
                        )));
                    }
                    if e[1] - e[0] >= 2 {
                        let v = [0, 1, 2].map(|version| value(version, &[e[0], e[0] + 1]));
                        self.push(v);
                    }
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, v: [f64; VERSIONS]) {
        if !v.iter().all(|x| x.is_finite()) {
            self.not_finite += 1;
            return;
        }
        self.values += 1;
        for (i, &x) in v.iter().enumerate() {
            self.sum[i].add(x);
            self.square[i].add(x * x);
        }
        for i in 0..2 {
            let d = v[i + 1] - v[0];
            self.diff[i].add(d);
            self.diff_square[i].add(d * d);
        }
        if let Some(cut) = &self.cut {
            let [o, c, u] = v.map(|x| cut.passes(x));
            self.passing += u64::from(o);
            if c != o {
                self.flipped += 1;
                self.restored += u64::from(u == o);
            } else if u != o {
                self.caused += 1;
            }
        }
        if self.seen.is_multiple_of(self.stride) {
            self.held.push(v);
            if self.held.len() >= 2 * self.max_held {
                // Keep every other held value: the sample stays spread over the whole input.
                let mut i = 0;
                self.held.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.stride *= 2;
            }
        }
        self.seen += 1;
    }

    /// What was measured; distances over `1000` bins (see [`Tally::report_with_bins`]).
    ///
    /// ```
    /// let o = metrics::Observable::object("x", ["x"], |v| v[0]);
    /// assert!(metrics::Tally::new(&o, 10).report().flips.is_none());
    /// ```
    pub fn report(&self) -> ObservableReport {
        self.report_with_bins(1000)
    }

    /// What was measured, the KL divergence on `bins` bins.
    ///
    /// ```
    /// let o = metrics::Observable::object("x", ["x"], |v| v[0]);
    /// let mut t = metrics::Tally::new(&o, 10);
    /// let x = [1.0f32, 2.0, 3.0];
    /// t.add(&o, [&[&x[..]], &[&x[..]], &[&x[..]]], None)?;
    /// assert_eq!(t.report_with_bins(10).kl, [0.0, 0.0]);
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn report_with_bins(&self, bins: usize) -> ObservableReport {
        let n = self.values as f64;
        let mean = |s: &Sum| if self.values > 0 { s.value() / n } else { f64::NAN };
        let sd = |s: &Sum, q: &Sum| {
            if self.values < 2 {
                return f64::NAN;
            }
            let m = s.value() / n;
            ((q.value() / n - m * m).max(0.0) * n / (n - 1.0)).sqrt()
        };
        let width = [0, 1, 2].map(|i| sd(&self.sum[i], &self.square[i]));
        let shift = [0, 1]
            .map(|i| Shift { mean: mean(&self.diff[i]), error: sd(&self.diff[i], &self.diff_square[i]) / n.sqrt() });
        let sample = |i: usize| self.held.iter().map(|v| v[i]).collect::<Vec<f64>>();
        let original = sample(0);
        let ks = [1, 2].map(|i| ks_two_sample(&original, &sample(i)).map_or(f64::NAN, |k| k.statistic));
        let edges = Edges::from_original(Scale::Linear, &original, bins.max(1));
        let kl = [1, 2].map(|i| {
            let Ok(edges) = &edges else { return f64::NAN };
            let (mut p, mut q) = (Histogram::new(edges.clone()), Histogram::new(edges.clone()));
            p.add(&original);
            q.add(&sample(i));
            kl_divergence(&p, &q, 0.5).unwrap_or(f64::NAN)
        });
        ObservableReport {
            name: self.name.clone(),
            values: self.values,
            not_finite: self.not_finite,
            mean: [0, 1, 2].map(|i| mean(&self.sum[i])),
            width,
            shift,
            width_ratio: [width[1] / width[0], width[2] / width[0]],
            ks,
            kl,
            flips: self.cut.as_ref().map(|_| Flips {
                passing: self.passing,
                compressed: self.flipped,
                restored: self.restored,
                caused: self.caused,
            }),
            cut: self.cut.clone(),
        }
    }
}
