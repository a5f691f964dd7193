//! The report's plots (SVG): per-column MSE ratios, log-log residuals with the quant-bounds
//! envelope, and fine-binned histograms.

use std::path::Path;

use anyhow::{Result, anyhow};
use float_bits::Scheme;
use plotters::prelude::*;

use crate::evaluate::{ColumnReport, Samples};

/// Columns that get residual and histogram plots (the compressed ones with the most values).
const DETAILED: usize = 6;
/// Points per scatter series.
const POINTS: usize = 20_000;

fn err<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("plotting: {e}")
}

/// A file-name-safe version of a column name.
fn slug(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect()
}

/// Write every plot into `dir`; returns how many.
pub fn all(
    dir: &Path,
    schemes: &std::collections::BTreeMap<String, Scheme>,
    rows: &[ColumnReport],
    samples: &[Samples<'_>],
) -> Result<usize> {
    let mut n = ratio_charts(dir, rows)?;
    let mut detailed: Vec<&ColumnReport> = rows.iter().filter(|r| r.ratio.is_some()).collect();
    detailed.sort_by_key(|r| std::cmp::Reverse(r.values));
    for r in detailed.into_iter().take(DETAILED) {
        let Some((_, s)) = samples.iter().find(|s| s.0 == &r.column) else { continue };
        let scheme = schemes.get(&r.column);
        residuals(&dir.join(format!("residuals_{}.svg", slug(&r.column))), scheme, &r.column, s)?;
        histogram(&dir.join(format!("histogram_{}.svg", slug(&r.column))), &r.column, s)?;
        n += 2;
    }
    Ok(n)
}

/// Columns named in the chart of moved columns, at most.
const MOVED: usize = 40;

/// The MSE ratios as two charts a person can take in, whatever the number of columns:
/// `mse_ratio_by_container.svg`, one row per container (the range of its columns' ratios, their
/// median, how many columns), and `mse_ratio_moved.svg`, the columns that moved (ratio off 1
/// by more than 0.1 %), named, the [`MOVED`] that moved most. Log scale: a ratio of 0.01 is as
/// far from 1 as 100. Returns how many it wrote.
fn ratio_charts(dir: &Path, rows: &[ColumnReport]) -> Result<usize> {
    let ratios: Vec<(&str, f64)> =
        rows.iter().filter_map(|r| r.ratio.filter(|v| *v > 0.0).map(|v| (r.column.as_str(), v))).collect();
    if ratios.is_empty() {
        return Ok(0);
    }
    // Per container: (name, min, median, max, columns).
    let mut by: std::collections::BTreeMap<&str, Vec<f64>> = std::collections::BTreeMap::new();
    for &(name, v) in &ratios {
        by.entry(models::names::container(name).unwrap_or(name)).or_default().push(v);
    }
    let mut containers: Vec<(String, f64, f64, f64)> = by
        .into_iter()
        .map(|(c, mut v)| {
            v.sort_by(f64::total_cmp);
            (format!("{c} ({})", v.len()), v[0], v[v.len() / 2], v[v.len() - 1])
        })
        .collect();
    containers.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)));
    let rows_drawn: Vec<(String, f64, f64, f64)> = containers;
    ranges(
        &dir.join("mse_ratio_by_container.svg"),
        "MSE upsampled / MSE compressed per container: range of its columns, median (dot); columns in brackets",
        &rows_drawn,
    )?;
    let mut moved: Vec<(&str, f64)> = ratios.iter().copied().filter(|r| (r.1 - 1.0).abs() > 1e-3).collect();
    if moved.is_empty() {
        return Ok(1);
    }
    moved.sort_by(|a, b| b.1.ln().abs().total_cmp(&a.1.ln().abs()));
    let left = moved.len().saturating_sub(MOVED);
    moved.truncate(MOVED);
    moved.sort_by(|a, b| a.1.total_cmp(&b.1));
    let title = format!(
        "Columns that moved (MSE ratio off 1 by more than 0.1 %){}",
        if left > 0 { format!(": the {MOVED} that moved most, {left} more in report.md") } else { String::new() }
    );
    let points: Vec<(String, f64, f64, f64)> = moved.iter().map(|&(n, v)| (n.to_string(), v, v, v)).collect();
    ranges(&dir.join("mse_ratio_moved.svg"), &title, &points)?;
    Ok(2)
}

