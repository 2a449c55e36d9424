"""The store's log played again on a fresh in-memory engine: every case as the log says it should
be.

`verify` compares that with what the store holds: a lost update, a half-written event or a tick
missed shows as a difference (the concurrency tests and `procflow case verify` use it).
"""
from __future__ import annotations

from typing import Any

from ..clock import SimulatedClock, parse_moment
from ..findings import Ambiguous, Refused
from ..runtime import Engine
from .base import CaseStore, Logged

START = "2000-01-01 00:00"


def replay(store: CaseStore, log: list[Logged]) -> tuple[dict[str, dict], list[str]]:
    """Every case's state after playing the log, and the entries that could not be played again."""
    clock = SimulatedClock(START)
    engine = Engine(clock=clock)
    engine.find_version = store.engine.find_version
    problems: list[str] = []

    def hold(name: str) -> None:
        if name not in engine.workflows:
            wf = store.hold(name)
            engine.add_workflow(wf)
            for other in sorted(wf.requires):
                hold(other)

    for e in log:
        try:
            if e.kind == "create":
                hold(e.data["workflow"])
                clock.set(parse_moment(e.at))
                engine.create(e.data["workflow"], e.case)
            elif e.kind == "event":
                clock.set(parse_moment(e.at))
                engine.fire(engine.instance(str(e.case)), str(e.event), e.data, e.actor)
            elif e.kind == "advance":
                clock.set(parse_moment(e.data["from"]))
                engine.advance(parse_moment(e.data["to"]))
            elif e.kind == "set":
                clock.set(parse_moment(e.data["to"]))
            elif e.kind == "import":
                hold(e.data["workflow"])
                engine.restore(e.data["state"])
        except (Refused, Ambiguous, KeyError, TypeError, ValueError) as exc:
            problems.append(f"log entry {e.seq} ({e.kind} {e.case or ''} {e.event or ''}) does not "
                            f"play again: {exc}")
    return {name: engine.state(inst) for name, inst in engine.instances.items()}, problems


def verify(store: CaseStore) -> list[str]:
    """Where the store's cases differ from a replay of its log ([] when none does)."""
    expected, problems = replay(store, store.log())
    held = {row.id for row in store.cases(limit=10**9)}
    for name in sorted(held - expected.keys()):
        problems.append(f"{name}: in the store, but the log never creates it")
    for name in sorted(expected.keys() - held):
        problems.append(f"{name}: created by the log, but not in the store")
    for name in sorted(held & expected.keys()):
        state = store.case(name).state
        if state != expected[name]:
            problems.append(f"{name}: differs from a replay of the log: "
                            f"{_first_difference(state, expected[name])}")
    return problems


def _first_difference(got: Any, want: Any, path: str = "") -> str:
    if isinstance(got, dict) and isinstance(want, dict):
        for key in sorted(set(got) | set(want), key=str):
            if got.get(key) != want.get(key):
                return _first_difference(got.get(key), want.get(key),
                                         f"{path}.{key}" if path else str(key))
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{i}]")
    return f"{path or 'the state'} is {str(got)[:120]}, the replay gives {str(want)[:120]}"
