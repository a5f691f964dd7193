"""`hepfloat.Model` and `compress_table`: fitted, saved and applied as the CLI does (the CLI's
model files and outputs are the oracle, bit for bit), on every kind of data the package takes,
every output inside its preimage, and the error paths with their exception types."""

import json
import pickle
import subprocess

import awkward as ak
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import hepfloat
from conftest import PHYSLITE, ROOT, assert_same_floats, float_names, leaf_bits

JETS = "AnalysisJetsAuxDyn.*"


@pytest.fixture(scope="module")
def originals():
    return hepfloat.open(PHYSLITE).events().arrays()


@pytest.fixture(scope="module")
def model(originals):
    return hepfloat.Model.fit(originals)


@pytest.fixture(scope="module")
def cli_files(cli, tmp_path_factory):
    """The CLI's model, compressed file and upsampled files (mean; seeded draws) of the sample."""
    d = tmp_path_factory.mktemp("cli")
    run = lambda *a: subprocess.run([cli, *map(str, a), "--quiet"], check=True, capture_output=True)
    run("fit", PHYSLITE, "-o", d / "model.json")
    run("compress", PHYSLITE, "-o", d / "compressed.parquet")
    run("upsample", d / "compressed.parquet", "--model", d / "model.json", "-o", d / "mean.parquet")
    run("upsample", d / "compressed.parquet", "--model", d / "model.json", "--estimate", "sample", "--seed", "11",
        "-o", d / "sample.parquet")
    return d


def test_fit_writes_the_model_the_cli_writes(model, cli_files, tmp_path):
    from_cli = hepfloat.Model.load(cli_files / "model.json")
    assert model == from_cli
    assert json.loads(model.to_json()) == json.loads(from_cli.to_json())
    assert len(model.columns) > 100 and len(model.groups) > 0
    # Fitting from the path reads the file the same way.
    assert hepfloat.Model.fit(str(PHYSLITE)) == model
    model.save(tmp_path / "m.json")
    assert hepfloat.Model.load(tmp_path / "m.json") == from_cli


def test_compress_and_upsample_agree_with_the_cli(originals, model, cli_files):
    compressed = compress(originals)
    from_cli = pq.read_table(cli_files / "compressed.parquet")
    assert_same_floats(compressed, from_cli.select(compressed.column_names))
    for estimate, seed, name in [("mean", 0, "mean"), ("sample", 11, "sample")]:
        up = model.upsample(compressed, estimate, seed)
        assert_same_floats(up, pq.read_table(cli_files / f"{name}.parquet").select(up.column_names))
        assert_inside_preimages(model, compressed, up)


def compress(table):
    return hepfloat.compress_table(table)


def assert_inside_preimages(model, compressed, upsampled):
    for name, scheme, _ in model.columns:
        if name not in compressed.column_names:
            continue
        c = leaf_bits(compressed[name]).view(np.float32)
        lo, hi = hepfloat.preimage(c, scheme)
        y = leaf_bits(upsampled[name]).view(np.float32)
        finite = np.isfinite(c)
        assert np.all((lo[finite] <= y[finite]) & (y[finite] <= hi[finite])), name


def test_upsampling_takes_every_kind_of_data(originals, model):
    table = originals.select([n for n in originals.column_names if n.startswith("AnalysisJetsAuxDyn.")])
    compressed = compress(table)
    whole = model.upsample(compressed, "sample", 3)
    # A stream, cut into small batches, is upsampled as it is read: the same draws.
    reader = pa.RecordBatchReader.from_batches(compressed.schema, compressed.to_batches(max_chunksize=7))
    lazy = model.upsample(reader, "sample", 3)
    assert isinstance(lazy, pa.RecordBatchReader)
    assert_same_floats(lazy.read_all(), whole)
    # A record batch, an awkward array of records.
    batch = model.upsample(compressed.combine_chunks().to_batches()[0], "sample", 3)
    assert isinstance(batch, pa.RecordBatch)
    assert_same_floats(pa.Table.from_batches([batch]), whole)
    records = model.upsample(ak.from_arrow(compressed), "sample", 3)
    assert isinstance(records, ak.Array)
    assert_same_floats(ak.to_arrow_table(records, extensionarray=False), whole)
    # One column: pyarrow, awkward, and numpy (its values, positions counted from first_row).
    name = "AnalysisJetsAuxDyn.DFCommonJets_fJvt"
    assert model.scheme_of(name) is not None
    column = model.upsample(compressed[name], "sample", 3, column=name)
    assert np.array_equal(leaf_bits(column), leaf_bits(whole[name]))
    jagged = model.upsample(ak.from_arrow(compressed[name]), "sample", 3, column=name)
    assert ak.all(ak.num(jagged) == ak.num(ak.from_arrow(compressed[name])))
    values = leaf_bits(compressed[name]).view(np.float32)
    out = model.upsample(values, "sample", 3, column=name)
    assert np.array_equal(out.view(np.uint32), leaf_bits(whole[name]))
    tail = model.upsample(np.ascontiguousarray(values[10:]), "sample", 3, column=name, first_row=10)
    assert np.array_equal(tail, out[10:])
    # Reading straight from a compressed ROOT file gives a table (the sample is not compressed:
    # its full-precision values are no outputs of the scheme).
    with pytest.raises(hepfloat.SchemeMismatchError, match="not a possible output"):
        model.upsample(str(PHYSLITE), filter_name=JETS)


