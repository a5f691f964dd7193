#!/usr/bin/env python3
"""The per-core inflate limit of a TTree's float branches: every zlib block of their baskets,
read from the file by the positions uproot gives, inflated on one core by C zlib, zlib-ng and
ISA-L (Python bindings, no copies but the output), beside hep-io reading the same branches
(`read_floats`, one thread) — the read target of `docs/scaling.md` is a fraction of this limit.

    pip install uproot zlib-ng isal
    cargo build --release -p hep-io --example read_floats
    python3 benches/inflate_limit.py /tmp/x1.root

A basket on disk is a `TKey` (its header `KeyLen` bytes long) followed by blocks of a 9-byte
header — two letters naming the codec (`ZL`: a zlib stream), a method byte, the compressed and
the uncompressed size as 3-byte little-endian numbers — and the compressed bytes. Baskets
stored raw, and blocks of other codecs, are counted apart. Each timing is the fastest of
`--repeat` passes over all blocks.
"""

import argparse
import os
import subprocess
import sys
import time
import zlib

import uproot

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def blocks(path, tree):
    """(zlib blocks as (bytes, uncompressed size), raw bytes, other-codec blocks)."""
    with open(path, "rb") as f:
        data = f.read()
    t = uproot.open(path)[tree]
    out, raw, other = [], 0, 0
    for _, b in t.items():
        if b.branches or b.typename not in ("float", "float[]", "std::vector<float>"):
            continue
        n = b.num_baskets
        for seek, nbytes in zip(b.member("fBasketSeek")[:n], b.member("fBasketBytes")[:n]):
            if seek == 0:
                continue
            key = data[seek : seek + nbytes]
            obj_len = int.from_bytes(key[6:10], "big")
            key_len = int.from_bytes(key[14:16], "big")
            body = key[key_len:]
            if len(body) == obj_len:
                raw += obj_len
                continue
            at = 0
            while at + 9 <= len(body):
                codec = body[at : at + 2]
                c = int.from_bytes(body[at + 3 : at + 6], "little")
                u = int.from_bytes(body[at + 6 : at + 9], "little")
                if codec == b"ZL":
                    out.append((body[at + 9 : at + 9 + c], u))
                else:
                    other += u
                at += 9 + c
    return out, raw, other


def rate(decompress, blks, repeat):
    """Uncompressed MB per second of the fastest pass."""
    total = sum(u for _, u in blks)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for b, u in blks:
            decompress(b, u)
        best = min(best, time.perf_counter() - start)
    return total / 1e6 / best, best


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("file")
    p.add_argument("--tree", default="CollectionTree")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    blks, raw, other = blocks(a.file, a.tree)
    total = sum(u for _, u in blks)
    print(f"{len(blks)} zlib blocks, {total / 1e6:.1f} MB uncompressed ({raw / 1e6:.1f} MB stored raw, "
          f"{other / 1e6:.1f} MB other codecs)")
    from isal import isal_zlib
    from zlib_ng import zlib_ng

    for name, fn in [
        ("C zlib", lambda b, u: zlib.decompress(b, 15, u)),
        ("zlib-ng", lambda b, u: zlib_ng.decompress(b, 15, u)),
        ("ISA-L", lambda b, u: isal_zlib.decompress(b, 15, u)),
    ]:
        mbs, s = rate(fn, blks, a.repeat)
        print(f"{name:8} {mbs:7.0f} MB/s ({s:.2f} s, one core)")
    read_floats = os.path.join(ROOT, "target", "release", "examples", "read_floats")
    if os.path.exists(read_floats):
        best = float("inf")
        for _ in range(a.repeat):
            start = time.perf_counter()
            subprocess.run([read_floats, a.file, a.tree, "--stream"], check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, RAYON_NUM_THREADS="1"))
            best = min(best, time.perf_counter() - start)
        print(f"hep-io   {(total + raw) / 1e6 / best:7.0f} MB/s ({best:.2f} s, one thread, whole process: "
              "open, inflate, decode into Arrow)")


if __name__ == "__main__":
    sys.exit(main())
