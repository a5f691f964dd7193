"""ROOT files through `hepfloat.open`: both vendored PHYSLITE samples (TTree and RNTuple) read
into pyarrow and awkward, checked bit for bit against the reference decodes by uproot
(test-data/reference/, an independent reader), entry ranges and batches agreeing with the whole
read, and damaged or missing files raising the right exceptions."""

import pathlib
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import hepfloat

from conftest import DATA, leaf_bits

SAMPLES = [
    ("PHYSLITE_example.root", "CollectionTree", "TTree", "AnalysisJetsAuxDyn.pt"),
    ("physlite_rntuple.root", "EventData", "RNTuple", "AnalysisJetsAuxDyn:pt"),
]


def offsets(column):
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    # A null list counts -1, so that nulls compare equal.
    return np.asarray(pc.fill_null(pc.list_value_length(column), -1).to_numpy(zero_copy_only=False))


@pytest.mark.parametrize("sample,name,kind,jet_pt", SAMPLES)
def test_every_float_column_equals_uproots_decode(sample, name, kind, jet_pt):
    f = hepfloat.open(DATA / sample)
    assert f.keys()[0] == name and f.classnames()[name] == kind
    events = f.events()
    assert (events.name, events.kind, events.num_entries, len(events)) == (name, kind, 100, 100)
    reference = pq.read_table(DATA / "reference" / (pathlib.Path(sample).stem + ".floats.parquet"))
    ours = events.arrays()
    assert ours.num_rows == 100
    shared = [c for c in reference.column_names if c in ours.column_names]
    assert len(shared) > 300, len(shared)
    for c in shared:
        assert (leaf_bits(ours[c]) == leaf_bits(reference[c])).all(), c
        if pa.types.is_list(reference[c].type) or pa.types.is_large_list(reference[c].type):
            assert (offsets(ours[c]) == offsets(reference[c])).all(), c
    assert jet_pt in ours.column_names


def test_ranges_batches_and_globs_agree_with_the_whole_read():
    events = hepfloat.open(DATA / "PHYSLITE_example.root").events()
    whole = events.arrays("AnalysisJetsAuxDyn.*")
    assert all(c.startswith("AnalysisJetsAuxDyn.") for c in whole.column_names)
    assert events.keys("AnalysisJetsAuxDyn.*") == whole.column_names
    part = events.arrays("AnalysisJetsAuxDyn.*", entry_start=10, entry_stop=37)
    assert part.equals(whole.slice(10, 27))
    batches = list(events.iterate(["AnalysisJetsAuxDyn.pt", "AnalysisJetsAuxDyn.eta"], step_size=7))
    assert [b.num_rows for b in batches] == [7] * 14 + [2]
    joined = pa.Table.from_batches(batches)
    assert joined.equals(whole.select(["AnalysisJetsAuxDyn.pt", "AnalysisJetsAuxDyn.eta"]))


def test_awkward_keeps_the_jagged_structure():
    ak = pytest.importorskip("awkward")
    events = hepfloat.open(DATA / "PHYSLITE_example.root").events()
    jets = events.arrays("AnalysisJetsAuxDyn.pt", library="ak")
    table = events.arrays("AnalysisJetsAuxDyn.pt")
    assert len(jets) == 100
    assert ak.to_list(ak.num(jets["AnalysisJetsAuxDyn.pt"])) == list(offsets(table["AnalysisJetsAuxDyn.pt"]))


def test_the_arrow_stream_is_consumed_once():
    stream = hepfloat.open(DATA / "PHYSLITE_example.root").events().arrow_stream("AnalysisJetsAuxDyn.pt")
    assert pa.RecordBatchReader.from_stream(stream).read_all().num_rows == 100
    with pytest.raises(ValueError, match="already consumed"):
        stream.__arrow_c_stream__()


