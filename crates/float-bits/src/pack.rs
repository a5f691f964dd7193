//! Dense bit packing of compressed `f32` values (`9 + k` bits each) and the byte-stream-split
//! transform: the size saving of mantissa rounding realised without a general-purpose
//! compressor.
//!
//! Packed layout: value `i` occupies bits `[i·w, (i+1)·w)` of the output, `w = 9 + k`, bits
//! numbered little-endian (bit 0 is the least significant bit of byte 0). Each code is the
//! value's raw bits shifted right by `23 - k`: sign, 8 exponent bits, `k` mantissa bits.

use crate::error::{Error, Result};
use crate::float::Float;

/// Bits per packed `f32` at `k` kept mantissa bits: sign, exponent and `k` bits, `9 + k`.
///
/// ```
/// assert_eq!(float_bits::pack::bits_per_value(7), 16);
/// ```
pub const fn bits_per_value(k: u32) -> u32 {
    9 + k
}

fn check_k(k: u32) -> Result<()> {
    if k <= 23 { Ok(()) } else { Err(Error::KeptBitsOutOfRange { scheme: "pack", k, min: 0, max: 23 }) }
}

/// Bytes needed to pack `n` values at `k` kept bits: `ceil(n · (9 + k) / 8)`.
///
/// ```
/// assert_eq!(float_bits::pack::packed_len(7, 10)?, 20);
/// assert_eq!(float_bits::pack::packed_len(15, 3)?, 9);
/// assert_eq!(float_bits::pack::packed_len(0, 1)?, 2); // 9 bits round up to 2 bytes
/// # Ok::<(), float_bits::Error>(())
/// ```
pub fn packed_len(k: u32, n: usize) -> Result<usize> {
    check_k(k)?;
    let bits = (n as u128) * u128::from(bits_per_value(k));
    usize::try_from(bits.div_ceil(8)).map_err(|_| Error::LengthOverflow { values: n })
}

/// Calls `$f::<W>(args)` with `W = 9 + k` as a constant, so each width gets its own loop.
macro_rules! by_width {
    ($k:expr, $f:ident, $($arg:expr),*) => {
        match $k {
            0 => $f::<9>($($arg),*), 1 => $f::<10>($($arg),*), 2 => $f::<11>($($arg),*),
            3 => $f::<12>($($arg),*), 4 => $f::<13>($($arg),*), 5 => $f::<14>($($arg),*),
            6 => $f::<15>($($arg),*), 7 => $f::<16>($($arg),*), 8 => $f::<17>($($arg),*),
            9 => $f::<18>($($arg),*), 10 => $f::<19>($($arg),*), 11 => $f::<20>($($arg),*),
            12 => $f::<21>($($arg),*), 13 => $f::<22>($($arg),*), 14 => $f::<23>($($arg),*),
            15 => $f::<24>($($arg),*), 16 => $f::<25>($($arg),*), 17 => $f::<26>($($arg),*),
            18 => $f::<27>($($arg),*), 19 => $f::<28>($($arg),*), 20 => $f::<29>($($arg),*),
            21 => $f::<30>($($arg),*), 22 => $f::<31>($($arg),*), _ => $f::<32>($($arg),*),
        }
    };
}

/// Pack `src` (values with at most `k` mantissa bits, e.g. the output of a mantissa scheme at
/// `k`) into `dst`; returns the number of bytes written, [`packed_len`]`(k, src.len())`.
///
/// Errors: `k > 23`; `dst` shorter than needed; a value with non-zero bits below the kept ones
/// ([`Error::NotPackable`], naming the first; `dst` is then partly written). NaNs that `Atlas`
/// and `NearestEven` pass through keep their payload and usually cannot be packed; bytes of
/// `dst` beyond the packed length are left untouched.
///
/// ```
/// use float_bits::{pack, Scheme};
/// let mut v = vec![1.1f32, -2.2, 3.3e-3, 0.0, f32::INFINITY];
/// Scheme::atlas(7)?.compress_in_place(&mut v)?;
/// let mut bytes = vec![0u8; pack::packed_len(7, v.len())?];
/// assert_eq!(pack::pack(7, &v, &mut bytes)?, 10); // 2 bytes per value instead of 4
/// let mut back = vec![0f32; v.len()];
/// pack::unpack(7, &bytes, &mut back)?;
/// assert_eq!(back, v);
/// # Ok::<(), float_bits::Error>(())
/// ```
pub fn pack(k: u32, src: &[f32], dst: &mut [u8]) -> Result<usize> {
    let needed = packed_len(k, src.len())?;
    if dst.len() < needed {
        return Err(Error::BufferTooSmall { needed, have: dst.len() });
    }
    let dst = &mut dst[..needed];
    by_width!(k, pack_w, src, dst).map_err(|index| Error::NotPackable {
        index,
        bits: u64::from(src[index].to_bits()),
        k,
    })?;
    Ok(needed)
}

