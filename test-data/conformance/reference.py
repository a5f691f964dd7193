#!/usr/bin/env python3
"""Reference digests of every numeric leaf of the conformance corpus, decoded by uproot.

Run once (the output is committed) with uproot and awkward installed:

    python test-data/conformance/reference.py test-data/conformance test-data/conformance/reference.json

For every TTree and RNTuple of every `*.root` file in the folder, every leaf — a branch without
sub-branches, or an RNTuple field's leaf after records are split into `record.member` — that
uproot decodes to numbers (booleans, integers, floats, in lists or fixed arrays of any depth) gets
a digest; everything else is listed with the reason. `cargo xtask conformance` reads the same
leaves with hep-io and compares digests, so CI needs no Python.

The digest is SHA-256 over, for each list level from the outside in, the number of items of
every list at that level (u64, little-endian), then the leaf's values in their own type
(little-endian; booleans one byte, 0 or 1). Fixed-size arrays count as lists of their size.
"""

import hashlib
import json
import os
import sys

import awkward as ak
import numpy as np
import uproot

NUMERIC = {
    "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
    "float32", "float64",
}


def digest(arr):
    """(dtype, values, levels, sha256) of a numeric leaf array, or raise ValueError."""
    levels = []
    depth = arr.ndim
    h = hashlib.sha256()
    for axis in range(1, depth):
        counts = ak.to_numpy(ak.flatten(ak.num(arr, axis=axis), axis=None)).astype("<u8")
        levels.append(int(counts.size))
        h.update(counts.tobytes())
    flat = ak.flatten(arr, axis=None) if depth > 1 else arr
    values = ak.to_numpy(flat)
    if values.dtype.kind == "b":
        values = values.astype(np.uint8)
        dtype = "bool"
    else:
        dtype = str(values.dtype)
    if values.dtype.kind in "US":
        raise ValueError("strings")
    if dtype not in NUMERIC:
        raise ValueError(f"values of type {dtype}")
    h.update(values.astype(values.dtype.newbyteorder("<")).tobytes())
    return {"dtype": dtype, "values": int(values.size), "levels": levels, "sha256": h.hexdigest()}


def leaves(name, arr, out):
    """Split records into `name.member` leaves; digest every numeric leaf."""
    fields = ak.fields(arr)
    if fields:
        for f in fields:
            leaves(f"{name}.{f}" if name else f, arr[f], out)
        return
    try:
        if "?" in str(arr.type) or "option" in str(arr.type):
            raise ValueError(f"optional values ({arr.type})")
        out[name] = digest(arr)
    except Exception as e:  # noqa: BLE001 - every reason is recorded
        out[name] = {"skip": f"{type(e).__name__}: {e}"[:200]}


def tree_leaves(tree):
    out = {}
    # A branch's path is its parent's and its name; where several branches have one path
    # (Delphes writes `Particle` twice), the n-th in branch order is `path#n`, as hep-io names it.
    paths, taken = {}, {}
    for branch in tree.itervalues(recursive=True):
        parent = branch.parent
        base = branch.name if isinstance(parent, uproot.TTree) else f"{paths[id(parent)]}/{branch.name}"
        taken[base] = taken.get(base, 0) + 1
        path, n = base, taken[base]
        while n > 1:
            if f"{base}#{n}" not in taken:
                path = f"{base}#{n}"
                taken[path] = 1
                break
            n += 1
        paths[id(branch)] = path
        if branch.branches:
            continue
        try:
            arr = branch.array(library="ak")
        except Exception as e:  # noqa: BLE001
            out[path] = {"skip": f"uproot cannot read it: {type(e).__name__}: {e}"[:200]}
            continue
        if ak.fields(arr):
            # A leaf branch holding whole objects: its members are not leaves of the tree.
            out[path] = {"skip": f"objects ({branch.typename})"}
            continue
        leaves(path, arr, out)
        root = root_range_decode(branch)
        if root is None:
            root = root_bits_decode(branch)
        if root is not None and "sha256" in out[path]:
            theirs = digest(root)
            if theirs["sha256"] != out[path]["sha256"]:
                out[path]["root"] = theirs
    return out


