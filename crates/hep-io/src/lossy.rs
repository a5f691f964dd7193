//! ROOT's lossy float types in TTrees, `Float16_t` and `Double32_t`: how a branch packs its
//! values (read from a leaf title such as `x/d[-2.71,10,20]` or a class member's comment such as
//! `//[-pi,pi,30]`), how they decode, and the `float-bits` scheme that produced them, which the
//! reader attaches to the Arrow field under [`SCHEME_KEY`].

use arrow_schema::Field;
use float_bits::Scheme;

/// The Arrow field metadata key holding the lossy scheme a column's values went through, as
/// [`Scheme`]'s text (`Display`, parsed back with `str::parse`): set by the readers where the
/// file says it (`Float16_t` / `Double32_t` branches, RNTuple `Real16`, `Real32Trunc` and
/// `Real32Quant` columns) and by `hepfloat compress`.
///
/// ```
/// let field = arrow_schema::Field::new("x", arrow_schema::DataType::Float32, false);
/// let field = hep_io::with_scheme(field, &float_bits::Scheme::atlas(7)?);
/// assert_eq!(field.metadata()[hep_io::SCHEME_KEY], "Atlas{k=7}");
/// assert_eq!(hep_io::scheme_of(&field)?, Some(float_bits::Scheme::atlas(7)?));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const SCHEME_KEY: &str = "hepfloat.scheme";

/// `field` with its [`SCHEME_KEY`] metadata set to `scheme` (other metadata kept).
///
/// ```
/// use arrow_schema::{DataType, Field};
/// let f = hep_io::with_scheme(Field::new("x", DataType::Float32, false), &float_bits::Scheme::half());
/// assert_eq!(f.metadata()["hepfloat.scheme"], "Half");
/// ```
pub fn with_scheme(field: Field, scheme: &Scheme) -> Field {
    let mut meta = field.metadata().clone();
    meta.insert(SCHEME_KEY.to_string(), scheme.to_string());
    field.with_metadata(meta)
}

/// The Arrow field metadata key holding the scheme an upsampled column's values came from
/// (its [`SCHEME_KEY`] moves here: the values are no longer outputs of the scheme), as
/// `hepfloat upsample` and the Python package's `Model.upsample` write it.
pub const UPSAMPLED_FROM_KEY: &str = "hepfloat.upsampled_from";

/// `field` of a column whose values were upsampled: its [`SCHEME_KEY`] metadata, if any, moved
/// to [`UPSAMPLED_FROM_KEY`] (other metadata kept).
///
/// ```
/// use arrow_schema::{DataType, Field};
/// let f = hep_io::with_scheme(Field::new("x", DataType::Float32, false), &float_bits::Scheme::atlas(7)?);
/// let up = hep_io::upsampled_from(f);
/// assert_eq!(up.metadata().get(hep_io::SCHEME_KEY), None);
/// assert_eq!(up.metadata()[hep_io::UPSAMPLED_FROM_KEY], "Atlas{k=7}");
/// # Ok::<(), float_bits::Error>(())
/// ```
pub fn upsampled_from(field: Field) -> Field {
    let mut meta = field.metadata().clone();
    match meta.remove(SCHEME_KEY) {
        Some(s) => {
            meta.insert(UPSAMPLED_FROM_KEY.to_string(), s);
            field.with_metadata(meta)
        }
        None => field,
    }
}

/// The scheme recorded in `field`'s [`SCHEME_KEY`] metadata: `None` where there is none, an
/// error naming the field where the text is not a valid scheme.
///
/// ```
/// use arrow_schema::{DataType, Field};
/// let plain = Field::new("x", DataType::Float32, false);
/// assert_eq!(hep_io::scheme_of(&plain)?, None);
/// let meta = std::collections::HashMap::from([("hepfloat.scheme".to_string(), "Atlas{k=99}".to_string())]);
/// let bad = plain.with_metadata(meta);
/// assert!(hep_io::scheme_of(&bad).unwrap_err().to_string().contains("column x"));
/// # Ok::<(), hep_io::Error>(())
/// ```
pub fn scheme_of(field: &Field) -> crate::Result<Option<Scheme>> {
    let Some(text) = field.metadata().get(SCHEME_KEY) else { return Ok(None) };
    text.parse().map(Some).map_err(|e: float_bits::Error| crate::Error::BadScheme {
        column: field.name().clone(),
        text: text.clone(),
        detail: e.to_string(),
    })
}

