"""`make bench` still plays its path: a few cases, its checks, the three lines a program reads last.

No figure is judged here (speed goals live in `make bench` itself); this only keeps the benchmark
working as the workflows change (it broke once when the allocation started needing an SCO record).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_plays_its_path_and_ends_with_its_three_figures():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--cases", "50",
                             "--repeats", "1"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-3:]
    assert [line.split("=")[0] for line in last] \
        == ["events_per_s", "ratio_vs_transitions", "kib_per_instance"]
    assert all(re.fullmatch(r"[a-z_]+=\d+(\.\d+)?", line) for line in last), last
    assert "cases=50 events_per_case=8 events=400" in result.stdout


def test_the_store_benchmark_measures_each_backend_and_ends_with_its_figures(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "store.py"), "--cases", "3"],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = dict(line.split("=") for line in result.stdout.splitlines()
                   if re.fullmatch(r"[a-z0-9_]+=[\d.]+", line))
    assert {"store_sqlite_1w_events_per_s", "store_sqlite_4w_events_per_s", "memory_events_per_s",
            "store_sqlite_kib_per_case"} <= figures.keys(), result.stdout
    assert "sqlite: 4 writer(s), 12 cases, 72 events" in result.stdout


def test_the_workbench_load_test_runs_and_checks_its_cases():
    """bench/web.py, briefly: a server, clients racing on shared cases, every case replayed and
    compared."""
    pytest.importorskip("starlette", reason="needs the web extra: pip install 'procflow[web]'")
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "web.py"), "--clients", "4",
                             "--seconds", "3",
                             "--cases", "2"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    last = result.stdout.strip().splitlines()[-3:]
    assert [line.split("=")[0] for line in last] == ["requests_per_s", "p95_ms", "replay_equal"]
    assert last[-1] == "replay_equal=yes"
    assert "accepted=" in result.stdout
