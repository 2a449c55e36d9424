"""procflow's command line: a thin shell over the `engine` package.

Each command parses its arguments, calls the engine and renders the result. Heavy modules load
inside the commands that need them, so `procflow --help` stays instant.
Exit codes: 0 clean, 1 findings or failures, 2 usage.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from engine.commands.case import case, clock
from engine.commands.examples import add_examples
from engine.commands.forecast import forecast
from engine.commands.options import (
    JSON_OPTION,
    WORKFLOWS_OPTION,
    echo,
    fail_usage,
    load_workflow,
    names,
    write,
)
from engine.commands.serve import serve
from engine.commands.simulate import simulate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option("0.1.0", prog_name="procflow")
def cli() -> None:
    """procflow: written procedures as executable, checked, diagrammed workflows."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1), as in CI and pre-commit.")
@click.option("--against", metavar="REV", default=None,
              help="Compare each workflow file with its version at this git revision (default: HEAD, when the "
                   "file is tracked in a git work tree) and warn when a status cases may be in is gone.")
@JSON_OPTION
def check(paths: tuple[Path, ...], strict: bool, against: str | None, as_json: bool) -> None:
    """Check workflow and scenario files (default: the workflows folder).

    Prints every problem as FILE:LINE:COL: severity: message, all at once. A workflow that loads
    cleanly is then analysed: a status no final status can be reached from (error); unreachable
    statuses, events that can never fire, intrays some route leaves open at a final status,
    intrays and letters never used, and transitions of one event whose guards can both pass
    (warnings). A workflow file tracked in git is compared with its version at HEAD (or --against
    REV): a status cases of that version may be in that is gone is a warning (removed-status).
    Exits 1 on any error, or on any warning with --strict.
    """
    from engine.check import check_files, revision_problem
    from engine.report import checked_text, findings_json

    if not paths:
        if not Path("workflows").is_dir():
            fail_usage("there is no workflows/ folder here: give the workflow and scenario files or folders to check "
                        "(procflow check PATH...), or run it where workflows/ is")
        paths = (Path("workflows"),)
    problem = revision_problem(paths, against) if against is not None else None
    if problem:
        fail_usage(problem)
    result = check_files(paths, against)
    if as_json:
        echo(json.dumps({"checked": result.checked, "findings": findings_json(result.findings)}, indent=2))
    else:
        echo(checked_text(result.findings, result.checked))
    sys.exit(1 if result.fails(strict) else 0)


@cli.command("schema")
@click.argument("kind", type=click.Choice(["workflow", "scenario"]))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="File to write (default: standard output).")
def schema_command(kind: str, output: Path | None) -> None:
    """Write the JSON Schema of workflow or scenario files, for an editor outside this repository.

    Its `$id` (urn:procflow:schema:KIND:1) stays the same while the format does; `procflow lsp`
    checks against the same schema without it.
    """
    from engine.spec.schema import schema_text

    text = schema_text(kind)
    if output is None:
        click.echo(text, nl=False)
        return
    write(output, text)


@cli.command("lsp")
def lsp_command() -> None:
    """Serve editors as a language server over standard input and output.

    Diagnostics as `check` gives them, as you type; hover, go to definition, references,
    completion, the outline and "did you mean" fixes for workflow and scenario files; scenarios
    are played on save. Needs the `lsp` extra (pip install 'procflow[lsp]'). Editor set-up: README.
    """
    try:
        from engine.lsp.server import run
    except ImportError as exc:
        raise click.ClickException(f"procflow lsp needs pygls ({exc.name} is not installed): "
                                   "pip install 'procflow[lsp]'") from None
    run()


DIAGRAM_SUFFIXES = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot", ".mmd": "mermaid",
                    ".mermaid": "mermaid"}


