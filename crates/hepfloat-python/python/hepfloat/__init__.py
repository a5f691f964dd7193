"""hepfloat: precision upsampling of lossy-compressed HEP floats, from Python.

The lossy float schemes of ATLAS (DAOD), CMS (NanoAOD) and ROOT, bit for bit, the exact interval
of originals behind every compressed value, and kept-bit detection, on numpy arrays of float32
or float64 (any shape, C-contiguous). Each call releases the GIL while it works.

    >>> import numpy as np, hepfloat
    >>> s = hepfloat.Scheme.atlas(7)
    >>> c = hepfloat.compress(np.array([1.2345678], dtype=np.float32), s)
    >>> lo, hi = hepfloat.preimage(c, s)
    >>> bool(lo[0] <= 1.2345678 <= hi[0])
    True

ROOT files (TTree or RNTuple) open as in uproot, their columns read into pyarrow or awkward;
models are fitted, saved and applied as the CLI does (the same model files); `hepfloat.dask`
spreads files over a Dask cluster:

    >>> f = hepfloat.open("test-data/PHYSLITE_example.root")       # doctest: +SKIP
    >>> jets = f.events().arrays("AnalysisJetsAuxDyn.*")            # doctest: +SKIP
    >>> model = hepfloat.Model.fit(jets)                             # doctest: +SKIP
    >>> up = model.upsample(hepfloat.compress_table(jets))           # doctest: +SKIP
"""

from typing import Any, Optional, Tuple

from ._io import Events, File, open
from . import _native
from ._native import (
    ArrowArray,
    ArrowStream,
    DamagedFileError,
    HepfloatError,
    ModelFileError,
    Scheme,
    __version__,
    compress_in_place,
    max_abs_residual,
)
from ._compare import compare, compare_tables
from ._errors import SchemeMismatchError
from ._model import KEEP, Model, compress_table

__all__ = [
    "ArrowArray",
    "ArrowStream",
    "DamagedFileError",
    "Events",
    "File",
    "HepfloatError",
    "KEEP",
    "Model",
    "ModelFileError",
    "Scheme",
    "SchemeMismatchError",
    "__version__",
    "compare",
    "compare_tables",
    "compress",
    "compress_in_place",
    "compress_table",
    "detect_kept_bits",
    "max_abs_residual",
    "open",
    "preimage",
]


def _kind(x: Any) -> str:
    """`"awkward"`, `"chunked"` (a pyarrow ChunkedArray), `"arrow"` (a pyarrow Array) or
    `"numpy"` (anything else: the native functions say what they accept)."""
    package = type(x).__module__.split(".")[0]
    if package == "awkward":
        return "awkward"
    if package == "pyarrow":
        import pyarrow

        return "chunked" if isinstance(x, pyarrow.ChunkedArray) else "arrow"
    return "numpy"


def _leaf(t: Any) -> Any:
    """The value type under any lists of the Arrow type `t`."""
    import pyarrow as pa

    while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        t = t.value_type
    return t


def _is_float64(x: Any) -> bool:
    import pyarrow as pa

    return _leaf(x.type) == pa.float64()


def _map_float64(x: Any, f: Any) -> Any:
    """The pyarrow array `x` of float64 (or of lists of them, nested, fixed-size) with its
    non-null values replaced by `f(values)` (a numpy float64 array to one, or to a tuple of
    them): the same type, offsets and nulls — one array, or a tuple of arrays if `f` gives
    tuples. The numpy path of the native functions does the work."""
    import numpy as np
    import pyarrow as pa

    t = x.type
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        offsets = np.asarray(x.offsets)
        child = x.values.slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
        mask = x.is_null() if x.null_count else None
        make = pa.LargeListArray if pa.types.is_large_list(t) else pa.ListArray

        def build(c: Any) -> Any:
            return make.from_arrays(pa.array(offsets - offsets[0], type=x.offsets.type), c, type=t, mask=mask)
    elif pa.types.is_fixed_size_list(t):
        size = t.list_size
        child = x.values.slice(x.offset * size, len(x) * size)
        mask = x.is_null() if x.null_count else None

        def build(c: Any) -> Any:
            return pa.FixedSizeListArray.from_arrays(c, type=t, mask=mask)
    else:
        valid = x.is_valid().to_numpy(zero_copy_only=False)
        values = np.ascontiguousarray(x.fill_null(0.0).to_numpy(zero_copy_only=False)[valid], dtype=np.float64)
        out = f(values)

        def put(v: Any) -> Any:
            full = np.zeros(len(x), dtype=np.float64)
            full[valid] = v
            return pa.array(full, type=pa.float64(), mask=~valid if x.null_count else None)
        return tuple(put(v) for v in out) if isinstance(out, tuple) else put(out)
    inner = _map_float64(child, f)
    return tuple(build(c) for c in inner) if isinstance(inner, tuple) else build(inner)


