#!/usr/bin/env python3
"""The rest of scikit-hep-testdata: the ROOT files too large to vendor, with uproot's digests.

    python test-data/conformance/large.py DIR
    cargo xtask conformance --corpus DIR --out docs/conformance-large.md

fetches every `*.root` file that `skhep_testdata` knows and `test-data/conformance/` does not
vendor into DIR (`skhep_testdata.data_path`, which downloads from the scikit-hep-testdata
repository), then writes `DIR/reference.json` with `reference.py`, one file at a time in its own
process (uproot needs several GB on a few of them; a file it cannot digest within 6 GB and
3 minutes is listed with the reason). Needs uproot, awkward and scikit-hep-testdata.
"""

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

import skhep_testdata

HERE = os.path.dirname(os.path.abspath(__file__))


def limit():
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))


def main(out):
    os.makedirs(out, exist_ok=True)
    vendored = set(os.listdir(HERE))
    names = sorted(n for n in skhep_testdata.known_files if n.endswith(".root") and n not in vendored)
    files, made_by = {}, None
    for i, name in enumerate(names):
        print(f"[{i + 1}/{len(names)}] {name}", file=sys.stderr)
        try:
            path = os.path.join(out, name)
            if not os.path.exists(path):
                shutil.copy(skhep_testdata.data_path(name), path)
        except Exception as e:  # noqa: BLE001 - the reason is recorded
            files[name] = {"skip": f"not fetched: {type(e).__name__}: {e}"[:200]}
            continue
        with tempfile.TemporaryDirectory() as one:
            os.symlink(os.path.abspath(path), os.path.join(one, name))
            digests = os.path.join(one, "reference.json")
            run = [sys.executable, os.path.join(HERE, "reference.py"), one, digests]
            try:
                subprocess.run(run, check=True, timeout=180, preexec_fn=limit, stderr=subprocess.DEVNULL)
                with open(digests) as f:
                    d = json.load(f)
                made_by = d["made_by"]
                files.update(d["files"])
            except (subprocess.SubprocessError, OSError) as e:
                files[name] = {"skip": f"uproot could not digest it: {type(e).__name__}"}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"made_by": made_by, "files": files}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
