//! Developer tasks: `cargo xtask <task>`.
//!
//! - `exhaustive [--k K]... [--scheme atlas|cms|nearest-even|toward-zero|root-float16|half]
//!   [--backend scalar|avx2|avx512|all]`: compares the slice kernels with the scalar reference (for
//!   `half`, with the `half` crate)
//!   on all 2^32 `f32` bit patterns, using every core, and reports the time. The default is
//!   `Atlas` for every k in 5..=23 on the detected back-end.
//! - `exhaustive-preimage [--k K]... [--scheme atlas|cms|nearest-even|toward-zero|half]`: for every one
//!   of the 2^32 `f32` bit patterns `x`, checks `x ∈ preimage(S{k}, compress(x))`, that both ends
//!   of that preimage compress to the same value and the floats just outside do not, with the
//!   slice forms of both crates. Default `Atlas`, k = 7 and 15.
//! - `results [--data DIR]`: runs `hepfloat demo` (release build) on the PHYSLITE sample and on
//!   the toy generator, and the cross-sample run (fitted on the TTree sample, applied to the
//!   RNTuple sample), and writes their tables into `docs/results.md`, with the commands that
//!   produced them. The reports with plots stay in `target/results/`.
//! - `conformance [--check]`: hep-io's read of every leaf of the conformance corpus against
//!   uproot's digests, written to `docs/conformance.md` (`--check`: fail on a differing leaf or
//!   a stale table).

mod conformance;

use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use float_bits::{Backend, Scheme, reference};
use indicatif::{ProgressBar, ProgressStyle};
use quant_bounds::interval::{from_key, key};

/// The `totalOrder` key of the last `f32` (+NaN with every payload bit set).
const MAX_KEY: u64 = u32::MAX as u64;

const CHUNK: u64 = 1 << 20;
const CHUNKS: u64 = (1u64 << 32) / CHUNK;

fn usage() -> ExitCode {
    eprintln!(
        "usage: cargo xtask exhaustive [--k K]... [--scheme atlas|cms|nearest-even|toward-zero|root-float16|half] \
         [--backend scalar|avx2|avx512|all]\n       cargo xtask exhaustive-preimage [--k K]... \
         [--scheme atlas|cms|nearest-even|toward-zero|half]\n       cargo xtask results [--data DIR]\n       \
         cargo xtask conformance [--check]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("exhaustive") => exhaustive(&args[1..]),
        Some("exhaustive-preimage") => exhaustive_preimage(&args[1..]),
        Some("conformance") => {
            match conformance::run(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(".."), &args[1..]) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("results") => match results(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::FAILURE
            }
        },
        _ => usage(),
    }
}

