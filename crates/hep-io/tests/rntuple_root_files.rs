//! RNTuples written by ROOT itself (scikit-hep-testdata, `tests/data/skhep/`), checked against
//! the values their ROOT macros (`dev/make-root/rntuple_*.C` of scikit-hep-testdata) wrote: the
//! lossy `Real32Trunc` and `Real32Quant` columns (through `float-bits`' transcriptions of ROOT's
//! encoders applied to the macro's inputs), a field switching between `Real32` and `Real16`
//! representations, bit-packed booleans, split zig-zag integers at their extremes, delta-encoded
//! index columns over many clusters and cluster groups, fields added by late model extension,
//! 100 million entries in a 1.7 kB file, and records (nested, inside vectors and arrays,
//! `std::pair` / `std::tuple`) flattened to one column per leaf.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Int16Type, Int32Type, Int64Type};
use arrow_array::{Array, RecordBatch};
use float_bits::{RntupleQuant, TowardZero};
use hep_io::RootFile;

/// The RNTuple `ntuple` of `tests/data/skhep/<file>`.
fn ntuple(file: &str) -> hep_io::RNTuple {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/skhep").join(file);
    let f = RootFile::open(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    f.rntuple("ntuple").unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn read_all(file: &str) -> RecordBatch {
    let nt = ntuple(file);
    let sel = nt.select_supported(&["*"]).unwrap();
    assert!(sel.skipped().is_empty(), "{file}: skipped {:?}", sel.skipped());
    nt.read(&sel, 0..nt.entries()).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The scheme a column's Arrow field records.
fn scheme(b: &RecordBatch, name: &str) -> Option<float_bits::Scheme> {
    hep_io::scheme_of(b.schema().field_with_name(name).unwrap()).unwrap()
}

fn f32s(b: &RecordBatch, name: &str) -> Vec<f32> {
    b.column_by_name(name).unwrap_or_else(|| panic!("no {name}")).as_primitive::<Float32Type>().values().to_vec()
}

/// `rntuple_float_types.C`: four values through `Real32Trunc` (10, 16, 24, 31 bits) and
/// `Real32Quant` in `[-2, 3]` (1, 8, 16, 20, 24, 25, 32 bits).
#[test]
fn lossy_float_columns_written_by_root() {
    let b = read_all("test_float_types_rntuple_v1-0-0-0.root");
    assert_eq!(b.num_rows(), 4);
    let trunc_in = [1.234_567_9f32, 1.466_015_5e13, -6.287_598_6e-22, -1.906_066_8];
    let quant_in = [1.234_567_9f32, 1.666_666_6, -6.287_598_6e-22, -1.906_066_8];
    // The macro's comments give the bit patterns of its inputs.
    let patterns = [0b0011_1111_1001_1110_0000_0110_0101_0010u32, 0b0101_0101_0101_0101_0101_0101_0101_0101];
    assert_eq!([trunc_in[0].to_bits(), trunc_in[1].to_bits()], patterns);
    for n in [10, 16, 24, 31] {
        let s = TowardZero::from_rntuple_bits(n).unwrap();
        let expected: Vec<u32> = trunc_in.iter().map(|&x| s.compress(x).to_bits()).collect();
        let got: Vec<u32> = f32s(&b, &format!("trunc{n}")).iter().map(|x| x.to_bits()).collect();
        assert_eq!(got, expected, "trunc{n}");
        assert_eq!(scheme(&b, &format!("trunc{n}")), Some(s.into()), "trunc{n}");
    }
    for n in [1, 8, 16, 20, 24, 25, 32] {
        let s = RntupleQuant::new(-2.0, 3.0, n).unwrap();
        let expected: Vec<u32> = quant_in.iter().map(|&x| s.compress(x).unwrap().to_bits()).collect();
        let got: Vec<u32> = f32s(&b, &format!("quant{n}")).iter().map(|x| x.to_bits()).collect();
        assert_eq!(got, expected, "quant{n}");
        assert_eq!(scheme(&b, &format!("quant{n}")), Some(s.into()), "quant{n}");
    }
}

/// `rntuple_multiple_representations.C`: `real` is 1.0 as `Real32`, 2.0 as `Real16`, 3.0 as
/// `Real32` again, one cluster each.
#[test]
fn a_field_switching_between_real32_and_real16() {
    let shown = ntuple("test_multiple_representations_rntuple_v1-0-0-0.root").show();
    assert!(shown.contains("Real32") && shown.contains("Real16"), "{shown}");
    let b = read_all("test_multiple_representations_rntuple_v1-0-0-0.root");
    assert_eq!(f32s(&b, "real"), [1.0, 2.0, 3.0]);
    // Two representations, one of them lossless: the column as a whole has no single scheme.
    assert_eq!(scheme(&b, "real"), None);
}

/// `rntuple_bit.C`: ten booleans, bit-packed.
#[test]
fn bit_packed_booleans() {
    let b = read_all("test_bit_rntuple_v1-0-0-0.root");
    let bits: Vec<bool> = b.column_by_name("one_bit").unwrap().as_boolean().iter().map(Option::unwrap).collect();
    assert_eq!(bits, [true, false, false, true, false, false, true, false, false, true]);
}

/// `rntuple_splitint.C`: split zig-zag integers at 0, ±1, ±2^(N-2) and the extremes (the
/// values that expose sign-flip bugs).
#[test]
fn split_zigzag_integers_at_their_extremes() {
    let b = read_all("test_splitint_rntuple_v1-0-1-0.root");
    let c = b.column_by_name("int16").unwrap().as_primitive::<Int16Type>();
    assert_eq!(c.values().to_vec(), [0, 1, -1, 1 << 14, -(1 << 14), i16::MAX, i16::MIN]);
    let c = b.column_by_name("int32").unwrap().as_primitive::<Int32Type>();
    assert_eq!(c.values().to_vec(), [0, 1, -1, 1 << 30, -(1 << 30), i32::MAX, i32::MIN]);
    let c = b.column_by_name("int64").unwrap().as_primitive::<Int64Type>();
    assert_eq!(c.values().to_vec(), [0, 1, -1, 1 << 62, -(1 << 62), i64::MAX, i64::MIN]);
}

/// The lists of a `std::vector<int16_t>` column as plain vectors.
fn i16_lists(b: &RecordBatch, name: &str) -> Vec<Vec<i16>> {
    let l = b.column_by_name(name).unwrap().as_list::<i64>();
    (0..l.len()).map(|i| l.value(i).as_primitive::<Int16Type>().values().to_vec()).collect()
}

/// `rntuple_index_multicluster.C`: `int_vector = [i, i + j]` over 200 entries in clusters of
/// about 1 kB (the offsets restart in each cluster).
#[test]
fn index_columns_across_many_clusters() {
    let b = read_all("test_index_multicluster_rntuple_v1-0-0-0.root");
    let expected: Vec<Vec<i16>> = (0..2).flat_map(|j| (0..100).map(move |i| vec![i, i + j])).collect();
    assert_eq!(i16_lists(&b, "int_vector"), expected);
}

/// `rntuple_multiple_cluster_groups.C`: 1000 entries in clusters of 100 and three cluster
/// groups.
#[test]
fn several_cluster_groups() {
    let b = read_all("test_multiple_cluster_groups_rntuple_v1-0-0-0.root");
    assert_eq!(
        b.column_by_name("one").unwrap().as_primitive::<Int32Type>().values().to_vec(),
        (0..1000).collect::<Vec<i32>>()
    );
    let expected: Vec<Vec<i16>> = (0..1000).map(|i| vec![i, i + 1]).collect();
    assert_eq!(i16_lists(&b, "int_vector"), expected);
}

/// `rntuple_extension_columns.C`: `float_field` is added after 200 entries and `intvec_field`
/// after 400; before that they read as their default values (0 and an empty list).
#[test]
fn fields_added_by_late_model_extension() {
    let b = read_all("test_extension_columns_rntuple_v1-0-0-0.root");
    assert_eq!(b.num_rows(), 600);
    let ints = b.column_by_name("int_field").unwrap().as_primitive::<Int32Type>().values().to_vec();
    assert_eq!(ints, (0..600).map(|i| i % 200).collect::<Vec<i32>>());
    let floats = f32s(&b, "float_field");
    let expected: Vec<f32> = (0..600).map(|i| if i < 200 { 0.0 } else { (i % 200) as f32 + 0.5 }).collect();
    assert_eq!(floats, expected);
    let l = b.column_by_name("intvec_field").unwrap().as_list::<i64>();
    for i in 0..600 {
        let v = l.value(i).as_primitive::<Int32Type>().values().to_vec();
        let k = (i % 200) as i32;
        assert_eq!(v, if i < 400 { vec![] } else { vec![k, k + 1] }, "entry {i}");
    }
}

/// `rntuple_int_multicluster.C`: 100 000 000 entries of an `int16_t` (2 for the first half, 1
/// for the second), read at the ends and across the change.
#[test]
fn a_hundred_million_entries_read_where_asked() {
    let nt = ntuple("test_int_multicluster_rntuple_v1-0-0-0.root");
    assert_eq!(nt.entries(), 100_000_000);
    let sel = nt.select_supported(&["one_integers"]).unwrap();
    for (range, expected) in
        [(0..5, vec![2i16; 5]), (49_999_998..50_000_002, vec![2, 2, 1, 1]), (99_999_995..100_000_000, vec![1; 5])]
    {
        let b = nt.read(&sel, range.clone()).unwrap();
        assert_eq!(b.column(0).as_primitive::<Int16Type>().values().to_vec(), expected, "{range:?}");
    }
}

/// `rntuple_nested_structs.C`: a record of a record of a record, flattened to one column per
/// leaf named by its path (as uproot names them), a vector among them.
#[test]
fn nested_records_flatten_to_one_column_per_leaf() {
    let b = read_all("test_nested_structs_rntuple_v1-0-0-0.root");
    let schema = b.schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "my_struct.i",
            "my_struct.sub_struct.i",
            "my_struct.sub_struct.sub_sub_struct.i",
            "my_struct.sub_struct.sub_sub_struct.v"
        ]
    );
    for (k, name) in names[..3].iter().enumerate() {
        let got = b.column_by_name(name).unwrap().as_primitive::<Int32Type>().values().to_vec();
        assert_eq!(got, (0..10).map(|i| i + k as i32).collect::<Vec<_>>(), "{name}");
    }
    let v = b.column_by_name(names[3]).unwrap().as_list::<i64>();
    for i in 0..10 {
        assert_eq!(v.value(i).as_primitive::<Int32Type>().values().to_vec(), [i as i32, i as i32 + 1]);
    }
}

/// `rntuple_stl_containers.C`: records and the records of tuples and pairs flatten, also inside
/// a `std::vector` and a `std::array`; strings and variants are listed as skipped, with why.
#[test]
fn records_inside_vectors_and_arrays_flatten_and_the_rest_says_why_not() {
    let nt = ntuple("test_stl_containers_rntuple_v1-0-0-0.root");
    let sel = nt.select_supported(&["*"]).unwrap();
    let skipped: Vec<&str> = sel.skipped().iter().map(String::as_str).collect();
    assert_eq!(
        skipped,
        [
            "string",
            "vector_string",
            "vector_vector_string",
            "variant_int32_string",
            "vector_variant_int64_string",
            "tuple_int32_string.1",
            "pair_int32_string.1",
            "vector_tuple_int32_string.1"
        ]
    );
    let b = nt.read(&sel, 0..5).unwrap();
    for e in 0..5usize {
        let x = (e + 1) as f32;
        for m in ["pt", "eta", "phi", "mass"] {
            assert_eq!(f32s(&b, &format!("lorentz_vector.{m}"))[e], x);
            let a = b.column_by_name(&format!("array_lv.{m}")).unwrap().as_fixed_size_list();
            assert_eq!(a.value(e).as_primitive::<Float32Type>().values().to_vec(), [x; 3]);
        }
        for name in ["tuple_int32_string.0", "pair_int32_string.0"] {
            assert_eq!(b.column_by_name(name).unwrap().as_primitive::<Int32Type>().value(e), e as i32 + 1);
        }
        let l = b.column_by_name("vector_tuple_int32_string.0").unwrap().as_list::<i64>();
        assert_eq!(l.value(e).as_primitive::<Int32Type>().values().to_vec(), (1..=e as i32 + 1).collect::<Vec<_>>());
    }
}
