//! Joint priors for fields of one object bound by an exact relation.
//!
//! A truth particle stores `px, py, pz, e, m` with `e² = px² + py² + pz² + m²`; a flavour tagger
//! stores probabilities `pu, pc, pb` that sum to one. Compressing each field on its own loses the
//! relation, but it still holds between the originals, so the posterior of the group is the
//! preimage *box* of its compressed fields restricted to the relation's surface, with a flat
//! prior inside the box. Its mean is computed here by an exact reduction, not by sampling:
//!
//! * both relations are separable, `Σ φ(xᵢ) ∈ [A, B]` with `φ(x) = x²` (on `|x|`; the energy's
//!   interval gives the shell `[A, B]`) or `φ(x) = x` (the slab `1 ± tolerance`);
//! * the innermost variable is integrated in closed form (its allowed range is an interval
//!   given by inverting `φ`), the others by Gauss–Legendre quadrature on pieces split at every
//!   point where the inner range changes form (`φ(xᵢ)` equal to the bound minus a corner of the
//!   remaining box), so every piece is smooth and 4 nodes integrate it to near rounding error.
//!
//! The median is the marginal median of each field (bisection on the marginal distribution
//! function, each step an exact integral), and a sample is an exact draw from the restricted box
//! (uniform outer fields, closed-form innermost range, acceptance by its length).

use serde::{Deserialize, Serialize};

use crate::posterior::clamp_into;
use crate::prior::splitmix64;
use crate::{Error, Estimate, Result};

/// An exact relation between the fields of one object.
///
/// ```
/// use models::Relation;
/// assert_eq!("four_momentum".parse::<Relation>()?, Relation::FourMomentum);
/// assert_eq!(Relation::SumToOne.to_string(), "sum_to_one");
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// `e² = px² + py² + pz² + m²`; the members are `[px, py, pz, e, m]` in that order. The
    /// tolerance is relative, on `e²`.
    FourMomentum,
    /// The members (2 to [`MAX_FREE`]) sum to one, e.g. a tagger's `pu, pc, pb`. The tolerance is
    /// absolute, on the sum.
    SumToOne,
}

/// The most members of a group that can be uncertain at once (the quadrature's depth).
pub const MAX_FREE: usize = 4;

impl std::fmt::Display for Relation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Relation::FourMomentum => "four_momentum",
            Relation::SumToOne => "sum_to_one",
        })
    }
}

impl std::str::FromStr for Relation {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "four_momentum" => Ok(Relation::FourMomentum),
            "sum_to_one" => Ok(Relation::SumToOne),
            _ => {
                Err(Error::Parse { what: "relation", input: s.into(), expected: "four_momentum or sum_to_one".into() })
            }
        }
    }
}

/// Columns holding the fields of one object that obey a [`Relation`], row by row.
///
/// ```
/// use models::{Group, Relation};
/// let g = Group::new(Relation::SumToOne, ["pu", "pc", "pb"])?;
/// assert_eq!(g.tolerance, Group::DEFAULT_TOLERANCE);
/// assert!(Group::new(Relation::FourMomentum, ["px", "py"]).is_err()); // needs px, py, pz, e, m
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The relation.
    pub relation: Relation,
    /// The member columns, in the relation's order.
    pub members: Vec<String>,
    /// How far the stored originals may miss the relation (they were rounded to `float32`
    /// after it was computed): relative on `e²` for [`Relation::FourMomentum`], absolute on the
    /// sum for [`Relation::SumToOne`].
    pub tolerance: f64,
    /// Whether a model applies the relation only to the members it narrows to [`INFORMATIVE`]
    /// of their interval's variance, the others keeping their own estimates (model files of
    /// format 8 on). Fits decide it, whatever the group given says:
    /// [`Model::fit_compressed`](crate::Model::fit_compressed), where nothing validates the
    /// relation, always sets it; [`Model::fit_request`](crate::Model::fit_request) clears it
    /// only where the full posterior beats the narrowed one on validation evidence spread over
    /// enough events. Where a relation only trims the edge of an interval, its gain rests on the
    /// flat prior inside the interval, which a falling spectrum makes wrong (`docs/gate.md`).
    /// Model files that do not set it apply the full posterior, as they were fitted.
    /// [`Group::upsample`] always gives the full posterior.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub informative_only: bool,
    /// Whole tuples of the members seen repeatedly in training (a tagger's default output),
    /// learned by [`Group::learn_atoms`] (model files of format 9 on). A row whose compressed
    /// members are those of an atom takes the atom as an exact value of the posterior, weighted
    /// by how often it was seen against the other training rows behind the same compressed
    /// tuple, so a default comes back exact where the training frequency says it is one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub atoms: Vec<JointAtom>,
}

/// A whole tuple of a [`Group`]'s members seen at least `min_count` times in training: the
/// members' exact values and the posterior weights beside them.
///
/// ```
/// use models::{Group, Relation};
/// let s = float_bits::Scheme::atlas(7)?;
/// // A tagger that outputs one default triple for a fifth of its jets.
/// let default = [0.72523236f32, 0.06608722, 0.20868044];
/// let (mut pu, mut pc, mut pb) = (vec![], vec![], vec![]);
/// for i in 0..500 {
///     let t = if i % 5 == 0 { default } else { let a = 0.001 * i as f32; [0.9 - a, 0.05 + a, 0.05] };
///     (pu.push(t[0]), pc.push(t[1]), pb.push(t[2]));
/// }
/// let mut g = Group::new(Relation::SumToOne, ["pu", "pc", "pb"])?;
/// g.learn_atoms(&[(&pu, Some(&s)), (&pc, Some(&s)), (&pb, Some(&s))], 3)?;
/// assert_eq!(g.atoms.len(), 1);
/// assert_eq!((g.atoms[0].values.as_slice(), g.atoms[0].count), (&default[..], 100.0));
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JointAtom {
    /// The members' exact values, in the group's order (a declared constant's own value).
    pub values: Vec<f32>,
    /// How often the tuple occurred in training.
    pub count: f64,
    /// The training rows behind the same compressed tuple that are not an atom: the weight of
    /// the continuous posterior beside the atoms.
    pub rest: f64,
}

/// The most [`JointAtom`]s a group keeps (the most frequent ones).
pub const MAX_JOINT_ATOMS: usize = 256;

/// A tuple of a group's members as bits, one slot per member (at most 5), unused slots zero.
type TupleKey = [u32; 5];

/// The bits of a tuple of at most 5 values.
fn tuple_key(values: &[f32]) -> TupleKey {
    let mut k = [0u32; 5];
    k.iter_mut().zip(values).for_each(|(slot, v)| *slot = v.to_bits());
    k
}

/// The largest weight an atom's `count` or `rest` may have: training rows, exact in `f64`.
const MAX_ATOM_WEIGHT: f64 = 9_007_199_254_740_992.0;

impl Group {
    /// The default tolerance: 3 × 10⁻⁷, about 2.5 units in the last place of a `float32` near
    /// one; the PHYSLITE sample's relations hold to 1.2 × 10⁻⁷.
    pub const DEFAULT_TOLERANCE: f64 = 3e-7;

    /// How errors name the group: `the four_momentum group ["m", "px", …]`.
    pub(crate) fn describe(&self) -> String {
        format!("the {} group {:?}", self.relation, self.members)
    }

