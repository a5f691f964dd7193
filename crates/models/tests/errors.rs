//! Every way a call can be wrong is a typed error naming what it concerns (column, group, setting,
//! parsed text) and keeping its source: matched here variant by variant through the public API.

use std::error::Error as _;
use std::sync::Arc;

use arrow_array::{Float32Array, Int32Array, RecordBatch};
use float_bits::Scheme;
use models::batch::{Upsampler, compress_batch, with_float_values};
use models::{Error, Estimate, FitOptions, Group, Kind, Method, Model, Relation, Rule};

fn scheme() -> Scheme {
    Scheme::atlas(7).unwrap()
}

#[test]
fn parse_errors_name_the_text_and_what_it_may_be() {
    let e = "maen".parse::<Estimate>().unwrap_err();
    assert!(matches!(&e, Error::Parse { what: "estimate", input, .. } if input == "maen"), "{e}");
    let e = "sum_to_two".parse::<Relation>().unwrap_err();
    assert!(matches!(&e, Error::Parse { what: "relation", input, .. } if input == "sum_to_two"), "{e}");
    let e = "flows".parse::<Kind>().unwrap_err();
    assert!(matches!(&e, Error::Parse { what: "model", expected, .. } if expected.contains("flow")), "{e}");
    let e = "lattices".parse::<Method>().unwrap_err();
    assert!(
        matches!(&e, Error::Parse { what: "method", expected, .. } if expected.contains("lattice") && expected.contains("hybrid")),
        "{e}"
    );
    for rule in ["four_momentum", "sum_to_one:_pu,,_pb"] {
        let e = rule.parse::<Rule>().unwrap_err();
        assert!(matches!(&e, Error::Parse { what: "rule", input, .. } if input == rule), "{e}");
    }
    // A rule with a good shape but a bad relation reports the relation.
    let e = "sum:_a,_b".parse::<Rule>().unwrap_err();
    assert!(matches!(e, Error::Parse { what: "relation", .. }), "{e}");
}

#[test]
fn groups_that_cannot_be_are_named() {
    let e = Group::new(Relation::FourMomentum, ["px", "py"]).unwrap_err();
    assert!(matches!(&e, Error::InvalidGroup { members, .. } if members == &["px", "py"]), "{e}");
    let e = Group::new(Relation::SumToOne, ["a", "a"]).unwrap_err();
    assert!(matches!(&e, Error::InvalidGroup { detail, .. } if detail.contains("\"a\" appears twice")), "{e}");
    let e = Group::new(Relation::SumToOne, ["a", "b"]).unwrap().with_tolerance(f64::NAN).unwrap_err();
    assert!(matches!(e, Error::InvalidGroup { .. }), "{e}");

    let x = [0.25f32, 0.5, 0.75, 0.3];
    let cols: Vec<(&str, &[f32], &[f32])> = vec![("a", &x, &x)];
    let g = Group::new(Relation::SumToOne, ["a", "b"]).unwrap();
    let e = Model::fit_groups(scheme(), &cols, &[], std::slice::from_ref(&g), FitOptions::default()).unwrap_err();
    assert!(matches!(&e, Error::InvalidGroup { detail, .. } if detail.contains("\"b\" is not among")), "{e}");
    let h = Group::new(Relation::SumToOne, ["b", "a"]).unwrap();
    let both: Vec<(&str, &[f32], &[f32])> = vec![("a", &x, &x), ("b", &x, &x)];
    let e = Model::fit_groups(scheme(), &both, &[], &[g, h], FitOptions::default()).unwrap_err();
    assert!(matches!(e, Error::InvalidGroup { .. }), "{e}");
}

#[test]
fn settings_out_of_their_domain_are_named() {
    let x: Vec<f32> = (0..64).map(|i| 1.0 + i as f32 / 64.0).collect();
    let cols: Vec<(&str, &[f32], &[f32])> = vec![("x", &x[..32], &x[32..])];
    for (opts, setting) in [
        (FitOptions { histogram_bins: 0, ..Default::default() }, "histogram bins"),
        (FitOptions { min_atom_count: 0, ..Default::default() }, "atom min_count"),
    ] {
        let e = Model::fit(scheme(), &cols, opts).unwrap_err();
        let found = std::iter::successors(Some(&e), |e| match e {
            Error::Column { source, .. } => Some(source),
            _ => None,
        })
        .any(|e| matches!(e, Error::InvalidSetting { setting: s, .. } if *s == setting));
        assert!(found, "{setting}: {e}");
    }
}

