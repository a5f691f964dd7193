#!/usr/bin/env python3
"""The Python package against the Rust CLI on the same work, and Dask's speed-up, as a Markdown
table: the issue's "binding overhead" and "Dask: 1 and 2 workers, overhead per task".

    cargo build --release -p hepfloat-cli
    (cd crates/hepfloat-python && maturin build --release -o /tmp/wheels) && pip install /tmp/wheels/hepfloat-*.whl
    python3 crates/hep-io/scripts/make_large_tree.py test-data/PHYSLITE_example.root /tmp/x1.root 200
    python3 benches/python_speed.py /tmp/x1.root

What it runs, in one process (timings are wall-clock, the fastest of `--repeat`):
- setup: `hepfloat fit` of the PHYSLITE sample (the model) and `hepfloat compress --no-baseline`
  of FILE (a compressed Parquet file whose columns record their scheme);
- `rust`: `hepfloat upsample` of that file; the time its upsampler worked (values ÷ its
  `upsampler_values_per_second`) is the Rust side of the comparison;
- `python`: the same compressed table (read by pyarrow, not timed) upsampled by
  `hepfloat.Model.upsample` — the native upsampler behind the Arrow C interfaces, both ways;
  the binding's overhead is python ÷ rust − 1;
- `numpy`: what a Python user writes for the ATLAS rule without hepfloat (the rounding as integer
  arithmetic and the interval's midpoint), on the same values, beside `hepfloat.compress` and
  `preimage` (midpoint);
- `dask`: the compressed file cut into `--parts` Parquet files, upsampled by
  `hepfloat.dask.upsample_files` on a `LocalCluster` of 1 and of 2 worker processes (one thread
  each, rayon limited to one thread per worker), against one process doing the files in turn
  with one rayon thread; and `--tiny` files of one event each, for the overhead per task.
"""

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def best(f, repeat):
    """The fastest of `repeat` runs of `f()`, in seconds, and its last result."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return min(times), out


def progress(text):
    print(f"[python_speed] {text}", file=sys.stderr, flush=True)


def flat(column):
    """The float values of a pyarrow (list) column as one numpy array."""
    import pyarrow as pa

    column = column.combine_chunks()
    while pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
        column = column.flatten()
    return column.to_numpy(zero_copy_only=False)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", help="a large TTree (make_large_tree.py)")
    p.add_argument("--cli", default=str(ROOT / "target" / "release" / "hepfloat"))
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--parts", type=int, default=8)
    p.add_argument("--tiny", type=int, default=40)
    p.add_argument("--out", help="write the Markdown table here too")
    a = p.parse_args()

    import numpy as np
    import pyarrow.parquet as pq

    import hepfloat
    import hepfloat.dask

    work = pathlib.Path(tempfile.mkdtemp(prefix="hepfloat-pyspeed-"))
    rows = []
    try:
        model_file, compressed = work / "model.json", work / "c.parquet"
        progress("fitting the model on the PHYSLITE sample, compressing the input with the CLI")
        subprocess.run([a.cli, "fit", str(ROOT / "test-data" / "PHYSLITE_example.root"), "-o", str(model_file),
                        "--quiet"], check=True)
        subprocess.run([a.cli, "compress", a.file, "--no-baseline", "-o", str(compressed), "--quiet"], check=True)
        model = hepfloat.Model.load(model_file)

        progress("rust: hepfloat upsample")
        def cli_upsample():
            out = subprocess.run([a.cli, "upsample", str(compressed), "--model", str(model_file), "-o",
                                  str(work / "u.parquet"), "--json"], check=True, capture_output=True, text=True)
            return json.loads(out.stdout)
        whole, report = best(cli_upsample, a.repeat)
        values = report["values"]
        rust = values / report["upsampler_values_per_second"]
        table = pq.read_table(compressed)
        progress("python: Model.upsample on the same table")
        py, up = best(lambda: model.upsample(table), a.repeat)
        assert up.num_rows == table.num_rows
        rows += [
            ("values upsampled", f"{values / 1e6:.1f} M", ""),
            ("`hepfloat upsample`, whole process (read, upsample, write)", f"{whole:.2f} s", ""),
            ("Rust upsampler inside it", f"{rust:.3f} s", f"{values / rust / 1e6:.0f} M values/s"),
            ("`Model.upsample(table)` from Python", f"{py:.3f} s", f"{values / py / 1e6:.0f} M values/s"),
            ("binding overhead (python ÷ rust − 1)", f"{100 * (py / rust - 1):+.1f} %", "target ≤ 5 %"),
        ]

        progress("numpy: the ATLAS rule written by hand, beside hepfloat")
        floats = [n for n in table.column_names if "float" in str(table.schema.field(n).type)]
        x = np.concatenate([flat(table.column(n)) for n in floats]).astype(np.float32)
        s = hepfloat.Scheme.atlas(7)
        def numpy_rule():
            # Round half away from zero to 7 bits on the bit pattern (the carry runs into the
            # exponent); the interval is c ± ulp/2, except at a power of two, where it reaches
            # only ulp/4 below: its midpoint is then ulp/8 further out.
            c = ((x.view(np.uint32) + np.uint32(1 << 15)) & np.uint32(0xFFFF0000)).view(np.float32)
            ulp = np.ldexp(np.float32(1), (np.frexp(c)[1] - 8).astype(np.int32))
            power = (c.view(np.uint32) & np.uint32(0x007FFFFF)) == 0
            return np.where(power, c + np.sign(c) * ulp / 8, c).astype(np.float32)
        def hepfloat_rule():
            c = hepfloat.compress(x, s)
            lo, hi = hepfloat.preimage(c, s)
            return lo + (hi - lo) / 2
        tn, _ = best(numpy_rule, a.repeat)
        th, _ = best(hepfloat_rule, a.repeat)
        rows += [
            (f"ATLAS rule + midpoint on {x.size / 1e6:.1f} M values, numpy by hand", f"{tn:.3f} s", ""),
            ("the same with `hepfloat.compress` + `preimage`", f"{th:.3f} s", f"{tn / th:.1f}× faster"),
        ]

        progress(f"dask: {a.parts} files, 1 and 2 workers")
        from dask.distributed import Client, LocalCluster

        parts = work / "parts"
        parts.mkdir()
        step = -(-table.num_rows // a.parts)
        files = []
        for i in range(a.parts):
            f = parts / f"part{i:02}.parquet"
            pq.write_table(table.slice(i * step, step), f)
            files.append(f)
        tiny_dir = work / "tiny"
        tiny_dir.mkdir()
        tiny = []
        for i in range(a.tiny):
            f = tiny_dir / f"t{i:03}.parquet"
            pq.write_table(table.slice(i, 1), f)
            tiny.append(f)

        os.environ["RAYON_NUM_THREADS"] = "1"  # the workers inherit it: one core each
        one = work / "one"
        # This process's rayon pool already exists with every core: time one thread in a fresh one.
        code = ("import sys, time, pathlib, hepfloat, hepfloat.dask; m = hepfloat.Model.load(sys.argv[1]); "
                "fs = [pathlib.Path(f) for f in sys.argv[3:]]; d = pathlib.Path(sys.argv[2]); d.mkdir(exist_ok=True); "
                "t0 = time.perf_counter(); [hepfloat.dask.upsample_file(m, f, d / f.name) for f in fs]; "
                "print(time.perf_counter() - t0)")
        def serial(fs):
            out = subprocess.run([sys.executable, "-c", code, str(model_file), str(one), *map(str, fs)],
                                 check=True, capture_output=True, text=True, env={**os.environ})
            return float(out.stdout.strip())
        t_serial = min(serial(files) for _ in range(a.repeat))
        t_serial_tiny = min(serial(tiny) for _ in range(a.repeat))
        rows.append((f"{a.parts} files in turn, one process, one thread", f"{t_serial:.2f} s", ""))
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
                    Client(cluster) as client:
                def run(fs, d):
                    shutil.rmtree(d, ignore_errors=True)
                    return hepfloat.dask.upsample_files(client, fs, model, d)
                run(files[:workers], work / "warm")  # workers import hepfloat once
                t, _ = best(lambda: run(files, work / f"dask{workers}"), a.repeat)
                tt, _ = best(lambda: run(tiny, work / f"tiny{workers}"), a.repeat)
            rows.append((f"{a.parts} files on Dask, {workers} worker{'s' if workers > 1 else ''}", f"{t:.2f} s",
                         f"{t_serial / t:.2f}× one process"))
            rows.append((f"{a.tiny} one-event files on Dask, {workers} worker{'s' if workers > 1 else ''}",
                         f"{tt:.2f} s", f"{1000 * (tt * workers - t_serial_tiny) / a.tiny:.0f} ms overhead a task"))
        rows.append((f"{a.tiny} one-event files in turn, one process", f"{t_serial_tiny:.2f} s",
                     f"{1000 * t_serial_tiny / a.tiny:.0f} ms a file"))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = ["| measurement | time | |", "|---|---|---|"] + [f"| {m} | {t} | {n} |" for m, t, n in rows]
    text = "\n".join(lines)
    print(text)
    if a.out:
        header = (
            "# The Python package: speed against the CLI, numpy and Dask\n\n"
            f"Generated by `python3 benches/python_speed.py {pathlib.Path(a.file).name} --repeat {a.repeat}` "
            f"({os.path.getsize(a.file) / 1e6:.0f} MB input, {os.cpu_count()} cores; the fastest of {a.repeat} runs). "
            "What each row measures is in the script's docstring; the model is fitted on the PHYSLITE "
            "sample.\n\n"
        )
        pathlib.Path(a.out).write_text(header + text + "\n")


if __name__ == "__main__":
    main()
