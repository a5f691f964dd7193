//! Damaged copies of real ROOT files, for tests of what readers do with them.

use hep_io::RootFile;

/// `clean` (a ROOT file's bytes) with its streamer-info record replaced: the decompressed
/// payload, changed by `damage`, stored uncompressed at the end of the file, and the header
/// pointing at it. Every other record is untouched. Panics if `clean` is not a sound ROOT file
/// (this is test support).
///
/// ```no_run
/// let clean = std::fs::read(hepfloat_testdata::data_file("PHYSLITE_example.root")?).unwrap();
/// let damaged = hepfloat_testdata::damage::with_streamer_info(&clean, |p| p[1000..1200].fill(0));
/// assert!(damaged.len() > clean.len());
/// # Ok::<(), String>(())
/// ```
pub fn with_streamer_info(clean: &[u8], damage: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let f = RootFile::from_bytes(clean.to_vec()).expect("the clean file opens");
    let key = f.streamer_info_key().expect("the clean file has a streamer-info key");
    let mut payload = f.read_object(&key).expect("the clean streamer info decompresses");
    damage(&mut payload);
    let (at, key_len) = (key.seek_key as usize, usize::from(key.key_len));
    let mut header = clean[at..at + key_len].to_vec();
    let obj_len = i32::try_from(payload.len()).unwrap();
    let nbytes = i32::try_from(key_len + payload.len()).unwrap();
    header[0..4].copy_from_slice(&nbytes.to_be_bytes()); // fNbytes
    header[6..10].copy_from_slice(&obj_len.to_be_bytes()); // fObjlen
    let mut out = clean.to_vec();
    let new_at = out.len();
    // fSeekKey: 64 bits in key versions above 1000.
    if i16::from_be_bytes([header[4], header[5]]) > 1000 {
        header[18..26].copy_from_slice(&(new_at as i64).to_be_bytes());
    } else {
        header[18..22].copy_from_slice(&i32::try_from(new_at).unwrap().to_be_bytes());
    }
    out.extend_from_slice(&header);
    out.extend_from_slice(&payload);
    // fSeekInfo and fNbytesInfo, 32 or 64 bits wide by the file's version.
    if f.header().version >= 1_000_000 {
        out[45..53].copy_from_slice(&(new_at as i64).to_be_bytes());
        out[53..57].copy_from_slice(&nbytes.to_be_bytes());
    } else {
        out[37..41].copy_from_slice(&i32::try_from(new_at).unwrap().to_be_bytes());
        out[41..45].copy_from_slice(&nbytes.to_be_bytes());
    }
    out
}

/// Replace every occurrence of `from` in `bytes` by `to` (of the same length); returns how many.
///
/// ```
/// let mut b = b"abcabc".to_vec();
/// assert_eq!(hepfloat_testdata::damage::replace_all(&mut b, b"bc", b"xy"), 2);
/// assert_eq!(b, b"axyaxy");
/// ```
pub fn replace_all(bytes: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    assert_eq!(from.len(), to.len());
    let mut n = 0;
    let mut k = 0;
    while k + from.len() <= bytes.len() {
        if bytes[k..k + from.len()] == *from {
            bytes[k..k + from.len()].copy_from_slice(to);
            n += 1;
            k += from.len();
        } else {
            k += 1;
        }
    }
    n
}
