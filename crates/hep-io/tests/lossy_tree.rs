//! ROOT's lossy TTree types, `Float16_t` and `Double32_t`, in two ROOT-written files of
//! scikit-hep-testdata (`tests/data/skhep/`):
//! - `uproot-demo-double32.root`, ROOT's `double32.C` tutorial: 40 000 entries of a class whose
//!   `Double32_t` members hold the same random number as its full-precision `double` member
//!   `fD64`, packed in range mode `//[-pi,pi,n]` (n = 2 … 32), mantissa mode `//[0,0,k]`
//!   (k = 2 … 14) and as a `float`. The original is in the file, so each member must be exactly
//!   what `float-bits`' transcription of ROOT's writer makes of `fD64`.
//! - `uproot-double32-float16.root` (`dev/make-root/double32_float16.C`): leaf branches
//!   `x/d[-2.71,10,n]` and `x/f[-2.71,10,n]`, scalars and fixed arrays, filled with the 17 values
//!   the macro lists.
//!
//! Both are also checked against `scripts/make_lossy_tree_fixture.py`, a numpy transcription of
//! ROOT's reading side (uproot's own range-mode decode differs from ROOT's in the last bits).
//!
//! A third file, `tests/data/root/lossy-vectors.root`, was written by ROOT 6.40 itself
//! (`scripts/make_lossy_vectors.py`): `std::vector<Double32_t>` and `std::vector<Float16_t>`,
//! as whole branches, split-object members (with range comments ROOT does not apply to
//! collection elements), members of a split collection, and a vector of vectors. Its oracles are
//! ROOT's own reading of the file and `float-bits`' reference applied to the doubles the script
//! filled in.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::{Array, LargeListArray, RecordBatch};
use float_bits::{Scheme, reference};
use hep_io::{Packing, RootFile};

mod common;

fn read_all(file: &str, tree: &str) -> (hep_io::Tree, RecordBatch) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/skhep").join(file);
    let f = RootFile::open(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let t = f.tree(tree).unwrap_or_else(|e| panic!("{file}: {e}"));
    let sel = t.select_readable(&["*"]).unwrap();
    let batch = t.read(&sel, 0..t.entries()).unwrap_or_else(|e| panic!("{file}: {e}"));
    (t, batch)
}

fn f64s(a: &dyn Array) -> Vec<f64> {
    a.as_primitive::<Float64Type>().values().to_vec()
}

/// The scheme a column's field metadata names.
fn scheme(b: &RecordBatch, name: &str) -> Scheme {
    let field = b.schema().field_with_name(name).unwrap().clone();
    hep_io::scheme_of(&field).unwrap().unwrap_or_else(|| panic!("{name} has no scheme"))
}

#[test]
fn double32_members_are_what_root_wrote_from_the_full_precision_member() {
    let (tree, b) = read_all("uproot-demo-double32.root", "T");
    assert_eq!(b.num_rows(), 40_000);
    let original = f64s(b.column_by_name("d/fD64").unwrap());
    let pi = std::f64::consts::PI;
    let mut checked = 0;
    for field in b.schema().fields() {
        let name = field.name().as_str();
        let Some(member) = name.strip_prefix("d/f") else { continue };
        let values = f64s(b.column_by_name(name).unwrap());
        let bits: u32 = member[1..].parse().unwrap_or(0);
        let (want, expected_scheme): (Vec<f64>, Scheme) = match &member[..1] {
            "D" => continue,
            "F" => (original.iter().map(|&x| f64::from(x as f32)).collect(), Scheme::nearest_even(23).unwrap()),
            "I" => (
                original.iter().map(|&x| reference::root_range(x, -pi, pi, bits)).collect(),
                Scheme::root_range(-pi, pi, bits).unwrap(),
            ),
            "R" => (
                original.iter().map(|&x| reference::root_float16(x, bits)).collect(),
                Scheme::root_float16(bits).unwrap(),
            ),
            _ => panic!("{name}"),
        };
        let differ = values.iter().zip(&want).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
        assert_eq!(differ, 0, "{name}: {differ} of {} values differ from ROOT's writer applied to fD64", values.len());
        assert_eq!(scheme(&b, name), expected_scheme, "{name}");
        assert_eq!(tree.branch(name).unwrap().type_name, "Double32_t", "{name}");
        // The scheme's own fast path agrees: each value is the scheme's output for fD64.
        let mut fast = original.clone();
        expected_scheme.compress_in_place(&mut fast).unwrap();
        assert!(fast.iter().zip(&values).all(|(a, b)| a.to_bits() == b.to_bits()), "{name}");
        checked += 1;
    }
    assert_eq!(checked, 24, "fF32, 16 range members and 7 mantissa members");
    let b = tree.branch("d/fI30").unwrap();
    assert_eq!(b.packing, Some(Packing::Range { min: -pi, max: pi, bits: 30 }));
}

