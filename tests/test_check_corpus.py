"""`procflow check` says everything in one run: broken copies of the real workflows, each with
several typical mistakes, are checked once, and every mistake is reported, each once, at its line,
and nothing else (no cascade into the parts that are right, nor into the folder's other files)."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import cli

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mistake:
    """One edit of a real workflow file, and what `check` must say about it: one finding holding
    each of `says`, at the line of the first `at` in the edited text."""

    file: str
    old: str
    new: str
    at: str
    says: tuple[str, ...]


@dataclass(frozen=True)
class Elsewhere:
    """A finding the edits cause in another file of the folder (and only this one)."""

    file: str
    at: str
    says: str


# a status without its source (a schema error), in two cases of the corpus
MISSING_SOURCE = Mistake(
    "coa.yaml",
    "    group: Table 3 Finalise before App to Proceed\n    source: COA Table 3 Step 4\n"
    "  Inel-Other:\n",
    "    group: Table 3 Finalise before App to Proceed\n  Inel-Other:\n",
    "  Inel-No Assess:", ("missing required key 'source' in status 'Inel-No Assess'",))

CORPUS = {
    "a new user's six mistakes and a guard with two unknown names": ([
        Mistake("coa.yaml", "    title: Save the application details\n",
                "    txt: Save the application details\n",
                "    txt: Save", ("unknown key 'txt' in event 'save_application'",)),
        Mistake("coa.yaml",
                "      applicant: {type: choice, list: party, required: true, title: Applicant}",
                "      applicant: {type: choice, list: party, requried: true, title: Applicant}",
                "requried: true, title: Applicant", ("unknown key 'requried'",)),
        Mistake("coa.yaml",
                "        to: None\n        source: COA Table 1 Step 3\n        effects:\n",
                "        to: None\n        source: COA Table 1 Step 3\n        efects:\n",
                "        efects:", ("unknown key 'efects'",)),
        MISSING_SOURCE,
        Mistake("coa.yaml",
                "        to: Incomplete\n        when: application_status == 'Incomplete'\n",
                "        to: Incomplet\n        when: application_status == 'Incomplete'\n",
                "        to: Incomplet\n", ("unknown status 'Incomplet'",)),
        Mistake("coa.yaml", "      - check: ntd_return_date > lodgement_date\n",
                "      - check: ntd_return_dat > lodgement_date\n", "ntd_return_dat >",
                ("unknown name 'ntd_return_dat'",)),
        Mistake("coa.yaml", "      - check: ntd_return_date <= today\n",
                "      - check: ntd_retrun_date <= todya\n",
                "ntd_retrun_date <= todya",
                ("unknown name 'ntd_retrun_date'", "unknown name 'todya'")),
    ], []),
    "a status of the wrong form, a misspelt field, a misspelt top key, a YAML 1.1 boolean": ([
        Mistake("sco.yaml", "  Deleted:\n    final: true\n", "  Deleted:\n    final: maybe\n",
                "    final: maybe",
                ("'final' of status 'Deleted': 'maybe' should be true or false",)),
        Mistake("sco.yaml",
                "          - set:\n              coa_site: coa_site\n              name: name\n",
                "          - set:\n              coa_site: coa_site\n              nmae: name\n",
                "              nmae: name", ("unknown field 'nmae'",)),
        Mistake("sco.yaml", "initial: New\n", "initial: New\ntitel: SCO\n", "titel: SCO",
                ("unknown key 'titel' at the top level",)),
        Mistake("sco.yaml", 'title: "On"}', "title: Off}", "title: Off}", ("'Off' is text here",)),
    ], []),
    "a file that does not load says so once in the files that use it": ([
        Mistake("coa.yaml", "    title: Save the application details\n",
                "    title: Save the application details\n    title: Save it\n",
                "    title: Save it",
                ("duplicate key 'title'",)),
    ], [Elsewhere("sco.yaml", "source: COA Table 1", "not checked: coa.yaml did not load")]),
    "schema errors do not stop the analysis of the rest: an uncited guard is said too": ([
        MISSING_SOURCE,
        Mistake("coa.yaml", "        when: application_status == 'Incomplete'\n",
                "        when: [application_status]\n",
                "        when: [application_status]",
                ("'when' of event 'set_application_status' transition 2",)),
        Mistake("coa.yaml",
                "Lodgement Date (COA Table 4 Step 3)\"\n        source: COA Table 4 Step 3\n",
                "Lodgement Date (COA Table 4 Step 3)\"\n",
                "      - check: ntd_return_date > lodgement_date",
                ("the guard of record_ntd_return_date that says 'The NTD Return Date must "
                 "be later than "
                 "the application Lodgement Date (COA Table 4 Step 3)' cites no step of "
                 "the procedure",)),
    ], []),
    "a transition's guards: moved left is reported where it is, with the key it belongs with": ([
        Mistake("coa.yaml", "        guards:\n          - check: complete\n",
                "  guards:\n          - check: complete\n",
                "  guards:\n          - check: complete",
                ("'guards' is indented less than the lines around it",)),
    ], [Elsewhere("sco.yaml", "source: COA Table 1", "not checked: coa.yaml did not load")]),
}


def _line(text: str, needle: str) -> int:
    assert needle in text, needle
    return text.count("\n", 0, text.index(needle)) + 1


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_one_run_reports_every_mistake_once_at_its_line_and_nothing_else(name: str, tmp_path: Path):
    mistakes, elsewhere = CORPUS[name]
    folder = tmp_path / "workflows"
    shutil.copytree(ROOT / "workflows", folder)
    for m in mistakes:
        path = folder / m.file
        text = path.read_text(encoding="utf-8")
        assert text.count(m.old) >= 1, m.old
        path.write_text(text.replace(m.old, m.new, 1), encoding="utf-8")
    expected = []
    for m in mistakes:
        line = _line((folder / m.file).read_text(encoding="utf-8"), m.at)
        expected.extend((m.file, line, says) for says in m.says)
    for e in elsewhere:
        expected.append((e.file, _line((folder / e.file).read_text(encoding="utf-8"), e.at),
                         e.says))
    result = CliRunner().invoke(cli, ["check", "--json", str(folder)])
    assert result.exit_code == 1, result.output
    found = [(Path(f["file"]).name, f["line"], f["message"])
             for f in json.loads(result.output)["findings"]]
    unmatched = list(found)
    for file, line, says in expected:
        match = next((f for f in unmatched if f[0] == file and f[1] == line and says in f[2]), None)
        assert match is not None, f"not reported: {file}:{line}: {says}\nreported: {found}"
        unmatched.remove(match)
    assert unmatched == [], f"reported besides the mistakes: {unmatched}"
