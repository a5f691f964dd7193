"""Fitted models from Python: `Model.fit` on original events as `hepfloat fit` fits them,
`Model.load` / `save` with the CLI's model files, `model.upsample` on pyarrow, awkward and numpy
data, and `compress_table` to compress events as a producer writes them."""

from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _native
from ._io import Events, FilterName, _pyarrow, open
from ._native import Scheme

#: The variables ATLAS keeps at full precision in every container (`hepfloat --keep`).
KEEP = ("pt", "eta", "phi", "m")

#: The scheme `hepfloat fit` and `compress` take by default: ATLAS rounding to 7 bits.
DEFAULT_SCHEME = Scheme.atlas(7)


def _declaration(scheme: Optional[Scheme], schemes: Optional[Mapping[str, Optional[Scheme]]],
                 keep: Sequence[str]) -> Tuple[Optional[Scheme], List[Tuple[str, Optional[Scheme]]], List[str]]:
    if isinstance(keep, str):
        keep = [k for k in keep.split(",") if k]
    return scheme, list((schemes or {}).items()), [str(k) for k in keep]


def _kind(x: Any) -> str:
    """How `x` came: `"table"`, `"batch"`, `"stream"` (anything with `__arrow_c_stream__`),
    `"awkward"`, `"events"`, `"path"`."""
    if isinstance(x, (str, os.PathLike)):
        return "path"
    if isinstance(x, Events):
        return "events"
    if type(x).__module__.split(".")[0] == "awkward":
        return "awkward"
    pa = _pyarrow()
    if isinstance(x, pa.Table):
        return "table"
    if isinstance(x, pa.RecordBatch):
        return "batch"
    if hasattr(x, "__arrow_c_stream__") and not isinstance(x, (pa.Array, pa.ChunkedArray)):
        return "stream"
    raise TypeError(
        f"expected events: a pyarrow Table, RecordBatch or RecordBatchReader, an awkward Array of records, "
        f"hepfloat Events or a ROOT file's path; got {type(x).__name__} (one column's values: pass column=NAME)")


def _table(x: Any, filter_name: FilterName = None) -> Any:
    """`x` (any kind `_kind` accepts) read whole as a pyarrow Table."""
    pa = _pyarrow()
    kind = _kind(x)
    if kind == "path":
        x, kind = open(x).events(), "events"
    if kind == "events":
        return x.arrays(filter_name)
    if kind == "awkward":
        import awkward

        return awkward.to_arrow_table(x, extensionarray=False)
    if kind == "batch":
        return pa.Table.from_batches([x])
    if kind == "stream":
        return pa.RecordBatchReader.from_stream(x).read_all()
    return x


def _like(result: Any, kind: str) -> Any:
    """An Arrow stream of results as the kind of data that came in."""
    pa = _pyarrow()
    reader = pa.RecordBatchReader.from_stream(result)
    if kind == "stream":
        return reader
    table = reader.read_all()
    if kind == "batch":
        return table.combine_chunks().to_batches()[0] if table.num_rows else pa.RecordBatch.from_pylist([], schema=table.schema)
    if kind == "awkward":
        import awkward

        return awkward.from_arrow(table)
    return table


def compress_table(data: Any, scheme: Optional[Scheme] = DEFAULT_SCHEME, *,
                   schemes: Optional[Mapping[str, Optional[Scheme]]] = None, keep: Sequence[str] = KEEP) -> Any:
    """The events `data` with every float column compressed, bit for bit as the producer writes
    them, each compressed column's field recording its scheme (`hepfloat.scheme`), as
    `hepfloat compress` writes them. `scheme` compresses every float column (`None`: none)
    except those `keep` names (variables such as `pt`, or whole column names) and those a glob
    of `schemes` matches (the first match wins; `None` keeps the column at full precision).

    `data`: a pyarrow Table, RecordBatch or RecordBatchReader (the same kind comes back; a
    reader is compressed as it is read), an awkward Array of records, or anything with
    `__arrow_c_stream__` (a pyarrow RecordBatchReader comes back).

    >>> import pyarrow as pa, hepfloat
    >>> t = pa.table({"Jets.pt": pa.array([41000.123], pa.float32()), "Jets.x": pa.array([1.2345678], pa.float32())})
    >>> c = hepfloat.compress_table(t)
    >>> c["Jets.pt"][0].as_py() == t["Jets.pt"][0].as_py(), c["Jets.x"][0].as_py()
    (True, 1.234375)
    >>> c.schema.field("Jets.x").metadata
    {b'hepfloat.scheme': b'Atlas{k=7}'}
    """
    kind = _kind(data)
    if kind in ("path", "events"):
        raise TypeError("compress_table takes events in memory or a stream: read a file with hepfloat.open(...).events().arrow_stream()")
    source = _table(data) if kind in ("awkward", "batch") else data
    default, mapped, kept = _declaration(scheme, schemes, keep)
    return _like(_native.compress_stream(source, default, mapped, kept, kind != "stream"), kind)