def root_range_decode(branch):
    """A `Float16_t` / `Double32_t` leaf in range mode (`[min, max, n]`), alone or in a
    variable-length list (a `TClonesArray` member), decoded as ROOT decodes it
    (`TBufferFile::ReadWithFactor`: the stored u32 divided by `2^n / (max - min)`, with
    `2^32 - 1` for n = 32, plus `min`, in double, cast to float for `Float16_t`); uproot multiplies
    by `(max - min) / 2^n` instead, which differs in the last bits. `None` for other leaves."""
    interp = branch.interpretation
    jagged = isinstance(interp, uproot.interpretation.jagged.AsJagged)
    inner = interp.content if jagged else interp
    truncated = uproot.interpretation.numerical.TruncatedNumerical
    if not isinstance(inner, truncated) or inner.is_truncated:
        return None
    dims = inner.to_dims if hasattr(inner, "to_dims") else ()
    raw_interp = uproot.AsDtype(np.dtype((">u4", dims)) if dims else np.dtype(">u4"))
    if jagged:
        raw_interp = uproot.AsJagged(raw_interp, header_bytes=interp.header_bytes)
    raw = ak.values_astype(branch.array(interpretation=raw_interp, library="ak"), np.float64)
    lo, hi, n = inner.low, inner.high, inner.num_bits
    factor = (float(0xFFFFFFFF) if n >= 32 else float(1 << n)) / (hi - lo)
    ours = raw / factor + lo
    if not branch.typename.startswith("Double32_t"):
        ours = ak.values_astype(ours, np.float32)
    return ours


def root_bits_decode(branch):
    """`TObject::fBits` of a split object or collection (streamer type 15, `kBits`) decoded as
    ROOT decodes it (`TStreamerInfo::ReadBuffer`): a big-endian u32 per object, followed by a
    2-byte process-ID index when the object is referenced (bit `kIsReferenced`, 0x10); uproot
    reads the bytes as u32s only, which goes wrong where objects are referenced. Parsed here from
    the raw bytes of each entry. `None` for other leaves."""
    streamer = getattr(branch, "streamer", None)
    if streamer is None or not streamer.has_member("fType") or streamer.member("fType") != 15:
        return None
    interp = branch.interpretation
    if not isinstance(interp, uproot.interpretation.jagged.AsJagged):
        return None
    raw = branch.array(interpretation=uproot.AsJagged(uproot.AsDtype("u1")), library="ak")
    lists = []
    for entry in ak.to_list(raw):
        data, at, values = bytes(entry), 0, []
        while at < len(data):
            v = int.from_bytes(data[at:at + 4], "big")
            values.append(v)
            at += 6 if v & 0x10 else 4
        lists.append(values)
    return ak.values_astype(ak.Array(lists), np.uint32)


CARDINALITY = {
    "ROOT::RNTupleCardinality<std::uint32_t>": np.uint32,
    "ROOT::RNTupleCardinality<std::uint64_t>": np.uint64,
}


def rntuple_leaves(rn):
    out = {}
    for name in rn.keys():
        try:
            field = rn[name]
            arr = field.array(library="ak")
        except Exception as e:  # noqa: BLE001
            out[name] = {"skip": f"uproot cannot read it: {type(e).__name__}: {e}"[:200]}
            continue
        declared = CARDINALITY.get(field.typename)
        if declared is not None:
            # uproot gives a collection's size as int64 (awkward's counts); the file declares
            # the unsigned type: the same numbers, digested in the declared type.
            out[name] = digest(ak.values_astype(arr, declared))
            out[name]["uproot_dtype"] = str(ak.to_numpy(arr).dtype)
            continue
        leaves(name, arr, out)
    return out


def main(folder, output):
    result = {}
    for fname in sorted(os.listdir(folder)):
        if not fname.endswith(".root"):
            continue
        objects = {}
        try:
            f = uproot.open(os.path.join(folder, fname))
            classes = f.classnames(recursive=True)
        except Exception as e:  # noqa: BLE001
            result[fname] = {"skip": f"uproot cannot open it: {type(e).__name__}: {e}"[:200]}
            continue
        seen = set()
        for key, cls in sorted(classes.items()):
            path = key.rsplit(";", 1)[0]
            if path in seen or cls not in ("TTree", "ROOT::RNTuple", "ROOT::Experimental::RNTuple"):
                continue
            seen.add(path)
            try:
                obj = f[path]
                objects[path] = tree_leaves(obj) if cls == "TTree" else rntuple_leaves(obj)
            except Exception as e:  # noqa: BLE001
                objects[path] = {"skip": f"uproot cannot read it: {type(e).__name__}: {e}"[:200]}
        result[fname] = {"objects": objects}
        print(f"{fname}: {len(objects)} objects", file=sys.stderr)
    meta = {"uproot": uproot.__version__, "awkward": ak.__version__, "numpy": np.__version__}
    with open(output, "w") as out:
        json.dump({"made_by": meta, "files": result}, out, indent=1, sort_keys=True)
        out.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