#[test]
fn float16_and_double32_leaves_are_what_root_wrote_from_the_macro_values() {
    let (tree, b) = read_all("uproot-double32-float16.root", "tree");
    let inputs = [-2.0, -1.5, -1.0, -0.5, -0.1, 0.0, 0.1, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    assert_eq!(b.num_rows(), inputs.len());
    assert_eq!(b.num_columns(), 12, "every branch is read");
    for field in b.schema().fields() {
        let name = field.name().as_str();
        let bits: u32 = name.rsplit('_').next().unwrap().parse().unwrap();
        let column = b.column_by_name(name).unwrap();
        let (array, per_entry) = match column.as_fixed_size_list_opt() {
            Some(l) => (l.values().clone(), l.value_length() as usize),
            None => (column.clone(), 1),
        };
        let s = Scheme::root_range(-2.71, 10.0, bits).unwrap();
        assert_eq!(scheme(&b, name), s, "{name}");
        // The macro's chained assignment ends in a `float` (`… = array_10[2] = -0.1`), so every
        // branch, `double` ones included, is filled with the `float` nearest each value.
        let (got, want): (Vec<u64>, Vec<u64>) = if name.starts_with("double32") || name == "array_30" {
            let want = inputs
                .iter()
                .flat_map(|&x| vec![reference::root_range(f64::from(x as f32), -2.71, 10.0, bits); per_entry]);
            (f64s(&array).iter().map(|v| v.to_bits()).collect(), want.map(f64::to_bits).collect())
        } else {
            let got = array.as_primitive::<Float32Type>().values().iter().map(|v| u64::from(v.to_bits())).collect();
            let want = inputs.iter().flat_map(|&x| vec![reference::root_range(x as f32, -2.71, 10.0, bits); per_entry]);
            (got, want.map(|v| u64::from(v.to_bits())).collect())
        };
        assert_eq!(got, want, "{name}");
    }
    assert_eq!(tree.branch("array_10").unwrap().type_name, "Float16_t[3]");
    assert_eq!(tree.branch("double32_5").unwrap().type_name, "Double32_t");
}

#[test]
fn lossy_columns_match_the_numpy_transcription_of_roots_reader() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!("fixtures/lossy_tree.json")).unwrap();
    let fixture = fixture.as_object().unwrap();
    assert_eq!(fixture.len(), 36);
    let demo = read_all("uproot-demo-double32.root", "T").1;
    let leaves = read_all("uproot-double32-float16.root", "tree").1;
    let mut bad = Vec::new();
    for (key, want) in fixture {
        let (file, column) = key.split_once(':').unwrap();
        let batch = if file == "uproot-demo-double32.root" { &demo } else { &leaves };
        let column = batch.column_by_name(column).unwrap();
        if common::column_checksums(column.as_ref()) != common::fixture_checksums(want) {
            bad.push(key.clone());
        }
    }
    assert!(bad.is_empty(), "{} columns differ: {bad:?}", bad.len());
}

/// `lossy-vectors.root`, read whole, and its fixture.
fn lossy_vectors() -> (hep_io::Tree, RecordBatch, serde_json::Value) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/root/lossy-vectors.root");
    let f = RootFile::open(&path).unwrap();
    let t = f.tree("t").unwrap();
    let sel = t.select_readable(&["*"]).unwrap();
    let batch = t.read(&sel, 0..t.entries()).unwrap();
    let fixture = serde_json::from_str(include_str!("fixtures/lossy_vectors.json")).unwrap();
    (t, batch, fixture)
}

