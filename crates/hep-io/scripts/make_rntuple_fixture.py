"""Checksums of every non-float numeric field of the RNTuple PHYSLITE sample, as decoded by uproot.

The float fields are checked bit for bit against the vendored reference Parquet file; this
fixture covers the other primitive types (integers, bool, double; scalars, vectors, vectors of
vectors) of the top-level fields of `EventData`, with the checksums of
`make_physlite_fixture.py`: entries, values, a position-weighted checksum of the per-entry
lengths at each list level, and the wrapping 64-bit sum of the values' bit patterns.

    python3 scripts/make_rntuple_fixture.py ../../test-data/physlite_rntuple.root \
        > tests/fixtures/physlite_rntuple_other_types.json
"""

import json
import sys

import awkward as ak
import numpy as np
import uproot

from make_physlite_fixture import decodable_fields, levels, summary


def main(path):
    ntuple = uproot.open(path)["EventData"]
    out = {}
    for key, arr in decodable_fields(ntuple):
        if ak.fields(arr) or "string" in str(ak.type(arr)):
            continue  # records and strings: not primitive fields
        values = levels(arr)[1]
        if values.dtype.kind not in "biuf" or values.dtype == np.float32:
            continue
        out[key] = summary(arr, str(ak.type(arr).content))
    json.dump(out, sys.stdout, indent=0, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
