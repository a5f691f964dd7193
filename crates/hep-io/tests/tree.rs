//! TTree reading against the bit-exact reference decode (uproot 5.7.7) of the PHYSLITE sample.

use std::fs::File;

use arrow_array::cast::AsArray;
use arrow_array::types::Float32Type;
use arrow_array::{Array, RecordBatch};
use hep_io::{ColumnType, Layout, Primitive, RootFile};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn physlite() -> RootFile {
    let path = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    RootFile::open(path).unwrap()
}

fn reference() -> RecordBatch {
    let path = hepfloat_testdata::data_file(hepfloat_testdata::PHYSLITE_FLOATS).unwrap_or_else(|e| panic!("{e}"));
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    arrow_select_concat(&batches)
}

fn arrow_select_concat(batches: &[RecordBatch]) -> RecordBatch {
    assert_eq!(batches.len(), 1, "the 100-row reference fits one batch");
    batches[0].clone()
}

use hepfloat_testdata::same_bits as same;

#[test]
fn all_380_float_columns_are_bit_identical_to_the_reference() {
    let f = physlite();
    let tree = f.tree("CollectionTree").unwrap();
    assert_eq!(tree.entries(), 100);
    let reference = reference();
    let names: Vec<String> = reference.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names.len(), 380);
    let sel = tree.select(&names).unwrap();
    let ours = tree.read(&sel, 0..100).unwrap();
    assert_eq!(ours.num_columns(), 380);
    let mut values = 0usize;
    for name in &names {
        let a = ours.column_by_name(name).unwrap();
        let b = reference.column_by_name(name).unwrap();
        same(a.as_ref(), b.as_ref(), name).unwrap_or_else(|e| panic!("{e}"));
        values += a.to_data().child_data().first().map_or(a.len(), |c| c.len());
    }
    assert!(values > 100_000, "{values} values compared");
}

#[test]
fn every_float_branch_is_in_the_reference_and_types_match_uproot() {
    let f = physlite();
    let tree = f.tree("CollectionTree").unwrap();
    let reference = reference();
    let float_branches: Vec<&str> = tree
        .branches()
        .iter()
        .filter(|b| b.column.as_ref().is_ok_and(|c| c.primitive == Primitive::F32))
        .map(|b| b.path.as_str())
        .collect();
    assert_eq!(float_branches.len(), 380);
    for name in float_branches {
        assert!(reference.column_by_name(name).is_some(), "{name}");
    }
    let t = |n: &str| tree.branch(n).unwrap().column.clone().unwrap();
    assert_eq!(t("AnalysisElectronsAuxDyn.pt"), ColumnType { primitive: Primitive::F32, layout: Layout::Vector });
    assert_eq!(t("EventInfoAuxDyn.actualInteractionsPerCrossing").layout, Layout::Scalar);
    assert_eq!(t("AnalysisJetsAuxDyn.EnergyPerSampling").layout, Layout::VectorVector);
    assert_eq!(t("AnalysisElectronsAuxDyn.truthType").primitive, Primitive::I32);
    assert_eq!(t("AnalysisElectronsAuxDyn.ambiguityType").primitive, Primitive::U8);
    assert_eq!(t("EventInfoAuxDyn.eventNumber"), ColumnType { primitive: Primitive::U64, layout: Layout::Scalar });
    assert_eq!(t("xTrigDecisionAux.lvl2Truncated").primitive, Primitive::Bool);
    assert_eq!(t("AnalysisElectronsAuxDyn.ambiguityLink.m_persKey").layout, Layout::Jagged);
    // Types outside the supported list are reported, with the C++ name.
    let links = tree.branch("AnalysisJetsAuxDyn.GhostTrack").unwrap();
    assert!(links.column.is_err());
    assert!(links.type_name.contains("ElementLink"), "{}", links.type_name);
}

mod common;
use common::{column_checksums, fixture_checksums};

