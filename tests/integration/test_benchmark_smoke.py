"""The benchmark cannot rot: its smoke version runs to the end and prints the table.

Tiny sizes, no timing assertions (the figures of a smoke run mean nothing). It runs as a
subprocess, exactly as a developer would: ``.venv/bin/python -m benchmarks.run --smoke``.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO


def test_benchmark_smoke_run_prints_the_table() -> None:
    env = {**os.environ}
    env.pop("ASTRBOT_ROOT", None)  # the benchmark builds its own scratch root
    env.pop("BENCH_ROOT", None)
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "figure" in out
    assert "ours" in out
    assert "raw loop" in out
    assert "built-in" in out
    for row in ("TTFT median", "CPU per SSE event", "Peak heap growth", "max event-loop lag"):
        assert row in out, row
    assert "targets:" in out
    assert "ours not measured" not in out  # the plugin's provider took part
