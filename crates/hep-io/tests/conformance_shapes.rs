//! Shapes the conformance corpus (`test-data/conformance/`, files of scikit-hep-testdata) brought
//! in, checked here against the file itself rather than another reader (`cargo xtask
//! conformance` compares every leaf with uproot): projected RNTuple fields read their source
//! field's columns, a cardinality is the size of each entry's collection, a C array `x[2][3]`
//! keeps its two dimensions, and `TObject::fBits` reads as the `UInt_t` it is.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, UInt32Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use hep_io::{Layout, RootFile};

fn corpus(name: &str) -> RootFile {
    let path = hepfloat_testdata::vendored_dir().join("conformance").join(name);
    RootFile::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn read_rntuple(file: &RootFile, name: &str, fields: &[&str]) -> RecordBatch {
    let nt = file.rntuple(name).unwrap();
    let sel = nt.select_supported(fields).unwrap();
    nt.read(&sel, 0..nt.entries()).unwrap()
}

#[test]
fn projected_fields_read_their_sources_and_cardinalities_count_them() {
    // CMS NanoAOD through ROOT's RNTupleImporter: `Muon_pt` projects `_collectionK.Muon_pt`,
    // `nMuon` is the cardinality of the same collection.
    let file = corpus("cmsopendata2015_ttbar_19980_NANOAOD_RNTupleImporter_rntuple_v1-0-0-1.root");
    let nt = file.rntuple("Events").unwrap();
    let source = nt
        .fields()
        .iter()
        .find(|f| f.name.starts_with("_collection") && f.name.ends_with(".Muon_pt"))
        .map(|f| f.name.clone())
        .expect("the importer's source field");
    let count = nt.fields().iter().find(|f| f.name == "nMuon").unwrap();
    assert_eq!(count.type_name, "ROOT::RNTupleCardinality<std::uint32_t>");
    let batch = read_rntuple(&file, "Events", &["Muon_pt", source.as_str(), "nMuon"]);
    let (projected, physical) = (batch.column(0), batch.column(1));
    assert_eq!(projected.to_data(), physical.to_data(), "Muon_pt is {source}");
    let lists = projected.as_list::<i64>();
    let sizes: Vec<u32> = (0..lists.len()).map(|i| lists.value_length(i) as u32).collect();
    assert_eq!(batch.column(2).as_primitive::<UInt32Type>().values().to_vec(), sizes);
    assert!(sizes.iter().any(|&n| n > 0), "some events have muons");
    let floats = lists.values().as_primitive::<Float32Type>();
    assert!(floats.values().iter().all(|pt| pt.is_finite() && *pt > 0.0));

    // A cardinality spanning clusters restarts its offsets in each: 1000 events in several.
    let file = corpus("Run2012BC_DoubleMuParked_Muons_1000evts_rntuple_v1-0-0-0.root");
    let batch = read_rntuple(&file, "Events", &["nMuon", "Muon_pt"]);
    let lists = batch.column(1).as_list::<i64>();
    let counts = batch.column(0).as_primitive::<UInt32Type>();
    assert_eq!(counts.len(), 1000);
    assert!((0..1000).all(|i| counts.value(i) as usize == lists.value_length(i) as usize));
}

#[test]
fn a_two_dimensional_c_array_keeps_its_rows() {
    let file = corpus("uproot-issue-74.root");
    let tree = file.tree("arrays").unwrap();
    let b = tree.branches().iter().find(|b| b.name == "2x3Mat").unwrap();
    let ty = b.column.as_ref().unwrap();
    assert_eq!(ty.layout, Layout::Matrix { rows: 2, cols: 3 });
    assert_eq!(ty.cpp_name(), "double[2][3]");
    let sel = tree.select(&["2x3Mat"]).unwrap();
    let batch = tree.read(&sel, 0..tree.entries()).unwrap();
    let col = batch.column(0);
    let DataType::FixedSizeList(row, 2) = col.data_type() else { panic!("{}", col.data_type()) };
    assert!(matches!(row.data_type(), DataType::FixedSizeList(v, 3) if v.data_type() == &DataType::Float64));
    // Row after row: the flat values are the entry's six doubles in the file's order.
    let flat = col.as_fixed_size_list().values().as_fixed_size_list().values().as_primitive::<Float64Type>().len();
    assert_eq!(flat, 6 * tree.entries() as usize);
}

#[test]
fn tobject_bits_read_as_unsigned_ints() {
    let file = corpus("uproot-issue31.root");
    let tree = file.tree("T").unwrap();
    let bits: Vec<_> = tree.branches().iter().filter(|b| b.name.ends_with("fBits")).collect();
    assert!(!bits.is_empty());
    for b in bits {
        let ty = b.column.as_ref().unwrap_or_else(|e| panic!("{}: {e}", b.path));
        assert_eq!(ty.data_type(), DataType::UInt32, "{}", b.path);
    }
}