    /// A group with the default tolerance; the member count must fit the relation (5 for
    /// [`Relation::FourMomentum`], 2 to [`MAX_FREE`] for [`Relation::SumToOne`]) and the names
    /// must differ. A member spelled `=VALUE` is a declared constant rather than a column — a
    /// particle's known mass where the file has no mass column — known exactly on every row;
    /// callers pass an empty column for it.
    ///
    /// ```
    /// use models::{Group, Relation};
    /// let muons = Group::new(Relation::FourMomentum, ["mu_px", "mu_py", "mu_pz", "mu_e", "=105.6584"])?;
    /// assert_eq!((muons.constant(4), muons.constant(0)), (Some(105.6584), None));
    /// assert!(Group::new(Relation::FourMomentum, ["a", "b", "c", "d", "=heavy"]).is_err());
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn new<S: Into<String>>(relation: Relation, members: impl IntoIterator<Item = S>) -> Result<Group> {
        let members: Vec<String> = members.into_iter().map(Into::into).collect();
        let ok = match relation {
            Relation::FourMomentum => members.len() == 5,
            Relation::SumToOne => (2..=MAX_FREE).contains(&members.len()),
        };
        if !ok {
            let detail = format!("a {relation} group cannot have {} members", members.len());
            return Err(Error::InvalidGroup { members, detail });
        }
        if let Some(m) = members.iter().enumerate().find(|(i, m)| members[..*i].contains(m)) {
            let detail = format!("column {:?} appears twice", m.1);
            return Err(Error::InvalidGroup { members, detail });
        }
        if let Some(m) = members.iter().find(|m| m.starts_with('=') && constant(m).is_none()) {
            let detail = format!("{m:?} is not a declared constant (=VALUE, finite)");
            return Err(Error::InvalidGroup { members, detail });
        }
        if members.iter().all(|m| constant(m).is_some()) {
            let detail = "every member is a constant".to_string();
            return Err(Error::InvalidGroup { members, detail });
        }
        Ok(Group { relation, members, tolerance: Self::DEFAULT_TOLERANCE, informative_only: false, atoms: vec![] })
    }

    /// The same group with another tolerance (finite, ≥ 0).
    ///
    /// ```
    /// let g = models::Group::new(models::Relation::SumToOne, ["a", "b"])?.with_tolerance(1e-6)?;
    /// assert_eq!(g.tolerance, 1e-6);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn with_tolerance(mut self, tolerance: f64) -> Result<Group> {
        if !(tolerance.is_finite() && tolerance >= 0.0) {
            let detail = format!("tolerance {tolerance} is not a finite number ≥ 0");
            return Err(Error::InvalidGroup { members: self.members, detail });
        }
        self.tolerance = tolerance;
        Ok(self)
    }

    /// That the (public, deserialisable) fields describe a valid group.
    pub(crate) fn check(&self) -> Result<()> {
        Group::new(self.relation, self.members.iter().cloned())?.with_tolerance(self.tolerance)?;
        let bad = |detail: String| Err(Error::InvalidGroup { members: self.members.clone(), detail });
        if self.atoms.len() > MAX_JOINT_ATOMS {
            return bad(format!("{} atoms, at most {MAX_JOINT_ATOMS}", self.atoms.len()));
        }
        for (i, a) in self.atoms.iter().enumerate() {
            if a.values.len() != self.members.len() || !a.values.iter().all(|v| v.is_finite()) {
                return bad(format!("atom {i}: expected {} finite values", self.members.len()));
            }
            // Counts are training rows: bounded, so that sums of them stay finite and exact.
            let row_count = |w: f64| w.is_finite() && (0.0..=MAX_ATOM_WEIGHT).contains(&w);
            if !(row_count(a.count) && a.count > 0.0 && row_count(a.rest)) {
                return bad(format!("atom {i}: count {} and rest {} are not training row counts", a.count, a.rest));
            }
            if i > 0 && tuple_key(&self.atoms[i - 1].values) >= tuple_key(&a.values) {
                return bad(format!("atom {i}: atoms must be distinct and in ascending order of their bits"));
            }
        }
        Ok(())
    }

    /// Learn [`Group::atoms`] from aligned training originals: `train[m]` holds member `m`'s
    /// original values and the scheme it is compressed with (`None`: kept at full precision);
    /// a tuple seen `min_count` times or more (the most frequent [`MAX_JOINT_ATOMS`]) becomes
    /// an atom. Replaces the group's atoms; rows with a non-finite member do not count.
    pub fn learn_atoms(&mut self, train: &[(&[f32], Option<&float_bits::Scheme>)], min_count: u32) -> Result<()> {
        if min_count == 0 {
            let detail = "0: atoms must be seen at least once".into();
            return Err(Error::InvalidSetting { setting: "atom min_count", detail });
        }
        let rows = self.rows_of(train)?;
        let mut store = Vec::new();
        let train = self.with_constants(train, rows, &mut store);
        let n = train.len();
        let tuple = |row: usize| {
            let mut t = [0f32; 5];
            t.iter_mut().zip(&train).for_each(|(x, c)| *x = c.0[row]);
            t
        };
        let compressed = |t: &[f32; 5]| -> Result<TupleKey> {
            let mut k = [0u32; 5];
            for (m, (slot, c)) in k.iter_mut().zip(&train).enumerate() {
                let v =
                    c.1.map_or(Ok(t[m]), |s| s.compress(t[m]))
                        .map_err(|e| Error::from(e).in_column(&self.members[m]))?;
                *slot = v.to_bits();
            }
            Ok(k)
        };
        let finite: Vec<[f32; 5]> = (0..rows).map(tuple).filter(|t| t[..n].iter().all(|v| v.is_finite())).collect();
        let mut counts: std::collections::HashMap<TupleKey, u32> = std::collections::HashMap::new();
        for t in &finite {
            *counts.entry(tuple_key(&t[..n])).or_default() += 1;
        }
        let mut seen: Vec<(TupleKey, u32)> = counts.into_iter().filter(|a| a.1 >= min_count).collect();
        seen.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        seen.truncate(MAX_JOINT_ATOMS);
        seen.sort_unstable_by_key(|a| a.0);
        let values = |key: &TupleKey| {
            let mut t = [0f32; 5];
            t.iter_mut().zip(key).for_each(|(x, &b)| *x = f32::from_bits(b));
            t
        };
        // The training rows behind each atom's compressed tuple that are not atoms themselves.
        let boxes: Vec<TupleKey> = seen.iter().map(|a| compressed(&values(&a.0))).collect::<Result<_>>()?;
        let mut rest: std::collections::HashMap<TupleKey, u32> = boxes.iter().map(|&b| (b, 0)).collect();
        for t in &finite {
            if seen.binary_search_by_key(&tuple_key(&t[..n]), |a| a.0).is_err()
                && let Some(r) = rest.get_mut(&compressed(t)?)
            {
                *r += 1;
            }
        }
        self.atoms = Vec::with_capacity(seen.len());
        for ((key, count), b) in seen.into_iter().zip(&boxes) {
            let rest = rest.get(b).copied().unwrap_or(0);
            self.atoms.push(JointAtom {
                values: values(&key)[..n].to_vec(),
                count: f64::from(count),
                rest: f64::from(rest),
            });
        }
        Ok(())
    }

    /// The members that are columns (every member but the declared constants).
    ///
    /// ```
    /// let g = models::Group::new(models::Relation::FourMomentum, ["px", "py", "pz", "e", "=0.511"])?;
    /// assert_eq!(g.columns().count(), 4);
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn columns(&self) -> impl Iterator<Item = &String> {
        self.members.iter().filter(|m| constant(m).is_none())
    }

    /// The value of member `m` where it is a declared constant (`=VALUE`).
    pub fn constant(&self, m: usize) -> Option<f32> {
        self.members.get(m).and_then(|name| constant(name))
    }

    /// The row count of member columns: the group must be valid, with one column per member,
    /// all of one length (a declared constant's column is ignored).
    fn rows_of<T>(&self, columns: &[(&[f32], T)]) -> Result<usize> {
        self.check()?;
        if columns.len() != self.members.len() {
            return Err(Error::LengthMismatch {
                what: "group members vs columns",
                left: self.members.len(),
                right: columns.len(),
            });
        }
        let mut given = columns.iter().enumerate().filter(|(m, _)| self.constant(*m).is_none()).map(|(_, c)| c.0.len());
        let rows = given.next().unwrap_or(0);
        if let Some(other) = given.find(|&n| n != rows) {
            return Err(Error::LengthMismatch { what: "members of one group", left: rows, right: other });
        }
        Ok(rows)
    }

    /// `columns` with each declared constant's column filled with its value, `rows` long (in
    /// `store`), known exactly.
    fn with_constants<'c>(
        &self,
        columns: &[(&'c [f32], Option<&'c float_bits::Scheme>)],
        rows: usize,
        store: &'c mut Vec<Vec<f32>>,
    ) -> Vec<(&'c [f32], Option<&'c float_bits::Scheme>)> {
        *store = (0..columns.len()).map(|m| self.constant(m).map_or_else(Vec::new, |k| vec![k; rows])).collect();
        columns
            .iter()
            .zip(store.iter())
            .enumerate()
            .map(|(m, (&c, k))| if self.constant(m).is_some() { (k.as_slice(), None) } else { c })
            .collect()
    }

    /// How many rows of the member columns obey the relation within the tolerance, to test a
    /// group found by a naming rule on the data before it is used. `columns[m]` holds member
    /// `m`'s values and the scheme they were compressed with: an exact value (`None`, e.g. an
    /// original) must satisfy the relation itself, a compressed one only needs some value of
    /// its preimage to (the row holds when the box of preimages meets the relation).
    /// Rows with a non-finite value are not counted.
    ///
    /// ```
    /// use models::{Group, Relation};
    /// let g = Group::new(Relation::SumToOne, ["pu", "pc", "pb"])?;
    /// // A four-output tagger read as three outputs: the sum misses 1 by p_tau.
    /// let (pu, pc, pb) = ([0.7f32, 0.5], [0.2f32, 0.3], [0.1f32, 0.1]);
    /// let a = g.agreement(&[(&pu, None), (&pc, None), (&pb, None)])?;
    /// assert_eq!((a.rows, a.holding), (2, 1));
    /// assert!(!a.holds() && (a.miss - 0.1).abs() < 1e-7); // the second row misses by 0.1
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn agreement(&self, columns: &[(&[f32], Option<&float_bits::Scheme>)]) -> Result<Agreement> {
        let rows = self.rows_of(columns)?;
        let mut store = Vec::new();
        let columns = self.with_constants(columns, rows, &mut store);
        // Each member's [lo, hi] per row: its preimage if compressed, else the value itself.
        let mut bounds = Vec::with_capacity(columns.len());
        for (&(values, scheme), name) in columns.iter().zip(&self.members) {
            let (mut lo, mut hi) = (values.to_vec(), values.to_vec());
            if let Some(scheme) = scheme {
                quant_bounds::preimages(scheme, values, &mut lo, &mut hi)
                    .map_err(|e| Error::from(e).in_column(name))?;
            }
            bounds.push((lo, hi));
        }
        let mut misses = Vec::with_capacity(rows);
        for r in 0..rows {
            let b: Vec<(f64, f64)> = bounds.iter().map(|(l, h)| (f64::from(l[r]), f64::from(h[r]))).collect();
            if b.iter().any(|(l, h)| !(l.is_finite() && h.is_finite())) {
                continue;
            }
            // How far the row's range of the relation's left side lies from its right side: in
            // absolute units on the sum, relative to e² for a four-momentum (0 where they meet).
            let miss = match self.relation {
                Relation::SumToOne => {
                    let (lo, hi) = b.iter().fold((0.0, 0.0), |(s, t), (l, h)| (s + l, t + h));
                    (lo - 1.0).max(1.0 - hi).max(0.0)
                }
                Relation::FourMomentum => {
                    // Σ over px, py, pz, m of the squares' range against e²'s range.
                    let square = |(l, h): (f64, f64)| {
                        let (a, b) = (l * l, h * h);
                        (if l <= 0.0 && h >= 0.0 { 0.0 } else { a.min(b) }, a.max(b))
                    };
                    let (lo, hi) = [0, 1, 2, 4].iter().fold((0.0, 0.0), |(s, t), &m| {
                        let (l, h) = square(b[m]);
                        (s + l, t + h)
                    });
                    let (elo, ehi) = square(b[3]);
                    let gap = (lo - ehi).max(elo - hi).max(0.0);
                    if gap == 0.0 { 0.0 } else { gap / ehi.max(f64::MIN_POSITIVE) }
                }
            };
            misses.push(miss);
        }
        let holding = misses.iter().filter(|&&m| m <= self.tolerance).count();
        misses.sort_unstable_by(f64::total_cmp);
        let at = ((Agreement::REQUIRED * misses.len() as f64).ceil() as usize).clamp(1, misses.len().max(1)) - 1;
        let miss = misses.get(at).copied().unwrap_or(0.0);
        Ok(Agreement { rows: misses.len(), holding, miss })
    }
}