@cli.command("diff")
@click.argument("args", nargs=-1, required=True, metavar="OLD NEW | --git REV1 [REV2] PATH")
@click.option("--git", "git_mode", is_flag=True,
              help="Compare git revisions of one workflow file: REV1 with REV2 (default: the file as it is now).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="markdown is a review comment; json has stable keys (see docs/reviewing.md).")
@JSON_OPTION
@click.option("--diagram", "diagram_file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also draw the new version, what was added green, changed amber, removed red and dashed "
                   "(.svg, .png, .pdf, .dot or .mmd).")
def diff_command(args: tuple[str, ...], git_mode: bool, fmt: str, as_json: bool, diagram_file: Path | None) -> None:
    """Say what changed between two versions of a workflow, in the procedure's terms.

    Statuses, events, transitions, guards (with their sentences), effects (intrays opened, letters and
    their recipients), intrays and their due periods, letters, fields, lists, tables, queries and
    schedules added, removed or changed, each with its source and its place in the file (the old
    file for what was removed). Exits 0 when nothing changed, 1 when something did (as diff does)
    or a version is not a valid workflow, 2 on a usage mistake.
    """
    from engine import DefinitionError
    from engine.report import findings_text

    fmt = "json" if as_json else fmt
    diagram_fmt = None
    if diagram_file is not None:
        diagram_fmt = DIAGRAM_SUFFIXES.get(diagram_file.suffix.lower())
        if diagram_fmt is None:
            fail_usage(f"--diagram {diagram_file}: name a .svg, .png, .pdf, .dot or .mmd file")
    try:
        old, new = _diff_versions(args, git_mode)
    except DefinitionError as exc:
        echo(findings_text(exc.findings), err=True)
        sys.exit(1)
    from engine.diff import compare, diagram_marks, diff_json, diff_markdown, diff_text

    changes = compare(old, new)
    if fmt == "json":
        echo(json.dumps(diff_json(old, new, changes), indent=2, ensure_ascii=False))
    else:
        echo((diff_markdown if fmt == "markdown" else diff_text)(old, new, changes), nl=False)
    if diagram_file is not None:
        from engine.render import render

        try:
            drawn = render(new, diagram_fmt, marks=diagram_marks(old, new))  # type: ignore[arg-type]
        except (ValueError, RuntimeError) as exc:
            raise click.ClickException(str(exc)) from None
        write(diagram_file, drawn)
    sys.exit(1 if changes else 0)


def _diff_versions(args: tuple[str, ...], git_mode: bool) -> tuple[Any, Any]:
    """The old and the new workflow `diff` compares: two files, or git revisions of one."""
    from engine.spec import load_workflow

    if not git_mode:
        if len(args) != 2:
            fail_usage("give two workflow files, OLD NEW (or --git REV1 [REV2] PATH for git revisions)")
        for name in args:
            if not Path(name).is_file():
                fail_usage(f"no workflow file '{name}'")
        return load_workflow(args[0]), load_workflow(args[1])
    if len(args) not in (2, 3):
        fail_usage("with --git, give REV1 [REV2] PATH: the revisions of the workflow file PATH to compare")
    from engine.spec.history import HistoryError, load_at

    *revs, path = args
    try:
        old = load_at(path, revs[0])
        if len(revs) == 2:
            return old, load_at(path, revs[1])
    except HistoryError as exc:
        fail_usage(str(exc))
    if not Path(path).is_file():
        fail_usage(f"no workflow file '{path}' in the working tree (give REV2 to compare two revisions)")
    return old, load_workflow(path)


@cli.command()
@click.argument("workflow", shell_complete=names("workflows"))
@JSON_OPTION
@WORKFLOWS_OPTION
def describe(workflow: str, as_json: bool, workflows_dir: Path) -> None:
    """Describe a workflow: statuses, events and their data, intrays, letters, assumptions."""
    from engine.report import describe as describe_json
    from engine.report import describe_text

    wf = load_workflow(workflow, workflows_dir)
    echo(json.dumps(describe_json(wf), indent=2) if as_json else describe_text(wf))


@cli.command()
@click.argument("workflow", shell_complete=names("workflows"))
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot", "mermaid"]), default="svg",
              show_default=True, help="svg, png and pdf are drawn by Graphviz; mermaid needs no Graphviz.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; svg, dot and mermaid go to standard output without it.")
