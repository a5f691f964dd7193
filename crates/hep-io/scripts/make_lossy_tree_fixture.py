#!/usr/bin/env python3
"""Oracle for ROOT's lossy TTree types (`Float16_t`, `Double32_t`) in two ROOT-written files of
scikit-hep-testdata (BSD-3-Clause, (c) The Scikit-HEP Administrators; see tests/data/README.md):
`skhep/uproot-double32-float16.root` (leaf branches `x/d[-2.71,10,n]`, `x/f[…]`, fixed arrays) and
`skhep/uproot-demo-double32.root` (ROOT's `double32.C` tutorial: class members `//[-pi,pi,n]`,
`//[0,0,k]` and a plain `Double32_t`).

The values are decoded as ROOT decodes them, independently of the Rust reader:
- range mode: the stored `u32` (read raw by uproot) divided by ROOT's factor `2^n / (max - min)`
  (`(2^32 - 1) / (max - min)` for n = 32, `TStreamerElement::GetRange`) plus `min`, in float64,
  then cast to float32 for `Float16_t` (`TBufferFile::ReadWithFactor`). uproot's own decode
  multiplies by `(max - min) / 2^n` instead (and uses `2^32` for n = 32), which differs in the last
  bits; the fixture records how often, for the record;
- mantissa mode and `Double32_t` stored as `float`: uproot's decode, which is ROOT's.

Per column: value count, list-length checksum and the wrapping sum of the value bit patterns, as
`tests/common/mod.rs` computes them. Run from the crate directory:

    python3 scripts/make_lossy_tree_fixture.py > tests/fixtures/lossy_tree.json
"""

import json
import sys

import numpy as np
import uproot

FILES = {
    "uproot-double32-float16.root": "tree",
    "uproot-demo-double32.root": "T",
}


def checksums(values, per_entry):
    flat = values.reshape(-1)
    bits = flat.view(f"u{flat.dtype.itemsize}").astype(np.uint64)
    total = int(np.sum(bits, dtype=np.uint64))  # wraps modulo 2^64, as the Rust side does
    lengths = []
    if per_entry is not None:
        n = len(values)
        lengths.append(int(np.sum(np.arange(1, n + 1, dtype=np.uint64) * np.uint64(per_entry), dtype=np.uint64)))
    return {"values": int(flat.size), "bits_sum": total, "lengths": lengths}


out = {}
for name, tree_name in FILES.items():
    tree = uproot.open(f"tests/data/skhep/{name}")[tree_name]
    for key in tree.keys(recursive=True):
        branch = tree[key]
        interp = branch.interpretation
        # A `Double32_t` without range is a big-endian float read into float64.
        as_float = isinstance(interp, uproot.AsDtype) and (interp.from_dtype, interp.to_dtype) == (np.dtype(">f4"), np.dtype("f8"))
        if not isinstance(interp, uproot.interpretation.numerical.TruncatedNumerical) and not as_float:
            continue
        theirs = branch.array(library="np")
        dims = interp.to_dims if hasattr(interp, "to_dims") else ()
        per_entry = dims[0] if dims else None
        double = branch.typename.startswith("Double32_t")
        if isinstance(interp, uproot.interpretation.numerical.TruncatedNumerical) and not interp.is_truncated:
            raw_dtype = np.dtype((">u4", dims)) if dims else np.dtype(">u4")
            raw = branch.array(interpretation=uproot.AsDtype(raw_dtype), library="np").astype(np.float64)
            lo, hi, n = interp.low, interp.high, interp.num_bits
            factor = (float(0xFFFFFFFF) if n >= 32 else float(1 << n)) / (hi - lo)
            ours = raw / factor + lo
            if not double:
                ours = ours.astype(np.float32)
            mode = f"range [{lo!r}, {hi!r}, {n}]"
        else:
            ours = theirs
            mode = "mantissa" if isinstance(interp, uproot.interpretation.numerical.TruncatedNumerical) else "float"
        ours = np.ascontiguousarray(ours)
        theirs = np.ascontiguousarray(theirs, dtype=ours.dtype)
        bits = f"u{ours.dtype.itemsize}"
        differ = int(np.sum(ours.reshape(-1).view(bits) != theirs.reshape(-1).view(bits)))
        if not mode.startswith("range"):
            assert differ == 0, key
        entry = checksums(ours, per_entry)
        entry.update({"mode": mode, "dtype": str(ours.dtype), "uproot_differs": differ})
        out[f"{name}:{key}"] = entry
json.dump(out, sys.stdout, indent=1, sort_keys=True)
sys.stdout.write("\n")
