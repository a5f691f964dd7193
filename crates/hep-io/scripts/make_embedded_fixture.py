#!/usr/bin/env python3
"""Oracle for `tests/data/embedded_baskets.root`: uproot's decode of every branch, as value bits.

The file is `uproot-issue21.root` from scikit-hep-testdata (BSD-3-Clause, (c) The Scikit-HEP
Administrators; see tests/data/README.md): a ROOT-written tree whose baskets were never written as
keys, so they live inside the streamed TTree (`TBranch::fBaskets`). uproot reads them as
"embedded baskets". Run from the crate directory:

    python3 scripts/make_embedded_fixture.py > tests/fixtures/embedded_baskets.json
"""

import json
import sys

import numpy as np
import uproot

tree = uproot.open("tests/data/embedded_baskets.root")["nllscan"]
out = {"tree": "nllscan", "entries": int(tree.num_entries), "branches": {}}
for branch in tree.branches:
    assert len(branch.embedded_baskets) == branch.num_baskets, branch.name
    values = branch.array(library="np")
    width = values.dtype.itemsize
    bits = values.view(f"u{width}")
    out["branches"][branch.name] = {"dtype": str(values.dtype), "bits": [int(b) for b in bits]}
json.dump(out, sys.stdout, indent=None)
sys.stdout.write("\n")
