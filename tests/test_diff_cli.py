"""`procflow diff` as a command: two files or git revisions in, the change out, exit codes, usage
mistakes without a traceback, the diagram of the change. The two versions are test_diff.py's."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_diff import NEW, OLD

from cli import cli

ROOT = Path(__file__).resolve().parent.parent


# -- the command
# ---------------------------------------------------------------------------------------

def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_diff_of_two_files_exits_1_on_a_change_and_0_on_none(tmp_path):
    old, new = write(tmp_path, "a/app.yaml", OLD), write(tmp_path, "b/app.yaml", NEW)
    result = run("diff", old, new)
    assert result.exit_code == 1, result.output
    assert "intray WORK (Work to do): due 48 hours → 3 days (Table 1 Step 2)" in result.output
    assert f"  - {old}:15:14: status Withdrawn removed" in result.output
    same = run("diff", old, old)
    assert same.exit_code == 0 and same.output.endswith("no change\n")
    doc = json.loads(run("diff", old, new, "--format", "json").output)
    assert doc["summary"]["removed"] >= 1 and doc["old"]["file"] == old
    assert json.loads(run("diff", old, new, "--json").output) == doc
    assert run("diff", old, new, "--format", "markdown").output.startswith("### Procedure change")


def test_diff_usage_mistakes_exit_2_without_a_traceback(tmp_path):
    old = write(tmp_path, "app.yaml", OLD)
    for args, says in [(("diff", old), "give two workflow files"),
                       (("diff", old, str(tmp_path / "none.yaml")), "no workflow file"),
                       (("diff", old, old, "--diagram", str(tmp_path / "d.txt")), "name a .svg"),
                       (("diff", "--git", "HEAD", old), "not in a git repository")]:
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert says in result.output and "Traceback" not in result.output


def test_an_invalid_version_is_reported_with_its_positions(tmp_path):
    old = write(tmp_path, "app.yaml", OLD)
    bad = write(tmp_path, "bad/app.yaml", OLD.replace("to: Withdrawn", "to: Withdrawnn"))
    result = run("diff", old, bad)
    assert result.exit_code == 1
    assert f"{bad}:" in result.output and "unknown status 'Withdrawnn'" in result.output


def test_diff_draws_the_change(tmp_path):
    old, new = write(tmp_path, "a/app.yaml", OLD), write(tmp_path, "b/app.yaml", NEW)
    out = tmp_path / "change.dot"
    assert run("diff", old, new, "--diagram", str(out)).exit_code == 1
    dot = out.read_text(encoding="utf-8")
    assert "#2CA02C" in dot and "#D62728" in dot
    mmd = tmp_path / "change.mmd"
    run("diff", old, new, "--diagram", str(mmd))
    assert mmd.read_text(encoding="utf-8").startswith("---\ntitle:")
    if shutil.which("dot"):
        svg = tmp_path / "change.svg"
        run("diff", old, new, "--diagram", str(svg))
        assert svg.read_bytes().lstrip().startswith((b"<?xml", b"<svg"))


# -- git revisions
# ----------------------------------------------------------------------------------------

@pytest.fixture
def repo(git_repo):
    """A git repository whose workflows/app.yaml is OLD in the first commit and NEW in the
    second."""
    git_repo.commit("first", {"workflows/app.yaml": OLD})
    git_repo.commit("second", {"workflows/app.yaml": NEW})
    return git_repo.path


def test_diff_of_git_revisions(repo, monkeypatch):
    monkeypatch.chdir(repo)
    two = run("diff", "--git", "HEAD~1", "HEAD", "workflows/app.yaml")
    assert two.exit_code == 1, two.output
    assert "HEAD~1:workflows/app.yaml:15:14: status Withdrawn removed" in two.output
    assert "HEAD:workflows/app.yaml:" in two.output
    # REV2 defaults to the file as it is now
    write(repo, "workflows/app.yaml", NEW.replace("due: 3d", "due: 4d"))
    now = json.loads(run("diff", "--git", "HEAD", "workflows/app.yaml", "--json").output)
    assert [c["text"] for c in now["changes"]] == ["intray WORK (Work to do): due 3 days → 4 days"]
    assert now["old"]["file"] == "HEAD:workflows/app.yaml" \
        and now["new"]["file"] == "workflows/app.yaml"
    assert run("diff", "--git", "HEAD", "HEAD", "workflows/app.yaml").exit_code == 0


def test_git_mistakes_are_usage_errors(repo, monkeypatch):
    monkeypatch.chdir(repo)
    for args, says in [(("--git", "nope", "workflows/app.yaml"), "unknown revision 'nope'"),
                       (("--git", "HEAD", "workflows/other.yaml"),
                        "workflows/other.yaml is not in revision HEAD"),
                       (("--git", "HEAD", "HEAD~1", "HEAD~2", "x.yaml"),
                        "with --git, give REV1 [REV2] PATH"),
                       (("--git", "--", "-x", "workflows/app.yaml"), "unknown revision '-x'")]:
        result = run("diff", *args)
        assert result.exit_code == 2, (args, result.output)
        assert says in result.output, result.output


def test_an_old_revision_reads_its_siblings_at_that_revision(repo, git_repo, monkeypatch):
    """A workflow calling another's query is loaded with the folder as it was at that revision."""
    monkeypatch.chdir(repo)
    multi = ROOT / "tests" / "fixtures" / "multi" / "workflows"
    git_repo.commit("multi", {f"multi/{path.name}": path.read_text(encoding="utf-8")
                              for path in multi.glob("*.yaml")})
    result = run("diff", "--git", "HEAD", "HEAD", "multi/case.yaml")
    assert result.exit_code == 0, result.output


def test_a_few_edits_of_the_coa_procedure_read_as_those_edits_and_nothing_else(
        tmp_path, git_repo, monkeypatch):
    shutil.copytree(ROOT / "workflows", tmp_path / "workflows")
    git_repo.commit("as it is", add=("workflows",))
    coa = tmp_path / "workflows" / "coa.yaml"
    text = coa.read_text(encoding="utf-8")
    edits = [("  COAASREQ:\n    name: COA Case Assessment Required\n    due: 48h",
              "  COAASREQ:\n    name: COA Case Assessment Required\n    due: 3d"),
             ("The Lodgement Date cannot be in the future",
              "The Lodgement Date must not be a future date"),
             ("          - letter: COA7-1\n            to: [applicant]\n",
              "          - letter: COA7-1\n            to: [applicant, respondent]\n")]
    for before, after in edits:
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    coa.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    doc = json.loads(run("diff", "--git", "HEAD", "workflows/coa.yaml", "--json").output)
    assert [(c["what"], c["aspect"], c["before"], c["after"]) for c in doc["changes"]] == [
        ("guard", "sentence", doc["changes"][0]["before"], doc["changes"][0]["after"]),
        ("effect", "recipients", "[applicant]", "[applicant, respondent]"),
        ("intray", "due", "48 hours", "3 days")]
    assert "cannot be in the future" in doc["changes"][0]["before"]
    assert all(c["source"].startswith("COA Table") for c in doc["changes"])