fn exhaustive(args: &[String]) -> ExitCode {
    let mut ks = Vec::new();
    let mut scheme = "atlas".to_string();
    let mut backends = vec![Backend::detect()];
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next()) {
            ("--k", Some(v)) => match v.parse() {
                Ok(k) => ks.push(k),
                Err(_) => return usage(),
            },
            ("--scheme", Some(v)) => scheme = v.clone(),
            ("--backend", Some(v)) => {
                backends = match v.as_str() {
                    "scalar" => vec![Backend::Scalar],
                    "avx2" => vec![Backend::Avx2],
                    "avx512" => vec![Backend::Avx512],
                    "all" => Backend::available().filter(|b| *b != Backend::Scalar).collect(),
                    _ => return usage(),
                }
            }
            _ => return usage(),
        }
    }
    let Some(make) = mantissa_scheme(&scheme) else {
        return usage();
    };
    if ks.is_empty() {
        ks = (0..=23).filter(|&k| make(k).is_ok()).collect();
    }
    let mut jobs = Vec::new();
    for &k in &ks {
        match make(k) {
            Ok(s) => jobs.extend(backends.iter().map(|&b| (s, b))),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    for &(_, b) in &jobs {
        if !b.is_available() {
            eprintln!("error: back-end {b:?} is not available on this CPU");
            return ExitCode::FAILURE;
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("checking {} (scheme, back-end) pairs over all 2^32 f32 bit patterns on {threads} threads", jobs.len());
    let bar = progress(CHUNKS * jobs.len() as u64);
    let start = Instant::now();
    let mut failed = false;
    for (scheme, backend) in jobs {
        bar.set_message(format!("{scheme} {backend:?}"));
        let t = Instant::now();
        let (mismatches, first) = check(&scheme, backend, threads, &bar);
        let secs = t.elapsed().as_secs_f64();
        let line = format!(
            "{scheme:<16} {backend:?}: {mismatches} mismatches in 2^32 patterns, {secs:.1} s ({:.2} G values/s){}",
            (1u64 << 32) as f64 / secs / 1e9,
            first.map(|b| format!(", first at bits {b:#010x}")).unwrap_or_default()
        );
        bar.suspend(|| println!("{line}"));
        failed |= mismatches > 0;
    }
    bar.finish_and_clear();
    println!("total: {:.1} s", start.elapsed().as_secs_f64());
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

type MakeScheme = fn(u32) -> Result<Scheme, float_bits::Error>;

/// The constructor of a mantissa scheme by its command-line name (`half` has no `k`: it
/// accepts only its own 10).
fn mantissa_scheme(name: &str) -> Option<MakeScheme> {
    Some(match name {
        "atlas" => Scheme::atlas,
        "cms" => Scheme::cms,
        "nearest-even" => Scheme::nearest_even,
        "toward-zero" => Scheme::toward_zero,
        "root-float16" => Scheme::root_float16,
        "half" => |k| match k {
            10 => Ok(Scheme::half()),
            k => Err(float_bits::Error::KeptBitsOutOfRange { scheme: "Half", k, min: 10, max: 10 }),
        },
        _ => return None,
    })
}

/// The reference answer for one `f32`: the scalar transcription of each scheme, and for
/// `Half` the `half` crate's conversions (independent of float-bits' code).
fn oracle(s: &Scheme, x: f32) -> f32 {
    match *s {
        Scheme::Atlas(a) => reference::atlas(x, a.k()),
        Scheme::Cms(a) => reference::cms(x, a.k()),
        Scheme::NearestEven(a) => reference::nearest_even(x, a.k()),
        Scheme::TowardZero(a) => reference::toward_zero(x, a.k()),
        Scheme::RootFloat16(a) => reference::root_float16(x, a.k()),
        Scheme::Half(_) => half::f16::from_f32(x).to_f32(),
        _ => unreachable!("only mantissa schemes are checked exhaustively"),
    }
}

/// Mismatch count and the first mismatching input over all 2^32 patterns.
fn check(scheme: &Scheme, backend: Backend, threads: usize, bar: &ProgressBar) -> (u64, Option<u32>) {
    over_all_f32(
        threads,
        bar,
        || vec![0f32; CHUNK as usize],
        |dst, src, fail| {
            scheme.compress_into_with(backend, src, dst).expect("back-end checked");
            for (i, (x, y)) in src.iter().zip(dst.iter()).enumerate() {
                if oracle(scheme, *x).to_bits() != y.to_bits() {
                    fail(i);
                }
            }
        },
    )
}

/// Runs `check` over all 2^32 `f32` bit patterns, in chunks of `CHUNK` consecutive patterns
/// shared out to `threads` workers (each with its own `scratch()`); `check` calls `fail(i)` for
/// every failure at index `i` of its chunk. Returns the failure count and the lowest failing
/// bit pattern.
fn over_all_f32<S>(
    threads: usize,
    bar: &ProgressBar,
    scratch: impl Fn() -> S + Sync,
    check: impl Fn(&mut S, &[f32], &mut dyn FnMut(usize)) + Sync,
) -> (u64, Option<u32>) {
    let next = AtomicU64::new(0);
    let failures = AtomicU64::new(0);
    let first = Mutex::new(None::<u32>);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut x = vec![0f32; CHUNK as usize];
                let mut state = scratch();
                loop {
                    let chunk = next.fetch_add(1, Ordering::Relaxed);
                    if chunk >= CHUNKS {
                        break;
                    }
                    let base = (chunk * CHUNK) as u32;
                    for (i, v) in x.iter_mut().enumerate() {
                        *v = f32::from_bits(base + i as u32);
                    }
                    let mut bad = 0u64;
                    check(&mut state, &x, &mut |i| {
                        bad += 1;
                        let b = base + i as u32;
                        let mut f = first.lock().expect("no poisoning");
                        if f.is_none_or(|old| b < old) {
                            *f = Some(b);
                        }
                    });
                    failures.fetch_add(bad, Ordering::Relaxed);
                    bar.inc(1);
                }
            });
        }
    });
    (failures.into_inner(), first.into_inner().expect("no poisoning"))
}

fn progress(len: u64) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {percent}% {msg} (eta {eta})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

