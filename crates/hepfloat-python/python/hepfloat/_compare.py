"""The comparison table from Python: how far the compressed values and a candidate (upsampled)
lie from the original, metric by metric, as rows a pandas DataFrame takes."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from . import _native


def _flat(x: Any) -> Any:
    """The float values of `x` (numpy, pyarrow or awkward; lists flattened) as a numpy array."""
    import numpy as np

    package = type(x).__module__.split(".")[0]
    if package == "awkward":
        import awkward

        x = awkward.to_arrow(x, extensionarray=False)
        package = "pyarrow"
    if package == "pyarrow":
        import pyarrow as pa

        if isinstance(x, pa.ChunkedArray):
            x = x.combine_chunks()
        while pa.types.is_list(x.type) or pa.types.is_large_list(x.type) or pa.types.is_fixed_size_list(x.type):
            x = x.flatten()
        x = x.drop_null().to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(x)


def compare(original: Any, compressed: Any, candidate: Any, bins: int = 100, kl_alpha: float = 0.5) -> List[Dict[str, Any]]:
    """Every metric of the comparison table (MSE, RMSE, MAE, max |Δ|, relative and log-MSE,
    effective bits, exact matches, sign flips, KL and Jensen–Shannon on linear and log10|x|
    histograms, Wasserstein-1, KS) for `compressed` and `candidate` against `original`: one dict
    per metric, `{"metric", "compressed", "candidate", "ratio"}`, `ratio` being candidate /
    compressed (below 1: the candidate is closer). Arrays: numpy (float32 or float64), pyarrow
    or awkward (lists flattened, nulls dropped), all three of one length.

    >>> import numpy as np, hepfloat
    >>> x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=np.float32)
    >>> rows = hepfloat.compare(x, x + np.float32(0.5), x + np.float32(0.25))
    >>> mse = next(r for r in rows if r["metric"] == "MSE")
    >>> mse["compressed"], mse["candidate"], mse["ratio"]
    (0.25, 0.0625, 0.25)
    """
    return _native.compare(_flat(original), _flat(compressed), _flat(candidate), bins, kl_alpha)


def compare_tables(original: Any, compressed: Any, candidate: Any, columns: Optional[List[str]] = None,
                   bins: int = 100, kl_alpha: float = 0.5) -> List[Dict[str, Any]]:
    """`compare` for each float column the three pyarrow Tables share (or `columns`): the rows
    of every column, each with a `"column"` key; columns the candidate left equal to the
    compressed values are included (ratio 1).

    >>> import pyarrow as pa, hepfloat
    >>> t = pa.table({"x": pa.array([1.0, 2.0, 3.0], pa.float32())})
    >>> rows = hepfloat.compare_tables(t, t, t)
    >>> rows[0]["column"], rows[0]["metric"], rows[0]["compressed"]
    ('x', 'MSE', 0.0)
    """
    import pyarrow as pa

    def is_float(t: Any) -> bool:
        while pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
            t = t.value_type
        return t == pa.float32() or t == pa.float64()

    if columns is None:
        shared = set(compressed.column_names) & set(candidate.column_names)
        columns = [f.name for f in original.schema if f.name in shared and is_float(f.type)]
    rows = []
    for name in columns:
        for row in compare(original[name], compressed[name], candidate[name], bins, kl_alpha):
            rows.append({"column": name, **row})
    return rows
