#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

pub mod damage;
mod parquet_floats;

use std::path::PathBuf;

use arrow_array::Array;
use arrow_array::cast::AsArray;

pub use parquet_floats::{FloatColumn, read_float_columns};

/// The containers of ATLAS's low lossy-compression list (15 kept mantissa bits; pt, eta, phi and
/// m exempt), as the DAOD_PHYS test configuration (a postInclude of DerivationFrameworkPhys)
/// names them. ATLAS matches them as substrings of the branch names (`Electrons` takes
/// PHYSLITE's `AnalysisElectrons` and `TruthElectrons`), and so does the glob `*NAME*`;
/// everything else is on the high list (7 bits).
///
/// ```
/// assert!(hepfloat_testdata::ATLAS_LOW_LIST.contains(&"TruthMuons"));
/// ```
pub const ATLAS_LOW_LIST: [&str; 38] = [
    "TruthCharm",
    "BTagging_AntiKt4EMPFlow",
    "TruthMuons",
    "TruthNeutrinos",
    "TruthBottom",
    "MuonSpectrometerTrackParticles",
    "DiTauJetsLowPt",
    "TruthBoson",
    "MET_Track",
    "TauSecondaryVertices",
    "TruthBosonsWithDecayVertices",
    "TauJets",
    "TruthElectrons",
    "xTrigDecision",
    "ExtrapolatedMuonTrackParticles",
    "CombinedMuonTrackParticles",
    "TruthTaus",
    "TruthPhotons",
    "AntiKt10TruthTrimmedPtFrac5SmallR20Jets",
    "TruthBosonsWithDecayParticles",
    "PrimaryVertices",
    "Muons",
    "AntiKt4TruthDressedWZJets",
    "TruthHFWithDecayVertices",
    "METAssoc_AntiKt4EMPFlow",
    "METAssoc_AntiKt4EMTopo",
    "HardScatterVertices",
    "AntiKt10LCTopoTrimmedPtFrac5SmallR20Jets",
    "Photons",
    "Electrons",
    "InDetTrackParticles",
    "GSFTrackParticles",
    "AntiKt10LCTopoJets",
    "TruthHFWithDecayParticles",
    "egammaClusters",
    "HardScatterParticles",
    "AntiKt4EMPFlowJets",
    "AntiKt4EMTopoJets",
];
/// Copy the Parquet file `from` to `to` without its `hepfloat.*` metadata (each column's
/// scheme, the keep list): a compressed file that does not say how it was compressed, as a
/// third party's may not.
///
/// ```no_run
/// hepfloat_testdata::strip_hepfloat_metadata("c.parquet".as_ref(), "bare.parquet".as_ref()).unwrap();
/// ```
pub fn strip_hepfloat_metadata(from: &std::path::Path, to: &std::path::Path) -> Result<(), String> {
    use arrow_array::RecordBatchReader;
    use parquet::arrow::ArrowWriter;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let name = |p: &std::path::Path, e: &dyn std::fmt::Display| format!("{}: {e}", p.display());
    let file = std::fs::File::open(from).map_err(|e| name(from, &e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).and_then(|b| b.build()).map_err(|e| name(from, &e))?;
    let schema = reader.schema();
    let clean = |m: &arrow_schema::Metadata| {
        let mut m = m.clone();
        let ours: Vec<String> = m.iter().map(|(k, _)| k.clone()).filter(|k| k.starts_with("hepfloat.")).collect();
        for k in ours {
            m.remove(&k);
        }
        m
    };
    let fields: Vec<arrow_schema::Field> =
        schema.fields().iter().map(|f| f.as_ref().clone().with_metadata(clean(f.metadata()))).collect();
    let stripped = std::sync::Arc::new(arrow_schema::Schema::new_with_metadata(fields, clean(schema.metadata())));
    let out = std::fs::File::create(to).map_err(|e| name(to, &e))?;
    let mut w = ArrowWriter::try_new(out, stripped.clone(), None).map_err(|e| name(to, &e))?;
    for b in reader {
        let b = b.map_err(|e| name(from, &e))?;
        let b = arrow_array::RecordBatch::try_new(stripped.clone(), b.columns().to_vec()).map_err(|e| name(to, &e))?;
        w.write(&b).map_err(|e| name(to, &e))?;
    }
    w.close().map(|_| ()).map_err(|e| name(to, &e))
}

/// The reference decode of `PHYSLITE_example.root`, relative to the data folder.
pub const PHYSLITE_FLOATS: &str = "reference/PHYSLITE_example.floats.parquet";

/// The reference decode of `physlite_rntuple.root`, relative to the data folder.
pub const RNTUPLE_FLOATS: &str = "reference/physlite_rntuple.floats.parquet";

/// The repository's vendored test-data folder (`test-data/` at the project root).
///
/// ```
/// assert!(hepfloat_testdata::vendored_dir().join("SHA256SUMS").is_file());
/// ```
pub fn vendored_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-data")
}

