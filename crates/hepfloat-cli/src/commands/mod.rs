//! inspect, compress, fit, upsample and demo.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use arrow_schema::Schema;
use clap::Args;
use float_bits::Scheme;
use models::batch::{Gathered, Part, Thinning, Upsampler, compress_columns, float_values, is_float};
use models::{
    Epoch, Estimate, FitOptions, FitRequest, Group, Kind, Kinds, Method, Model, Progress, Relation, Rule, Verdict,
};
use serde_json::json;

mod compare;
pub use compare::{CompareArgs, compare};

use crate::io::{BATCH_EVENTS, Input, META_KEEP, META_SCHEME, ParquetSink, SizeCounter};
use crate::output::{Temporary, check_dir_target, check_file_target, write_file};
use crate::schemes::{Choice, ColumnSchemes, Declaration, Declared, Detector, recorded, resolve, with_schemes};
use crate::{Out, Output, Source};

/// How values were (or are to be) compressed, column by column. A file's own record of a
/// column's scheme (ROOT's lossy types, RNTuple lossy columns, files from `hepfloat compress`)
/// always wins; a declaration that contradicts it is an error.
#[derive(Debug, Clone, Args)]
pub struct SchemeArgs {
    /// The scheme of every column not matched by --scheme-map: a family, atlas
    /// (CxxUtils::FloatCompressor), cms (CMSSW reduceMantissaToNbitsRounding), nearest-even
    /// (bfloat16, BitRound), toward-zero (RNTuple Real32Trunc), root-float16 (TTree Float16_t
    /// mantissa mode), with its bits from --bits; or a whole scheme as it prints (Half,
    /// 'RootRange{min=0, max=1, n=16}').
    #[arg(long, default_value = "atlas")]
    scheme: String,
    /// Kept mantissa bits of the family (ATLAS production: 7 or 15). Default 7 for `compress`
    /// and `fit` on originals; for compressed input that does not record its schemes, each
    /// column's bits are detected from its values (a lower bound: see `inspect`).
    #[arg(long)]
    bits: Option<u32>,
    /// A scheme for the columns matching a glob, `GLOB=SCHEME` (repeatable, the first match
    /// wins): FAMILY:BITS (atlas:15, cms:10), FAMILY (bits from --bits or the data), a whole
    /// scheme, or none (kept at full precision). E.g. `--scheme-map 'AnalysisJetsAuxDyn.*=atlas:15'`.
    #[arg(long = "scheme-map", value_name = "GLOB=SCHEME")]
    map: Vec<Declared>,
    /// A file of `GLOB=SCHEME` lines, as --scheme-map takes them (blank lines and `#` comments
    /// ignored), after the --scheme-map entries: a file's whole compression configuration, e.g.
    /// ATLAS's high and low lists, written once.
    #[arg(long = "scheme-file", value_name = "PATH")]
    scheme_file: Option<PathBuf>,
    /// Variables (or whole column names) left at full precision, comma-separated; `none` for
    /// none. ATLAS keeps pt, eta, phi and m of every container. Wins over --scheme-map.
    #[arg(long, value_delimiter = ',', default_value = "pt,eta,phi,m")]
    keep: Vec<String>,
}

impl SchemeArgs {
    /// What the options declare; a family without bits takes 7 unless the bits are to be
    /// `detected` from the data.
    pub fn declaration(&self, detected: bool) -> Result<Declaration> {
        let default = match (self.scheme.parse::<Choice>()?, self.bits) {
            (Choice::Family(f, None), Some(k)) => Choice::Family(f, Some(k)),
            (Choice::Family(f, None), None) if !detected => Choice::Family(f, Some(7)),
            (Choice::Family(_, Some(_)) | Choice::Scheme(_) | Choice::Kept, Some(k)) => {
                bail!("--bits {k} with --scheme {}: the scheme already says its bits", self.scheme)
            }
            (c, _) => c,
        };
        let mut map = self.map.clone();
        if let Some(path) = &self.scheme_file {
            map.extend(read_scheme_file(path)?);
        }
        Ok(Declaration { default, map, keep: self.keep() })
    }

    /// The exemption list.
    pub fn keep(&self) -> Vec<String> {
        self.keep.iter().filter(|k| !k.is_empty() && k.as_str() != "none").cloned().collect()
    }
}

/// The `GLOB=SCHEME` lines of a --scheme-file; an error names the file and the line.
fn read_scheme_file(path: &Path) -> Result<Vec<Declared>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read --scheme-file {}", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.split('#').next().unwrap_or_default().trim()))
        .filter(|(_, line)| !line.is_empty())
        .map(|(n, line)| line.parse::<Declared>().with_context(|| format!("{}, line {n}", path.display())))
        .collect()
}

/// The schemes in a set of columns, for messages: `Atlas{k=7}` for one, `Atlas{k=7} (12
/// columns), Atlas{k=15} (3 columns)` for several.
fn describe(schemes: &ColumnSchemes) -> String {
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for (s, _) in schemes.values() {
        *count.entry(s.to_string()).or_default() += 1;
    }
    match count.len() {
        0 => "no compressed columns".into(),
        1 => count.into_keys().next().unwrap_or_default(),
        _ => count.iter().map(|(s, n)| format!("{s} ({n} columns)")).collect::<Vec<_>>().join(", "),
    }
}

/// The schemes as JSON: column → scheme text and origin.
fn schemes_json(schemes: &ColumnSchemes) -> serde_json::Value {
    schemes.iter().map(|(c, (s, o))| (c.clone(), json!({"scheme": s.to_string(), "origin": o.name()}))).collect()
}

/// The float columns of a schema.
pub(crate) fn float_columns(schema: &Schema) -> Vec<String> {
    schema.fields().iter().filter(|f| is_float(f.data_type())).map(|f| f.name().clone()).collect()
}

// ---------------------------------------------------------------------------------------------
/// `hepfloat inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// ROOT files, Parquet files or `toy[:EVENTS[:SEED]]`; a glob in a file name is matched by
    /// hepfloat. Several files are one dataset: the same columns in each, events counted across
    /// them, kept bits detected over all of them.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    #[command(flatten)]
    source: Source,
    /// The schemes `fit --compressed-input` would use (the file's own, else the declared,
    /// else the family's at each column's detected bits).
    #[command(flatten)]
    scheme: SchemeArgs,
}

