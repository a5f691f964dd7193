//! The columns of a batch are read on rayon's thread pool: the batches, and the error a damaged
//! file gives, are the same whatever the number of threads.

use arrow_array::RecordBatch;
use hep_io::{Result, RootFile};

/// `f` on a pool of `n` threads.
fn with_threads<R: Send>(n: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("a thread pool").install(f)
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(hepfloat_testdata::data_dir().join(name)).expect("the vendored sample")
}

/// Every supported column of the file's event data, in batches of 37 entries (several per
/// basket, so that batches share baskets).
fn read_all(bytes: &[u8]) -> Result<Vec<RecordBatch>> {
    let file = RootFile::from_bytes(bytes.to_vec())?;
    let name = file.event_data()?;
    if file.rntuples()?.contains(&name) {
        let nt = file.rntuple(&name)?;
        let sel = nt.select_supported(&["*"])?;
        nt.batches(&sel).entries_per_batch(37).collect()
    } else {
        let t = file.tree(&name)?;
        let sel = t.select_supported(&["*"])?;
        t.batches(&sel).entries_per_batch(37).collect()
    }
}

/// The outcome, comparable: the batches, or the error's message.
fn outcome(r: Result<Vec<RecordBatch>>) -> std::result::Result<Vec<RecordBatch>, String> {
    r.map_err(|e| e.to_string())
}

#[test]
fn batches_are_identical_whatever_the_thread_count() {
    for name in ["PHYSLITE_example.root", "physlite_rntuple.root"] {
        let bytes = sample(name);
        let one = with_threads(1, || read_all(&bytes)).expect("the sample reads");
        assert!(one.iter().map(RecordBatch::num_columns).sum::<usize>() > 1000, "{name}: many columns");
        for n in [2, 3, 8] {
            // Arrow's equality compares primitive values by their bytes: bit for bit.
            assert_eq!(with_threads(n, || read_all(&bytes)).expect("the sample reads"), one, "{name}, {n} threads");
        }
    }
}

#[test]
fn a_damaged_file_fails_the_same_way_whatever_the_thread_count() {
    let bytes = sample("PHYSLITE_example.root");
    let file = RootFile::from_bytes(bytes.clone()).unwrap();
    let tree = file.tree("CollectionTree").unwrap();
    // Damage the first basket of every 50th branch, all at once: several columns of one batch
    // fail, and the error reported is the first in column order, not the first to finish.
    let mut damaged = bytes.clone();
    let mut hit = 0;
    for b in tree.branches().iter().step_by(50) {
        if let Some(&at) = b.basket_offsets().first() {
            // Past the key header, inside the compressed payload.
            let at = usize::try_from(at).unwrap() + 120;
            if at < damaged.len() {
                damaged[at] ^= 0x5a;
                hit += 1;
            }
        }
    }
    assert!(hit > 5, "{hit} baskets damaged");
    let one = outcome(with_threads(1, || read_all(&damaged)));
    let err = one.as_ref().expect_err("damage is found");
    for n in [2, 4, 8] {
        for _ in 0..3 {
            assert_eq!(outcome(with_threads(n, || read_all(&damaged))).as_ref().unwrap_err(), err, "{n} threads");
        }
    }
}