#[test]
fn batch_errors_name_their_column_and_keep_their_source() {
    let x: Vec<f32> = (0..400).map(|i| 0.998 + 0.0098 * (i as f32 * 0.618).fract()).collect();
    let m = Model::fit(scheme(), &[("x", &x[..200], &x[200..])], FitOptions::default()).unwrap();
    // A column the model knows, of a type that holds no floats.
    let batch = RecordBatch::try_from_iter([("x", Arc::new(Int32Array::from(vec![1, 2])) as _)]).unwrap();
    let e = Upsampler::new(&m, Estimate::Mean, 0).upsample(&batch).unwrap_err();
    assert_eq!(e.column(), Some("x"), "{e}");
    assert!(matches!(&e, Error::Column { source, .. } if matches!(**source, Error::NotFloat { .. })), "{e}");
    assert!(e.source().is_some_and(|s| s.to_string().contains("Int32")), "{e}");

    // Too few or too many values for the column's float slots.
    let a = Float32Array::from(vec![Some(1.0), None, Some(3.0)]);
    for values in [&[1.0f32][..], &[1.0, 2.0, 3.0]] {
        let e = with_float_values(&a, values).unwrap_err();
        assert!(matches!(e, Error::LengthMismatch { left, right: 2, .. } if left == values.len()), "{e}");
    }
    let e = with_float_values(&Int32Array::from(vec![1]), &[]).unwrap_err();
    assert!(matches!(e, Error::NotFloat { .. }), "{e}");

    // A value the scheme rejects (RNTuple's Real32Quant does not clamp) names its column.
    let quant = Scheme::rntuple_quant(0.0, 1.0, 8).unwrap();
    let batch = RecordBatch::try_from_iter([("r", Arc::new(Float32Array::from(vec![0.5f32, 7.0])) as _)]).unwrap();
    let e = compress_batch(&quant, &batch, &[] as &[&str]).unwrap_err();
    assert_eq!(e.column(), Some("r"), "{e}");
    assert!(
        matches!(&e, Error::Column { source, .. } if matches!(**source, Error::Scheme(float_bits::Error::OutOfRange { index: 1, .. }))),
        "{e}"
    );
    assert!(e.source().is_some(), "{e}");
}

#[test]
fn missing_and_needed_context_are_named() {
    let x = [0.25f32, 0.5, 0.75, 0.3];
    let g = Group::new(Relation::SumToOne, ["a", "b"]).unwrap();
    let cols: Vec<(&str, &[f32], &[f32])> = vec![("a", &x, &x), ("b", &x, &x)];
    let opts = FitOptions { force: Some(Method::Constraint), ..Default::default() };
    let m = Model::fit_groups(scheme(), &cols, &[], &[g], opts).unwrap();
    let batch = RecordBatch::try_from_iter([("a", Arc::new(Float32Array::from(x.to_vec())) as _)]).unwrap();
    let e = Upsampler::new(&m, Estimate::Mean, 0).upsample(&batch).unwrap_err();
    assert!(
        matches!(&e, Error::MissingColumn { column, needed_by } if column == "b" && needed_by.contains("sum_to_one")),
        "{e}"
    );
    assert_eq!(e.column(), Some("b"));
}

#[test]
fn in_column_wraps_once() {
    let e = Error::NotFloat { data_type: arrow_schema::DataType::Utf8 }.in_column("a").in_column("b");
    assert_eq!(e.column(), Some("a"));
    assert!(matches!(&e, Error::Column { source, .. } if matches!(**source, Error::NotFloat { .. })));
    let e = Error::UnknownColumn("c".into()).in_column("d");
    assert!(matches!(e, Error::UnknownColumn(c) if c == "c"));
}