@click.option("--highlight", "scenario_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Draw the path a scenario's case took, its steps numbered.")
@click.option("--instance", default="main", show_default=True, help="With --highlight: the scenario's case to draw.")
@WORKFLOWS_OPTION
def diagram(workflow: str, fmt: str, output: Path | None, scenario_file: Path | None, instance: str,
            workflows_dir: Path) -> None:
    """Draw a workflow: statuses grouped by table, events with their guards and effects, a legend."""
    from engine import DefinitionError
    from engine.render import TEXT_FORMATS, render, taken_steps

    if output is None and fmt not in TEXT_FORMATS:
        fail_usage(f"--format {fmt} writes a file: give -o FILE")
    wf = load_workflow(workflow, workflows_dir)
    taken = None
    if scenario_file is not None:
        from engine.report import findings_text
        from engine.scenario import load_scenario, run_scenario

        traces: list[Any] = []  # which transition each event took
        try:
            result = run_scenario(load_scenario(scenario_file), trace=traces.append)
        except DefinitionError as exc:
            echo(findings_text(exc.findings), err=True)
            sys.exit(1)
        case = result.engine.instances.get(instance)
        if case is None or case.workflow.name != wf.name:
            known = [n for n, i in result.engine.instances.items() if i.workflow.name == wf.name]
            fail_usage(f"{scenario_file} has no case '{instance}' of workflow {wf.name} "
                        f"(its cases of {wf.name}: {', '.join(known) or 'none'}; choose one with --instance)")
        if not result.passed:
            echo(f"note: {scenario_file} fails {len(result.failures)} expectation(s); "
                       "drawing the path it took", err=True)
        taken = taken_steps(result.steps, instance, traces)
    try:
        data = render(wf, fmt, taken)
    except (ValueError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    if output is None:
        echo(data.decode("utf-8"), nl=False)
        return
    write(output, data)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--coverage", "with_coverage", is_flag=True,
              help="Report, per workflow, the statuses, transitions, guard outcomes (passed and refused) and "
                   "effects the scenarios exercised, and list what none did.")
@click.option("--min", "min_percent", type=click.FloatRange(0, 100), default=None, metavar="N",
              help="With --coverage (implied): exit 1 when the scenarios take less than N percent of a "
                   "workflow's transitions (each transition written in the workflow counts once).")
@JSON_OPTION
def test(paths: tuple[Path, ...], with_coverage: bool, min_percent: float | None, as_json: bool) -> None:
    """Run every scenario under PATHS; ends with 'N passed, M failed'."""
    from engine.check import yaml_files
    from engine.report import findings_text, scenario_summary
    from engine.scenario import ScenarioResult, Suite

    if min_percent is not None and min_percent != min_percent:  # nan passes FloatRange's bounds
        fail_usage("--min: a percentage from 0 to 100, not nan")
    suite = Suite(coverage=with_coverage or min_percent is not None)
    for file in yaml_files(paths):
        result = suite.run(file)
        if not as_json:
            echo(scenario_summary(result) if isinstance(result, ScenarioResult)
                       else f"FAIL {file}\n" + findings_text(result.findings))
    if as_json:
        echo(json.dumps(suite.to_json(), indent=2))
    elif suite.coverage:
        from engine.coverage import coverage_text

        echo(coverage_text(suite.covered()))
    for c in suite.below(min_percent):
        echo(f"coverage of {c.name}: {c.percent('transitions'):.1f}% of its transitions, below "
                   f"--min {min_percent:g}", err=True)
    echo(f"{suite.passed} passed, {suite.failed} failed", err=as_json)
    sys.exit(1 if suite.fails(min_percent) else 0)


@cli.command()
@click.argument("workflow", shell_complete=names("workflows"))
@click.option("--to", "to_status", metavar="STATUS", shell_complete=names("statuses"),
              help="Routes to STATUS instead of to the final statuses.")
@click.option("--max-visits", type=click.IntRange(0), default=1, show_default=True,
              help="How many times a route may come back to a status it has passed (bounds cycles).")
