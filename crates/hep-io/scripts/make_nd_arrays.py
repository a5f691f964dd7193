"""Write `tests/data/root/nd-arrays.root` with ROOT itself, and its oracle
`tests/fixtures/nd_arrays.json`: what ROOT reads back from the file.

Fixed-size arrays of three and more dimensions, as ROOT writes them:
- the TTree `t` (7 entries): leaves `x[2][3][4]/F` and `d[2][2][2][2]/D`, and a split object
  `obj` of class `Box` whose member `double a[2][3][4]` becomes the branch `obj/a[2][3][4]`;
- the RNTuple `n` (7 entries): a field `std::array<std::array<std::array<float, 2>, 3>, 4>`,
  and a field `std::vector<std::array<float, 3>>` (`tracks`, entry i holds i % 4 arrays).

Entry i, value at flat index j (row after row) is `i + j / 64 + 1 / 3` (a fraction that keeps
every bit of a `float` busy); the fixture holds ROOT's reading of the closed file, values' bit
patterns in hex per entry, flattened in C order (`f64` for `double`, `f32` for `float`).

Ran with ROOT 6.40.00 from `pip install ROOT==0.1a12` (Python 3.11, g++ for the dictionary):

    /tmp/rootvenv/bin/python crates/hep-io/scripts/make_nd_arrays.py
"""

import ROOT

from rootgen import entry, f32, f64, make, paths

OUT, FIXTURE = paths("nd-arrays.root", "nd_arrays.json")
ENTRIES = 7

HEADER = r"""
#pragma once
#include "Rtypes.h"
struct Box {
  double a[2][3][4];
  virtual ~Box() {}
  ClassDef(Box, 1)
};
"""

WRITE = r"""
#include <array>
#include <cstring>
#include "TFile.h"
#include "TTree.h"
#include <ROOT/RNTupleModel.hxx>
#include <ROOT/RNTupleWriter.hxx>
#include <ROOT/RNTupleReader.hxx>
#include <ROOT/RNTupleView.hxx>
#include <vector>
using Cube = std::array<std::array<std::array<float, 2>, 3>, 4>;
double ndValue(int i, int j) { return i + j / 64.0 + 1.0 / 3.0; }
void ndWrite(const char *path, int entries) {
  {
    TFile f(path, "RECREATE");
    TTree t("t", "fixed arrays of three and four dimensions, written by ROOT");
    float x[2][3][4];
    double d[2][2][2][2];
    Box box;
    Box *pbox = &box;
    t.Branch("x", x, "x[2][3][4]/F");
    t.Branch("d", d, "d[2][2][2][2]/D");
    t.Branch("obj", &pbox, 32000, 99);
    for (int i = 0; i < entries; ++i) {
      for (int j = 0; j < 24; ++j) (&x[0][0][0])[j] = float(ndValue(i, j));
      for (int j = 0; j < 16; ++j) (&d[0][0][0][0])[j] = ndValue(i, j);
      for (int j = 0; j < 24; ++j) (&box.a[0][0][0])[j] = ndValue(i, j);
      t.Fill();
    }
    t.Write();
  }
  auto model = ROOT::RNTupleModel::Create();
  auto cube = model->MakeField<Cube>("cube");
  auto tracks = model->MakeField<std::vector<std::array<float, 3>>>("tracks");
  TFile f(path, "UPDATE");
  {
    auto writer = ROOT::RNTupleWriter::Append(std::move(model), "n", f);
    for (int i = 0; i < entries; ++i) {
      for (int j = 0; j < 24; ++j) (&(*cube)[0][0][0])[j] = float(ndValue(i, j));
      tracks->clear();
      for (int k = 0; k < i % 4; ++k)
        tracks->push_back({float(ndValue(i, 3 * k)), float(ndValue(i, 3 * k + 1)), float(ndValue(i, 3 * k + 2))});
      writer->Fill();
    }
  }
}
// ROOT's reading of the RNTuple field, every value of every entry in C order.
std::vector<float> ndReadCube(const char *path) {
  auto reader = ROOT::RNTupleReader::Open("n", path);
  auto view = reader->GetView<Cube>("cube");
  std::vector<float> out;
  for (auto i : reader->GetEntryRange()) {
    const Cube &c = view(i);
    for (int j = 0; j < 24; ++j) out.push_back((&c[0][0][0])[j]);
  }
  return out;
}
// ROOT's reading of `tracks`: per entry, the array count, then its values.
std::vector<float> ndReadTracks(const char *path) {
  auto reader = ROOT::RNTupleReader::Open("n", path);
  auto view = reader->GetView<std::vector<std::array<float, 3>>>("tracks");
  std::vector<float> out;
  for (auto i : reader->GetEntryRange()) {
    const auto &v = view(i);
    out.push_back(float(v.size()));
    for (const auto &a : v)
      for (float x : a) out.push_back(x);
  }
  return out;
}
"""


def read_back():
    f = ROOT.TFile(OUT)
    t = f.Get("t")
    cols = {"x": [], "d": [], "obj/a[2][3][4]": [], "cube": []}
    for i in range(t.GetEntries()):
        entry(t, i)
        cols["x"].append([f32(t.GetLeaf("x").GetValue(j)) for j in range(24)])
        cols["d"].append([f64(t.GetLeaf("d").GetValue(j)) for j in range(16)])
        cols["obj/a[2][3][4]"].append([f64(t.GetLeaf("a").GetValue(j)) for j in range(24)])
    cube = list(ROOT.ndReadCube(OUT))
    cols["cube"] = [[f32(x) for x in cube[i * 24:(i + 1) * 24]] for i in range(len(cube) // 24)]
    # `tracks`: per entry, its arrays (3 values each) flattened, as the other fields.
    flat, at = list(ROOT.ndReadTracks(OUT)), 0
    cols["tracks"] = []
    while at < len(flat):
        n = int(flat[at])
        cols["tracks"].append([f32(x) for x in flat[at + 1:at + 1 + 3 * n]])
        at += 1 + 3 * n
    return {"entries": ENTRIES, "branches": cols}


def main():
    make(OUT, FIXTURE, HEADER, "box.h", lambda part: ROOT.ndWrite(part, ENTRIES), read_back, code=WRITE)


if __name__ == "__main__":
    main()
