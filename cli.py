"""procflow's command line: a thin shell over the `engine` package.

The root group, the commands that read workflows and scenarios (check, diff, describe, diagram,
test, paths, query, docs), and the registration of the larger groups kept in engine/commands
(case and clock, simulate, forecast, serve, schema and lsp). Each command parses its arguments,
calls the engine and renders the result. Heavy modules load inside the commands that need them,
so `procflow --help` stays instant. Exit codes: 0 clean, 1 findings or failures, 2 usage.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from engine.commands.case import case, clock
from engine.commands.editor import lsp_command, schema_command
from engine.commands.examples import add_examples
from engine.commands.forecast import forecast
from engine.commands.options import (
    JSON_OPTION,
    WORKFLOWS_OPTION,
    completion,
    drawing,
    echo,
    fail_usage,
    findings_end,
    load_workflow,
    make_folder,
    refusals_end,
    usage_errors,
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
              help="Compare each workflow file with its version at this git revision (default: "
                   "HEAD, when the file is tracked in a git work tree) and warn when a status "
                   "cases may be in is gone.")
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
            fail_usage("there is no workflows/ folder here: give the workflow and scenario "
                       "files or folders to check (procflow check PATH...), or run it where "
                       "workflows/ is")
        paths = (Path("workflows"),)
    problem = revision_problem(paths, against) if against is not None else None
    if problem:
        fail_usage(problem)
    result = check_files(paths, against)
    found = {"checked": result.checked, "findings": findings_json(result.findings)}
    echo(json.dumps(found, indent=2) if as_json else checked_text(result.findings, result.checked))
    sys.exit(1 if result.fails(strict) else 0)


@cli.command("diff")
@click.argument("args", nargs=-1, required=True, metavar="OLD NEW | --git REV1 [REV2] PATH")
@click.option("--git", "git_mode", is_flag=True,
              help="Compare git revisions of one workflow file: REV1 with REV2 (default: the file "
                   "as it is now).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True,
              help="markdown is a review comment; json has stable keys (see docs/reviewing.md).")
@JSON_OPTION
@click.option("--diagram", "diagram_file", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE",
              help="Also draw the new version, what was added green, changed amber, removed red "
                   "and dashed (.svg, .png, .pdf, .dot or .mmd).")
def diff_command(args: tuple[str, ...], git_mode: bool, fmt: str, as_json: bool,
                 diagram_file: Path | None) -> None:
    """Say what changed between two versions of a workflow, in the procedure's terms.

    Statuses, events, transitions, guards (with their sentences), effects (intrays opened, letters
    and their recipients), intrays and their due periods, letters, fields, lists, tables, queries
    and schedules added, removed or changed, each with its source and its place in the file (the
    old file for what was removed). Exits 0 when nothing changed, 1 when something did (as diff
    does) or a version is not a valid workflow, 2 on a usage mistake.
    """
    from engine.diff import compare, diagram_marks, diff_json, diff_markdown, diff_text
    from engine.render import SUFFIXES, render
    from engine.spec.history import two_versions

    fmt = "json" if as_json else fmt
    drawn_as = SUFFIXES.get(diagram_file.suffix.lower()) if diagram_file is not None else None
    if diagram_file is not None and drawn_as is None:
        fail_usage(f"--diagram {diagram_file}: name a .svg, .png, .pdf, .dot or .mmd file")
    with findings_end(), usage_errors():
        old, new = two_versions(args, git_mode)
    changes = compare(old, new)
    if fmt == "json":
        echo(json.dumps(diff_json(old, new, changes), indent=2, ensure_ascii=False))
    else:
        echo((diff_markdown if fmt == "markdown" else diff_text)(old, new, changes), nl=False)
    if diagram_file is not None:
        with drawing():
            drawn = render(new, drawn_as, marks=diagram_marks(old, new))  # type: ignore[arg-type]
        write(diagram_file, drawn)
    sys.exit(1 if changes else 0)


@cli.command()
@click.argument("workflow", shell_complete=completion("workflows"))
@JSON_OPTION
@WORKFLOWS_OPTION
def describe(workflow: str, as_json: bool, workflows_dir: Path) -> None:
    """Describe a workflow: statuses, events and their data, intrays, letters, assumptions."""
    from engine.report import describe as describe_json
    from engine.report import describe_text

    wf = load_workflow(workflow, workflows_dir)
    echo(json.dumps(describe_json(wf), indent=2) if as_json else describe_text(wf))


@cli.command()
@click.argument("workflow", shell_complete=completion("workflows"))
@click.option("--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot", "mermaid"]),
              default="svg", show_default=True,
              help="svg, png and pdf are drawn by Graphviz; mermaid needs no Graphviz.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; svg, dot and mermaid go to standard output without it.")
@click.option("--highlight", "scenario_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Draw the path a scenario's case took, its steps numbered.")
@click.option("--instance", default="main", show_default=True,
              help="With --highlight: the scenario's case to draw.")
@WORKFLOWS_OPTION
def diagram(workflow: str, fmt: str, output: Path | None, scenario_file: Path | None, instance: str,
            workflows_dir: Path) -> None:
    """Draw a workflow: statuses grouped by table, events with their guards and effects, a
    legend."""
    from engine.render import TEXT_FORMATS, render
    from engine.scenario import taken_path

    if output is None and fmt not in TEXT_FORMATS:
        fail_usage(f"--format {fmt} writes a file: give -o FILE")
    wf = load_workflow(workflow, workflows_dir)
    taken = None
    if scenario_file is not None:
        with findings_end(), usage_errors():
            taken, failing = taken_path(scenario_file, wf.name, instance)
        if failing:
            echo(f"note: {scenario_file} fails {failing} expectation(s); drawing the path it took",
                 err=True)
    with drawing():
        data = render(wf, fmt, taken)
    if output is None:
        echo(data.decode("utf-8"), nl=False)
        return
    write(output, data)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--coverage", "with_coverage", is_flag=True,
              help="Report, per workflow, the statuses, transitions, guard outcomes (passed and "
                   "refused) and effects the scenarios exercised, and list what none did.")
@click.option("--min", "min_percent", type=click.FloatRange(0, 100), default=None, metavar="N",
              help="With --coverage (implied): exit 1 when the scenarios take less than N percent "
                   "of a workflow's transitions (each transition written in the workflow counts "
                   "once).")
@JSON_OPTION
def test(paths: tuple[Path, ...], with_coverage: bool, min_percent: float | None,
         as_json: bool) -> None:
    """Run every scenario under PATHS; ends with 'N passed, M failed'."""
    from engine.check import yaml_files
    from engine.coverage import coverage_text, shortfall_text
    from engine.report import suite_line
    from engine.scenario import Suite

    if min_percent is not None and min_percent != min_percent:  # nan passes FloatRange's bounds
        fail_usage("--min: a percentage from 0 to 100, not nan")
    suite = Suite(coverage=with_coverage or min_percent is not None)
    for file in yaml_files(paths):
        result = suite.run(file)
        if not as_json:
            echo(suite_line(file, result))
    if as_json:
        echo(json.dumps(suite.to_json(), indent=2))
    elif suite.coverage:
        echo(coverage_text(suite.covered()))
    for c in suite.below(min_percent):
        echo(shortfall_text(c, min_percent), err=True)  # type: ignore[arg-type]
    echo(f"{suite.passed} passed, {suite.failed} failed", err=as_json)
    sys.exit(1 if suite.fails(min_percent) else 0)


@cli.command()
@click.argument("workflow", shell_complete=completion("workflows"))
@click.option("--to", "to_status", metavar="STATUS", shell_complete=completion("statuses"),
              help="Routes to STATUS instead of to the final statuses.")
@click.option("--max-visits", type=click.IntRange(0), default=1, show_default=True,
              help="How many times a route may come back to a status it has passed (bounds "
                   "cycles).")
@click.option("--skeletons", "skeleton_dir", type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR",
              help="Write a scenario skeleton for each route into DIR (events, empty data, "
                   "expected status).")
@JSON_OPTION
@WORKFLOWS_OPTION
def paths(workflow: str, to_status: str | None, max_visits: int, skeleton_dir: Path | None,
          as_json: bool, workflows_dir: Path) -> None:
    """List the distinct routes from the initial status to the final statuses (or to --to
    STATUS).

    A route is the events taken and the status each one leads to. It ends at the first final
    status it reaches (or at STATUS); events that keep the status are left out. Exits 1 when there
    is no route.
    """
    from engine.analysis import routes, skeleton_files
    from engine.findings import did_you_mean
    from engine.report import routes_json, routes_text

    wf = load_workflow(workflow, workflows_dir)
    if to_status is not None and to_status not in wf.statuses:
        hint = did_you_mean(to_status, wf.statuses)
        fail_usage(f"no status '{to_status}' in workflow {wf.name} {hint}".strip())
    found, cut = routes(wf, to_status, max_visits)
    written: list[str] = []
    if skeleton_dir is not None:
        make_folder(skeleton_dir, f"the skeletons into {skeleton_dir}")
        for target, text in skeleton_files(wf, found, skeleton_dir):
            write(target, text, f"the skeleton {target}")
            written.append(str(target))
    if as_json:
        echo(json.dumps(routes_json(wf, to_status, found, cut, written), indent=2))
    else:
        echo(routes_text(wf, to_status, found, cut, written, skeleton_dir))
    sys.exit(0 if found else 1)


@cli.command()
@click.argument("name", shell_complete=completion("queries"))
@click.argument("criteria", nargs=-1)
@click.option("--scenario", "scenario_file",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Search the instances a scenario leaves.")
@click.option("--store", "store_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Search a store: the JSON list of instances that `simulate --json` prints.")
@JSON_OPTION
@WORKFLOWS_OPTION
def query(name: str, criteria: tuple[str, ...], scenario_file: Path | None, store_file: Path | None,
          as_json: bool, workflows_dir: Path) -> None:
    """Run a declared query, such as the SCO records at a COA Site, with CRITERIA as field=value.

    NAME is a query declared in a workflow (`procflow describe WORKFLOW` lists them). It searches
    the instances a scenario leaves (--scenario) or a store file (--store). A criterion the search
    does not take is refused, in the words of the window it belongs to.
    """
    from engine.report import found_text
    from engine.search import searched
    from engine.spec.yamlsrc import parse_pairs
    from engine.stored import StoreProblem
    from engine.values import to_json

    if (scenario_file is None) == (store_file is None):
        fail_usage("give exactly one of --scenario FILE or --store FILE")
    with usage_errors():
        given = parse_pairs(criteria)
    with findings_end(), refusals_end(), usage_errors():
        try:
            found = searched(name, given, scenario_file, store_file, workflows_dir)
        except StoreProblem as exc:
            raise click.ClickException(str(exc)) from None
    echo(json.dumps([to_json(r) for r in found], indent=2) if as_json else found_text(found))


@cli.command()
@click.argument("names", nargs=-1, metavar="[WORKFLOW]...",
                shell_complete=completion("workflows"))
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="html",
              show_default=True,
              help="html: one self-contained site (index.html, a page and an SVG diagram per "
                   "workflow, no network fetches); markdown: index.md and a page per workflow, its "
                   "diagram in Mermaid.")
@click.option("-o", "--output", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the pages into (created when missing; files of the same names "
                   "are replaced).")
@WORKFLOWS_OPTION
def docs(names: tuple[str, ...], fmt: str, out_dir: Path, workflows_dir: Path) -> None:
    """Write the procedure documents, generated from the workflows the engine runs.

    For each WORKFLOW (a name in the workflows folder or a file; default: every workflow there), a
    page a staff member recognises: the purpose, the diagram, each procedure table as numbered
    Step | Action rows in the order of the text (what to select and key, what happens on saving,
    what is refused), the intray and letter catalogues, the assumptions, and a cross-reference from
    each step of the text to the rules implementing it, with the steps nothing implements.
    """
    from engine.docs.site import build_site
    from engine.spec import workflow_files

    names = names or tuple(str(p) for p in workflow_files(workflows_dir))
    if not names:
        fail_usage(f"no workflow files in {workflows_dir}: name the workflows, or give "
                   "--workflows DIR")
    workflows: dict[str, Any] = {}
    for name in names:
        wf = load_workflow(name, workflows_dir)
        if wf.name in workflows:
            fail_usage(f"workflow '{wf.name}' is given twice ({name})")
        workflows[wf.name] = wf
    with usage_errors():
        files, notes = build_site(list(workflows.values()), fmt)
    make_folder(out_dir, out_dir)
    for file_name, data in files.items():
        write(out_dir / file_name, data)
    for note in notes:
        echo(f"note: {note}", err=True)
    first = "index.html" if fmt == "html" else "index.md"
    echo(f"{len(files)} file(s) written to {out_dir} for {len(workflows)} workflow(s); start at "
         f"{out_dir / first}")


for command in (case, clock, simulate, forecast, serve, schema_command, lsp_command):
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
