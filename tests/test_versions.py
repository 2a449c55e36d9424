"""Versions: a case keeps the version of the workflow it was started on; `check` warns when a status
cases of the previous version may be in is gone."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli
from engine import Refused, load_workflow
from engine.clock import SimulatedClock
from engine.runtime import Engine
from engine.search import engine_from_store
from engine.spec import load_workflow_text
from engine.spec.history import content_version, find_version, load_at, previous

ROOT = Path(__file__).resolve().parent.parent

V1 = """\
workflow: app
title: An application
source: The procedure
initial: New
fields:
  site: {type: text, source: Table 1}
  lodged: {type: date, locked_after: save, source: Table 1}
statuses:
  New: {source: Table 1 Step 1}
  Open: {source: Table 1 Step 2}
  Granted: {final: true, source: Table 2 Step 1}
  Withdrawn: {final: true, source: Table 3 Step 1}
queries:
  at_site:
    title: Applications at a site
    params: {site: {type: text, required: true}}
    match: {site: site}
    source: Table 4
events:
  save:
    title: Save the application
    source: Table 1 Step 2
    data:
      site: {type: text, required: true}
    transitions:
      - from: New
        to: Open
        source: Table 1 Step 2
        effects:
          - set: {site: site, lodged: today}
  decide:
    title: Decide
    source: Table 2
    transitions:
      - {from: Open, to: Granted, source: Table 2 Step 1}
  withdraw:
    title: Withdraw the application
    source: Table 3 Step 1
    transitions:
      - {from: Open, to: Withdrawn, source: Table 3 Step 1}
  note:
    title: Note the lodgement date
    source: Table 1 Step 3
    transitions:
      - from: Open
        source: Table 1 Step 3
        effects:
          - set: {lodged: today}
