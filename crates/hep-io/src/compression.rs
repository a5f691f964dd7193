//! ROOT's compressed-block format and every codec in use: zlib (`ZL`), LZMA (`XZ`), LZ4 with its
//! xxHash-64 checksum (`L4`) and ZSTD (`ZS`), including objects split into several blocks.

use crate::error::{Error, Result};

/// Size of a block header: 2-byte tag, method byte, 3-byte compressed size, 3-byte
/// uncompressed size (both little-endian).
const HEADER: usize = 9;

/// The codec of a compressed block, from its two-byte tag.
///
/// ```
/// assert_eq!(hep_io::Codec::from_tag(*b"ZS"), Some(hep_io::Codec::Zstd));
/// assert_eq!(hep_io::Codec::from_tag(*b"??"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// `ZL`: zlib (deflate with the zlib wrapper).
    Zlib,
    /// `XZ`: LZMA in the xz container.
    Lzma,
    /// `L4`: LZ4 block, preceded by the big-endian xxHash-64 of the compressed bytes.
    Lz4,
    /// `ZS`: Zstandard frame.
    Zstd,
    /// `CS`: ROOT's own pre-2008 algorithm (recognised, not supported).
    OldRoot,
}

impl Codec {
    /// The codec named by a block tag.
    ///
    /// ```
    /// assert_eq!(hep_io::Codec::from_tag(*b"L4"), Some(hep_io::Codec::Lz4));
    /// ```
    pub fn from_tag(tag: [u8; 2]) -> Option<Codec> {
        Some(match &tag {
            b"ZL" => Codec::Zlib,
            b"XZ" => Codec::Lzma,
            b"L4" => Codec::Lz4,
            b"ZS" => Codec::Zstd,
            b"CS" => Codec::OldRoot,
            _ => return None,
        })
    }

    /// Display name.
    ///
    /// ```
    /// assert_eq!(hep_io::Codec::Zlib.name(), "zlib");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zlib => "zlib",
            Codec::Lzma => "lzma",
            Codec::Lz4 => "lz4",
            Codec::Zstd => "zstd",
            Codec::OldRoot => "ROOT CS",
        }
    }
}

/// Decompress an object stored at file offset `base` into exactly `out_len` bytes. `src` equal in
/// length to `out_len` is stored uncompressed. Every block must decode to exactly the size its
/// header declares, the blocks must add up to `out_len`, and no byte of `src` may be left over.
/// The caller bounds `out_len` (it sizes the only allocation).
pub(crate) fn decompress(src: &[u8], base: u64, out_len: usize) -> Result<Vec<u8>> {
    if src.len() == out_len {
        return Ok(src.to_vec());
    }
    let mut out = vec![0u8; out_len];
    let (mut pos, mut done) = (0usize, 0usize);
    // Each block produces at least one byte, so this loop runs at most `out_len` times.
    while done < out_len {
        // `pos` stays within `src`, so these additions cannot overflow; checked all the same.
        let at = base.saturating_add(pos as u64);
        let Some(h) = pos.checked_add(HEADER).and_then(|end| src.get(pos..end)) else {
            return Err(Error::Truncated {
                what: "compressed block header",
                offset: at,
                need: HEADER as u64,
                have: (src.len() - pos.min(src.len())) as u64,
            });
        };
        let tag = [h[0], h[1]];
        let c_size = usize::from(h[3]) | usize::from(h[4]) << 8 | usize::from(h[5]) << 16;
        let u_size = usize::from(h[6]) | usize::from(h[7]) << 8 | usize::from(h[8]) << 16;
        let codec = Codec::from_tag(tag).ok_or(Error::UnknownCodec { offset: at, tag })?;
        let fail = |detail: String| Error::Decompression { offset: at, codec: codec.name(), detail };
        if u_size == 0 || u_size > out_len - done {
            return Err(fail(format!("declares {u_size} bytes but {} remain of the object", out_len - done)));
        }
        let body_at = pos + HEADER; // the header was found inside `src`
        let body_end = body_at.checked_add(c_size);
        let Some((body_end, body)) = body_end.and_then(|end| Some((end, src.get(body_at..end)?))) else {
            return Err(Error::Truncated {
                what: "compressed block",
                offset: at,
                need: c_size as u64,
                have: src.len().saturating_sub(body_at) as u64,
            });
        };
        let dst = &mut out[done..done + u_size];
        let got = match codec {
            Codec::Zlib => inflate(body, dst).map_err(fail)?,
            Codec::Lzma => unxz(body, dst).map_err(fail)?,
            Codec::Lz4 => {
                let (sum, data) = body.split_at_checked(8).ok_or_else(|| fail("no room for the checksum".into()))?;
                let expected = u64::from_be_bytes(sum.try_into().map_err(|_| fail("short checksum".into()))?);
                let actual = twox_hash::XxHash64::oneshot(0, data);
                if actual != expected {
                    return Err(fail(format!("xxHash-64 {actual:#018x} does not match the stored {expected:#018x}")));
                }
                lz4_flex::block::decompress_into(data, dst).map_err(|e| fail(e.to_string()))?
            }
            Codec::Zstd => zstd::bulk::decompress_to_buffer(body, dst).map_err(|e| fail(e.to_string()))?,
            Codec::OldRoot => return Err(fail("the pre-2008 ROOT algorithm is not supported".into())),
        };
        if got != u_size {
            return Err(fail(format!("decoded {got} bytes, the header declares {u_size}")));
        }
        done += u_size;
        pos = body_end;
    }
    if pos != src.len() {
        return Err(Error::Malformed {
            what: "compressed object",
            offset: base.saturating_add(pos as u64),
            detail: format!("{} bytes left after the last block", src.len() - pos),
        });
    }
    Ok(out)
}

