"""The `hepfloat` package as Python sees it: every scheme bit for bit against plain numpy
references (independent of the Rust code), preimages that hold their originals and match the
compressor, kept-bit detection, shapes and dtypes kept, and every wrong input a clear exception.

Run after `maturin develop` (or installing the wheel):  python -m pytest crates/hepfloat-python/tests
"""

import pickle

import numpy as np
import pytest

import hepfloat

RNG = np.random.default_rng(7)


def edge_f32():
    """Edge classes: zeros, subnormals, the normal limits, powers of two and their neighbours,
    the largest finite values, infinities, NaN."""
    bits = [0x0, 0x80000000, 0x1, 0x807FFFFF, 0x007FFFFF, 0x00800000, 0x3F800000, 0x3F7FFFFF,
            0x3FFFFFFF, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F7FFF00, 0x7F800000, 0xFF800000, 0x7FC00000]
    return np.array(bits, dtype=np.uint32).view(np.float32)


def sample_f32(n=200_000):
    """Random bit patterns (every class), then the edges."""
    x = RNG.integers(0, 2**32, size=n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    return np.concatenate([x, edge_f32()])


def atlas_numpy(x, k):
    """ATLAS CxxUtils::FloatCompressor on float32, in numpy integer arithmetic (the notes'
    formula: b += r below vmax, then clear the low 23 - k bits; non-finite unchanged)."""
    b = x.view(np.uint32).astype(np.uint64)
    if k >= 23:
        return x.copy()
    r = np.uint64(1 << (22 - k))
    mask = np.uint64((0xFFFFFFFF << (23 - k)) & 0xFFFFFFFF)
    vmax = np.uint64(0x7F7FFFFF) - r
    finite = np.isfinite(x)
    rounded = np.where((b & np.uint64(0x7FFFFFFF)) < vmax, b + r, b) & mask
    out = np.where(finite, rounded, b).astype(np.uint32).view(np.float32)
    return out


def toward_zero_numpy(x, k):
    """Truncation: clear the low 23 - k mantissa bits (NaN payloads aside)."""
    b = x.view(np.uint32)
    mask = np.uint32((0xFFFFFFFF << (23 - k)) & 0xFFFFFFFF)
    out = (b & mask).view(np.float32)
    return np.where(np.isnan(x), x, out)


@pytest.mark.parametrize("k", [5, 7, 10, 15, 22, 23])
def test_atlas_matches_the_numpy_reference_bit_for_bit(k):
    x = sample_f32()
    got = hepfloat.compress(x, hepfloat.Scheme.atlas(k))
    assert got.dtype == np.float32 and got.shape == x.shape
    want = atlas_numpy(x, k)
    same = got.view(np.uint32) == want.view(np.uint32)
    # NaN payloads may differ in quiet bits only where the reference and the SDK both keep NaN.
    same |= np.isnan(got) & np.isnan(want)
    assert same.all(), x[~same][:5]


@pytest.mark.parametrize("k", [1, 7, 16, 22])
def test_truncation_matches_the_numpy_reference(k):
    x = sample_f32()
    got = hepfloat.compress(x, hepfloat.Scheme.toward_zero(k))
    want = toward_zero_numpy(x, k)
    finite = np.isfinite(x)
    assert (got.view(np.uint32)[finite] == want.view(np.uint32)[finite]).all()


def test_half_matches_numpy_float16():
    """IEEE half precision: numpy's own float16 conversion is the reference (round to nearest
    even, overflow to inf), for every finite float32 in half's range and beyond."""
    x = sample_f32()
    x = x[np.isfinite(x)]
    got = hepfloat.compress(x, hepfloat.Scheme.half())
    with np.errstate(over="ignore"):
        want = x.astype(np.float16).astype(np.float32)
    assert (got.view(np.uint32) == want.view(np.uint32)).all()


@pytest.mark.parametrize(
    "scheme",
    [hepfloat.Scheme.atlas(7), hepfloat.Scheme.cms(10), hepfloat.Scheme.nearest_even(12),
     hepfloat.Scheme.root_float16(10), hepfloat.Scheme.half(), hepfloat.Scheme.root_range(-5.0, 5.0, 12)],
    ids=str,
)
def test_preimages_hold_their_originals_and_map_back(scheme):
    x = RNG.normal(0, 3, size=50_000).astype(np.float32)
    x = x[(x > -5) & (x < 5)]
    c = hepfloat.compress(x, scheme)
    lo, hi = hepfloat.preimage(c, scheme)
    assert ((lo <= x) & (x <= hi)).all()
    # Both ends are originals that compress to c: the interval is exact, not just a bound.
    for end in (lo, hi):
        back = hepfloat.compress(end, scheme)
        assert (back.view(np.uint32) == c.view(np.uint32)).all()


def test_float64_and_shapes_are_kept():
    x = RNG.normal(size=(3, 4, 5))
    c = hepfloat.compress(x, hepfloat.Scheme.atlas(7))
    assert c.dtype == np.float64 and c.shape == (3, 4, 5)
    lo, hi = hepfloat.preimage(c, hepfloat.Scheme.atlas(7))
    assert lo.shape == (3, 4, 5) and ((lo <= x) & (x <= hi)).all()


def test_compress_in_place_writes_into_the_array():
    x = RNG.normal(size=1000).astype(np.float32)
    expected = hepfloat.compress(x, hepfloat.Scheme.atlas(7))
    before = x.__array_interface__["data"][0]
    hepfloat.compress_in_place(x, hepfloat.Scheme.atlas(7))
    assert x.__array_interface__["data"][0] == before
    assert (x.view(np.uint32) == expected.view(np.uint32)).all()


def test_kept_bits_are_detected():
    x = RNG.normal(size=10_000).astype(np.float32)
    assert hepfloat.detect_kept_bits(x) == 23
    for k in (7, 10, 15):
        assert hepfloat.detect_kept_bits(hepfloat.compress(x, hepfloat.Scheme.atlas(k))) == k
    assert hepfloat.detect_kept_bits(np.zeros(10, dtype=np.float32)) is None


def test_schemes_read_back_from_their_text():
    for s in [hepfloat.Scheme.atlas(7), hepfloat.Scheme.cms(3), hepfloat.Scheme.root_range(-2.71, 10.0, 20),
              hepfloat.Scheme.half()]:
        assert hepfloat.Scheme(str(s)) == s
        assert hash(hepfloat.Scheme(str(s))) == hash(s)
        assert pickle.loads(pickle.dumps(s)) == s  # to Dask workers
    assert str(hepfloat.Scheme.atlas(7)) == "Atlas{k=7}"
    assert "Atlas{k=7}" in repr(hepfloat.Scheme.atlas(7))


def test_max_abs_residual_bounds_the_residuals():
    s = hepfloat.Scheme.atlas(7)
    x = RNG.normal(size=1000).astype(np.float32)
    c = hepfloat.compress(x, s)
    bound = np.array([hepfloat.max_abs_residual(float(v), s) for v in c])
    assert (np.abs(x.astype(np.float64) - c.astype(np.float64)) <= bound).all()


def test_wrong_inputs_are_clear_exceptions():
    s = hepfloat.Scheme.atlas(7)
    with pytest.raises(TypeError, match="float32 or float64"):
        hepfloat.compress(np.arange(5), s)
    with pytest.raises(TypeError, match="float32 or float64"):
        hepfloat.compress([1.0, 2.0], s)
    with pytest.raises(TypeError, match="float32 or float64"):
        hepfloat.preimage(np.zeros(3, dtype=np.float16), s)
    with pytest.raises(ValueError, match="contiguous"):
        hepfloat.compress(np.zeros(10, dtype=np.float32)[::2], s)
    ro = np.zeros(4, dtype=np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="cannot be written"):
        hepfloat.compress_in_place(ro, s)
    with pytest.raises(ValueError, match="not a possible output"):
        hepfloat.preimage(np.array([1.2345678], dtype=np.float32), s)
    with pytest.raises(ValueError):
        hepfloat.Scheme.atlas(99)
    with pytest.raises(ValueError):
        hepfloat.Scheme("Nonsense{k=1}")
    with pytest.raises(TypeError):
        hepfloat.compress(np.zeros(3, dtype=np.float32), "Atlas{k=7}")


def test_the_package_docstring_examples_run():
    import doctest

    import hepfloat._compare
    import hepfloat._model

    for module, least in [(hepfloat, 4), (hepfloat._model, 2), (hepfloat._compare, 2)]:
        failed, attempted = doctest.testmod(module)
        assert attempted >= least and failed == 0, module.__name__
