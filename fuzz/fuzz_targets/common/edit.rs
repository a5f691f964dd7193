//! Valid model files edited field by field, shared by the `model_edit` fuzz target and the
//! replay of its corpus in `cargo test -p hepfloat-models --test model_files`: one of the committed
//! fixtures (every format version, every prior, a relation group, every neural kind, a container network) with one to
//! four of its JSON nodes replaced — numbers by numbers of any size and sign, strings by other
//! strings, arrays cut, reordered or grown, keys removed, weights re-hexed with their checksum
//! recomputed half of the time.

use arbitrary::{Result, Unstructured};
use serde_json::Value;
use sha2::{Digest, Sha256};

macro_rules! fixtures {
    ($($name:literal),* $(,)?) => {
        [$(include_str!(concat!("../../../crates/models/tests/fixtures/", $name))),*]
    };
}

const SEEDS: [&str; 17] = fixtures![
    "model-v1-gate.json",
    "model-v2-gate.json",
    "model-v3-gate.json",
    "model-v4-gate.json",
    "model-v5-gate-neural.json",
    "model-v6-autoencoder-unbounded.json",
    "model-v6-autoencoder.json",
    "model-v6-constraint.json",
    "model-v6-flow-matching.json",
    "model-v6-flow.json",
    "model-v6-gate.json",
    "model-v6-histogram.json",
    "model-v6-hybrid.json",
    "model-v6-lattice.json",
    "model-v10-gate.json",
    "model-v10-inpainting.json",
    "model-v11-container-hybrid.json",
];

/// A number of any kind: small, huge, tiny, negative, integer, or one that is no number at all.
fn number(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0..=5)? {
        0 => Value::from(u.arbitrary::<f64>()?),
        1 => Value::from(u.arbitrary::<i64>()?),
        2 => Value::from(u.arbitrary::<u64>()?),
        3 => Value::from(f64::from(u.arbitrary::<f32>()?)),
        4 => Value::from(u.int_in_range(-3i64..=3)?),
        _ => Value::Null,
    })
}

/// Edit one node: walk down choosing a child at each level, stop anywhere.
fn edit(v: &mut Value, u: &mut Unstructured) -> Result<()> {
    let descend = u.ratio(7, 8)?;
    match v {
        Value::Object(m) if descend && !m.is_empty() => {
            let k = m.keys().nth(u.choose_index(m.len())?).cloned().unwrap_or_default();
            if u.ratio(1, 12)? {
                m.remove(&k);
                return Ok(());
            }
            edit(m.get_mut(&k).expect("a key of the map"), u)
        }
        Value::Array(a) if descend && !a.is_empty() => {
            let i = u.choose_index(a.len())?;
            match u.int_in_range(0..=11)? {
                0 => {
                    a.truncate(i);
                    Ok(())
                }
                1 => {
                    let x = a[i].clone();
                    a.insert(i, x);
                    Ok(())
                }
                2 => {
                    let j = u.choose_index(a.len())?;
                    a.swap(i, j);
                    Ok(())
                }
                _ => edit(&mut a[i], u),
            }
        }
        Value::String(s) if s.len() > 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            // Network weights: change bytes, keep it hex; the caller recomputes the checksum.
            let mut bytes: Vec<u8> =
                (0..s.len() / 2).filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect();
            for _ in 0..u.int_in_range(1..=4)? {
                let i = u.choose_index(bytes.len())?;
                bytes[i] = u.arbitrary()?;
            }
            if u.ratio(1, 4)? {
                bytes.truncate(u.choose_index(bytes.len())?);
            }
            *s = bytes.iter().map(|b| format!("{b:02x}")).collect();
            Ok(())
        }
        Value::String(s) => {
            *s = if u.ratio(1, 2)? {
                ["c.x", "c.pt", "c.n", "t.p1", "", "histogram", "atlas"][u.choose_index(7)?].into()
            } else {
                u.arbitrary()?
            };
            Ok(())
        }
        Value::Bool(b) => {
            *b = !*b;
            Ok(())
        }
        _ => {
            *v = number(u)?;
            Ok(())
        }
    }
}

/// Recompute each network's checksum from its (edited) weights, half of the time: a damaged
/// record under a valid checksum must be caught by the record's own checks.
fn rehash(v: &mut Value) {
    let Some(cols) = v.get_mut("columns").and_then(Value::as_array_mut) else { return };
    // Format 8 holds a network under `choice`, older formats under `neural`.
    fn network(c: &mut Value) -> Option<&mut Value> {
        let key = if c.get("choice").is_some() { "choice" } else { "neural" };
        c.get_mut(key).and_then(|n| n.get_mut("model"))
    }
    for m in cols.iter_mut().filter_map(network) {
        let Some(w) = m.get("weights").and_then(Value::as_str) else { continue };
        let bytes: Vec<u8> = (0..w.len() / 2)
            .filter_map(|i| w.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect();
        let sum: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        m["sha256"] = Value::String(sum);
    }
}

/// The model file that fuzz input `data` describes: a fixture with its edits, as JSON text.
pub fn edited(data: &[u8]) -> Option<String> {
    let mut u = Unstructured::new(data);
    let i = u.choose_index(SEEDS.len()).ok()?;
    let mut v = serde_json::from_str::<Value>(SEEDS[i]).ok()?;
    let edits = u.int_in_range(1..=4).unwrap_or(1);
    for _ in 0..edits {
        if edit(&mut v, &mut u).is_err() {
            break;
        }
    }
    if u.ratio(1, 2).unwrap_or(false) {
        rehash(&mut v);
    }
    Some(v.to_string())
}
