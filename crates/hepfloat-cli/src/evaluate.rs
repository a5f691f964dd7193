//! `hepfloat evaluate`: original vs compressed vs upsampled, per column and overall, as Markdown,
//! JSON and plots.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, GenericListArray, OffsetSizeTrait, RecordBatch};
use arrow_schema::DataType;
use clap::Args;
use float_bits::Scheme;
use metrics::{Coverage, Edges, Histogram, Pointwise, Scale, kl_divergence, ks_two_sample};
use models::batch::{Thinning, float_values, is_float};
use rayon::prelude::*;
use serde::Serialize;

use crate::Out;
use crate::commands::float_columns;
use crate::io::{Input, META_KEEP};
use crate::observables::{self, Observables};
use crate::output::{Temporary, check_dir_target};
use crate::schemes::{META_FROM, recorded};

/// `hepfloat evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The original data (ROOT, Parquet or `toy[:EVENTS[:SEED]]`). Each of the three may be a
    /// glob in a file name (`'data/*.root'`), a dataset of several files whose events are
    /// counted across them in turn; the three are compared event by event, however each is
    /// split into files.
    #[arg(long)]
    pub original: String,
    /// The compressed data (from `hepfloat compress`: it records the scheme).
    #[arg(long)]
    pub compressed: String,
    /// The upsampled data (from `hepfloat upsample`).
    #[arg(long)]
    pub upsampled: String,
    /// The TTree of a ROOT original.
    #[arg(long)]
    pub tree: Option<String>,
    /// Events to evaluate, `A..B`, the same in all three files.
    #[arg(long, value_parser = crate::io::parse_entries, default_value = "..")]
    pub entries: std::ops::Range<u64>,
    /// Directory of the report (report.md, report.json, plots).
    #[arg(long)]
    pub report: PathBuf,
    /// Values per column kept for the distribution metrics (KL, KS) and the plots; MSE,
    /// log-MSE, effective bits and coverage use every value. Where a column holds more, the
    /// sample is spread over all its values, the same however the data are split into batches
    /// or files (the values whose positions hash lowest).
    #[arg(long, default_value_t = 2_000_000)]
    pub max_values: usize,
    /// Memory for those samples, all columns together, in MiB (20 bytes a value): with many
    /// columns each keeps fewer than --max-values.
    #[arg(long, default_value_t = 128)]
    pub sample_mib: usize,
    /// Bins of the fine log10|x| histograms behind the KL divergence.
    #[arg(long, default_value_t = 1000)]
    pub bins: usize,
    /// A cut on an observable of the report, `'OBSERVABLE>VALUE'` or `'OBSERVABLE<VALUE'`
    /// (repeatable; the name as the report's observables table shows it, e.g.
    /// `'AnalysisMuonsAuxDyn: ptvarcone30 / pt<0.15'`): the report counts the objects whose
    /// decision compression flips, how many of those upsampling puts back, and how many new
    /// flips it causes.
    #[arg(long = "cut", value_name = "CUT", value_parser = crate::observables::parse_cut)]
    pub cuts: Vec<(String, metrics::Cut)>,
    /// A flavour tagger's b-tagging discriminant as one more observable, with the charm (and tau)
    /// fractions of its background: `'TAGGER:fc=F'` or `'TAGGER:fc=F,ftau=T'` (repeatable), for
    /// every container with the tagger's `pb`, `pc`, `pu` (and `ptau`) columns:
    /// `ln(pb / (fc·pc + ftau·ptau + (1 − fc − ftau)·pu))`. Give the fractions and working-point
    /// cuts (`--cut`, repeatable on one observable) that your flavour-tagging recommendation
    /// publishes; hepfloat ships none of its own.
    #[arg(long = "tagger", value_name = "TAGGER", value_parser = crate::observables::parse_tagger)]
    pub taggers: Vec<crate::observables::Tagger>,
}