/// The value of a member spelled `=VALUE` (a declared constant), if it is one and finite.
///
/// ```
/// assert_eq!(models::constant("=105.6584"), Some(105.6584));
/// assert_eq!(models::constant("mu_m"), None);
/// ```
pub fn constant(member: &str) -> Option<f32> {
    member.strip_prefix('=')?.trim().parse::<f32>().ok().filter(|x| x.is_finite())
}

/// How many rows obey a group's relation ([`Group::agreement`]), and by how much the others
/// miss it.
///
/// ```
/// let a = models::Agreement { rows: 1000, holding: 995, miss: 0.0 };
/// assert!(a.holds() && !models::Agreement { rows: 1000, holding: 989, miss: 1e-6 }.holds());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agreement {
    /// Rows whose member values are all finite.
    pub rows: usize,
    /// Of those, the rows where the relation holds within the group's tolerance.
    pub holding: usize,
    /// The miss that [`Agreement::REQUIRED`] of the rows stay within, in the units of
    /// [`Group::tolerance`] (absolute on a sum, relative to `e²` for a four-momentum); 0 where
    /// they meet the relation. The tolerance a group needs to hold on these rows.
    pub miss: f64,
}

impl Agreement {
    /// The share of rows that must hold for a relation found by a naming rule to be used:
    /// 99 %. Stored originals satisfy a true relation on every row (to float32 rounding, inside
    /// the tolerance); a few rows are allowed for rare corrupted or sentinel-filled objects.
    pub const REQUIRED: f64 = 0.99;

    /// The largest [`Agreement::miss`] on originals for which a relation found by a rule is
    /// still used, with its tolerance widened to the miss: `1e-3`. A stored relation can miss
    /// by more than float rounding (a muon's `m` set to the PDG mass after `e` was computed
    /// with another, a tagger whose three outputs sum to 0.9998); a joint estimate on a shell
    /// that thick is still informative where the preimages are wider, and the gate keeps it
    /// only where it wins on validation. A tagger read with one of four outputs missing misses
    /// by that output, far more.
    pub const MAX_MISS: f64 = 1e-3;

    /// Whether the relation holds on at least [`Agreement::REQUIRED`] of the rows (and there
    /// is at least one row).
    ///
    /// ```
    /// assert!(!models::Agreement { rows: 0, holding: 0, miss: 0.0 }.holds());
    /// ```
    pub fn holds(&self) -> bool {
        self.rows > 0 && self.holding as f64 >= Self::REQUIRED * self.rows as f64
    }
}

/// What testing a relation group on data found ([`Group::settle`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The relation holds on [`Agreement::REQUIRED`] of the rows within the group's tolerance.
    Holds,
    /// On originals, the relation holds once the tolerance is widened to the miss of those rows
    /// (at most [`Agreement::MAX_MISS`]): the group now carries that tolerance. Why, in words.
    Widened(String),
    /// The relation does not hold (or cannot be tested): the group is not to be used. Why, in
    /// words.
    Dropped(String),
}