/// How a `Float16_t` or `Double32_t` value is packed on disk, as ROOT decides it from the
/// bracket in a leaf title or member comment (`TStreamerElement::GetRange`).
///
/// ```
/// use hep_io::Packing;
/// assert_eq!(Packing::double32("d[-2.71,10,20]"), Packing::Range { min: -2.71, max: 10.0, bits: 20 });
/// assert_eq!(Packing::double32("[0, 0, 14] a 14-bit mantissa"), Packing::Mantissa { bits: 14 });
/// assert_eq!(Packing::double32("saved as a float"), Packing::Float);
/// assert_eq!(Packing::float16("f"), Packing::Mantissa { bits: 12 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Packing {
    /// Range mode `[min, max, bits]`: a big-endian `u32` `a`, read back as `a / factor + min` in
    /// `double` (`factor = 2^bits / (max - min)`, or `(2^32 - 1) / (max - min)` for 32 bits).
    Range {
        /// Lower end of the range.
        min: f64,
        /// Upper end of the range.
        max: f64,
        /// Bits of the stored integer, 2 to 32.
        bits: u32,
    },
    /// Mantissa mode: an exponent byte, then a big-endian 16-bit word with `bits` mantissa bits
    /// and the sign above them; read back as a `float`.
    Mantissa {
        /// Mantissa bits kept, 2 to 14.
        bits: u32,
    },
    /// `Double32_t` without a range or with 15 bits or more: a big-endian `float`.
    Float,
}

impl Packing {
    /// The packing of a `Float16_t`: mantissa mode with 12 bits unless the title says otherwise.
    pub fn float16(title: &str) -> Packing {
        Self::from_title(title).unwrap_or(Packing::Mantissa { bits: 12 })
    }

    /// The packing of a `Double32_t`: a `float` unless the title says otherwise.
    pub fn double32(title: &str) -> Packing {
        Self::from_title(title).unwrap_or(Packing::Float)
    }

    /// The first bracket holding a comma (a bracket without one is an array dimension, and the
    /// next is tried), as `[min, max]` or `[min, max, bits]`: a range where `min < max`, else
    /// mantissa mode for fewer than 15 bits; `None` where ROOT falls back to the type's default.
    fn from_title(title: &str) -> Option<Packing> {
        let mut left = title.find('[')?;
        let mut right = left + title[left..].find(']')?;
        let mut comma = title[left..right].find(',').map(|c| left + c);
        if comma.is_none() {
            left = right + title[right..].find('[')?;
            right = left + title[left..].find(']')?;
            comma = title[left..right].find(',').map(|c| left + c);
        }
        let comma = comma?;
        let mut bits = 32;
        let mut end = right;
        if let Some(c2) = title[comma + 1..right].find(',').map(|c| comma + 1 + c) {
            // `sscanf("%d")`: a failed parse leaves 32; ROOT resets anything outside 2..=32.
            bits = leading_int(&title[c2 + 1..right]).unwrap_or(32);
            if !(2..=32).contains(&bits) {
                bits = 32;
            }
            end = c2;
        }
        let min = bound(&title[left + 1..comma]);
        let max = bound(&title[comma + 1..end]);
        if min < max {
            Some(Packing::Range { min, max, bits: bits as u32 })
        } else if bits < 15 {
            Some(Packing::Mantissa { bits: bits as u32 })
        } else {
            None
        }
    }

    /// Bytes per value on disk.
    pub(crate) fn size(self) -> usize {
        match self {
            Packing::Mantissa { .. } => 3,
            Packing::Range { .. } | Packing::Float => 4,
        }
    }

    /// The `float-bits` scheme whose outputs these values are, on the type they are read into
    /// (`f32` for `Float16_t`, `f64` for `Double32_t`).
    ///
    /// `Double32_t` stored as a `float` is `NearestEven { k: 23 }` on `f64`: exact for
    /// magnitudes in `float`'s normal range; below it and above `f32::MAX` the C++ cast's
    /// preimages are wider than the scheme's, so the scheme's preimages are inside the true ones.
    ///
    /// ```
    /// use hep_io::Packing;
    /// assert_eq!(Packing::Mantissa { bits: 10 }.scheme()?.to_string(), "RootFloat16{k=10}");
    /// assert_eq!(Packing::Float.scheme()?.to_string(), "NearestEven{k=23}");
    /// # Ok::<(), float_bits::Error>(())
    /// ```
    pub fn scheme(self) -> Result<Scheme, float_bits::Error> {
        match self {
            Packing::Range { min, max, bits } => Scheme::root_range(min, max, bits),
            Packing::Mantissa { bits } => Scheme::root_float16(bits),
            Packing::Float => Scheme::nearest_even(23),
        }
    }