/// The test data folder: `$HEP_TESTDATA` when set (a folder laid out as `test-data/`), else the
/// repository's vendored copy, [`vendored_dir`].
///
/// ```
/// assert!(hepfloat_testdata::data_dir().join("PHYSLITE_example.root").is_file());
/// ```
pub fn data_dir() -> PathBuf {
    match std::env::var_os("HEP_TESTDATA") {
        Some(p) if !p.is_empty() => p.into(),
        _ => vendored_dir(),
    }
}

/// A file of the data folder, or an error message that says how to provide it.
///
/// ```
/// assert!(hepfloat_testdata::data_file("no-such-file").is_err());
/// ```
pub fn data_file(name: &str) -> Result<PathBuf, String> {
    let p = data_dir().join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(format!(
            "test data file {} is missing: set HEP_TESTDATA to a folder holding the PHYSLITE samples \
             (default: the repository's test-data folder)",
            p.display()
        ))
    }
}

/// Every float column of the PHYSLITE reference Parquet file, lists flattened.
///
/// ```no_run
/// let jets: Vec<_> = hepfloat_testdata::physlite_floats()
///     .unwrap()
///     .into_iter()
///     .filter(|c| c.name.starts_with("AnalysisJetsAuxDyn."))
///     .collect();
/// ```
pub fn physlite_floats() -> Result<Vec<FloatColumn>, String> {
    read_float_columns(&data_file(PHYSLITE_FLOATS)?)
}

/// Whether two Arrow arrays of `float` (or lists of them, at any depth) hold equal list lengths at
/// every level and equal float bits (`f32::to_bits`); `Err` says where they first differ.
///
/// ```
/// let a = arrow_array::Float32Array::from(vec![0.0f32, 1.5]);
/// let b = arrow_array::Float32Array::from(vec![-0.0f32, 1.5]);
/// assert!(hepfloat_testdata::same_bits(&a, &a, "x").is_ok());
/// assert!(hepfloat_testdata::same_bits(&a, &b, "x").is_err()); // -0.0 is another value
/// ```
pub fn same_bits(ours: &dyn Array, theirs: &dyn Array, path: &str) -> Result<(), String> {
    if ours.len() != theirs.len() {
        return Err(format!("{path}: {} rows against {}", ours.len(), theirs.len()));
    }
    match (ours.data_type(), theirs.data_type()) {
        (arrow_schema::DataType::Float32, arrow_schema::DataType::Float32) => {
            let (a, b) = (
                ours.as_primitive::<arrow_array::types::Float32Type>(),
                theirs.as_primitive::<arrow_array::types::Float32Type>(),
            );
            for i in 0..a.len() {
                if a.value(i).to_bits() != b.value(i).to_bits() {
                    return Err(format!("{path}[{i}]: {:e} against {:e}", a.value(i), b.value(i)));
                }
            }
            Ok(())
        }
        (arrow_schema::DataType::LargeList(_), arrow_schema::DataType::LargeList(_)) => {
            let (a, b) = (ours.as_list::<i64>(), theirs.as_list::<i64>());
            for i in 0..a.len() {
                same_bits(a.value(i).as_ref(), b.value(i).as_ref(), &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (x, y) => Err(format!("{path}: type {x} against {y}")),
    }
}
