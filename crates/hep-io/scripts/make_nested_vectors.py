"""Write `tests/data/root/nested-vectors.root` with ROOT itself, and its oracle
`tests/fixtures/nested_vectors.json`: what ROOT reads back from the file.

The tree `t` (40 entries) holds `std::vector<std::vector<std::vector<int>>>` (`vvv`), the same
of `float` (`fff`) and `std::vector<std::bitset<9>>` (`bits`), with empty lists at every level.
The fixture is ROOT's reading of the closed file through the compiled collection proxies: per
branch, per entry, nested lists of the values (`int`s as numbers, `float`s as their bit patterns
in hex, each bitset as its 9 booleans, bit 0 first).

Ran with ROOT 6.40.00 from `pip install ROOT==0.1a12` (Python 3.11, g++ for the dictionary):

    /tmp/rootvenv/bin/python crates/hep-io/scripts/make_nested_vectors.py
"""

import ROOT

from rootgen import entry, f32, make, paths

OUT, FIXTURE = paths("nested-vectors.root", "nested_vectors.json")
ENTRIES = 40

# The collection proxies ROOT needs to write these branches (ACLiC builds them).
HEADER = r"""
#pragma once
#include <vector>
#include <bitset>
#ifdef __ROOTCLING__
#pragma link C++ class std::vector<std::vector<std::vector<int> > >+;
#pragma link C++ class std::vector<std::vector<std::vector<float> > >+;
#pragma link C++ class std::vector<std::bitset<9> >+;
#endif
"""

WRITE = r"""
#include <vector>
#include <bitset>
#include "TFile.h"
#include "TTree.h"
void nvWrite(const char *path, int entries) {
  TFile f(path, "RECREATE");
  TTree t("t", "vectors nested three deep and vectors of bitsets, written by ROOT");
  std::vector<std::vector<std::vector<int>>> vvv;
  std::vector<std::vector<std::vector<float>>> fff;
  std::vector<std::bitset<9>> bits;
  t.Branch("vvv", &vvv);
  t.Branch("fff", &fff);
  t.Branch("bits", &bits);
  for (int i = 0; i < entries; ++i) {
    vvv.clear();
    fff.clear();
    bits.clear();
    for (int a = 0; a < i % 5; ++a) {
      vvv.emplace_back();
      fff.emplace_back();
      for (int b = 0; b < (a + i) % 4; ++b) {
        vvv.back().emplace_back();
        fff.back().emplace_back();
        for (int c = 0; c < (b + i) % 3; ++c) {
          vvv.back().back().push_back(-1000 * i + 100 * a + 10 * b + c);
          fff.back().back().push_back(i + a / 7.0f + b / 11.0f + c / 3.0f);
        }
      }
      bits.emplace_back((i * 37 + a * 101) % 512);
    }
    t.Fill();
  }
  t.Write();
}
"""


def read_back():
    f = ROOT.TFile(OUT)
    t = f.Get("t")
    cols = {"vvv": [], "fff": [], "bits": []}
    for i in range(t.GetEntries()):
        entry(t, i)
        cols["vvv"].append([[[int(x) for x in c] for c in b] for b in t.vvv])
        cols["fff"].append([[[f32(x) for x in c] for c in b] for b in t.fff])
        cols["bits"].append([[bool(s.test(k)) for k in range(9)] for s in t.bits])
    return {"entries": ENTRIES, "branches": cols}


def main():
    make(OUT, FIXTURE, HEADER, "nv.h", lambda part: ROOT.nvWrite(part, ENTRIES), read_back, code=WRITE)


if __name__ == "__main__":
    main()