fn exhaustive_preimage(args: &[String]) -> ExitCode {
    let mut ks = Vec::new();
    let mut make: MakeScheme = Scheme::atlas;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match (a.as_str(), it.next().map(String::as_str)) {
            ("--k", Some(v)) => match v.parse() {
                Ok(k) => ks.push(k),
                Err(_) => return usage(),
            },
            ("--scheme", Some(v)) if v != "root-float16" => match mantissa_scheme(v) {
                Some(m) => make = m,
                None => return usage(),
            },
            _ => return usage(),
        }
    }
    if ks.is_empty() {
        ks = if make(10).is_ok_and(|s| matches!(s, Scheme::Half(_))) { vec![10] } else { vec![7, 15] };
    }
    // `Half` quiets signalling NaNs: those inputs lie outside the interval of their output (the
    // documented exception of `quant_bounds::preimage`).
    let exempt = |s: &Scheme, x: f32| matches!(s, Scheme::Half(_)) && x.is_nan();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bar = progress(CHUNKS * ks.len() as u64);
    let start = Instant::now();
    let mut failed = false;
    for k in ks {
        let scheme = match make(k) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        bar.set_message(format!("{scheme}"));
        let t = Instant::now();
        let n = CHUNK as usize;
        let (bad, first) = over_all_f32(
            threads,
            &bar,
            || [vec![0f32; n], vec![0f32; n], vec![0f32; n], vec![0f32; n], vec![0f32; n]],
            |[c, lo, hi, back, near], x, fail| {
                scheme.compress_into(x, c).expect("mantissa schemes never fail");
                quant_bounds::preimages(&scheme, c, lo, hi).expect("outputs have preimages");
                for i in 0..n {
                    let kx = key(x[i]);
                    if (kx < key(lo[i]) || kx > key(hi[i])) && !exempt(&scheme, x[i]) {
                        fail(i);
                    }
                }
                for ends in [&*lo, &*hi] {
                    scheme.compress_into(ends, back).expect("mantissa schemes never fail");
                    for i in 0..n {
                        if back[i].to_bits() != c[i].to_bits() {
                            fail(i);
                        }
                    }
                }
                // The floats just outside map elsewhere (the interval is the whole preimage).
                for (ends, step) in [(&*lo, -1), (&*hi, 1)] {
                    let edge = |e: f32| key(e) == if step < 0 { 0 } else { MAX_KEY };
                    for (b, &e) in near.iter_mut().zip(ends) {
                        *b = if edge(e) { e } else { from_key(key(e).wrapping_add_signed(step)) };
                    }
                    scheme.compress_into(near, back).expect("mantissa schemes never fail");
                    for i in 0..n {
                        if !edge(ends[i]) && back[i].to_bits() == c[i].to_bits() {
                            fail(i);
                        }
                    }
                }
            },
        );
        let secs = t.elapsed().as_secs_f64();
        let line = format!(
            "{scheme:<12}: {bad} failures over 2^32 inputs, {secs:.1} s{}",
            first.map(|b| format!(", first at bits {b:#010x}")).unwrap_or_default()
        );
        bar.suspend(|| println!("{line}"));
        failed |= bad > 0;
    }
    bar.finish_and_clear();
    println!("total: {:.1} s on {threads} threads", start.elapsed().as_secs_f64());
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// `cargo xtask results`: the measured tables of `docs/results.md`, never typed by hand.
fn results(args: &[String]) -> Result<(), String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let data = match args {
        [] => std::env::var_os("HEP_TESTDATA")
            .filter(|d| !d.is_empty())
            .map_or_else(|| root.join("test-data"), Into::into),
        [flag, dir] if flag == "--data" => dir.into(),
        _ => return Err("usage: cargo xtask results [--data DIR]".into()),
    };
    let sample = data.join("PHYSLITE_example.root");
    if !sample.is_file() {
        return Err(format!("{} is missing (set HEP_TESTDATA or pass --data)", sample.display()));
    }
    let out = root.join("target/results");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut md = String::from(
        "# Results\n\nGenerated by `cargo xtask results` (do not edit by hand): `hepfloat demo` compresses the input \
         as ATLAS does at k = 7 and 15 (pt, eta, phi, m kept), fits the priors, relation groups and neural models (hybrid, autoencoder, VAE, flow, flow matching) on \
         the first half of the events (priors on the first quarter, the gate validating on the second), \
         upsamples, and evaluates on the second half. The gate moves a column off its compressed values only \
         on a gain that holds across resampled validation events (a network, or a relation moving the members \
         it barely narrows, only on evidence spread over at least 10 effective events), and only up to the magnitudes it was \
         validated on (`docs/gate.md`). Ratios are MSE(upsampled) / MSE(compressed) per column, \
         averaged over the columns the compression changed; KL is on 1000 bins of log10|x|, summed over columns. \
         `mean` is the minimum-MSE estimate; `sample` is a seeded draw from the posterior, which targets the \
         distribution (KL) and pays for it in MSE (a uniform draw has twice the midpoint's squared error). \
         `mean, fitted without originals` fits the same first half from its compressed values alone \
         (`hepfloat fit --compressed-input`: spikes and short values kept exact, the relation groups applied \
         to the members they narrow, nothing validated): under ATLAS rounding only the relations are left to \
         gain from, and with no gate to check them they apply only where they cannot plausibly hurt. \
         On 50 evaluation events most columns hold a few hundred values, so a fine-binned KL has a \
         finite-sample floor that a draw cannot go below; the toy's 10 000 events show the limit better. \
         Reports with per-column tables and plots: `target/results/*/k*/report-*/`.\n",
    );
    for (title, input, dir) in [
        ("PHYSLITE sample (`PHYSLITE_example.root`, 100 events)", sample.to_string_lossy().into_owned(), "physlite"),
        ("Toy generator (`toy:20000`, seed 1), with the Bayes-optimal oracle", "toy:20000".to_string(), "toy"),
    ] {
        let report = out.join(dir);
        let compared = out.join(format!("{dir}-compare"));
        for (command, dest) in [("demo", &report), ("compare", &compared)] {
            let dest = dest.to_string_lossy();
            hepfloat(&root, &[command, &input, "--report", &dest], std::process::Stdio::inherit())?;
        }
        let table = std::fs::read_to_string(report.join("summary.md")).map_err(|e| e.to_string())?;
        let name = if dir == "toy" { "toy:20000".to_string() } else { "PHYSLITE_example.root".to_string() };
        md.push_str(&format!(
            "\n## {title}\n\nCommand: `hepfloat demo {name} --report target/results/{dir}`.\n\n{table}"
        ));
        md.push_str(&per_branch(&report)?);
        if dir == "physlite" {
            let mut rows = Vec::new();
            for k in [7u32, 15] {
                let path = report.join(format!("k{k}/report-mean/report.json"));
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let json: serde_json::Value =
                    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
                rows.push(("fitted on events 0–49, evaluated on 50–99".to_string(), k, json["observables"].clone()));
            }
            md.push_str(&format!("\n### Physics observables (estimate `mean`)\n\n{}", observables_table(&rows)));
        }
        let methods = std::fs::read_to_string(compared.join("compare.md")).map_err(|e| e.to_string())?;
        md.push_str(&format!(
            "\n### Every method side by side\n\nCommand: `hepfloat compare {name} --report target/results/{dir}-compare`.\n\n{methods}"
        ));
    }
    md.push_str(&held_out_folds(&root, &data, &out)?);
    md.push_str(&cross_sample(&root, &data, &out.join("cross-sample"))?);
    md.push_str(&mixed_schemes(&root, &data, &out.join("schemes"))?);
    let path = root.join("docs/results.md");
    std::fs::write(&path, md).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}