impl Verdict {
    /// Whether the group is to be used (it holds, or holds once widened).
    ///
    /// ```
    /// assert!(models::Verdict::Widened("…".into()).kept() && !models::Verdict::Dropped("…".into()).kept());
    /// ```
    pub fn kept(&self) -> bool {
        !matches!(self, Verdict::Dropped(_))
    }
}

impl Group {
    /// Test the relation on data before using the group ([`Group::agreement`]): it is kept if
    /// it holds on [`Agreement::REQUIRED`] of the rows; on originals (no member compressed),
    /// also if it holds once its tolerance is widened to the miss of those rows, if that miss is
    /// at most [`Agreement::MAX_MISS`] (the group then carries that tolerance); otherwise it is
    /// to be dropped. `columns` are as for [`Group::agreement`].
    ///
    /// ```
    /// use models::{Group, Relation, Verdict};
    /// let mut g = Group::new(Relation::SumToOne, ["a", "b"])?;
    /// let a: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
    /// let b: Vec<f32> = a.iter().map(|x| 1.0002 - x).collect(); // sums to 1.0002
    /// assert!(matches!(g.settle(&[(&a, None), (&b, None)]), Verdict::Widened(_)));
    /// assert!(g.tolerance >= 2e-4);
    /// let far: Vec<f32> = a.iter().map(|x| 1.5 - x).collect();
    /// assert!(!g.settle(&[(&a, None), (&far, None)]).kept());
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn settle(&mut self, columns: &[(&[f32], Option<&float_bits::Scheme>)]) -> Verdict {
        let exact = columns.iter().all(|c| c.1.is_none());
        match self.agreement(columns) {
            Ok(a) if a.holds() => Verdict::Holds,
            Ok(a) if exact && a.rows > 0 && a.miss <= Agreement::MAX_MISS => {
                let was = self.tolerance;
                self.tolerance = a.miss;
                Verdict::Widened(format!(
                    "the relation misses by up to {:.2e} on {:.0} % of {} rows (tolerance {was:.0e}): tolerance widened",
                    a.miss,
                    100.0 * Agreement::REQUIRED,
                    a.rows
                ))
            }
            Ok(a) if a.rows == 0 => Verdict::Dropped("no rows to test it on".to_string()),
            Ok(a) => Verdict::Dropped(format!(
                "the relation holds on {} of {} rows (needed tolerance {:.2e})",
                a.holding, a.rows, a.miss
            )),
            Err(e) => Verdict::Dropped(format!("it cannot be tested: {e}")),
        }
    }
}

/// A rule that finds groups from column names: every prefix `P` for which all of `P + suffix`
/// exist forms one group, members in the order of `suffixes`. A suffix starting with `.` names a
/// variable after either container separator (`Truth.px` and `Truth:px` alike, see
/// [`names`](crate::names)); `=VALUE` is a declared constant, the same in every group found (a
/// particle's mass where the file has no mass column); any other suffix is a plain ending (`_pu`).
///
/// ```
/// use models::Rule;
/// let rule: Rule = "four_momentum:.px,.py,.pz,.e,.m".parse()?;
/// assert_eq!(rule.suffixes.len(), 5);
/// assert!("sum_to_one:_pu".parse::<Rule>().is_err()); // one member is no relation
/// // A declared constant as a member: the muon mass, where the file has no mass column.
/// let muons: Rule = "four_momentum:_px,_py,_pz,_e,=105.658".parse()?;
/// let groups = models::detect_groups(&["mu_px", "mu_py", "mu_pz", "mu_e"], &[muons]);
/// assert_eq!(groups[0].members, ["mu_px", "mu_py", "mu_pz", "mu_e", "=105.658"]);
/// assert!("four_momentum:=105.658,_px,_py,_pz".parse::<Rule>().is_err()); // a column comes first
/// # Ok::<(), models::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The relation the matched columns obey.
    pub relation: Relation,
    /// The name endings, in the relation's member order.
    pub suffixes: Vec<String>,
}

impl Rule {
    /// The rules for the names the field uses: four-momenta as ATLAS xAOD spells them
    /// (`<Container>.px` … `.m`, or `<Container>:px` in RNTuples), as flat ntuples do
    /// (`mu_px`, `mu_py`, `mu_pz`, `mu_e`, `mu_m`, and capitalised `mu_Px` … `mu_E`, `mu_M`) and
    /// as Delphes does (`Particle.Px` … `.E`, `.M`); and flavour tagger probabilities
    /// (`<Tagger>_pu`, `_pc`, `_pb`, with `_ptau` where the tagger has a fourth class, as GN2v01
    /// does). Case is matched exactly: the lower-case and the capitalised spellings are separate
    /// rules, and a file with another convention passes its own (`"four_momentum:_PX,_PY,_PZ,_E,_M"`).
    /// These four-momentum rules need a mass column; a rule of one's own may declare the mass
    /// instead, as a constant member (`"four_momentum:_px,_py,_pz,_e,=105.658"`: every
    /// container with the four columns, muons in a muon ntuple). A group a rule finds is a
    /// hypothesis: test it on the data with [`Group::agreement`] before using it (a declared
    /// mass that is not the particle's fails that test).
    ///
    /// ```
    /// use models::{Rule, detect_groups};
    /// assert_eq!(Rule::defaults().len(), 6);
    /// let ntuple = ["mu_Px", "mu_Py", "mu_Pz", "mu_E", "mu_M", "el_px", "el_py", "el_pz", "el_e", "el_m"];
    /// let groups = detect_groups(&ntuple, &Rule::defaults());
    /// assert_eq!(groups.len(), 2);
    /// assert_eq!(groups[0].members[3], "el_e"); // lower case first
    /// let delphes = ["Particle.Px", "Particle.Py", "Particle.Pz", "Particle.E", "Particle.M"];
    /// assert_eq!(detect_groups(&delphes, &Rule::defaults()).len(), 1);
    /// ```
    pub fn defaults() -> Vec<Rule> {
        let rule = |relation, s: &[&str]| Rule { relation, suffixes: s.iter().map(|s| s.to_string()).collect() };
        vec![
            rule(Relation::FourMomentum, &[".px", ".py", ".pz", ".e", ".m"]),
            rule(Relation::FourMomentum, &["_px", "_py", "_pz", "_e", "_m"]),
            rule(Relation::FourMomentum, &["_Px", "_Py", "_Pz", "_E", "_M"]),
            rule(Relation::FourMomentum, &[".Px", ".Py", ".Pz", ".E", ".M"]),
            // Four-output taggers (GN2v01: b, c, light, tau) first: their first three outputs
            // alone do not sum to one.
            rule(Relation::SumToOne, &["_pu", "_pc", "_pb", "_ptau"]),
            rule(Relation::SumToOne, &["_pu", "_pc", "_pb"]),
        ]
    }
}

impl std::str::FromStr for Rule {
    type Err = Error;
    /// `relation:suffix,suffix,…`
    fn from_str(s: &str) -> Result<Self> {
        let (relation, rest) = s.split_once(':').ok_or_else(|| Error::Parse {
            what: "rule",
            input: s.into(),
            expected: "RELATION:SUFFIX,SUFFIX,…".into(),
        })?;
        let suffixes: Vec<String> = rest.split(',').map(str::to_string).collect();
        let relation: Relation = relation.parse()?;
        if suffixes.iter().any(String::is_empty) {
            return Err(Error::Parse {
                what: "rule",
                input: s.into(),
                expected: "RELATION:SUFFIX,SUFFIX,… with no empty suffix".into(),
            });
        }
        if constant(&suffixes[0]).is_some() {
            return Err(Error::Parse {
                what: "rule",
                input: s.into(),
                expected: "RELATION:SUFFIX,… whose first member is a column suffix (constants `=VALUE` after it)"
                    .into(),
            });
        }
        Group::new(relation, suffixes.clone())?;
        Ok(Rule { relation, suffixes })
    }
}