#[test]
fn every_other_numeric_branch_matches_uproot_checksums() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!("fixtures/physlite_other_types.json")).unwrap();
    let fixture = fixture.as_object().unwrap();
    assert_eq!(fixture.len(), 386);
    let f = physlite();
    let tree = f.tree("CollectionTree").unwrap();
    let (mut checked, mut deeper) = (0, 0);
    for (path, want) in fixture {
        let b = tree.branch(path).unwrap_or_else(|e| panic!("{e}"));
        let want_type = want["type"].as_str().unwrap();
        // Three levels of vectors: the MET association map's overlaps.
        deeper += usize::from(want_type.matches("vector").count() > 2);
        assert_eq!(b.type_name, want_type, "{path}");
        let batch = tree.read(&tree.select(&[path]).unwrap(), 0..100).unwrap();
        let (lengths, values, bits) = column_checksums(batch.column(0).as_ref());
        let (want_lengths, want_values, want_bits) = fixture_checksums(want);
        assert_eq!(lengths, want_lengths, "{path}: list lengths");
        assert_eq!(values, want_values, "{path}: value count");
        assert_eq!(bits, want_bits, "{path}: value checksum");
        checked += 1;
    }
    assert_eq!((checked, deeper), (386, 2));
}

fn codec_file(name: &str) -> RootFile {
    RootFile::open(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/codec_{name}.root")))
        .unwrap()
}

/// Checks entries `range` of the generated `events` tree against the formulas of
/// `scripts/make_codec_files.py`.
fn check_events(batch: &RecordBatch, start: u64) {
    use arrow_array::types::*;
    let col = |n: &str| batch.column_by_name(n).unwrap_or_else(|| panic!("column {n}")).clone();
    let (f, d) = (col("f"), col("d"));
    let (f, d) = (f.as_primitive::<Float32Type>(), d.as_primitive::<Float64Type>());
    let (arr, jag, b) = (col("arr"), col("jag"), col("b"));
    let (arr, jag, b) = (arr.as_fixed_size_list(), jag.as_list::<i64>(), b.as_boolean());
    let ints = [col("i8"), col("u8"), col("i16"), col("u16"), col("i32"), col("u32"), col("i64"), col("u64")];
    for r in 0..batch.num_rows() {
        let i = start + r as u64;
        let n = i as i64;
        assert_eq!(f.value(r).to_bits(), (i as f32 * 0.5).to_bits(), "f[{i}]");
        assert_eq!(d.value(r), i as f64 * 0.25, "d[{i}]");
        assert_eq!(b.value(r), i.is_multiple_of(3), "b[{i}]");
        let got = [
            i64::from(ints[0].as_primitive::<Int8Type>().value(r)),
            i64::from(ints[1].as_primitive::<UInt8Type>().value(r)),
            i64::from(ints[2].as_primitive::<Int16Type>().value(r)),
            i64::from(ints[3].as_primitive::<UInt16Type>().value(r)),
            i64::from(ints[4].as_primitive::<Int32Type>().value(r)),
            i64::from(ints[5].as_primitive::<UInt32Type>().value(r)),
            ints[6].as_primitive::<Int64Type>().value(r),
            ints[7].as_primitive::<UInt64Type>().value(r) as i64,
        ];
        let want = [
            n % 256 - 128,
            n % 256,
            n - 500,
            n * 7,
            n * n - 1000,
            n * 3_000_000,
            -n * 1_000_000_000_000,
            n * 10i64.pow(15),
        ];
        assert_eq!(got, want, "integers of entry {i}");
        let a = arr.value(r);
        let a = a.as_primitive::<Float32Type>();
        assert_eq!(a.values().as_ref(), &[i as f32, i as f32 + 0.5, -(i as f32)], "arr[{i}]");
        let j = jag.value(r);
        let want: Vec<f32> = (0..i % 5).map(|k| (i as f64 + k as f64 / 10.0) as f32).collect();
        assert_eq!(j.as_primitive::<Float32Type>().values().as_ref(), want.as_slice(), "jag[{i}]");
    }
}

#[test]
fn generated_trees_read_with_every_codec_across_baskets() {
    for codec in ["zlib", "lzma", "lz4", "zstd", "none"] {
        let f = codec_file(codec);
        let trees = f.trees().unwrap();
        assert!(trees.contains(&"events".to_string()) && trees.contains(&"dir/events".to_string()), "{trees:?}");
        for path in ["events", "dir/events"] {
            let t = f.tree(path).unwrap();
            assert_eq!(t.entries(), 1000);
            assert_eq!(t.branch("f").unwrap().baskets(), 4, "{codec}");
            assert_eq!(t.branch("jag").unwrap().column.clone().unwrap().layout, Layout::Jagged);
            assert_eq!(t.branch("arr").unwrap().type_name, "float[3]");
            let sel = t.select(&["*"]).unwrap();
            assert_eq!(sel.columns().len(), 14);
            check_events(&t.read(&sel, 0..1000).unwrap(), 0);
            // Batches of 97 entries straddle the 250-entry baskets.
            let mut start = 0;
            for batch in t.batches(&sel).entries_per_batch(97) {
                let batch = batch.unwrap();
                check_events(&batch, start);
                start += batch.num_rows() as u64;
            }
            assert_eq!(start, 1000);
            check_events(&t.read(&sel, 240..260).unwrap(), 240);
        }
    }
}

#[test]
fn a_basket_of_18_mb_split_into_compressed_blocks() {
    for codec in ["zlib", "lzma", "lz4", "zstd"] {
        let f = codec_file(codec);
        let t = f.tree("long").unwrap();
        assert_eq!(t.entries(), 4_500_000);
        let x = t.branch("x").unwrap();
        assert_eq!(x.baskets(), 1);
        assert!(x.uncompressed_bytes > 16 << 20);
        let sel = t.select(&["x"]).unwrap();
        let mut i = 0usize;
        for batch in t.batches(&sel).target_bytes(4 << 20) {
            let batch = batch.unwrap();
            assert!(batch.num_rows() <= 1 << 20, "{} rows", batch.num_rows());
            for &v in batch.column(0).as_primitive::<Float32Type>().values() {
                assert_eq!(v, ((i / 4096) % 251) as f32, "{codec}: x[{i}]");
                i += 1;
            }
        }
        assert_eq!(i, 4_500_000);
    }
}

#[test]
fn selection_errors_and_globs() {
    let f = physlite();
    let t = f.tree("CollectionTree").unwrap();
    assert!(matches!(t.select(&["NoSuchBranch"]), Err(hep_io::Error::NoSuchBranch(_))));
    assert!(matches!(t.select(&["Nothing*"]), Err(hep_io::Error::NoSuchBranch(_))));
    let e = t.select(&["AnalysisJetsAuxDyn.GhostTrack"]).unwrap_err();
    assert!(matches!(e, hep_io::Error::UnsupportedBranch { .. }), "{e}");
    let sel = t.select_supported(&["AnalysisElectronsAuxDyn.*"]).unwrap();
    assert!(sel.columns().iter().all(|c| c.starts_with("AnalysisElectronsAuxDyn.")));
    assert!(sel.columns().contains(&"AnalysisElectronsAuxDyn.pt".to_string()));
    assert!(!sel.skipped().is_empty(), "element links are skipped");
    let one = t.select(&["AnalysisElectronsAuxDyn.p?"]).unwrap();
    assert_eq!(one.columns(), ["AnalysisElectronsAuxDyn.pt"]);
    // Duplicates are selected once, in first-match order.
    let twice = t.select(&["AnalysisElectronsAuxDyn.eta", "AnalysisElectronsAuxDyn.*ta"]).unwrap();
    assert_eq!(twice.columns()[0], "AnalysisElectronsAuxDyn.eta");
    assert_eq!(twice.columns().iter().filter(|c| *c == "AnalysisElectronsAuxDyn.eta").count(), 1);
    assert!(matches!(t.read(&one, 50..101), Err(hep_io::Error::BadRange { .. })));
    assert_eq!(t.read(&one, 100..100).unwrap().num_rows(), 0);
    let show = t.show();
    assert!(show.contains("AnalysisElectronsAuxDyn.pt") && show.contains("unsupported"));
}

#[test]
fn an_empty_selection_streams_one_batch_of_rows() {
    // Found by fuzzing: with no columns, a damaged entry count made the batch loop endless.
    let f = physlite();
    let t = f.tree("CollectionTree").unwrap();
    let none = t.select_supported(&["AnalysisJetsAuxDyn.GhostTrack"]).unwrap();
    assert!(none.columns().is_empty());
    let batches: Vec<_> = t.batches(&none).entries_per_batch(7).map(|b| b.unwrap()).collect();
    assert_eq!(batches.len(), 1);
    assert_eq!((batches[0].num_rows(), batches[0].num_columns()), (100, 0));
}

/// A ROOT-written tree whose baskets live inside the streamed `TTree` (never written under
/// their own keys), against uproot's decode (`scripts/make_embedded_fixture.py`).
#[test]
fn embedded_baskets_match_uproot() {
    use arrow_array::types::{Float64Type, Int32Type};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("tests/fixtures/embedded_baskets.json")).unwrap())
            .unwrap();
    let f = RootFile::open(dir.join("tests/data/embedded_baskets.root")).unwrap();
    let tree = f.tree("nllscan").unwrap();
    assert_eq!(tree.entries(), want["entries"].as_u64().unwrap());
    let branches = want["branches"].as_object().unwrap();
    assert_eq!(tree.branches().len(), branches.len());
    for b in tree.branches() {
        assert_eq!((b.baskets(), b.basket_offsets().len()), (1, 0), "{}: one basket, embedded", b.path);
    }
    let sel = tree.select(&["*"]).unwrap();
    // Batches of 16 split the single embedded basket of every branch.
    let batches: Vec<RecordBatch> = tree.batches(&sel).entries_per_batch(16).map(|b| b.unwrap()).collect();
    assert_eq!(batches.len(), 4);
    for (name, spec) in branches {
        let want: Vec<u64> = spec["bits"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        let got: Vec<u64> = batches
            .iter()
            .flat_map(|batch| -> Vec<u64> {
                let col = batch.column_by_name(name).unwrap_or_else(|| panic!("column {name}"));
                match spec["dtype"].as_str().unwrap() {
                    "float64" => col.as_primitive::<Float64Type>().values().iter().map(|v| v.to_bits()).collect(),
                    "int32" => col.as_primitive::<Int32Type>().values().iter().map(|&v| u64::from(v as u32)).collect(),
                    other => panic!("{name}: dtype {other} not in the fixture's vocabulary"),
                }
            })
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

/// How baskets are stored, from the first basket's key and block headers: the codec files are
/// uproot-written (its Zstandard frames carry no content checksum), the PHYSLITE sample is ROOT's
/// zlib with a few raw baskets.
#[test]
fn basket_storage_says_which_codec_checks_the_data() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    for (file, codec, checked) in [
        ("codec_zlib.root", Some(hep_io::Codec::Zlib), true),
        ("codec_lz4.root", Some(hep_io::Codec::Lz4), true),
        ("codec_lzma.root", Some(hep_io::Codec::Lzma), true),
        ("codec_zstd.root", Some(hep_io::Codec::Zstd), false),
        ("codec_none.root", None, false),
    ] {
        let f = RootFile::open(dir.join(file)).unwrap();
        let t = f.tree("events").unwrap();
        // A basket the codec does not shrink is stored raw, whatever the file's codec.
        let all: Vec<hep_io::BasketStorage> = t.branches().iter().filter_map(|b| t.storage(&b.path).unwrap()).collect();
        assert!(all.iter().all(|s| s.codec.is_none() && !s.checked || s.codec == codec), "{file}: {all:?}");
        assert!(all.iter().any(|s| (s.codec, s.checked) == (codec, checked)), "{file}: {all:?}");
    }
    let f = physlite();
    let t = f.tree("CollectionTree").unwrap();
    let s = t.storage("AnalysisElectronsAuxDyn.pt").unwrap().unwrap();
    assert_eq!((s.codec, s.checked), (Some(hep_io::Codec::Zlib), true));
}