/// Runs the release `hepfloat` with `args` (its standard output to `stdout`), failing unless it
/// succeeds; returns what it wrote when `stdout` is piped.
fn hepfloat(root: &std::path::Path, args: &[&str], stdout: std::process::Stdio) -> Result<Vec<u8>, String> {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["run", "--release", "--quiet", "-p", "hepfloat-cli", "--"])
        .args(args)
        .stdout(stdout)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!("hepfloat {args:?} failed"));
    }
    Ok(out.stdout)
}

/// Runs the release `hepfloat` with `--json` and `args`, returning its JSON summary.
fn hepfloat_json(root: &std::path::Path, args: &[&str]) -> Result<serde_json::Value, String> {
    let all: Vec<&str> = std::iter::once("--json").chain(args.iter().copied()).collect();
    let out = hepfloat(root, &all, std::process::Stdio::piped())?;
    serde_json::from_slice(&out).map_err(|e| format!("hepfloat {args:?}: {e}"))
}

/// Both samples in 5 folds of events, each fold evaluated with models fitted on the other four
/// (`hepfloat demo --folds 5`): per column the ratio pooled over every event, its spread across
/// folds, and whether it is significantly above the compressed data's.
fn held_out_folds(root: &std::path::Path, data: &std::path::Path, out: &std::path::Path) -> Result<String, String> {
    let mut md = String::from(
        "\n## Held-out folds: does the gate's choice hold on events it was not chosen on?\n\n\
         Each sample's 100 events in 5 folds of 20: each fold is upsampled by models fitted on the other 80 \
         (priors on the first 40 of them, the gate validating on the last 40, with its evidence resampled by \
         event: `docs/gate.md`) and evaluated; every event is evaluated once. Listed: the columns whose pooled \
         ratio is above 1.05 or whose squared error is significantly above the compressed data's across the \
         folds. Without originals, the relations apply only to members they narrow (`models::INFORMATIVE`).\n",
    );
    for (file, dir) in [("PHYSLITE_example.root", "physlite-folds"), ("physlite_rntuple.root", "rntuple-folds")] {
        let report = out.join(dir);
        let input = data.join(file).to_string_lossy().into_owned();
        hepfloat(
            root,
            &["demo", &input, "--folds", "5", "--report", &report.to_string_lossy()],
            std::process::Stdio::inherit(),
        )?;
        let table = std::fs::read_to_string(report.join("folds.md")).map_err(|e| e.to_string())?;
        // The table's own headings one level down.
        let table = table.replace("\n### ", "\n#### ");
        md.push_str(&format!(
            "\n### `{file}`\n\nCommand: `hepfloat demo {file} --folds 5 --report target/results/{dir}`.\n\n{table}"
        ));
    }
    Ok(md)
}

