"""`make bench` still plays its path: a few cases, its checks, the three lines a program reads last.

No figure is judged here (speed goals live in `make bench` itself); this only keeps the benchmark
working as the workflows change (it broke once when the allocation started needing an SCO record).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_plays_its_path_and_ends_with_its_three_figures():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--cases", "50", "--repeats", "1"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-3:]
    assert [line.split("=")[0] for line in last] == ["events_per_s", "ratio_vs_transitions", "kib_per_instance"]
    assert all(re.fullmatch(r"[a-z_]+=\d+(\.\d+)?", line) for line in last), last
    assert "cases=50 events_per_case=8 events=400" in result.stdout
