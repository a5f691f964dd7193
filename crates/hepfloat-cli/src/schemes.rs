//! The scheme of each float column: recorded by the file (the `hepfloat.scheme` field metadata
//! that readers and `compress` write, or the whole-file metadata of files `compress` wrote before
//! 0.5), declared by the user (`--scheme`, `--bits`, `--scheme-map GLOB=SCHEME`), or, for
//! compressed data that says nothing, detected from the data: the kept bits of each column under
//! the family the user names (ATLAS and CMS rounding cannot be told apart from outputs alone).

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use arrow_schema::{Field, Fields};
use float_bits::{KeptBits, Scheme};
use models::batch::{is_float, is_kept};
use models::{SchemeSpec, Schemes};

use crate::io::{Input, META_KEEP, META_SCHEME};

/// Field metadata of an upsampled column: the scheme its input went through (its values are no
/// longer outputs of it, so the column no longer carries [`hep_io::SCHEME_KEY`]).
pub use hep_io::UPSAMPLED_FROM_KEY as META_FROM;

/// Where a column's scheme came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The file says it.
    File,
    /// The user said it (`--scheme`, `--bits`, `--scheme-map`).
    Declared,
    /// The kept bits of the column's values, under the family the user named: a lower bound (a
    /// column of few distinct values can look coarser than it was stored).
    Detected,
}

impl Origin {
    /// The word shown in tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Origin::File => "file",
            Origin::Declared => "declared",
            Origin::Detected => "detected",
        }
    }
}

/// A family of mantissa-rounding schemes, the bits left open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Atlas,
    Cms,
    NearestEven,
    TowardZero,
    RootFloat16,
}

impl Family {
    const NAMES: &str = "atlas, cms, nearest-even, toward-zero, root-float16";

    fn parse(s: &str) -> Option<Family> {
        Some(match s {
            "atlas" => Family::Atlas,
            "cms" => Family::Cms,
            "nearest-even" => Family::NearestEven,
            "toward-zero" => Family::TowardZero,
            "root-float16" => Family::RootFloat16,
            _ => return None,
        })
    }

    /// The scheme keeping `k` mantissa bits.
    pub fn with_bits(self, k: u32) -> Result<Scheme> {
        Ok(match self {
            Family::Atlas => Scheme::atlas(k)?,
            Family::Cms => Scheme::cms(k)?,
            Family::NearestEven => Scheme::nearest_even(k)?,
            Family::TowardZero => Scheme::toward_zero(k)?,
            Family::RootFloat16 => Scheme::root_float16(k)?,
        })
    }
}

/// What a user states about a column: a whole scheme, a family with or without its bits, or
/// that the column is kept at full precision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Choice {
    Scheme(Scheme),
    Family(Family, Option<u32>),
    Kept,
}

impl Family {
    /// The name `--scheme` takes.
    fn name(self) -> &'static str {
        match self {
            Family::Atlas => "atlas",
            Family::Cms => "cms",
            Family::NearestEven => "nearest-even",
            Family::TowardZero => "toward-zero",
            Family::RootFloat16 => "root-float16",
        }
    }
}

impl std::fmt::Display for Choice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Choice::Scheme(s) => write!(f, "{s}"),
            Choice::Family(fam, Some(k)) => write!(f, "{}:{k}", fam.name()),
            Choice::Family(fam, None) => f.write_str(fam.name()),
            Choice::Kept => f.write_str("none (full precision)"),
        }
    }
}

impl std::str::FromStr for Choice {
    type Err = anyhow::Error;

    /// `atlas`, `cms:10`, `none` (kept), or a scheme as it prints (`Half`,
    /// `RootRange{min=0, max=1, n=16}`).
    fn from_str(s: &str) -> Result<Choice> {
        let s = s.trim();
        if s == "none" {
            return Ok(Choice::Kept);
        }
        let (name, bits) = match s.split_once(':') {
            Some((n, b)) => {
                (n, Some(b.trim().parse::<u32>().with_context(|| format!("{s:?}: bits must be a number"))?))
            }
            None => (s, None),
        };
        if let Some(f) = Family::parse(name.trim()) {
            if let Some(k) = bits {
                f.with_bits(k).with_context(|| format!("{s:?}"))?;
            }
            return Ok(Choice::Family(f, bits));
        }
        match s.parse::<Scheme>() {
            Ok(scheme) => Ok(Choice::Scheme(scheme)),
            Err(e) => {
                bail!("{s:?} is neither a family ({}, with :BITS or not), none, nor a scheme: {e}", Family::NAMES)
            }
        }
    }
}