@click.option("--skeletons", "skeleton_dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Write a scenario skeleton for each route into DIR (events, empty data, expected status).")
@JSON_OPTION
@WORKFLOWS_OPTION
def paths(workflow: str, to_status: str | None, max_visits: int, skeleton_dir: Path | None, as_json: bool,
          workflows_dir: Path) -> None:
    """List the distinct routes from the initial status to the final statuses (or to --to STATUS).

    A route is the events taken and the status each one leads to. It ends at the first final
    status it reaches (or at STATUS); events that keep the status are left out. Exits 1 when there
    is no route.
    """

    from engine.analysis import routes, show_route, skeleton_file_name, skeleton_text
    from engine.findings import did_you_mean

    wf = load_workflow(workflow, workflows_dir)
    if to_status is not None and to_status not in wf.statuses:
        fail_usage(f"no status '{to_status}' in workflow {wf.name} {did_you_mean(to_status, wf.statuses)}".strip())
    found, cut = routes(wf, to_status, max_visits)
    written: list[str] = []
    if skeleton_dir is not None:
        schema = Path(__file__).resolve().parent / "engine" / "schemas" / "scenario.schema.json"
        try:
            skeleton_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            fail_usage(f"cannot write the skeletons into {skeleton_dir}: {exc.strerror or exc}")
        ref = os.path.relpath(schema, skeleton_dir.resolve()) if schema.is_file() else ""
        for i, route in enumerate((r for r in found if r), 1):
            target = skeleton_dir / skeleton_file_name(i, route)
            write(target, skeleton_text(wf, route, ref), f"the skeleton {target}")
            written.append(str(target))
    if as_json:
        echo(json.dumps({"workflow": wf.name, "to": to_status or "final", "truncated": cut,
                               "routes": [[{"event": e, "status": st} for e, st in r] for r in found],
                               "skeletons": written}, indent=2))
    else:
        for i, route in enumerate(found, 1):
            echo(f"{i:>3}. {show_route(wf, route)}")
        echo(f"{len(found)} route(s) to {to_status or 'a final status'}" + (" (cut short)" if cut else "")
                   + (f"; {len(written)} skeleton(s) written to {skeleton_dir}" if skeleton_dir else ""))
    sys.exit(0 if found else 1)


@cli.command()
@click.argument("name", shell_complete=names("queries"))
@click.argument("criteria", nargs=-1)
@click.option("--scenario", "scenario_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Search the instances a scenario leaves.")
@click.option("--store", "store_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Search a store: the JSON list of instances that `simulate --json` prints.")
@JSON_OPTION
@WORKFLOWS_OPTION
def query(name: str, criteria: tuple[str, ...], scenario_file: Path | None, store_file: Path | None,
          as_json: bool, workflows_dir: Path) -> None:
    """Run a declared query, such as the SCO records at a COA Site, with CRITERIA as field=value.

    NAME is a query declared in a workflow (`procflow describe WORKFLOW` lists them). It searches the
    instances a scenario leaves (--scenario) or a store file (--store). A criterion the search does not
    take is refused, in the words of the window it belongs to.
    """
    from engine import DefinitionError, Refused
    from engine.report import findings_text

    if (scenario_file is None) == (store_file is None):
        fail_usage("give exactly one of --scenario FILE or --store FILE")
    try:
        given = _parse_pairs(criteria)
    except ValueError as exc:
        fail_usage(str(exc))
    try:
        if scenario_file is not None:
            from engine.scenario import load_scenario, run_scenario

            engine = run_scenario(load_scenario(scenario_file)).engine
        else:
            engine = _engine_from_store(store_file, workflows_dir)  # type: ignore[arg-type]
        if name not in engine.queries:
            from engine.findings import did_you_mean

            hint = did_you_mean(name, engine.queries)
            fail_usage(f"no query '{name}'" + (f": {hint}" if hint else "")
                        + f" (the queries of its workflows: {', '.join(engine.queries) or 'none'})")
        found = engine.search(name, given)
    except DefinitionError as exc:
        echo(findings_text(exc.findings), err=True)
        sys.exit(1)
    except Refused as exc:
        echo("; ".join(exc.reasons), err=True)
        sys.exit(1)
    if as_json:
        from engine.values import to_json

        echo(json.dumps([to_json(r) for r in found], indent=2))
    else:
        for record in found:
            echo(f"{record['instance']}  ({record['status']})")
        echo(f"{len(found)} found")


