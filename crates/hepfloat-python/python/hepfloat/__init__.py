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
from ._native import (
    ArrowStream,
    DamagedFileError,
    HepfloatError,
    Scheme,
    __version__,
    compress,
    compress_in_place,
    detect_kept_bits,
    max_abs_residual,
    preimage,
)

__all__ = [
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