/// One `GLOB=SCHEME` of `--scheme-map` (or a line of `--scheme-file`).
#[derive(Clone, Debug, PartialEq)]
pub struct Declared {
    pattern: String,
    choice: Choice,
}

impl std::str::FromStr for Declared {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Declared> {
        let (pattern, choice) = s
            .split_once('=')
            .with_context(|| format!("{s:?}: expected GLOB=SCHEME (e.g. 'AnalysisJetsAuxDyn.*=atlas:15')"))?;
        let pattern = pattern.trim();
        if pattern.is_empty() {
            bail!("{s:?}: the glob is empty");
        }
        Ok(Declared { pattern: pattern.to_string(), choice: choice.parse()? })
    }
}

/// What the user declared: the default (`--scheme`, `--bits`), the per-column map, the columns
/// kept at full precision.
#[derive(Clone, Debug)]
pub struct Declaration {
    pub default: Choice,
    pub map: Vec<Declared>,
    pub keep: Vec<String>,
}

impl Declaration {
    /// What is declared for `column`, if anything: kept (`--keep` wins, as ATLAS exempts pt,
    /// eta, phi and m from both its lists), else the first `--scheme-map` entry matching it.
    fn declared(&self, column: &str) -> Option<Choice> {
        if is_kept(column, &self.keep) {
            return Some(Choice::Kept);
        }
        self.map.iter().find(|d| hep_io::glob_match(&d.pattern, column)).map(|d| d.choice)
    }
}

/// The schemes of a file's compressed float columns (kept columns are absent), with where each
/// came from.
pub type ColumnSchemes = BTreeMap<String, (Scheme, Origin)>;

/// The schemes as `models` takes them, one per column.
pub fn per_column(schemes: &ColumnSchemes) -> Schemes {
    Schemes::PerColumn(schemes.iter().map(|(n, s)| (n.clone(), s.0)).collect())
}

/// The schemes a file records for its float columns `names`: each field's own, or, in files
/// `compress` wrote before per-column schemes, the whole file's for every column outside its
/// keep list. Empty where the file says nothing.
pub fn recorded(input: &Input, names: &[String]) -> Result<BTreeMap<String, Scheme>> {
    let schema = input.schema();
    let mut out = BTreeMap::new();
    for name in names {
        let Ok(field) = schema.field_with_name(name) else { continue };
        if let Some(s) = hep_io::scheme_of(field).with_context(|| format!("reading {}", input.name))? {
            out.insert(name.clone(), s);
        }
    }
    if out.is_empty()
        && let Some(spec) = input.metadata().get(META_SCHEME)
    {
        let bad = || format!("{}: its {META_SCHEME} metadata is damaged", input.name);
        let spec: SchemeSpec = serde_json::from_str(spec).with_context(bad)?;
        let scheme = Scheme::try_from(&spec).with_context(bad)?;
        let keep: Vec<&str> = input.metadata().get(META_KEEP).map_or(vec![], |k| k.split(',').collect());
        for name in names.iter().filter(|n| !is_kept(n, &keep)) {
            out.insert(name.clone(), scheme);
        }
    }
    Ok(out)
}

/// The fewest distinct values on which a column's detected bits are trusted. A column of fewer
/// (a constant such as a particle's mass, a handful of integers) can look coarser than it was
/// stored, and a scheme with fewer bits would let its values move outside their true
/// preimages; such a column is left as it is (its values are kept, which is inside any
/// preimage). With n distinct continuous values, each under-reporting one bit with probability
/// 1/2, the chance that all of them do is 2^-n.
pub const MIN_DISTINCT: usize = 16;