def compress(x: Any, scheme: Scheme) -> Any:
    """`x` compressed with `scheme`, bit for bit what the experiment's writer stores, as the same
    kind of array that came in:

    - a numpy array of float32 or float64 (any shape): a new numpy array of that shape and dtype;
    - a pyarrow Array or ChunkedArray of float32 or float64, or of (nested, fixed-size) lists of
      them: the same Arrow type, offsets and nulls unchanged;
    - an awkward Array of such values (jagged lists included): an awkward Array.

    >>> import numpy as np, pyarrow as pa, hepfloat
    >>> jets = pa.array([[1.2345678, 2.5], [], None], type=pa.list_(pa.float32()))
    >>> out = hepfloat.compress(jets, hepfloat.Scheme.atlas(7))
    >>> out.type == jets.type and out.null_count == 1 and out[1].as_py() == []
    True
    """
    kind = _kind(x)
    if kind == "awkward":
        import awkward

        return awkward.from_arrow(compress(awkward.to_arrow(x, extensionarray=False), scheme))
    if kind == "chunked":
        import pyarrow

        return pyarrow.chunked_array([compress(c, scheme) for c in x.chunks], type=x.type)
    if kind == "arrow":
        import pyarrow

        if _is_float64(x):
            return _map_float64(x, lambda v: _native.compress(v, scheme))
        return pyarrow.array(_native.compress_arrow(x, scheme))
    return _native.compress(x, scheme)


def preimage(c: Any, scheme: Scheme) -> Tuple[Any, Any]:
    """The exact interval `[lo, hi]` of originals that `scheme` maps to each value of `c`, as two
    arrays of the kind that came in (numpy: same shape and dtype; pyarrow or awkward: same type,
    offsets and nulls). A value that is not an output of the scheme is a `ValueError` naming its
    index among the float values.

    >>> import numpy as np, hepfloat
    >>> lo, hi = hepfloat.preimage(np.array([1.0], dtype=np.float32), hepfloat.Scheme.atlas(7))
    >>> bool(lo[0] < 1.0 < hi[0])
    True
    """
    kind = _kind(c)
    if kind == "awkward":
        import awkward

        lo, hi = preimage(awkward.to_arrow(c, extensionarray=False), scheme)
        return awkward.from_arrow(lo), awkward.from_arrow(hi)
    if kind == "chunked":
        import pyarrow

        parts = [preimage(chunk, scheme) for chunk in c.chunks]
        return (pyarrow.chunked_array([p[0] for p in parts], type=c.type),
                pyarrow.chunked_array([p[1] for p in parts], type=c.type))
    if kind == "arrow":
        import pyarrow

        if _is_float64(c):
            return _map_float64(c, lambda v: tuple(_native.preimage(v, scheme)))
        lo, hi = _native.preimage_arrow(c, scheme)
        return pyarrow.array(lo), pyarrow.array(hi)
    return _native.preimage(c, scheme)


def detect_kept_bits(x: Any) -> Optional[int]:
    """The mantissa bits the float values of `x` keep (numpy, pyarrow or awkward arrays): the
    smallest `k` every value is consistent with, counting values that carry evidence; `None`
    when none does. Full precision data gives 23 (float32) or 52 (float64).

    >>> import numpy as np, hepfloat
    >>> hepfloat.detect_kept_bits(np.array([1.5, 1.25], dtype=np.float32))  # too few bits: no evidence
    >>> hepfloat.detect_kept_bits(hepfloat.compress(np.linspace(1, 2, 1000, dtype=np.float32), hepfloat.Scheme.atlas(10)))
    10
    """
    kind = _kind(x)
    if kind == "awkward":
        import awkward

        return detect_kept_bits(awkward.to_arrow(x, extensionarray=False))
    if kind == "chunked":
        return detect_kept_bits(x.combine_chunks()) if x.num_chunks else None
    if kind == "arrow":
        if _is_float64(x):
            from ._compare import _flat

            return _native.detect_kept_bits(_flat(x))
        return _native.detect_kept_bits_arrow(x)
    return _native.detect_kept_bits(x)