def test_missing_damaged_and_unknown_inputs_raise(tmp_path):
    with pytest.raises(FileNotFoundError):
        hepfloat.open(tmp_path / "nowhere.root")
    not_root = tmp_path / "text.root"
    not_root.write_text("hello, this is not a ROOT file at all" * 10)
    with pytest.raises(hepfloat.DamagedFileError, match="offset"):
        hepfloat.open(not_root)
    cut = tmp_path / "cut.root"
    data = (DATA / "PHYSLITE_example.root").read_bytes()
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises((hepfloat.DamagedFileError, OSError)) as e:
        hepfloat.open(cut).events().arrays()
    assert "offset" in str(e.value) or "cut.root" in str(e.value)
    f = hepfloat.open(DATA / "PHYSLITE_example.root")
    with pytest.raises(KeyError, match="NoSuchTree"):
        f["NoSuchTree"]
    with pytest.raises(ValueError):
        f.events().arrays("NoSuchBranch*")
    with pytest.raises(ValueError, match="library"):
        f.events().arrays("AnalysisJetsAuxDyn.pt", library="numpy")
    assert issubclass(hepfloat.DamagedFileError, hepfloat.HepfloatError)
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_arrow_and_awkward_arrays_are_compressed_as_they_came():
    s = hepfloat.Scheme.atlas(7)
    values = np.random.default_rng(3).normal(size=1000).astype(np.float32)
    rows = [list(values[i : i + (i % 7)]) for i in range(0, 900, 9)] + [None, []]
    jagged = pa.array(rows, type=pa.list_(pa.float32()))
    out = hepfloat.compress(jagged, s)
    assert out.type == jagged.type and out.null_count == jagged.null_count
    assert (offsets(out) == offsets(jagged)).all()
    assert out.is_null().equals(jagged.is_null())
    expected = hepfloat.compress(leaf_bits(jagged).view(np.float32), s)
    assert (leaf_bits(out) == expected.view(np.uint32)).all()
    # The same on a chunked array, and on the jet pt column read from the sample.
    chunked = pa.chunked_array([jagged.slice(0, 40), jagged.slice(40)])
    back = hepfloat.compress(chunked, s)
    assert isinstance(back, pa.ChunkedArray) and back.combine_chunks().equals(out)
    pt = hepfloat.open(DATA / "PHYSLITE_example.root").events().arrays("AnalysisJetsAuxDyn.pt")["AnalysisJetsAuxDyn.pt"]
    pt_c = hepfloat.compress(pt, s)
    assert (leaf_bits(pt_c) == hepfloat.compress(leaf_bits(pt).view(np.float32), s).view(np.uint32)).all()
    assert hepfloat.detect_kept_bits(leaf_bits(pt_c).view(np.float32)) == 7
    ak = pytest.importorskip("awkward")
    a = ak.from_arrow(jagged)
    a_c = hepfloat.compress(a, s)
    assert isinstance(a_c, ak.Array) and ak.to_list(ak.num(a_c[~ak.is_none(a_c)])) == ak.to_list(ak.num(a[~ak.is_none(a)]))
    flat = ak.to_numpy(ak.flatten(a_c[~ak.is_none(a_c)]))
    assert (flat.view(np.uint32) == expected.view(np.uint32)).all()
    with pytest.raises(TypeError, match="float32"):
        hepfloat.compress(pa.array([1, 2, 3]), s)
    with pytest.raises(TypeError, match="float32"):
        hepfloat.compress(pa.array(["a"]), s)


def bits64(column):
    """The float64 values of a (list) column, flattened, as their bit patterns."""
    while pa.types.is_list(column.type) or pa.types.is_large_list(column.type) or pa.types.is_fixed_size_list(column.type):
        column = column.flatten()
    return np.asarray(column.drop_null().to_numpy(zero_copy_only=False), dtype=np.float64).view(np.uint64)