/// One column's results.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    /// Column (branch) name.
    pub column: String,
    /// The scheme its compressed values went through (`None`: kept at full precision).
    pub scheme: Option<String>,
    /// Values compared.
    pub values: u64,
    /// MSE of the compressed values against the original.
    pub mse_compressed: Option<f64>,
    /// MSE of the upsampled values.
    pub mse_upsampled: Option<f64>,
    /// `mse_upsampled / mse_compressed` (absent where the compressed values are exact).
    pub ratio: Option<f64>,
    /// log-MSE of compressed and upsampled.
    pub log_mse_compressed: Option<f64>,
    /// log-MSE of the upsampled values.
    pub log_mse_upsampled: Option<f64>,
    /// Mean effective bits of compressed and upsampled.
    pub bits_compressed: Option<f64>,
    /// Mean effective bits of the upsampled values.
    pub bits_upsampled: Option<f64>,
    /// KL(original ‖ compressed) on fine log10|x| bins.
    pub kl_compressed: Option<f64>,
    /// KL(original ‖ upsampled).
    pub kl_upsampled: Option<f64>,
    /// Two-sample KS statistic, compressed vs original.
    pub ks_compressed: Option<f64>,
    /// KS statistic, upsampled vs original.
    pub ks_upsampled: Option<f64>,
    /// Fraction of upsampled values inside the preimage of their compressed value.
    pub inside: Option<f64>,
    /// The oracle's MSE ratio (toy data only).
    pub oracle_ratio: Option<f64>,
}

/// The overall results.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Columns with a compression error to reduce (ratio defined).
    pub scored: usize,
    /// Mean MSE ratio over scored columns.
    pub mean_ratio: f64,
    /// Largest ratio.
    pub max_ratio: f64,
    /// Columns above 1.05.
    pub above: usize,
    /// Summed KL of the compressed values over columns.
    pub kl_compressed: f64,
    /// Summed KL of the upsampled values.
    pub kl_upsampled: f64,
    /// Fraction of all upsampled values inside their preimage.
    pub inside: f64,
    /// Mean oracle MSE ratio (toy data only).
    pub oracle_mean_ratio: Option<f64>,
    /// Float values compared.
    pub values: u64,
}

struct Acc {
    name: String,
    base: Pointwise,
    up: Pointwise,
    oracle: Option<Pointwise>,
    coverage: Coverage,
    compressed_by_scheme: bool,
    /// Which positions the sample holds, and the original, compressed and upsampled value at
    /// each.
    thinning: Thinning,
    held: Vec<[f32; 3]>,
    /// The sample, once complete, as three columns.
    sample: [Vec<f32>; 3],
}

/// The schemes a compressed file records per column, and its keep list.
pub(crate) fn schemes_of(input: &Input) -> Result<(BTreeMap<String, Scheme>, Vec<String>)> {
    let schemes = recorded(input, &float_columns(&input.schema()))?;
    if schemes.is_empty() {
        bail!("{} does not record its schemes (write it with `hepfloat compress`)", input.name);
    }
    let keep = input
        .metadata()
        .get(META_KEEP)
        .map_or_else(Vec::new, |k| k.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect());
    Ok((schemes, keep))
}

/// The schemes an upsampled file says its columns came from ([`META_FROM`] of the upsampled
/// columns, the scheme of those passed through; the whole file's in files of hepfloat < 0.5).
fn upsampled_from(input: &Input) -> Result<BTreeMap<String, Scheme>> {
    let mut out = BTreeMap::new();
    for f in input.schema().fields() {
        let s = match f.metadata().get(META_FROM) {
            Some(t) => {
                Some(t.parse().with_context(|| format!("{}: column {}: bad scheme {t:?}", input.name, f.name()))?)
            }
            None => hep_io::scheme_of(f).with_context(|| format!("reading {}", input.name))?,
        };
        if let Some(s) = s {
            out.insert(f.name().clone(), s);
        }
    }
    if out.is_empty() {
        out = recorded(input, &float_columns(&input.schema()))?;
    }
    Ok(out)
}

/// The schemes of a set of columns for titles: one, or "mixed: A, B".
fn title(schemes: &BTreeMap<String, Scheme>) -> String {
    let set: std::collections::BTreeSet<String> = schemes.values().map(Scheme::to_string).collect();
    match set.len() {
        1 => set.into_iter().next().unwrap_or_default(),
        _ => format!("mixed schemes: {}", set.into_iter().collect::<Vec<_>>().join(", ")),
    }
}

