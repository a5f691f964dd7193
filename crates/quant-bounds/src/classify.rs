//! Residual classification: are candidate originals inside their preimages, and is a column
//! really compressed the way it is said to be?

use float_bits::{Float, Scheme};

use crate::error::{Error, Result};
use crate::preimage::{mantissa_pre, preimage};

/// Where candidate originals (or corrections) lie relative to the preimages of their
/// compressed values: the result of [`classify`].
///
/// ```
/// use float_bits::Scheme;
/// let s = Scheme::atlas(7)?;
/// let c = [1.0f32, 2.0];
/// let r = quant_bounds::classify(&s, &c, &[1.001f32, 2.5])?;
/// assert_eq!((r.inside, r.outside), (1, 1));
/// assert_eq!(r.first_outside, Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    /// Candidates inside their value's preimage.
    pub inside: usize,
    /// Candidates outside it (provably not the original).
    pub outside: usize,
    /// Compressed values that no input produces (the claim about the scheme is wrong there).
    pub not_an_output: usize,
    /// NaN candidates or compressed values (not classified).
    pub nan: usize,
    /// Per value: 0 inside, else how far outside in units of the interval width
    /// ([`Interval::excess`](crate::Interval::excess)); NaN where unclassified.
    pub excess: Vec<f64>,
    /// Largest excess.
    pub max_excess: f64,
    /// First candidate outside its preimage.
    pub first_outside: Option<usize>,
}

/// Classify candidate originals against the preimages of their compressed values.
///
/// ```
/// use float_bits::Scheme;
/// let s = Scheme::toward_zero(7)?;
/// let r = quant_bounds::classify(&s, &[1.0f32], &[0.999f32])?; // truncation never rounds up
/// assert_eq!(r.outside, 1);
/// assert!(r.excess[0] > 0.0 && r.excess[0] < 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn classify<F: Float>(scheme: &Scheme, compressed: &[F], candidates: &[F]) -> Result<Classification> {
    if compressed.len() != candidates.len() {
        return Err(Error::LengthMismatch {
            what: "compressed vs candidates",
            left: compressed.len(),
            right: candidates.len(),
        });
    }
    let mut r = Classification {
        inside: 0,
        outside: 0,
        not_an_output: 0,
        nan: 0,
        excess: Vec::with_capacity(compressed.len()),
        max_excess: 0.0,
        first_outside: None,
    };
    for (i, (&c, &x)) in compressed.iter().zip(candidates).enumerate() {
        if c.is_nan() || x.is_nan() {
            r.nan += 1;
            r.excess.push(f64::NAN);
            continue;
        }
        match preimage(scheme, c) {
            Ok(iv) => {
                let e = iv.excess(x);
                if e == 0.0 {
                    r.inside += 1;
                } else {
                    r.outside += 1;
                    r.first_outside.get_or_insert(i);
                    r.max_excess = r.max_excess.max(e);
                }
                r.excess.push(e);
            }
            Err(Error::NotAnOutput { .. }) => {
                r.not_an_output += 1;
                r.excess.push(f64::NAN);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(r)
}

/// How well a column agrees with the claim "compressed with this scheme": the result of
/// [`check_claim`].
///
/// ```
/// let r = quant_bounds::check_claim(&float_bits::Scheme::atlas(7)?, &[1.0f32, 0.1])?;
/// assert_eq!(r.fraction_inconsistent(), 0.5);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClaimCheck {
    /// Values checked.
    pub total: usize,
    /// Values some input compresses to.
    pub consistent: usize,
    /// Values no input compresses to: compressed differently (another `k`), or changed after.
    pub inconsistent: usize,
    /// First inconsistent value.
    pub first_inconsistent: Option<usize>,
}

impl ClaimCheck {
    /// `inconsistent / total` (0 for an empty column).
    ///
    /// ```
    /// let r = quant_bounds::check_claim(&float_bits::Scheme::atlas(7)?, &[] as &[f32])?;
    /// assert_eq!(r.fraction_inconsistent(), 0.0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fraction_inconsistent(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.inconsistent as f64 / self.total as f64 }
    }
}

/// Check the claim that `values` were compressed with `scheme`: a value is consistent when it
/// is a possible output (its preimage is not empty). Catches data compressed with a different
/// `k`, or values changed after compression — the anomalies a reconstruction must not touch.
///
/// ```
/// use float_bits::Scheme;
/// let mut v: Vec<f32> = (1..100).map(|i| (i as f32).ln()).collect();
/// Scheme::atlas(15)?.compress_in_place(&mut v)?;
/// let at15 = quant_bounds::check_claim(&Scheme::atlas(15)?, &v)?;
/// let at7 = quant_bounds::check_claim(&Scheme::atlas(7)?, &v)?;
/// assert_eq!(at15.inconsistent, 0);
/// assert!(at7.fraction_inconsistent() > 0.9);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check_claim<F: Float>(scheme: &Scheme, values: &[F]) -> Result<ClaimCheck> {
    let mut r = ClaimCheck { total: values.len(), consistent: 0, inconsistent: 0, first_inconsistent: None };
    let fast = mantissa_pre::<F>(scheme);
    for (i, &v) in values.iter().enumerate() {
        let ok = match &fast {
            Some(p) => p.bounds(v.to_bits()).2,
            None => match preimage(scheme, v) {
                Ok(_) => true,
                Err(Error::NotAnOutput { .. }) => false,
                Err(e) => return Err(e),
            },
        };
        if ok {
            r.consistent += 1;
        } else {
            r.inconsistent += 1;
            r.first_inconsistent.get_or_insert(i);
        }
    }
    Ok(r)
}