/// The groups `rules` find among `names`: for each rule, every prefix that carries all of its
/// suffixes, sorted by prefix. A column joins at most one group (the first rule that takes it).
///
/// ```
/// use models::{Relation, Rule, detect_groups};
/// let names = ["Jets.DL1_pu", "Jets.DL1_pc", "Jets.DL1_pb", "Truth.px", "Truth.py", "Truth.pz", "Truth.e", "Truth.m"];
/// let groups = detect_groups(&names, &Rule::defaults());
/// assert_eq!(groups.len(), 2);
/// assert_eq!(groups[0].relation, Relation::FourMomentum);
/// assert_eq!(groups[1].members, ["Jets.DL1_pu", "Jets.DL1_pc", "Jets.DL1_pb"]);
/// // RNTuple names (`Container:var`) are found alike.
/// let names = ["Truth:px", "Truth:py", "Truth:pz", "Truth:e", "Truth:m"];
/// assert_eq!(detect_groups(&names, &Rule::defaults())[0].members[4], "Truth:m");
/// ```
pub fn detect_groups(names: &[&str], rules: &[Rule]) -> Vec<Group> {
    let set: std::collections::HashSet<&str> = names.iter().copied().collect();
    let mut taken = std::collections::HashSet::new();
    let mut out = Vec::new();
    for rule in rules {
        let Some(first) = rule.suffixes.first() else { continue };
        let mut prefixes: Vec<(&str, char)> =
            names.iter().filter_map(|n| crate::names::strip_suffix(n, first)).collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        for (p, sep) in prefixes {
            // A declared constant (`=105.658`) is a member of every group the rule finds.
            let members: Vec<String> = rule
                .suffixes
                .iter()
                .map(|s| if constant(s).is_some() { s.clone() } else { crate::names::member(p, sep, s) })
                .collect();
            let columns = || members.iter().filter(|m| constant(m).is_none());
            if columns().all(|m| set.contains(m.as_str()) && !taken.contains(m))
                && let Ok(g) = Group::new(rule.relation, members.clone())
            {
                taken.extend(columns().cloned());
                out.push(g);
            }
        }
    }
    out
}

impl Group {
    /// The joint posterior estimate `how` of aligned member columns: `columns[m]` holds member
    /// `m`'s values and the scheme they were compressed with (`None`: kept at full precision,
    /// known exactly; members may have different schemes). `out[m][row]` is overwritten wherever the relation informs
    /// that value — a compressed, uncertain member of a row whose preimage box meets the
    /// relation — and left as it was elsewhere (pre-fill it with each column's own estimate).
    /// Returns how many values were written; each lies inside its own preimage.
    ///
    /// ```
    /// use models::{Estimate, Group, Relation, Seed};
    /// let s = float_bits::Scheme::atlas(7)?;
    /// let g = Group::new(Relation::SumToOne, ["pu", "pc", "pb"])?;
    /// let (pu, pc, pb) = ([s.compress(0.7731f32)?], [s.compress(0.2001f32)?], [s.compress(0.0268f32)?]);
    /// let (mut ou, mut oc, mut ob) = (pu, pc, pb);
    /// let n = g.upsample(&[(&pu, Some(&s)), (&pc, Some(&s)), (&pb, Some(&s))], Estimate::Mean, Seed::default(), &mut [&mut ou, &mut oc, &mut ob])?;
    /// assert_eq!(n, 3);
    /// assert!((0.7731 - ou[0]).abs() < (0.7731 - pu[0]).abs()); // the sum pins the widest member
    /// # Ok::<(), models::Error>(())
    /// ```
    pub fn upsample(
        &self,
        columns: &[(&[f32], Option<&float_bits::Scheme>)],
        how: Estimate,
        seed: crate::Seed,
        out: &mut [&mut [f32]],
    ) -> Result<usize> {
        self.check()?;
        for (what, given) in
            [("input columns vs group members", columns.len()), ("output columns vs group members", out.len())]
        {
            if given != self.members.len() {
                return Err(Error::LengthMismatch { what, left: given, right: self.members.len() });
            }
        }
        if let Some(o) = out.iter().find(|o| o.len() != columns[0].0.len()) {
            return Err(Error::LengthMismatch {
                what: "group input vs output",
                left: columns[0].0.len(),
                right: o.len(),
            });
        }
        let mut n = 0;
        self.estimate(columns, how, seed, false, |m, row, v| {
            out[m][row] = v;
            n += 1;
        })?;
        Ok(n)
    }

    /// [`Group::upsample`] handing each estimate to `sink(member, row, value)`; with
    /// `informative_only`, only the members the relation narrows to [`INFORMATIVE`] of their
    /// interval's variance (what a fitted model applies: the others keep their own estimates).
    pub(crate) fn estimate(
        &self,
        columns: &[(&[f32], Option<&float_bits::Scheme>)],
        how: Estimate,
        seed: crate::Seed,
        informative_only: bool,
        mut sink: impl FnMut(usize, usize, f32),
    ) -> Result<()> {
        const CHUNK: usize = 1024;
        let rows = self.rows_of(columns)?;
        let mut store = Vec::new();
        let columns = &self.with_constants(columns, rows, &mut store);
        let n = columns.len();
        let mut lo = vec![0f32; n * CHUNK];
        let mut hi = vec![0f32; n * CHUNK];
        let mut fields = vec![Field { c: 0.0, lo: 0.0, hi: 0.0, known: true }; n];
        let mut out = vec![None; n];
        // The atoms by their compressed tuple under the columns' schemes.
        let mut atoms: std::collections::HashMap<TupleKey, Vec<&JointAtom>> = std::collections::HashMap::new();
        for a in &self.atoms {
            let mut key = [0u32; 5];
            for (m, (slot, &(_, scheme))) in key.iter_mut().zip(columns).enumerate() {
                let v = a.values[m];
                *slot = scheme
                    .map_or(Ok(v), |s| s.compress(v))
                    .map_err(|e| Error::from(e).in_column(&self.members[m]))?
                    .to_bits();
            }
            atoms.entry(key).or_default().push(a);
        }
        for start in (0..rows).step_by(CHUNK) {
            let len = CHUNK.min(rows - start);
            for (m, &(values, scheme)) in columns.iter().enumerate() {
                let (l, h) = (&mut lo[m * CHUNK..m * CHUNK + len], &mut hi[m * CHUNK..m * CHUNK + len]);
                if let Some(scheme) = scheme {
                    quant_bounds::preimages(scheme, &values[start..start + len], l, h)
                        .map_err(|e| Error::from(e).in_column(&self.members[m]))?;
                }
            }
            for i in 0..len {
                for (m, &(values, scheme)) in columns.iter().enumerate() {
                    let c = values[start + i];
                    let (l, h) = (lo[m * CHUNK + i], hi[m * CHUNK + i]);
                    fields[m] = if scheme.is_some() && !crate::prior::certain(c, l, h) {
                        Field { c, lo: l, hi: h, known: false }
                    } else {
                        Field { c, lo: c, hi: c, known: true }
                    };
                }
                let here = if atoms.is_empty() {
                    &[][..]
                } else {
                    let mut c = [0f32; 5];
                    c.iter_mut().zip(&fields).for_each(|(x, f)| *x = f.c);
                    atoms.get(&tuple_key(&c[..n])).map_or(&[][..], Vec::as_slice)
                };
                let (relation, tolerance, state) = (self.relation, self.tolerance, seed.state(start + i));
                let ask = Ask { relation, tolerance, how, state, informative_only };
                joint(ask, &fields, here, &mut out);
                for (m, v) in out.iter().enumerate() {
                    if let Some(v) = *v {
                        sink(m, start + i, v);
                    }
                }
            }
        }
        Ok(())
    }
}

