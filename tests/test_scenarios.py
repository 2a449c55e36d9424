"""Every scenario in the repository passes: they are the procedure's acceptance cases."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.scenario import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "scenarios").rglob("*.yaml")) \
    + sorted((ROOT / "tests" / "fixtures").rglob("scenarios/*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_scenario(path):
    result = run_scenario(load_scenario(path))
    assert result.passed, "\n".join(result.failures)
