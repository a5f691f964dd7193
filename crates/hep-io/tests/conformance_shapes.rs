//! Shapes the conformance corpus (`test-data/conformance/`, files of scikit-hep-testdata) brought
//! in, checked here against the file itself rather than another reader (`cargo xtask
//! conformance` compares every leaf with uproot): projected RNTuple fields read their source
//! field's columns, a cardinality is the size of each entry's collection, a C array `x[2][3]`
//! keeps its two dimensions, `TObject::fBits` reads as the `UInt_t` it is, `std::bitset` and
//! `std::atomic` read, members a diamond of bases brings twice are qualified, and a basket
//! header is found at the end of its key.

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

#[test]
fn bitsets_atomics_and_diamond_bases_read_under_uproots_names() {
    let file = corpus("test_atomic_bitset_rntuple_v1-0-0-0.root");
    let b = read_rntuple(&file, "ntuple", &["atomic_int", "bitset"]);
    assert_eq!(b.column(0).data_type(), &DataType::Int32); // std::atomic<std::int32_t>: its value
    let DataType::FixedSizeList(item, 42) = b.column(1).data_type() else { panic!("{}", b.column(1).data_type()) };
    assert_eq!(item.data_type(), &DataType::Boolean); // std::bitset<42>: 42 booleans an entry
    assert_eq!(b.column(1).len(), 3);

    // MultiGrandParent : Child, MultiParent, both deriving from BaseA: BaseA's members come
    // twice, qualified by the base they come through; everything else keeps its plain name.
    let file = corpus("test_class_inheritance_rntuple_v1-0-0-1.root");
    let nt = file.rntuple("rntpl").unwrap();
    let names: Vec<&str> = nt.fields().iter().map(|f| f.name.as_str()).collect();
    for via in ["Child", "MultiParent"] {
        assert!(names.contains(&format!("multi_grandparent.{via}::base_a1").as_str()), "{names:?}");
    }
    assert!(names.contains(&"multi_grandparent.base_b") && names.contains(&"multi_parent.base_a1"));
    let unique: std::collections::BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "no name twice: {names:?}");
}

#[test]
fn baskets_uproot_3_wrote_without_entry_offsets_read_like_their_twin_with_them() {
    // uproot 3 wrote a byte between the key's title and the basket header (read from the end
    // of the key), and variable-length baskets without entry offsets (sized by their count
    // leaf, `nMuon`); the twin file written with offsets holds the same values.
    let read = |name: &str| {
        let file = corpus(name);
        let tree = file.tree("tree").unwrap();
        let sel = tree.select(&["nJet", "nMuon", "Muon_pt", "Muon_charge", "MET_pt", "event"]).unwrap();
        tree.read(&sel, 0..tree.entries()).unwrap()
    };
    let (without, with) = (read("uproot-small-dy-nooffsets.root"), read("uproot-small-dy-withoffsets.root"));
    assert_eq!(without.num_rows(), 501);
    assert!(!without.column(2).as_list::<i64>().values().is_empty());
    assert_eq!(without, with);
}

#[test]
fn pointer_arrays_of_split_classes_follow_their_counter() {
    // `T* SliceT; //[N]`: entry i holds N = i % 10 copies of i (the file's writer).
    let file = corpus("uproot-small-evnt-tree-fullsplit.root");
    let tree = file.tree("tree").unwrap();
    let sel = tree.select(&["evt/N", "evt/SliceF64", "evt/SliceI16", "evt/SliceU64"]).unwrap();
    let b = tree.read(&sel, 0..tree.entries()).unwrap();
    let n = b.column(0).as_primitive::<arrow_array::types::Int32Type>();
    for c in 1..4 {
        let l = b.column(c).as_list::<i64>();
        for e in 0..b.num_rows() {
            assert_eq!(l.value_length(e), i64::from(n.value(e)), "column {c} entry {e}");
        }
    }
    let f = b.column(1).as_list::<i64>();
    for e in 0..b.num_rows() {
        let v = f.value(e);
        assert!(v.as_primitive::<Float64Type>().values().iter().all(|&x| x == e as f64), "entry {e}");
    }
}

