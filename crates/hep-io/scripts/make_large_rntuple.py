"""A large RNTuple for whole-process read timings: the RNTuple PHYSLITE sample's float fields,
replicated with a small jitter, written by uproot in many clusters.

    python3 scripts/make_large_rntuple.py ../../test-data/physlite_rntuple.root OUT.root [REPLICAS]

Each replica is the sample's 100 events of every float32 field (375; scalars, vectors and
vectors of vectors), every value multiplied by `1 + 1e-4 * N(0, 1)` (so the compressor cannot
fold replicas together), appended as one cluster of 100 events with `extend` (uproot's
default compression, ZLIB level 1). 220 replicas give 22 000 events and about 210 MB. The
file is not committed: it is made when a timing needs it.
"""

import sys

import awkward as ak
import numpy as np
import uproot

from make_physlite_fixture import float32_fields


def jittered(array, rng):
    """`array` with each float multiplied by 1 + 1e-4 N(0, 1), structure kept."""
    flat = ak.flatten(array, axis=None)
    values = np.asarray(flat, dtype=np.float32)
    noise = (1.0 + 1e-4 * rng.standard_normal(values.shape[0])).astype(np.float32)
    out = values * noise
    layout = ak.to_layout(array)

    def replace(node, **_):
        if isinstance(node, ak.contents.NumpyArray):
            return ak.contents.NumpyArray(out)
        return None

    return ak.Array(ak.transform(replace, layout))


def write_replicas(data, names, replicas, create, extend):
    """`replicas` jittered copies of `data`'s columns `names`: the first given to `create`, the
    others to `extend` (one cluster or basket each), with progress on stderr."""
    rng = np.random.default_rng(1)
    for r in range(replicas):
        chunk = {n: jittered(data[n], rng) for n in names}
        (create if r == 0 else extend)(chunk)
        if r % 20 == 0:
            print(f"replica {r}/{replicas}", file=sys.stderr)


def main(source, target, replicas=220):
    ntuple = uproot.open(source)["EventData"]
    names = float32_fields(ntuple)
    data = ntuple.arrays(names)
    with uproot.recreate(target) as f:
        write_replicas(
            data, names, replicas, lambda c: f.mkrntuple("EventData", c), lambda c: f["EventData"].extend(c)
        )
    print(f"{len(names)} float fields, {replicas * len(data)} events", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:]))
