#!/usr/bin/env python3
"""Generate the small ROOT files that test hep-io's codecs (run once; the files are committed).

    python3 crates/hep-io/scripts/make_codec_files.py      # needs uproot (5.x), lz4, xxhash, zstandard

Each file tests/data/codec_<name>.root holds, written by uproot with one compression setting:
- `big`: a TH1D with 3 000 000 bins (24 MB of doubles, above ROOT's 16 MiB block limit, so the
  object is split into two compressed blocks); bin i holds float((i // 4096) % 251) (long runs,
  so the files stay small); not written uncompressed (it would be 24 MB);
- `dir/note`: a TObjString inside a subdirectory;
- `small`: a TH1D with 10 bins.
The bin pattern is what the Rust test checks after decompression.
"""
import pathlib

import numpy as np
import uproot

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
    print(path.name, path.stat().st_size, "bytes")
