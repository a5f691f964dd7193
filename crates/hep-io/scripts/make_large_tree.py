"""A large TTree for whole-process timings: the TTree PHYSLITE sample's float branches,
replicated with a small jitter, written by uproot in many baskets.

    python3 scripts/make_large_tree.py ../../test-data/PHYSLITE_example.root OUT.root [REPLICAS]

Each replica is the sample's 100 events of every `float` and `std::vector<float>` branch (uproot
cannot write vectors of vectors into a TTree), every value multiplied by `1 + 1e-4 * N(0, 1)`
(so the compressor cannot fold replicas together), appended as one basket of 100 events per
branch with `extend` (uproot's default compression, ZLIB level 1). 200 replicas give 20 000
events and about 86 MB; 800 give 80 000 and about 340 MB. The file is not committed: it is made
when a timing needs it (as the scaling issue did).
"""

import sys

import awkward as ak
import numpy as np
import uproot

from make_large_rntuple import jittered


def main(source, target, replicas=200):
    tree = uproot.open(source)["CollectionTree"]
    names = [
        name
        for name, branch in tree.items()
        if not branch.branches and branch.typename in ("float", "std::vector<float>")
    ]
    data = tree.arrays(names)
    rng = np.random.default_rng(1)
    with uproot.recreate(target) as f:
        for r in range(replicas):
            chunk = {n: jittered(data[n], rng) for n in names}
            if r == 0:
                f.mktree("CollectionTree", {n: chunk[n].type.content for n in names})
            f["CollectionTree"].extend(chunk)
            if r % 20 == 0:
                print(f"replica {r}/{replicas}", file=sys.stderr)
    print(f"{len(names)} float branches, {replicas * len(data)} events", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:]))
