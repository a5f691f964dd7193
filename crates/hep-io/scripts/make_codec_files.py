#!/usr/bin/env python3
"""Generate the small ROOT files that test hep-io's codecs (run once; the files are committed).

    python3 crates/hep-io/scripts/make_codec_files.py      # needs uproot (5.x), lz4, xxhash, zstandard

Each file tests/data/codec_<name>.root holds, written by uproot with one compression setting:
- `big`: a TH1D with 3 000 000 bins (24 MB of doubles, above ROOT's 16 MiB block limit, so the
  object is split into two compressed blocks); bin i holds float((i // 4096) % 251) (long runs,
  so the files stay small); not written uncompressed (it would be 24 MB);
- `dir/note`: a TObjString inside a subdirectory;
- `small`: a TH1D with 10 bins;
- `events`: a TTree of 1000 entries written in 4 baskets of 250 per branch: one branch per
  numeric type (`f`, `d`, `i8` … `u64`, `b`), a fixed array `arr` (float[3]) and a jagged
  float array `jag` with its count branch `njag` (values are formulas of the entry number i);
- `dir/events`: the same tree in the subdirectory;
- `long`: a TTree with one float branch `x` of 4 500 000 entries in a single basket of 18 MB
  (split into two compressed blocks); x[i] = float((i // 4096) % 251); not written uncompressed.
The bin pattern and the formulas are what the Rust tests check.
"""
import pathlib

import numpy as np
import uproot

import awkward as ak


def events(start, stop):
    """Entries start..stop of the `events` tree."""
    i = np.arange(start, stop)
    return {
        "f": (i * 0.5).astype(np.float32),
        "d": i * 0.25,
        "i8": ((i % 256) - 128).astype(np.int8),
        "u8": (i % 256).astype(np.uint8),
        "i16": (i - 500).astype(np.int16),
        "u16": (i * 7).astype(np.uint16),
        "i32": (i * i - 1000).astype(np.int32),
        "u32": (i * 3_000_000).astype(np.uint32),
        "i64": i * -1_000_000_000_000,
        "u64": (i * 10**15).astype(np.uint64),
        "b": i % 3 == 0,
        "arr": np.stack([i, i + 0.5, -i], axis=1).astype(np.float32),
        "jag": ak.Array([[np.float32(j + k / 10) for k in range(j % 5)] for j in i]),
    }


out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data"
out.mkdir(parents=True, exist_ok=True)
nbins = 3_000_000
big = ((np.arange(nbins + 2) // 4096) % 251).astype(np.float64)  # with under/overflow bins
edges = np.linspace(0.0, 1.0, nbins + 1)
for name, compression in [
    ("zlib", uproot.ZLIB(1)),
    ("lzma", uproot.LZMA(1)),
    ("lz4", uproot.LZ4(1)),
    ("zstd", uproot.ZSTD(1)),
    ("none", None),
]:
    path = out / f"codec_{name}.root"
    with uproot.recreate(path, compression=compression) as f:
        if compression is not None:
            f["big"] = (big[1:-1], edges)
        f["small"] = (np.arange(10, dtype=np.float64), np.linspace(0.0, 1.0, 11))
        f["dir/note"] = "hep-io codec test"
        for tree_path in ["events", "dir/events"]:
            f.mktree(tree_path, {**{k: v.dtype for k, v in events(0, 1).items() if k not in ("arr", "jag")},
                                 "arr": ("f4", (3,)), "jag": "var * float32"})
            for start in range(0, 1000, 250):
                f[tree_path].extend(events(start, start + 250))
        if compression is not None:
            f.mktree("long", {"x": np.float32})
            f["long"].extend({"x": ((np.arange(4_500_000) // 4096) % 251).astype(np.float32)})
    print(path.name, path.stat().st_size, "bytes")