def _split(total: int, validation: float) -> int:
    """The training events of `total`, rounded as `hepfloat fit` rounds (half away from zero)."""
    return int(math.floor(total * (1.0 - validation) + 0.5))


class Model:
    """A fitted upsampling model: for each compressed float column, the estimator the gate
    chose on validation events (never one that does worse than the compressed values), and the
    relation groups it uses. Model files are the CLI's (`hepfloat fit`, `hepfloat upsample
    --model`): either side reads what the other writes.

    >>> import numpy as np, pyarrow as pa, hepfloat
    >>> x = (np.arange(4000) % 700).astype(np.float32)          # integer counts stored as floats
    >>> model = hepfloat.Model.fit(pa.table({"c.n": x}))
    >>> model.columns[0][2]                                      # the gate's choice
    'lattice'
    >>> c = hepfloat.compress(x, hepfloat.Scheme.atlas(7))
    >>> y = model.upsample(c, column="c.n")
    >>> bool(((y - x) ** 2).sum() < 0.8 * ((c - x) ** 2).sum())  # closer than the compressed values
    True
    """

    def __init__(self, native: _native.Model) -> None:
        self._native = native
        #: The relation groups tested when fitting: dicts of `relation`, `members`, `kept`,
        #: `why` (empty for a loaded model).
        self.tested: List[Dict[str, Any]] = []

    @classmethod
    def load(cls, path: Union[str, os.PathLike]) -> Model:
        """The model in the file at `path`, every invariant checked: a `ModelFileError` names
        the file, column and field of what is wrong."""
        return cls(_native.Model.load(os.fspath(path)))

    @classmethod
    def from_json(cls, text: str) -> Model:
        """The model of a model file's text."""
        return cls(_native.Model.from_json(text))

    def to_json(self) -> str:
        """The model file's text."""
        return self._native.to_json()

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Write the model file (under a temporary name first, then renamed)."""
        self._native.save(os.fspath(path))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Model) and self._native == other._native

    def __reduce__(self) -> Any:
        # Shipped to other processes (Dask workers) as its model file's text.
        return (Model.from_json, (self.to_json(),))

    def __repr__(self) -> str:
        return f"<hepfloat.Model of {len(self.columns)} columns, {len(self.groups)} relation groups>"

    @property
    def columns(self) -> List[Tuple[str, Scheme, str]]:
        """Each column: `(name, scheme, choice)`."""
        return self._native.columns()

    @property
    def groups(self) -> List[Tuple[str, List[str]]]:
        """The relation groups: `(relation, members)`."""
        return self._native.groups()

    def scheme_of(self, name: str) -> Optional[Scheme]:
        """The scheme the model expects column `name` to be compressed with (`None`: a column
        it does not know)."""
        return self._native.scheme_of(name)

    @classmethod
    def fit(cls, data: Any, scheme: Optional[Scheme] = DEFAULT_SCHEME, *,
            schemes: Optional[Mapping[str, Optional[Scheme]]] = None, keep: Sequence[str] = KEEP,
            validation: float = 0.5, groups: bool = True, rules: Optional[Sequence[str]] = None,
            filter_name: FilterName = None, entry_start: Optional[int] = None, entry_stop: Optional[int] = None,
            max_values: int = 4_000_000, sample_mib: int = 1024, estimate: str = "mean") -> Model:
        """Fit a model on original (uncompressed) events, as `hepfloat fit` does: the last
        `validation` share of the events validates, the others train; each float column is
        to be compressed with `scheme`, except the `keep` variables and as `schemes` (globs)
        say (see `compress_table`); relation groups are found by `rules` (default: the CLI's
        four-momentum and tagger rules) and tested on the data (`model.tested`); at most
        `max_values` values per column and part are held (fewer where `sample_mib` MiB for all
        columns is tighter), spread over the data. Neural families are fitted by the CLI
        (`hepfloat fit --neural`); this wheel fits and applies the others.

        `data`: a ROOT file's path or `hepfloat.Events` (read in two passes, `filter_name` and
        the entry range selecting), a pyarrow Table, RecordBatch or stream, or an awkward Array
        of records."""
        if not 0.0 < validation < 1.0:
            raise ValueError(f"validation must be in (0, 1), got {validation}")
        kind = _kind(data)
        if kind == "path":
            data, kind = open(data).events(), "events"
        if kind == "events":
            start = min(entry_start or 0, data.num_entries)
            stop = data.num_entries if entry_stop is None else min(entry_stop, data.num_entries)
            total = max(stop - start, 0)
            split = _split(total, validation)
            train = data.arrow_stream(filter_name, start, start + split)
            valid = data.arrow_stream(filter_name, start + split, stop)
        else:
            table = _table(data)
            if entry_start is not None or entry_stop is not None:
                table = table.slice(entry_start or 0, (entry_stop or table.num_rows) - (entry_start or 0))
            total = table.num_rows
            split = _split(total, validation)
            train, valid = table.slice(0, split), table.slice(split)
        if split == 0 or split == total:
            raise ValueError(f"{total} events: too few to split into training and validation")
        default, mapped, kept = _declaration(scheme, schemes, keep)
        native, tested = _native.Model.fit(train, valid, default, mapped, kept, groups,
                                           None if rules is None else list(rules), max_values, sample_mib, estimate)
        model = cls(native)
        model.tested = tested
        return model

    def upsample(self, data: Any, estimate: str = "mean", seed: int = 0, *, column: Optional[str] = None,
                 first_row: int = 0, filter_name: FilterName = None) -> Any:
        """`data` upsampled: every float column the model knows (through its relation group's
        joint estimate where the gate chose it), the others unchanged. `estimate`: `"mean"`
        (least squared error), `"median"`, or `"sample"` (a draw seeded by `seed` and each
        value's position in its column, counted from the start of `data`: the same draw
        however `data` is cut into batches). Every output lies inside the preimage of its
        compressed value.

        `data`, and what comes back:
        - a pyarrow Table or RecordBatch: the same; a pyarrow RecordBatchReader or anything
          with `__arrow_c_stream__`: a RecordBatchReader, upsampled as it is read;
        - an awkward Array of records: an awkward Array;
        - a ROOT file's path or `hepfloat.Events`: a pyarrow Table (`filter_name` selects);
        - with `column=NAME`, the values of that one column: a numpy array of float32 (a new
          one; `first_row` is the position of its first value in the column), or a pyarrow or
          awkward array (offsets and nulls kept).

        A column whose recorded scheme (field metadata) differs from the model's, or a value
        that is not an output of the model's scheme, is a `SchemeMismatchError`."""
        if column is not None:
            return self._upsample_column(column, data, estimate, seed, first_row)
        kind = _kind(data)
        if kind in ("path", "events"):
            if kind == "path":
                data = open(data).events()
            return _like(self._native.upsample(data.arrow_stream(filter_name), estimate, seed, True), "table")
        source = _table(data) if kind in ("awkward", "batch") else data
        return _like(self._native.upsample(source, estimate, seed, kind != "stream"), kind)

    def _upsample_column(self, column: str, x: Any, estimate: str, seed: int, first_row: int) -> Any:
        package = type(x).__module__.split(".")[0]
        if package not in ("pyarrow", "awkward"):
            import numpy as np

            if not isinstance(x, np.ndarray) or x.dtype != np.float32 or x.ndim != 1:
                raise TypeError(f"upsample(column=...): expected a 1-D numpy array of float32, got {type(x).__name__}"
                                + (f" of {x.dtype}, {x.ndim}-D" if isinstance(x, np.ndarray) else ""))
            return self._native.upsample_values(column, x, estimate, seed, first_row)
        if first_row:
            raise ValueError("first_row applies to numpy arrays; Arrow and awkward arrays start their column")
        pa = _pyarrow()
        if package == "awkward":
            import awkward

            array = awkward.to_arrow(x, extensionarray=False)
        else:
            array = x
        out = self.upsample(pa.table({column: array}), estimate, seed)[column]
        if package == "awkward":
            import awkward

            return awkward.from_arrow(out)
        return out if isinstance(x, pa.ChunkedArray) else out.combine_chunks()
