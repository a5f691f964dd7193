"""What the test modules share: the vendored samples, bit patterns of float columns, and the
`hepfloat` CLI (built by `cargo test --workspace`, or named by HEPFLOAT_CLI) as an independent
producer of model files and upsampled files to agree with."""

import os
import pathlib
import shutil

import numpy as np
import pyarrow as pa
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
DATA = ROOT / "test-data"
PHYSLITE = DATA / "PHYSLITE_example.root"


def leaf_bits(column):
    """The float values of a (list) column, flattened, as their bit patterns."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    while pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        column = column.flatten()
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float32).view(np.uint32)


def float_names(table):
    """The columns of `table` that hold float32 values (plain or in lists)."""
    def is_float(t):
        while pa.types.is_list(t) or pa.types.is_large_list(t):
            t = t.value_type
        return t == pa.float32()
    return [f.name for f in table.schema if is_float(f.type)]


def assert_same_floats(a, b):
    """Tables `a` and `b` hold the same float columns with the same values, bit for bit."""
    assert float_names(a) == float_names(b)
    for name in float_names(a):
        x, y = leaf_bits(a[name]), leaf_bits(b[name])
        assert x.shape == y.shape, name
        assert np.array_equal(x, y), f"{name}: {np.count_nonzero(x != y)} of {x.size} values differ"


@pytest.fixture(scope="session")
def cli():
    """The path of the `hepfloat` binary: HEPFLOAT_CLI, or the workspace's build. In CI (CI set)
    a missing binary fails the tests that need it, rather than skipping them."""
    named = os.environ.get("HEPFLOAT_CLI")
    candidates = [pathlib.Path(named)] if named else [ROOT / "target" / p / "hepfloat" for p in ("release", "debug")]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    if os.environ.get("CI"):
        pytest.fail(f"no hepfloat binary at {candidates}: CI must build it and set HEPFLOAT_CLI")
    if shutil.which("hepfloat"):
        return shutil.which("hepfloat")
    pytest.skip("no hepfloat CLI binary built (cargo build -p hepfloat-cli, or set HEPFLOAT_CLI)")