/// Unpack `dst.len()` values at `k` kept bits from `src` (the output of [`pack`]); the dropped
/// mantissa bits come back as zeros, so the values are exactly the packed ones.
///
/// Errors: `k > 23`; `src` shorter than [`packed_len`]`(k, dst.len())`.
///
/// ```
/// let mut out = [0f32; 1];
/// float_bits::pack::unpack(7, &[0x80, 0x3f], &mut out)?;
/// assert_eq!(out[0], 1.0);
/// # Ok::<(), float_bits::Error>(())
/// ```
pub fn unpack(k: u32, src: &[u8], dst: &mut [f32]) -> Result<()> {
    let needed = packed_len(k, dst.len())?;
    if src.len() < needed {
        return Err(Error::BufferTooSmall { needed, have: src.len() });
    }
    by_width!(k, unpack_w, &src[..needed], dst);
    Ok(())
}

/// Packs with `W` bits per value; `Err(index)` of the first value with dropped bits set.
fn pack_w<const W: usize>(src: &[f32], dst: &mut [u8]) -> Result<(), usize> {
    let shift = 32 - W as u32;
    let low: u32 = ((1u64 << shift) - 1) as u32;
    let (blocks, tail) = src.as_chunks::<8>();
    let (out_blocks, out_tail) = dst.as_chunks_mut::<W>();
    for (b, (block, out)) in blocks.iter().zip(out_blocks.iter_mut()).enumerate() {
        // Eight values fill exactly `W` bytes.
        let mut bad = 0u32;
        let mut acc = 0u64;
        let mut filled = 0usize;
        let mut pos = 0usize;
        for &x in block {
            let bits = x.to_bits();
            bad |= bits & low;
            acc |= u64::from(bits >> shift) << filled;
            filled += W;
            if filled >= 32 {
                out[pos..pos + 4].copy_from_slice(&(acc as u32).to_le_bytes());
                acc >>= 32;
                filled -= 32;
                pos += 4;
            }
        }
        while filled > 0 {
            out[pos] = acc as u8;
            acc >>= 8;
            filled -= 8;
            pos += 1;
        }
        if bad != 0 {
            let i = block.iter().position(|x| x.to_bits() & low != 0).unwrap_or(0);
            return Err(b * 8 + i);
        }
    }
    // Fewer than eight values left: a plain bit writer.
    out_tail.fill(0);
    let base = blocks.len() * 8;
    for (i, &x) in tail.iter().enumerate() {
        let bits = x.to_bits();
        if bits & low != 0 {
            return Err(base + i);
        }
        let code = u64::from(bits >> shift);
        for bit in 0..W {
            if code >> bit & 1 == 1 {
                let at = i * W + bit;
                out_tail[at / 8] |= 1 << (at % 8);
            }
        }
    }
    Ok(())
}