#[test]
fn sets_and_bitsets_read_as_the_vectors_they_are_streamed_as() {
    // The file's writer fills set_int32 and vector_int32 alike: entry i holds 1 … i + 1.
    let file = corpus("uproot-stl_containers.root");
    let tree = file.tree("tree").unwrap();
    let sel = tree.select(&["set_int32", "vector_int32", "vector_set_int32"]).unwrap();
    let b = tree.read(&sel, 0..tree.entries()).unwrap();
    assert_eq!(b.column(0).to_data(), b.column(1).to_data());
    let nested = b.column(2).as_list::<i64>();
    assert_eq!(nested.value_length(2), 3);
    // std::bitset<8>: eight booleans an entry, bit 0 first.
    let file = corpus("uproot-issue-40.root");
    let tree = file.tree("tree").unwrap();
    let b = tree.read(&tree.select(&["bitset8"]).unwrap(), 0..1).unwrap();
    let bits = b.column(0).as_list::<i64>().value(0);
    let bits: Vec<bool> = bits.as_boolean().iter().map(Option::unwrap).collect();
    assert_eq!(bits, [true, false, true, false, true, false, false, false]);
}

#[test]
fn a_delphes_tree_reads_whole_with_unique_paths_bits_and_arrays_of_objects() {
    let file = corpus("uproot-issue513.root");
    let tree = file.tree("Delphes").unwrap();
    // Delphes writes two branches named `Particle`: the second and its members get `#2`.
    let paths: Vec<&str> = tree.branches().iter().map(|b| b.path.as_str()).collect();
    let unique: std::collections::BTreeSet<&str> = paths.iter().copied().collect();
    assert_eq!(unique.len(), paths.len(), "branch paths are unique");
    assert!(paths.contains(&"Particle#2") && paths.contains(&"Particle#2/Particle.PT"), "{paths:?}");
    let sel = tree.select_readable(&["*"]).unwrap();
    assert!(sel.damaged().is_empty(), "{:?}", sel.damaged());
    let batch = tree.read(&sel, 0..tree.entries()).unwrap();
    let col = |name: &str| batch.column_by_name(name).unwrap_or_else(|| panic!("{name}")).clone();
    // `fBits` of referenced tracks carry a process-ID index: one value per track all the same.
    let tracks = col("Track/Track.fUniqueID");
    let bits = col("Track/Track.fBits");
    assert_eq!(bits.as_list::<i64>().value_offsets(), tracks.as_list::<i64>().value_offsets());
    let referenced = bits.as_list::<i64>().values().as_primitive::<UInt32Type>().values().iter();
    assert!(referenced.filter(|&&b| b & 0x10 != 0).count() > 0, "the sample has referenced tracks");
    // `Float_t Tau[5]` of each jet: a list of jets, each five values.
    assert_eq!(tree.branch("Jet/Jet.Tau[5]").unwrap().column.as_ref().unwrap().layout, Layout::JaggedArray(5));
    let tau = col("Jet/Jet.Tau[5]");
    let jets = col("Jet/Jet.PT");
    assert_eq!(tau.as_list::<i64>().value_offsets(), jets.as_list::<i64>().value_offsets());
    assert_eq!(tau.as_list::<i64>().values().as_fixed_size_list().value_length(), 5);
}

#[test]
fn baskets_kept_in_the_tree_record_read_and_short_branches_are_listed() {
    // Every basket of `Event/fXvtx` sits in the tree's own record, behind basket slots with no
    // position in the file: the branch reads all its entries.
    let file = corpus("uproot-issue232.root");
    let tree = file.tree("fTreeV0").unwrap();
    let b = tree.branch("Event/fXvtx").unwrap();
    assert!(b.column.is_ok(), "{:?}", b.column);
    let batch = tree.read(&tree.select(&["Event/fXvtx"]).unwrap(), 0..tree.entries()).unwrap();
    assert_eq!(batch.num_rows() as u64, tree.entries());
    // A branch with fewer entries than its tree is not a column, and says why.
    let file = corpus("uproot-issue327.root");
    let tree = file.tree("DstTree").unwrap();
    let short = tree.branch("Event/fT0start").unwrap();
    assert!(short.entries < tree.entries());
    let why = short.column.as_ref().unwrap_err().to_string();
    assert!(why.contains("of the tree's 98 entries"), "{why}");
    let sel = tree.select_supported(&["*"]).unwrap();
    assert!(sel.skipped().iter().any(|s| s == "Event/fT0start"));
    assert_eq!(tree.read(&sel, 0..tree.entries()).unwrap().num_rows(), 98);
}