pub fn inspect(a: &InspectArgs, out: Out) -> Result<()> {
    let input = Input::open_dataset(&crate::io::expand_inputs(&a.files)?, &a.source)?;
    let schema = input.schema();
    out.say(format!(
        "{}: {} events, {} columns, {} bytes",
        input.name,
        input.entries(),
        schema.fields().len(),
        input.bytes
    ));
    let parts = input.parts();
    if parts.len() > 1 {
        for (first, p) in &parts {
            out.say(format!("  {}: events {first}..{}, {} bytes", p.name, first + p.entries(), p.bytes));
        }
    }
    let files: Vec<serde_json::Value> = parts
        .iter()
        .map(|(first, p)| json!({"file": p.name, "first_event": first, "entries": p.entries(), "bytes": p.bytes}))
        .collect();
    if let Some(tree) = input.tree() {
        out.say(format!("tree {:?} ({}): {} branches", tree.name(), tree.title(), tree.branches().len()));
    }
    if let Some(nt) = input.rntuple() {
        out.say(format!("RNTuple {:?}: {} fields", nt.name(), nt.fields().len()));
    }
    let unread = input.unread();
    if !unread.is_empty() {
        out.say(format!("{} not read into Arrow (name, type: why):", unread.len()));
        for (name, type_name, why) in &unread {
            out.say(format!("  {name}  {type_name}: {why}"));
        }
    }
    for (k, v) in input.metadata() {
        out.say(format!("metadata {k} = {v}"));
    }
    for (file, _, how) in &input.protection {
        out.say(format!("checksums of {file}: {how}"));
    }
    let protection: Vec<serde_json::Value> =
        input.protection.iter().map(|(f, p, how)| json!({"file": f, "protected": p, "how": how})).collect();
    let floats = float_columns(&schema);
    let mut counts: BTreeMap<&str, u64> = floats.iter().map(|n| (n.as_str(), 0)).collect();
    let mut detector = Detector::default();
    let range = a.source.entries.clone();
    let bar = out.bar(range.end.min(input.entries()) - range.start.min(input.entries()), "reading");
    for batch in input.batches(range, input.batch_events())? {
        let batch = batch?;
        bar.inc(batch.num_rows() as u64);
        for name in &floats {
            if let Some(v) = batch.column_by_name(name).and_then(|c| float_values(c.as_ref())) {
                *counts.get_mut(name.as_str()).expect("listed") += v.len() as u64;
                detector.add(name, &v);
            }
        }
    }
    bar.finish_and_clear();
    let schemes = resolve(&floats, &recorded(&input, &floats)?, &a.scheme.declaration(true)?, Some(&detector))?;
    let mut rows = Vec::new();
    out.say(format!("{:<80} {:<32} {:>10} {:>9}  {}", "column", "type", "values", "kept bits", "scheme (from)"));
    for f in schema.fields() {
        let name = f.name().as_str();
        let (values, k) = match counts.get(name) {
            Some(n) => (Some(*n), detector.kept_bits(name)),
            None => (None, None),
        };
        let shown_k = match (values, k) {
            (None, _) => "-".to_string(),
            (Some(_), None) => "?".to_string(),
            (Some(_), Some(23)) => "23 (full)".to_string(),
            (Some(_), Some(k)) => k.to_string(),
        };
        let shown_n = values.map_or_else(|| "-".into(), |n| n.to_string());
        let scheme = schemes.get(name);
        let shown_s = match (values, scheme) {
            (None, _) => "-".to_string(),
            (Some(_), None) if k.is_some_and(|k| k < 23) && detector.bits(name).is_none() => {
                format!("left as is (fewer than {} distinct values)", crate::schemes::MIN_DISTINCT)
            }
            (Some(_), None) => "full precision".to_string(),
            (Some(_), Some((s, o))) => format!("{s} ({})", o.name()),
        };
        out.say(format!("{name:<80} {:<32} {shown_n:>10} {shown_k:>9}  {shown_s}", f.data_type().to_string()));
        rows.push(json!({"column": name, "type": f.data_type().to_string(), "values": values, "kept_bits": k,
            "scheme": scheme.map(|s| s.0.to_string()), "scheme_origin": scheme.map(|s| s.1.name())}));
    }
    if schemes.values().any(|s| s.1 == crate::schemes::Origin::Detected) {
        out.say(
            "detected bits are a lower bound: a column of few distinct values can look coarser than it was stored; \
             declare what you know with --bits or --scheme-map",
        );
    }
    let (skipped, damaged) = input.damaged_report();
    if let Some(line) = skipped {
        out.say(line);
    }
    if let Some(line) = input.unprotected_report() {
        out.say(line);
    }
    out.json(&json!({"damaged": damaged, "file": input.name, "files": files, "entries": input.entries(),
        "bytes": input.bytes, "protection": protection, "columns": rows}));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
/// `hepfloat compress`.
#[derive(Debug, Args)]
pub struct CompressArgs {
    /// ROOT files, Parquet files or `toy[:EVENTS[:SEED]]`; a glob in a file name (`'data/*.root'`)
    /// is matched by hepfloat. Several files: -o is a directory, one output per input
    /// (`DIR/<name>.parquet`), and --entries counts events across the files in turn.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    scheme: SchemeArgs,
    /// Do not measure the bytes the same columns take in Parquet at full precision (the
    /// baseline of the "smaller by" report): measuring encodes every column a second time,
    /// about a third of the command's time.
    #[arg(long)]
    no_baseline: bool,
    #[command(flatten)]
    jobs: Jobs,
    #[command(flatten)]
    output: Output,
}

/// How many files of a dataset a command works on at once.
#[derive(Debug, Clone, Copy, Args)]
pub struct Jobs {
    /// Files of a dataset processed at once (several inputs; each file's own work still runs on
    /// every thread). Each file in flight holds its own row group and readers, so memory grows
    /// with it; 1 by default (flat memory). Outputs are the same whatever the number.
    #[arg(long = "jobs", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: u16,
}

/// What `compress` measured.
#[derive(Debug, Clone, Copy)]
pub struct CompressSummary {
    /// Parquet bytes of the same columns at full precision, same writer settings (`None` with
    /// `--no-baseline`).
    pub before: Option<u64>,
    /// Bytes of the output file.
    pub after: u64,
}

pub fn compress(a: &CompressArgs, out: Out) -> Result<CompressSummary> {
    let declared = a.scheme.declaration(false)?;
    let targets = per_input_outputs(&a.files, &a.output.output, &[])?;
    if let [(file, target)] = &targets[..] {
        let input = Input::open_source(file, &a.source)?;
        let (summary, report) = compress_input(a, &declared, &input, a.source.entries.clone(), target, out)?;
        out.json(&report);
        return Ok(summary);
    }
    let quiet = Out { quiet: out.quiet || out.json, json: false };
    let (mut total, mut reports) = (CompressSummary { before: Some(0), after: 0 }, Vec::new());
    let done = each_file(&targets, &a.source, a.jobs, |input, local, target| {
        compress_input(a, &declared, input, local, target, quiet)
    })?;
    for ((file, _), done) in targets.iter().zip(done) {
        let Some((summary, report)) = done else {
            out.say(format!("{file}: no event in --entries, not written"));
            continue;
        };
        total.before = total.before.zip(summary.before).map(|(a, b)| a + b);
        total.after += summary.after;
        reports.push(report);
    }
    out.say(format!(
        "{} files: {}{} bytes in {}",
        reports.len(),
        total.before.map(|b| format!("{b} bytes at full precision -> ")).unwrap_or_default(),
        total.after,
        a.output.output.display()
    ));
    out.json(&json!({"files": reports, "bytes_full_precision": total.before, "bytes_compressed": total.after}));
    Ok(total)
}

/// `work(input, events, target)` on each of `targets` (an input file and its output), on the
/// events of it that the dataset-wide `source.entries` selects (`None` for a file it selects
/// none of), `jobs.jobs` files at a time; the results in file order, or the first error in
/// file order. With several jobs each file is opened twice: once, in order, to count its events.
fn each_file<T: Send>(
    targets: &[(String, PathBuf)],
    source: &Source,
    jobs: Jobs,
    work: impl Fn(&Input, Range<u64>, &Path) -> Result<T> + Sync,
) -> Result<Vec<Option<T>>> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
    let mut at = 0u64;
    if jobs.jobs <= 1 || targets.len() < 2 {
        let mut done = Vec::with_capacity(targets.len());
        for (file, target) in targets {
            let input = Input::open_source(file, source)?;
            done.push(match share(&source.entries, &mut at, input.entries()) {
                Some(local) => Some(work(&input, local, target)?),
                None => None,
            });
        }
        return Ok(done);
    }
    let mut shares = Vec::with_capacity(targets.len());
    for (file, _) in targets {
        let entries = Input::open_source(file, source)?.entries();
        shares.push(share(&source.entries, &mut at, entries));
    }
    let (next, failed) = (AtomicUsize::new(0), AtomicBool::new(false));
    let slots: Vec<std::sync::Mutex<Option<Result<T>>>> = targets.iter().map(|_| Default::default()).collect();
    let jobs = usize::from(jobs.jobs).min(targets.len());
    // Each job works in a pool of its own, a share of the threads: files do not steal each
    // other's work (which measured slower than one file at a time).
    let threads = (rayon::current_num_threads() / jobs).max(1);
    let pools: Vec<rayon::ThreadPool> =
        (0..jobs).map(|_| rayon::ThreadPoolBuilder::new().num_threads(threads).build()).collect::<Result<_, _>>()?;
    std::thread::scope(|scope| {
        for pool in &pools {
            let (work, next, failed, shares, slots) = (&work, &next, &failed, &shares, &slots);
            scope.spawn(move || {
                while !failed.load(Relaxed) {
                    let i = next.fetch_add(1, Relaxed);
                    let Some(((file, target), local)) = targets.get(i).zip(shares.get(i)) else { break };
                    let Some(local) = local.clone() else { continue };
                    let result =
                        pool.install(|| Input::open_source(file, source).and_then(|input| work(&input, local, target)));
                    failed.fetch_or(result.is_err(), Relaxed);
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    // Files after a failed one may not have run: the first error in file order comes first.
    slots.into_iter().map(|slot| slot.into_inner().ok().flatten().transpose()).collect()
}

/// The events of a file that a dataset-wide range selects: `range` (events counted across the
/// files in turn) in the numbers of the file whose first event is `*at` and that holds
/// `entries`, which `*at` then moves past; `None` where it selects none.
fn share(range: &Range<u64>, at: &mut u64, entries: u64) -> Option<Range<u64>> {
    let (first, end) = (*at, at.saturating_add(entries));
    *at = end;
    (range.start < end && range.end > first).then(|| range.start.max(first) - first..range.end.min(end) - first)
}

/// Where a command that writes one file per input writes each of `files` (globs expanded):
/// `output` itself for one input; for several, `output` is a directory (created if absent)
/// and each input `NAME.root` or `NAME.parquet` goes to `output/NAME.parquet`. Two inputs of one
/// name, and an output that is an input (or one of `others`), are refused before anything is
/// written.
fn per_input_outputs(files: &[String], output: &Path, others: &[&Path]) -> Result<Vec<(String, PathBuf)>> {
    let files = crate::io::expand_inputs(files)?;
    let inputs: Vec<&Path> = files.iter().map(Path::new).chain(others.iter().copied()).collect();
    if let [one] = &files[..] {
        check_file_target(output, &inputs)?;
        return Ok(vec![(one.clone(), output.to_path_buf())]);
    }
    if output.exists() && !output.is_dir() {
        bail!("{} inputs need an output directory, and {} is not one", files.len(), output.display());
    }
    let mut targets: Vec<(String, PathBuf)> = Vec::new();
    for f in &files {
        let stem = Path::new(f).file_stem().and_then(|s| s.to_str()).filter(|s| !s.is_empty() && !s.contains(':'));
        let Some(stem) = stem else {
            bail!("{f}: only files can be one of several inputs (an output is named after its input)")
        };
        let target = output.join(format!("{stem}.parquet"));
        if let Some((other, _)) = targets.iter().find(|(_, t)| *t == target) {
            bail!("{other} and {f} would both be written to {}: rename one", target.display());
        }
        targets.push((f.clone(), target));
    }
    std::fs::create_dir_all(output)
        .with_context(|| format!("cannot create the output directory {}", output.display()))?;
    for (_, target) in &targets {
        check_file_target(target, &inputs)?;
    }
    Ok(targets)
}

/// Compress events `range` of `input` into `target`; the summary and the JSON report.
fn compress_input(
    a: &CompressArgs,
    declared: &Declaration,
    input: &Input,
    range: Range<u64>,
    target: &Path,
    out: Out,
) -> Result<(CompressSummary, serde_json::Value)> {
    let keep = a.scheme.keep();
    if input.schema().fields().is_empty() {
        let unread = input.unread();
        let shown: Vec<String> = unread.iter().take(3).map(|(n, t, why)| format!("{n} ({t}): {why}")).collect();
        bail!(
            "{}: nothing to compress, no column is read into Arrow{}",
            input.name,
            if unread.is_empty() {
                String::new()
            } else {
                format!(" ({} not read, e.g. {}; `hepfloat inspect` lists them all)", unread.len(), shown.join("; "))
            }
        );
    }
    let floats = float_columns(&input.schema());
    let already = recorded(input, &floats).with_context(|| format!("{}: its scheme metadata", input.name))?;
    if let Some((column, s)) = already.iter().next() {
        bail!(
            "{} is already compressed ({column}: {s}, recorded in its metadata; {} columns in all): compress the original instead",
            input.name,
            already.len()
        );
    }
    let schemes = resolve(&floats, &already, declared, None)?;
    let mut meta = input.metadata().clone();
    meta.remove(META_SCHEME);
    meta.insert(META_KEEP, keep.join(","));
    let schema = Arc::new(Schema::new_with_metadata(with_schemes(input.schema().fields(), &schemes), meta));
    let mut sink = ParquetSink::create(target, schema.clone())?;
    let mut before = if a.no_baseline { None } else { Some(SizeCounter::new(input.schema())?) };
    let bar = out.bar(range.end.min(input.entries()) - range.start.min(input.entries()), "compressing");
    let (mut values, mut kept) = (0, 0);
    for batch in input.batches(range, input.batch_events())? {
        let batch = batch?;
        let (c, n) = compress_columns(&batch, |name| schemes.get(name).map(|s| s.0))
            .with_context(|| format!("compressing {}", input.name))?;
        sink.write(&arrow_array::RecordBatch::try_new(schema.clone(), c.columns().to_vec())?)?;
        if let Some(counter) = &mut before {
            counter.write(&batch)?;
        }
        (values, kept) = (values + n.values, kept + n.kept);
        bar.inc(batch.num_rows() as u64);
    }
    bar.finish_and_clear();
    let (before, after) = (before.map(SizeCounter::finish).transpose()?, sink.finish()?);
    out.say(format!(
        "{}: {values} float values rounded, {kept} kept at full precision (keep: {})",
        describe(&schemes),
        if keep.is_empty() { "none".into() } else { keep.join(",") }
    ));
    out.say(match before {
        Some(before) => format!(
            "Parquet (zstd, byte-stream-split floats): {before} bytes at full precision -> {after} bytes ({:.1} % smaller); input file {} bytes",
            100.0 * (1.0 - after as f64 / before.max(1) as f64),
            input.bytes
        ),
        None => format!(
            "Parquet (zstd, byte-stream-split floats): {after} bytes (full precision not measured); input file {} bytes",
            input.bytes
        ),
    });
    out.say(format!("wrote {}", target.display()));
    let (skipped, damaged) = input.damaged_report();
    if let Some(line) = skipped {
        out.say(line);
    }
    if let Some(line) = input.unprotected_report() {
        out.say(line);
    }
    let report = json!({"input": input.name, "damaged": damaged, "scheme": describe(&schemes),
        "schemes": schemes_json(&schemes), "values": values, "kept": kept, "bytes_full_precision": before,
        "bytes_compressed": after, "input_bytes": input.bytes, "output": target});
    Ok((CompressSummary { before, after }, report))
}

// ---------------------------------------------------------------------------------------------
/// `hepfloat fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Original (uncompressed) data: ROOT files, Parquet files or `toy[:EVENTS[:SEED]]`; a glob
    /// in a file name is matched by hepfloat. Several files are one dataset (the same columns
    /// in each; events counted across them, the validation events the last of the last files).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    scheme: SchemeArgs,
    /// Fraction of the events (the last ones) the gate validates on.
    #[arg(long, default_value_t = 0.5)]
    validation: f64,
    /// Relation rules `relation:suffix,suffix,...` finding groups from column names (default:
    /// four_momentum with .px,.py,.pz,.e,.m (xAOD), _px,…,_e,_m and _Px,…,_E,_M (flat ntuples),
    /// .Px,…,.E,.M (Delphes), case exact; sum_to_one:_pu,_pc,_pb,_ptau and sum_to_one:_pu,_pc,_pb).
    /// A suffix `=VALUE` is a declared constant in every group the rule finds (a muon ntuple
    /// without mass column: four_momentum:_px,_py,_pz,_e,=105.6584). A group is used only if
    /// the data obey its relation on 99 % of the rows (originals exactly, compressed values
    /// within their preimages); the others are reported and dropped.
    #[arg(long)]
    rules: Vec<Rule>,
    /// A relation group `relation:column,column,...` (e.g. sum_to_one:a.p1,a.p2); a member
    /// `=VALUE` is a declared constant, such as a particle's mass where the file has no mass
    /// column (four_momentum:mu_px,mu_py,mu_pz,mu_e,=105.6584).
    #[arg(long)]
    group: Vec<String>,
    /// Fit without relation groups.
    #[arg(long)]
    no_groups: bool,
    /// Most values per column held from each split (training, validation): where a column holds
    /// more, a sample spread over all of them (the values whose positions hash lowest), the same
    /// rows in the columns of one container, the same however the data are split into files.
    #[arg(long, default_value_t = 4_000_000)]
    max_values: usize,
    /// Memory for those values, all columns together, in MiB (20 bytes a validation value, 12 a
    /// training one): with many columns each holds fewer than --max-values.
    #[arg(long, default_value_t = 1024)]
    sample_mib: usize,
    /// The estimate the gate scores candidates with.
    #[arg(long, default_value = "mean")]
    estimate: Estimate,
    /// Neural models the gate also tries on every column with kept variables in its container
    /// and enough training values, keeping one only where it wins on validation: hybrid,
    /// autoencoder, vae, flow, flow-matching, inpainting (comma-separated), or `all`.
    #[arg(long = "model", value_delimiter = ',', value_name = "MODEL")]
    models: Vec<String>,
    /// Shorthand for the five MLP-based models (`--model all` less `inpainting`, whose
    /// transformer costs about ten times as much to fit).
    #[arg(long)]
    neural: bool,
    /// Give the neural models the container's other compressed columns as context too (their
    /// compressed values, as the file holds them), not only its kept ones; the gate still
    /// decides per column.
    #[arg(long)]
    sibling_context: bool,
    /// Container networks the gate also tries: per container, one network of each kind (hybrid,
    /// inpainting, comma-separated, or `all`) that reconstructs all its compressed columns at once
    /// from their compressed values and the kept ones, so that the columns share their training
    /// data; each column keeps its output only where it wins on validation.
    #[arg(long = "container", value_delimiter = ',', value_name = "MODEL")]
    containers: Vec<String>,
    /// Not a gate, for comparisons: put this method (identity, uniform, lattice, histogram,
    /// constraint, a neural model, autoencoder-unbounded included, or a container network,
    /// container-hybrid or container-inpainting) on every column where it applies and the
    /// identity elsewhere.
    #[arg(long)]
    force: Option<Method>,
    /// FILE is already compressed with the scheme and no originals exist: fit from the
    /// compressed values alone (spikes kept exact, midpoints elsewhere, relation groups), with
    /// no validation. Every selected event is used.
    #[arg(long)]
    compressed_input: bool,
    /// How often a value must occur to be taken as an exact value (atom).
    #[arg(long, default_value_t = 3)]
    min_atom_count: u32,
    /// Events left out of the fit (a fold that `demo --folds` evaluates on).
    #[arg(skip)]
    exclude: Option<Range<u64>>,
    #[command(flatten)]
    output: Output,
}

/// Values each of `columns` columns holds per split: `--max-values`, fewer where `--sample-mib`
/// at `bytes` a value is the tighter bound.
fn held_per_column(a: &FitArgs, bytes: usize, columns: usize) -> usize {
    a.max_values.min(a.sample_mib.saturating_mul(1 << 20) / bytes / columns.max(1)).max(1)
}

/// The events `fit` uses: `range` without `exclude`, as ordered spans.
fn fit_spans(range: Range<u64>, exclude: &Option<Range<u64>>) -> Vec<Range<u64>> {
    let spans = match exclude {
        None => vec![range],
        Some(x) => vec![range.start..range.end.min(x.start), range.start.max(x.end)..range.end],
    };
    spans.into_iter().filter(|r| r.start < r.end).collect()
}

/// `spans` cut after their first `n` events: (the first `n`, the rest).
fn cut_spans(spans: &[Range<u64>], mut n: u64) -> (Vec<Range<u64>>, Vec<Range<u64>>) {
    let (mut head, mut tail) = (Vec::new(), Vec::new());
    for r in spans {
        let take = n.min(r.end - r.start);
        n -= take;
        if take > 0 {
            head.push(r.start..r.start + take);
        }
        if r.start + take < r.end {
            tail.push(r.start + take..r.end);
        }
    }
    (head, tail)
}

/// Spans as people read them: `0..25` or `0..20, 40..45`.
fn show_spans(spans: &[Range<u64>]) -> String {
    spans.iter().map(|r| format!("{}..{}", r.start, r.end)).collect::<Vec<_>>().join(", ")
}

/// Spans in `--json`: one range as before, several as a list.
fn spans_json(spans: &[Range<u64>]) -> serde_json::Value {
    match spans {
        [one] => json!(one),
        _ => json!(spans),
    }
}

/// The relation groups of `fit`: found by the rules among `names`, plus the declared ones.
fn groups_of(a: &FitArgs, names: &[String]) -> Result<Vec<Group>> {
    if a.no_groups {
        return Ok(vec![]);
    }
    let rules = if a.rules.is_empty() { Rule::defaults() } else { a.rules.clone() };
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut groups = models::detect_groups(&refs, &rules);
    for g in &a.group {
        groups.push(parse_group(g)?);
    }
    Ok(groups)
}

/// Test each group's relation on compressed data ([`Group::settle`]): `values[i]` holds column
/// `names[i]`, compressed with `scheme_of(name)` (a row holds when the box of preimages meets the
/// relation); the groups that do not hold are removed. Returns every tested group with its
/// verdict.
fn test_compressed<'s>(
    groups: &mut Vec<Group>,
    names: &[String],
    values: &[Vec<f32>],
    scheme_of: impl Fn(&str) -> Option<&'s Scheme>,
) -> Vec<(Group, Verdict)> {
    let mut tested = Vec::new();
    groups.retain_mut(|g| {
        let columns: Vec<(&[f32], Option<&Scheme>)> = g
            .members
            .iter()
            .map(|m| {
                let i = names.iter().position(|n| n == m);
                (i.map_or(&[][..], |i| values[i].as_slice()), scheme_of(m))
            })
            .collect();
        let verdict = g.settle(&columns);
        let kept = verdict.kept();
        tested.push((g.clone(), verdict));
        kept
    });
    tested
}

/// Say which tested groups were widened or dropped, and why; the same for the JSON summary.
fn report_groups(tested: &[(Group, Verdict)], out: Out) -> Vec<serde_json::Value> {
    let mut changed = Vec::new();
    for (g, verdict) in tested {
        let (kept, why) = match verdict {
            Verdict::Holds => continue,
            Verdict::Widened(why) => (true, why),
            Verdict::Dropped(why) => (false, why),
        };
        out.say(format!("{} the {} group {:?}: {why}", if kept { "kept" } else { "dropped" }, g.relation, g.members));
        changed.push(json!({"relation": g.relation.to_string(), "members": g.members, "kept": kept, "why": why}));
    }
    changed
}

/// `fit --compressed-input`: every selected event's compressed values, no validation.
fn fit_compressed(a: &FitArgs, out: Out, input: &Input, names: &[String], spans: &[Range<u64>]) -> Result<Model> {
    let recorded = recorded(input, names)?;
    let declared = a.scheme.declaration(true)?;
    // One pass over every event of the file: the kept bits of each column are detected on all of
    // them (a count seen on fewer values is a lower bound that later events can exceed), the
    // values of the events in `range` are kept for fitting.
    let mut values: Vec<Vec<f32>> = vec![Vec::new(); names.len()];
    let mut thinning = vec![Thinning::new(held_per_column(a, 12, names.len())); names.len()];
    let mut detector = Detector::default();
    let bar = out.bar(input.entries(), "reading");
    let mut at = 0u64;
    for batch in input.batches(0..input.entries(), BATCH_EVENTS)? {
        let batch = batch?;
        let rows = batch.num_rows() as u64;
        // The parts of this batch inside the fitted spans, as (first row, rows).
        let parts: Vec<(usize, usize)> = spans
            .iter()
            .map(|r| (r.start.clamp(at, at + rows) - at, r.end.clamp(at, at + rows) - at))
            .filter(|(lo, hi)| hi > lo)
            .map(|(lo, hi)| (lo as usize, (hi - lo) as usize))
            .collect();
        at += rows;
        bar.inc(rows);
        let whole = parts == [(0, rows as usize)];
        let fitted: Vec<_> = if whole { vec![] } else { parts.iter().map(|&(lo, n)| batch.slice(lo, n)).collect() };
        for ((name, v), t) in names.iter().zip(values.iter_mut()).zip(thinning.iter_mut()) {
            let Some(x) = batch.column_by_name(name).and_then(|c| float_values(c.as_ref())) else { continue };
            detector.add(name, &x);
            let mut keep = |x: &[f32]| v.extend(x.iter().filter(|_| t.admit()));
            if whole {
                keep(&x);
            }
            for f in &fitted {
                keep(&f.column_by_name(name).and_then(|c| float_values(c.as_ref())).unwrap_or_default());
            }
            if let Some(mask) = t.settle() {
                Thinning::retain(v, &mask);
            }
        }
    }
    bar.finish_and_clear();
    let schemes = resolve(names, &recorded, &declared, Some(&detector))?;
    let (mut columns, mut kept) = (Vec::new(), Vec::new());
    for (name, v) in names.iter().zip(&values) {
        if schemes.contains_key(name) { columns.push((name.as_str(), v.as_slice())) } else { kept.push(name.as_str()) }
    }
    let mut groups = groups_of(a, names)?;
    groups.retain(|g| g.columns().all(|m| names.contains(m)));
    let tested = report_groups(&test_compressed(&mut groups, names, &values, |n| schemes.get(n).map(|s| &s.0)), out);
    let per_column = crate::schemes::per_column(&schemes);
    let model = Model::fit_compressed(per_column, &columns, &kept, &groups, a.min_atom_count)
        .with_context(|| format!("fitting {}", input.name))?;
    save(&model, &a.output.output)?;
    let atoms: usize = model
        .columns()
        .iter()
        .map(|c| match &c.prior {
            models::Prior::Histogram(h) => h.atoms.len(),
            _ => 0,
        })
        .sum();
    out.say(format!(
        "{}: fitted {} columns from compressed events {} alone ({atoms} exact values found, {} relation groups); no originals, so nothing was validated",
        describe(&schemes),
        model.columns().len(),
        show_spans(spans),
        model.groups().len()
    ));
    // What rests on assumption rather than evidence: the relations, applied where they narrow a member.
    let assumed: Vec<&str> = model.columns().iter().filter(|c| c.constraint()).map(|c| c.name.as_str()).collect();
    if !assumed.is_empty() {
        out.say(format!(
            "{} columns take values from relations on assumption (nothing validates them), where a relation narrows them: {}{}",
            assumed.len(),
            assumed[..assumed.len().min(5)].join(", "),
            if assumed.len() > 5 { ", …" } else { "" }
        ));
    }
    out.say(format!("wrote {}", a.output.output.display()));
    let (skipped, damaged) = input.damaged_report();
    if let Some(line) = skipped {
        out.say(line);
    }
    if let Some(line) = input.unprotected_report() {
        out.say(line);
    }
    out.json(&json!({"damaged": damaged, "scheme": describe(&schemes), "schemes": schemes_json(&schemes),
        "columns": model.columns().len(), "atoms": atoms, "groups": model.groups().len(), "groups_tested": tested,
        "assumed": assumed,
        "events": spans_json(spans), "output": a.output.output}));
    Ok(model)
}

/// Write a model file through a temporary file renamed into place.
fn save(model: &Model, path: &Path) -> Result<()> {
    write_file(path, model.to_json()?.as_bytes())
}

/// A `relation:member,member,...` group.
fn parse_group(s: &str) -> Result<Group> {
    let (rel, members) = s.split_once(':').with_context(|| format!("{s:?}: expected relation:column,column,..."))?;
    let relation: Relation = rel.parse()?;
    Ok(Group::new(relation, members.split(',').map(str::trim))?)
}

pub fn fit(a: &FitArgs, out: Out) -> Result<Model> {
    if !(0.0..1.0).contains(&a.validation) || a.validation == 0.0 {
        bail!("--validation must be in (0, 1), got {}", a.validation);
    }
    if a.max_values == 0 || a.sample_mib == 0 {
        bail!("--max-values and --sample-mib must be at least 1: fitting needs values");
    }
    let files = crate::io::expand_inputs(&a.files)?;
    check_file_target(&a.output.output, &files.iter().map(Path::new).collect::<Vec<_>>())?;
    let input = Input::open_dataset(&files, &a.source)?;
    let names = float_columns(&input.schema());
    let (start, end) = (a.source.entries.start.min(input.entries()), a.source.entries.end.min(input.entries()));
    let spans = fit_spans(start..end, &a.exclude);
    if a.compressed_input {
        return fit_compressed(a, out, &input, &names, &spans);
    }
    let already = recorded(&input, &names)?;
    if let Some((column, s)) = already.iter().next() {
        bail!(
            "{} records lossy schemes ({column}: {s}; {} columns): fit needs the originals, or --compressed-input",
            input.name,
            already.len()
        );
    }
    let schemes = resolve(&names, &already, &a.scheme.declaration(false)?, None)?;
    let total: u64 = spans.iter().map(|r| r.end - r.start).sum();
    let split = (total as f64 * (1.0 - a.validation)).round() as u64;
    if split == 0 || split == total {
        bail!("{total} events in {}: too few to split into training and validation", show_spans(&spans));
    }
    let (train_spans, valid_spans) = cut_spans(&spans, split);
    // The event of each validation value is gathered too: the gate resamples evidence by event.
    let mut gathered = Gathered::new(held_per_column(a, 20, names.len()));
    let bar = out.bar(total, "reading");
    let parts =
        train_spans.iter().map(|r| (r, Part::Training)).chain(valid_spans.iter().map(|r| (r, Part::Validation)));
    for (range, part) in parts {
        let mut at = range.start;
        for batch in input.batches(range.clone(), BATCH_EVENTS)? {
            let batch = batch?;
            bar.inc(batch.num_rows() as u64);
            gathered.add(&batch, part, at)?;
            at += batch.num_rows() as u64;
        }
    }
    bar.finish_and_clear();
    // Groups whose members are all present, and whose relation the originals obey.
    let mut groups = groups_of(a, &names)?;
    let tested = report_groups(&gathered.test_groups(&mut groups), out);
    let t0 = Instant::now();
    let request = gathered.request(crate::schemes::per_column(&schemes));
    let spinner =
        out.spinner(&format!("fitting {} columns and {} relation groups", request.columns.len(), groups.len()));
    let mut kinds = Vec::new();
    for m in &a.models {
        match m.as_str() {
            "all" => kinds.extend(Kinds::BOUNDED.iter()),
            m => kinds.push(m.parse::<Kind>()?),
        }
    }
    let neural = if a.neural { Kinds::MLP } else { Kinds::of(&kinds) };
    let mut container_kinds = Vec::new();
    for m in &a.containers {
        match m.as_str() {
            "all" => container_kinds.extend([Kind::Hybrid, Kind::Inpainting]),
            "hybrid" => container_kinds.push(Kind::Hybrid),
            "inpainting" => container_kinds.push(Kind::Inpainting),
            m => bail!("--container {m}: expected hybrid, inpainting or all"),
        }
    }
    let tell = |column: &str, e: &Epoch| {
        spinner.set_message(format!(
            "fitting {column} ({}): epoch {}/{}, training loss {:.4}, validation {:.4} (best {:.4})",
            e.kind, e.epoch, e.epochs, e.train_loss, e.validation_loss, e.best
        ));
    };
    let progress = Some(Progress(&tell));
    let opts = FitOptions {
        estimate: a.estimate,
        neural,
        force: a.force,
        progress,
        sibling_context: a.sibling_context,
        containers: Kinds::of(&container_kinds),
        ..FitOptions::default()
    };
    let request = FitRequest { groups, options: opts, ..request };
    let model = Model::fit_request(&request).with_context(|| format!("fitting {}", input.name))?;
    spinner.finish_and_clear();
    save(&model, &a.output.output)?;
    let mut choices: BTreeMap<&str, usize> = BTreeMap::new();
    for c in model.columns() {
        *choices.entry(c.choice_name()).or_default() += 1;
    }
    let joint_atoms: usize = model.groups().iter().map(|g| g.atoms.len()).sum();
    out.say(format!(
        "{}: fitted {} columns on events {}, validated on {} in {:.2} s; {} relation groups used{}",
        describe(&schemes),
        model.columns().len(),
        show_spans(&train_spans),
        show_spans(&valid_spans),
        t0.elapsed().as_secs_f64(),
        model.groups().len(),
        match joint_atoms {
            0 => String::new(),
            n => format!(", with {n} repeated tuples of their members kept exact"),
        }
    ));
    out.say(format!("choices: {}", choices.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")));
    // The quick estimate of what can be recovered, made before any candidate was fitted.
    let recoverable: BTreeMap<&str, models::recover::Recoverable> =
        model.columns().iter().filter_map(|c| Some((c.name.as_str(), c.recoverable?))).collect();
    let worth: Vec<&models::ColumnModel> =
        model.columns().iter().filter(|c| c.recoverable.is_some_and(|r| r.best() < WORTH)).collect();
    if !worth.is_empty() {
        let left = worth.iter().filter(|c| c.choice_name() == "identity").count();
        out.say(format!(
            "{} columns are worth upsampling by the quick estimate (below {WORTH} of the compressed MSE from a binned \
             fit on training values, before any model); {left} of them kept their compressed values{}",
            worth.len(),
            if left > 0 && neural.is_empty() { " (--neural tries networks on them)" } else { "" }
        ));
    }
    // Columns left compressed although a candidate gained on validation: the gain did not hold
    // by the gate's rule (across resampled events, or for a network on too few effective events).
    let unproven: Vec<&str> = model
        .columns()
        .iter()
        .filter(|c| c.choice_name() == "identity" && c.scores.iter().any(|s| s.gain.is_some_and(|g| g > 0.0)))
        .map(|c| c.name.as_str())
        .collect();
    if !unproven.is_empty() {
        out.say(format!(
            "{} columns kept their compressed values: a candidate gained on validation, but not by the gate's rule (docs/gate.md)",
            unproven.len()
        ));
    }
    out.say(format!("wrote {}", a.output.output.display()));
    let (skipped, damaged) = input.damaged_report();
    if let Some(line) = skipped {
        out.say(line);
    }
    if let Some(line) = input.unprotected_report() {
        out.say(line);
    }
    out.json(&json!({"damaged": damaged, "scheme": describe(&schemes), "schemes": schemes_json(&schemes),
        "columns": model.columns().len(), "choices": choices, "unproven": unproven, "recoverable": recoverable,
        "groups": model.groups().len(), "joint_atoms": joint_atoms, "groups_tested": tested, "train": spans_json(&train_spans), "validation": spans_json(&valid_spans),
        "output": a.output.output}));
    Ok(model)
}

/// A column whose quick estimate ([`models::recover`]) is below this ratio of the compressed
/// MSE is reported as worth upsampling by `fit`.
const WORTH: f64 = 0.95;

// ---------------------------------------------------------------------------------------------
/// `hepfloat upsample`.
#[derive(Debug, Args)]
pub struct UpsampleArgs {
    /// Compressed data: ROOT files, Parquet files (e.g. from `hepfloat compress`); a glob in a
    /// file name is matched by hepfloat. Several files: -o is a directory, one output per input
    /// (`DIR/<name>.parquet`), and --entries counts events across the files in turn.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    #[command(flatten)]
    source: Source,
    /// The model file from `hepfloat fit`.
    #[arg(long)]
    model: PathBuf,
    /// mean (least squared error), median, or sample (a seeded draw: distribution fidelity).
    #[arg(long, default_value = "mean")]
    estimate: Estimate,
    /// Seed of the draws of --estimate sample.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Read the model's column names in this spelling before applying it: `rntuple`
    /// (`Container:var`) to apply a model fitted on a TTree to an RNTuple of the same variables,
    /// `tree` (`Container.var`) for the reverse. Only the separator between container and
    /// variable changes; without this option names must match as they are.
    #[arg(long)]
    names: Option<Spelling>,
    #[command(flatten)]
    jobs: Jobs,
    #[command(flatten)]
    output: Output,
}

/// The two spellings of a column name (`--names`).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Spelling {
    /// `Container.var`, as in TTrees.
    Tree,
    /// `Container:var`, as in RNTuples.
    Rntuple,
}

pub fn upsample(a: &UpsampleArgs, out: Out) -> Result<()> {
    crate::io::check_regular(&a.model, &format!("model file {}", a.model.display()))?;
    let targets = per_input_outputs(&a.files, &a.output.output, &[&a.model])?;
    let model = Model::load(&a.model)?;
    let model = match a.names {
        None => model,
        Some(Spelling::Tree) => model.with_separator('.'),
        Some(Spelling::Rntuple) => model.with_separator(':'),
    };
    if let [(file, target)] = &targets[..] {
        return upsample_with(&model, file, &a.source, a.estimate, a.seed, target, out).map(|_| ());
    }
    let quiet = Out { quiet: out.quiet || out.json, json: false };
    let (mut reports, mut values) = (Vec::new(), 0u64);
    let done = each_file(&targets, &a.source, a.jobs, |input, local, target| {
        upsample_input(&model, input, local, a.estimate, a.seed, target, quiet).map(|r| r.1)
    })?;
    for ((file, _), report) in targets.iter().zip(done) {
        let Some(report) = report else {
            out.say(format!("{file}: no event in --entries, not written"));
            continue;
        };
        values += report["values"].as_u64().unwrap_or(0);
        reports.push(report);
    }
    out.say(format!("{} files: upsampled {values} values into {}", reports.len(), a.output.output.display()));
    out.json(&json!({"files": reports, "values": values}));
    Ok(())
}

/// Upsample `file` with `model` into `output`; returns the upsampler's values per second.
pub fn upsample_with(
    model: &Model,
    file: &str,
    source: &Source,
    how: Estimate,
    seed: u64,
    output: &Path,
    out: Out,
) -> Result<f64> {
    let input = Input::open_source(file, source)?;
    let (rate, report) = upsample_input(model, &input, source.entries.clone(), how, seed, output, out)?;
    out.json(&report);
    Ok(rate)
}

/// Upsample events `range` of `input` with `model` into `output`; the upsampler's values per
/// second and the JSON report.
fn upsample_input(
    model: &Model,
    input: &Input,
    range: Range<u64>,
    how: Estimate,
    seed: u64,
    output: &Path,
    out: Out,
) -> Result<(f64, serde_json::Value)> {
    // Every column the model upsamples must have the model's scheme where the file records one;
    // those the file says nothing about are checked value by value.
    let known: Vec<String> = float_columns(&input.schema()).into_iter().filter(|n| model.column(n).is_some()).collect();
    let said = recorded(input, &known)?;
    let differ: Vec<String> = said
        .iter()
        .filter_map(|(n, s)| {
            model.scheme_of(n).filter(|m| *m != s).map(|m| format!("{n}: the file records {s}, the model expects {m}"))
        })
        .collect();
    if !differ.is_empty() {
        bail!(
            "the model does not fit {}: {} columns differ in scheme ({}{})",
            input.name,
            differ.len(),
            differ[..differ.len().min(5)].join("; "),
            if differ.len() > 5 { "; …" } else { "" }
        );
    }
    let recorded = said.len() == known.len();
    // Columns the model knows that are not float32 here (a variable another sample stores as
    // double, which no float32 scheme compressed): passed through unchanged.
    let schema = input.schema();
    let other: Vec<&arrow_schema::Field> = schema
        .fields()
        .iter()
        .filter(|f| model.column(f.name()).is_some() && !is_float(f.data_type()))
        .map(|f| f.as_ref())
        .collect();
    if !other.is_empty() {
        let shown: Vec<String> = other.iter().take(5).map(|f| format!("{} ({})", f.name(), f.data_type())).collect();
        out.say(format!(
            "{} columns the model knows are not float32 in {}, so no float32 scheme compressed them: passed through unchanged ({}{})",
            other.len(),
            input.name,
            shown.join(", "),
            if other.len() > 5 { ", …" } else { "" }
        ));
    }
    let passed: Vec<String> = other.iter().map(|f| f.name().clone()).collect();
    let mut up = Upsampler::new(model, how, seed);
    let t0 = Instant::now();
    let mut at = range.start.min(input.entries());
    let fields = crate::schemes::upsampled_fields(input.schema().fields(), |n| model.column(n).is_some());
    let busy = rewrite(input, range, &fields, &how.to_string(), output, out, |b| {
        let events = at..at + b.num_rows() as u64;
        at = events.end;
        // A file that does not say how it was compressed is checked value by value; one that
        // does is diagnosed only when the upsampler finds a value its scheme cannot output.
        if !recorded {
            check_outputs(model, b, &input.name, &events, false)?;
        }
        let upsampled = if passed.is_empty() {
            up.upsample(b)
        } else {
            // Upsample the others, then put the passed-through columns back in their places.
            let keep: Vec<usize> =
                (0..b.num_columns()).filter(|&i| !passed.contains(b.schema().field(i).name())).collect();
            up.upsample(&b.project(&keep)?).and_then(|u| {
                let mut columns: Vec<_> = b.columns().to_vec();
                for (&i, c) in keep.iter().zip(u.columns()) {
                    columns[i] = c.clone();
                }
                let fields: Vec<_> = (0..b.num_columns())
                    .map(|i| match keep.iter().position(|&k| k == i) {
                        Some(j) => u.schema().field(j).clone(),
                        None => b.schema().field(i).clone(),
                    })
                    .collect();
                let schema = Arc::new(Schema::new_with_metadata(fields, u.schema().metadata().clone()));
                Ok(arrow_array::RecordBatch::try_new(schema, columns)?)
            })
        };
        upsampled.or_else(|e| {
            check_outputs(model, b, &input.name, &events, true)?;
            Err(anyhow::Error::from(e)
                .context(format!("upsampling {}, events {}..{}", input.name, events.start, events.end)))
        })
    })?;
    let values = up.values();
    let fallbacks: Vec<&str> = up.fallbacks().collect();
    if !fallbacks.is_empty() {
        let shown: Vec<&str> = fallbacks.iter().take(5).copied().collect();
        out.say(format!(
            "{} columns took their own prior instead of their container network, which reads columns {} lacks ({}{})",
            fallbacks.len(),
            input.name,
            shown.join(", "),
            if fallbacks.len() > 5 { ", …" } else { "" }
        ));
    }
    let rate = values as f64 / busy.as_secs_f64().max(1e-9);
    out.say(format!(
        "upsampled {values} values ({how}) in {:.2} s ({:.1} M values/s in the upsampler); wrote {}",
        t0.elapsed().as_secs_f64(),
        rate / 1e6,
        output.display()
    ));
    let (skipped, damaged) = input.damaged_report();
    if let Some(line) = skipped {
        out.say(line);
    }
    if let Some(line) = input.unprotected_report() {
        out.say(line);
    }
    let report = json!({"input": input.name, "damaged": damaged, "values": values, "estimate": how.to_string(),
        "container_fallbacks": fallbacks,
        "seconds": t0.elapsed().as_secs_f64(), "upsampler_values_per_second": rate, "output": output});
    Ok((rate, report))
}

/// Refuse a batch holding, in a column `model` upsamples, a value that the column's scheme in the
/// model cannot output: the file was not compressed with it (`recorded`: it says it was, so it
/// was changed since).
fn check_outputs(
    model: &Model,
    batch: &arrow_array::RecordBatch,
    file: &str,
    events: &std::ops::Range<u64>,
    recorded: bool,
) -> Result<()> {
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        let Some(scheme) = model.scheme_of(field.name()) else { continue };
        let Some(values) = float_values(column.as_ref()) else { continue };
        let (mut lo, mut hi) = (vec![0f32; values.len()], vec![0f32; values.len()]);
        if let Err(e) = quant_bounds::preimages(scheme, &values, &mut lo, &mut hi) {
            let hint = if recorded {
                format!("the file records {scheme} but holds values it cannot output: it was changed after compression")
            } else {
                format!("this file does not look compressed with {scheme}; run `hepfloat compress` first")
            };
            bail!("{} in {file} (events {}..{}): {e}: {hint}", field.name(), events.start, events.end);
        }
    }
    Ok(())
}

/// Stream the events `range` of `input` through `f` into the Parquet file `output`, whose
/// columns are `fields` with the input's metadata and `estimate` noted; returns the time spent in
/// `f`.
fn rewrite(
    input: &Input,
    range: std::ops::Range<u64>,
    fields: &arrow_schema::Fields,
    estimate: &str,
    output: &Path,
    out: Out,
    mut f: impl FnMut(&arrow_array::RecordBatch) -> Result<arrow_array::RecordBatch>,
) -> Result<std::time::Duration> {
    let mut meta = input.metadata().clone();
    meta.insert("hepfloat.estimate", estimate.to_string());
    let schema = Arc::new(Schema::new_with_metadata(fields.clone(), meta));
    let mut sink = ParquetSink::create(output, schema.clone())?;
    let bar = out.bar(range.end.min(input.entries()) - range.start.min(input.entries()), "upsampling");
    let mut busy = std::time::Duration::ZERO;
    for batch in input.batches(range, input.batch_events())? {
        let batch = batch?;
        let t = Instant::now();
        let result = f(&batch)?;
        busy += t.elapsed();
        sink.write(&arrow_array::RecordBatch::try_new(schema.clone(), result.columns().to_vec())?)?;
        bar.inc(batch.num_rows() as u64);
    }
    bar.finish_and_clear();
    sink.finish()?;
    Ok(busy)
}

// ---------------------------------------------------------------------------------------------
/// `hepfloat demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// A ROOT or Parquet file with original data; the toy generator (toy:20000) if left out.
    file: Option<String>,
    /// The TTree of a ROOT file.
    #[arg(long)]
    tree: Option<String>,
    /// Directory of the outputs and the report.
    #[arg(long, default_value = "hepfloat-demo")]
    report: PathBuf,
    /// Instead of the two halves: split the events into this many folds (at least 2), fit on
    /// all but one and evaluate on it, for each fold in turn; report per column the ratio pooled
    /// over every event and its spread across folds (`folds.md`).
    #[arg(long)]
    folds: Option<u64>,
}

/// The experiment of `demo` and `compare`: FILE compressed as ATLAS does (pt, eta, phi, m kept),
/// fitted on the first half of the events, evaluated on the second.
struct Halves {
    file: String,
    tree: Option<String>,
    entries: u64,
    half: u64,
}

impl Halves {
    fn new(file: &str, tree: &Option<String>) -> Result<Halves> {
        let entries = Input::open(file, tree.as_deref(), &[])?.entries();
        Ok(Halves { file: file.into(), tree: tree.clone(), entries, half: entries / 2 })
    }

    fn source(&self, r: std::ops::Range<u64>) -> Source {
        Source { tree: self.tree.clone(), entries: r, branches: vec![], skip_damaged: false }
    }

    fn scheme(bits: u32) -> SchemeArgs {
        let keep = hep_toy::KEEP.iter().map(|s| s.to_string()).collect();
        SchemeArgs { scheme: "atlas".into(), bits: Some(bits), map: vec![], scheme_file: None, keep }
    }

    /// Compress every event into `output`.
    fn compress(&self, bits: u32, output: &Path) -> Result<CompressSummary> {
        let output = Output { output: output.into() };
        let args = CompressArgs {
            files: vec![self.file.clone()],
            source: self.source(0..u64::MAX),
            scheme: Self::scheme(bits),
            no_baseline: false,
            jobs: Jobs { jobs: 1 },
            output,
        };
        compress(&args, Out { quiet: true, json: false })
    }

    /// Fit settings on the first half (the gate with every bounded neural model).
    fn fit_args(&self, bits: u32, output: PathBuf) -> FitArgs {
        FitArgs {
            files: vec![self.file.clone()],
            source: self.source(0..self.half),
            scheme: Self::scheme(bits),
            validation: 0.5,
            rules: vec![],
            group: vec![],
            no_groups: false,
            max_values: 4_000_000,
            sample_mib: 1024,
            estimate: Estimate::Mean,
            compressed_input: false,
            min_atom_count: 3,
            models: vec![],
            neural: true,
            sibling_context: false,
            containers: vec![],
            force: None,
            exclude: None,
            output: Output { output },
        }
    }

    /// Fit `fit_args` with originals, and the same events of `compressed` without them (what is
    /// left without the gate), into `dir` (`model.json` as `fit_args` says, `model-no-originals.json`).
    fn fit_both(&self, fit_args: FitArgs, compressed: &Path, dir: &Path) -> Result<(Model, Model)> {
        let quiet = Out { quiet: true, json: false };
        let model = fit(&fit_args, quiet)?;
        let blind = FitArgs {
            files: vec![compressed.to_string_lossy().into_owned()],
            compressed_input: true,
            neural: false,
            output: Output { output: dir.join("model-no-originals.json") },
            ..fit_args
        };
        Ok((model, fit(&blind, quiet)?))
    }

    /// Upsample the whole compressed file (returns the upsampler's values per second).
    fn upsample(&self, model: &Model, compressed: &Path, how: Estimate, output: &Path) -> Result<f64> {
        let c = compressed.to_string_lossy();
        upsample_with(model, &c, &self.source(0..u64::MAX), how, 0, output, Out { quiet: true, json: false })
    }

    /// On toy data, the Bayes-optimal posterior mean of every compressed value (`hep_toy`'s
    /// oracle) into `output`, as if it were a method; false (and nothing written) for other data.
    fn oracle(&self, compressed: &Path, output: &Path) -> Result<bool> {
        if crate::io::toy_spec(&self.file)?.is_none() {
            return Ok(false);
        }
        let input = Input::open(&compressed.to_string_lossy(), None, &[])?;
        let (schemes, keep) = crate::evaluate::schemes_of(&input)?;
        let Some(&scheme) = schemes.values().next().filter(|s| schemes.values().all(|t| t == *s)) else {
            bail!("{}: the toy oracle needs one scheme for every column", input.name);
        };
        let quiet = Out { quiet: true, json: false };
        let fields = crate::schemes::upsampled_fields(input.schema().fields(), |_| true);
        rewrite(&input, 0..u64::MAX, &fields, "oracle mean", output, quiet, |b| {
            Ok(hep_toy::oracle_mean(&scheme, b, &keep)?)
        })?;
        Ok(true)
    }

    /// Evaluate the second half into `report`.
    fn evaluate(
        &self,
        compressed: &Path,
        upsampled: &Path,
        report: &Path,
    ) -> Result<(crate::evaluate::Summary, Vec<crate::evaluate::ColumnReport>)> {
        self.evaluate_on(self.half..u64::MAX, compressed, upsampled, report)
    }

    /// Evaluate events `entries` into `report`.
    fn evaluate_on(
        &self,
        entries: Range<u64>,
        compressed: &Path,
        upsampled: &Path,
        report: &Path,
    ) -> Result<(crate::evaluate::Summary, Vec<crate::evaluate::ColumnReport>)> {
        let eval = crate::evaluate::EvaluateArgs {
            original: self.file.clone(),
            compressed: compressed.to_string_lossy().into_owned(),
            upsampled: upsampled.to_string_lossy().into_owned(),
            tree: self.tree.clone(),
            entries,
            report: report.into(),
            max_values: 2_000_000,
            sample_mib: 128,
            bins: 1000,
            cuts: vec![],
            taggers: vec![],
        };
        crate::evaluate::run(&eval, Out { quiet: true, json: false })
    }

    /// The per-column rows of an evaluation (see [`Halves::evaluate`]), as JSON.
    fn scores(&self, compressed: &Path, upsampled: &Path, report: &Path) -> Result<Vec<serde_json::Value>> {
        let (_, columns) = self.evaluate(compressed, upsampled, report)?;
        columns.iter().map(|c| Ok(serde_json::to_value(c)?)).collect()
    }

    /// The events of each of `folds` folds (`f` → its range), at least 2 folds and one event each.
    fn folds(&self, folds: u64) -> Result<impl Fn(u64) -> Range<u64>> {
        if folds < 2 || folds > self.entries {
            bail!("--folds must be between 2 and the {} events of {}, got {folds}", self.entries, self.file);
        }
        let entries = self.entries;
        Ok(move |f: u64| f * entries / folds..(f + 1) * entries / folds)
    }

    /// The file's name, for tables.
    fn shown(&self) -> String {
        Path::new(&self.file).file_name().map_or(self.file.clone(), |n| n.to_string_lossy().into_owned())
    }
}

pub fn demo(a: &DemoArgs, out: Out) -> Result<()> {
    let file = a.file.clone().unwrap_or_else(|| "toy:20000".into());
    let t0 = Instant::now();
    check_dir_target(&a.report, &[Path::new(&file)])?;
    let h = Halves::new(&file, &a.tree)?;
    if let Some(folds) = a.folds {
        return demo_folds(&h, folds, &a.report, out);
    }
    // Built under a temporary name, renamed into place when complete.
    let tmp = Temporary::dir(&a.report)?;
    let (half, entries) = (h.half, h.entries);
    let mut summary = Vec::new();
    for bits in [7u32, 15] {
        let dir = tmp.path().join(format!("k{bits}"));
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        out.say(format!("== k = {bits}: compress {file} (keeping pt, eta, phi, m)"));
        let compressed = dir.join("compressed.parquet");
        let sizes = h.compress(bits, &compressed)?;
        out.say(format!("   fit on events 0..{half}"));
        let (model, blind) = h.fit_both(h.fit_args(bits, dir.join("model.json")), &compressed, &dir)?;
        let mut results = Vec::new();
        let runs = [
            ("mean", &model, Estimate::Mean),
            ("sample", &model, Estimate::Sample),
            ("mean, fitted without originals", &blind, Estimate::Mean),
        ];
        for (i, (label, model, how)) in runs.into_iter().enumerate() {
            out.say(format!("   upsample ({label}) and evaluate on events {half}..{entries}"));
            let name = ["mean", "sample", "no-originals"][i];
            let up = dir.join(format!("upsampled-{name}.parquet"));
            h.upsample(model, &compressed, how, &up)?;
            let report = dir.join(format!("report-{name}"));
            let (r, _) = h.evaluate(&compressed, &up, &report)?;
            let report = a.report.join(format!("k{bits}")).join(format!("report-{name}"));
            out.say(format!(
                "   {label}: {} columns scored, mean MSE ratio {:.4}, {} above 1.05, KL sum {:.4} -> {:.4}, inside preimage {:.4} %{}",
                r.scored,
                r.mean_ratio,
                r.above,
                r.kl_compressed,
                r.kl_upsampled,
                100.0 * r.inside,
                r.oracle_mean_ratio.map_or(String::new(), |o| format!(", oracle mean ratio {o:.4}"))
            ));
            results.push(json!({"estimate": label, "report": report, "summary": r}));
        }
        summary.push(json!({"bits": bits, "bytes_full_precision": sizes.before, "bytes_compressed": sizes.after, "results": results}));
    }
    let mut md = summary_markdown(&h.shown(), &summary);
    md.push_str(&format!("\nThe whole demo took {:.1} s.\n", t0.elapsed().as_secs_f64()));
    let written = tmp.path().join("summary.md");
    std::fs::write(&written, md).with_context(|| format!("cannot write {}", written.display()))?;
    tmp.commit()?;
    out.say(format!("reports in {} ({:.1} s)", a.report.display(), t0.elapsed().as_secs_f64()));
    out.json(&json!({"file": file, "seconds": t0.elapsed().as_secs_f64(), "runs": summary}));
    Ok(())
}

/// One column's totals of squared errors (compressed, upsampled) in each fold.
#[derive(Clone, Default)]
struct Folded {
    values: u64,
    folds: Vec<(f64, f64)>,
}

impl Folded {
    /// The ratio pooled over every fold's values.
    fn pooled(&self) -> Option<f64> {
        let (c, u) = self.folds.iter().fold((0.0, 0.0), |(c, u), f| (c + f.0, u + f.1));
        (c > 0.0).then(|| u / c)
    }

    /// Each fold's ratio (`None` where its compressed values were exact).
    fn ratios(&self) -> Vec<Option<f64>> {
        self.folds.iter().map(|&(c, u)| (c > 0.0).then(|| u / c)).collect()
    }

    /// Whether the upsampled values are significantly worse: the mean over folds of the
    /// difference of squared-error totals is above zero by Student's t at one-sided 95 %.
    fn significantly_worse(&self) -> bool {
        let d: Vec<f64> = self.folds.iter().map(|&(c, u)| u - c).collect();
        let n = d.len();
        if n < 2 {
            return false;
        }
        let mean = d.iter().sum::<f64>() / n as f64;
        let sd = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        // One-sided 95 % quantiles of Student's t for 1 to 10 degrees of freedom.
        const T: [f64; 10] = [6.314, 2.920, 2.353, 2.132, 2.015, 1.943, 1.895, 1.860, 1.833, 1.812];
        let t = T.get(n - 2).copied().unwrap_or(1.75);
        mean > 0.0 && mean > t * sd / (n as f64).sqrt()
    }
}

/// Per column, the squared-error totals of each fold (see [`Folded`]).
type Folds = BTreeMap<String, Folded>;

/// Add one fold's evaluation to `table`.
fn add_fold(table: &mut Folds, columns: Vec<crate::evaluate::ColumnReport>) {
    for c in columns {
        let (Some(mc), Some(mu)) = (c.mse_compressed, c.mse_upsampled) else { continue };
        let entry = table.entry(c.column).or_default();
        entry.values += c.values;
        entry.folds.push((mc * c.values as f64, mu * c.values as f64));
    }
}

/// What a fold table says over the columns `keep` accepts: each column's pooled ratio, their
/// mean and largest, and the columns above 1.05 and significantly worse.
struct FoldSummary<'a> {
    pooled: Vec<(&'a str, f64, &'a Folded)>,
    mean: f64,
    largest: f64,
    above: usize,
    worse: usize,
}

impl<'a> FoldSummary<'a> {
    fn of(table: &'a Folds, keep: impl Fn(&str) -> bool) -> Self {
        let pooled: Vec<(&str, f64, &Folded)> =
            table.iter().filter(|(n, _)| keep(n)).filter_map(|(n, f)| f.pooled().map(|r| (n.as_str(), r, f))).collect();
        let mean = pooled.iter().map(|p| p.1).sum::<f64>() / pooled.len().max(1) as f64;
        let largest = pooled.iter().map(|p| p.1).fold(0.0, f64::max);
        let above = pooled.iter().filter(|p| p.1 > 1.05).count();
        let worse = pooled.iter().filter(|p| p.2.significantly_worse()).count();
        FoldSummary { pooled, mean, largest, above, worse }
    }
}

/// `demo --folds N`: for k = 7 and 15, each fold of events in turn held out, the rest fitted (the
/// gate's training and validation split inside it as in the halves' demo), the fold upsampled and
/// evaluated; per column, the ratio pooled over every event and its spread across folds.
fn demo_folds(h: &Halves, folds: u64, report: &Path, out: Out) -> Result<()> {
    let held = h.folds(folds)?;
    let t0 = Instant::now();
    check_dir_target(report, &[Path::new(&h.file)])?;
    let tmp = Temporary::dir(report)?;
    let labels = ["mean", "mean, fitted without originals"];
    let mut md = format!(
        "Input `{}`: ATLAS compression keeping pt, eta, phi, m; {folds} folds of events, each evaluated with a \
         model fitted on the others (mean estimate). Per column, the MSE ratio pooled over every event, and \
         its spread across folds; `significantly worse` means a squared error above the compressed data's by \
         more than Student's t (one-sided 95 %) over the fold differences allows.\n\n",
        h.shown()
    );
    let mut runs = Vec::new();
    for bits in [7u32, 15] {
        let dir = tmp.path().join(format!("k{bits}"));
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let compressed = dir.join("compressed.parquet");
        h.compress(bits, &compressed)?;
        let mut tables: Vec<Folds> = vec![Folds::new(); labels.len()];
        for f in 0..folds {
            let held = held(f);
            out.say(format!("== k = {bits}, fold {}/{folds}: fit without events {}..{}", f + 1, held.start, held.end));
            let fold_dir = dir.join(format!("fold{f}"));
            std::fs::create_dir(&fold_dir).with_context(|| format!("cannot create {}", fold_dir.display()))?;
            let fit_args = FitArgs {
                source: h.source(0..h.entries),
                exclude: Some(held.clone()),
                ..h.fit_args(bits, fold_dir.join("model.json"))
            };
            let (model, blind) = h.fit_both(fit_args, &compressed, &fold_dir)?;
            for (i, model) in [&model, &blind].into_iter().enumerate() {
                let name = ["mean", "no-originals"][i];
                let up = fold_dir.join(format!("upsampled-{name}.parquet"));
                h.upsample(model, &compressed, Estimate::Mean, &up)?;
                let (_, columns) =
                    h.evaluate_on(held.clone(), &compressed, &up, &fold_dir.join(format!("report-{name}")))?;
                add_fold(&mut tables[i], columns);
            }
        }
        for (label, table) in labels.iter().zip(&tables) {
            let FoldSummary { pooled, mean, largest, .. } = FoldSummary::of(table, |_| true);
            let above: Vec<&(&str, f64, &Folded)> = pooled.iter().filter(|p| p.1 > 1.05).collect();
            let worse: Vec<&(&str, f64, &Folded)> = pooled.iter().filter(|p| p.2.significantly_worse()).collect();
            md.push_str(&format!(
                "### k = {bits}, {label}\n\n{} columns; mean pooled ratio {mean:.4}, largest {largest:.4}; {} above 1.05, {} \
                 significantly worse than the compressed data.\n\n",
                pooled.len(),
                above.len(),
                worse.len()
            ));
            let mut shown: Vec<&(&str, f64, &Folded)> = above.iter().chain(&worse).copied().collect();
            shown.sort_by(|a, b| a.0.cmp(b.0));
            shown.dedup_by(|a, b| a.0 == b.0);
            if !shown.is_empty() {
                md.push_str(
                    "| column | values | pooled ratio | fold ratios | significantly worse |\n|---|---|---|---|---|\n",
                );
                for (name, r, f) in shown {
                    let ratios: Vec<String> =
                        f.ratios().iter().map(|r| r.map_or("–".into(), |r| format!("{r:.3}"))).collect();
                    let worse = if f.significantly_worse() { "yes" } else { "no" };
                    md.push_str(&format!("| {name} | {} | {r:.4} | {} | {worse} |\n", f.values, ratios.join(" ")));
                }
                md.push('\n');
            }
            let columns: Vec<serde_json::Value> = pooled
                .iter()
                .map(|(n, r, f)| json!({"column": n, "values": f.values, "pooled_ratio": r, "fold_ratios": f.ratios(), "significantly_worse": f.significantly_worse()}))
                .collect();
            runs.push(json!({"bits": bits, "estimate": label, "columns_scored": pooled.len(), "mean_ratio": mean,
                "max_ratio": largest, "above": above.len(), "significantly_worse": worse.len(), "columns": columns}));
            out.say(format!(
                "k = {bits}, {label}: mean pooled ratio {mean:.4}, largest {largest:.4}, {} above 1.05, {} significantly worse",
                above.len(),
                worse.len()
            ));
        }
    }
    md.push_str(&format!("The whole run took {:.1} s.\n", t0.elapsed().as_secs_f64()));
    let written = tmp.path().join("folds.md");
    std::fs::write(&written, &md).with_context(|| format!("cannot write {}", written.display()))?;
    tmp.commit()?;
    out.say(format!("fold tables in {} ({:.1} s)", report.join("folds.md").display(), t0.elapsed().as_secs_f64()));
    out.json(&json!({"file": h.file, "folds": folds, "seconds": t0.elapsed().as_secs_f64(), "runs": runs}));
    Ok(())
}

/// The demo's overview table.
fn summary_markdown(file: &str, runs: &[serde_json::Value]) -> String {
    let mut md = format!(
        "Input `{file}`: ATLAS compression keeping pt, eta, phi, m; fit on the first half of the events, \
         evaluated on the second half.\n\n| k | Parquet bytes full → compressed | estimate | columns scored | mean MSE ratio | \
         largest | above 1.05 | summed KL compressed → upsampled | inside preimage | oracle mean ratio |\n\
         |---|---|---|---|---|---|---|---|---|---|\n"
    );
    for run in runs {
        for r in run["results"].as_array().into_iter().flatten() {
            let s = &r["summary"];
            let f = |k: &str| s[k].as_f64().map_or("–".to_string(), |v| format!("{v:.4}"));
            md.push_str(&format!(
                "| {} | {} → {} | {} | {} | {} | {} | {} | {} → {} | {:.4} % | {} |\n",
                run["bits"],
                run["bytes_full_precision"],
                run["bytes_compressed"],
                r["estimate"].as_str().unwrap_or("?"),
                s["scored"],
                f("mean_ratio"),
                f("max_ratio"),
                s["above"],
                f("kl_compressed"),
                f("kl_upsampled"),
                100.0 * s["inside"].as_f64().unwrap_or(0.0),
                f("oracle_mean_ratio"),
            ));
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_out_fold_splits_the_fit_events_in_order() {
        let fit = |exclude: Option<Range<u64>>| show_spans(&fit_spans(0..100, &exclude));
        assert_eq!(fit(None), "0..100");
        assert_eq!(fit(Some(40..60)), "0..40, 60..100");
        assert_eq!(fit(Some(0..20)), "20..100");
        assert_eq!(show_spans(&fit_spans(10..50, &Some(40..90))), "10..40");
        // Training takes the first events in order, validation the rest.
        let spans = fit_spans(0..100, &Some(40..60));
        let cut = |n: u64| {
            let (train, valid) = cut_spans(&spans, n);
            (show_spans(&train), show_spans(&valid))
        };
        assert_eq!(cut(40), ("0..40".to_string(), "60..100".to_string()));
        assert_eq!(cut(50), ("0..40, 60..70".to_string(), "70..100".to_string()));
        assert_eq!(spans_json(&fit_spans(0..4, &None)), json!({"start": 0, "end": 4}));
    }

    #[test]
    fn a_scheme_file_adds_its_lines_after_the_map() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lists.schemes");
        std::fs::write(&path, "# ATLAS's low list\nTruth*=atlas:15\n\nBTagging*=atlas:15 # taggers\n").unwrap();
        let args = SchemeArgs {
            scheme: "atlas".into(),
            bits: None,
            map: vec!["TruthTaus*=none".parse().unwrap()],
            scheme_file: Some(path.clone()),
            keep: vec![],
        };
        let d = args.declaration(false).unwrap();
        assert_eq!(d.map.len(), 3);
        std::fs::write(&path, "Truth*=atlas:15\nnot a declaration\n").unwrap();
        let e = format!("{:#}", args.declaration(false).unwrap_err());
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn fold_significance_needs_consistent_losses() {
        let folded = |folds: Vec<(f64, f64)>| Folded { values: 10, folds };
        // One fold far worse, the others equal: pooled above 1, not significant.
        let one = folded(vec![(1.0, 1.0), (1.0, 1.0), (1.0, 3.0), (1.0, 1.0), (1.0, 1.0)]);
        assert_eq!(one.pooled(), Some(7.0 / 5.0));
        assert!(!one.significantly_worse());
        // Every fold a little worse: significant.
        let all = folded(vec![(1.0, 1.1), (1.0, 1.12), (1.0, 1.09), (1.0, 1.11), (1.0, 1.1)]);
        assert!(all.significantly_worse());
        assert_eq!(all.ratios()[0], Some(1.1));
    }
}
