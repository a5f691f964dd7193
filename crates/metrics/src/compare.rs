//! The comparison table: every metric for the compressed baseline and for a candidate, against
//! the original, with the candidate/baseline ratio.

use core::fmt::Write as _;

use crate::distribution::{Edges, Histogram, Scale, js_divergence, kl_divergence, ks_two_sample, wasserstein1};
use crate::error::{Error, Result};
use crate::pointwise::Pointwise;
use crate::value::Value;

/// Options of a [`Comparison`].
///
/// ```
/// let o = metrics::CompareOptions::default();
/// assert_eq!((o.bins, o.kl_alpha), (100, 0.5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompareOptions {
    /// Bins of the linear and log10|x| histograms, spanning the original's range.
    pub bins: usize,
    /// Additive smoothing of the KL divergence (see [`kl_divergence`]).
    pub kl_alpha: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self { bins: 100, kl_alpha: 0.5 }
    }
}

/// One row: a metric for the baseline and the candidate, and `candidate / baseline`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    /// Metric name, e.g. "MSE".
    pub metric: String,
    /// Value for the compressed baseline against the original.
    pub baseline: Option<f64>,
    /// Value for the candidate against the original.
    pub candidate: Option<f64>,
    /// `candidate / baseline`, when both exist and the baseline is not zero.
    pub ratio: Option<f64>,
}

/// Every metric of this crate for (original, compressed baseline, candidate): the table the
/// prior study printed as "Compressed → Source / Corrected → Source", as Markdown or JSON.
///
/// ```
/// use metrics::{CompareOptions, Comparison};
/// let original = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
/// let compressed = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.5];
/// let candidate = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.25];
/// let c = Comparison::new(&original, &compressed, &candidate, CompareOptions::default())?;
/// assert_eq!(c.row("MSE").unwrap().ratio, Some(0.25));
/// let md = c.to_markdown();
/// assert!(md.starts_with("| metric | compressed → original | candidate → original | candidate / compressed |"));
/// let json = c.to_json();
/// assert!(json.contains("\"metric\": \"MSE\""));
/// # Ok::<(), metrics::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Comparison {
    /// Values compared (pairs).
    pub values: usize,
    /// The options used.
    pub options: CompareOptions,
    /// The rows, in a fixed order.
    pub rows: Vec<Row>,
}

