//! RNTuple column types and the decoding of one page into values.

use crate::error::{Error, Result};

/// The on-disk column types of RNTuple format 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Kind {
    Bit,
    Byte,
    Char,
    Int {
        bytes: usize,
        signed: bool,
        split: bool,
    },
    Index {
        bytes: usize,
        split: bool,
    },
    Real {
        bytes: usize,
        split: bool,
    },
    Switch,
    /// `Real32Trunc`: the leading `bits` bits of a `float` (sign, exponent, mantissa).
    Trunc {
        bits: u32,
    },
    /// `Real32Quant`: an integer of `bits` bits spanning `[min, max]`.
    Quant {
        bits: u32,
        min: f64,
        max: f64,
    },
}

impl Kind {
    /// The column type of a column record, with its bits on storage and value range.
    pub(crate) fn of(code: u16, bits: u16, range: Option<(f64, f64)>) -> std::result::Result<Kind, String> {
        let int = |bytes, signed, split| Kind::Int { bytes, signed, split };
        let kind = match code {
            0x00 => Kind::Bit,
            0x01 => Kind::Byte,
            0x02 => Kind::Char,
            0x03 => int(1, true, false),
            0x04 => int(1, false, false),
            0x05 => int(2, true, false),
            0x06 => int(2, false, false),
            0x07 => int(4, true, false),
            0x08 => int(4, false, false),
            0x09 => int(8, true, false),
            0x0A => int(8, false, false),
            0x0B => Kind::Real { bytes: 2, split: false },
            0x0C => Kind::Real { bytes: 4, split: false },
            0x0D => Kind::Real { bytes: 8, split: false },
            0x0E => Kind::Index { bytes: 4, split: false },
            0x0F => Kind::Index { bytes: 8, split: false },
            0x10 => Kind::Switch,
            0x11 => int(2, true, true),
            0x12 => int(2, false, true),
            0x13 => int(4, true, true),
            0x14 => int(4, false, true),
            0x15 => int(8, true, true),
            0x16 => int(8, false, true),
            0x17 => Kind::Real { bytes: 2, split: true },
            0x18 => Kind::Real { bytes: 4, split: true },
            0x19 => Kind::Real { bytes: 8, split: true },
            0x1A => Kind::Index { bytes: 4, split: true },
            0x1B => Kind::Index { bytes: 8, split: true },
            0x1C if (10..=31).contains(&bits) => Kind::Trunc { bits: u32::from(bits) },
            0x1C => return Err(format!("Real32Trunc with {bits} bits (10 to 31 are valid)")),
            0x1D => match range {
                Some((min, max)) if (1..=32).contains(&bits) && min.is_finite() && max.is_finite() && min < max => {
                    Kind::Quant { bits: u32::from(bits), min, max }
                }
                _ => return Err(format!("Real32Quant with {bits} bits and range {range:?}")),
            },
            other => return Err(format!("column type {other:#04x} is not one of RNTuple format 1")),
        };
        let expected = kind.bits();
        if u32::from(bits) != expected {
            return Err(format!("{} bits on storage for a column of {expected}-bit elements", bits));
        }
        Ok(kind)
    }

    /// Bits per element on storage.
    pub(crate) fn bits(self) -> u32 {
        match self {
            Kind::Bit => 1,
            Kind::Byte | Kind::Char => 8,
            Kind::Int { bytes, .. } | Kind::Index { bytes, .. } | Kind::Real { bytes, .. } => 8 * bytes as u32,
            Kind::Switch => 96,
            Kind::Trunc { bits } | Kind::Quant { bits, .. } => bits,
        }
    }

    /// Bytes of a page of `n` elements.
    pub(crate) fn page_bytes(self, n: u64) -> Option<u64> {
        n.checked_mul(u64::from(self.bits())).map(|b| b.div_ceil(8))
    }

    /// The name in the specification.
    pub(crate) fn name(self) -> String {
        match self {
            Kind::Bit => "Bit".into(),
            Kind::Byte => "Byte".into(),
            Kind::Char => "Char".into(),
            Kind::Int { bytes, signed, split } => {
                format!("{}{}Int{}", if split { "Split" } else { "" }, if signed { "" } else { "U" }, 8 * bytes)
            }
            Kind::Index { bytes, split } => format!("{}Index{}", if split { "Split" } else { "" }, 8 * bytes),
            Kind::Real { bytes, split } => format!("{}Real{}", if split { "Split" } else { "" }, 8 * bytes),
            Kind::Switch => "Switch".into(),
            Kind::Trunc { bits } => format!("Real32Trunc({bits} bits)"),
            Kind::Quant { bits, min, max } => format!("Real32Quant({bits} bits, [{min}, {max}])"),
        }
    }

    /// Whether the column holds integers (indices included), reals, or bits.
    pub(crate) fn is_real(self) -> bool {
        matches!(self, Kind::Real { .. } | Kind::Trunc { .. } | Kind::Quant { .. })
    }
}

/// A value type a column decodes into (the field's in-memory type).
pub(crate) trait Elem: Copy + Default + Send + 'static {
    /// From an integer column (bits and chars as integers), if it fits.
    fn from_int(v: i128) -> Option<Self>;
    /// From a real column (`None` for integer types: reals are not read as integers).
    fn from_real(v: f64, single: Option<f32>) -> Option<Self>;
}

