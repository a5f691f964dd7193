//! The physics observables `hepfloat evaluate` computes beside the per-column metrics: found
//! from the columns' names (`builtin`), with the user's cuts on them (`--cut`), tallied batch by
//! batch on the original, compressed and upsampled values (`Observables`).

use std::collections::HashMap;

use anyhow::{Context, Result, bail};
use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, Schema};
use metrics::{Arity, Cut, Observable, ObservableReport, Tally};
use models::names;

/// `sqrt(e² − |p|²)` of `[px, py, pz, e]`, negative (`−sqrt(|p|² − e²)`) where the momentum
/// exceeds the energy, so that a broken relation shows rather than clamping to zero.
fn mass(px: f64, py: f64, pz: f64, e: f64) -> f64 {
    let m2 = e * e - (px * px + py * py + pz * pz);
    if m2 >= 0.0 { m2.sqrt() } else { -(-m2).sqrt() }
}

/// Isolation variables whose ratio to the object's `pt` analyses cut on: the track isolation
/// `ptvarcone30…` and calorimeter isolation `topoetcone20…` (corrections such as
/// `…ptCorrection` are not ratios that anyone cuts on).
fn is_isolation(variable: &str) -> bool {
    (variable.starts_with("ptvarcone30") || variable.starts_with("topoetcone20")) && !variable.ends_with("ptCorrection")
}

/// The observables the float columns `names` (a flat list of `float32` per event, or one per
/// event) allow, in a fixed order: for every four-momentum group the default rules find, the
/// mass of each particle from its energy and momentum (`|p|` vs `e` consistency) and the
/// invariant mass of each event's first two particles; for every container with a `pt`, each
/// isolation variable over `pt`.
pub fn builtin(schema: &Schema, names: &[String]) -> Vec<Observable> {
    let names = flat_floats(schema, names);
    let refs: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
    let mut out = Vec::new();
    for g in models::detect_groups(&refs, &models::Rule::defaults()) {
        if g.relation != models::Relation::FourMomentum || g.members[..4].iter().any(|m| models::constant(m).is_some())
        {
            continue;
        }
        let container = names::container(&g.members[0]).unwrap_or("").to_string();
        let columns = g.members[..4].to_vec();
        out.push(Observable::object(format!("{container}: mass from e and |p|"), columns.clone(), |v| {
            mass(v[0], v[1], v[2], v[3])
        }));
        out.push(Observable::pair(format!("{container}: invariant mass of the first two"), columns, |v| {
            mass(v[0] + v[4], v[1] + v[5], v[2] + v[6], v[3] + v[7])
        }));
    }
    for n in &names {
        let Some((container, sep, variable)) = names::split(n) else { continue };
        let pt = format!("{container}{sep}pt");
        if is_isolation(variable) && names.iter().any(|m| **m == pt) {
            out.push(Observable::object(format!("{container}: {variable} / pt"), [n.to_string(), pt], |v| v[0] / v[1]));
        }
    }
    out
}

/// A `--tagger`: a flavour tagger's b-tagging discriminant, with the charm and tau fractions of
/// its background as the user declares them (`TAGGER:fc=F[,ftau=T]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Tagger {
    /// The tagger's name as its columns start (`GN2v01` for `GN2v01_pb`, `_pc`, `_pu`, `_ptau`).
    pub name: String,
    /// The charm fraction.
    pub fc: f64,
    /// The tau fraction (0: no `ptau` column needed).
    pub ftau: f64,
}

impl Tagger {
    /// The observable's name for a container.
    fn observable(&self, container: &str) -> String {
        if self.ftau > 0.0 {
            format!("{container}: D_b({}, fc={}, ftau={})", self.name, self.fc, self.ftau)
        } else {
            format!("{container}: D_b({}, fc={})", self.name, self.fc)
        }
    }
}

/// The b-tagging discriminant `ln(pb / (fc·pc + ftau·ptau + (1 − fc − ftau)·pu))`, each side
/// offset by 1e-10 as ATLAS flavour tagging's `atlas-ftag-tools` (`btag_discriminant`) does, so
/// that a zero probability gives a large finite value.
pub fn discriminant(pb: f64, pc: f64, pu: f64, ptau: f64, fc: f64, ftau: f64) -> f64 {
    const EPSILON: f64 = 1e-10;
    ((pb + EPSILON) / (fc * pc + ftau * ptau + (1.0 - fc - ftau) * pu + EPSILON)).ln()
}