/// zlib into exactly `dst` with libdeflate: it never writes past `dst` (a stream that would is
/// an error), and it verifies the zlib header and the Adler-32 of the data, so damaged data is an
/// error. Chosen by measurement over `miniz_oxide` and `zlib-rs` (`cargo bench -p
/// hepfloat-benches --bench inflate`: 1.6× `miniz_oxide`, 1.4× `zlib-rs` on the sample's floats).
fn inflate(src: &[u8], dst: &mut [u8]) -> Result<usize, String> {
    libdeflater::Decompressor::new().zlib_decompress(src, dst).map_err(|e| format!("zlib: {e}"))
}

/// xz into exactly `dst`.
fn unxz(src: &[u8], dst: &mut [u8]) -> Result<usize, String> {
    let mut stream = liblzma::stream::Stream::new_stream_decoder(1 << 30, 0).map_err(|e| e.to_string())?;
    let status = stream.process(src, dst, liblzma::stream::Action::Finish).map_err(|e| e.to_string())?;
    if status != liblzma::stream::Status::StreamEnd {
        return Err(format!("xz stream not finished ({status:?}) after {} bytes", stream.total_out()));
    }
    usize::try_from(stream.total_out()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::decompress;
    use crate::error::Error;

    /// Block headers declaring the 24-bit maximum sizes: truncation or a size mismatch, named
    /// at the block's offset.
    #[test]
    fn maximal_block_sizes_are_errors() {
        let mut src = b"ZS\x01\xff\xff\xff\xff\xff\xff".to_vec();
        src.extend([0; 16]);
        let e = decompress(&src, 500, 100).unwrap_err();
        assert!(matches!(e, Error::Decompression { offset: 500, .. }), "{e}");
        let e = decompress(&src, 500, 0xff_ffff).unwrap_err();
        assert!(matches!(e, Error::Truncated { what: "compressed block", offset: 500, need: 0xff_ffff, .. }), "{e}");
        let e = decompress(&src, u64::MAX - 3, 0xff_ffff).unwrap_err();
        assert!(matches!(e, Error::Truncated { offset: 0xffff_ffff_ffff_fffc, .. }), "{e}");
    }
}