fn values(batch: &RecordBatch, name: &str, file: &str) -> Result<Vec<f32>> {
    batch
        .column_by_name(name)
        .and_then(|c| float_values(c.as_ref()))
        .with_context(|| format!("{file} has no float column {name:?}"))
}

/// Most bins of the KL histograms.
pub const MAX_BINS: usize = 1_000_000;

/// Refuse numbers that make no sense before any work.
fn check_numbers(a: &EvaluateArgs) -> Result<()> {
    if a.bins == 0 || a.bins > MAX_BINS {
        bail!("--bins {}: give between 1 and {MAX_BINS} bins", a.bins);
    }
    if a.max_values == 0 {
        bail!("--max-values 0: the distribution metrics and plots need at least one value per column");
    }
    if a.sample_mib == 0 {
        bail!("--sample-mib 0: the distribution metrics and plots need memory for at least one value per column");
    }
    if a.entries.start == a.entries.end {
        bail!("--entries {}..{} selects no events", a.entries.start, a.entries.end);
    }
    Ok(())
}

/// Refuse three files that do not belong together: an original that is itself compressed,
/// compressed and upsampled files recording different schemes or keep lists, different
/// numbers of events, or different column sets.
fn check_together(
    original: &Input,
    compressed: &Input,
    upsampled: &Input,
    schemes: &BTreeMap<String, Scheme>,
    keep: &[String],
) -> Result<()> {
    let apart = "the files do not belong together";
    if let Some((c, s)) = recorded(original, &float_columns(&original.schema()))?.iter().next() {
        bail!("{apart}: the original {} is itself compressed ({c}: {s}); give the uncompressed file", original.name);
    }
    let from = upsampled_from(upsampled)?;
    if let Some((c, s)) = from.iter().find(|(c, s)| schemes.get(*c).is_some_and(|t| t != *s)) {
        bail!(
            "{apart}: column {c}: {} was compressed with {}, {} with {s}",
            compressed.name,
            schemes[c],
            upsampled.name
        );
    }
    if let Some(k) = upsampled.metadata().get(META_KEEP) {
        let k: Vec<String> = k.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect();
        let set = |k: &[String]| k.iter().cloned().collect::<std::collections::BTreeSet<_>>();
        if set(&k) != set(keep) {
            let shown = |k: &[String]| if k.is_empty() { "none".to_string() } else { k.join(",") };
            bail!(
                "{apart}: {} kept {} at full precision, {} kept {}",
                compressed.name,
                shown(keep),
                upsampled.name,
                shown(&k)
            );
        }
    }
    let counts = [original, compressed, upsampled].map(Input::entries);
    if counts[0] != counts[1] || counts[1] != counts[2] {
        bail!(
            "{apart}: {} holds {} events, {} {} and {} {}",
            original.name,
            counts[0],
            compressed.name,
            counts[1],
            upsampled.name,
            counts[2]
        );
    }
    let names = |i: &Input| i.schema().fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>();
    let (o, c, u) = (names(original), names(compressed), names(upsampled));
    let missing = |from: &[String], to: &[String]| from.iter().find(|n| !to.contains(n)).cloned();
    if let Some(n) = missing(&c, &u) {
        bail!("{apart}: column {n} is in {} but not in {}", compressed.name, upsampled.name);
    }
    if let Some(n) = missing(&u, &c) {
        bail!("{apart}: column {n} is in {} but not in {}", upsampled.name, compressed.name);
    }
    if let Some(n) = missing(&c, &o) {
        bail!("{apart}: column {n} is in {} but not in the original {}", compressed.name, original.name);
    }
    Ok(())
}