/// Measurements on events of another sample than the training one: models fitted on one
/// sample's 100 events (the gate validating on its last 50), applied to the other's 100 events
/// (`--names rntuple` / `--names tree` map the spellings), both ways, per k.
fn cross_sample(root: &std::path::Path, data: &std::path::Path, out: &std::path::Path) -> Result<String, String> {
    let (tree, rntuple) = (data.join("PHYSLITE_example.root"), data.join("physlite_rntuple.root"));
    let (tree, rntuple) = (tree.to_string_lossy().into_owned(), rntuple.to_string_lossy().into_owned());
    let mut md = String::from(
        "\n## Across samples: fitted on one sample, applied to the other\n\n\
         Models fitted on all 100 events of one sample (the gate validates on its last 50) upsample all 100 \
         events of the other (events of another sample), both compressed as ATLAS does (pt, eta, phi, m \
         kept). The names are mapped explicitly (`hepfloat upsample --names rntuple`: `Container.var` → \
         `Container:var`, `--names tree` back); the variables both samples have as float are upsampled, the \
         others (GN2v01, the tau decay vertices the TTree stores as double, …) stay as they are. Commands, \
         per k (TTree to RNTuple; the other way round with the files swapped and `--names tree`): `hepfloat \
         fit PHYSLITE_example.root --bits k -o model.json`, `hepfloat compress physlite_rntuple.root --bits k \
         -o c.parquet`, `hepfloat upsample c.parquet --model model.json --names rntuple -o u.parquet`, \
         `hepfloat evaluate --original physlite_rntuple.root --compressed c.parquet --upsampled u.parquet \
         --report target/results/cross-sample/tree-to-rntuple/kK`. The `networks` rows fit with `--neural \
         --container all` besides (the five MLP families per column, and one hybrid and one inpainting network \
         per container reconstructing all its compressed columns at once), each taken per column only on \
         validation evidence from the fitted sample.\n\n\
         | fitted on → applied to | k | gate | relation groups used | columns scored | mean MSE ratio | largest | above 1.05 | inside preimage |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    let settings: [(&str, &str, &[&str]); 2] =
        [("priors, relations", "", &[]), ("networks", "-networks", &["--neural", "--container", "all"])];
    let mut columns = String::new();
    let mut observed = Vec::new();
    let directions = [
        ("TTree → RNTuple", "tree-to-rntuple", &tree, &rntuple, "rntuple"),
        ("RNTuple → TTree", "rntuple-to-tree", &rntuple, &tree, "tree"),
    ];
    for (label, sub, from, to, spelling) in directions {
        for (k, (gate, suffix, extra)) in [7u32, 15].into_iter().flat_map(|k| settings.iter().map(move |s| (k, s))) {
            let dir = out.join(sub).join(format!("k{k}{suffix}"));
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let p = |name: &str| dir.join(name).to_string_lossy().into_owned();
            let bits = k.to_string();
            let model = p("model.json");
            let mut args = vec!["fit", from.as_str(), "--bits", &bits, "-o", &model];
            args.extend_from_slice(extra);
            let fit = hepfloat_json(root, &args)?;
            hepfloat_json(root, &["compress", to, "--bits", &bits, "-o", &p("c.parquet")])?;
            hepfloat_json(
                root,
                &["upsample", &p("c.parquet"), "--model", &p("model.json"), "--names", spelling, "-o", &p("u.parquet")],
            )?;
            let e = hepfloat_json(
                root,
                &[
                    "evaluate",
                    "--original",
                    to,
                    "--compressed",
                    &p("c.parquet"),
                    "--upsampled",
                    &p("u.parquet"),
                    "--report",
                    &p("report"),
                ],
            )?;
            observed.push((format!("{label} ({gate})"), k, e["observables"].clone()));
            let s = &e["summary"];
            let f = |v: &serde_json::Value| v.as_f64().map_or("–".to_string(), |v| format!("{v:.4}"));
            md.push_str(&format!(
                "| {label} | {k} | {gate} | {} | {} | {} | {} | {} | {:.4} % |\n",
                fit["groups"],
                s["scored"],
                f(&s["mean_ratio"]),
                f(&s["max_ratio"]),
                s["above"],
                100.0 * s["inside"].as_f64().unwrap_or(0.0)
            ));
            // Per column: where the fit transfers (ratio below 0.999) and where it does not (above 1.001).
            let mut rows: Vec<(String, u64, f64)> = e["columns"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|c| Some((c["column"].as_str()?.to_string(), c["values"].as_u64()?, c["ratio"].as_f64()?)))
                .filter(|(_, _, r)| (r - 1.0).abs() > 1e-3)
                .collect();
            rows.sort_by(|a, b| a.2.total_cmp(&b.2));
            let (better, worse): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.2 < 1.0);
            columns.push_str(&format!(
                "\n### {label}, k = {k}, gate with {gate}: {} columns gain, {} lose\n\n| column | values | MSE ratio |\n|---|---|---|\n",
                better.len(),
                worse.len()
            ));
            for (name, values, ratio) in rows {
                columns.push_str(&format!("| {name} | {values} | {ratio:.4} |\n"));
            }
        }
    }
    md.push_str(&format!(
        "\nColumns whose MSE ratio differs from 1 by more than 0.1 % (all others are left as compressed), best first. \
         A ratio above 1 is a loss against the compressed data on events the model never saw: with 100 \
         evaluation events most columns hold tens to hundreds of values dominated by a few large ones, so \
         single columns move by more than their validation promised; values beyond the magnitudes a choice was \
         validated on keep their compressed values (`models::ColumnModel::validated`).\n{columns}"
    ));
    md.push_str(&format!("\n### Physics observables across samples\n\n{}", observables_table(&observed)));
    Ok(md)
}