/// Parse a `--tagger`: `TAGGER:fc=F` or `TAGGER:fc=F,ftau=T`, fractions in [0, 1] summing to at
/// most 1.
pub fn parse_tagger(s: &str) -> Result<Tagger, String> {
    let (name, fractions) =
        s.split_once(':').ok_or_else(|| format!("{s:?}: expected TAGGER:fc=F or TAGGER:fc=F,ftau=T"))?;
    let name = name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("{s:?}: {name:?} is not a tagger's name (letters, digits, _)"));
    }
    let (mut fc, mut ftau) = (None, 0.0);
    for part in fractions.split(',') {
        let (key, value) = part.split_once('=').ok_or_else(|| format!("{s:?}: {part:?} is not KEY=VALUE"))?;
        let value: f64 = value.trim().parse().map_err(|_| format!("{s:?}: {value:?} is not a number"))?;
        if !(0.0..=1.0).contains(&value) {
            return Err(format!("{s:?}: the fraction {value} is not in [0, 1]"));
        }
        match key.trim() {
            "fc" => fc = Some(value),
            "ftau" => ftau = value,
            other => return Err(format!("{s:?}: {other:?} is not a fraction (fc, ftau)")),
        }
    }
    let fc = fc.ok_or_else(|| format!("{s:?}: the charm fraction fc= is missing"))?;
    if fc + ftau > 1.0 {
        return Err(format!("{s:?}: fc + ftau = {} is more than 1", fc + ftau));
    }
    Ok(Tagger { name: name.to_string(), fc, ftau })
}

/// The discriminant of each declared tagger in every container holding its probabilities as
/// float columns among `names`; a tagger found in no container is an error.
pub fn taggers(schema: &Schema, names: &[String], taggers: &[Tagger]) -> Result<Vec<Observable>> {
    let flat = flat_floats(schema, names);
    let mut out = Vec::new();
    for t in taggers {
        let before = out.len();
        for n in &flat {
            let Some((container, sep, variable)) = names::split(n) else { continue };
            if variable != format!("{}_pb", t.name) {
                continue;
            }
            let column = |p: &str| format!("{container}{sep}{}_{p}", t.name);
            let mut columns = vec![column("pb"), column("pc"), column("pu")];
            if t.ftau > 0.0 {
                columns.push(column("ptau"));
            }
            if !columns.iter().all(|c| flat.contains(&c)) {
                continue;
            }
            let (fc, ftau) = (t.fc, t.ftau);
            out.push(Observable::object(t.observable(container), columns, move |v| {
                discriminant(v[0], v[1], v[2], v.get(3).copied().unwrap_or(0.0), fc, ftau)
            }));
        }
        if out.len() == before {
            let needs = if t.ftau > 0.0 { "pb, pc, pu and ptau" } else { "pb, pc and pu" };
            bail!("--tagger {}: no container holds its {needs} as float columns", t.name);
        }
    }
    Ok(out)
}

/// The float columns among `names` (one `float32` per event, or a list of them).
fn flat_floats<'a>(schema: &Schema, names: &'a [String]) -> Vec<&'a String> {
    names
        .iter()
        .filter(|n| {
            schema.field_with_name(n).is_ok_and(|f| match f.data_type() {
                DataType::Float32 => true,
                DataType::List(v) | DataType::LargeList(v) => v.data_type() == &DataType::Float32,
                _ => false,
            })
        })
        .collect()
}

/// A `--cut`: `OBSERVABLE>VALUE` or `OBSERVABLE<VALUE` (the observable's name as the report
/// shows it).
pub fn parse_cut(s: &str) -> Result<(String, Cut), String> {
    let at = s.rfind(['<', '>']).ok_or_else(|| format!("{s:?}: expected OBSERVABLE>VALUE or OBSERVABLE<VALUE"))?;
    let (name, value) = (s[..at].trim(), s[at + 1..].trim());
    let threshold: f64 = value.parse().map_err(|_| format!("{s:?}: {value:?} is not a number"))?;
    if name.is_empty() || !threshold.is_finite() {
        return Err(format!("{s:?}: expected an observable's name and a finite threshold"));
    }
    let source = format!("--cut {s}");
    Ok((
        name.to_string(),
        if s.as_bytes()[at] == b'>' { Cut::above(threshold, source) } else { Cut::below(threshold, source) },
    ))
}

