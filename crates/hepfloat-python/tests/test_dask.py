"""`hepfloat.dask` on a `dask.distributed.LocalCluster` of worker processes: many small files
made from the PHYSLITE sample, compressed and upsampled as Dask tasks through the in-process API,
every value equal (bit for bit) to a single process's result, for the mean and for seeded draws;
and a worker killed mid-task still leaves every output exactly once, whole."""

import logging
import os
import pathlib

import pyarrow.parquet as pq
import pytest

distributed = pytest.importorskip("distributed")

import hepfloat
import hepfloat.dask
from conftest import PHYSLITE, assert_same_floats

COLUMNS = ["AnalysisJetsAuxDyn.*", "AnalysisElectronsAuxDyn.*", "AnalysisMuonsAuxDyn.*"]
PARTS = 10


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The sample's events cut into PARTS original Parquet files."""
    d = tmp_path_factory.mktemp("originals")
    events = hepfloat.open(PHYSLITE).events()
    table = events.arrays(COLUMNS)
    step = -(-table.num_rows // PARTS)
    files = []
    for i in range(PARTS):
        f = d / f"part{i:02}.parquet"
        pq.write_table(table.slice(i * step, step), f)
        files.append(f)
    return files


@pytest.fixture(scope="module")
def model():
    return hepfloat.Model.fit(PHYSLITE, filter_name=COLUMNS)


@pytest.fixture(scope="module")
def compressed(client, inputs, tmp_path_factory):
    """The inputs compressed by Dask tasks; checked against one process's compression."""
    out = tmp_path_factory.mktemp("compressed")
    files = hepfloat.dask.compress_files(client, inputs, out)
    assert [pathlib.Path(f).name for f in files] == [f.name for f in inputs]
    for original, f in zip(inputs, files):
        here = hepfloat.compress_table(pq.read_table(original))
        assert_same_floats(pq.read_table(f), here)
    return [pathlib.Path(f) for f in files]


def single_process(model, files, d, estimate, seed):
    d.mkdir()
    return [hepfloat.dask.upsample_file(model, f, d / f.name, estimate, seed) for f in files]


@pytest.mark.parametrize("estimate,seed", [("mean", 0), ("sample", 5)])
def test_dask_results_equal_one_process(client, model, compressed, tmp_path, estimate, seed):
    expected = single_process(model, compressed, tmp_path / "one", estimate, seed)
    # Twice in a row with the same model: each call scatters it under a key of its own (with a
    # shared key, releasing the first call's copy could take the second's: a race that lost the
    # model in the benchmark).
    for again in ("dask", "again"):
        with distributed.get_task_stream(client) as stream:
            got = hepfloat.dask.upsample_files(client, compressed, model, tmp_path / again, estimate, seed)
        assert len(got) == len(compressed)
        for a, b in zip(got, expected):
            assert_same_floats(pq.read_table(a), pq.read_table(b))
        # The workers ran the tasks, one per file, and both took some.
        tasks = [t for t in stream.data if "hepfloat-upsample" in str(t["key"])]
        assert len(tasks) == len(compressed)
        assert len({t["worker"] for t in tasks}) == 2


def test_a_worker_killed_mid_task_loses_and_duplicates_nothing(client, model, compressed, tmp_path):
    expected = single_process(model, compressed, tmp_path / "one", "sample", 9)
    marker = str(tmp_path / "killed")

    def die_once(temporary):
        # The first task to get here has written its whole temporary file: its worker dies
        # before the rename, as a node that is lost would.
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return
        os.close(fd)
        os._exit(1)

    out = tmp_path / "dask"
    got = hepfloat.dask.upsample_files(client, compressed, model, out, "sample", 9, _before_rename=die_once)
    assert os.path.exists(marker), "no worker was killed"
    assert sorted(os.listdir(out)) == sorted(f.name for f in compressed)  # no temporary file left
    for a, b in zip(got, expected):
        assert_same_floats(pq.read_table(a), pq.read_table(b))
    client.wait_for_workers(2, timeout=60)


def test_outputs_that_would_collide_or_overwrite_are_refused(client, model, compressed, tmp_path):
    twice = [compressed[0], compressed[0]]
    with pytest.raises(ValueError, match="both be written"):
        hepfloat.dask.upsample_files(client, twice, model, tmp_path)
    with pytest.raises(ValueError, match="overwritten"):
        hepfloat.dask.upsample_files(client, compressed[:1], model, compressed[0].parent)