/// The observables of `hepfloat evaluate` reports (`(setting, k, report["observables"])`) as one
/// table: those with at least 10 values, each with its shifts against the original (± standard
/// error), its widths over the original's and its KS distances, compressed and upsampled.
fn observables_table(rows: &[(String, u32, serde_json::Value)]) -> String {
    let mut md = String::from(
        "Derived from several columns of one object (or of an event's first two objects) on the original, \
         compressed and upsampled values (`hepfloat evaluate`, `metrics::Tally`): the shift of the mean against \
         the original ± its standard error (paired values), the width over the original's, and the two-sample \
         Kolmogorov–Smirnov distance to the original's distribution. A particle's mass from its energy and \
         momentum tests `|p|` vs `e`: for light particles it is the difference of two large, rounded numbers, \
         which compression scatters by orders of magnitude its own size. Observables with fewer than 10 values \
         are left out.\n\n\
         | observable | where | k | values | shift compressed | shift upsampled | width compressed / upsampled | KS compressed / upsampled |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let g =
        |v: &serde_json::Value| v.as_f64().filter(|x| x.is_finite()).map_or("–".to_string(), |x| format!("{x:.3e}"));
    let r =
        |v: &serde_json::Value| v.as_f64().filter(|x| x.is_finite()).map_or("–".to_string(), |x| format!("{x:.3}"));
    let mut all: Vec<(&str, &str, u32, &serde_json::Value)> = rows
        .iter()
        .flat_map(|(setting, k, list)| {
            list.as_array()
                .into_iter()
                .flatten()
                .map(move |o| (o["name"].as_str().unwrap_or(""), setting.as_str(), *k, o))
        })
        .filter(|(_, _, _, o)| o["values"].as_u64().unwrap_or(0) >= 10)
        .collect();
    all.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(b.1)).then(a.2.cmp(&b.2)));
    for (name, setting, k, o) in all {
        md.push_str(&format!(
            "| {name} | {setting} | {k} | {} | {} ± {} | {} ± {} | {} / {} | {} / {} |\n",
            o["values"],
            g(&o["shift"][0]["mean"]),
            g(&o["shift"][0]["error"]),
            g(&o["shift"][1]["mean"]),
            g(&o["shift"][1]["error"]),
            r(&o["width_ratio"][0]),
            r(&o["width_ratio"][1]),
            r(&o["ks"][0]),
            r(&o["ks"][1]),
        ));
    }
    md
}