#[test]
fn rvecs_read_as_vectors() {
    let file = corpus("uproot-issue-589.root");
    let tree = file.tree("events").unwrap();
    let rvec = tree.branches().iter().find(|b| b.type_name.contains("std::vector<float>")).expect("an RVec<float>");
    assert_eq!(rvec.column.as_ref().unwrap().layout, Layout::Vector);
    let sel = tree.select_supported(&["*"]).unwrap();
    assert!(sel.skipped().is_empty(), "{:?}", sel.skipped());
    tree.read(&sel, 0..tree.entries()).unwrap();
}

#[test]
fn vector_members_of_split_vectors_are_lists_of_lists() {
    // KM3NeT: `Evt.trks` is a split `std::vector<Trk>`; `fitinf` a `std::vector<double>` of
    // each track: per event a list of tracks, per track a list of values.
    let file = corpus("uproot-issue390.root");
    let tree = file.tree("E").unwrap();
    let b = tree.branch("Evt/trks/trks.fitinf").unwrap();
    assert_eq!(b.column.as_ref().unwrap().layout, Layout::JaggedVector);
    assert_eq!(b.type_name, "std::vector<double>[]");
    let sel = tree.select(&["Evt/trks/trks.fitinf", "Evt/trks/trks.id"]).unwrap();
    let batch = tree.read(&sel, 0..tree.entries()).unwrap();
    let (fitinf, ids) = (batch.column(0).as_list::<i64>(), batch.column(1).as_list::<i64>());
    assert_eq!(fitinf.value_offsets(), ids.value_offsets(), "one vector per track");
    assert_eq!(fitinf.values().as_list::<i64>().values().as_primitive::<Float64Type>().len(), 1696);
}

/// Branches of streamed objects whose writer stored no data (the `std::bitset` members
/// `Info.triggerBits` and every collection's `hltMatchBits`: 10 entries in 0 bytes, though the
/// electrons beside them hold values; uproot and ROOT 6.40 cannot read them either) are damaged
/// at selection: listed by `select_readable`, refused by `select_supported` with the name, so
/// that the tree's other branches read whole.
#[test]
fn a_branch_stored_without_data_is_damaged_and_the_rest_reads() {
    let file = corpus("uproot-mc10events.root");
    let tree = file.tree("Events").unwrap();
    let sel = tree.select_readable(&["*"]).unwrap();
    let damaged: Vec<&str> = sel.damaged().iter().map(|d| d.branch.as_str()).collect();
    assert_eq!(damaged.len(), 11, "{damaged:?}");
    assert!(damaged.iter().all(|d| *d == "Info/triggerBits" || d.ends_with(".hltMatchBits")), "{damaged:?}");
    for d in sel.damaged() {
        let b = tree.branch(&d.branch).unwrap();
        assert!(b.type_name.contains("bool"), "{}: {}", d.branch, b.type_name);
        assert!(d.detail.contains("stored no data"), "{d}");
    }
    // Beside them, the electrons hold values: the check is not fooled by empty collections.
    let electrons = tree.read(&tree.select(&["Electron/Electron.pt"]).unwrap(), 0..10).unwrap();
    assert!(electrons.column(0).as_list::<i64>().values().len() > 5);
    let batch = tree.read(&sel, 0..tree.entries()).unwrap();
    assert_eq!((batch.num_rows(), batch.num_columns()), (10, sel.columns().len()));
    let e = tree.select_supported(&["Info/*"]).unwrap_err().to_string();
    assert!(e.contains("Info/triggerBits") && e.contains("select_readable"), "{e}");
}