/// One member's value at one row: its compressed value and preimage, or (`known`) a value kept
/// at full precision or certain, with `lo = hi = c`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub c: f32,
    pub lo: f32,
    pub hi: f32,
    pub known: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phi {
    /// `φ(t) = t`.
    Linear,
    /// `φ(t) = t²` on `t ≥ 0`.
    Square,
}

impl Phi {
    #[inline]
    fn f(self, t: f64) -> f64 {
        match self {
            Phi::Linear => t,
            Phi::Square => t * t,
        }
    }
    #[inline]
    fn inv(self, y: f64) -> f64 {
        match self {
            Phi::Linear => y,
            Phi::Square => y.max(0.0).sqrt(),
        }
    }
}

/// Gauss–Legendre nodes and weights on [-1, 1]: two points (exact for cubics) and three
/// (exact for quintics).
const GL2: [(f64, f64); 2] = [(-0.577_350_269_189_625_8, 1.0), (0.577_350_269_189_625_8, 1.0)];
const GL3: [(f64, f64); 3] =
    [(-0.774_596_669_241_483_4, 5.0 / 9.0), (0.0, 8.0 / 9.0), (0.774_596_669_241_483_4, 5.0 / 9.0)];

/// Integrals over the restricted box: its volume, `∫ tᵢ`, `∫ tᵢ²`, `∫ √(k + Σ φ)` (the energy)
/// and `∫ (k + Σ φ)` (its square).
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    mass: f64,
    first: [f64; MAX_FREE],
    second: [f64; MAX_FREE],
    root: f64,
    square: f64,
}

/// A member whose posterior variance under the relation is above this fraction of its
/// interval's own (`width² / 12`) keeps its own estimate: the relation narrows it little, and
/// what it still does — cut the interval's edge under a flat prior — is where the flat prior is
/// least safe (a falling spectrum puts originals low in wide intervals of large values).
pub const INFORMATIVE: f64 = 0.5;

/// The box `tᵢ ∈ [lo_i, hi_i]` (`i < n`) restricted to `Σ φ(tᵢ) ∈ [a, b]`; `k` is the constant
/// part of the energy's square (fixed members), used by `root` only.
#[derive(Clone, Copy, Debug)]
struct Region {
    phi: Phi,
    n: usize,
    lo: [f64; MAX_FREE],
    hi: [f64; MAX_FREE],
    a: f64,
    b: f64,
    k: f64,
    root: bool,
}

impl Region {
    /// The range of the innermost variable given the others' `Σ φ = s`: `[t0, t1]`, if any.
    #[inline]
    fn inner(&self, s: f64) -> Option<(f64, f64)> {
        let j = self.n - 1;
        let (lo, hi, phi) = (self.lo[j], self.hi[j], self.phi);
        let t0 = if self.a - s <= phi.f(lo) { lo } else { phi.inv(self.a - s).min(hi) };
        let t1 = if self.b - s >= phi.f(hi) { hi } else { phi.inv(self.b - s).max(lo) };
        (t1 > t0).then_some((t0, t1))
    }

    /// Add `w ×` the integrals over the variables `level..n` given `t[..level]` (with `Σ φ = s`).
    fn integrate(&self, level: usize, s: f64, t: &mut [f64; MAX_FREE], w: f64, acc: &mut Moments) {
        let phi = self.phi;
        if level + 1 == self.n {
            let Some((t0, t1)) = self.inner(s) else { return };
            let len = t1 - t0;
            acc.mass += w * len;
            for ((f, q), x) in acc.first.iter_mut().zip(acc.second.iter_mut()).zip(&t[..level]) {
                *f += w * len * x;
                *q += w * len * x * x;
            }
            acc.first[level] += w * len * 0.5 * (t0 + t1);
            // ∫ t² over [t0, t1], in a form without the cancellation of t1³ − t0³.
            let cube = len * (t1 * t1 + t1 * t0 + t0 * t0) / 3.0;
            acc.second[level] += w * cube;
            if self.root {
                let phi_integral = match phi {
                    Phi::Linear => 0.5 * len * (t1 + t0),
                    Phi::Square => cube,
                };
                acc.square += w * (len * (self.k + s) + phi_integral);
                let (mid, half) = (0.5 * (t0 + t1), 0.5 * len);
                let r: f64 = GL3.iter().map(|&(x, g)| g * (self.k + s + phi.f(mid + half * x)).max(0.0).sqrt()).sum();
                acc.root += w * half * r;
            }
            return;
        }
        let (lo, hi) = (self.lo[level], self.hi[level]);
        let rest = level + 1..self.n;
        let rest_min: f64 = rest.clone().map(|i| phi.f(self.lo[i])).sum();
        let rest_max: f64 = rest.clone().map(|i| phi.f(self.hi[i])).sum();
        // Where this variable can reach the shell at all, and the points where the inner range
        // changes form: φ(t) = bound − s − φ(a corner of the remaining box).
        let y0 = phi.f(lo).max(self.a - s - rest_max);
        let y1 = phi.f(hi).min(self.b - s - rest_min);
        if y0 >= y1 {
            return;
        }
        let mut cuts = [0f64; 2 + 2 * (1 << (MAX_FREE - 1))];
        cuts[0] = if y0 <= phi.f(lo) { lo } else { phi.inv(y0).clamp(lo, hi) };
        cuts[1] = if y1 >= phi.f(hi) { hi } else { phi.inv(y1).clamp(lo, hi) };
        let mut n = 2;
        let others = self.n - level - 1;
        for bound in [self.a, self.b] {
            for corner in 0..1usize << others {
                let c: f64 = (0..others)
                    .map(|i| phi.f(if corner >> i & 1 == 1 { self.hi[level + 1 + i] } else { self.lo[level + 1 + i] }))
                    .sum();
                let y = bound - s - c;
                if y > y0 && y < y1 {
                    cuts[n] = phi.inv(y).clamp(lo, hi);
                    n += 1;
                }
            }
        }
        let cuts = &mut cuts[..n];
        cuts.sort_unstable_by(f64::total_cmp);
        // With φ linear, the integrand between cuts is a polynomial: of degree m − 1 (volume) and
        // m (first moments) in this variable when m variables remain, so two points are exact up
        // to m = 3 and three up to 4. With φ = t² the inner ends are square roots of smooth
        // functions on a piece: three points, which agree with four to the last bit of the f32
        // output (rounding ties aside: ≤ 1 ulp on 3·10⁵ random particles at k = 7, 10, 15).
        let rule: &[(f64, f64)] = match (self.phi, self.n - level) {
            (Phi::Linear, ..=3) => &GL2,
            (Phi::Linear, _) => &GL3,
            (Phi::Square, _) => &GL3,
        };
        for p in cuts.windows(2) {
            let (mid, half) = (0.5 * (p[0] + p[1]), 0.5 * (p[1] - p[0]));
            if half <= 0.0 {
                continue;
            }
            for &(x, g) in rule {
                t[level] = mid + half * x;
                self.integrate(level + 1, s + phi.f(t[level]), t, w * g * half, acc);
            }
        }
    }

    fn moments(&self) -> Moments {
        let mut acc = Moments::default();
        self.integrate(0, 0.0, &mut [0.0; MAX_FREE], 1.0, &mut acc);
        acc
    }

