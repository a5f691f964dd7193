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
"""

from ._native import (
    Scheme,
    __version__,
    compress,
    compress_in_place,
    detect_kept_bits,
    max_abs_residual,
    preimage,
)

__all__ = [
    "Scheme",
    "__version__",
    "compress",
    "compress_in_place",
    "detect_kept_bits",
    "max_abs_residual",
    "preimage",
]