def test_a_model_survives_files_and_pickles(model, tmp_path):
    model.save(tmp_path / "m.json")
    assert hepfloat.Model.load(tmp_path / "m.json") == model
    assert pickle.loads(pickle.dumps(model)) == model
    assert hepfloat.Model.from_json(model.to_json()) == model
    name, scheme, choice = model.columns[0]
    assert isinstance(scheme, hepfloat.Scheme) and isinstance(choice, str)


def test_damaged_model_files_raise_model_file_errors(model, tmp_path):
    text = model.to_json()
    (tmp_path / "cut.json").write_text(text[: len(text) // 2])
    with pytest.raises(hepfloat.ModelFileError, match="cut.json"):
        hepfloat.Model.load(tmp_path / "cut.json")
    # A field out of its domain: the error names the column and the field.
    doc = json.loads(text)
    doc["columns"][0]["scheme"] = {"name": "atlas", "k": 99}
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(hepfloat.ModelFileError, match="bad.json"):
        hepfloat.Model.load(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError):
        hepfloat.Model.load(tmp_path / "missing.json")
    assert issubclass(hepfloat.ModelFileError, hepfloat.HepfloatError)


def test_scheme_mismatches_raise(originals, model):
    table = originals.select([n for n in originals.column_names if n.startswith("AnalysisJetsAuxDyn.")])
    # Recorded in the field metadata: refused before reading.
    other = hepfloat.compress_table(table, hepfloat.Scheme.atlas(15))
    with pytest.raises(hepfloat.SchemeMismatchError, match="Atlas\\{k=15\\}"):
        model.upsample(other)
    # Not recorded: found value by value, the message naming the column.
    plain = other.cast(pa.schema([f.with_metadata(None) for f in other.schema]))
    with pytest.raises(ValueError, match="not a possible output"):
        model.upsample(plain)
    # Fitting needs originals.
    with pytest.raises(hepfloat.SchemeMismatchError, match="original"):
        hepfloat.Model.fit(other)
    assert issubclass(hepfloat.SchemeMismatchError, ValueError)
    with pytest.raises(hepfloat.SchemeMismatchError):
        hepfloat.preimage(np.array([1.2345678], dtype=np.float32), hepfloat.Scheme.atlas(7))


def test_invalid_arguments_raise(originals, model):
    with pytest.raises(ValueError, match="validation"):
        hepfloat.Model.fit(originals, validation=1.0)
    with pytest.raises(ValueError, match="estimate"):
        model.upsample(originals, "best")
    with pytest.raises(TypeError, match="float32"):
        model.upsample(np.zeros(3, dtype=np.float64), column="x")
    with pytest.raises(TypeError, match="expected events"):
        model.upsample([1.0, 2.0])
    with pytest.raises(TypeError, match="column=NAME"):
        model.upsample(pa.chunked_array([pa.array([1.0], pa.float32())]))
    with pytest.raises(ValueError, match="too few"):
        hepfloat.Model.fit(originals.slice(0, 1))
    with pytest.raises(ValueError, match="rules"):
        hepfloat.Model.fit(originals, rules=["no_such_relation:_a,_b"])


def test_declared_schemes_and_kept_columns(originals):
    table = originals.select([n for n in originals.column_names if n.startswith("AnalysisJetsAuxDyn.")])
    schemes = {"*.DFCommonJets_fJvt": hepfloat.Scheme.atlas(15), "*.Timing": None}
    model = hepfloat.Model.fit(table, schemes=schemes, groups=False)
    assert model.scheme_of("AnalysisJetsAuxDyn.DFCommonJets_fJvt") == hepfloat.Scheme.atlas(15)
    assert model.scheme_of("AnalysisJetsAuxDyn.Timing") is None
    assert model.scheme_of("AnalysisJetsAuxDyn.pt") is None  # kept: ATLAS keeps pt, eta, phi, m
    assert model.groups == []
    c = hepfloat.compress_table(table, schemes=schemes)
    assert c.schema.field("AnalysisJetsAuxDyn.DFCommonJets_fJvt").metadata == {b"hepfloat.scheme": b"Atlas{k=15}"}
    assert c.schema.field("AnalysisJetsAuxDyn.Timing").metadata is None
    assert np.array_equal(leaf_bits(c["AnalysisJetsAuxDyn.Timing"]), leaf_bits(table["AnalysisJetsAuxDyn.Timing"]))
    up = model.upsample(c)
    assert up.schema.field("AnalysisJetsAuxDyn.DFCommonJets_fJvt").metadata == {b"hepfloat.upsampled_from": b"Atlas{k=15}"}
    assert float_names(up) == float_names(table)


def test_compare_rows_agree_with_numpy(originals, model):
    table = originals.select([n for n in originals.column_names if n.startswith("AnalysisJetsAuxDyn.")])
    compressed = hepfloat.compress_table(table)
    up = model.upsample(compressed)
    rows = hepfloat.compare_tables(table, compressed, up)
    names = {r["column"] for r in rows}
    assert names == set(float_names(table))
    for name in ["AnalysisJetsAuxDyn.DFCommonJets_fJvt", "AnalysisJetsAuxDyn.pt"]:
        x, c, y = (leaf_bits(t[name]).view(np.float32).astype(np.float64) for t in (table, compressed, up))
        mse = {r["metric"]: r for r in rows if r["column"] == name}["MSE"]
        assert mse["compressed"] == pytest.approx(np.mean((c - x) ** 2), rel=1e-12, abs=0)
        assert mse["candidate"] == pytest.approx(np.mean((y - x) ** 2), rel=1e-12, abs=0)
    # A kept column: nothing changed, nothing to divide by.
    pt = {r["metric"]: r for r in rows if r["column"] == "AnalysisJetsAuxDyn.pt"}["MSE"]
    assert pt["compressed"] == 0.0 and pt["ratio"] is None
    with pytest.raises(TypeError, match="one dtype"):
        hepfloat.compare(np.zeros(2, np.float32), np.zeros(2, np.float64), np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="length"):
        hepfloat.compare(np.zeros(2, np.float32), np.zeros(3, np.float32), np.zeros(2, np.float32))


def test_neural_models_load_and_say_what_applying_them_needs():
    # A frozen model file of the hybrid corrector (written by the CLI's build, with burn).
    fixture = ROOT / "crates" / "models" / "tests" / "fixtures" / "model-v8-hybrid.json"
    model = hepfloat.Model.load(fixture)
    assert [c[2] for c in model.columns][:3] == ["hybrid"] * 3
    x = np.float32([1.5, 2.5, 3.5])
    table = pa.table({"c.x": hepfloat.compress(x, model.scheme_of("c.x")), "c.pt": np.float32([10, 20, 30])})
    with pytest.raises(hepfloat.HepfloatError, match="neural"):
        model.upsample(table)
    # Its columns without a network are applied as usual.
    p1 = hepfloat.compress(x, model.scheme_of("t.p1"))
    assert np.all(model.upsample(p1, column="t.p1") == model.upsample(pa.array(p1), column="t.p1").to_numpy())


def test_columns_left_alone_cross_the_arrow_interface_without_a_copy(model):
    # Through the Arrow C stream both ways (pyarrow → native → pyarrow): a column the model
    # does not change comes back as the very buffers that went in.
    name = model.columns[0][0]
    x = np.float32([1.5, 2.5, 3.5, 4.5])
    table = pa.table({name: hepfloat.compress(x, model.scheme_of(name)),
                      "n": pa.array([1, 2, 3, 4], pa.int64()),
                      "kept": pa.array(x)})
    for out in (model.upsample(table), hepfloat.compress_table(table, None)):
        for column in ("n", "kept"):
            before, after = table[column].chunk(0).buffers()[1], out[column].chunk(0).buffers()[1]
            assert after.address == before.address, column
