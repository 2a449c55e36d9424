"""Stores are untrusted input: a store names workflows, never files; its JSON is read with bounds;
every value of a stored instance is checked against its workflow and refused with its place,
registering nothing."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import Refused
from engine.clock import SimulatedClock
from engine.runtime import Engine

MINI = Path(__file__).resolve().parent / "fixtures" / "workflows" / "mini.yaml"


@pytest.fixture
def granted(mini):
    """A stored instance with an intray closed, a letter and a history, as state() writes it."""
    engine = Engine([mini], clock=SimulatedClock("2026-03-02 09:00"))
    inst = engine.create("mini", "c1")
    engine.fire(inst, "save", {"applicant": "payer"})
    engine.fire(inst, "decide", {"outcome": "Granted"})
    state = engine.state(inst)
    assert state["intrays"] and state["letters"] and state["history"]
    return state


def _query(tmp_path: Path, text: str):
    folder = tmp_path / "workflows"
    folder.mkdir(exist_ok=True)
    (folder / "mini.yaml").write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    store = tmp_path / "store.json"
    store.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["query", "anything", "--store", str(store), "--workflows",
                                      str(folder)])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("name", ["/etc/passwd", "../../../../etc/hostname", ".git/config",
                                  "mini.yaml", "Mini"])
def test_a_stores_workflow_is_a_name_never_a_file_to_read(tmp_path, granted, name):
    state = {**granted, "workflow": name}
    result = _query(tmp_path, json.dumps([state]))
    assert result.exit_code == 1 and "[0].workflow" in result.output \
        and "is not a workflow name" in result.output
    assert "root:" not in result.output and "[core]" not in result.output


@pytest.mark.parametrize("text, says", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('[{"workflow": "mini", "n": ' + "9" * 100_000 + "}]", "a whole number of 100000 digits"),
    ('[{"workflow": "mini", "fields": {"number": NaN}}]', "NaN is not a value procflow keeps"),
    ('[{"workflow": "mini", "fields": {"number": -Infinity}}]',
     "-Infinity is not a value procflow keeps"),
    ('[{"workflow": "mini", "x": ' + "[" * 60 + "]" * 60 + "}]",
     "[0].x" + "[0]" * 49 + ": values nested too deeply"),
    ('{"workflow": "mini"}', "a store is a JSON list of instances"),
    ('[3]', "[0]: an instance is a mapping"),
    ('[{"workflow": "mini",', "line 1 column"),
])
def test_a_malformed_store_file_is_refused_with_a_message(tmp_path, text, says):
    result = _query(tmp_path, text)
    assert result.exit_code == 1 and says in result.output, result.output[:500]


def _mutated(state: dict, path: str, value):
    state = copy.deepcopy(state)
    *parents, last = path.split(".")
    target = state
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[int(last) if last.isdigit() else last] = value
    return state


@pytest.mark.parametrize("path, value, says", [
    ("intrays.0.code", "NOPE", "intrays[0].code: unknown intray 'NOPE'"),
    ("intrays.0.code", 7, "intrays[0].code: a intray code is text"),
    ("intrays.0.closed", "2026-01-01T09:00:00",
     "intrays[0].closed: closed (2026-01-01 09:00:00) before it opened"),
    ("intrays.0.opened", "2026-03-02T09:00:00+10:00",
     "intrays[0].opened: '2026-03-02T09:00:00+10:00' has a time zone"),
    ("intrays.0.due", "20260301", "intrays[0].due: '20260301' is not a moment"),
    ("letters.0.code", "L9", "letters[0].code: unknown letter 'L9'"),
    ("letters.0.to", ["applicnat"],
     "letters[0].to: a list of the parties the workflow knows "
     "(applicant, payee, payer, respondent)"),
    ("letters.0.to", "applicant", "letters[0].to: a list of the parties"),
    ("letters.0.to", [], "letters[0].to: a list of the parties"),
    ("history.0.event", "launch", "history[0].event: unknown event 'launch'"),
    ("history.1.to", "Nowhere", "history[1].to: unknown status 'Nowhere'"),
    ("history.0.at", "2026-W09-7", "history[0].at: '2026-W09-7' is not a moment"),
    ("history.0.data", {"x": float("nan")}, "history[0].data.x: nan is not a value procflow keeps"),
    ("fields.number", float("inf"), "fields.number: inf is not a value procflow keeps"),
    ("fields.nope", 1, "fields.nope: unknown field"),
    ("history", {"a": 1}, "history: a list as `state()` writes it"),
])
def test_restored_content_is_checked_against_its_workflow_and_refused_with_its_place(mini, granted,
                                                                                     path, value,
                                                                                     says):
    engine = Engine([mini], clock=SimulatedClock("2026-03-02 09:00"))
    engine.restore(copy.deepcopy(granted))  # as written, it is read back
    fresh = Engine([mini], clock=SimulatedClock("2026-03-02 09:00"))
    with pytest.raises(Refused) as caught:
        fresh.restore(_mutated(granted, path, value))
    assert caught.value.reasons == [f"c1: {says}"] \
        or caught.value.reasons[0].startswith(f"c1: {says}"), \
        caught.value.reasons
    assert fresh.instances == {}


def test_a_store_with_a_bad_instance_says_which_and_where(tmp_path, granted):
    bad = _mutated(granted, "letters.0.to", ["applicnat"])
    result = _query(tmp_path, json.dumps([granted, {**bad, "instance": "c2"}]))
    assert result.exit_code == 1 and "c2: letters[0].to: a list of the parties" in result.output, \
        result.output