fn unpack_w<const W: usize>(src: &[u8], dst: &mut [f32]) {
    let shift = 32 - W as u32;
    let mask = (1u64 << W) - 1;
    let (blocks, tail) = dst.as_chunks_mut::<8>();
    let (in_blocks, in_tail) = src.as_chunks::<W>();
    for (out, inp) in blocks.iter_mut().zip(in_blocks) {
        // Pad so that every value can be read with one 8-byte load.
        let mut buf = [0u8; 40];
        buf[..W].copy_from_slice(inp);
        for (i, o) in out.iter_mut().enumerate() {
            let at = i * W;
            let mut word = [0u8; 8];
            word.copy_from_slice(&buf[at / 8..at / 8 + 8]);
            let code = (u64::from_le_bytes(word) >> (at % 8)) & mask;
            *o = f32::from_bits((code as u32) << shift);
        }
    }
    for (i, o) in tail.iter_mut().enumerate() {
        let mut code = 0u32;
        for bit in 0..W {
            let at = i * W + bit;
            code |= u32::from(in_tail[at / 8] >> (at % 8) & 1) << bit;
        }
        *o = f32::from_bits(code << shift);
    }
}

/// Byte-stream split (Parquet's `BYTE_STREAM_SPLIT`): byte `j` of value `i` goes to
/// `dst[j · n + i]`. After mantissa rounding the low-order streams are mostly zeros, which a
/// general-purpose compressor then squeezes out. `dst.len()` must be `src.len() · size_of::<F>()`.
///
/// ```
/// use float_bits::pack::{byte_stream_split, byte_stream_join};
/// let v = [1.0f32, 2.0];
/// let mut s = [0u8; 8];
/// byte_stream_split(&v, &mut s)?;
/// assert_eq!(s, [0, 0, 0, 0, 0x80, 0, 0x3f, 0x40]);
/// let mut back = [0f32; 2];
/// byte_stream_join(&s, &mut back)?;
/// assert_eq!(back, v);
/// # Ok::<(), float_bits::Error>(())
/// ```
pub fn byte_stream_split<F: Float>(src: &[F], dst: &mut [u8]) -> Result<()> {
    let size = core::mem::size_of::<F>();
    let bytes_in = core::mem::size_of_val(src);
    if dst.len() != bytes_in {
        return Err(Error::LengthMismatch { input: bytes_in, output: dst.len() });
    }
    let bytes: &[u8] = bytemuck::cast_slice(src);
    match size {
        4 => split_s::<4>(bytes, dst),
        _ => split_s::<8>(bytes, dst),
    }
    Ok(())
}

/// Inverse of [`byte_stream_split`]: `src.len()` must be `dst.len() · size_of::<F>()`.
///
/// ```
/// let mut v = [0f64; 1];
/// float_bits::pack::byte_stream_join(&[0, 0, 0, 0, 0, 0, 0xf0, 0x3f], &mut v)?;
/// assert_eq!(v[0], 1.0);
/// # Ok::<(), float_bits::Error>(())
/// ```
pub fn byte_stream_join<F: Float>(src: &[u8], dst: &mut [F]) -> Result<()> {
    let size = core::mem::size_of::<F>();
    let bytes_out = core::mem::size_of_val(dst);
    if src.len() != bytes_out {
        return Err(Error::LengthMismatch { input: src.len(), output: bytes_out });
    }
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(dst);
    match size {
        4 => join_s::<4>(src, bytes),
        _ => join_s::<8>(src, bytes),
    }
    Ok(())
}

fn split_s<const S: usize>(bytes: &[u8], dst: &mut [u8]) {
    let n = bytes.len() / S;
    let (values, _) = bytes.as_chunks::<S>();
    let streams: [&mut [u8]; S] = split_streams(dst, n);
    for (i, v) in values.iter().enumerate() {
        for j in 0..S {
            streams[j][i] = v[j];
        }
    }
}

fn join_s<const S: usize>(src: &[u8], bytes: &mut [u8]) {
    let n = bytes.len() / S;
    let (values, _) = bytes.as_chunks_mut::<S>();
    let streams: [&[u8]; S] = core::array::from_fn(|j| &src[j * n..(j + 1) * n]);
    for (i, v) in values.iter_mut().enumerate() {
        for j in 0..S {
            v[j] = streams[j][i];
        }
    }
}

/// Splits `dst` into `S` consecutive streams of `n` bytes.
fn split_streams<const S: usize>(dst: &mut [u8], n: usize) -> [&mut [u8]; S] {
    let mut rest = dst;
    core::array::from_fn(|_| {
        let (head, tail) = core::mem::take(&mut rest).split_at_mut(n);
        rest = tail;
        head
    })
}