/// The kept mantissa bits of each column's values seen so far, and whether enough distinct
/// values were seen to trust them.
#[derive(Debug, Default)]
pub struct Detector(BTreeMap<String, (KeptBits<f32>, std::collections::HashSet<u32>)>);

impl Detector {
    /// Take in values of `column`.
    pub fn add(&mut self, column: &str, values: &[f32]) {
        let (bits, distinct) = self.0.entry(column.to_string()).or_default();
        bits.add(values);
        for v in values.iter().filter(|v| v.is_finite()) {
            if distinct.len() >= MIN_DISTINCT {
                break;
            }
            distinct.insert(v.to_bits());
        }
    }

    /// The kept bits of `column` (`None`: no value carries evidence).
    pub fn kept_bits(&self, column: &str) -> Option<u32> {
        self.0.get(column).and_then(|c| c.0.k())
    }

    /// The kept bits of `column` where they can be trusted: at least [`MIN_DISTINCT`] distinct
    /// finite values seen.
    pub fn bits(&self, column: &str) -> Option<u32> {
        self.kept_bits(column).filter(|_| self.0.get(column).is_some_and(|c| c.1.len() >= MIN_DISTINCT))
    }
}

/// The scheme of each float column of `names` that is to be treated as compressed: what the
/// file records, else what the user declared, else — with `detected` data — the family's scheme
/// at the column's detected bits (a column that keeps all 23 is at full precision, one of fewer
/// than [`MIN_DISTINCT`] distinct values is left as it is). A
/// declaration contradicting the file is an error naming the column. Without detection a family
/// without bits is an error (compress and fit on originals need to know the bits).
pub fn resolve(
    names: &[String],
    recorded: &BTreeMap<String, Scheme>,
    declared: &Declaration,
    detected: Option<&Detector>,
) -> Result<ColumnSchemes> {
    let mut out = ColumnSchemes::new();
    for name in names {
        let said = declared.declared(name);
        if let Some(&file) = recorded.get(name) {
            // A default that names its bits (or a whole scheme) is a statement about this column too.
            let said = said.or(match declared.default {
                Choice::Family(_, None) => None,
                c => Some(c),
            });
            let agrees = match said {
                None | Some(Choice::Family(_, None)) => true,
                Some(Choice::Kept) => false,
                Some(Choice::Scheme(s)) => s == file,
                Some(Choice::Family(f, Some(k))) => f.with_bits(k)? == file,
            };
            if let (false, Some(said)) = (agrees, said) {
                bail!("column {name}: the file records {file}, but {said} was declared for it");
            }
            out.insert(name.clone(), (file, Origin::File));
            continue;
        }
        let choice = said.unwrap_or(declared.default);
        let (family, bits) = match choice {
            Choice::Kept => continue,
            Choice::Scheme(s) => {
                out.insert(name.clone(), (s, Origin::Declared));
                continue;
            }
            Choice::Family(f, bits) => (f, bits),
        };
        match (bits, detected) {
            (Some(k), _) => {
                let s = family.with_bits(k).with_context(|| format!("column {name}"))?;
                out.insert(name.clone(), (s, Origin::Declared));
            }
            (None, Some(d)) => match d.bits(name) {
                Some(k) if k < 23 => {
                    // The family's smallest bit count at or above the detected one.
                    let s = (k..23)
                        .find_map(|k| family.with_bits(k).ok())
                        .with_context(|| format!("column {name}: no {} scheme keeps {k} to 22 bits", family.name()))?;
                    out.insert(name.clone(), (s, Origin::Detected));
                }
                _ => {} // full precision, or no finite value: nothing to upsample
            },
            (None, None) => bail!("column {name}: {} without a bit count (give --bits or FAMILY:BITS)", family.name()),
        }
    }
    Ok(out)
}

/// `fields` with each float column's scheme metadata set from `schemes` (absent where a column
/// has none); other metadata kept.
pub fn with_schemes(fields: &Fields, schemes: &ColumnSchemes) -> Fields {
    fields
        .iter()
        .map(|f| {
            let mut meta = f.metadata().clone();
            meta.remove(hep_io::SCHEME_KEY);
            if let Some((s, _)) = schemes.get(f.name()) {
                meta.insert(hep_io::SCHEME_KEY, s.to_string());
            }
            f.as_ref().clone().with_metadata(meta)
        })
        .collect()
}

