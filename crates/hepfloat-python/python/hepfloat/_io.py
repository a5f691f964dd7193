"""ROOT files from Python: `hepfloat.open(path)` → `File` → `Events` (a TTree or an RNTuple),
whose columns come as pyarrow Tables, record batches, or awkward Arrays, through the Arrow C
stream interface (no copy between the native reader and Arrow). Names follow uproot's where
the meaning is the same (`keys`, `num_entries`, `arrays`, `iterate`, `filter_name`,
`entry_start`, `entry_stop`, `step_size`)."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from . import _native

#: One glob or several: `"AnalysisJetsAuxDyn.*"`, `["*.pt", "*.eta"]`.
FilterName = Optional[Union[str, Sequence[str]]]


def _patterns(filter_name: FilterName) -> Optional[List[str]]:
    if filter_name is None:
        return None
    if isinstance(filter_name, str):
        return [filter_name]
    return [str(p) for p in filter_name]


def _pyarrow():
    try:
        import pyarrow
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("reading columns needs pyarrow: pip install pyarrow") from e
    return pyarrow


def _convert(table_or_batch: Any, library: str) -> Any:
    if library in ("pa", "pyarrow", "arrow"):
        return table_or_batch
    if library in ("ak", "awkward"):
        try:
            import awkward
        except ImportError as e:  # pragma: no cover
            raise ImportError("library='ak' needs awkward: pip install awkward") from e
        return awkward.from_arrow(table_or_batch)
    raise ValueError(f"library={library!r}: use 'pa' (pyarrow) or 'ak' (awkward)")


class Events:
    """A TTree or RNTuple of a ROOT file: its entries and the columns hepfloat reads.

    Columns are named as uproot names branches (`AnalysisJetsAuxDyn.pt`) or RNTuple fields
    (`AnalysisJetsAuxDyn:pt`); `filter_name` takes one glob or a list of them (`*`, `?`)."""

    def __init__(self, path: str, name: str, kind: str, num_entries: int) -> None:
        self._path, self.name, self.kind, self.num_entries = path, name, kind, num_entries

    def __repr__(self) -> str:
        return f"<hepfloat.Events {self.kind} {self.name!r} ({self.num_entries} entries) of {self._path!r}>"

    def __len__(self) -> int:
        return self.num_entries

    def typenames(self, filter_name: FilterName = None) -> Dict[str, str]:
        """`{column: Arrow type}` of the columns hepfloat reads, in file order."""
        return dict(_native.columns(self._path, self.name, _patterns(filter_name)))

    def keys(self, filter_name: FilterName = None) -> List[str]:
        """The names of the columns hepfloat reads, in file order."""
        return list(self.typenames(filter_name))

    def show(self, filter_name: FilterName = None) -> None:
        """Print each column with its Arrow type."""
        names = self.typenames(filter_name)
        width = max((len(n) for n in names), default=0)
        for n, t in names.items():
            print(f"{n:<{width}}  {t}")

    def arrow_stream(
        self,
        filter_name: FilterName = None,
        entry_start: Optional[int] = None,
        entry_stop: Optional[int] = None,
        step_size: Optional[int] = None,
    ) -> _native.ArrowStream:
        """The selected events as an Arrow C stream (`__arrow_c_stream__`), for any Arrow
        library; consumed once. `step_size`: entries per batch (default: about 64 MiB)."""
        return _native.read(self._path, self.name, _patterns(filter_name), entry_start, entry_stop, step_size)

    def arrays(
        self,
        filter_name: FilterName = None,
        entry_start: Optional[int] = None,
        entry_stop: Optional[int] = None,
        library: str = "pa",
    ) -> Any:
        """Events `entry_start..entry_stop` of the selected columns, as one pyarrow Table
        (`library="pa"`) or awkward Array (`library="ak"`). Lists of floats keep their
        offsets; values are bit for bit what the file stores."""
        pa = _pyarrow()
        reader = pa.RecordBatchReader.from_stream(self.arrow_stream(filter_name, entry_start, entry_stop))
        return _convert(reader.read_all(), library)

    def iterate(
        self,
        filter_name: FilterName = None,
        step_size: Optional[int] = None,
        entry_start: Optional[int] = None,
        entry_stop: Optional[int] = None,
        library: str = "pa",
    ) -> Iterator[Any]:
        """The selected events in batches of `step_size` entries (default: about 64 MiB of
        values each), as pyarrow RecordBatches or awkward Arrays; memory holds one batch."""
        pa = _pyarrow()
        stream = self.arrow_stream(filter_name, entry_start, entry_stop, step_size)
        for batch in pa.RecordBatchReader.from_stream(stream):
            yield _convert(batch, library)


class File:
    """An open ROOT file: `file.keys()` lists its TTrees and RNTuples (the event data first),
    `file[name]` or `file.events()` gives one as `Events`."""

    def __init__(self, path: Union[str, os.PathLike]) -> None:
        self._path = os.fspath(path)
        self._contents = {name: (kind, n) for name, kind, n in _native.contents(self._path)}

    @property
    def path(self) -> str:
        return self._path

    def __repr__(self) -> str:
        return f"<hepfloat.File {self._path!r}: {', '.join(self._contents) or 'no TTree or RNTuple'}>"

    def __enter__(self) -> File:
        return self

    def __exit__(self, *exc: object) -> bool:
        return False

    def keys(self) -> List[str]:
        """The TTrees and RNTuples, the event data first."""
        return list(self._contents)

    def classnames(self) -> Dict[str, str]:
        """`{name: "TTree" or "RNTuple"}`."""
        return {name: kind for name, (kind, _) in self._contents.items()}

    def __contains__(self, name: object) -> bool:
        return name in self._contents

    def __getitem__(self, name: str) -> Events:
        if name not in self._contents:
            raise KeyError(f"{self._path} holds no TTree or RNTuple {name!r} (it holds {self.keys()})")
        kind, n = self._contents[name]
        return Events(self._path, name, kind, n)

    def events(self) -> Events:
        """The event data: `CollectionTree` or `EventData`, or the only TTree or RNTuple that
        is not bookkeeping."""
        if not self._contents:
            raise ValueError(f"{self._path} holds no TTree or RNTuple")
        return self[next(iter(self._contents))]


def open(path: Union[str, os.PathLike]) -> File:  # noqa: A001 - uproot's name
    """Open the ROOT file at `path` (its structure is read and checked now; columns when asked)."""
    return File(path)