@cli.command()
@click.argument("names", nargs=-1, metavar="[WORKFLOW]...", shell_complete=names("workflows"))
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="html", show_default=True,
              help="html: one self-contained site (index.html, a page and an SVG diagram per workflow, no "
                   "network fetches); markdown: index.md and a page per workflow, its diagram in Mermaid.")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the pages into (created when missing; files of the same names are replaced).")
@WORKFLOWS_OPTION
def docs(names: tuple[str, ...], fmt: str, out_dir: Path, workflows_dir: Path) -> None:
    """Write the procedure documents, generated from the workflows the engine runs.

    For each WORKFLOW (a name in the workflows folder or a file; default: every workflow there), a page
    a staff member recognises: the purpose, the diagram, each procedure table as numbered Step | Action
    rows in the order of the text (what to select and key, what happens on saving, what is refused),
    the intray and letter catalogues, the assumptions, and a cross-reference from each step of the
    text to the rules implementing it, with the steps nothing implements.
    """
    from engine.docs.site import build_site

    if not names:
        found = sorted(workflows_dir.glob("*.yaml")) if workflows_dir.is_dir() else []
        if not found:
            fail_usage(f"no workflow files in {workflows_dir}: name the workflows, or give --workflows DIR")
        names = tuple(str(p) for p in found)
    workflows: dict[str, Any] = {}
    for name in names:
        wf = load_workflow(name, workflows_dir)
        if wf.name in workflows:
            fail_usage(f"workflow '{wf.name}' is given twice ({name})")
        workflows[wf.name] = wf
    try:
        files, notes = build_site(list(workflows.values()), fmt)
    except ValueError as exc:
        fail_usage(str(exc))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail_usage(f"cannot write {out_dir}: {exc.strerror or exc}")
    for file_name, data in files.items():
        write(out_dir / file_name, data)
    for note in notes:
        echo(f"note: {note}", err=True)
    first = "index.html" if fmt == "html" else "index.md"
    echo(f"{len(files)} file(s) written to {out_dir} for {len(workflows)} workflow(s); start at "
               f"{out_dir / first}")


def _parse_pairs(words: tuple[str, ...] | list[str]) -> dict:
    """field=value words, each value read as YAML (2026-03-01, true, [1, 2], {reason: 8})."""
    from engine.spec.yamlsrc import parse_pairs

    return parse_pairs(words)


def _engine_from_store(store_file: Path, workflows_dir: Path) -> Any:
    """An engine holding the instances of a store file, with the workflows they run on."""
    from engine.clock import SystemClock
    from engine.runtime import Engine
    from engine.stored import StoreProblem, read_store, workflow_name

    try:
        states = read_store(store_file.read_text(encoding="utf-8"))
        names = {workflow_name(s.get("workflow"), f"[{i}].workflow") for i, s in enumerate(states)}
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{store_file}: not a store (a JSON list of instances): {exc}") from None
    except StoreProblem as exc:
        raise click.ClickException(f"{store_file}: {exc}") from None
    engine = Engine(clock=SystemClock())

    def find_version(name: str, version: str) -> Any:
        """A case keeps the version it was started on: look for it in the workflow file's git history."""
        from engine.spec.history import find_version as in_history

        held = engine.workflows.get(name)
        return in_history(held.file if held is not None else workflows_dir / f"{name}.yaml", version)

    engine.find_version = find_version
    for wf_name in sorted(names):  # by name in the workflows folder only: a store names no file to read
        wf = load_workflow(wf_name, workflows_dir, by_name=True)
        engine.add_workflow(wf)
        for required in wf.requires:
            if required not in engine.workflows:
                engine.add_workflow(load_workflow(required, workflows_dir, by_name=True))
    for state in states:  # Refused names the instance and the place in it
        engine.restore(state)
    return engine


for command in (case, clock, simulate, forecast, serve):
    cli.add_command(command)
add_examples(cli)


def main() -> None:
    """Console entry point: a user's mistake never shows a traceback."""
    try:
        cli(standalone_mode=True)
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)


if __name__ == "__main__":
    main()