/// Files mixing schemes: the PHYSLITE sample compressed with ATLAS's two lists (7 and 15 bits)
/// and with CMS rounding at NanoAOD-like precisions per branch, each fitted with originals (the
/// gate) and, stripped of its scheme metadata, from its compressed values alone with the bits
/// detected per column; fitted on events 0–49, evaluated on 50–99.
fn mixed_schemes(root: &std::path::Path, data: &std::path::Path, out: &std::path::Path) -> Result<String, String> {
    let sample = data.join("PHYSLITE_example.root").to_string_lossy().into_owned();
    let atlas: Vec<String> = hepfloat_testdata::ATLAS_LOW_LIST
        .iter()
        .flat_map(|c| ["--scheme-map".into(), format!("*{c}*=atlas:15")])
        .collect();
    let cms: Vec<String> = ["--scheme", "cms", "--bits", "12", "--keep", "none"]
        .into_iter()
        .map(String::from)
        .chain(
            ["*Jets*=cms:10", "Truth*=cms:14", "BTagging*=cms:8", "*Electrons*=cms:6"]
                .iter()
                .flat_map(|m| ["--scheme-map".to_string(), m.to_string()]),
        )
        .collect();
    let runs = [
        ("ATLAS lists: 15 bits for the low list, 7 elsewhere, pt/eta/phi/m kept", "atlas", atlas, vec![]),
        (
            "CMS rounding: 12 bits, jets 10, truth 14, b-tagging 8, electrons 6; nothing kept",
            "cms",
            cms,
            vec!["--scheme", "cms", "--keep", "none"],
        ),
    ];
    let mut md = String::from(
        "\n## Files mixing schemes\n\n\
         The PHYSLITE sample compressed with several precisions at once, the scheme recorded per column. \
         `atlas`: ATLAS's two lists, the containers of its low lossy-compression list (the DAOD_PHYS test \
         configuration: truth particles, b-tagging, muons, electrons, photons, taus …) at 15 bits and the \
         rest at 7, pt, eta, phi and m exempt (`--scheme-map '*Muons*=atlas:15'` … per container). \
         `cms`: CMS NanoAOD rounding (`reduceMantissaToNbitsRounding`), 12 bits by default, jets 10, truth \
         14, b-tagging 8, electrons 6, nothing exempt. Fitted on events 0–49, evaluated on 50–99. \
         *With originals*: `hepfloat fit` with the same declarations (the gate). *Without metadata*: the \
         compressed file stripped of its scheme metadata, then `hepfloat fit --compressed-input` (for `cms` \
         with `--scheme cms`), the bits of each column detected on its values over all 100 events; \
         `exact` columns got the applied scheme back, `lower` a scheme of fewer bits (detection is a lower \
         bound), `left` columns of fewer than 16 distinct values are left as they are. Coverage is against \
         the schemes actually applied. Reports: `target/results/schemes/`.\n\n\
         | run | columns compressed | schemes | detected: exact / lower / left | with originals: mean ratio / largest / above 1.05 / inside | without metadata: mean ratio / largest / above 1.05 / inside |\n\
         |---|---|---|---|---|---|\n",
    );
    let mut notes = Vec::new();
    for (title, name, declare, family) in runs {
        let dir = out.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let p = |f: &str| dir.join(f).to_string_lossy().into_owned();
        let with = |head: &[&str], tail: &[String]| -> Vec<String> {
            head.iter().map(|s| s.to_string()).chain(tail.iter().cloned()).collect()
        };
        let run = |args: Vec<String>| {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            hepfloat_json(root, &refs)
        };
        let mut compress = with(&["compress", &sample], &declare);
        compress.extend(["-o".into(), p("c.parquet")]);
        let c = run(compress)?;
        let applied: std::collections::BTreeMap<String, String> = c["schemes"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v["scheme"].as_str().unwrap_or("").to_string())).collect())
            .unwrap_or_default();
        let evaluate = |u: &str, report: &str| {
            run([
                "evaluate",
                "--original",
                &sample,
                "--compressed",
                &p("c.parquet"),
                "--upsampled",
                &p(u),
                "--entries",
                "50..",
                "--report",
                &p(report),
            ]
            .map(String::from)
            .to_vec())
        };
        let mut fit = with(&["fit", &sample, "--entries", "0..50"], &declare);
        fit.extend(["-o".into(), p("with.json")]);
        run(fit)?;
        run(["upsample", &p("c.parquet"), "--model", &p("with.json"), "-o", &p("with.parquet")]
            .map(String::from)
            .to_vec())?;
        let with_originals = evaluate("with.parquet", "report-with-originals")?;
        hepfloat_testdata::strip_hepfloat_metadata(
            dir.join("c.parquet").as_path(),
            dir.join("bare.parquet").as_path(),
        )?;
        let mut blind =
            vec!["fit".to_string(), p("bare.parquet"), "--compressed-input".into(), "--entries".into(), "0..50".into()];
        blind.extend(family.iter().map(|s| s.to_string()));
        blind.extend(["-o".into(), p("blind.json")]);
        let fitted = run(blind)?;
        run(["upsample", &p("bare.parquet"), "--model", &p("blind.json"), "-o", &p("blind.parquet")]
            .map(String::from)
            .to_vec())?;
        let without = evaluate("blind.parquet", "report-without-metadata")?;
        let detected = fitted["schemes"].as_object().cloned().unwrap_or_default();
        let exact =
            detected.iter().filter(|(k, v)| applied.get(*k).map(String::as_str) == v["scheme"].as_str()).count();
        let lower = detected.len() - exact;
        let left = applied.len().saturating_sub(detected.len());
        let distinct: std::collections::BTreeSet<&String> = applied.values().collect();
        let f = |v: &serde_json::Value| v.as_f64().map_or("–".to_string(), |v| format!("{v:.4}"));
        let summary = |e: &serde_json::Value| {
            let s = &e["summary"];
            format!(
                "{} / {} / {} / {:.4} %",
                f(&s["mean_ratio"]),
                f(&s["max_ratio"]),
                s["above"],
                100.0 * s["inside"].as_f64().unwrap_or(0.0)
            )
        };
        md.push_str(&format!(
            "| {name}: {title} | {} | {} | {exact} / {lower} / {left} | {} | {} |\n",
            applied.len(),
            distinct.len(),
            summary(&with_originals),
            summary(&without)
        ));
        for (how, e) in [("with originals", &with_originals), ("without metadata", &without)] {
            let above: Vec<String> = e["columns"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|c| Some((c["column"].as_str()?.to_string(), c["ratio"].as_f64()?, c["scheme"].clone())))
                .filter(|(_, r, _)| *r > 1.05)
                .map(|(c, r, s)| format!("`{c}` {r:.3e} ({})", s.as_str().unwrap_or("kept")))
                .collect();
            if !above.is_empty() {
                notes.push(format!("- `{name}`, {how}: {}", above.join(", ")));
            }
        }
    }
    if !notes.is_empty() {
        md.push_str(&format!(
            "\nColumns above 1.05 (MSE ratio, scheme). With originals they are members of relation groups the gate chose on \
             events 0–49 that did not hold on 50–99; without metadata nothing is validated, and a relation or a histogram moves \
             values the originals held exactly (14 of the 32 b quarks carry the exact mass 4800 MeV, which the compressed data keeps, so \
             its error is almost nil and any move is a large ratio). Both are the never-worse issue's (event-resampled gate; a rule for \
             fitting without originals).\n\n{}\n",
            notes.join("\n")
        ));
    }
    Ok(md)
}