/// `fields` of an upsampled file: each column in `upsampled` loses its scheme metadata (its
/// values are no longer outputs of the scheme), which moves to [`META_FROM`].
pub fn upsampled_fields(fields: &Fields, upsampled: impl Fn(&str) -> bool) -> Fields {
    fields
        .iter()
        .map(|f| {
            if !upsampled(f.name()) || !is_float(f.data_type()) {
                return f.clone();
            }
            std::sync::Arc::new(hep_io::upsampled_from(Field::clone(f)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(default: &str, map: &[&str], keep: &[&str]) -> Declaration {
        Declaration {
            default: default.parse().unwrap(),
            map: map.iter().map(|m| m.parse().unwrap()).collect(),
            keep: keep.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn choices_read_families_bits_kept_and_whole_schemes() {
        assert_eq!("cms:10".parse::<Choice>().unwrap(), Choice::Family(Family::Cms, Some(10)));
        assert_eq!("atlas".parse::<Choice>().unwrap(), Choice::Family(Family::Atlas, None));
        assert_eq!("none".parse::<Choice>().unwrap(), Choice::Kept);
        assert_eq!("Half".parse::<Choice>().unwrap(), Choice::Scheme(Scheme::half()));
        for bad in ["atlas:99", "cms:x", "zip", "Atlas{k=2}", ""] {
            assert!(bad.parse::<Choice>().is_err(), "{bad}");
        }
        assert!("no-equals".parse::<Declared>().is_err());
        assert!("=atlas:7".parse::<Declared>().is_err());
    }

    #[test]
    fn the_file_first_then_the_map_then_the_default_then_the_data() {
        let n = names(&["J.pt", "J.x", "J.y", "E.x", "E.y"]);
        let d = decl("atlas", &["E.*=atlas:15", "J.y=cms:10"], &["pt"]);
        let recorded: BTreeMap<String, Scheme> = [("J.x".to_string(), Scheme::half())].into();
        let mut det = Detector::default();
        det.add("E.y", &[1.5]); // declared by the map: detection not consulted
        det.add("J.pt", &[1.0]);
        let r = resolve(&n, &recorded, &d, Some(&det)).unwrap();
        assert_eq!(r.get("J.pt"), None, "kept");
        assert_eq!(r["J.x"], (Scheme::half(), Origin::File));
        assert_eq!(r["J.y"], (Scheme::cms(10).unwrap(), Origin::Declared));
        assert_eq!(r["E.x"], (Scheme::atlas(15).unwrap(), Origin::Declared));
        // Without detection and without bits, the default family cannot be used.
        let n2 = names(&["Z.x"]);
        assert!(resolve(&n2, &BTreeMap::new(), &d, None).is_err());
        let mut det = Detector::default();
        let values: Vec<f32> = (0..20).map(|i| 1.0 + i as f32 * 2f32.powi(-9)).collect(); // 9 mantissa bits
        det.add("Z.x", &values);
        let r = resolve(&n2, &BTreeMap::new(), &d, Some(&det)).unwrap();
        assert_eq!(r["Z.x"], (Scheme::atlas(9).unwrap(), Origin::Detected));
        // Values that say nothing (1.5 needs one bit), all 23 bits, or too few distinct values to
        // trust (a constant of 9 bits): left as they are.
        let constant = [1.0 + 2f32.powi(-9); 100];
        for values in [&[1.5f32][..], &[0.1f32, 1.5], &constant] {
            let mut det = Detector::default();
            det.add("Z.x", values);
            assert!(resolve(&n2, &BTreeMap::new(), &d, Some(&det)).unwrap().is_empty(), "{values:?}");
        }
        // A declaration contradicting the file is an error naming the column.
        let d = decl("atlas:7", &["J.x=atlas:7"], &[]);
        let e = resolve(&names(&["J.x"]), &recorded, &d, None).unwrap_err();
        assert!(e.to_string().contains("column J.x"), "{e}");
    }
}