/// The observables with the user's cuts applied (an observable with several cuts, such as a
/// tagger's working points, once per cut); a cut on an observable that is not among them is an
/// error naming the ones there are.
pub fn with_cuts(observables: Vec<Observable>, cuts: &[(String, Cut)]) -> Result<Vec<Observable>> {
    if let Some((name, _)) = cuts.iter().find(|(n, _)| !observables.iter().any(|o| o.name() == n)) {
        let known: Vec<&str> = observables.iter().map(Observable::name).collect();
        bail!("--cut on {name:?}: no such observable in these files (there are: {})", known.join("; "));
    }
    Ok(observables
        .into_iter()
        .flat_map(|o| {
            let mine: Vec<Observable> =
                cuts.iter().filter(|(n, _)| n == o.name()).map(|(_, cut)| o.clone().with_cut(cut.clone())).collect();
            if mine.is_empty() { vec![o] } else { mine }
        })
        .collect())
}

/// The observables and their tallies.
pub struct Observables {
    list: Vec<Observable>,
    tallies: Vec<Tally>,
}

/// A column's values and the offsets of each event's values in them.
type Flat = (Vec<f32>, Vec<usize>);

/// A column's values as one flat slice (a null as NaN) and the offsets of each event's values
/// in it: a list column's rows (`evaluate`'s `list_parts`), or one value per event.
fn flat_column(batch: &RecordBatch, name: &str, file: &str) -> Result<Flat> {
    let c = batch.column_by_name(name).with_context(|| format!("{file} has no column {name:?}"))?;
    let floats = |a: &dyn Array| -> Result<Vec<f32>> {
        let a = a
            .as_primitive_opt::<arrow_array::types::Float32Type>()
            .with_context(|| format!("{file}: column {name:?} is not float32"))?;
        Ok((0..a.len()).map(|i| if a.is_null(i) { f32::NAN } else { a.value(i) }).collect())
    };
    match crate::evaluate::list_parts(c.as_ref()) {
        Some((lengths, values)) => {
            let mut at = 0;
            let offsets = std::iter::once(0).chain(lengths.iter().map(|n| {
                at += n;
                at
            }));
            Ok((floats(values.as_ref())?, offsets.collect()))
        }
        None => Ok((floats(c.as_ref())?, (0..=c.len()).collect())),
    }
}

impl Observables {
    /// Tallies of `list`, each holding up to `max_held` values for its distances.
    pub fn new(list: Vec<Observable>, max_held: usize) -> Observables {
        let tallies = list.iter().map(|o| Tally::new(o, max_held)).collect();
        Observables { list, tallies }
    }

    /// Add one batch of each version (original, compressed, upsampled; `files` names them).
    pub fn add(&mut self, batches: [&RecordBatch; 3], files: [&str; 3]) -> Result<()> {
        // Each column once per version, however many observables read it (pt, the momenta).
        let mut flat: Vec<HashMap<&str, Flat>> = vec![HashMap::new(); 3];
        for ((cache, b), f) in flat.iter_mut().zip(batches).zip(files) {
            for n in self.list.iter().flat_map(Observable::columns) {
                if !cache.contains_key(n.as_str()) {
                    cache.insert(n.as_str(), flat_column(b, n, f)?);
                }
            }
        }
        for (o, t) in self.list.iter().zip(&mut self.tallies) {
            let versions: Vec<Vec<&Flat>> =
                flat.iter().map(|cache| o.columns().iter().map(|n| &cache[n.as_str()]).collect()).collect();
            let events = &versions[0][0].1;
            if let Some(n) = versions.iter().flatten().find(|c| c.1 != *events) {
                bail!(
                    "observable {:?}: its columns hold different numbers of objects per event ({} and {} values)",
                    o.name(),
                    events.last().unwrap_or(&0),
                    n.1.last().unwrap_or(&0)
                );
            }
            let slices: Vec<Vec<&[f32]>> =
                versions.iter().map(|v| v.iter().map(|c| c.0.as_slice()).collect()).collect();
            let pair = (o.arity() == Arity::Pair).then_some(events.as_slice());
            t.add(o, [&slices[0], &slices[1], &slices[2]], pair)
                .with_context(|| format!("observable {:?}", o.name()))?;
        }
        Ok(())
    }

    /// What each observable measured, on `bins` bins.
    pub fn reports(&self, bins: usize) -> Vec<ObservableReport> {
        self.tallies.iter().map(|t| t.report_with_bins(bins)).filter(|r| r.values > 0).collect()
    }
}

