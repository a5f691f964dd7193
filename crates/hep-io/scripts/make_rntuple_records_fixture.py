"""Checksums of every numeric member of the record fields of the RNTuple PHYSLITE sample (records
flattened to one column per leaf, `Record.member`, also inside vectors), as decoded by uproot,
with the checksums of `make_physlite_fixture.py` (float32 values by their bit patterns).

    python3 scripts/make_rntuple_records_fixture.py ../../test-data/physlite_rntuple.root \
        > tests/fixtures/physlite_rntuple_record_members.json
"""

import json
import sys

import awkward as ak
import numpy as np
import uproot

from make_physlite_fixture import decodable_fields, summary


def leaves(name, arr):
    """(`name.member…`, array) for every leaf under the record array `arr`."""
    fields = ak.fields(arr)
    if not fields:
        yield name, arr
        return
    for f in fields:
        yield from leaves(f"{name}.{f}", arr[f])


def main(path):
    ntuple = uproot.open(path)["EventData"]
    out = {}
    for key, arr in decodable_fields(ntuple):
        if not ak.fields(arr):
            continue
        for name, leaf in leaves(key, arr):
            if "string" in str(ak.type(leaf)):
                continue
            values = ak.to_numpy(ak.flatten(leaf, axis=None))
            if values.dtype.kind not in "biuf":
                continue
            out[name] = summary(leaf, str(ak.type(leaf).content))
    json.dump(out, sys.stdout, indent=0, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