/// The branches upsampling changed (mean MSE ratio off 1 by more than 0.1 % at either k, or fitted
/// without originals at k = 7), with
/// their ratios and the sampled KL, from the demo's `report.json` files.
fn per_branch(report: &std::path::Path) -> Result<String, String> {
    let load = |k: u32, how: &str| -> Result<serde_json::Value, String> {
        let p = report.join(format!("k{k}/report-{how}/report.json"));
        let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let runs = [load(7, "mean")?, load(7, "sample")?, load(15, "mean")?, load(7, "no-originals")?];
    let columns = |r: &serde_json::Value| r["columns"].as_array().cloned().unwrap_or_default();
    let find = |r: &serde_json::Value, name: &str, key: &str| {
        columns(r).iter().find(|c| c["column"] == name).and_then(|c| c[key].as_f64())
    };
    let f = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.4}"));
    let mut md = String::from(
        "\nBranches whose mean MSE ratio differs from 1 by more than 0.1 % at k = 7 or 15, or at k = 7 when \
         fitted without originals (all others are left as compressed), with the fine-binned KL of the \
         compressed and the sampled values:\n\n\
         | branch | values (k = 7) | ratio k = 7 | ratio k = 15 | oracle k = 7 | k = 7 without originals | KL k = 7 compressed → sample |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for c in columns(&runs[0]) {
        let name = c["column"].as_str().unwrap_or_default();
        let (r7, r15, blind) = (c["ratio"].as_f64(), find(&runs[2], name, "ratio"), find(&runs[3], name, "ratio"));
        if ![r7, r15, blind].iter().flatten().any(|r| (r - 1.0).abs() > 1e-3) {
            continue;
        }
        md.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {} → {} |\n",
            c["values"],
            f(r7),
            f(r15),
            f(c["oracle_ratio"].as_f64()),
            f(blind),
            f(find(&runs[1], name, "kl_compressed")),
            f(find(&runs[1], name, "kl_upsampled")),
        ));
    }
    Ok(md)
}
