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

import uproot

from make_large_rntuple import write_replicas


def main(source, target, replicas=200):
    tree = uproot.open(source)["CollectionTree"]
    names = [
        name
        for name, branch in tree.items()
        if not branch.branches and branch.typename in ("float", "std::vector<float>")
    ]
    data = tree.arrays(names)

    def create(chunk):
        f.mktree("CollectionTree", {n: chunk[n].type.content for n in names})
        f["CollectionTree"].extend(chunk)

    with uproot.recreate(target) as f:
        write_replicas(data, names, replicas, create, lambda c: f["CollectionTree"].extend(c))
    print(f"{len(names)} float branches, {replicas * len(data)} events", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:]))