/// Rows of `(label, low, mid, high)` on a log axis of ratios: a bar from low to high (blue where
/// it is below 1, red where above), a dot at mid, and the line at 1.
fn ranges(path: &Path, title: &str, rows: &[(String, f64, f64, f64)]) -> Result<()> {
    let height = 90 + 20 * rows.len() as u32;
    let root = SVGBackend::new(path, (1100, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let lo = rows.iter().map(|r| r.1).fold(0.9f64, f64::min) / 1.5;
    let hi = rows.iter().map(|r| r.3).fold(1.1f64, f64::max) * 1.5;
    let label_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(10).clamp(10, 80) as u32 * 7;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 15))
        .margin(10)
        .x_label_area_size(36)
        .y_label_area_size(label_width)
        .build_cartesian_2d((lo..hi).log_scale(), (0..rows.len()).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .y_labels(rows.len())
        .y_label_formatter(&|y| match y {
            SegmentValue::CenterOf(i) => rows.get(*i).map_or(String::new(), |r| r.0.clone()),
            _ => String::new(),
        })
        .y_label_style(("sans-serif", 12))
        .x_desc("MSE ratio (log scale; below 1: better than the compressed data)")
        .draw()
        .map_err(err)?;
    let colour = |v: f64| if v <= 1.0 { BLUE.mix(0.6) } else { RED.mix(0.6) };
    chart
        .draw_series(rows.iter().enumerate().map(|(i, r)| {
            // A range of one value still shows: at least a sliver of 2 % either side.
            let (a, b) = if r.3 > r.1 * 1.04 { (r.1, r.3) } else { (r.2 / 1.02, r.2 * 1.02) };
            let y = SegmentValue::CenterOf(i);
            PathElement::new(vec![(a, y.clone()), (b, y)], colour(r.2).stroke_width(10))
        }))
        .map_err(err)?;
    chart
        .draw_series(
            rows.iter().enumerate().map(|(i, r)| Circle::new((r.2, SegmentValue::CenterOf(i)), 4, BLACK.filled())),
        )
        .map_err(err)?;
    chart
        .draw_series(LineSeries::new(
            [(1.0, SegmentValue::Exact(0)), (1.0, SegmentValue::Exact(rows.len()))],
            BLACK.stroke_width(1),
        ))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Every `step`-th point of `(log10|x|, log10|Δ|)` where both exist.
fn log_residuals(x: &[f32], y: &[f32]) -> Vec<(f64, f64)> {
    let step = (x.len() / POINTS).max(1);
    x.iter()
        .zip(y)
        .step_by(step)
        .filter_map(|(&x, &y)| {
            let d = (f64::from(y) - f64::from(x)).abs();
            (x != 0.0 && d > 0.0 && x.is_finite() && d.is_finite()).then(|| (f64::from(x).abs().log10(), d.log10()))
        })
        .collect()
}

/// log10|x| against log10|Δ| for compressed and upsampled values, with the envelope line and
/// the per-binade staircase of `quant-bounds`.
fn residuals(path: &Path, scheme: Option<&Scheme>, name: &str, s: &[Vec<f32>; 3]) -> Result<()> {
    let (c, u) = (log_residuals(&s[0], &s[1]), log_residuals(&s[0], &s[2]));
    let all = c.iter().chain(&u);
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in all {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, -1.0, 0.0);
    }
    let (x1, y1) = (x1.max(x0 + 0.1), y1.max(y0 + 0.1) + 0.3);
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{name}: residuals ({})", scheme.map_or("full precision".into(), Scheme::to_string)),
            ("sans-serif", 16),
        )
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    chart.configure_mesh().x_desc("log10 |original|").y_desc("log10 |reconstructed - original|").draw().map_err(err)?;
    chart
        .draw_series(c.iter().map(|&p| Circle::new(p, 1, BLACK.mix(0.25).filled())))
        .map_err(err)?
        .label("compressed")
        .legend(|(x, y)| Circle::new((x, y), 3, BLACK.filled()));
    chart
        .draw_series(u.iter().map(|&p| Circle::new(p, 1, BLUE.mix(0.35).filled())))
        .map_err(err)?
        .label("upsampled")
        .legend(|(x, y)| Circle::new((x, y), 3, BLUE.filled()));
    if let Some(Ok(env)) = scheme.map(quant_bounds::envelope::<f32>) {
        chart
            .draw_series(LineSeries::new([x0, x1].map(|x| (x, env.log10_line(x))), RED.stroke_width(2)))
            .map_err(err)?
            .label("quant-bounds envelope |Δ| < |x|·2^-k")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], RED.stroke_width(2)));
        // The staircase: the exact largest |Δ| in each binade of the plotted range.
        let (e0, e1) =
            ((x0 / std::f64::consts::LOG10_2).floor() as i32, (x1 / std::f64::consts::LOG10_2).ceil() as i32);
        let steps = (e0..e1).flat_map(|e| {
            let (a, b) = (2f64.powi(e), 2f64.powi(e + 1));
            let y = env.binade_max(a).log10();
            [(a.log10().max(x0), y), (b.log10().min(x1), y)]
        });
        chart
            .draw_series(LineSeries::new(steps, MAGENTA.stroke_width(1)))
            .map_err(err)?
            .label("largest |Δ| per binade (staircase)")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], MAGENTA.stroke_width(1)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Fine-binned (1000 bins between the original's quartiles) histograms of original,
/// compressed and upsampled values: the compressed grid's comb, and how much of it upsampling
/// removes.
fn histogram(path: &Path, name: &str, s: &[Vec<f32>; 3]) -> Result<()> {
    const BINS: usize = 1000;
    let finite = |v: &Vec<f32>| v.iter().copied().filter(|x| x.is_finite()).collect::<Vec<f32>>();
    let x = finite(&s[0]);
    // Between the quartiles: bins of about a thousandth of the values, finer than the k = 7 grid
    // (a 2⁻⁸ relative step), so the comb of the compressed values shows.
    let mut sorted = x.clone();
    sorted.sort_unstable_by(f32::total_cmp);
    let Some((&q1, &q3)) = sorted.get(sorted.len() / 4).zip(sorted.get(sorted.len() * 3 / 4)) else {
        return Ok(());
    };
    if q1 >= q3 {
        return Ok(());
    }
    let (lo, hi) = (f64::from(q1), f64::from(q3));
    let count = |v: &[f32]| {
        let mut h = vec![0u64; BINS];
        for &x in v {
            let t = (f64::from(x) - lo) / (hi - lo);
            if (0.0..1.0).contains(&t) {
                h[(t * BINS as f64) as usize] += 1;
            }
        }
        h
    };
    let hs = [count(&x), count(&finite(&s[1])), count(&finite(&s[2]))];
    let top = hs.iter().flatten().copied().max().unwrap_or(1) as f64 * 1.1;
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{name}: {BINS} bins between the quartiles"), ("sans-serif", 16))
        .margin(10)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0f64..top)
        .map_err(err)?;
    chart.configure_mesh().x_desc("value").y_desc("entries").draw().map_err(err)?;
    let width = (hi - lo) / BINS as f64;
    for (h, (label, colour)) in hs.iter().zip([("original", BLACK), ("compressed", RED), ("upsampled", BLUE)]) {
        let steps = h.iter().enumerate().flat_map(|(i, &c)| {
            let x = lo + i as f64 * width;
            [(x, c as f64), (x + width, c as f64)]
        });
        chart
            .draw_series(LineSeries::new(steps, colour.stroke_width(1)))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw().map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}
