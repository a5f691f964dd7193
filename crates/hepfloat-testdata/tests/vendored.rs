//! The vendored samples are the files their provenance names: every file of `test-data/` is listed
//! in `SHA256SUMS`, and each hashes to the digest written there.

use std::collections::BTreeSet;
use std::path::Path;

use sha2::{Digest, Sha256};

fn files_under(dir: &Path, prefix: &str, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("read test-data") {
        let entry = entry.expect("read test-data entry");
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.file_type().expect("file type").is_dir() {
            files_under(&entry.path(), &format!("{name}/"), out);
        } else {
            out.insert(name);
        }
    }
}

#[test]
fn vendored_files_match_their_checksums() {
    let dir = hepfloat_testdata::vendored_dir();
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).expect("test-data/SHA256SUMS");
    let mut listed = BTreeSet::new();
    for line in sums.lines().filter(|l| !l.trim().is_empty()) {
        let (digest, name) = line.split_once("  ").expect("sha256sum line: <digest>  <file>");
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(got, digest, "{name}: content differs from its recorded SHA-256");
        listed.insert(name.to_owned());
    }
    let mut present = BTreeSet::new();
    files_under(&dir, "", &mut present);
    let unlisted: Vec<_> = present
        .iter()
        .filter(|f| !listed.contains(*f))
        .filter(|f| {
            !matches!(f.as_str(), "README.md" | "SHA256SUMS" | "conformance/README.md") && !f.starts_with("licenses/")
        })
        .collect();
    assert!(unlisted.is_empty(), "files of test-data/ without a checksum: {unlisted:?}");
    for sample in [
        "PHYSLITE_example.root",
        "physlite_rntuple.root",
        "reference/PHYSLITE_example.floats.parquet",
        "reference/physlite_rntuple.floats.parquet",
    ] {
        assert!(listed.contains(sample), "{sample} has no checksum");
    }
    // The conformance corpus (101 files of scikit-hep-testdata, their licence, uproot's digests
    // and the two scripts that make them).
    assert_eq!(listed.iter().filter(|f| f.starts_with("conformance/")).count(), 108);
}
