//! Memory stays bounded by the records in use, not by the file: a file opened from disk is read
//! at the offsets its records name. A counting allocator measures the peak heap of opening the
//! sample and streaming a few branches, and compares it with the file's size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use hep_io::RootFile;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: the caller's contract for `dealloc` is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Peak heap growth (bytes) while `f` runs; the test binary runs this one test only, so no other
/// thread allocates meanwhile.
fn peak_during(f: impl FnOnce()) -> usize {
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    f();
    PEAK.load(Relaxed) - base
}

#[test]
fn reading_from_disk_holds_the_records_in_use_not_the_file() {
    let path = hepfloat_testdata::data_file("PHYSLITE_example.root").unwrap_or_else(|e| panic!("{e}"));
    let size = std::fs::metadata(&path).unwrap().len() as usize;
    let names = ["AnalysisElectronsAuxDyn.pt", "AnalysisJetsAuxDyn.eta"];
    let mut basket_bytes = 0;
    let stream = |f: &RootFile, basket_bytes: &mut usize| {
        let tree = f.tree("CollectionTree").unwrap();
        let sel = tree.select(&names).unwrap();
        *basket_bytes = names.iter().map(|n| tree.branch(n).unwrap()).map(|b| b.uncompressed_bytes as usize).sum();
        let rows: usize = tree.batches(&sel).entries_per_batch(10).map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows as u64, tree.entries());
    };
    let metadata = peak_during(|| drop(RootFile::open(&path).unwrap().tree("CollectionTree").unwrap()));
    let on_disk = peak_during(|| stream(&RootFile::open(&path).unwrap(), &mut basket_bytes));
    let in_memory =
        peak_during(|| stream(&RootFile::from_bytes(std::fs::read(&path).unwrap()).unwrap(), &mut basket_bytes));
    eprintln!(
        "file {size} B; peak heap: tree metadata {metadata} B, streaming 2 branches ({basket_bytes} B of baskets) \
         from disk {on_disk} B, from memory {in_memory} B"
    );
    assert!(in_memory + (16 << 10) >= metadata + size, "the in-memory file holds every byte");
    // Streaming adds the baskets in use (compressed and decompressed) and one batch, not the file.
    let streaming = on_disk.saturating_sub(metadata);
    assert!(streaming <= 4 * basket_bytes + (64 << 10), "streaming took {streaming} B beyond the tree metadata");
}