    /// A uniform draw from the region (`None` if `MAX_TRIES` proposals all miss it).
    fn sample(&self, mut state: u64) -> Option<[f64; MAX_FREE]> {
        const MAX_TRIES: usize = 4096;
        let mut next = || {
            state = splitmix64(state);
            (state >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
        };
        let j = self.n - 1;
        let width = self.hi[j] - self.lo[j];
        // The longest the innermost range can be: its width, or the shell's thickness in its
        // direction (Δt ≤ Δφ / φ'(lo)).
        let longest = match self.phi {
            Phi::Linear => width.min(self.b - self.a),
            Phi::Square if self.lo[j] > 0.0 => width.min((self.b - self.a) / (2.0 * self.lo[j])),
            Phi::Square => width,
        };
        let mut t = [0f64; MAX_FREE];
        for _ in 0..MAX_TRIES {
            let mut s = 0.0;
            for ((x, lo), hi) in t[..j].iter_mut().zip(&self.lo).zip(&self.hi) {
                *x = lo + next() * (hi - lo);
                s += self.phi.f(*x);
            }
            if let Some((t0, t1)) = self.inner(s)
                && next() * longest < t1 - t0
            {
                t[j] = t0 + next() * (t1 - t0);
                return Some(t);
            }
        }
        None
    }
}

/// The joint estimate of a group's uncertain members at one row: `out[m]` is set for each member
/// the relation informs, left `None` for known members, members too wide or too narrow to take
/// part, and rows where the relation cannot hold (the caller falls back to each column's own
/// prior there); with `informative_only`, also for members the relation narrows little
/// ([`INFORMATIVE`]). `state` seeds [`Estimate::Sample`].
///
/// `atoms` are the group's [`JointAtom`]s whose compressed tuple is this row's (all with the
/// same `rest`). With any, the posterior is the atoms, each weighted by its training count,
/// beside the relation's continuous posterior weighted by `rest` (none where the row's box
/// misses the relation), and every uncertain member is set: the mean is the weighted mean, the
/// median the weighted median of the atoms and the continuous part's median, a draw picks an
/// atom or the continuous part by weight. A member the relation leaves to its own prior takes
/// part in the continuous part at its compressed value (in a draw: keeps its own draw).
pub(crate) fn joint(ask: Ask, fields: &[Field], atoms: &[&JointAtom], out: &mut [Option<f32>]) {
    let holds = continuous(ask, fields, out);
    let Ask { how, state, .. } = ask;
    if atoms.is_empty() {
        return;
    }
    let rest = if holds { atoms[0].rest } else { 0.0 };
    let total = atoms.iter().map(|a| a.count).sum::<f64>() + rest;
    // The continuous part's location of member m.
    let cont = |out: &[Option<f32>], m: usize| out[m].map_or(f64::from(fields[m].c), f64::from);
    let drawn = (how == Estimate::Sample).then(|| {
        let u = (splitmix64(state ^ ATOM_STREAM) >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * total;
        let mut acc = 0.0;
        atoms.iter().position(|a| {
            acc += a.count;
            u < acc
        })
    });
    let mut points = Vec::with_capacity(atoms.len() + 1);
    for (m, f) in fields.iter().enumerate().filter(|(_, f)| !f.known) {
        let v = match (how, drawn) {
            (_, Some(Some(i))) => f64::from(atoms[i].values[m]),
            (_, Some(None)) => continue, // the continuous part's draw (or the member's own)
            (Estimate::Mean, _) => {
                (atoms.iter().map(|a| a.count * f64::from(a.values[m])).sum::<f64>() + rest * cont(out, m)) / total
            }
            _ => {
                points.clear();
                points.extend(atoms.iter().map(|a| (f64::from(a.values[m]), a.count)));
                points.push((cont(out, m), rest));
                points.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
                let mut acc = 0.0;
                points
                    .iter()
                    .find(|p| {
                        acc += p.1;
                        acc >= 0.5 * total
                    })
                    .map_or(cont(out, m), |p| p.0)
            }
        };
        out[m] = Some(clamp_into(v as f32, f.lo, f.hi));
    }
}

/// What [`joint`] is asked at one row: the group's relation and tolerance, the estimate, the
/// seed state of a draw, and whether only the members the relation narrows are set.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ask {
    pub relation: Relation,
    pub tolerance: f64,
    pub how: Estimate,
    pub state: u64,
    pub informative_only: bool,
}

/// The stream of the draw that picks an atom or the continuous part (see [`joint`]).
const ATOM_STREAM: u64 = 0x6a6f_696e_745f_6174;

/// [`joint`] without atoms: the relation's own estimate. Returns whether the relation's
/// posterior has mass in the row's box (false where the box misses the relation).
fn continuous(ask: Ask, fields: &[Field], out: &mut [Option<f32>]) -> bool {
    let Ask { relation, tolerance, how, state, informative_only } = ask;
    out.iter_mut().for_each(|o| *o = None);
    if fields.iter().any(|f| !(f.c.is_finite() && f.lo.is_finite() && f.hi.is_finite())) {
        return false;
    }
    let (phi, vars, energy, a, b) = match relation {
        Relation::FourMomentum => {
            let e = fields[3];
            if e.lo < 0.0 {
                return false;
            }
            let (elo, ehi) = (f64::from(e.lo), f64::from(e.hi));
            (
                Phi::Square,
                [0, 1, 2, 4].as_slice(),
                Some(3),
                elo * elo * (1.0 - tolerance),
                ehi * ehi * (1.0 + tolerance),
            )
        }
        Relation::SumToOne => (Phi::Linear, &[0usize, 1, 2, 3][..fields.len()], None, 1.0 - tolerance, 1.0 + tolerance),
    };
    // A zero tolerance on a known energy or a sum leaves a shell of no thickness: keep a sliver
    // of relative width 1e-12 so the surface's measure survives as a limit.
    let sliver = 1e-12 * a.abs().max(b.abs()).max(f64::MIN_POSITIVE);
    let (a, b) = if b - a < sliver { (0.5 * (a + b) - 0.5 * sliver, 0.5 * (a + b) + 0.5 * sliver) } else { (a, b) };
    // Split the members into fixed ones (their φ moves the shell) and free ones (integrated),
    // each free one as (member, sign, |lo|, |hi|).
    let mut vars_free = [(0usize, 1f64, 0f64, 0f64); MAX_FREE];
    let mut n = 0;
    let mut fixed = 0.0;
    for &m in vars {
        let f = fields[m];
        let (mut lo, mut hi) = (f64::from(f.lo), f64::from(f.hi));
        let mut sg = 1.0;
        if phi == Phi::Square && hi <= 0.0 {
            (lo, hi, sg) = (-hi, -lo, -1.0);
        }
        if phi == Phi::Square && lo < 0.0 {
            return true; // an interval across zero: not something the schemes produce, no reduction
        }
        if f.known || lo == hi || phi.f(hi) - phi.f(lo) <= 1e-12 * (b - a) {
            fixed += phi.f(0.5 * (lo + hi));
            continue;
        }
        vars_free[n] = (m, sg, lo, hi);
        n += 1;
    }
    // Innermost the widest (most constrained) variable: the outer integrands are then smoothest.
    let spread = |v: &(usize, f64, f64, f64)| phi.f(v.3) - phi.f(v.2);
    vars_free[..n].sort_unstable_by(|x, y| spread(x).total_cmp(&spread(y)));
    let energy = energy.filter(|&e| !fields[e].known && fields[e].lo != fields[e].hi);
    let mut region = Region {
        phi,
        n,
        lo: [0.0; MAX_FREE],
        hi: [0.0; MAX_FREE],
        a: a - fixed,
        b: b - fixed,
        k: fixed,
        root: energy.is_some(),
    };
    let (mut free, mut sign) = ([0usize; MAX_FREE], [1f64; MAX_FREE]);
    for (i, &(m, sg, lo, hi)) in vars_free[..n].iter().enumerate() {
        (free[i], sign[i], region.lo[i], region.hi[i]) = (m, sg, lo, hi);
    }
    let put = |out: &mut [Option<f32>], m: usize, v: f64| {
        let f = fields[m];
        out[m] = Some(clamp_into(v as f32, f.lo, f.hi));
    };
    if region.n == 0 {
        // Everything but the energy is known: the relation fixes it.
        if let Some(e) = energy
            && region.a <= 0.0
            && 0.0 <= region.b
        {
            put(out, e, fixed.sqrt());
        }
        return region.a <= 0.0 && 0.0 <= region.b;
    }
    // The box's own range of Σ φ must meet the shell, or the relation does not hold here.
    let (lowest, highest) =
        (0..region.n).fold((0.0, 0.0), |(l, h), i| (l + phi.f(region.lo[i]), h + phi.f(region.hi[i])));
    if highest < region.a || lowest > region.b {
        return false;
    }
    // The free members' |values| and the energy: a draw, the mean or the marginal medians.
    let m = region.moments();
    if !(m.mass.is_finite() && m.mass > 0.0) {
        return false;
    }
    // Which members the relation informs: posterior variance at most INFORMATIVE of the
    // interval's own; the others keep their own estimates.
    let narrow = |second: f64, first: f64, width: f64| {
        let var = second / m.mass - (first / m.mass).powi(2);
        var <= INFORMATIVE * width * width / 12.0
    };
    let mut informs = [false; MAX_FREE];
    for (i, x) in informs[..region.n].iter_mut().enumerate() {
        *x = narrow(m.second[i], m.first[i], region.hi[i] - region.lo[i]);
    }
    let energy_informed =
        energy.is_some_and(|e| narrow(m.square, m.root, f64::from(fields[e].hi) - f64::from(fields[e].lo)));
    let drawn = if how == Estimate::Sample { region.sample(state) } else { None };
    let (t, energy_value) = if let Some(t) = drawn {
        (t, (fixed + t[..region.n].iter().map(|&x| phi.f(x)).sum::<f64>()).max(0.0).sqrt())
    } else {
        match how {
            // Sample here: a region too thin for the sampler's proposals; its mean is still a member.
            Estimate::Mean | Estimate::Sample => (m.first.map(|f| f / m.mass), m.root / m.mass),
            Estimate::Median => {
                let mut t = [0f64; MAX_FREE];
                for (i, x) in t[..region.n].iter_mut().enumerate() {
                    *x = marginal_median(&region, i, m.mass);
                }
                // P(e ≤ q) is the mass of the shell cut at q² − k.
                let (mut lo, mut hi) = (region.a.max(0.0), region.b);
                if energy.is_some() {
                    for _ in 0..64 {
                        let mid = 0.5 * (lo + hi);
                        if mid <= lo || mid >= hi || (lo + fixed).sqrt() as f32 == (hi + fixed).sqrt() as f32 {
                            break;
                        }
                        let below = Region { b: mid, root: false, ..region }.moments().mass;
                        if below < 0.5 * m.mass { lo = mid } else { hi = mid }
                    }
                }
                (t, (0.5 * (lo + hi) + fixed).max(0.0).sqrt())
            }
        }
    };
    for i in (0..region.n).filter(|&i| informs[i] || !informative_only) {
        put(out, free[i], sign[i] * t[i]);
    }
    if let Some(e) = energy.filter(|_| energy_informed || !informative_only) {
        put(out, e, energy_value);
    }
    true
}

/// The median of free variable `i`'s marginal, by bisection on its distribution function (each
/// step the exact mass of the region cut at the trial point), to `float32` resolution.
fn marginal_median(region: &Region, i: usize, mass: f64) -> f64 {
    let (mut lo, mut hi) = (region.lo[i], region.hi[i]);
    for _ in 0..64 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi || lo as f32 == hi as f32 {
            break;
        }
        let mut cut = *region;
        cut.hi[i] = mid;
        cut.root = false;
        if cut.moments().mass < 0.5 * mass {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(lo: f32, hi: f32) -> Field {
        Field { c: 0.5 * (lo + hi), lo, hi, known: false }
    }

    /// The mean of a four-momentum group with no tolerance.
    fn ask(informative_only: bool) -> Ask {
        Ask { relation: Relation::FourMomentum, tolerance: 0.0, how: Estimate::Mean, state: 0, informative_only }
    }

    /// A brute-force mean: a midpoint grid of `n` points per free axis over the box.
    fn grid_mean(fields: &[Field], m: f32, tol: f64, n: usize) -> [f64; 4] {
        let (mut w, mut acc) = (0.0, [0.0; 4]);
        let ax =
            |f: Field, i: usize| f64::from(f.lo) + (i as f64 + 0.5) / n as f64 * (f64::from(f.hi) - f64::from(f.lo));
        let (elo, ehi) = (f64::from(fields[3].lo), f64::from(fields[3].hi));
        for i in 0..n {
            for j in 0..n {
                for l in 0..n {
                    let (x, y, z) = (ax(fields[0], i), ax(fields[1], j), ax(fields[2], l));
                    let s = x * x + y * y + z * z + f64::from(m) * f64::from(m);
                    if s >= elo * elo * (1.0 - tol) && s <= ehi * ehi * (1.0 + tol) {
                        w += 1.0;
                        acc[0] += x;
                        acc[1] += y;
                        acc[2] += z;
                        acc[3] += s.sqrt();
                    }
                }
            }
        }
        acc.map(|a| a / w)
    }

    #[test]
    fn informative_only_leaves_the_members_the_relation_barely_narrows() {
        // A forward massless particle at k = 7: pz and e in the same interval, px and py small.
        // The relation says e ≥ |pz| + ~1000 in boxes 8192 wide: it cuts an edge, no more.
        let fields = [
            field(-18_176.0, -17_920.0),
            field(-43_008.0, -42_496.0),
            field(1_069_056.0, 1_077_248.0),
            field(1_069_056.0, 1_077_248.0),
            Field { c: 0.0, lo: 0.0, hi: 0.0, known: true },
        ];
        let mut all = [None; 5];
        joint(ask(false), &fields, &[], &mut all);
        assert!(all[2].is_some() && all[3].is_some(), "{all:?}");
        let mut informed = [None; 5];
        joint(ask(true), &fields, &[], &mut informed);
        assert!(informed[2].is_none() && informed[3].is_none(), "{informed:?}");
        // A slow particle whose e interval is far wider than its momenta's: e is pinned.
        let slow = [
            field(30.0, 30.25),
            field(-40.5, -40.25),
            field(118.0, 118.5),
            field(120.0, 136.0),
            Field { c: 0.1, lo: 0.1, hi: 0.1, known: true },
        ];
        joint(ask(true), &slow, &[], &mut informed);
        assert!(informed[3].is_some(), "{informed:?}");
    }

    #[test]
    fn the_reduction_agrees_with_a_fine_grid() {
        // A particle with px, py, pz, e compressed (k = 7 wide boxes) and m exact.
        let fields = [
            field(30.0, 30.25),
            field(-40.5, -40.25),
            field(118.0, 118.5),
            field(128.5, 129.0),
            Field { c: 0.1, lo: 0.1, hi: 0.1, known: true },
        ];
        let mut out = [None; 5];
        joint(ask(false), &fields, &[], &mut out);
        let grid = grid_mean(&fields, 0.1, 0.0, 240);
        let mut moved = 0.0f64;
        for (k, m) in [0, 1, 2, 3].into_iter().enumerate() {
            let got = f64::from(out[m].unwrap());
            let width = f64::from(fields[m].hi - fields[m].lo);
            assert!((got - grid[k]).abs() < 4e-3 * width, "member {m}: {got} vs grid {}", grid[k]);
            moved = moved.max((got - f64::from(fields[m].c)).abs() / width);
        }
        assert!(moved > 0.05, "the relation should move the estimate off the box centre");
        assert!(out[4].is_none());
    }
}
