//! Prints the tables of `docs/quantisation-bounds.md`: the envelope constants of every mantissa
//! scheme, and predicted vs measured max |Δ| per binade on `AnalysisJetsAuxDyn.*` of the real
//! PHYSLITE sample compressed with `Atlas{k:7}`.
//!
//! ```text
//! cargo run --release -p quant-bounds --example quantisation_tables
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;

use float_bits::Scheme;
use quant_bounds::{envelope, max_abs_residual, preimage};

fn constants() {
    println!(
        "| scheme | sup \\|Δ\\|/\\|x\\| | line offset log10 | prior study's offset (−k·log10 2) | binade max / step 2^(e−k) | signs of Δ | subnormal floor (f32) |"
    );
    println!("|---|---:|---:|---:|---:|---|---:|");
    for k in [7u32, 15] {
        for s in [Scheme::atlas(k), Scheme::nearest_even(k), Scheme::toward_zero(k), Scheme::root_float16(k.min(14))] {
            let s = s.expect("valid");
            let e = envelope::<f32>(&s).expect("mantissa scheme");
            println!(
                "| {s} | 2^-{} | {:.4} | {:.4} | {} | {} | {:.3e} |",
                -e.relative.log2(),
                e.offset,
                -(f64::from(e.k)) * 2f64.log10(),
                e.step,
                if e.two_sided { "both" } else { "sign of x" },
                e.floor
            );
        }
    }
}

fn binade(x: f64) -> i32 {
    let e = x.abs().log2().floor() as i32;
    // Guard the rounding of log2 at exact powers of two.
    if 2f64.powi(e) > x.abs() {
        e - 1
    } else if 2f64.powi(e + 1) <= x.abs() {
        e + 1
    } else {
        e
    }
}

fn main() -> ExitCode {
    let columns = match hepfloat_testdata::physlite_floats() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("## Envelope constants (computed by `quant_bounds::envelope::<f32>`)\n");
    constants();

    let k = 7;
    let s = Scheme::atlas(k).expect("valid");
    let env = envelope::<f32>(&s).expect("mantissa scheme");
    // Per binade of the original |x|: count, measured max |x − c|, predicted staircase, and the
    // largest exact per-value bound max_abs_residual(c) seen.
    #[derive(Default)]
    struct Row {
        n: usize,
        measured: f64,
        exact_bound: f64,
        outside: usize,
    }
    let mut rows: BTreeMap<i32, Row> = BTreeMap::new();
    let (mut names, mut zeros, mut total) = (Vec::new(), 0usize, 0usize);
    for col in columns.iter().filter(|c| c.name.starts_with("AnalysisJetsAuxDyn.")) {
        names.push(col.name.trim_start_matches("AnalysisJetsAuxDyn.").to_string());
        for &x in &col.values {
            total += 1;
            if x == 0.0 || !x.is_finite() {
                zeros += 1;
                continue;
            }
            let c = s.compress(x).expect("Atlas never fails");
            let r = rows.entry(binade(f64::from(x))).or_default();
            r.n += 1;
            r.measured = r.measured.max((f64::from(x) - f64::from(c)).abs());
            r.exact_bound = r.exact_bound.max(max_abs_residual(&s, c).expect("an output"));
            if !preimage(&s, c).expect("an output").contains(x) {
                r.outside += 1;
            }
        }
    }
    println!(
        "\n## Predicted vs measured max |Δ| per binade: `AnalysisJetsAuxDyn.*` ({} columns, {total} values, {zeros} zeros skipped), `Atlas{{k=7}}`\n",
        names.len()
    );
    println!("Columns: {}.\n", names.join(", "));
    println!(
        "| binade e (2^e ≤ \\|x\\| < 2^(e+1)) | values | predicted max \\|Δ\\| = 2^(e−k−1) | measured max \\|Δ\\| | measured / predicted | relative line bound 2^e·2^-(k+1) at binade start | outside preimage |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut worst: f64 = 0.0;
    for (e, r) in &rows {
        let predicted = env.binade_max(2f64.powi(*e));
        worst = worst.max(r.measured / predicted);
        println!(
            "| {e} | {} | {predicted:.4e} | {:.4e} | {:.4} | {:.4e} | {} |",
            r.n,
            r.measured,
            r.measured / predicted,
            env.bound(2f64.powi(*e)),
            r.outside
        );
    }
    println!("\nLargest measured / predicted ratio over all binades: {worst:.4} (≤ 1 means the staircase holds).");
    ExitCode::SUCCESS
}