/// The report's observables section (Markdown).
pub fn markdown(reports: &[ObservableReport]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "\n## Observables\n\nDerived from several columns of one object (or of the first two objects of an event), on the \
         original, compressed and upsampled values. Shifts are of the mean against the original, ± their standard error \
         (paired values); widths are the standard deviation over the original's; KS is the two-sample \
         Kolmogorov–Smirnov distance to the original's distribution. With few values (50 events hold a few hundred \
         objects), a shift within two standard errors is not a measured shift.\n\n\
         | observable | values | mean | shift compressed | shift upsampled | width compressed / upsampled | KS compressed / upsampled |\n\
         |---|---|---|---|---|---|---|\n",
    );
    let g = |x: f64| if x.is_finite() { format!("{x:.4e}") } else { "–".into() };
    let r = |x: f64| if x.is_finite() { format!("{x:.4}") } else { "–".into() };
    for o in reports {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} ± {} | {} ± {} | {} / {} | {} / {} |",
            o.name,
            o.values,
            g(o.mean[0]),
            g(o.shift[0].mean),
            g(o.shift[0].error),
            g(o.shift[1].mean),
            g(o.shift[1].error),
            r(o.width_ratio[0]),
            r(o.width_ratio[1]),
            r(o.ks[0]),
            r(o.ks[1])
        );
    }
    let cut: Vec<&ObservableReport> = reports.iter().filter(|o| o.flips.is_some()).collect();
    if !cut.is_empty() {
        s.push_str(
            "\n### Decision flips\n\nObjects whose decision a cut changes: by compression, how many of those upsampling puts \
             back, and how many new ones it causes (± √n, Poisson).\n\n\
             | observable | cut | source | passing (original) | flipped by compression | put back | new flips |\n\
             |---|---|---|---|---|---|---|\n",
        );
        for o in cut {
            let (Some(f), Some(c)) = (o.flips, &o.cut) else { continue };
            let pm = |n: u64| format!("{n} ± {:.1}", (n as f64).sqrt());
            let _ = writeln!(
                s,
                "| {} | {} {} | {} | {} | {} | {} | {} |",
                o.name,
                if c.above { ">" } else { "<" },
                c.threshold,
                c.source,
                f.passing,
                pm(f.compressed),
                f.restored,
                pm(f.caused)
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_parse_both_ways_and_refuse_nonsense() {
        let (n, c) = parse_cut("AnalysisMuonsAuxDyn: ptvarcone30 / pt<0.15").unwrap();
        assert_eq!((n.as_str(), c.above, c.threshold), ("AnalysisMuonsAuxDyn: ptvarcone30 / pt", false, 0.15));
        let (n, c) = parse_cut("Truth: invariant mass of the first two > 6e4").unwrap();
        assert_eq!((n.as_str(), c.above, c.threshold), ("Truth: invariant mass of the first two", true, 6e4));
        for bad in ["x", "x>", ">1", "x>nan", "x<inf", "x>1e400"] {
            assert!(parse_cut(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn taggers_parse_and_refuse_fractions_that_are_not() {
        let t = parse_tagger("GN2v01:fc=0.2,ftau=0.01").unwrap();
        assert_eq!(t, Tagger { name: "GN2v01".into(), fc: 0.2, ftau: 0.01 });
        assert_eq!(t.observable("Jets"), "Jets: D_b(GN2v01, fc=0.2, ftau=0.01)");
        assert_eq!(parse_tagger("DL1dv01:fc=0.018").unwrap().observable("J"), "J: D_b(DL1dv01, fc=0.018)");
        for bad in [
            "GN2v01",
            "GN2v01:",
            ":fc=0.1",
            "GN2 v01:fc=0.1",
            "X:fc=1.5",
            "X:fc=0.6,ftau=0.5",
            "X:ftau=0.1",
            "X:fb=0.1",
            "X:fc=nan",
        ] {
            assert!(parse_tagger(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_discriminant_is_the_log_ratio_of_b_to_the_weighted_background() {
        // pb = 0.5, pc = 0.2, pu = 0.3: ln(0.5 / (0.1·0.2 + 0.9·0.3)) = ln(0.5 / 0.29).
        assert!((discriminant(0.5, 0.2, 0.3, 0.0, 0.1, 0.0) - (0.5f64 / 0.29).ln()).abs() < 1e-9);
        // The tau fraction takes its share of the light one.
        let d = discriminant(0.5, 0.2, 0.2, 0.1, 0.2, 0.01);
        assert!((d - (0.5f64 / (0.04 + 0.001 + 0.79 * 0.2)).ln()).abs() < 1e-9);
        assert!(discriminant(0.9, 0.0, 0.0, 0.0, 0.1, 0.0).is_finite());
    }

    #[test]
    fn masses_keep_the_sign_of_a_broken_relation() {
        assert_eq!(mass(3.0, 4.0, 0.0, 13.0), 12.0);
        assert_eq!(mass(3.0, 4.0, 0.0, 0.0), -5.0);
    }
}
