"""`procflow case ...` and `procflow clock` on a SQLite store: thin commands, exit codes 0/1/2, JSON
for every read, no traceback for a user's mistake, and a store without the extra installed says how
to install it."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent


def test_a_case_played_from_the_command_line(tmp_path):
    store = ["--store", str(tmp_path / "cases.db"), "--workflows", str(ROOT / "workflows")]

    def run(*args: str, code: int = 0):
        result = CliRunner().invoke(cli, [*args, *store])
        assert result.exit_code == code, (args, result.output)
        assert "Traceback" not in result.output
        return result.output

    run("case", "new", "sco", "--id", "sco-1", "--clock", "2026-03-02 09:00")
    run("case", "fire", "sco-1", "create_record", "coa_site=Hobart", "name=officer-2",
        "start_date=2026-01-01")
    assert "new coa case" in run("case", "new", "coa", "--id", "c1", "--actor", "role=SO")
    out = run("case", "fire", "c1", "save_application", "applicant=payee",
              "lodgement_date=2026-03-01",
              "case_number=0012", "reasons=[{reason: 8, sub_reason: a}]", "--actor", "role=SO",
              "--version", "1")
    assert "New -> None" in out and "COAASREQ (due 2026-03-04 09:00)" in out
    shown = json.loads(run("case", "show", "c1", "--json", "--options"))
    # text stays as typed
    assert shown["version"] == 2 and shown["state"]["fields"]["case_number"] == "0012"
    assert shown["state"]["fields"]["reasons"] == [{"reason": 8, "sub_reason": "a"}]
    assert any(o["event"] == "finalise" and not o["allowed"] for o in shown["options"])
    assert "refused" in run("case", "fire", "c1", "save_application", "applicant=payee", code=1)
    assert "changed since it was read" \
        in run("case", "fire", "c1", "add_note", "--version", "1", code=1)
    assert "App to Proceed" in run("case", "why", "c1", "finalise", code=1)
    assert json.loads(run("clock", "advance", "3d", "--json"))["clock"] == "2026-03-05T09:00:00"
    listed = json.loads(run("case", "list", "--overdue", "--json"))
    assert [(r["case"], r["overdue"]) for r in listed] == [("c1", True)]
    assert "OVERDUE" in run("case", "show", "c1")
    assert json.loads(run("case", "list", "--workflow", "sco", "--json"))[0]["status"] == "Active"
    assert "2 case(s) as their log says" in run("case", "verify")
    run("case", "export", "c1", "-o", str(tmp_path / "c1.yaml"))
    (tmp_path / "workflows").symlink_to(ROOT / "workflows")
    result = CliRunner().invoke(cli, ["test", str(tmp_path / "c1.yaml")])
    assert result.exit_code == 0, result.output
    assert "6 event(s) played" in run("case", "import",
                                      str(ROOT / "scenarios" / "coa" / "cross_application.yaml"),
                                      "--prefix", "x-")
    assert [e["kind"] for e in json.loads(run("case", "log", "c1", "--json"))] \
        == ["create", "event"]
    run("clock", "set", "2026-03-01", "09:00")
    assert run("clock").strip() == "clock: 2026-03-01 09:00"


def test_mistakes_are_messages(tmp_path):
    store = ["--store", str(tmp_path / "cases.db"), "--workflows", str(ROOT / "workflows")]
    for args, code, says in [
        (["case", "show", "nope"], 1, "no case called 'nope'"),
        (["case", "new", "nope"], 1, "unknown workflow"),
        (["case", "new", "coa", "--id", "../x"], 1, "is named with letters"),
        (["case", "fire", "nope", "x"], 1, "no case"),
        (["clock", "set", "tomorrow"], 1, "not a moment"),
        (["clock", "advance", "soon"], 2, "neither a period"),
        (["clock", "show", "3d"], 2, "clock show takes nothing"),
        (["case", "list", "--store", "mysql://x"], 1, "a store is a SQLite file"),
        (["case", "list", "--store", str(ROOT / "README.md")], 1, "not a store"),
    ]:
        result = CliRunner().invoke(cli, [*args, *store] if "--store" not in args else
                                    [*args, "--workflows", str(ROOT / "workflows")])
        assert result.exit_code == code, (args, result.output)
        assert says in result.output, (args, result.output)
        assert "Traceback" not in result.output
    CliRunner().invoke(cli, ["case", "new", "coa", "--id", "c1", *store])
    result = CliRunner().invoke(cli, ["case", "fire", "c1", "save_application", "lodgement_date=[",
                                      *store])
    assert result.exit_code == 2 and "not YAML" in result.output


@pytest.mark.parametrize("command", ["list", "migrate"])
def test_without_the_store_extra_the_case_commands_say_how_to_install_it(tmp_path, command):
    code = ("import sys; sys.modules['sqlalchemy'] = None; from cli import main; "
            f"sys.argv = ['procflow', 'case', {command!r}, '--store', {str(tmp_path / 'x.db')!r}]; "
            "main()")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 1
    assert "pip install 'procflow[store]'" in out.stderr and "Traceback" not in out.stderr
