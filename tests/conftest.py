"""Shared fixtures: the repository's folders and a small workflow to drive the engine."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(scope="session")
def mini():
    from engine import load_workflow

    return load_workflow(FIXTURES / "workflows" / "mini.yaml")


@pytest.fixture
def engine(mini):
    from engine.clock import SimulatedClock
    from engine.runtime import Engine

    return Engine([mini], clock=SimulatedClock("2026-03-02 09:00"))
