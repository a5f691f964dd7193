//! The event data of a file, whichever format holds it, in one call.

use std::path::Path;

use crate::error::{Error, Result};
use crate::file::RootFile;
use crate::tree::BatchReader;

/// The names experiments give their event data, tried first: ATLAS's TTree and RNTuple.
const EVENT_DATA: [&str; 2] = ["CollectionTree", "EventData"];

/// Whether a tree or RNTuple name is bookkeeping rather than events (`##Params`, `MetaData…`,
/// `DataHeader…`, `EventTag`).
fn is_metadata(name: &str) -> bool {
    name.starts_with("##") || name.starts_with("MetaData") || name.starts_with("DataHeader") || name == "EventTag"
}

/// Which of `names` (the file's trees and RNTuples) holds the events.
fn pick(names: Vec<String>) -> Result<String> {
    if let Some(n) = EVENT_DATA.iter().find(|n| names.iter().any(|m| m == *n)) {
        return Ok((*n).to_string());
    }
    let candidates: Vec<String> = names.iter().filter(|n| !is_metadata(n)).cloned().collect();
    match <[String; 1]>::try_from(candidates) {
        Ok([one]) => Ok(one),
        Err(candidates) if candidates.is_empty() => Err(Error::NoEventData { found: names }),
        Err(candidates) => Err(Error::SeveralEventData { candidates }),
    }
}

impl RootFile {
    /// The path of the TTree or RNTuple that holds the events: `CollectionTree` or `EventData`
    /// (ATLAS's names) if present, else the only one that is not bookkeeping (`##Params`,
    /// `MetaData…`, `DataHeader…`, `EventTag`). [`Error::NoEventData`] or
    /// [`Error::SeveralEventData`] when that does not decide; open another with
    /// [`RootFile::tree`] or [`RootFile::rntuple`].
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-data/physlite_rntuple.root");
    /// let file = hep_io::RootFile::open(path)?; // e.g. "physlite_rntuple.root"
    /// assert_eq!(file.event_data()?, "EventData"); // beside DataHeader, DataHeaderForm, EventTag
    /// # Ok::<(), hep_io::Error>(())
    /// ```
    pub fn event_data(&self) -> Result<String> {
        let mut names = self.trees()?;
        names.extend(self.rntuples()?);
        pick(names)
    }

    /// The columns of the event data ([`RootFile::event_data`]) whose names match any of
    /// `patterns` (globs, `*` for all) and whose types this crate reads, as an Arrow
    /// `RecordBatchReader` of [`Batches`](crate::Batches)' default size. TTree and RNTuple alike.
    ///
    /// ```
    /// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-data/PHYSLITE_example.root");
    /// use arrow_array::RecordBatchReader;
    /// let file = hep_io::RootFile::open(path)?;
    /// let jets = file.read_events(&["AnalysisJetsAuxDyn.pt", "AnalysisJetsAuxDyn.eta"])?;
    /// assert_eq!(jets.schema().fields().len(), 2);
    /// let rows: usize = jets.map(|b| b.map(|b| b.num_rows())).sum::<Result<_, _>>()?;
    /// assert_eq!(rows, 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_events(&self, patterns: &[impl AsRef<str>]) -> Result<BatchReader> {
        let name = self.event_data()?;
        if self.rntuples()?.contains(&name) {
            let ntuple = self.rntuple(&name)?;
            let selection = ntuple.select_supported(patterns)?;
            Ok(ntuple.batches(&selection).into_reader())
        } else {
            let tree = self.tree(&name)?;
            let selection = tree.select_supported(patterns)?;
            Ok(tree.batches(&selection).into_reader())
        }
    }
}

/// Read a ROOT file's event data, TTree or RNTuple, into an Arrow `RecordBatchReader`: the
/// columns matching `patterns` (globs; `["*"]` for every column this crate reads). One call for
/// [`RootFile::open`] and [`RootFile::read_events`]; the reader owns the file.
///
/// ```
/// # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../test-data/physlite_rntuple.root");
/// let jets = hep_io::read(path, &["AnalysisJetsAuxDyn:*"])?; // e.g. "physlite_rntuple.root"
/// let out = std::env::temp_dir().join("hep_io_read_jets.parquet");
/// let written = hep_io::write_parquet(&out, jets, &Default::default())?;
/// assert_eq!(written.rows, 100);
/// # Ok::<(), hep_io::Error>(())
/// ```
pub fn read(path: impl AsRef<Path>, patterns: &[impl AsRef<str>]) -> Result<BatchReader> {
    RootFile::open(path)?.read_events(patterns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_experiments_names_win_then_the_only_non_metadata_object() {
        assert_eq!(pick(names(&["##Params", "CollectionTree", "Other"])).unwrap(), "CollectionTree");
        assert_eq!(pick(names(&["DataHeader", "EventData", "EventTag"])).unwrap(), "EventData");
        assert_eq!(pick(names(&["MetaData", "Events"])).unwrap(), "Events");
        let bookkeeping = names(&["MetaDataHdr", "EventTag"]);
        assert!(matches!(pick(bookkeeping.clone()), Err(Error::NoEventData { found }) if found == bookkeeping));
        let several = pick(names(&["a", "b", "##x"]));
        assert!(matches!(several, Err(Error::SeveralEventData { candidates }) if candidates == names(&["a", "b"])));
        assert!(matches!(pick(vec![]), Err(Error::NoEventData { found }) if found.is_empty()));
    }
}
