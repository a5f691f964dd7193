//! Prints the tables of `docs/quantisation-bounds.md`: the envelope constants of every mantissa
//! scheme, and predicted vs measured max |Δ| per binade on `AnalysisJetsAuxDyn.*` of the real
//! PHYSLITE sample compressed with `Atlas{k:7}`.
//!
//! ```text
//! cargo run --release -p quant-bounds --example quantisation_tables [-- --figures docs/figures]
//! ```
//! With `--figures DIR` it also draws, as SVG: the residuals of the jets on the
//! log10|x| – log10|Δ| plane with the staircase and both lines, and the measured histogram of
//! log10|Δ| against the one expected for originals uniform inside their preimages.

use std::collections::BTreeMap;
use std::process::ExitCode;

use float_bits::Scheme;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use quant_bounds::{Envelope, envelope, expected_log10_residual_histogram, max_abs_residual, preimage};

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
    let (mut points, mut compressed, mut compressed_inexact) = (Vec::new(), Vec::new(), Vec::new());
    for col in columns.iter().filter(|c| c.name.starts_with("AnalysisJetsAuxDyn.")) {
        names.push(col.name.trim_start_matches("AnalysisJetsAuxDyn.").to_string());
        for &x in &col.values {
            total += 1;
            if x == 0.0 || !x.is_finite() {
                zeros += 1;
                continue;
            }
            let c = s.compress(x).expect("Atlas never fails");
            compressed.push(c);
            let d = (f64::from(x) - f64::from(c)).abs();
            if d > 0.0 {
                points.push((f64::from(x).abs().log10(), d.log10()));
                compressed_inexact.push(c);
            }
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

    let args: Vec<String> = std::env::args().collect();
    if let Some(dir) = args.iter().position(|a| a == "--figures").and_then(|i| args.get(i + 1)) {
        let dir = std::path::Path::new(dir);
        let plane = dir.join("jets-k7-residual-envelope.svg");
        let hist = dir.join("jets-k7-log10-residual-histogram.svg");
        let drawn = std::fs::create_dir_all(dir)
            .map_err(|e| e.to_string())
            .and_then(|_| draw_plane(&plane, &points, &env, k))
            .and_then(|_| draw_histogram(&hist, &s, &points, &compressed, &compressed_inexact));
        match drawn {
            Ok(()) => println!("\nFigures: {}, {}", plane.display(), hist.display()),
            Err(e) => {
                eprintln!("error drawing figures: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

type Chart<'a> = ChartContext<'a, SVGBackend<'a>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The legend box, upper left.
fn draw_legend(chart: &mut Chart<'_>) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

/// Residuals on the log-log plane with the exact staircase, the (k+1)-bit line and the prior
/// study's k-bit line.
fn draw_plane(path: &std::path::Path, points: &[(f64, f64)], env: &Envelope, k: u32) -> Result<(), String> {
    let root = SVGBackend::new(path, (900, 620)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let (x0, x1) = (-5.0, 7.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("AnalysisJetsAuxDyn.*, Atlas{{k={k}}}: residuals and their envelope"), ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, -10.0..5.0)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("log10 |x| (original)")
        .y_desc("log10 |Δ| = log10 |x − c|")
        .draw()
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(points.iter().map(|&(x, y)| Circle::new((x, y), 1, BLUE.mix(0.35).filled())))
        .map_err(|e| e.to_string())?
        .label("measured |Δ|")
        .legend(|(x, y)| Circle::new((x, y), 3, BLUE.filled()));
    // The staircase: 2^(e-k-1) on each binade [2^e, 2^(e+1)).
    let mut stair = Vec::new();
    let (e0, e1) = ((x0 / 2f64.log10()).floor() as i32, (x1 / 2f64.log10()).ceil() as i32);
    for e in e0..e1 {
        let y = env.binade_max(2f64.powi(e)).log10();
        stair.push((f64::from(e) * 2f64.log10(), y));
        stair.push((f64::from(e + 1) * 2f64.log10(), y));
    }
    chart
        .draw_series(LineSeries::new(stair, BLACK.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label("exact max |Δ| per binade (staircase)")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(2)));
    chart
        .draw_series(LineSeries::new([(x0, env.log10_line(x0)), (x1, env.log10_line(x1))], RED.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(format!("log10|x| − {}·log10 2 (half-ulp bound)", k + 1))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    let prior = -(f64::from(k)) * 2f64.log10();
    chart
        .draw_series(LineSeries::new([(x0, x0 + prior), (x1, x1 + prior)], GREEN.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label(format!("log10|x| − {k}·log10 2 (prior study)"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], GREEN.stroke_width(2)));
    draw_legend(&mut chart)?;
    root.present().map_err(|e| e.to_string())
}

/// Measured histogram of log10|Δ| against the expectation for uniform originals.
fn draw_histogram(
    path: &std::path::Path,
    s: &Scheme,
    points: &[(f64, f64)],
    compressed: &[f32],
    compressed_inexact: &[f32],
) -> Result<(), String> {
    let edges: Vec<f64> = (0..=120).map(|i| -10.0 + 0.125 * f64::from(i)).collect();
    let mut measured = vec![0.0f64; edges.len() - 1];
    for &(_, y) in points {
        let j = ((y - edges[0]) / 0.125).floor();
        if j >= 0.0 && (j as usize) < measured.len() {
            measured[j as usize] += 1.0;
        }
    }
    let (expected, _) = expected_log10_residual_histogram(s, compressed, &edges).map_err(|e| e.to_string())?;
    let (expected_inexact, _) =
        expected_log10_residual_histogram(s, compressed_inexact, &edges).map_err(|e| e.to_string())?;
    let top = measured.iter().chain(&expected).fold(0.0f64, |a, &b| a.max(b)) * 1.1;
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "log10 |Δ| of the jets at k = 7: {} non-zero residuals, {} originals exactly representable (Δ = 0)",
                points.len(),
                compressed.len() - points.len()
            ),
            ("sans-serif", 17),
        )
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(edges[0]..edges[edges.len() - 1], 0.0..top)
        .map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc("log10 |Δ|").y_desc("values per 0.125 decade").draw().map_err(|e| e.to_string())?;
    chart
        .draw_series(
            measured
                .iter()
                .enumerate()
                .map(|(j, &n)| Rectangle::new([(edges[j], 0.0), (edges[j + 1], n)], BLUE.mix(0.4).filled())),
        )
        .map_err(|e| e.to_string())?
        .label("measured (non-zero residuals)")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], BLUE.mix(0.4).filled()));
    let line: Vec<(f64, f64)> =
        expected.iter().enumerate().map(|(j, &n)| ((edges[j] + edges[j + 1]) / 2.0, n)).collect();
    chart
        .draw_series(LineSeries::new(line, RED.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label("expected if every original were uniform in its preimage")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
    let line: Vec<(f64, f64)> =
        expected_inexact.iter().enumerate().map(|(j, &n)| ((edges[j] + edges[j + 1]) / 2.0, n)).collect();
    let dark = RGBColor(0, 110, 0);
    chart
        .draw_series(LineSeries::new(line, dark.stroke_width(2)))
        .map_err(|e| e.to_string())?
        .label("same, only values whose original was not exactly representable")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], dark.stroke_width(2)));
    draw_legend(&mut chart)?;
    root.present().map_err(|e| e.to_string())
}
