"""A time budget for a test's work (SIGALRM): a budget far above what the work needs, so that a hang
fails the test instead of holding the suite; not a speed goal (those live in make bench)."""
from __future__ import annotations

import signal
from collections.abc import Callable
from typing import Any


def within(seconds: int, work: Callable[[], Any]) -> Any:
    """`work()`, raising TimeoutError if it runs past `seconds`."""
    def stop(*_: Any) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        return work()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