def test_float64_arrow_arrays_are_compressed_as_they_came():
    # Double32_t-like data: float64 values, plain, in lists (sliced, with nulls), large lists,
    # fixed-size lists; the values through the numpy path (tested against numpy references).
    s = hepfloat.Scheme.atlas(12)
    v = np.random.default_rng(4).normal(size=400) * 1e3
    rows = [list(v[i : i + (i % 5)]) for i in range(0, 300, 3)] + [None, [], [1.0, None]]
    for array in [
        pa.array(list(v[:50]) + [None]),
        pa.array(rows, type=pa.list_(pa.float64())).slice(3),
        pa.array(rows, type=pa.large_list(pa.float64())),
        pa.FixedSizeListArray.from_arrays(pa.array(v[:60]), 3).slice(2, 10),
        pa.array([[[1.2345678, None]], None, [[], [2.5]]], type=pa.list_(pa.list_(pa.float64()))),
    ]:
        out = hepfloat.compress(array, s)
        assert out.type == array.type and out.is_null().equals(array.is_null())
        expected = hepfloat.compress(bits64(array).view(np.float64), s)
        assert (bits64(out) == expected.view(np.uint64)).all(), array.type
        if not pa.types.is_floating(array.type):
            assert out.flatten().is_null().equals(array.flatten().is_null())
        lo, hi = hepfloat.preimage(out, s)
        assert lo.type == array.type and hi.type == array.type
        x, l, h = (bits64(a).view(np.float64) for a in (array, lo, hi))
        assert ((l <= x) & (x <= h)).all()
    many = hepfloat.compress(pa.array(np.linspace(1, 2, 1000)), hepfloat.Scheme.atlas(30))
    assert hepfloat.detect_kept_bits(many) == 30
    ak = pytest.importorskip("awkward")
    jagged = ak.Array([[1.2345678, 2.5], [], [3.25]])
    assert ak.to_list(hepfloat.compress(jagged, s)) == ak.to_list(ak.Array([list(hepfloat.compress(np.array(r, dtype=np.float64), s)) for r in jagged.tolist()]))


def test_preimages_and_kept_bits_of_arrow_and_awkward_arrays():
    s = hepfloat.Scheme.atlas(7)
    pt = hepfloat.open(DATA / "PHYSLITE_example.root").events().arrays("AnalysisJetsAuxDyn.pt")["AnalysisJetsAuxDyn.pt"]
    c = hepfloat.compress(pt, s)
    lo, hi = hepfloat.preimage(c, s)
    assert isinstance(lo, pa.ChunkedArray) and lo.type == pt.type
    assert (offsets(lo) == offsets(pt)).all() and (offsets(hi) == offsets(pt)).all()
    x, l, h = (leaf_bits(a).view(np.float32) for a in (pt, lo, hi))
    assert ((l <= x) & (x <= h)).all()
    nl, nh = hepfloat.preimage(leaf_bits(c).view(np.float32), s)  # the numpy route agrees
    assert (nl.view(np.uint32) == leaf_bits(lo)).all() and (nh.view(np.uint32) == leaf_bits(hi)).all()
    assert hepfloat.detect_kept_bits(c) == 7 and hepfloat.detect_kept_bits(pt) == 23
    with pytest.raises(ValueError, match="not a possible output"):
        hepfloat.preimage(pt, s)
    ak = pytest.importorskip("awkward")
    a = ak.from_arrow(c.combine_chunks())
    alo, ahi = hepfloat.preimage(a, s)
    assert ak.to_list(ak.num(alo)) == ak.to_list(ak.num(a))
    assert (ak.to_numpy(ak.flatten(alo)).view(np.uint32) == leaf_bits(lo)).all()
    assert hepfloat.detect_kept_bits(a) == 7


def test_streams_and_arrays_may_be_dropped_on_another_thread():
    # Dask workers drop objects on their event-loop thread: neither kind may complain.
    import gc
    import sys
    import threading

    made = []

    def make():
        made.append(hepfloat.open(DATA / "PHYSLITE_example.root").events().arrow_stream("AnalysisJetsAuxDyn.pt"))
        made.append(hepfloat._native.compress_arrow(pa.array([1.5], pa.float32()), hepfloat.Scheme.atlas(7)))
        made.append(hepfloat.open(DATA / "PHYSLITE_example.root").events().arrow_stream("AnalysisJetsAuxDyn.pt"))

    t = threading.Thread(target=make)
    t.start()
    t.join()
    caught, hook = [], sys.unraisablehook
    sys.unraisablehook = caught.append
    try:
        assert pa.RecordBatchReader.from_stream(made[0]).read_all().num_rows > 0  # consumed here
        assert pa.array(made[1]).to_pylist() == [1.5]
        made.clear()  # the third is dropped unread
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert not caught, [str(c.exc_value) for c in caught]