    /// Decode `src` (whole on-disk values) and append them to `out` in native byte order, as
    /// `f32` (`double = false`) or `f64`.
    pub(crate) fn decode(self, src: &[u8], double: bool, out: &mut arrow_buffer::MutableBuffer) {
        let size = self.size();
        let mut put = |v: f64, single: f32| {
            if double {
                out.extend_from_slice(&v.to_ne_bytes());
            } else {
                out.extend_from_slice(&single.to_ne_bytes());
            }
        };
        match self {
            Packing::Range { min, max, bits } => {
                // `TStreamerElement::GetRange` and `TBufferFile::ReadWithFactor`.
                let top = if bits >= 32 { f64::from(u32::MAX) } else { f64::from(1u32 << bits) };
                let factor = top / (max - min);
                for c in src.chunks_exact(size) {
                    let a = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
                    let v = f64::from(a) / factor + min;
                    put(v, v as f32);
                }
            }
            Packing::Mantissa { bits } => {
                // `TBufferFile::ReadWithNbits`: the exponent byte at bit 23, the mantissa below
                // it, the sign from the bit above the mantissa.
                for c in src.chunks_exact(size) {
                    let man = u32::from(u16::from_be_bytes([c[1], c[2]]));
                    let magnitude = (u32::from(c[0]) << 23) | ((man & ((1 << (bits + 1)) - 1)) << (23 - bits));
                    let mut f = f32::from_bits(magnitude);
                    if man & (1 << (bits + 1)) != 0 {
                        f = -f;
                    }
                    put(f64::from(f), f);
                }
            }
            Packing::Float => {
                for c in src.chunks_exact(size) {
                    let f = f32::from_bits(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
                    put(f64::from(f), f);
                }
            }
        }
    }
}

impl std::fmt::Display for Packing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Packing::Range { min, max, bits } => write!(f, "[{min},{max},{bits}]"),
            Packing::Mantissa { bits } => write!(f, "[0,0,{bits}]"),
            Packing::Float => f.write_str("float"),
        }
    }
}

/// `sscanf("%d")`: optional spaces and sign, then the digits.
fn leading_int(s: &str) -> Option<i64> {
    let s = s.trim_start();
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    let n = digits.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    let n = n.min(18); // beyond that the bits are out of range anyway
    s[..s.len() - digits.len() + n].parse().ok()
}

/// A range bound as `GetRange` reads it: lower case, spaces removed, `pi` forms (`2pi`, `2*pi`,
/// `twopi`, `pi/2`, `pi/4`, `pi`, negated by any `-`), else `sscanf("%lg")` (0 where nothing
/// parses).
fn bound(text: &str) -> f64 {
    use std::f64::consts::PI;
    let s: String = text.to_lowercase().chars().filter(|&c| c != ' ').collect();
    if s.contains("pi") {
        let v = if s.contains("2pi") || s.contains("2*pi") || s.contains("twopi") {
            2.0 * PI
        } else if s.contains("pi/2") {
            PI / 2.0
        } else if s.contains("pi/4") {
            PI / 4.0
        } else {
            PI
        };
        return if s.contains('-') { -v } else { v };
    }
    // The longest prefix that is a number (`%lg` stops at the first character that cannot
    // continue one).
    let s = s.trim_start_matches(['\t', '\n']);
    let n = s.bytes().take_while(|b| b.is_ascii_digit() || b"+-.eE".contains(b)).count();
    (1..=n).rev().find_map(|k| s[..k].parse::<f64>().ok()).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_decide_the_packing_as_root_does() {
        let range = |min, max, bits| Packing::Range { min, max, bits };
        assert_eq!(Packing::double32("d[-2.71,10,32]"), range(-2.71, 10.0, 32));
        assert_eq!(Packing::float16("array_10[3]/f[-2.71,10,10]"), range(-2.71, 10.0, 10));
        assert_eq!(Packing::double32("[-pi,pi]    saved as a 32 bit unsigned int"), range(-PI, PI, 32));
        assert_eq!(Packing::double32("[-pi,pi, 8] saved"), range(-PI, PI, 8));
        assert_eq!(Packing::double32("[0,2pi,12]"), range(0.0, 2.0 * PI, 12));
        assert_eq!(Packing::double32("[-pi/2, pi/2]"), range(-PI / 2.0, PI / 2.0, 32));
        assert_eq!(Packing::double32("[0, 1e3, 1]"), range(0.0, 1000.0, 32)); // 1 bit: reset to 32
        assert_eq!(Packing::double32("[0,  0,  2] a 2-bit mantissa"), Packing::Mantissa { bits: 2 });
        assert_eq!(Packing::double32("[0,0,15]"), Packing::Float);
        assert_eq!(Packing::float16("[0,0,20]"), Packing::Mantissa { bits: 12 });
        assert_eq!(Packing::double32("[10,0,8]"), Packing::Mantissa { bits: 8 }); // min ≥ max
        assert_eq!(Packing::double32("[3] a dimension only"), Packing::Float);
        assert_eq!(Packing::double32("[3][unclosed"), Packing::Float);
        assert_eq!(Packing::double32("]["), Packing::Float);
        assert_eq!(Packing::double32("[a,b,c]"), Packing::Float); // 0 ≥ 0, 32 bits
    }

    #[test]
    fn any_title_is_a_packing_without_a_panic() {
        for t in [
            "[",
            "[,",
            "[,]",
            "[,,]",
            "[,,,]",
            "[-,-,-]",
            "[[,]]",
            "[1e999,-1e999,4]",
            "[é,ü,9]",
            "[0,1,99999999999999999999]",
        ] {
            let _ = (Packing::double32(t), Packing::float16(t));
        }
        assert_eq!(Packing::double32("[0,1,99999999999999999999]"), Packing::Range { min: 0.0, max: 1.0, bits: 32 });
    }

    use std::f64::consts::PI;
}