"""

# the next version: no withdrawal any more, and the lodgement date is no longer locked at the save
V2 = (V1.replace("  Withdrawn: {final: true, source: Table 3 Step 1}\n", "")
      .replace(V1[V1.index("  withdraw:"):V1.index("  note:")], "")
      .replace("lodged: {type: date, locked_after: save, source: Table 1}",
               "lodged: {type: date, source: Table 1}"))


def engine_with(*workflows):
    return Engine(workflows, clock=SimulatedClock("2026-03-02 09:00"))


def test_a_case_keeps_the_version_it_was_started_on():
    v1, v2 = load_workflow_text(V1, "app.yaml"), load_workflow_text(V2, "app.yaml")
    assert v1.version != v2.version
    engine = engine_with(v1)
    old = engine.create("app", "old")
    engine.fire(old, "save", {"site": "Perth"})
    engine.add_workflow(v2)  # the new version goes live
    new = engine.create("app", "new")
    engine.fire(new, "save", {"site": "Perth"})
    assert engine.workflows["app"] is v2 and set(engine.versions["app"]) == {v1.version, v2.version}
    assert old.workflow is v1 and new.workflow is v2
    assert engine.state(old)["version"] == v1.version and engine.state(new)["version"] == v2.version
    # the old case still follows the old rules: it may be withdrawn, and its lodgement date stays
    # locked
    engine.clock.advance(timedelta(days=1))
    with pytest.raises(Refused, match="cannot be changed after"):
        engine.fire(old, "note")
    engine.fire(old, "withdraw")
    assert old.status == "Withdrawn"
    with pytest.raises(Refused, match="unknown event 'withdraw'"):
        engine.fire(new, "withdraw")
    engine.fire(new, "note")  # not locked in the new version
    # one search finds the cases of both versions
    assert [r["instance"] for r in engine.search("at_site", {"site": "Perth"})] == ["old", "new"]


def test_locks_are_worked_out_per_version():
    """The fields an event locks are cached per version: a case of the new version is not locked as
    the old."""
    v2_text = V2.replace("site: {type: text, source: Table 1}",
                         "site: {type: text, locked_after: save, source: Table 1}")
    v1, v2 = load_workflow_text(V1, "app.yaml"), load_workflow_text(v2_text, "app.yaml")
    engine = engine_with(v1)
    engine.add_workflow(v2)
    old = engine.restore({"instance": "old", "workflow": "app", "version": v1.version,
                          "status": "New"})
    engine.fire(old, "save", {"site": "Perth"})
    new = engine.create("app", "new")
    engine.fire(new, "save", {"site": "Perth"})
    assert set(old.locked) == {"lodged"} and set(new.locked) == {"site"}


def saved_on_v1():
    """Both versions, and a case saved on the first, as its state."""
    v1, v2 = load_workflow_text(V1, "app.yaml"), load_workflow_text(V2, "app.yaml")
    engine = engine_with(v1)
    case = engine.create("app", "main")
    engine.fire(case, "save", {"site": "Perth"})
    return v1, v2, engine.state(case)


def test_restore_binds_a_case_to_its_recorded_version():
    v1, v2, state = saved_on_v1()
    later = engine_with(v2)
    later.add_workflow(v1, current=False)
    restored = later.restore(state)
    assert restored.workflow is v1 and later.state(restored) == state
    assert later.workflows["app"] is v2  # new cases start on the current version
    assert later.create("app").workflow is v2
    state_without_version = {k: v for k, v in state.items() if k != "version"}
    assert engine_with(v2).restore({**state_without_version, "instance": "x"}).workflow is v2


def test_restore_refuses_a_version_it_cannot_find():
    v1, v2, state = saved_on_v1()
    later = engine_with(v2)
    with pytest.raises(Refused) as refused:
        later.restore(state)
    assert refused.value.reasons == [
        f"instance main runs on version {v1.version} of app, which is no longer available: this "
        "engine holds "
        f"only version(s) {v2.version}"]
    assert "main" not in later.instances

    def nowhere(name: str, version: str):
        raise LookupError("app.yaml is not in a git repository, where its past versions "
                          "would be found")

    later.find_version = nowhere
    with pytest.raises(Refused, match="no longer available: app.yaml is not in a git repository"):
        later.restore(state)
    later.find_version = lambda name, version: v2  # a wrong answer is not taken
    with pytest.raises(Refused, match=f"what was found is version {v2.version}"):
        later.restore(state)


@pytest.mark.parametrize("path", sorted((ROOT / "workflows").glob("*.yaml")), ids=lambda p: p.stem)
def test_the_version_of_a_text_is_the_version_the_loader_gives(path):
    assert content_version(path.read_text(encoding="utf-8")) == load_workflow(path).version


# -- git
# ---------------------------------------------------------------------------------------------

@pytest.fixture
def repo(git_repo):
    """A git repository with workflows/app.yaml at V1 in its one commit."""
    git_repo.commit("v1", {"workflows/app.yaml": V1})
    return git_repo.path


def store_of_v1(repo: Path) -> Path:
    """A store holding one case played on V1, as `simulate --json` would print it."""
    engine = engine_with(load_workflow(repo / "workflows" / "app.yaml"))
    case = engine.create("app", "main")
    engine.fire(case, "save", {"site": "Perth"})
    store = repo / "store.json"
    store.write_text(json.dumps([engine.state(case)]), encoding="utf-8")
    return store


def test_a_store_case_of_an_old_version_is_bound_to_it_from_the_git_history(repo, git_repo):
    store = store_of_v1(repo)
    path = repo / "workflows" / "app.yaml"
    path.write_text(V2, encoding="utf-8")
    git_repo.commit("v2")
    # not committed
    path.write_text(V2.replace("title: Decide", "title: Decide the application"), encoding="utf-8")
    engine = engine_from_store(store, repo / "workflows")
    case = engine.instances["main"]
    v1 = content_version(V1)
    assert case.workflow.version == v1 and case.workflow.file.endswith(":workflows/app.yaml")
    assert engine.workflows["app"].version == content_version(path.read_text(encoding="utf-8"))
    engine.fire(case, "withdraw")  # V1's rule, gone from the file now
    assert engine.state(case)["version"] == v1
    assert find_version(path, v1).version == v1


def test_a_store_case_of_a_version_in_no_commit_is_refused_clearly(repo, monkeypatch):
    store = store_of_v1(repo)
    states = json.loads(store.read_text(encoding="utf-8"))
    states[0]["version"] = "0123456789ab"
    store.write_text(json.dumps(states), encoding="utf-8")
    with pytest.raises(Refused,
                       match="instance main runs on version 0123456789ab of app, which "
                             "is no longer "
                                      "available: none of the 1 commit"):
        engine_from_store(store, repo / "workflows")
    # through the command: the reason, and exit 1
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["query", "at_site", "site=Perth", "--store", str(store)])
    assert result.exit_code == 1 and "which is no longer available" in result.output


def test_load_at_and_previous(repo):
    path = repo / "workflows" / "app.yaml"
    assert load_at(path, "HEAD").version == content_version(V1)
    assert previous(path) is None  # the same as at HEAD
    path.write_text(V2, encoding="utf-8")
    assert previous(path).version == content_version(V1)
    assert previous(path, "nope") is None and previous(repo.parent / "elsewhere.yaml") is None


# -- check
# ---------------------------------------------------------------------------------------------

def check(*args: str):
    return CliRunner().invoke(cli, ["check", *args])


def test_check_warns_when_a_status_cases_may_be_in_is_gone(repo, git_repo, monkeypatch):
    monkeypatch.chdir(repo)
    path = repo / "workflows" / "app.yaml"
    assert check("workflows").exit_code == 0
    path.write_text(V2, encoding="utf-8")
    result = check("workflows", "--json")
    found = [f for f in json.loads(result.output)["findings"] if f["code"] == "removed-status"]
    assert result.exit_code == 0 and len(found) == 1
    statuses_line = V2.splitlines().index("statuses:") + 1
    assert (found[0]["file"], found[0]["line"], found[0]["col"], found[0]["severity"]) == (
        "workflows/app.yaml", statuses_line, 1, "warning")
    assert found[0]["message"] == ("status 'Withdrawn' of its version at HEAD (line 12 there) is "
                                   "gone, and cases "
                                   "of that version may be in it")
    assert "keep 'Withdrawn' until no case is in it" in found[0]["hint"]
    assert check("workflows", "--strict").exit_code == 1
    # once committed, HEAD has it too: compare with the commit before
    git_repo.commit("v2")
    assert check("workflows", "--strict").exit_code == 0
    result = check("workflows", "--against", "HEAD~1")
    assert result.exit_code == 0 and "status 'Withdrawn' of its version at HEAD~1" in result.output
    result = check("workflows", "--against", "nope")
    assert result.exit_code == 2 and "unknown revision 'nope'" in result.output


def test_check_says_nothing_of_a_status_no_case_can_be_in(repo, git_repo, monkeypatch):
    """A status no event leads to in the old version held no case: removing it is not a risk."""
    monkeypatch.chdir(repo)
    path = repo / "workflows" / "app.yaml"
    orphan = V1.replace("  Withdrawn: {final: true, source: Table 3 Step 1}",
                        "  Withdrawn: {final: true, source: Table 3 Step 1}\n"
                        "  Never: {final: true, source: X}")
    path.write_text(orphan, encoding="utf-8")
    git_repo.commit("an unreachable status")
    path.write_text(V1, encoding="utf-8")
    assert "removed-status" not in check("workflows", "--json").output


def test_check_reads_an_old_version_that_would_not_load_now(repo, git_repo, monkeypatch):
    """The old text is only read: a version with a mistake of its own still tells which statuses
    cases may be in."""
    monkeypatch.chdir(repo)
    path = repo / "workflows" / "app.yaml"
    path.write_text(V1.replace("title: Decide\n", "title: Decide\n    colour: blue\n"),
                    encoding="utf-8")
    git_repo.commit("a version with an unknown key")
    path.write_text(V2, encoding="utf-8")
    assert "status 'Withdrawn' of its version at HEAD" in check("workflows").output


def test_check_outside_git_says_nothing_and_against_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app.yaml").write_text(V2, encoding="utf-8")
    if shutil.which("git") \
        and subprocess.run(["git", "rev-parse"], cwd=tmp_path, capture_output=True).returncode == 0:
        pytest.skip("the temporary folder is inside a git work tree")
    assert check("app.yaml").exit_code == 0
    result = check("app.yaml", "--against", "HEAD")
    assert result.exit_code == 2 and "not in a git repository" in result.output


def test_a_store_entry_that_cannot_be_read_adds_nothing_to_the_engine():
    from engine import Engine, Refused, SimulatedClock, load_workflow

    wf = load_workflow(Path(__file__).resolve().parent / "fixtures" / "workflows" / "mini.yaml")
    engine = Engine([wf], clock=SimulatedClock("2026-03-02 09:00"))
    bad = {"instance": "x", "workflow": wf.name, "status": wf.initial,
           "intrays": [{"code": "WORK"}]}
    with pytest.raises(Refused, match="missing 'opened'"):
        engine.restore(bad)
    assert "x" not in engine.instances
    with pytest.raises(Refused, match="has no name"):
        engine.restore({"workflow": wf.name, "status": wf.initial})


def test_engines_holding_the_same_versions_may_share_their_compiled_machines():
    v1, v2 = load_workflow_text(V1, "app.yaml"), load_workflow_text(V2, "app.yaml")
    machines: dict = {}
    first = Engine([v1], clock=SimulatedClock("2026-03-02 09:00"), machines=machines)
    second = Engine([v1], clock=SimulatedClock("2026-03-02 09:00"), machines=machines)
    assert set(machines) == {v1.version}
    assert first.compiled[v1.version] is second.compiled[v1.version] is machines[v1.version]
    second.add_workflow(v2)  # another version is compiled and kept beside it
    assert set(machines) == {v1.version, v2.version}
    assert second.compiled[v2.version] is machines[v2.version]
    for engine in (first, second):  # each plays its own cases on the shared machine
        case = engine.create("app", "one")
        engine.fire(case, "save", {"site": "Perth"})
        assert [r["instance"] for r in engine.search("at_site", {"site": "Perth"})] == ["one"]
    unversioned = replace(v1, version="")  # its version is the engine's own name for it: not shared
    Engine([unversioned], clock=SimulatedClock("2026-03-02 09:00"), machines=machines)
    assert set(machines) == {v1.version, v2.version}
