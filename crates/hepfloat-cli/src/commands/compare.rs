//! `hepfloat compare`: every method on the same data, side by side.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use float_bits::Scheme;
use models::{Estimate, Kind, Method, Model};
use serde_json::{Value, json};

use super::{FitArgs, FoldSummary, Folds, Halves, add_fold, fit};
use crate::Out;
use crate::output::{Temporary, check_dir_target};

/// `hepfloat compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// A ROOT or Parquet file with original data; the toy generator (toy:20000) if left out.
    file: Option<String>,
    /// The TTree of a ROOT file.
    #[arg(long)]
    tree: Option<String>,
    /// Kept mantissa bits to compare at, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [7u32, 15])]
    bits: Vec<u32>,
    /// Directory of the outputs and `compare.md` / `compare.json`.
    #[arg(long, default_value = "hepfloat-compare")]
    report: PathBuf,
    /// Instead of the two halves: this many folds of events (at least 2), each evaluated with
    /// every method fitted on the others; per method, the ratio of each compared column pooled
    /// over every event, the columns above 1.05 and those significantly worse across folds.
    #[arg(long)]
    folds: Option<u64>,
}

/// The label of the toy oracle's row.
const ORACLE: &str = "oracle (Bayes-optimal)";

/// One fitted configuration: a label and what the fit is told.
struct Run {
    label: String,
    /// Whether the gate also tries every bounded neural model.
    neural: bool,
    /// Whether those models also read the container's other compressed columns.
    siblings: bool,
    /// Whether the gate also tries both container networks.
    containers: bool,
    force: Option<Method>,
}

fn runs() -> Vec<Run> {
    let run = |label: &str, neural: bool, siblings: bool, force: Option<Method>| Run {
        label: label.into(),
        neural,
        siblings,
        containers: false,
        force,
    };
    let mut r = vec![
        run("gate (priors, relations)", false, false, None),
        run("gate (priors, relations, neural)", true, false, None),
        run("gate (priors, relations, neural with compressed context)", true, true, None),
        Run { containers: true, ..run("gate (priors, relations, container networks)", false, false, None) },
    ];
    for m in [Method::Uniform, Method::Lattice, Method::Histogram, Method::Constraint] {
        r.push(run(m.name(), false, false, Some(m)));
    }
    for k in Kind::ALL {
        r.push(run(k.name(), false, false, Some(Method::Neural(k))));
    }
    for k in [Kind::Hybrid, Kind::Inpainting] {
        r.push(run(k.container_name(), false, false, Some(Method::Container(k))));
    }
    r
}

/// The `--container` kinds of a run.
fn container_kinds(run: &Run) -> Vec<String> {
    if run.containers { vec!["all".into()] } else { vec![] }
}

/// Aggregates of one run over the compared columns.
fn aggregate(columns: &[Value], compared: &[String], side: &str) -> Value {
    let rows: Vec<&Value> =
        columns.iter().filter(|c| c["column"].as_str().is_some_and(|n| compared.iter().any(|m| m == n))).collect();
    let n = |c: &Value| c["values"].as_f64().unwrap_or(0.0);
    let total: f64 = rows.iter().map(|c| n(c)).sum();
    // Values-weighted mean over the columns where `key` is defined.
    let weighted = |key: &str| {
        let (sum, count) = rows
            .iter()
            .filter_map(|c| c[key].as_f64().map(|v| (n(c) * v, n(c))))
            .fold((0.0, 0.0), |(s, w), (v, n)| (s + v, w + n));
        if count > 0.0 { sum / count } else { f64::NAN }
    };
    let ratios: Vec<f64> = rows
        .iter()
        .filter_map(|c| {
            let base = c["mse_compressed"].as_f64()?;
            (base > 0.0).then(|| c[format!("mse_{side}")].as_f64().map(|m| m / base)).flatten()
        })
        .collect();
    let mean = |v: &[f64]| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
    json!({
        "columns": rows.len(),
        "values": total,
        "mse": weighted(&format!("mse_{side}")),
        "log_mse": weighted(&format!("log_mse_{side}")),
        "kl": rows.iter().map(|c| c[format!("kl_{side}")].as_f64().unwrap_or(0.0)).sum::<f64>(),
        "bits": weighted(&format!("bits_{side}")),
        "inside": if side == "compressed" { 1.0 } else { weighted("inside") },
        "ratio": mean(&ratios),
    })
}

