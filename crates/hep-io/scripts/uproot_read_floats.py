"""uproot's side of the whole-process read timing: every float32 field of an RNTuple (or
float32 branch of a TTree) into awkward arrays with `arrays(names)`, as hep-io's
`examples/read_floats.rs` reads them into Arrow.

    /usr/bin/time -v python3 scripts/uproot_read_floats.py FILE.root [NAME]

Prints the names read, the values, and the seconds of `arrays()` alone (after `import uproot`
and opening the file); `/usr/bin/time` gives the whole process and its peak memory.
"""

import sys
import time

import awkward as ak
import uproot

from make_physlite_fixture import float32_fields


def main(path, name=None):
    f = uproot.open(path)
    if name is None:
        name = "EventData" if "EventData" in f else "CollectionTree"
    obj = f[name]
    # The float32 fields (as the reference decodes pick them): read each once, untimed.
    names = float32_fields(obj)
    start = time.perf_counter()
    arrays = obj.arrays(names)
    seconds = time.perf_counter() - start
    values = sum(len(ak.flatten(arrays[n], axis=None)) for n in names)
    print(f"{name}: {len(names)} float fields, {values} values, arrays() {seconds:.3f} s")


if __name__ == "__main__":
    main(*sys.argv[1:])
