"""What the scripts that make test files with ROOT itself share (`make_lossy_vectors.py`,
`make_nd_arrays.py`, `make_nested_vectors.py`): building a class dictionary with ACLiC in a
scratch folder, writing under a temporary name, ROOT's reading of the closed file as the
oracle, and the fixture.

They ran with ROOT 6.40.00 from PyPI (`pip install ROOT==0.1a12`, Python 3.11; ACLiC needs g++):

    python -m venv /tmp/rootvenv && /tmp/rootvenv/bin/pip install ROOT==0.1a12
    /tmp/rootvenv/bin/python crates/hep-io/scripts/make_nd_arrays.py
"""

import json
import os
import struct
import sys
import tempfile

import ROOT

HERE = os.path.dirname(os.path.abspath(__file__))


def paths(root_name, fixture_name):
    """The test file `tests/data/root/ROOT_NAME` and its fixture `tests/fixtures/FIXTURE_NAME`."""
    tests = os.path.normpath(os.path.join(HERE, "..", "tests"))
    return os.path.join(tests, "data", "root", root_name), os.path.join(tests, "fixtures", fixture_name)


def f64(x):
    """A double's big-endian bit pattern in hex, as the fixtures spell values."""
    return struct.pack(">d", x).hex()


def f32(x):
    """A float's big-endian bit pattern in hex."""
    return struct.pack(">f", x).hex()


def entry(tree, i):
    """Load entry `i` of `tree`, or stop: the oracle must read every entry."""
    if tree.GetEntry(i) <= 0:
        sys.exit(f"ROOT could not read entry {i}")


def make(out, fixture, header, header_name, write, read_back, code=None):
    """Build the dictionary of `header` (saved as `header_name` in a scratch folder), declare the
    C++ `code` to ROOT if any, call `write(part)` to write the file under a temporary name and
    move it onto `out`, then write `read_back()` (ROOT's reading of the closed file, with
    `root_version` added) as `fixture`."""
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, header_name), "w") as f:
            f.write(header)
        # ACLiC builds the dictionary next to the header; the classes are known from then on.
        os.chdir(tmp)
        if ROOT.gROOT.ProcessLine(f".L {header_name}+") != 0:
            sys.exit("ROOT could not build the dictionary (is g++ installed?)")
        if code is not None:
            ROOT.gInterpreter.Declare(code)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        part = out + ".part"
        written = write(part)
        os.replace(part, out)
        os.chdir(cwd)
        ref = read_back()
    ref["root_version"] = ROOT.gROOT.GetVersion()
    if written is not None:
        ref.update(written)
    os.makedirs(os.path.dirname(fixture), exist_ok=True)
    with open(fixture, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print(f"{out}: {ref['entries']} entries, ROOT {ref['root_version']}")
