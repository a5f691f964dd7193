//! The comparison table on a small example: jet-like transverse momenta compressed the ATLAS way
//! (`Atlas{k:7}`), and the midpoint of each value's preimage as the candidate.
//!
//! ```text
//! cargo run --release -p hepfloat-metrics --example compare [-- --json]
//! ```

use float_bits::Scheme;
use metrics::{CompareOptions, Comparison};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A falling spectrum from 20 GeV to a few TeV, in MeV (deterministic).
    let original: Vec<f32> = (0..5000).map(|i| 20_000.0 * (1.0 + (i as f32 * 0.618_034).fract()).powf(8.0)).collect();
    let atlas7 = Scheme::atlas(7)?;
    let mut compressed = original.clone();
    atlas7.compress_in_place(&mut compressed)?;
    let candidate: Vec<f32> = compressed
        .iter()
        .map(|&c| quant_bounds::preimage(&atlas7, c).map(|i| i.midpoint()))
        .collect::<Result<_, _>>()?;
    let cmp = Comparison::new(&original, &compressed, &candidate, CompareOptions::default())?;
    if std::env::args().any(|a| a == "--json") {
        println!("{}", cmp.to_json());
    } else {
        print!("{}", cmp.to_markdown());
    }
    Ok(())
}
