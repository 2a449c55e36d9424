"""Every example in README.md and docs/*.md is run or checked, so that none of them can rot.

- a YAML block starting with `scenario:` is loaded and played against the project's workflows: it
  passes;
- one starting with `workflow:` and holding statuses and events is loaded as a whole workflow: no
  errors;
- any other YAML block (a fragment of a workflow) is valid against the published workflow schema: as
  the whole file's top level, or as a part of it (an event, an intray catalogue, ...);
- a Python block is run;
- each `procflow` command line of a shell block names a command and options that exist; the ones
  that only read (check, test, describe, paths, simulate, query) are run and must succeed;
- each `make` target named exists in the Makefile.
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import click
import jsonschema
import pytest
from click.testing import CliRunner

from cli import cli
from engine.spec.yamlsrc import load_yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
# (diff's revisions may not exist here)
READ_ONLY = {"check", "test", "describe", "paths", "simulate", "query"}
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*(\.\w+)?|.*[<>|].*")  # OLD.yaml, REV, ID: shown, not run


@dataclass(frozen=True)
class Example:
    file: Path
    line: int
    lang: str
    text: str

    def __str__(self) -> str:
        return f"{self.file.relative_to(ROOT)}:{self.line}"


def examples(lang: str) -> list[Example]:
    found = []
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group(1) == lang:
                found.append(Example(doc, text[:m.start()].count("\n") + 2, lang, m.group(2)))
    return found


def _dedent(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    cut = min(len(ln) - len(ln.lstrip(" ")) for ln in lines)
    return "\n".join(ln[cut:] for ln in text.splitlines()) + "\n"


def _workflow_schema() -> dict:
    return json.loads(
        (ROOT / "engine" / "schemas" / "workflow.schema.json").read_text(encoding="utf-8"))


def _parts(schema: dict) -> list[tuple[str, dict]]:
    """Where a fragment may come from: the file's top level, the value of a top-level key, or any
    definition; each without its required keys (a fragment shows only some)."""
    defs = schema["$defs"]
    top = {"type": "object", "properties": schema["properties"], "additionalProperties": False}
    parts = [("the top level", top)]
    parts += [(f"'{key}'", sub)
              for key, sub in schema["properties"].items() if sub.get("type") == "object"]
    parts += [(f"a {name}", {k: v for k, v in sub.items() if k != "required"})
              for name, sub in defs.items()
              if isinstance(sub, dict) and sub.get("type") == "object"]
    return [(where, {**part, "$defs": defs}) for where, part in parts]


@pytest.mark.parametrize("example", examples("yaml"), ids=str)
def test_a_yaml_example_is_valid(example: Example, tmp_path: Path):
    text = _dedent(example.text)
    # a YAML mistake is a DefinitionError naming the place
    data = load_yaml(text, str(example)).data
    assert isinstance(data, dict), f"{example}: not a mapping"
    if "scenario" in data:
        from engine.scenario import load_scenario, run_scenario

        scenario = tmp_path / "scenarios" / "example.yaml"
        scenario.parent.mkdir()
        scenario.write_text(text, encoding="utf-8")
        (tmp_path / "workflows").symlink_to(ROOT / "workflows")
        result = run_scenario(load_scenario(scenario))
        assert result.passed, f"{example}: " + "; ".join(result.failures)
    elif "workflow" in data and "events" in data and "statuses" in data:
        from engine.spec import load_workflow_text

        # DefinitionError lists what is wrong
        load_workflow_text(text, str(tmp_path / "example.yaml"))
    else:
        tried = []
        for where, schema in _parts(_workflow_schema()):
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
            if not errors:
                return
            tried.append(f"as {where}: {errors[0].message}")
        pytest.fail(f"{example}: not a part of a workflow the schema accepts "
                    f"({'; '.join(tried[:3])} ...)")


@pytest.mark.parametrize("example", examples("python"), ids=str)
def test_a_python_example_runs(example: Example, monkeypatch):
    monkeypatch.chdir(ROOT)
    exec(compile(example.text, str(example), "exec"), {})  # noqa: S102 - our own documentation


def _commands() -> list[tuple[Example, str]]:
    found = []
    for example in examples("sh"):
        # a line continued with \ is one command
        for line in example.text.replace("\\\n", " ").splitlines():
            words = line.split(" #", 1)[0].strip()
            first = words.split(" ", 1)[0]
            if first.endswith("procflow") or first == "make":  # (eval, pip, ...: not ours to check)
                found.append((example, words))
    return found


def _words(line: str) -> tuple[list[str], list[str]]:
    """A documented command line: the words to run (optional [parts] left out) and every option it
    shows."""
    shown = re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line)
    return shlex.split(re.sub(r"\[[^\]]*\]", " ", line)), shown


@pytest.mark.parametrize("example, line", _commands(),
                         ids=lambda v: str(v) if isinstance(v, Example) else "")
def test_a_documented_command_exists_and_the_reading_ones_run(example: Example, line: str,
                                                              monkeypatch):
    words, shown = _words(line)
    if words[0] == "make":
        targets = re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(encoding="utf-8"),
                             re.MULTILINE)
        assert all(w in targets for w in words[1:]), f"{example}: {line}: no such make target"
        return
    command: click.Command | None = cli
    depth = 1
    while isinstance(command, click.Group):
        assert depth < len(words), f"{example}: {line}: no command named"
        command, depth = command.commands.get(words[depth]), depth + 1
        assert command is not None, f"{example}: {line}: no command '{' '.join(words[1:depth])}'"
    name, args = " ".join(words[1:depth]), words[depth:]
    known = {o for p in command.params if isinstance(p, click.Option)
             for o in (*p.opts, *p.secondary_opts)}
    known |= {"--help", "-h"}
    unknown = [o for o in shown if o not in known and o not in ("--", "-")]
    assert not unknown, f"{example}: {line}: procflow {name} has no option {', '.join(unknown)}"
    if name not in READ_ONLY or any(PLACEHOLDER.fullmatch(w) for w in args):
        # it writes files, or shows a placeholder (OLD.yaml, REV): its options are checked above
        return
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, words[1:], input="")
    assert result.exit_code == 0, \
        f"{example}: {line}: exit {result.exit_code}\n{result.output[-2000:]}"


def test_the_examples_are_found():
    assert len(examples("yaml")) >= 10 and examples("python") and len(_commands()) >= 10