macro_rules! int_elem {
    ($($t:ty),*) => {$(
        impl Elem for $t {
            fn from_int(v: i128) -> Option<Self> {
                <$t>::try_from(v).ok()
            }
            fn from_real(_: f64, _: Option<f32>) -> Option<Self> {
                None
            }
        }
    )*};
}
int_elem!(i8, u8, i16, u16, i32, u32, i64, u64);

impl Elem for bool {
    fn from_int(v: i128) -> Option<Self> {
        Some(v != 0)
    }
    fn from_real(_: f64, _: Option<f32>) -> Option<Self> {
        None
    }
}

impl Elem for f32 {
    fn from_int(_: i128) -> Option<Self> {
        None
    }
    /// A single-precision value keeps its bits; a double is rounded.
    fn from_real(v: f64, single: Option<f32>) -> Option<Self> {
        Some(single.unwrap_or(v as f32))
    }
}

impl Elem for f64 {
    fn from_int(_: i128) -> Option<Self> {
        None
    }
    fn from_real(v: f64, _: Option<f32>) -> Option<Self> {
        Some(v)
    }
}

/// Byte `j` of element `i` of a page of `n` elements of `w` bytes.
#[inline]
fn byte(raw: &[u8], split: bool, n: usize, w: usize, i: usize, j: usize) -> u8 {
    if split { raw[j * n + i] } else { raw[i * w + j] }
}

/// Element `i` as a little-endian unsigned integer of `w` bytes.
#[inline]
fn word(raw: &[u8], split: bool, n: usize, w: usize, i: usize) -> u64 {
    (0..w).fold(0u64, |acc, j| acc | u64::from(byte(raw, split, n, w, i, j)) << (8 * j))
}

/// Element `i` of a bit-packed stream of `bits`-bit elements (least significant bit first).
#[inline]
fn packed(raw: &[u8], bits: u32, i: usize) -> u64 {
    let start = i as u64 * u64::from(bits);
    let mut v = 0u64;
    for b in 0..u64::from(bits) {
        let at = start + b;
        let bit = (raw[(at / 8) as usize] >> (at % 8)) & 1;
        v |= u64::from(bit) << b;
    }
    v
}

/// Sign-extend a `w`-byte word.
fn signed(v: u64, w: usize) -> i64 {
    let shift = 64 - 8 * w as u32;
    ((v << shift) as i64) >> shift
}

/// Decode a page of `n` elements (`raw` holds exactly [`Kind::page_bytes`]) into `out`.
/// `what` names the column in errors, `at` is the page's file offset.
pub(crate) fn decode<T: Elem>(kind: Kind, raw: &[u8], n: usize, out: &mut Vec<T>, at: u64) -> Result<()> {
    let bad = |detail: String| Error::Malformed { what: "RNTuple page", offset: at, detail };
    let misfit = |v: &dyn std::fmt::Debug| bad(format!("{} value {v:?} does not fit the field's type", kind.name()));
    out.reserve(n);
    match kind {
        Kind::Bit => {
            for i in 0..n {
                out.push(T::from_int(i128::from((raw[i / 8] >> (i % 8)) & 1)).ok_or_else(|| misfit(&i))?);
            }
        }
        Kind::Byte | Kind::Char => {
            for &b in &raw[..n] {
                out.push(T::from_int(i128::from(b)).ok_or_else(|| misfit(&b))?);
            }
        }
        Kind::Int { bytes, signed: s, split } => {
            for i in 0..n {
                let u = word(raw, split, n, bytes, i);
                let v: i128 = match (s, split) {
                    (true, true) => i128::from(((u >> 1) as i64) ^ -((u & 1) as i64)),
                    (true, false) => i128::from(signed(u, bytes)),
                    (false, _) => i128::from(u),
                };
                out.push(T::from_int(v).ok_or_else(|| misfit(&v))?);
            }
        }
        Kind::Index { bytes, split } => {
            let mut sum = 0u64;
            for i in 0..n {
                let u = word(raw, split, n, bytes, i);
                // Split index pages are delta encoded: the first element as is, then differences.
                let v = if split {
                    sum = if i == 0 { u } else { sum.wrapping_add(u) };
                    sum
                } else {
                    u
                };
                out.push(T::from_int(i128::from(v)).ok_or_else(|| misfit(&v))?);
            }
        }
        Kind::Real { bytes, split } => {
            for i in 0..n {
                let u = word(raw, split, n, bytes, i);
                let (v, single) = match bytes {
                    2 => {
                        let h = half::f16::from_bits(u as u16);
                        (f64::from(h), Some(f32::from(h)))
                    }
                    4 => {
                        let f = f32::from_bits(u as u32);
                        (f64::from(f), Some(f))
                    }
                    _ => (f64::from_bits(u), None),
                };
                out.push(T::from_real(v, single).ok_or_else(|| misfit(&v))?);
            }
        }
        Kind::Trunc { bits } => {
            for i in 0..n {
                let f = f32::from_bits((packed(raw, bits, i) as u32) << (32 - bits));
                out.push(T::from_real(f64::from(f), Some(f)).ok_or_else(|| misfit(&f))?);
            }
        }
        Kind::Quant { bits, min, max } => {
            let scale = (max - min) / ((1u64 << bits) - 1) as f64;
            for i in 0..n {
                let q = packed(raw, bits, i);
                let v = (min + q as f64 * scale).min(max);
                out.push(T::from_real(v, None).ok_or_else(|| misfit(&v))?);
            }
        }
        Kind::Switch => return Err(bad("Switch columns are not decoded as values".into())),
    }
    Ok(())
}
