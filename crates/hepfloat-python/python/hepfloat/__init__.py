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

ROOT files (TTree or RNTuple) open as in uproot, their columns read into pyarrow or awkward:

    >>> f = hepfloat.open("test-data/PHYSLITE_example.root")       # doctest: +SKIP
    >>> jets = f.events().arrays("AnalysisJetsAuxDyn.*")            # doctest: +SKIP
"""

from ._io import Events, File, open
from . import _native
from ._native import (
    ArrowArray,
    ArrowStream,
    DamagedFileError,
    HepfloatError,
    Scheme,
    __version__,
    compress_in_place,
    detect_kept_bits,
    max_abs_residual,
    preimage,
)

__all__ = [
    "ArrowArray",
    "ArrowStream",
    "DamagedFileError",
    "Events",
    "File",
    "HepfloatError",
    "Scheme",
    "__version__",
    "compress",
    "compress_in_place",
    "detect_kept_bits",
    "max_abs_residual",
    "open",
    "preimage",
]


def compress(x, scheme):
    """`x` compressed with `scheme`, bit for bit what the experiment's writer stores, as the same
    kind of array that came in:

    - a numpy array of float32 or float64 (any shape): a new numpy array of that shape and dtype;
    - a pyarrow Array or ChunkedArray of float32, or of (nested, fixed-size) lists of float32:
      the same Arrow type, offsets and nulls unchanged;
    - an awkward Array of such values (jagged lists included): an awkward Array.

    >>> import numpy as np, pyarrow as pa, hepfloat
    >>> jets = pa.array([[1.2345678, 2.5], [], None], type=pa.list_(pa.float32()))
    >>> out = hepfloat.compress(jets, hepfloat.Scheme.atlas(7))
    >>> out.type == jets.type and out.null_count == 1 and out[1].as_py() == []
    True
    """
    package = type(x).__module__.split(".")[0]
    if package == "awkward":
        import awkward

        arrow = awkward.to_arrow(x, extensionarray=False)
        return awkward.from_arrow(compress(arrow, scheme))
    if package == "pyarrow":
        import pyarrow

        if isinstance(x, pyarrow.ChunkedArray):
            return pyarrow.chunked_array([compress(c, scheme) for c in x.chunks], type=x.type)
        return pyarrow.array(_native.compress_arrow(x, scheme))
    return _native.compress(x, scheme)
