"""Write `tests/data/root/lossy-vectors.root` with ROOT itself, and its oracle
`tests/fixtures/lossy_vectors.json`: what ROOT reads back from the file.

`std::vector<Double32_t>` and `std::vector<Float16_t>` can only be written by ROOT (uproot cannot
write them, nor read them). ROOT is on PyPI; this script ran with ROOT 6.40.00 from
`pip install ROOT==0.1a12` (Python 3.11, with g++ for the dictionary):

    python -m venv /tmp/rootvenv && /tmp/rootvenv/bin/pip install ROOT==0.1a12
    /tmp/rootvenv/bin/python crates/hep-io/scripts/make_lossy_vectors.py

The tree `t` (301 entries) holds one split object `event` of class `Event` and three top-level
vectors. The vectors of an entry are all filled from the same doubles, listed in the fixture as
`originals`, so a test can check the values both against ROOT's decode (the fixture) and against
what the element type makes of the originals. Members carry range comments (`//[-5,5,16]`, `//[0,0,8]`) on purpose: ROOT
writes elements of STL collections without their member's streamer element, so those ranges do
not apply (`Double32_t` elements are `float`s, `Float16_t` elements keep 12 mantissa bits).

The fixture is ROOT's reading of the closed file, entry by entry through the class dictionary:
per branch, per entry, the values' bit patterns in hex (`f64` for `Double32_t` and `double`,
`f32` for `Float16_t`), nested lists as nested lists.
"""

import json
import math
import os
import random
import struct
import sys
import tempfile

import ROOT

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "tests", "data", "root", "lossy-vectors.root"))
FIXTURE = os.path.normpath(os.path.join(HERE, "..", "tests", "fixtures", "lossy_vectors.json"))

HEADER = r"""
#pragma once
#include <vector>
#include "Rtypes.h"
struct Hit {
  Double32_t e;                    //[0,100,12]
  std::vector<Double32_t> samples; //[0,100,12]
  std::vector<Float16_t> times;
  virtual ~Hit() {}
  ClassDef(Hit, 1)
};
struct Event {
  std::vector<Double32_t> plain;
  std::vector<Double32_t> ranged;  //[-5,5,16]
  std::vector<Float16_t> half;
  std::vector<Float16_t> half8;    //[0,0,8]
  std::vector<Hit> hits;
  virtual ~Event() {}
  ClassDef(Event, 1)
};
"""

# One entry of edge values: signed zeros, float subnormals and a double subnormal, the float
# limits, infinities and a NaN.
EDGES = [0.0, -0.0, 1e-40, -1e-310, 1.17549435e-38, 3.4e38, -3.4028234663852886e38,
         math.inf, -math.inf, math.nan, 65504.0, -7.0]


def values(rng, n):
    """`n` doubles: a uniform part, a wide log-uniform part, with signs."""
    out = []
    for _ in range(n):
        if rng.random() < 0.5:
            out.append(rng.uniform(-5.0, 5.0))
        else:
            out.append(math.copysign(10 ** rng.uniform(-8, 8), rng.random() - 0.5))
    return out


def fill(rng, entries, tmp):
    """Write the file (the dictionary is built in `tmp`); the doubles each entry's vectors were
    filled from, in hex."""
    originals = []
    header = os.path.join(tmp, "lossyvec.h")
    with open(header, "w") as f:
        f.write(HEADER)
    # ACLiC builds the dictionary next to the header; the classes are known from then on.
    os.chdir(tmp)
    # (A `std::vector<std::vector<Double32_t>>` member would make ACLiC define the dictionary of
    # `std::vector<double>` twice; the top-level branch `vv` has that type instead.)
    if ROOT.gROOT.ProcessLine(".L lossyvec.h+") != 0:
        sys.exit("ROOT could not build the dictionary (is g++ installed?)")
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    part = OUT + ".part"
    f = ROOT.TFile(part, "RECREATE")
    t = ROOT.TTree("t", "std::vector of Double32_t and Float16_t, written by ROOT")
    ev = ROOT.Event()
    v = ROOT.std.vector("Double32_t")()
    h = ROOT.std.vector("Float16_t")()
    vv = ROOT.std.vector(ROOT.std.vector("Double32_t"))()
    t.Branch("event", ev, 32000, 99)
    t.Branch("v", v)
    t.Branch("h", h)
    t.Branch("vv", vv)
    for i in range(entries):
        xs = EDGES if i == 7 else values(rng, rng.randrange(0, 7))
        for c in (ev.plain, ev.ranged, ev.half, ev.half8, ev.hits, v, h, vv):
            c.clear()
        originals.append([d(x) for x in xs])
        for x in xs:
            for c in (ev.plain, ev.ranged, ev.half, ev.half8, v, h):
                c.push_back(x)
        for k in range(rng.randrange(0, 4)):
            inner = ROOT.std.vector("Double32_t")()
            for x in xs[k:]:
                inner.push_back(x)
            vv.push_back(inner)
        for k in range(rng.randrange(0, 4)):
            hit = ROOT.Hit()
            hit.e = rng.uniform(0, 100)
            for x in values(rng, rng.randrange(0, 5)):
                hit.samples.push_back(x)
                hit.times.push_back(x)
            ev.hits.push_back(hit)
        t.Fill()
    t.Write()
    f.Close()
    os.replace(part, OUT)
    return originals


def d(x):
    return struct.pack(">d", x).hex()


def s(x):
    return struct.pack(">f", x).hex()


def read_back():
    f = ROOT.TFile(OUT)
    t = f.Get("t")
    cols = {k: [] for k in ["event/plain", "event/ranged", "event/half", "event/half8",
                            "event/hits/hits.e", "event/hits/hits.samples",
                            "event/hits/hits.times", "v", "h", "vv"]}
    for i in range(t.GetEntries()):
        if t.GetEntry(i) <= 0:
            sys.exit(f"ROOT could not read entry {i}")
        ev = t.event
        cols["event/plain"].append([d(x) for x in ev.plain])
        cols["event/ranged"].append([d(x) for x in ev.ranged])
        cols["event/half"].append([s(x) for x in ev.half])
        cols["event/half8"].append([s(x) for x in ev.half8])
        cols["event/hits/hits.e"].append([d(hit.e) for hit in ev.hits])
        cols["event/hits/hits.samples"].append([[d(x) for x in hit.samples] for hit in ev.hits])
        cols["event/hits/hits.times"].append([[s(x) for x in hit.times] for hit in ev.hits])
        cols["v"].append([d(x) for x in t.v])
        cols["h"].append([s(x) for x in t.h])
        cols["vv"].append([[d(x) for x in inner] for inner in t.vv])
    return {"root_version": ROOT.gROOT.GetVersion(), "entries": t.GetEntries(), "branches": cols}


def main():
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        originals = fill(random.Random(20261207), 301, tmp)
        os.chdir(cwd)
        ref = read_back()
    ref["originals"] = originals
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print(f"{OUT}: {ref['entries']} entries, ROOT {ref['root_version']}")


if __name__ == "__main__":
    main()