pub fn compare(a: &CompareArgs, out: Out) -> Result<()> {
    let file = a.file.clone().unwrap_or_else(|| "toy:20000".into());
    let t0 = Instant::now();
    if a.bits.is_empty() {
        bail!("--bits: give at least one number of kept bits");
    }
    for (i, b) in a.bits.iter().enumerate() {
        Scheme::atlas(*b).with_context(|| format!("--bits {b}"))?;
        if a.bits[..i].contains(b) {
            bail!("--bits {b} is given twice");
        }
    }
    check_dir_target(&a.report, &[Path::new(&file)])?;
    let h = Halves::new(&file, &a.tree)?;
    // Built under a temporary name, renamed into place when complete.
    let tmp = Temporary::dir(&a.report)?;
    if let Some(folds) = a.folds {
        let (md, all) = compare_folds(&h, &a.bits, folds, tmp.path(), out)?;
        for (name, text) in [("compare.md", md), ("compare.json", serde_json::to_string_pretty(&all)?)] {
            let path = tmp.path().join(name);
            std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
        }
        tmp.commit()?;
        out.say(format!("wrote {} ({:.1} s)", a.report.join("compare.md").display(), t0.elapsed().as_secs_f64()));
        out.json(&json!({"file": file, "folds": folds, "seconds": t0.elapsed().as_secs_f64(), "runs": all}));
        return Ok(());
    }
    let quiet = Out { quiet: true, json: false };
    let mut all = Vec::new();
    for &bits in &a.bits {
        let dir = tmp.path().join(format!("k{bits}"));
        std::fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let compressed = dir.join("compressed.parquet");
        h.compress(bits, &compressed)?;
        let mut results: Vec<(String, f64, f64, Vec<Value>, Model)> = Vec::new();
        let runs = runs();
        let bar = out.bar(runs.len() as u64, &format!("k = {bits}"));
        for run in runs {
            bar.set_message(format!("k = {bits}: {}", run.label));
            let name = run.label.replace([' ', '(', ')', ','], "");
            let t = Instant::now();
            let fit_args = h.fit_args(bits, dir.join(format!("model-{name}.json")));
            let model = fit(
                &FitArgs {
                    neural: run.neural,
                    sibling_context: run.siblings,
                    containers: container_kinds(&run),
                    force: run.force,
                    ..fit_args
                },
                quiet,
            )?;
            let fit_s = t.elapsed().as_secs_f64();
            let up = dir.join(format!("upsampled-{name}.parquet"));
            let rate = h.upsample(&model, &compressed, Estimate::Mean, &up)?;
            let report = dir.join(format!("report-{name}"));
            let columns = h.scores(&compressed, &up, &report)?;
            results.push((run.label, fit_s, rate, columns, model));
            bar.inc(1);
        }
        bar.finish_and_clear();
        // The compared columns: those the gate tried neural models on.
        let neural_names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        let compared: Vec<String> = results[1]
            .4
            .columns()
            .iter()
            .filter(|c| c.scores.iter().any(|s| neural_names.contains(&s.prior.as_str())))
            .map(|c| c.name.clone())
            .collect();
        let mut rows =
            vec![json!({"method": "compressed", "stats": aggregate(&results[0].3, &compared, "compressed")})];
        for (label, fit_s, rate, columns, _) in &results {
            rows.push(json!({"method": label, "fit_seconds": fit_s, "values_per_second": rate,
                "stats": aggregate(columns, &compared, "upsampled")}));
        }
        // On toy data, the Bayes-optimal oracle as one more row, through the same evaluation.
        let oracle = dir.join("upsampled-oracle.parquet");
        if h.oracle(&compressed, &oracle)? {
            let report = dir.join("report-oracle");
            let columns = h.scores(&compressed, &oracle, &report)?;
            rows.push(json!({"method": ORACLE, "stats": aggregate(&columns, &compared, "upsampled")}));
        }
        let per_branch: Vec<Value> = compared
            .iter()
            .map(|n| {
                let ratio = |cols: &[Value]| {
                    cols.iter().find(|c| c["column"].as_str() == Some(n)).and_then(|c| c["ratio"].as_f64())
                };
                let choice = results[1].4.column(n).map_or("?", |c| c.choice_name()).to_string();
                let oracle =
                    results[0].3.iter().find(|c| c["column"].as_str() == Some(n)).map(|c| c["oracle_ratio"].clone());
                let recoverable = results[1].4.column(n).and_then(|c| c.recoverable);
                json!({"column": n, "choice": choice, "oracle_ratio": oracle, "recoverable": recoverable,
                    "ratios": results.iter().map(|r| json!({"method": r.0, "ratio": ratio(&r.3)})).collect::<Vec<_>>()})
            })
            .collect();
        out.say(format!("k = {bits}: {} methods on {} columns", results.len(), compared.len()));
        all.push(json!({"bits": bits, "columns": compared, "methods": rows, "per_branch": per_branch}));
    }
    let md = markdown(&h.shown(), &all, t0.elapsed().as_secs_f64());
    for (name, text) in [("compare.md", md), ("compare.json", serde_json::to_string_pretty(&all)?)] {
        let path = tmp.path().join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.commit()?;
    out.say(format!("wrote {} ({:.1} s)", a.report.join("compare.md").display(), t0.elapsed().as_secs_f64()));
    out.json(&json!({"file": file, "seconds": t0.elapsed().as_secs_f64(), "runs": all}));
    Ok(())
}

/// `compare --folds`: every method fitted without each fold in turn and evaluated on it; per
/// method, over the columns the gate tried neural models on in any fold, the mean pooled ratio,
/// the largest, and the columns above 1.05 and significantly worse. Returns `compare.md` and
/// the JSON rows.
fn compare_folds(h: &Halves, bits: &[u32], folds: u64, dir: &Path, out: Out) -> Result<(String, Vec<Value>)> {
    let held = h.folds(folds)?;
    let quiet = Out { quiet: true, json: false };
    let neural_names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    let mut md = format!(
        "Input `{}`: ATLAS compression keeping pt, eta, phi, m; {folds} folds of events, each evaluated (mean \
         estimate) with every method fitted on the others, over the columns where the gate tries neural models. \
         Per method: the mean over those columns of the MSE ratio pooled over every event, the largest, the \
         columns above 1.05, and those whose squared error is significantly above the compressed data's across \
         the folds (Student's t, one-sided 95 %).\n",
        h.shown()
    );
    let mut all = Vec::new();
    for &k in bits {
        let kdir = dir.join(format!("k{k}"));
        std::fs::create_dir(&kdir).with_context(|| format!("cannot create {}", kdir.display()))?;
        let compressed = kdir.join("compressed.parquet");
        h.compress(k, &compressed)?;
        let runs = runs();
        let mut tables: Vec<Folds> = vec![Folds::new(); runs.len()];
        let mut compared: Vec<String> = Vec::new();
        let bar = out.bar(folds * runs.len() as u64, &format!("k = {k}"));
        for f in 0..folds {
            let held = held(f);
            for (r, run) in runs.iter().enumerate() {
                bar.set_message(format!("k = {k}, fold {}/{folds}: {}", f + 1, run.label));
                let name = format!("{}-fold{f}", run.label.replace([' ', '(', ')', ','], ""));
                let fit_args = FitArgs {
                    source: h.source(0..h.entries),
                    exclude: Some(held.clone()),
                    neural: run.neural,
                    sibling_context: run.siblings,
                    containers: container_kinds(run),
                    force: run.force,
                    ..h.fit_args(k, kdir.join(format!("model-{name}.json")))
                };
                let model = fit(&fit_args, quiet)?;
                if run.neural && run.force.is_none() {
                    let tried = model
                        .columns()
                        .iter()
                        .filter(|c| c.scores.iter().any(|s| neural_names.contains(&s.prior.as_str())));
                    compared.extend(tried.map(|c| c.name.clone()));
                }
                let up = kdir.join(format!("upsampled-{name}.parquet"));
                h.upsample(&model, &compressed, Estimate::Mean, &up)?;
                let (_, columns) =
                    h.evaluate_on(held.clone(), &compressed, &up, &kdir.join(format!("report-{name}")))?;
                add_fold(&mut tables[r], columns);
                bar.inc(1);
            }
        }
        bar.finish_and_clear();
        compared.sort();
        compared.dedup();
        md.push_str(&format!(
            "\n#### k = {k}\n\n| method | mean pooled ratio | largest | above 1.05 | significantly worse |\n|---|---|---|---|---|\n"
        ));
        let mut rows = Vec::new();
        for (run, table) in runs.iter().zip(&tables) {
            let s = FoldSummary::of(table, |n| compared.iter().any(|c| c == n));
            md.push_str(&format!("| {} | {:.4} | {:.4} | {} | {} |\n", run.label, s.mean, s.largest, s.above, s.worse));
            let columns: Vec<Value> = s
                .pooled
                .iter()
                .map(|(n, r, f)| json!({"column": n, "pooled_ratio": r, "fold_ratios": f.ratios(), "significantly_worse": f.significantly_worse()}))
                .collect();
            rows.push(json!({"method": run.label, "mean_ratio": s.mean, "max_ratio": s.largest, "above": s.above,
                "significantly_worse": s.worse, "columns": columns}));
        }
        out.say(format!("k = {k}: {} methods on {} columns, {folds} folds", runs.len(), compared.len()));
        all.push(json!({"bits": k, "folds": folds, "columns": compared, "methods": rows}));
    }
    Ok((md, all))
}

fn markdown(file: &str, all: &[Value], seconds: f64) -> String {
    let f = |v: &Value, digits: usize| v.as_f64().map_or("–".to_string(), |x| format!("{x:.digits$}"));
    let e = |v: &Value| v.as_f64().map_or("–".to_string(), |x| format!("{x:.4e}"));
    let mut md = format!(
        "Input `{file}`: ATLAS compression keeping pt, eta, phi, m; every method fitted on the first half of the \
         events and evaluated (mean estimate) on the second half, over the columns where the gate tries neural \
         models (kept variables in the container, at least {} training values). `gate` rows choose per column \
         on validation; the other rows force one method on every compared column where it applies (the \
         compressed value elsewhere). MSE and log-MSE are pooled over the values of the compared columns (MSE \
         in mixed units, dominated by the largest scales); ratio is the mean over columns of \
         MSE(method) / MSE(compressed); KL is summed over columns (1000 bins of log10|x|); fit time is the \
         whole `fit` command (every column's priors too); values/s is the upsampler on the whole table.\n",
        models::MIN_NEURAL
    );
    for run in all {
        md.push_str(&format!(
            "\n#### k = {}\n\n| method | MSE | log-MSE | KL | effective bits | inside preimage | ratio | fit s | values/s |\n\
             |---|---|---|---|---|---|---|---|---|\n",
            run["bits"]
        ));
        for m in run["methods"].as_array().into_iter().flatten() {
            let s = &m["stats"];
            md.push_str(&format!(
                "| {} | {} | {} | {} | {} | {:.4} % | {} | {} | {} |\n",
                m["method"].as_str().unwrap_or("?"),
                e(&s["mse"]),
                e(&s["log_mse"]),
                f(&s["kl"], 4),
                f(&s["bits"], 2),
                100.0 * s["inside"].as_f64().unwrap_or(f64::NAN),
                f(&s["ratio"], 4),
                f(&m["fit_seconds"], 1),
                m["values_per_second"].as_f64().map_or("–".into(), |v| format!("{:.2} M", v / 1e6)),
            ));
        }
        let methods: Vec<String> = run["methods"]
            .as_array()
            .into_iter()
            .flatten()
            .skip(1)
            .filter(|m| m["method"] != ORACLE)
            .map(|m| {
                let m = m["method"].as_str().unwrap_or("?");
                m.replace("gate (priors, relations, neural with compressed context)", "gate+nn+context")
                    .replace("gate (priors, relations, container networks)", "gate+containers")
                    .replace("gate (priors, relations, neural)", "gate+nn")
            })
            .map(|m| m.replace("gate (priors, relations)", "gate"))
            .collect();
        md.push_str(&format!(
            "\nPer column (MSE ratio; the gate's choice with neural models; oracle on toy data; the quick \
             estimate of what can be recovered, made on the training half before any model is fitted — from the \
             compressed value alone / with the context, `models::recover`):\n\n| column | choice | {} | oracle | \
             estimate |\n|---|---|{}---|---|\n",
            methods.join(" | "),
            "---|".repeat(methods.len())
        ));
        for b in run["per_branch"].as_array().into_iter().flatten() {
            let ratios: Vec<String> = b["ratios"].as_array().into_iter().flatten().map(|r| f(&r["ratio"], 3)).collect();
            let r = &b["recoverable"];
            let estimate = if r.is_null() {
                "–".to_string()
            } else {
                format!("{} / {}", f(&r["alone"], 3), f(&r["with_context"], 3))
            };
            md.push_str(&format!(
                "| {} | {} | {} | {} | {estimate} |\n",
                b["column"].as_str().unwrap_or("?"),
                b["choice"].as_str().unwrap_or("?"),
                ratios.join(" | "),
                f(&b["oracle_ratio"], 3)
            ));
        }
    }
    md.push_str(&format!("\nThe comparison took {seconds:.0} s.\n"));
    md
}
