"""Checksums of every non-float numeric branch of PHYSLITE_example.root, as decoded by uproot.

The float branches are checked bit for bit against the vendored reference Parquet file; this
fixture covers the other types (integers, bool, double; scalars, C arrays, vectors, vectors of
vectors). For each branch: entries, values, a checksum of the per-entry lengths at each list
level, and the wrapping 64-bit sum of the values' bit patterns (sign-extended integers, bool as
0/1, doubles as IEEE bits).

    python3 scripts/make_physlite_fixture.py ../../test-data/PHYSLITE_example.root \
        > tests/fixtures/physlite_other_types.json
"""

import json
import sys

import awkward as ak
import numpy as np
import uproot

MASK = (1 << 64) - 1


def levels(arr):
    """Per-level list lengths and the flat values of an awkward array."""
    lens = []
    while arr.ndim > 1:
        lens.append(ak.to_numpy(ak.num(arr, axis=1)))
        arr = ak.flatten(arr, axis=1)
    return lens, ak.to_numpy(arr)


def bits_sum(values):
    if values.dtype == np.float64:
        u = values.view(np.uint64)
    elif values.dtype == np.float32:
        u = values.view(np.uint32).astype(np.uint64)
    elif values.dtype == np.bool_:
        u = values.astype(np.uint64)
    else:
        u = values.astype(np.int64).view(np.uint64) if values.dtype.kind == "i" else values.astype(np.uint64)
    return int(u.sum(dtype=np.uint64)) & MASK


def lengths_sum(lens):
    # Position-weighted so a moved boundary changes it.
    return int(sum((i + 1) * int(n) for i, n in enumerate(lens))) & MASK


def summary(arr, typename):
    """The fixture entry of one decoded column."""
    lens, values = levels(arr)
    return {
        "type": typename,
        "entries": len(arr),
        "values": int(values.size),
        "lengths": [lengths_sum(l) for l in lens],
        "bits_sum": bits_sum(values),
    }


def decodable_fields(obj):
    """(name, awkward array) of every top-level field of an RNTuple (or branch of a tree) that
    uproot decodes; the ones it cannot read are not part of any oracle."""
    for key in obj.keys(recursive=False):
        try:
            yield key, obj.arrays([key])[key]
        except Exception:
            continue


def float32_fields(obj):
    """The names of the plain float32 fields (no records): what the float references hold."""
    return [
        key
        for key, arr in decodable_fields(obj)
        if not ak.fields(arr) and np.asarray(ak.flatten(arr, axis=None)).dtype == np.float32
    ]


def main(path):
    tree = uproot.open(path)["CollectionTree"]
    out = {}
    for key in tree.keys(recursive=True):
        branch = tree[key]
        interp = str(branch.interpretation)
        if not (interp.startswith("AsDtype") or interp.startswith("AsJagged(AsDtype") or "AsVector(False, dtype" in interp):
            continue
        if "f4" in interp:
            continue  # floats: the bit-exact Parquet reference covers them
        out[key] = summary(branch.array(library="ak"), branch.typename)
    json.dump(out, sys.stdout, indent=0, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