/// Where two columns of the same events differ in structure (rows, nulls, list lengths per row,
/// at any depth), described for event `first` onwards; `None` where they agree.
fn shape_difference(a: &dyn Array, b: &dyn Array, first: u64) -> Option<String> {
    if a.len() != b.len() {
        return Some(format!("{} and {} entries", a.len(), b.len()));
    }
    if let Some(i) = (0..a.len()).find(|&i| a.is_null(i) != b.is_null(i)) {
        return Some(format!("event {} is empty (null) in one file only", first + i as u64));
    }
    match (list_parts(a), list_parts(b)) {
        (None, None) => None,
        (Some((la, ca)), Some((lb, cb))) => {
            if let Some(i) = (0..la.len()).find(|&i| la[i] != lb[i]) {
                return Some(format!("event {} holds {} and {} values", first + i as u64, la[i], lb[i]));
            }
            shape_difference(ca.as_ref(), cb.as_ref(), first).map(|d| format!("inside its lists, {d}"))
        }
        _ => Some(format!("types {} and {}", a.data_type(), b.data_type())),
    }
}

/// The length of each row of a list column and the values its rows refer to.
pub(crate) fn list_parts(a: &dyn Array) -> Option<(Vec<usize>, ArrayRef)> {
    fn generic<O: OffsetSizeTrait>(l: &GenericListArray<O>) -> (Vec<usize>, ArrayRef) {
        let o = l.value_offsets();
        let lengths = o.windows(2).map(|w| (w[1] - w[0]).as_usize()).collect();
        let (s, e) = (o[0].as_usize(), o[o.len() - 1].as_usize());
        (lengths, l.values().slice(s, e - s))
    }
    match a.data_type() {
        DataType::List(_) => Some(generic(a.as_list::<i32>())),
        DataType::LargeList(_) => Some(generic(a.as_list::<i64>())),
        DataType::FixedSizeList(_, n) => {
            let l = a.as_fixed_size_list();
            let n = usize::try_from(*n).unwrap_or(0);
            Some((vec![n; l.len()], l.values().slice(l.offset() * n, l.len() * n)))
        }
        _ => None,
    }
}

