#!/usr/bin/env python3
"""Whole-process timings of hepfloat's commands on TTrees of real size, at 1 and more threads,
with peak memory, written as a Markdown table.

    cargo build --release -p hepfloat-cli
    cargo build --release -p hep-io --example read_floats
    python3 crates/hep-io/scripts/make_large_tree.py test-data/PHYSLITE_example.root /tmp/x1.root 200
    python3 crates/hep-io/scripts/make_large_tree.py test-data/PHYSLITE_example.root /tmp/x4.root 800
    hadd -f /tmp/x16.root /tmp/x4.root /tmp/x4.root /tmp/x4.root /tmp/x4.root
    python3 benches/scaling.py --out docs/scaling.md /tmp/x1.root /tmp/x4.root

For every input file and thread count (`--threads`, default `1,N` with N the machine's cores)
it runs, each as its own process, timed by the wall clock, its peak resident memory from the
kernel (`wait4`'s `ru_maxrss`):
- `read`: hep-io's `read_floats` example, every float branch into Arrow in streamed batches of
  about 64 MiB, as the commands read (the reading limit);
- `compress`: `hepfloat compress FILE --bits 7` to Parquet, which also encodes every column at
  full precision to measure the size saved; `--no-baseline`: the same without that measurement;
- `upsample`: `hepfloat upsample` of that Parquet with a model fitted once on the first file;
- `evaluate`: `hepfloat evaluate` of the original, compressed and upsampled files (a report);
- `uproot`: uproot's `arrays()` of the same branches, the whole file at once (one thread; skipped
  without uproot), and hep-io's `read_floats` reading the whole file at once beside it.
The largest input is four copies of the 800-replica tree merged by ROOT's `hadd` (from the
`ROOT` wheel on PyPI), which copies the baskets (uproot's `extend` slows down as a tree grows:
3200 replicas would take over an hour); hadd prints an index warning per branch, and the merged
tree reads whole, four times the values. The thread count reaches hep-io through rayon (`RAYON_NUM_THREADS` for the example,
`--threads` for the CLI). Outputs go to a temporary folder and are removed. Each run is
repeated (`--repeat`, default 3) and the fastest kept.

With `--dataset N` it measures instead files of a dataset processed at once: N links to the
first input form one dataset, and `compress --no-baseline` and `upsample` of it run with
`--jobs 1, 2, …` up to the thread count (`--threads`' largest), each job a pool of its share of
the threads.

    python3 benches/scaling.py --dataset 4 --out docs/scaling-datasets.md /tmp/x1.root
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, "target", "release")
UPROOT = """
import sys, uproot
t = uproot.open(sys.argv[1])["CollectionTree"]
names = [n for n, b in t.items() if not b.branches and b.typename in ("float", "float[]", "std::vector<float>")]
t.arrays(names)
"""


def run(cmd, threads, env_threads=False):
    """(seconds, peak RSS in MB) of one process."""
    env = dict(os.environ)
    if env_threads:
        env["RAYON_NUM_THREADS"] = str(threads)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    return seconds, usage.ru_maxrss / 1024


def best(cmd, threads, repeat, env_threads=False):
    runs = [run(cmd, threads, env_threads) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+")
    p.add_argument("--out", required=True)
    p.add_argument("--threads", default=f"1,{os.cpu_count()}")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--dataset", type=int, default=0, help="measure --jobs on N links to the first file instead")
    a = p.parse_args()
    threads = sorted({int(t) for t in a.threads.split(",")})
    hepfloat = os.path.join(RELEASE, "hepfloat")
    if a.dataset:
        return datasets(a, hepfloat, max(threads))
    read_floats = os.path.join(RELEASE, "examples", "read_floats")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "model.json")
        first = a.files[0]
        print(f"fit on {first}", file=sys.stderr)
        run([hepfloat, "--quiet", "fit", first, "--bits", "7", "--entries", "..2000", "-o", model], 0)
        for f in a.files:
            mb = os.path.getsize(f) / 1e6
            compressed = os.path.join(tmp, "c.parquet")
            for t in threads:
                print(f"{os.path.basename(f)}, {t} threads", file=sys.stderr)
                read = best([read_floats, f, "CollectionTree", "--stream"], t, a.repeat, env_threads=True)
                th = ["--quiet", "--threads", str(t)]
                comp = best([hepfloat, *th, "compress", f, "--bits", "7", "-o", compressed], t, a.repeat)
                lean = best([hepfloat, *th, "compress", f, "--bits", "7", "--no-baseline", "-o", compressed], t, a.repeat)
                up_out = os.path.join(tmp, "u.parquet")
                up = best([hepfloat, *th, "upsample", compressed, "--model", model, "-o", up_out], t, a.repeat)
                report = os.path.join(tmp, "report")
                ev = [hepfloat, *th, "evaluate", "--original", f, "--compressed", compressed]
                ev = best([*ev, "--upsampled", up_out, "--report", report], t, a.repeat)
                rows.append((os.path.basename(f), mb, t, read, comp, lean, up, ev))
            try:
                import uproot  # noqa: F401

                whole = best([read_floats, f, "CollectionTree"], 1, a.repeat, env_threads=True)
                up = best([sys.executable, "-c", UPROOT, f], 1, a.repeat)
                rows.append((os.path.basename(f), mb, "uproot", up, whole))
            except ImportError:
                pass
    with open(a.out, "w") as out:
        out.write(
            "# Scaling: whole-process time and peak memory per command\n\n"
            f"Generated by `python3 benches/scaling.py --out {os.path.relpath(a.out, ROOT)} FILES` "
            "(do not edit by hand; the script's docstring says how the inputs are made). "
            f"Machine: {machine()}. Inputs: the PHYSLITE sample's `float` and "
            "`std::vector<float>` branches replicated with a 1e-4 jitter into uproot-written "
            "TTrees (`crates/hep-io/scripts/make_large_tree.py`; the largest is four copies of the second "
            "merged by ROOT's `hadd`). Each cell: the fastest of "
            f"{a.repeat} runs, seconds, and the peak resident memory (MB).\n\n"
            "| input | MB | threads | read (hep-io) | compress | compress --no-baseline | upsample | evaluate |\n"
            "|---|---:|---|---:|---:|---:|---:|---:|\n"
        )
        for r in rows:
            if r[2] == "uproot":
                (s, m), (ws, wm) = r[3], r[4]
                out.write(
                    f"| {r[0]} | {r[1]:.0f} | 1, whole file at once | uproot `arrays()` {s:.2f} s, {m:.0f} MB; "
                    f"hep-io {ws:.2f} s, {wm:.0f} MB | | | | |\n"
                )
            else:
                cells = " | ".join(f"{s:.2f} s, {m:.0f} MB" for s, m in r[3:])
                out.write(f"| {r[0]} | {r[1]:.0f} | {r[2]} | {cells} |\n")
        # Flatness: how much a command's peak memory grows from the smallest input to the
        # largest (the target: within 15 %).
        runs = [r for r in rows if r[2] != "uproot"]
        if len({r[0] for r in runs}) > 1:
            names = ["read (hep-io)", "compress", "compress --no-baseline", "upsample", "evaluate"]
            out.write(
                "\nPeak memory of the largest input over that of the smallest, per command "
                "(1.00: flat; the target is at most 1.15):\n\n"
                "| threads | " + " | ".join(names) + " |\n|---|" + "---:|" * len(names) + "\n"
            )
            for t in threads:
                mine = [r for r in runs if r[2] == t]
                small, large = min(mine, key=lambda r: r[1]), max(mine, key=lambda r: r[1])
                cells = " | ".join(f"{l[1] / s[1]:.2f}" for s, l in zip(small[3:], large[3:]))
                out.write(f"| {t} | {cells} |\n")
    print(f"wrote {a.out}", file=sys.stderr)


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as c:
            cpu = next(line.split(":", 1)[1].strip() for line in c if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({cpu})"


def datasets(a, hepfloat, threads):
    """The `--dataset` table: compress and upsample of N links to one file, per `--jobs`."""
    first = a.files[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = os.path.join(tmp, "in")
        os.mkdir(inputs)
        for i in range(a.dataset):
            os.symlink(os.path.abspath(first), os.path.join(inputs, f"f{i}.root"))
        model = os.path.join(tmp, "model.json")
        run([hepfloat, "--quiet", "fit", first, "--bits", "7", "--entries", "..2000", "-o", model], 0)
        th = ["--quiet", "--threads", str(threads)]
        compressed = os.path.join(tmp, "c")
        run([hepfloat, *th, "compress", os.path.join(inputs, "*.root"), "--bits", "7", "--no-baseline", "-o", compressed], 0)
        for jobs in range(1, threads + 1):
            print(f"{a.dataset} files, --jobs {jobs}", file=sys.stderr)
            out = os.path.join(tmp, f"c{jobs}")
            comp = best([hepfloat, *th, "compress", os.path.join(inputs, "*.root"), "--bits", "7", "--no-baseline",
                         "--jobs", str(jobs), "-o", out], threads, a.repeat)
            up_out = os.path.join(tmp, f"u{jobs}")
            up = best([hepfloat, *th, "upsample", os.path.join(compressed, "*.parquet"), "--model", model,
                       "--jobs", str(jobs), "-o", up_out], threads, a.repeat)
            rows.append((jobs, comp, up))
    mb = os.path.getsize(first) / 1e6
    with open(a.out, "w") as out:
        out.write(
            "# Scaling: files of a dataset at once\n\n"
            f"Generated by `python3 benches/scaling.py --dataset {a.dataset} --out {os.path.relpath(a.out, ROOT)} "
            f"{os.path.basename(first)}` (do not edit by hand; `docs/scaling.md` says how the input is made). "
            f"Machine: {machine()}. A dataset of {a.dataset} links to one {mb:.0f} MB TTree, {threads} threads; "
            "`--jobs J` processes J files at once, each in a pool of its share of the threads. Each cell: the fastest "
            f"of {a.repeat} runs, seconds, and the peak resident memory (MB).\n\n"
            "| --jobs | compress --no-baseline | upsample |\n|---|---:|---:|\n"
        )
        for jobs, (cs, cm), (us, um) in rows:
            out.write(f"| {jobs} | {cs:.2f} s, {cm:.0f} MB | {us:.2f} s, {um:.0f} MB |\n")
    print(f"wrote {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