/// A float column as nested lists of the values' big-endian bit patterns in hex, one list per
/// entry, as the fixture spells them.
fn hex_entries(a: &dyn Array) -> Vec<serde_json::Value> {
    use serde_json::Value;
    if let Some(list) = a.as_any().downcast_ref::<LargeListArray>() {
        let inner = hex_entries(list.values().as_ref());
        let offsets = list.value_offsets();
        return offsets.windows(2).map(|w| Value::Array(inner[w[0] as usize..w[1] as usize].to_vec())).collect();
    }
    match a.data_type() {
        arrow_schema::DataType::Float64 => {
            f64s(a).iter().map(|v| Value::String(format!("{:016x}", v.to_bits()))).collect()
        }
        arrow_schema::DataType::Float32 => a
            .as_primitive::<Float32Type>()
            .values()
            .iter()
            .map(|v| Value::String(format!("{:08x}", v.to_bits())))
            .collect(),
        t => panic!("not a float column: {t}"),
    }
}

#[test]
fn vectors_of_double32_and_float16_read_as_root_reads_them() {
    let (tree, b, fixture) = lossy_vectors();
    let branches = fixture["branches"].as_object().unwrap();
    assert_eq!(b.num_rows() as u64, fixture["entries"].as_u64().unwrap());
    assert_eq!(branches.len(), 10);
    for (name, want) in branches {
        let column = b.column_by_name(name).unwrap_or_else(|| panic!("{name} is not read"));
        let got = hex_entries(column.as_ref());
        let want = want.as_array().unwrap();
        let first = (0..want.len()).find(|&e| got[e] != want[e]);
        assert!(
            first.is_none(),
            "{name}: entry {first:?} is {:?}, ROOT reads {:?}",
            first.map(|e| &got[e]),
            first.map(|e| &want[e])
        );
    }
    // Every element has its type's default packing, whatever its member's comment says.
    let types = [
        ("v", "std::vector<Double32_t>", "NearestEven{k=23}"),
        ("event/ranged", "std::vector<Double32_t>", "NearestEven{k=23}"),
        ("h", "std::vector<Float16_t>", "RootFloat16{k=12}"),
        ("event/half8", "std::vector<Float16_t>", "RootFloat16{k=12}"),
        ("vv", "std::vector<std::vector<Double32_t>>", "NearestEven{k=23}"),
        ("event/hits/hits.samples", "std::vector<Double32_t>[]", "NearestEven{k=23}"),
        ("event/hits/hits.times", "std::vector<Float16_t>[]", "RootFloat16{k=12}"),
    ];
    for (name, cpp, s) in types {
        assert_eq!(tree.branch(name).unwrap().type_name, cpp, "{name}");
        assert_eq!(scheme(&b, name).to_string(), s, "{name}");
    }
}

#[test]
fn vectors_of_double32_and_float16_are_their_types_packing_of_the_values_filled_in() {
    let (_, b, fixture) = lossy_vectors();
    let originals: Vec<Vec<f64>> = fixture["originals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let e = e.as_array().unwrap();
            e.iter().map(|x| f64::from_bits(u64::from_str_radix(x.as_str().unwrap(), 16).unwrap())).collect()
        })
        .collect();
    // `Double32_t` elements: the C++ cast to `float`. `Float16_t` elements: the `float` the
    // vector holds, packed with 12 mantissa bits by ROOT's writer.
    let as_double32 = |x: f64| format!("{:016x}", f64::from(x as f32).to_bits());
    let as_float16 = |x: f64| format!("{:08x}", reference::root_float16(x as f32, 12).to_bits());
    let columns: [(&str, &dyn Fn(f64) -> String); 6] = [
        ("v", &as_double32),
        ("event/plain", &as_double32),
        ("event/ranged", &as_double32),
        ("h", &as_float16),
        ("event/half", &as_float16),
        ("event/half8", &as_float16),
    ];
    for (name, pack) in columns {
        let got = hex_entries(b.column_by_name(name).unwrap().as_ref());
        for (e, xs) in originals.iter().enumerate() {
            let want: Vec<serde_json::Value> = xs.iter().map(|&x| serde_json::Value::String(pack(x))).collect();
            assert_eq!(got[e], serde_json::Value::Array(want), "{name}, entry {e}");
        }
    }
    // `vv`: inner vector k of an entry holds its values from the k-th on (none past the end).
    let vv = hex_entries(b.column_by_name("vv").unwrap().as_ref());
    for (e, xs) in originals.iter().enumerate() {
        for (k, inner) in vv[e].as_array().unwrap().iter().enumerate() {
            let want: Vec<serde_json::Value> =
                xs.get(k..).unwrap_or(&[]).iter().map(|&x| serde_json::Value::String(as_double32(x))).collect();
            assert_eq!(inner, &serde_json::Value::Array(want), "vv, entry {e}, vector {k}");
        }
    }
}
