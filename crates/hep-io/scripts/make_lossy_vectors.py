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

import math
import random

import ROOT

from rootgen import entry, f32, f64, make, paths

OUT, FIXTURE = paths("lossy-vectors.root", "lossy_vectors.json")

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


def fill(rng, entries, part):
    """Write the file to `part`; the doubles each entry's vectors were filled from, in hex."""
    originals = []
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
        originals.append([f64(x) for x in xs])
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
    return {"originals": originals}



def read_back():
    f = ROOT.TFile(OUT)
    t = f.Get("t")
    cols = {k: [] for k in ["event/plain", "event/ranged", "event/half", "event/half8",
                            "event/hits/hits.e", "event/hits/hits.samples",
                            "event/hits/hits.times", "v", "h", "vv"]}
    for i in range(t.GetEntries()):
        entry(t, i)
        ev = t.event
        cols["event/plain"].append([f64(x) for x in ev.plain])
        cols["event/ranged"].append([f64(x) for x in ev.ranged])
        cols["event/half"].append([f32(x) for x in ev.half])
        cols["event/half8"].append([f32(x) for x in ev.half8])
        cols["event/hits/hits.e"].append([f64(hit.e) for hit in ev.hits])
        cols["event/hits/hits.samples"].append([[f64(x) for x in hit.samples] for hit in ev.hits])
        cols["event/hits/hits.times"].append([[f32(x) for x in hit.times] for hit in ev.hits])
        cols["v"].append([f64(x) for x in t.v])
        cols["h"].append([f32(x) for x in t.h])
        cols["vv"].append([[f64(x) for x in inner] for inner in t.vv])
    return {"entries": t.GetEntries(), "branches": cols}


def main():
    rng = random.Random(20261207)
    make(OUT, FIXTURE, HEADER, "lossyvec.h", lambda part: fill(rng, 301, part), read_back)


if __name__ == "__main__":
    main()
