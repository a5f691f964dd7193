//! Model files are input. Real fitted models (every prior, a relation group, every neural kind, container networks)
//! are damaged in hundreds of ways — most of them valid JSON of a valid format version that
//! breaks one invariant, plus truncations and byte flips — and each damaged file must load to a
//! clean error, or to a model whose every output on a fixed batch, with every estimate, lies
//! inside its preimage (checked here against `quant_bounds` value by value, not by the model).
//! `cargo test -p hepfloat-models --test model_files -- --nocapture` prints which check caught how many.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{Float32Array, RecordBatch};
use float_bits::Scheme;
use models::batch::compress_columns;
use models::{Error, FitOptions, Group, Kind, Method, Model, Relation, Schemes};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A seeded stream of uniform numbers in (0, 1).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        ((self.next() * n as f64) as usize).min(n.saturating_sub(1))
    }
}

/// `n` objects of one container: `c.pt` (kept at full precision), `c.x` following pt, `c.n`
/// integer counts with a -1 sentinel (a lattice), `c.iso` with a -999 sentinel and values on a
/// finer grid (atoms and a shaped histogram), and tagger-like probabilities `t.p1..3` summing to
/// one (a relation group) with a repeated default triple (its joint atom).
fn table(n: usize, seed: u64) -> Vec<(&'static str, Vec<f32>)> {
    let mut r = Rng(seed);
    let mut cols: Vec<(&'static str, Vec<f32>)> =
        ["c.pt", "c.x", "c.n", "c.iso", "t.p1", "t.p2", "t.p3"].iter().map(|&c| (c, Vec::with_capacity(n))).collect();
    for _ in 0..n {
        let pt = (20_000.0 - 30_000.0 * r.next().ln()) as f32;
        let g = (-2.0 * r.next().ln()).sqrt() * (std::f64::consts::TAU * r.next()).cos();
        let count = if r.next() < 0.2 { -1.0 } else { (r.next() * 300.0).floor() as f32 };
        let iso = if r.next() < 0.3 { -999.0 } else { ((1.0 + r.next() * 40.0) * 512.0).round() as f32 / 512.0 };
        let (a, b) = (r.next() as f32 * 0.5, r.next() as f32 * 0.3);
        // One object in eight carries the tagger's default triple (a joint atom of the group).
        let p = if r.next() < 0.125 { [0.725_232_36, 0.066_087_216, 0.208_680_44] } else { [1.0 - a - b, a, b] };
        let row = [pt, (0.02 * f64::from(pt) + 5.0 * g) as f32, count, iso, p[0], p[1], p[2]];
        for (c, v) in cols.iter_mut().zip(row) {
            c.1.push(v);
        }
    }
    cols
}

fn batch(cols: &[(&'static str, Vec<f32>)]) -> RecordBatch {
    RecordBatch::try_from_iter(cols.iter().map(|(n, v)| (*n, Arc::new(Float32Array::from(v.clone())) as _))).unwrap()
}

/// The seeds' schemes, one per column as in a file that mixes precisions and producers: the
/// group's members under three different schemes, one of them ATLAS's 15 bits.
fn schemes() -> Schemes {
    let s = [
        ("c.x", Scheme::cms(10)),
        ("c.n", Scheme::atlas(7)),
        ("c.iso", Scheme::atlas(7)),
        ("t.p1", Scheme::atlas(15)),
        ("t.p2", Scheme::cms(8)),
        ("t.p3", Ok(Scheme::half())),
    ];
    Schemes::PerColumn(s.into_iter().map(|(n, s)| (n.to_string(), s.unwrap())).collect())
}

/// Real models fitted on seeded data: the gate, each prior forced, the group's constraint, and
/// every neural kind (the unbounded one included); fitted once per test run.
fn seeds() -> &'static [(String, Model)] {
    static SEEDS: std::sync::OnceLock<Vec<(String, Model)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(fit_seeds)
}

fn fit_seeds() -> Vec<(String, Model)> {
    let (train, valid) = (table(1500, 1), table(1500, 2));
    let mut columns = Vec::new();
    let mut kept = Vec::new();
    for ((name, t), (_, v)) in train.iter().zip(&valid) {
        let entry = (*name, t.as_slice(), v.as_slice());
        if name.ends_with(".pt") { kept.push(entry) } else { columns.push(entry) }
    }
    let group = Group::new(Relation::SumToOne, ["t.p1", "t.p2", "t.p3"]).unwrap();
    let fit = |force: Option<Method>| {
        let opts = FitOptions { force, ..FitOptions::default() };
        Model::fit_groups(schemes(), &columns, &kept, std::slice::from_ref(&group), opts).unwrap()
    };
    let mut out = vec![("gate".to_string(), fit(None))];
    // From compressed values alone: the relation applies only where it narrows a member.
    let schemes = schemes();
    let compressed: Vec<(&str, Vec<f32>)> = columns
        .iter()
        .map(|&(name, t, _)| {
            let mut c = t.to_vec();
            schemes.of(name).unwrap().compress_in_place(&mut c).unwrap();
            (name, c)
        })
        .collect();
    let blind: Vec<(&str, &[f32])> = compressed.iter().map(|(n, c)| (*n, c.as_slice())).collect();
    let kept_names: Vec<&str> = kept.iter().map(|k| k.0).collect();
    let blind = Model::fit_compressed(schemes.clone(), &blind, &kept_names, std::slice::from_ref(&group), 3).unwrap();
    assert!(blind.groups().iter().all(|g| g.informative_only));
    out.push(("no-originals".to_string(), blind));
    for m in [Method::Lattice, Method::Histogram, Method::Constraint] {
        out.push((m.name().to_string(), fit(Some(m))));
    }
    if cfg!(feature = "neural") {
        for k in Kind::ALL {
            out.push((k.name().to_string(), fit(Some(Method::Neural(k)))));
        }
        // Container networks (format 11): one per container, c.x/c.n/c.iso and t.p1..3.
        for k in [Kind::Hybrid, Kind::Inpainting] {
            let m = fit(Some(Method::Container(k)));
            assert_eq!(m.containers().len(), 2, "{k}");
            out.push((k.container_name().to_string(), m));
        }
    }
    out
}

/// The test batch: fresh objects, compressed as a producer does, with the seeds' schemes.
fn compressed_batch() -> RecordBatch {
    let schemes = schemes();
    compress_columns(&batch(&table(600, 3)), |n| schemes.of(n).ok().copied()).unwrap().0
}

/// The test batch compressed with the schemes `model` expects (files before format 7: one
/// scheme for every column).
fn compressed_for(model: &Model) -> RecordBatch {
    compress_columns(&batch(&table(600, 3)), |n| model.scheme_of(n).copied()).unwrap().0
}

/// Upsample the batch with every estimate, every output inside its preimage (the fuzz targets'
/// own check, see `fuzz_check::upsample_inside`). Returns the first error.
fn upsample_all(model: &Model, input: &RecordBatch) -> Result<(), Error> {
    fuzz_check::upsample_inside(model, input, 7)
}

/// What caught a damaged file: the check (field path without indices) or the error's kind.
fn caught_by(e: &Error) -> String {
    match e {
        Error::InvalidModel { field, .. } => {
            let mut f = String::new();
            let mut depth = 0;
            for ch in field.chars() {
                match ch {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    _ if depth == 0 => f.push(ch),
                    _ => {}
                }
            }
            format!("invalid model: {f}")
        }
        Error::ModelFile { detail, .. } => {
            let head = detail.split(':').next().unwrap_or(detail);
            format!("model file: {}", if head.starts_with("format version") { "format version" } else { head })
        }
        Error::Bounds(_) => "input not an output of the (edited) scheme".into(),
        Error::Scheme(_) => "scheme parameters".into(),
        Error::UnknownColumn(_) => "unknown column".into(),
        Error::OutsidePreimage { .. } => "OUTSIDE PREIMAGE".into(),
        other => format!("other: {other}"),
    }
}

/// One step into a JSON value.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'v>(v: &'v mut Value, path: &[Step]) -> &'v mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// Every node's path (long arrays: their first, second, middle and last elements only).
fn paths(v: &Value, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(Step::Key(k.clone()));
                paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            let mut idx: Vec<usize> = [0, 1, a.len() / 2, a.len().saturating_sub(1)].into();
            idx.sort_unstable();
            idx.dedup();
            for i in idx.into_iter().filter(|&i| i < a.len()) {
                here.push(Step::Index(i));
                paths(&a[i], here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

/// Each structural mutation of the node at `path`: numbers set to values out of their domains,
/// strings emptied or changed, arrays shortened, reordered or emptied, keys removed.
fn mutations(root: &Value, path: &[Step]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut with = |f: &dyn Fn(&mut Value)| {
        let mut v = root.clone();
        f(at(&mut v, path));
        out.push(v);
    };
    match at(&mut root.clone(), path).clone() {
        Value::Number(_) => {
            for x in [
                serde_json::json!(-1.0),
                serde_json::json!(0),
                serde_json::json!(1e300),
                serde_json::json!(-3.5e-310),
                serde_json::json!(u64::MAX),
                Value::Null,
            ] {
                with(&|v| *v = x.clone());
            }
        }
        Value::String(s) => {
            with(&|v| *v = Value::String(String::new()));
            let mut t: Vec<char> = s.chars().collect();
            if let Some(c) = t.get_mut(s.len() / 2) {
                *c = if *c == '0' { '1' } else { '0' };
            }
            let t: String = t.into_iter().collect();
            with(&|v| *v = Value::String(t.clone()));
            with(&|v| *v = Value::String("c.x".into()));
        }
        Value::Array(a) if !a.is_empty() => {
            with(&|v| *v = Value::Array(vec![]));
            with(&|v| {
                v.as_array_mut().unwrap().pop();
            });
            with(&|v| {
                v.as_array_mut().unwrap().remove(0);
            });
            with(&|v| {
                let a = v.as_array_mut().unwrap();
                a.push(a[0].clone());
            });
            if a.len() > 1 {
                with(&|v| v.as_array_mut().unwrap().reverse());
            }
        }
        Value::Object(m) => {
            for k in m.keys() {
                with(&|v| {
                    v.as_object_mut().unwrap().remove(k);
                });
            }
        }
        Value::Bool(b) => with(&|v| *v = Value::Bool(!b)),
        _ => with(&|v| *v = serde_json::json!(0)),
    }
    out
}

/// The SHA-256 of a hex string's bytes, as the model file stores it.
fn checksum(hex: &str) -> String {
    let bytes: Vec<u8> =
        (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0)).collect();
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Deliberate edits of each network (the checksum recomputed, so that the record itself is
/// what must hold): weights flipped, cut short, extended; sizes changed under the same weights.
fn network_edits(root: &Value, r: &mut Rng) -> Vec<Value> {
    let mut out = Vec::new();
    // Where each network is: the columns' neural correctors, then the container networks.
    let mut at: Vec<(&str, usize, bool)> = Vec::new();
    for (i, c) in root["columns"].as_array().into_iter().flatten().enumerate() {
        if c["choice"]["model"]["weights"].is_string() {
            at.push(("columns", i, true));
        }
    }
    for i in 0..root["containers"].as_array().map_or(0, Vec::len) {
        at.push(("containers", i, false));
    }
    fn model<'v>(v: &'v mut Value, (list, i, in_choice): (&str, usize, bool)) -> &'v mut Value {
        let item = &mut v[list][i];
        if in_choice { &mut item["choice"]["model"] } else { &mut item["model"] }
    }
    for &place in &at {
        let w = model(&mut root.clone(), place)["weights"].as_str().unwrap().to_string();
        // Cut to half, cut to 8 bytes, extended, unchanged (with one more hidden unit below).
        for e in 0..4 {
            for _ in 0..4 {
                let mut w = match e {
                    0 => w[..w.len() / 2].to_string(),
                    1 => w[..16.min(w.len())].to_string(),
                    2 => format!("{w}00ff00ff"),
                    _ => w.clone(),
                };
                // Flip a byte somewhere (the header, the tensor table or the data).
                let pos = 2 * r.below(w.len() / 2);
                let flipped = format!("{:02x}", u8::from_str_radix(&w[pos..pos + 2], 16).unwrap() ^ 0x5a);
                w.replace_range(pos..pos + 2, &flipped);
                let mut v = root.clone();
                let m = model(&mut v, place);
                m["sha256"] = Value::String(checksum(&w));
                m["weights"] = Value::String(w);
                if e == 3 {
                    m["hidden"] = serde_json::json!(m["hidden"].as_u64().unwrap_or(1) + 1);
                }
                out.push(v);
            }
        }
    }
    out
}

#[test]
fn damaged_model_files_are_clean_errors_or_stay_inside_every_preimage() {
    let input = compressed_batch();
    let mut r = Rng(99);
    let mut variants: Vec<(String, String)> = Vec::new(); // (seed, file text)
    for (name, model) in seeds() {
        upsample_all(model, &input).unwrap_or_else(|e| panic!("seed {name}: {e}"));
        let text = model.to_json().unwrap();
        let root: Value = serde_json::from_str(&text).unwrap();
        let mut all = Vec::new();
        paths(&root, &mut vec![], &mut all);
        let mut mutated: Vec<Value> = all.iter().flat_map(|p| mutations(&root, p)).collect();
        // Spread the structural mutations of each seed over its fields, then add the edits of
        // its networks, truncations and byte flips.
        let keep = 110;
        if mutated.len() > keep {
            let step = mutated.len() as f64 / keep as f64;
            mutated = (0..keep).map(|i| mutated[(i as f64 * step) as usize].clone()).collect();
        }
        mutated.extend(network_edits(&root, &mut r));
        variants.extend(mutated.into_iter().map(|v| (name.clone(), v.to_string())));
        for _ in 0..6 {
            variants.push((name.clone(), text[..r.below(text.len())].to_string()));
            let mut bytes = text.clone().into_bytes();
            let i = r.below(bytes.len());
            bytes[i] ^= 1 << r.below(8);
            variants.push((name.clone(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    let mut caught: BTreeMap<String, usize> = BTreeMap::new();
    let (mut loaded, mut upsampled) = (0, 0);
    for (seed, text) in &variants {
        match Model::from_json(text) {
            Err(e) => *caught.entry(caught_by(&e)).or_default() += 1,
            Ok(model) => {
                loaded += 1;
                match upsample_all(&model, &input) {
                    Ok(()) => upsampled += 1,
                    Err(e) => {
                        assert!(!matches!(e, Error::OutsidePreimage { .. }), "{seed}: {e}");
                        *caught.entry(format!("upsampling: {}", caught_by(&e))).or_default() += 1;
                    }
                }
            }
        }
    }
    println!("{} damaged model files from {} seeds:", variants.len(), seeds_count());
    println!("  {loaded} loaded ({upsampled} upsampled the batch inside every preimage with every estimate)");
    for (check, n) in &caught {
        println!("  {n:>5}  {check}");
    }
    assert!(variants.len() >= 300, "{} variants", variants.len());
    assert!(caught.values().sum::<usize>() > variants.len() / 2, "{caught:?}");
}

fn seeds_count() -> usize {
    if cfg!(feature = "neural") { 5 + Kind::ALL.len() + 2 } else { 5 }
}

/// The model of the gate as JSON, to edit.
fn gate_json() -> Value {
    let (name, model) = &seeds()[0];
    assert_eq!(name, "gate");
    serde_json::from_str(&model.to_json().unwrap()).unwrap()
}

/// The index of the first column whose prior is `kind`.
fn column_with(root: &Value, kind: &str) -> usize {
    root["columns"].as_array().unwrap().iter().position(|c| c["prior"]["kind"] == kind).unwrap()
}

fn field_of(text: &str) -> (Option<String>, String) {
    match Model::from_json(text) {
        Err(Error::InvalidModel { column, field, .. }) => (column, field),
        other => panic!("expected an invalid-model error, got {other:?}"),
    }
}

#[test]
fn the_files_that_panicked_are_errors_naming_column_and_field() {
    let root = gate_json();
    let h = column_with(&root, "histogram");
    let name = root["columns"][h]["name"].as_str().unwrap().to_string();
    for cdf in [serde_json::json!([]), serde_json::json!([1.0])] {
        let mut v = root.clone();
        v["columns"][h]["prior"]["cdf"] = cdf;
        assert_eq!(field_of(&v.to_string()), (Some(name.clone()), "prior.cdf".to_string()));
    }
    let mut v = root.clone();
    v["columns"][h]["prior"]["rest"].as_array_mut().unwrap().pop();
    assert_eq!(field_of(&v.to_string()), (Some(name.clone()), "prior.rest".to_string()));
    let mut v = root.clone();
    v["columns"][h]["prior"]["cdf"][2] = serde_json::json!(-0.5);
    assert_eq!(field_of(&v.to_string()), (Some(name), "prior.cdf[2]".to_string()));
    let l = column_with(&root, "lattice");
    let mut v = root.clone();
    v["columns"][l]["prior"]["step"] = serde_json::json!(0.3);
    assert_eq!(field_of(&v.to_string()).1, "prior.step");
    // The message names the file, the column and the field.
    let path = std::env::temp_dir().join(format!("hepfloat-bad-model-{}.json", std::process::id()));
    std::fs::write(&path, v.to_string()).unwrap();
    let msg = Model::load(&path).unwrap_err().to_string();
    std::fs::remove_file(&path).unwrap();
    assert!(msg.contains(&path.display().to_string()) && msg.contains("c.n") && msg.contains("prior.step"), "{msg}");
}

#[cfg(feature = "neural")]
mod neural {
    use super::*;

    fn kind_json(kind: Kind) -> Value {
        let (_, model) = seeds().iter().find(|(n, _)| n == kind.name()).unwrap();
        serde_json::from_str(&model.to_json().unwrap()).unwrap()
    }

    fn neural_column(root: &Value) -> usize {
        root["columns"].as_array().unwrap().iter().position(|c| c["choice"]["kind"] == "neural").unwrap()
    }

    #[test]
    fn a_network_of_another_scheme_is_refused() {
        // Edited, it used to put outputs outside the preimages of the model's scheme.
        let mut v = kind_json(Kind::Hybrid);
        let i = neural_column(&v);
        v["columns"][i]["choice"]["model"]["scheme"] = serde_json::json!({"name": "atlas", "k": 5});
        let (column, field) = field_of(&v.to_string());
        assert_eq!((column.as_deref(), field.as_str()), (Some("c.x"), "choice.model.scheme"));
    }

    #[test]
    fn weights_must_match_their_checksum_whatever_the_estimate() {
        // A hybrid gives no samples: `Sample` never runs its network, which used to let a broken
        // one pass. Every network is checked on load.
        let mut v = kind_json(Kind::Hybrid);
        let i = neural_column(&v);
        let m = &mut v["columns"][i]["choice"]["model"];
        let mut w = m["weights"].as_str().unwrap().to_string();
        let mid = w.len() / 2;
        let flipped = if &w[mid..=mid] == "0" { "1" } else { "0" };
        w.replace_range(mid..=mid, flipped);
        m["weights"] = Value::String(w.clone());
        assert_eq!(field_of(&v.to_string()).1, "choice.model.sha256");
        // With the checksum fixed, the record itself must fit the network (or load cleanly).
        let mut v2 = v.clone();
        v2["columns"][i]["choice"]["model"]["sha256"] = Value::String(checksum(&w));
        if let Ok(model) = Model::from_json(&v2.to_string()) {
            upsample_all(&model, &compressed_batch()).unwrap();
        }
        // Files of format 6 must carry the checksum.
        v["columns"][i]["choice"]["model"].as_object_mut().unwrap().remove("sha256");
        assert_eq!(field_of(&v.to_string()).1, "choice.model.sha256");
    }

    #[test]
    fn a_damaged_record_under_a_valid_checksum_is_an_error_at_load() {
        let mut v = kind_json(Kind::Flow);
        let i = neural_column(&v);
        let m = &mut v["columns"][i]["choice"]["model"];
        let w = m["weights"].as_str().unwrap()[..64].to_string();
        m["sha256"] = Value::String(checksum(&w));
        m["weights"] = Value::String(w);
        assert_eq!(field_of(&v.to_string()).1, "choice.model.weights");
    }
}

// ---------------------------------------------------------------------------------------------
// Frozen formats: model files of every format version, written by the code of their time, load
// on every test run and upsample inside every preimage.

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The committed model files `(name, version, text)`.
fn frozen() -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !(name.starts_with("model-v") && name.ends_with(".json")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        out.push((name, v["version"].as_u64().unwrap(), text));
    }
    out.sort();
    out
}

#[test]
fn frozen_model_files_of_every_version_load_and_stay_inside_every_preimage() {
    let files = frozen();
    assert!(
        files.iter().any(|f| f.1 == u64::from(models::FORMAT_VERSION)),
        "no fixture of format version {}: run `cargo test -p hepfloat-models --test model_files -- --ignored` and commit it",
        models::FORMAT_VERSION
    );
    for (name, version, text) in &files {
        let model = match Model::from_json(text) {
            Ok(m) => m,
            // Format 4's networks were stored in another layout: refused with a refit message.
            Err(Error::ModelFile { detail, .. }) if *version == 4 && detail.contains("refit") => continue,
            Err(e) => panic!("{name}: {e}"),
        };
        upsample_all(&model, &compressed_for(&model)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if *version < 7 {
            let all = model.schemes().all(|(_, s)| *s == Scheme::atlas(7).unwrap());
            assert!(all, "{name}: every column takes the file's one scheme");
        }
        if *version == u64::from(models::FORMAT_VERSION) {
            let again: Value = serde_json::from_str(&model.to_json().unwrap()).unwrap();
            assert_eq!(again, serde_json::from_str::<Value>(text).unwrap(), "{name} does not round-trip");
        }
    }
}

/// The seeds that show what the current format version added (the others' layout is frozen
/// in the fixtures of the version that introduced it).
const NEW_IN_THIS_VERSION: [&str; 3] = ["gate", "container-hybrid", "container-inpainting"];

/// Writes the fixtures of the current format version (run once when the version changes, after
/// updating [`NEW_IN_THIS_VERSION`], then commit them; existing files are never overwritten).
/// Write a fixture before naming it among the fuzz seeds (`fuzz/fuzz_targets/common/edit.rs`
/// includes them at compile time, and this test with them).
#[test]
#[ignore = "writes tests/fixtures/model-vN-*.json for a new format version"]
fn write_fixtures_of_the_current_version() {
    for (name, model) in seeds().iter().filter(|s| NEW_IN_THIS_VERSION.contains(&s.0.as_str())) {
        let path = fixtures().join(format!("model-v{}-{name}.json", models::FORMAT_VERSION));
        if !path.exists() {
            model.save(&path).unwrap();
        }
    }
}

// The fuzz targets' own code: the edits of `model_edit` and the check both targets make.
#[path = "../../../fuzz/fuzz_targets/common/model.rs"]
mod fuzz_check;
#[path = "../../../fuzz/fuzz_targets/common/edit.rs"]
mod fuzz_edit;

/// The fuzz targets' corpora (`fuzz/replay/model_load.hex`: model files as bytes;
/// `fuzz/replay/model_edit.hex`: edits of the fixtures; one hex-encoded input a line, the
/// inputs that once crashed a target first), replayed through the targets' own code: each a
/// clean error or every output inside its preimage.
#[test]
fn the_fuzz_corpora_replay_cleanly() {
    let replay = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/replay");
    let files = |target: &str| -> Vec<Vec<u8>> {
        let path = replay.join(format!("{target}.hex"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| (0..l.len() / 2).map(|i| u8::from_str_radix(&l[2 * i..2 * i + 2], 16).unwrap()).collect())
            .collect()
    };
    let (load, edit) = (files("model_load"), files("model_edit"));
    assert!(!load.is_empty() && !edit.is_empty());
    for bytes in &load {
        if let Ok(text) = std::str::from_utf8(bytes) {
            fuzz_check::check(text);
        }
    }
    for bytes in &edit {
        if let Some(text) = fuzz_edit::edited(bytes) {
            fuzz_check::check(&text);
        }
    }
    println!("replayed {} model_load and {} model_edit inputs", load.len(), edit.len());
}

#[test]
fn format_7_choices_load_as_one_choice() {
    let load = |name: &str| Model::load(fixtures().join(name)).unwrap();
    let gate = load("model-v7-gate.json");
    assert!(["t.p1", "t.p2", "t.p3"].iter().all(|n| gate.column(n).unwrap().choice == models::Choice::Constraint));
    assert!(["c.x", "c.n", "c.iso"].iter().all(|n| gate.column(n).unwrap().choice == models::Choice::Prior));
    if cfg!(feature = "neural") {
        let hybrid = load("model-v7-hybrid.json");
        assert!(hybrid.columns().iter().any(|c| matches!(c.choice, models::Choice::Neural(_))));
    }
    // Files before format 8 validated nothing by magnitude.
    assert!(gate.columns().iter().all(|c| c.validated.is_none() && c.events == 0));
}

#[test]
fn values_beyond_the_validated_magnitudes_keep_their_compressed_values() {
    let s = Scheme::atlas(7).unwrap();
    // Integer counts up to 299 (a lattice above 256, where k = 7 rounds to even numbers).
    let x: Vec<f32> = (0..4000).map(|i| (i % 300) as f32).collect();
    let m = Model::fit(s, &[("n", &x[..2000], &x[2000..])], FitOptions::default()).unwrap();
    let col = m.column("n").unwrap();
    assert_ne!(col.choice_name(), "identity"); // a lattice, or a histogram with atoms on it
    let top = col.validated.unwrap();
    assert!((298.0..=300.0).contains(&top), "{top}");
    let c: Vec<f32> = [271.0f32, 1001.0, -997.0].iter().map(|&v| s.compress(v).unwrap()).collect();
    let mut out = vec![0f32; c.len()];
    m.upsample("n", &c, models::Estimate::Mean, 0, &mut out).unwrap();
    assert_ne!(out[0].to_bits(), c[0].to_bits(), "inside: the prior moves it");
    assert_eq!((out[1].to_bits(), out[2].to_bits()), (c[1].to_bits(), c[2].to_bits()), "beyond: compressed");
}

/// A group's joint atoms are checked on load: one finite value per member, weights that are
/// training row counts, distinct atoms in order; each broken one names the group.
#[test]
fn damaged_joint_atoms_name_their_group() {
    let root = gate_json();
    let atom = root["groups"][0]["atoms"][0].clone();
    assert!(atom.is_object(), "the gate's group has a joint atom: {}", root["groups"]);
    let edits: [(&str, Value); 6] = [
        ("values", serde_json::json!([0.5, 0.5])),
        ("values", serde_json::json!([0.5, "NaN", 0.5])),
        ("count", serde_json::json!(0.0)),
        ("count", serde_json::json!(1e300)),
        ("rest", serde_json::json!(-1.0)),
        ("rest", serde_json::json!(0.5e17)),
    ];
    for (key, value) in edits {
        let mut v = root.clone();
        v["groups"][0]["atoms"][0][key] = value.clone();
        match Model::from_json(&v.to_string()) {
            Err(Error::InvalidModel { field, .. }) => assert_eq!(field, "groups[0]", "{key} = {value}"),
            // A string where a number belongs is not even the file's shape.
            Err(Error::ModelFile { .. }) if value.to_string().contains("NaN") => {}
            other => panic!("{key} = {value}: {other:?}"),
        }
    }
    let mut v = root.clone();
    v["groups"][0]["atoms"].as_array_mut().unwrap().push(atom);
    assert_eq!(field_of(&v.to_string()), (None, "groups[0]".to_string()), "the same atom twice");
    // A reader of format 8 would ignore the atoms: files with them are of format 9.
    assert!(root["version"].as_u64() >= Some(9));
}