impl Comparison {
    /// Compute every metric for both reconstructions (all three slices of equal length).
    ///
    /// ```
    /// let r = metrics::Comparison::new(&[1.0f64], &[1.0], &[], Default::default());
    /// assert!(r.is_err());
    /// ```
    pub fn new<T: Value>(original: &[T], baseline: &[T], candidate: &[T], options: CompareOptions) -> Result<Self> {
        for other in [baseline.len(), candidate.len()] {
            if other != original.len() {
                return Err(Error::LengthMismatch { left: original.len(), right: other });
            }
        }
        let (mut pb, mut pc) = (Pointwise::new(), Pointwise::new());
        pb.add(original, baseline)?;
        pc.add(original, candidate)?;
        let mut rows = Vec::new();
        let mut push = |metric: &str, b: Option<f64>, c: Option<f64>| {
            let ratio = match (b, c) {
                (Some(b), Some(c)) if b != 0.0 => Some(c / b),
                _ => None,
            };
            rows.push(Row { metric: metric.to_string(), baseline: b, candidate: c, ratio });
        };
        let count = |n: u64| Some(n as f64);
        push("MSE", pb.mse(), pc.mse());
        push("RMSE", pb.rmse(), pc.rmse());
        push("MAE", pb.mae(), pc.mae());
        push("max |Δ|", pb.max_abs(), pc.max_abs());
        push("relative MSE", pb.relative_mse(), pc.relative_mse());
        push("log-MSE", pb.log_mse(), pc.log_mse());
        push("effective bits, mean", pb.effective_bits_mean(), pc.effective_bits_mean());
        push("effective bits, median", pb.effective_bits_median(), pc.effective_bits_median());
        push("exact matches", count(pb.exact()), count(pc.exact()));
        push("sign flips", count(pb.sign_flips()), count(pc.sign_flips()));
        for (scale, name) in [(Scale::Linear, "x"), (Scale::Log10Abs, "log10|x|")] {
            let Ok(edges) = Edges::from_original(scale, original, options.bins.max(1)) else {
                continue; // fewer than two distinct values on this scale: no histogram
            };
            let hist = |v: &[T]| {
                let mut h = Histogram::new(edges.clone());
                h.add(v);
                h
            };
            let (ho, hb, hc) = (hist(original), hist(baseline), hist(candidate));
            push(
                &format!("KL(original ‖ ·) on {name}, α = {}", options.kl_alpha),
                kl_divergence(&ho, &hb, options.kl_alpha).ok(),
                kl_divergence(&ho, &hc, options.kl_alpha).ok(),
            );
            push(&format!("Jensen–Shannon on {name}"), js_divergence(&ho, &hb).ok(), js_divergence(&ho, &hc).ok());
            // Mass the divergences cannot see: outside the original's range (or zero on the log scale).
            let outside = |h: &Histogram| Some((h.underflow() + h.overflow() + h.zeros()) as f64);
            push(&format!("values outside the histogram of {name}"), outside(&hb), outside(&hc));
        }
        push("Wasserstein-1", wasserstein1(original, baseline).ok(), wasserstein1(original, candidate).ok());
        let (kb, kc) = (ks_two_sample(original, baseline).ok(), ks_two_sample(original, candidate).ok());
        push("KS statistic", kb.map(|k| k.statistic), kc.map(|k| k.statistic));
        push("KS p-value", kb.map(|k| k.p_value), kc.map(|k| k.p_value));
        Ok(Self { values: original.len(), options, rows })
    }

    /// The row of a metric by exact name.
    ///
    /// ```
    /// let c = metrics::Comparison::new(&[1.0f32, 2.0], &[1.0, 2.5], &[1.0, 2.0], Default::default())?;
    /// assert_eq!(c.row("MSE").unwrap().candidate, Some(0.0));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn row(&self, metric: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.metric == metric)
    }

    /// A Markdown table: metric, both values, and the ratio (`—` where undefined); `|` in
    /// metric names is escaped.
    ///
    /// ```
    /// let c = metrics::Comparison::new(&[1.0f32, 2.0], &[1.0, 2.5], &[1.0, 2.25], Default::default())?;
    /// assert!(c.to_markdown().contains("| MSE | 1.2500e-1 | 3.1250e-2 | 0.2500 |"));
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn to_markdown(&self) -> String {
        // Integers (counts, exact zeros) print as such; everything else with 5 significant digits.
        let f = |v: Option<f64>| match v {
            None => "—".to_string(),
            Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
            Some(v) => format!("{v:.4e}"),
        };
        let mut s =
            String::from("| metric | compressed → original | candidate → original | candidate / compressed |\n");
        s.push_str("|---|---:|---:|---:|\n");
        for r in &self.rows {
            let ratio = match r.ratio {
                None => "—".to_string(),
                Some(v) if v == 0.0 || (1e-3..1e4).contains(&v.abs()) => format!("{v:.4}"),
                Some(v) => format!("{v:.4e}"),
            };
            let name = r.metric.replace('|', "\\|");
            let _ = writeln!(s, "| {name} | {} | {} | {ratio} |", f(r.baseline), f(r.candidate));
        }
        s
    }

    /// Pretty-printed JSON (undefined values are `null`).
    ///
    /// ```
    /// let c = metrics::Comparison::new(&[1.0f32, 2.0], &[1.0, 2.0], &[1.0, 2.0], Default::default())?;
    /// let back: metrics::Comparison = serde_json::from_str(&c.to_json()).unwrap();
    /// assert_eq!(back.rows.len(), c.rows.len());
    /// # Ok::<(), metrics::Error>(())
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