/// Run the evaluation and write the report; returns its summary and per-column rows.
pub fn run(a: &EvaluateArgs, out: Out) -> Result<(Summary, Vec<ColumnReport>)> {
    check_numbers(a)?;
    let files =
        [&a.original, &a.compressed, &a.upsampled].map(|spec| crate::io::expand_inputs(std::slice::from_ref(spec)));
    let [o, c, u] = files;
    let (o, c, u) = (o?, c?, u?);
    let inputs: Vec<&Path> = o.iter().chain(&c).chain(&u).map(Path::new).collect();
    check_dir_target(&a.report, &inputs)?;
    let source =
        |tree: Option<String>| crate::Source { tree, entries: 0..u64::MAX, branches: vec![], skip_damaged: false };
    let original = Input::open_dataset(&o, &source(a.tree.clone()))?;
    let compressed = Input::open_dataset(&c, &source(None))?;
    let upsampled = Input::open_dataset(&u, &source(None))?;
    let (schemes, keep) = schemes_of(&compressed)?;
    check_together(&original, &compressed, &upsampled, &schemes, &keep)?;
    // The oracle needs every toy column in the compressed file, under one scheme.
    let first = schemes.values().next();
    let toy = crate::io::toy_spec(&a.original)?.is_some()
        && schemes.values().all(|s| Some(s) == first)
        && hep_toy::schema().fields().iter().all(|f| compressed.schema().field_with_name(f.name()).is_ok());
    let names: Vec<String> = original
        .schema()
        .fields()
        .iter()
        .filter(|f| is_float(f.data_type()))
        .filter(|f| {
            compressed.schema().field_with_name(f.name()).is_ok()
                && upsampled.schema().field_with_name(f.name()).is_ok()
        })
        .map(|f| f.name().clone())
        .collect();
    if names.is_empty() {
        bail!("the three files share no float column");
    }
    // A held value takes 20 bytes: three values and the hash of its position.
    let per_column = (a.sample_mib.saturating_mul(1 << 20) / 20 / names.len()).max(1);
    let mut list = observables::builtin(&original.schema(), &names);
    list.extend(observables::taggers(&original.schema(), &names, &a.taggers)?);
    let list = observables::with_cuts(list, &a.cuts)?;
    let mut observed = Observables::new(list, a.max_values.min(per_column));
    let mut acc: Vec<Acc> = names
        .iter()
        .map(|n| Acc {
            name: n.clone(),
            base: Pointwise::new(),
            up: Pointwise::new(),
            oracle: toy.then(Pointwise::new),
            coverage: Coverage::default(),
            compressed_by_scheme: schemes.contains_key(n),
            thinning: Thinning::new(a.max_values.min(per_column)),
            held: Vec::new(),
            sample: Default::default(),
        })
        .collect();
    let range = a.entries.clone();
    let range_start = range.start.min(original.entries());
    if range_start == range.end.min(original.entries()) {
        bail!(
            "--entries {}..{} selects no events of the {} in {}",
            range.start,
            range.end,
            original.entries(),
            a.original
        );
    }
    let total = range.end.min(original.entries()) - range.start.min(original.entries());
    let bar = out.bar(total, "evaluating");
    // The three files in step: batches of the smallest size any of them asks for.
    let per_batch = [&original, &compressed, &upsampled].iter().map(|i| i.batch_events()).min().unwrap_or(1);
    let mut streams = [
        original.batches(range.clone(), per_batch)?,
        compressed.batches(range.clone(), per_batch)?,
        upsampled.batches(range, per_batch)?,
    ];
    let files = [&a.original, &a.compressed, &a.upsampled];
    let mut at = range_start;
    loop {
        let next: Vec<Option<RecordBatch>> = streams.iter_mut().map(|s| s.next().transpose()).collect::<Result<_>>()?;
        let (Some(o), Some(c), Some(u)) = (&next[0], &next[1], &next[2]) else {
            if next.iter().any(Option::is_some) {
                bail!("the files hold different numbers of events");
            }
            break;
        };
        if o.num_rows() != c.num_rows() || o.num_rows() != u.num_rows() {
            bail!(
                "the files do not line up: batches of {}, {} and {} events",
                o.num_rows(),
                c.num_rows(),
                u.num_rows()
            );
        }
        let oracle = match first {
            Some(scheme) if toy => Some(hep_toy::oracle_mean(scheme, c, &keep)?),
            _ => None,
        };
        // The columns in parallel; the first error in column order.
        let done: Vec<Result<()>> = acc
            .par_iter_mut()
            .map(|acc| {
                let n = &acc.name;
                let column = |b: &RecordBatch, f: &str| {
                    b.column_by_name(n).cloned().with_context(|| format!("{f} has no column {n}"))
                };
                let (co, cc, cu) = (column(o, files[0])?, column(c, files[1])?, column(u, files[2])?);
                for (p, q, f, g) in [(&co, &cc, files[0], files[1]), (&cc, &cu, files[1], files[2])] {
                    if let Some(d) = shape_difference(p.as_ref(), q.as_ref(), at) {
                        bail!("the files do not belong together: column {n}: {d} in {f} and {g}");
                    }
                }
                let (x, y, z) = (values(o, n, files[0])?, values(c, n, files[1])?, values(u, n, files[2])?);
                if x.len() != y.len() || x.len() != z.len() {
                    bail!("column {n:?}: {}, {} and {} values in the same events", x.len(), y.len(), z.len());
                }
                acc.base.add(&x, &y)?;
                acc.up.add(&x, &z)?;
                if let (Some(p), Some(b)) = (&mut acc.oracle, &oracle) {
                    p.add(&x, &values(b, n, "the oracle")?)?;
                }
                if let Some(scheme) = schemes.get(n).filter(|_| acc.compressed_by_scheme) {
                    let (mut lo, mut hi) = (vec![0f32; y.len()], vec![0f32; y.len()]);
                    quant_bounds::preimages(scheme, &y, &mut lo, &mut hi).with_context(|| {
                        format!("{}: column {n} holds a value its recorded scheme {scheme} cannot output", files[1])
                    })?;
                    acc.coverage.add(&z, &lo, &hi)?;
                }
                let Acc { thinning, held, .. } = acc;
                held.extend(x.iter().zip(&y).zip(&z).filter(|_| thinning.admit()).map(|((&x, &y), &z)| [x, y, z]));
                if let Some(mask) = thinning.settle() {
                    Thinning::retain(held, &mask);
                }
                Ok(())
            })
            .collect();
        done.into_iter().collect::<Result<()>>()?;
        observed.add([o, c, u], files.map(String::as_str))?;
        at += o.num_rows() as u64;
        bar.inc(o.num_rows() as u64);
    }
    bar.finish_and_clear();
    for acc in &mut acc {
        for [x, y, z] in std::mem::take(&mut acc.held) {
            acc.sample[0].push(x);
            acc.sample[1].push(y);
            acc.sample[2].push(z);
        }
    }
    let rows: Vec<ColumnReport> =
        acc.iter().map(|a2| column_report(a2, a.bins, schemes.get(&a2.name).map(Scheme::to_string))).collect();
    let summary = summarize(&rows, &acc);
    // Built under a temporary name, renamed into place when complete.
    let tmp = Temporary::dir(&a.report)?;
    let observed = observed.reports(a.bins);
    let mut md = markdown(&rows, &summary, &title(&schemes), &a.original);
    if !observed.is_empty() {
        md.push_str(&observables::markdown(&observed));
    }
    let json =
        serde_json::json!({"scheme": title(&schemes), "summary": summary, "columns": rows, "observables": observed});
    for (name, text) in [("report.md", md.clone()), ("report.json", serde_json::to_string_pretty(&json)?)] {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    let plots =
        crate::plot::all(tmp.path(), &schemes, &rows, &acc.iter().map(|a| (&a.name, &a.sample)).collect::<Vec<_>>())?;
    tmp.commit()?;
    out.say(md.lines().take(12).collect::<Vec<_>>().join("\n"));
    out.say(format!("report: {} ({} plots)", a.report.join("report.md").display(), plots));
    for input in [&original, &compressed, &upsampled] {
        if let Some(line) = input.unprotected_report() {
            out.say(line);
        }
    }
    out.json(&json);
    Ok((summary, rows))
}

fn column_report(a: &Acc, bins: usize, scheme: Option<String>) -> ColumnReport {
    let ratio = match (a.base.mse(), a.up.mse()) {
        (Some(b), Some(u)) if b > 0.0 => Some(u / b),
        _ => None,
    };
    let [x, y, z] = &a.sample;
    let (mut kl_c, mut kl_u) = (None, None);
    if let Ok(edges) = Edges::from_original(Scale::Log10Abs, x, bins.max(1)) {
        let hist = |v: &[f32]| {
            let mut h = Histogram::new(edges.clone());
            h.add(v);
            h
        };
        let (ho, hc, hu) = (hist(x), hist(y), hist(z));
        kl_c = kl_divergence(&ho, &hc, 0.5).ok();
        kl_u = kl_divergence(&ho, &hu, 0.5).ok();
    }
    let oracle_ratio = match (a.base.mse(), a.oracle.as_ref().and_then(Pointwise::mse)) {
        (Some(b), Some(o)) if b > 0.0 => Some(o / b),
        _ => None,
    };
    ColumnReport {
        scheme,
        column: a.name.clone(),
        values: a.base.used(),
        mse_compressed: a.base.mse(),
        mse_upsampled: a.up.mse(),
        ratio,
        log_mse_compressed: a.base.log_mse(),
        log_mse_upsampled: a.up.log_mse(),
        bits_compressed: a.base.effective_bits_mean(),
        bits_upsampled: a.up.effective_bits_mean(),
        kl_compressed: kl_c,
        kl_upsampled: kl_u,
        ks_compressed: ks_two_sample(x, y).ok().map(|k| k.statistic),
        ks_upsampled: ks_two_sample(x, z).ok().map(|k| k.statistic),
        inside: if a.compressed_by_scheme { a.coverage.fraction() } else { None },
        oracle_ratio,
    }
}

fn summarize(rows: &[ColumnReport], acc: &[Acc]) -> Summary {
    let ratios: Vec<f64> = rows.iter().filter_map(|r| r.ratio).collect();
    let oracle: Vec<f64> = rows.iter().filter_map(|r| r.oracle_ratio).collect();
    let (inside, total) = acc
        .iter()
        .filter(|a| a.compressed_by_scheme)
        .fold((0u64, 0u64), |(i, t), a| (i + a.coverage.inside(), t + a.coverage.total()));
    Summary {
        scored: ratios.len(),
        mean_ratio: ratios.iter().sum::<f64>() / ratios.len().max(1) as f64,
        max_ratio: ratios.iter().copied().fold(0.0, f64::max),
        above: ratios.iter().filter(|&&r| r > 1.05).count(),
        kl_compressed: rows.iter().filter_map(|r| r.kl_compressed).sum(),
        kl_upsampled: rows.iter().filter_map(|r| r.kl_upsampled).sum(),
        inside: if total == 0 { 1.0 } else { inside as f64 / total as f64 },
        oracle_mean_ratio: (!oracle.is_empty()).then(|| oracle.iter().sum::<f64>() / oracle.len() as f64),
        values: rows.iter().map(|r| r.values).sum(),
    }
}

fn fmt(v: Option<f64>) -> String {
    match v {
        None => "–".into(),
        Some(0.0) => "0".into(),
        Some(v) if (1e-3..1e4).contains(&v.abs()) => format!("{v:.4}"),
        Some(v) => format!("{v:.3e}"),
    }
}

fn markdown(rows: &[ColumnReport], s: &Summary, scheme: &str, original: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# hepfloat evaluation: {original}, {scheme}\n");
    let _ = writeln!(md, "| overall | value |\n|---|---|");
    let _ = writeln!(md, "| float values compared | {} |", s.values);
    let _ = writeln!(md, "| columns with a compression error | {} |", s.scored);
    let _ = writeln!(md, "| mean MSE ratio (upsampled / compressed) | {:.4} |", s.mean_ratio);
    let _ = writeln!(md, "| largest MSE ratio | {:.4} |", s.max_ratio);
    let _ = writeln!(md, "| columns above 1.05 | {} |", s.above);
    let _ = writeln!(md, "| summed KL, compressed → upsampled | {:.4} → {:.4} |", s.kl_compressed, s.kl_upsampled);
    let _ = writeln!(md, "| inside the preimage | {:.4} % |", 100.0 * s.inside);
    if let Some(o) = s.oracle_mean_ratio {
        let _ = writeln!(md, "| mean MSE ratio of the Bayes-optimal oracle | {o:.4} |");
    }
    let _ = writeln!(
        md,
        "\n| column | scheme | values | MSE compressed | MSE upsampled | ratio | log-MSE ratio | eff. bits c → u | KL c | KL u | KS c | KS u | inside | oracle ratio |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in rows {
        let log_ratio = match (r.log_mse_compressed, r.log_mse_upsampled) {
            (Some(c), Some(u)) if c > 0.0 => Some(u / c),
            _ => None,
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} → {} | {} | {} | {} | {} | {} | {} |",
            r.column,
            r.scheme.as_deref().unwrap_or("full precision"),
            r.values,
            fmt(r.mse_compressed),
            fmt(r.mse_upsampled),
            fmt(r.ratio),
            fmt(log_ratio),
            fmt(r.bits_compressed),
            fmt(r.bits_upsampled),
            fmt(r.kl_compressed),
            fmt(r.kl_upsampled),
            fmt(r.ks_compressed),
            fmt(r.ks_upsampled),
            r.inside.map_or("kept".into(), |f| format!("{:.4} %", 100.0 * f)),
            fmt(r.oracle_ratio)
        );
    }
    let _ = writeln!(
        md,
        "\nPlots: `mse_ratio_by_container.svg` (the ratios of each container's columns), `mse_ratio_moved.svg` (the columns that moved, named), and per column `residuals_*.svg` and `histogram_*.svg`."
    );
    md
}

/// A column's name and its sampled original, compressed and upsampled values, for the plots.
pub type Samples<'a> = (&'a String, &'a [Vec<f32>; 3]);
