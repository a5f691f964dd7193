//! What ATLAS lossy compression does to a real DAOD_PHYSLITE sample.
//!
//! Reads every float branch of the reference decode of `PHYSLITE_example.root` (a Parquet file,
//! until `hep-io` reads ROOT directly), compresses it with `CxxUtils::FloatCompressor` at
//! k = 7 and k = 15 kept mantissa bits, and prints per branch: values, the fraction left
//! unchanged, the largest relative error, and the packed size per value.
//!
//! ```text
//! cargo run --release -p hepfloat-float-bits --example physlite_compression [-- --all | BRANCH...]
//! ```
//! The data folder is `$HEP_TESTDATA` (default: the repository's `test-data/`).

use std::process::ExitCode;

use float_bits::{Atlas, Scheme, detect_kept_bits, pack};

const DEFAULT_BRANCHES: &[&str] = &[
    "AnalysisElectronsAuxDyn.pt",
    "AnalysisElectronsAuxDyn.eta",
    "AnalysisElectronsAuxDyn.charge",
    "AnalysisElectronsAuxDyn.topoetcone20",
    "AnalysisMuonsAuxDyn.pt",
    "AnalysisPhotonsAuxDyn.pt",
    "AnalysisJetsAuxDyn.pt",
    "AnalysisJetsAuxDyn.JVFCorr",
    "AnalysisTauJetsAuxDyn.pt",
    "BTagging_AntiKt4EMPFlowAuxDyn.GN2v00_pb",
    "TruthElectronsAuxDyn.px",
    "TruthElectronsAuxDyn.e",
];

/// What compression at one `k` did to one column.
struct Effect {
    unchanged: usize,
    max_rel: f64,
    packed_bytes: Option<usize>,
}

fn effect(values: &[f32], k: u32) -> Effect {
    let scheme = Scheme::from(Atlas::new(k).expect("k = 7 and 15 are valid"));
    let mut c = vec![0f32; values.len()];
    scheme.compress_into(values, &mut c).expect("Atlas never fails");
    let unchanged = values.iter().zip(&c).filter(|(x, y)| x.to_bits() == y.to_bits()).count();
    let max_rel = values
        .iter()
        .zip(&c)
        .filter(|(x, _)| x.is_finite() && **x != 0.0)
        .map(|(x, y)| ((f64::from(*y) - f64::from(*x)) / f64::from(*x)).abs())
        .fold(0.0, f64::max);
    let mut bytes = vec![0u8; pack::packed_len(k, c.len()).expect("k <= 23")];
    let packed_bytes = pack::pack(k, &c, &mut bytes).ok();
    Effect { unchanged, max_rel, packed_bytes }
}

fn row(name: &str, values: &[f32]) -> String {
    let n = values.len();
    let mut s = format!("| {name} | {n} |");
    for k in [7, 15] {
        let e = effect(values, k);
        let frac = if n == 0 { 0.0 } else { e.unchanged as f64 / n as f64 };
        let per_value = match e.packed_bytes {
            Some(b) if n > 0 => format!("{:.2}", b as f64 / n as f64),
            Some(_) => "-".into(),
            None => "NaN payload".into(),
        };
        s += &format!(" {:.1} % | {:.2e} | {per_value} |", 100.0 * frac, e.max_rel);
    }
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = hepfloat_testdata::data_dir().join(hepfloat_testdata::PHYSLITE_FLOATS);
    let columns = match hepfloat_testdata::physlite_floats() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let all = args.iter().any(|a| a == "--all");
    let wanted: Vec<&str> = if args.is_empty() {
        DEFAULT_BRANCHES.to_vec()
    } else {
        args.iter().filter(|a| *a != "--all").map(String::as_str).collect()
    };

    println!("# ATLAS FloatCompressor on {}\n", path.display());
    println!("Rounding keeps k mantissa bits (half away from zero); the relative error is at most 2^-(k+1)");
    println!(
        "= {:.2e} at k = 7 and {:.2e} at k = 15. Packed: sign + exponent + k bits, 9 + k bits per value.\n",
        2f64.powi(-8),
        2f64.powi(-16)
    );
    println!(
        "| branch | values | unchanged k=7 | max rel err k=7 | packed B/value k=7 | unchanged k=15 | max rel err k=15 | packed B/value k=15 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for col in &columns {
        if all || wanted.iter().any(|w| *w == col.name) {
            println!("{}", row(&col.name, &col.values));
        }
    }
    for w in &wanted {
        if !columns.iter().any(|c| c.name == *w) {
            eprintln!("warning: no float branch named {w}");
        }
    }
    let everything: Vec<f32> = columns.iter().flat_map(|c| c.values.iter().copied()).collect();
    println!("{}", row(&format!("**all {} float branches**", columns.len()), &everything));

    println!("\nKept mantissa bits detected (trailing-zero analysis, `detect_kept_bits`):");
    println!("- original sample: {:?}", detect_kept_bits(&everything).k());
    for k in [7, 15] {
        let mut c = everything.clone();
        Scheme::from(Atlas::new(k).expect("valid k")).compress_in_place(&mut c).expect("Atlas never fails");
        println!("- after Atlas{{k={k}}}: {:?}", detect_kept_bits(&c).k());
    }
    ExitCode::SUCCESS
}
