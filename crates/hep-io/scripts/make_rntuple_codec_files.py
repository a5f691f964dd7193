#!/usr/bin/env python3
"""Generate the small RNTuple files that test hep-io's RNTuple reading with every ROOT codec
(run once; the files are committed).

    python3 crates/hep-io/scripts/make_rntuple_codec_files.py     # needs uproot (5.7)

Each file tests/data/rntuple/codec_<name>.root holds, written by uproot with one compression
setting (ZLIB, LZ4, LZMA, ZSTD at level 1, or none):
- `events`: 1000 entries in 4 clusters of 250 (one `extend` each): `x` (float32) = i / 4,
  `n` (int32) = 3 i - 1000, `b` (bool) = i % 3 == 0, `v` (vector<float>) = [i, i + 0.5, ...]
  with i % 4 items (i + 0.5 k for k < i % 4), `w` (vector<vector<int16>>) = (i % 3) lists, list
  j holding [j, j + 1, ..., j + i % 2];
- `long`: 5 000 000 entries of a float32 `y` = float((i // 4096) % 251) in one cluster (a
  20 MB page, above ROOT's 16 MiB block limit, so a compressing codec splits it into blocks);
  written with every codec but none (it would be 20 MB).
The formulas are what the Rust tests check.
"""
import pathlib

import awkward as ak
import numpy as np
import uproot


def events(start, stop):
    """Entries start..stop of `events`."""
    i = np.arange(start, stop)
    v = ak.Array([[k + 0.5 * j for j in range(k % 4)] for k in i.tolist()])
    w = ak.Array([[list(range(j, j + k % 2 + 1)) for j in range(k % 3)] for k in i.tolist()])
    return {
        "x": (i / 4).astype(np.float32),
        "n": (3 * i - 1000).astype(np.int32),
        "b": i % 3 == 0,
        "v": ak.values_astype(v, np.float32),
        "w": ak.values_astype(w, np.int16),
    }


def main():
    out = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "rntuple"
    out.mkdir(parents=True, exist_ok=True)
    codecs = {
        "zlib": uproot.ZLIB(1),
        "lz4": uproot.LZ4(1),
        "lzma": uproot.LZMA(1),
        "zstd": uproot.ZSTD(1),
        "none": None,
    }
    for name, compression in codecs.items():
        path = out / f"codec_{name}.root"
        with uproot.recreate(path, compression=compression) as f:
            f.mkrntuple("events", events(0, 250))
            for start in (250, 500, 750):
                f["events"].extend(events(start, start + 250))
            if compression is not None:
                i = np.arange(5_000_000)
                f.mkrntuple("long", {"y": ((i // 4096) % 251).astype(np.float32)})
        print(path, path.stat().st_size)


if __name__ == "__main__":
    main()
