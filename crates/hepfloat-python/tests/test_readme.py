"""The README's Python example runs as written, against the installed wheel (the issue's "done
when": a fresh venv, the wheel, the example)."""

import os
import re
import subprocess
import sys

from conftest import DATA, ROOT


def test_the_readme_python_example_runs(tmp_path):
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"venv/bin/python - <<'PY'\n(.*?)\nPY\n", readme, re.S)
    assert match, "README.md has no Python example"
    (tmp_path / "test-data").symlink_to(DATA)
    env = {**os.environ, "MPLBACKEND": "Agg"}
    run = subprocess.run([sys.executable, "-c", match.group(1)], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    # One line: the column and its squared error against the compressed data's (the gate never
    # does worse; on this tagger column the sum-to-one relation does much better).
    ratio = float(re.search(r"squared error ([0-9.]+) x", run.stdout).group(1))
    assert ratio < 0.5, run.stdout
