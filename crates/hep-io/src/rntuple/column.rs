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

#[cfg(test)]
mod tests {
    //! Pages built here by plain encoders written from the specification's wording, decoded by
    //! [`decode`]; lossy reals are checked against `float_bits::reference`.
    use super::{Kind, decode};

    /// Little-endian bytes of each element, then split (all first bytes, all second bytes, …).
    fn split(words: &[u64], w: usize) -> Vec<u8> {
        (0..w).flat_map(|j| words.iter().map(move |v| (v >> (8 * j)) as u8)).collect()
    }

    /// A bit stream of `bits`-bit elements, least significant bit first.
    fn pack(codes: &[u64], bits: u32) -> Vec<u8> {
        let mut out = vec![0u8; (codes.len() * bits as usize).div_ceil(8)];
        for (i, &c) in codes.iter().enumerate() {
            for b in 0..bits as usize {
                if c >> b & 1 == 1 {
                    let at = i * bits as usize + b;
                    out[at / 8] |= 1 << (at % 8);
                }
            }
        }
        out
    }

    fn run<T: super::Elem>(kind: Kind, raw: &[u8], n: usize) -> Vec<T> {
        assert_eq!(kind.page_bytes(n as u64), Some(raw.len() as u64), "{}", kind.name());
        let mut out = Vec::new();
        decode(kind, raw, n, &mut out, 0).unwrap();
        out
    }

    #[test]
    fn split_zigzag_integers() {
        let values = [-3i32, 0, 5, i32::MIN, i32::MAX, -1];
        let zigzag: Vec<u64> = values.iter().map(|&v| u64::from(((v << 1) ^ (v >> 31)) as u32)).collect();
        let kind = Kind::of(0x13, 32, None).unwrap();
        assert_eq!(run::<i32>(kind, &split(&zigzag, 4), values.len()), values);
        // Unsplit signed integers are plain two's complement.
        let plain: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(run::<i32>(Kind::of(0x07, 32, None).unwrap(), &plain, values.len()), values);
        // A value that does not fit the field's type is an error, not a wrap.
        let mut out: Vec<i8> = Vec::new();
        assert!(decode(kind, &split(&zigzag, 4), values.len(), &mut out, 7).is_err());
    }

    #[test]
    fn split_index_pages_are_delta_encoded() {
        let offsets = [3u64, 3, 10, 12, 1 << 40];
        let deltas: Vec<u64> =
            (0..offsets.len()).map(|i| if i == 0 { offsets[0] } else { offsets[i] - offsets[i - 1] }).collect();
        assert_eq!(run::<u64>(Kind::of(0x1B, 64, None).unwrap(), &split(&deltas, 8), 5), offsets);
        let plain: Vec<u8> = offsets.iter().flat_map(|v| v.to_le_bytes()).collect();
        assert_eq!(run::<u64>(Kind::of(0x0F, 64, None).unwrap(), &plain, 5), offsets);
    }

    #[test]
    fn bits_and_split_reals() {
        let bits = [true, false, true, true, false, false, false, true, true];
        let codes: Vec<u64> = bits.iter().map(|&b| u64::from(b)).collect();
        assert_eq!(run::<bool>(Kind::of(0x00, 1, None).unwrap(), &pack(&codes, 1), bits.len()), bits);
        let x = [1.5f64, -0.0, f64::MIN_POSITIVE, f64::INFINITY];
        let words: Vec<u64> = x.iter().map(|v| v.to_bits()).collect();
        let back = run::<f64>(Kind::of(0x19, 64, None).unwrap(), &split(&words, 8), 4);
        assert_eq!(back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), words);
        // A double column read as float is rounded; a float column keeps its bits.
        let f = [0.1f32, -3.25, f32::from_bits(1)];
        let words: Vec<u64> = f.iter().map(|v| u64::from(v.to_bits())).collect();
        let back = run::<f32>(Kind::of(0x18, 32, None).unwrap(), &split(&words, 4), 3);
        assert_eq!(back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), f.map(f32::to_bits));
    }

    #[test]
    fn real16_is_ieee_half() {
        // 1, -2, the smallest subnormal 2^-24, the largest finite 65504, +inf.
        let halves = [0x3C00u64, 0xC000, 0x0001, 0x7BFF, 0x7C00];
        let expect = [1.0f32, -2.0, 2f32.powi(-24), 65504.0, f32::INFINITY];
        let plain: Vec<u8> = halves.iter().flat_map(|h| (*h as u16).to_le_bytes()).collect();
        assert_eq!(run::<f32>(Kind::of(0x0B, 16, None).unwrap(), &plain, 5), expect);
        assert_eq!(run::<f32>(Kind::of(0x17, 16, None).unwrap(), &split(&halves, 2), 5), expect);
    }

    #[test]
    fn real32_trunc_keeps_the_leading_bits() {
        let x = [1.999f32, -1.999, 3.0e-39, -0.0, 123_456.79, f32::MAX];
        for bits in [10u32, 16, 23, 31] {
            let codes: Vec<u64> = x.iter().map(|v| u64::from(v.to_bits() >> (32 - bits))).collect();
            let back = run::<f32>(Kind::of(0x1C, bits as u16, None).unwrap(), &pack(&codes, bits), x.len());
            for (v, b) in x.iter().zip(&back) {
                let want = float_bits::reference::toward_zero(*v, bits - 9);
                assert_eq!(b.to_bits(), want.to_bits(), "{bits} bits: {v}");
            }
        }
        assert!(Kind::of(0x1C, 9, None).is_err());
        assert!(Kind::of(0x1C, 32, None).is_err());
    }

    #[test]
    fn real32_quant_decodes_as_root_does() {
        for (bits, min, max) in [(1u32, 0.0, 1.0), (7, -3.5, 12.25), (20, -1.0e3, 1.0e3), (32, 0.0, 1.0)] {
            let top = (1u64 << bits) - 1;
            let codes = [0, 1, top / 3, top - 1, top];
            let back = run::<f32>(Kind::of(0x1D, bits as u16, Some((min, max))).unwrap(), &pack(&codes, bits), 5);
            for (&q, b) in codes.iter().zip(&back) {
                let want: f32 = float_bits::reference::rntuple_quant_decode(q as u32, min, max, bits);
                assert_eq!(b.to_bits(), want.to_bits(), "{bits} bits in [{min}, {max}], code {q}");
            }
        }
        assert!(Kind::of(0x1D, 8, None).is_err(), "a quantised column needs its range");
        assert!(Kind::of(0x1D, 8, Some((1.0, 1.0))).is_err());
        assert!(Kind::of(0x1D, 33, Some((0.0, 1.0))).is_err());
    }
}
