"""Many files on Dask: one task per file, through `dask.distributed`.

    >>> from dask.distributed import Client                          # doctest: +SKIP
    >>> import hepfloat, hepfloat.dask                               # doctest: +SKIP
    >>> client = Client()                  # a LocalCluster, or a cluster's scheduler address  # doctest: +SKIP
    >>> model = hepfloat.Model.load("model.json")                    # doctest: +SKIP
    >>> outputs = hepfloat.dask.upsample_files(client, files, model, "upsampled/")  # doctest: +SKIP

- The model is shipped to every worker once (`Client.scatter(..., broadcast=True)`), as its
  model file's text.
- Each task reads one input file (ROOT, through `hepfloat.open`, or Parquet), upsamples (or
  compresses) it batch by batch, and writes one Parquet file: under a temporary name in the
  output directory first, renamed to `<stem>.parquet` when complete. A worker that dies
  mid-task leaves no output under the final name; Dask runs the task again elsewhere, and
  that attempt removes the temporary files earlier attempts left. Every output is written
  exactly once, whole.
- Draws of `estimate="sample"` are seeded by `seed` and each value's position in its column
  counted from the start of its file (as `hepfloat upsample` counts them), so neither the
  partitioning into tasks nor the workers change a draw: the results equal, bit for bit, a
  single process's.

Inside dask-awkward or coffea code, call `Model.upsample(array, column=...)` on the columns of
a partition with `estimate="mean"` or `"median"` (a draw would be seeded from the start of the
partition, not of the file).
"""

from __future__ import annotations

import glob
import os
import uuid
from typing import Any, Callable, List, Mapping, Optional, Sequence, Union

from ._io import FilterName, _pyarrow, open
from ._model import DEFAULT_SCHEME, KEEP, Model, compress_table
from ._native import Scheme

Path = Union[str, os.PathLike]


def _read(path: Path, filter_name: FilterName = None) -> Any:
    """The events of `path` as a pyarrow RecordBatchReader: a Parquet file's row groups, or a
    ROOT file's event data (TTree or RNTuple)."""
    pa = _pyarrow()
    path = os.fspath(path)
    if path.endswith(".parquet"):
        import pyarrow.parquet as pq

        f = pq.ParquetFile(path)
        names = None
        if filter_name is not None:
            from ._io import _patterns
            import fnmatch

            patterns = _patterns(filter_name) or []
            names = [n for n in f.schema_arrow.names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]
        schema = f.schema_arrow if names is None else pa.schema([f.schema_arrow.field(n) for n in names])
        return pa.RecordBatchReader.from_batches(schema, f.iter_batches(columns=names))
    return pa.RecordBatchReader.from_stream(open(path).events().arrow_stream(filter_name))


def _write(reader: Any, output: Path, before_rename: Optional[Callable[[str], None]] = None) -> str:
    """Write the batches of `reader` to the Parquet file `output`, whole or not at all: into a
    temporary file beside it (those earlier attempts left are removed first), then renamed."""
    import pyarrow.parquet as pq

    output = os.fspath(output)
    for stale in glob.glob(glob.escape(output) + ".tmp-*"):
        os.remove(stale)
    temporary = f"{output}.tmp-{uuid.uuid4().hex}"
    try:
        with pq.ParquetWriter(temporary, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
        if before_rename is not None:
            before_rename(temporary)
        os.replace(temporary, output)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    return output


def upsample_file(model: Model, path: Path, output: Path, estimate: str = "mean", seed: int = 0, *,
                  filter_name: FilterName = None, _before_rename: Optional[Callable[[str], None]] = None) -> str:
    """Upsample the file at `path` (ROOT or Parquet, compressed) with `model` into the Parquet
    file `output`, batch by batch (memory holds one batch); returns `output`. The task that
    `upsample_files` runs per file, usable on its own."""
    reader = model.upsample(_read(path, filter_name), estimate, seed)
    return _write(reader, output, _before_rename)


def compress_file(path: Path, output: Path, scheme: Optional[Scheme] = DEFAULT_SCHEME, *,
                  schemes: Optional[Mapping[str, Optional[Scheme]]] = None, keep: Sequence[str] = KEEP,
                  filter_name: FilterName = None) -> str:
    """Compress the file at `path` (ROOT or Parquet) into the Parquet file `output`, batch by
    batch, as `compress_table` compresses; returns `output`."""
    reader = compress_table(_read(path, filter_name), scheme, schemes=schemes, keep=keep)
    return _write(reader, output)


def _outputs(files: Sequence[Path], output_dir: Path) -> List[str]:
    """`output_dir/<stem>.parquet` for each input; two inputs of one stem are an error."""
    os.makedirs(output_dir, exist_ok=True)
    outputs = [os.path.join(os.fspath(output_dir), os.path.splitext(os.path.basename(os.fspath(f)))[0] + ".parquet")
               for f in files]
    seen = {}
    for f, o in zip(files, outputs):
        if o in seen:
            raise ValueError(f"{seen[o]} and {f} would both be written to {o}: give files distinct names")
        if os.path.abspath(o) == os.path.abspath(os.fspath(f)):
            raise ValueError(f"{f} would be overwritten by its own output: choose another output directory")
        seen[o] = f
    return outputs


def upsample_files(client: Any, files: Sequence[Path], model: Model, output_dir: Path, estimate: str = "mean",
                   seed: int = 0, *, filter_name: FilterName = None, retries: int = 2,
                   _before_rename: Optional[Callable[[str], None]] = None) -> List[str]:
    """Upsample each of `files` with `model` as one Dask task on `client`'s cluster, into
    `output_dir/<stem>.parquet`; returns the outputs, in the order of `files`, once all are
    written. A task that fails is retried `retries` times (a worker that dies is also
    replaced by Dask, its tasks run elsewhere)."""
    outputs = _outputs(files, output_dir)
    # A key of its own (hash=False): a scatter of the same model by an earlier call may be
    # released while this one runs, and a shared key would go with it.
    shipped = client.scatter(model, broadcast=True, hash=False)
    token = uuid.uuid4().hex[:8]
    futures = [
        client.submit(upsample_file, shipped, os.fspath(f), o, estimate, seed, filter_name=filter_name,
                      _before_rename=_before_rename, key=f"hepfloat-upsample-{token}-{i}", retries=retries, pure=False)
        for i, (f, o) in enumerate(zip(files, outputs))
    ]
    return client.gather(futures)


def compress_files(client: Any, files: Sequence[Path], output_dir: Path, scheme: Optional[Scheme] = DEFAULT_SCHEME,
                   *, schemes: Optional[Mapping[str, Optional[Scheme]]] = None, keep: Sequence[str] = KEEP,
                   filter_name: FilterName = None, retries: int = 2) -> List[str]:
    """Compress each of `files` as one Dask task on `client`'s cluster, into
    `output_dir/<stem>.parquet` (see `compress_file`); returns the outputs in order."""
    outputs = _outputs(files, output_dir)
    token = uuid.uuid4().hex[:8]
    futures = [
        client.submit(compress_file, os.fspath(f), o, scheme, schemes=schemes, keep=keep, filter_name=filter_name,
                      key=f"hepfloat-compress-{token}-{i}", retries=retries, pure=False)
        for i, (f, o) in enumerate(zip(files, outputs))
    ]
    return client.gather(futures)
