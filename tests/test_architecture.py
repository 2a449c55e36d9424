"""The structure holds: one direction of dependencies, transitions in one module, a light CLI
start."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import engine

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"

# each module may import only from the layers below its own (and its own package): the real order
LAYERS = {
    "findings": 0, "model": 0, "clock": 0, "citations": 0, "files": 0, "controls": 0, "regex": 0,
    "expr": 1,  # expressions: parsed, checked, compiled (model)
    "values": 1,  # typed values (clock, model)
    "schedules": 1,  # when the daily schedules fire between two moments (model)
    "spec": 2,  # YAML with positions -> schema -> model
    "instance": 3, "plan": 3,  # instances as data; a transition's effects as applied
    "stored": 4,  # stores read as untrusted input
    "machine": 4,  # the one `transitions` user: a workflow compiled at load
    "outcome": 5,  # the records of judging an event
    "judge": 6, "queries": 6, "snapshot": 6,
    "decide": 7,  # judge, then the chosen transition's effects
    "fast": 7.5,  # an event from a status decided by one function made for it (decide's helpers)
    "runtime": 8,  # the Engine: holds instances, commits
    "boundary_values": 9, "coverage": 9, "render": 9,
    "analysis": 10, "diff": 10, "scenario": 10,
    "search": 11,  # what `procflow query` searches: a scenario's instances, or a store file's
    "docs": 11,  # generated procedure documents: the workflow, its citations, its diagram
    "report": 11,  # text and JSON renderings
    # what `procflow check` and interactive `simulate` do, for the CLI to render
    "check": 12, "session": 12,
    # the case store: stands on the runtime's public names (and session's answer()); nothing below
    # imports it
    "store": 13,
    # caseload forecasts: models, played through the runtime's public names (see below)
    "forecast": 11,
    # the workbench in a browser: stands on the store and the runtime; nothing below imports it
    "web": 14,
    "lsp": 13,  # the language server: checks, names and positions of a folder for an editor
    "commands": 15,  # the click commands cli.py registers: the top, with cli.py; nothing imports it
}


def _layer(module: str) -> int | None:
    head = module.split(".")[0]
    return LAYERS.get(head)


def _engine_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(ENGINE).with_suffix("")
    package = list(rel.parts[:-1])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                name = ".".join([*base, node.module] if node.module else base)
                found.add(name or (node.names[0].name))
            elif node.module and node.module.startswith("engine."):
                found.add(node.module.removeprefix("engine."))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix("engine.") for a in node.names
                      if a.name.startswith("engine.")}
    return {f for f in found if f}


def test_dependencies_point_one_way():
    wrong = []
    for path in ENGINE.rglob("*.py"):
        if path.name == "__init__.py" and path.parent == ENGINE:
            continue
        mine = _layer(".".join(path.relative_to(ENGINE).with_suffix("").parts))
        assert mine is not None, f"{path} has no layer in LAYERS"
        package = path.relative_to(ENGINE).parts[0]
        for imported in _engine_imports(path):
            theirs = _layer(imported)
            own = imported.split(".")[0] == package.removesuffix(".py")
            if theirs is not None and theirs >= mine and not own:
                wrong.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert not wrong, wrong


def test_transitions_is_wrapped_in_one_module():
    users = [p.relative_to(ROOT).as_posix() for p in [*ENGINE.rglob("*.py"), ROOT / "cli.py"]
             if "transitions" in {n.split(".")[0] for n in _top_imports(p)}]
    assert users == ["engine/machine.py"]


def _top_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    return names


def test_cli_start_up_imports_nothing_heavy():
    code = ("import sys, cli; heavy = [m for m in ('transitions', 'jsonschema', 'networkx', "
            "'graphviz', 'yaml', "
            "'sqlalchemy', 'alembic', 'psycopg', 'starlette', 'uvicorn', 'jinja2', 'multipart') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def _confined(package: str, libraries: set[str], above: tuple[str, ...] = ()) -> list[str]:
    """Modules outside engine/PACKAGE that import its libraries, or (engine modules, but those of
    the packages `above` it) that import the package itself."""
    wrong = []
    for path in [*ENGINE.rglob("*.py"), ROOT / "cli.py"]:
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(f"engine/{package}/"):
            continue
        if libraries & {n.split(".")[0] for n in _top_imports(path)}:
            wrong.append(f"{rel} imports a library of engine/{package}")
        inside = path.parent.is_relative_to(ENGINE)
        if inside and not any(rel.startswith(f"engine/{a}/") for a in above) and any(
                i == package or i.startswith(f"{package}.") for i in _engine_imports(path)):
            wrong.append(f"{rel} imports engine/{package}")
    return wrong


def test_the_store_stands_on_the_engine_and_nothing_below_imports_it():
    """The store's database libraries are used in engine/store only; no engine module outside it
    imports it but the workbench, which stands on it, and the commands of the CLI."""
    wrong = _confined("store", {"sqlalchemy", "alembic", "psycopg"}, above=("web", "commands"))
    assert not wrong, wrong


def test_the_workbench_stands_on_the_store_and_nothing_below_imports_it():
    """Starlette and uvicorn are used in engine/web only; no engine module outside it imports it but
    the commands of the CLI (`procflow serve`)."""
    wrong = _confined("web", {"starlette", "uvicorn", "multipart", "python_multipart"},
                      above=("commands",))
    assert not wrong, wrong


FORECAST = ENGINE / "forecast"
# what the forecast package may use of the engine: its public names, the workflow model, the
# positioned YAML and schema of spec/, typed values, the clock's periods, whole-file writes and the
# semantic diff
# (for --compare)
FORECAST_USES = {"", "files", "findings", "model", "values", "clock", "spec.yamlsrc", "spec.schema",
                 "spec.history", "diff"}


def test_forecast_uses_the_runtime_through_its_public_names():
    wrong = []
    for path in FORECAST.rglob("*.py"):
        for imported in _engine_imports(path):
            if imported.startswith("forecast"):
                continue
            # `from .. import Engine` is a public name
            if imported not in FORECAST_USES and imported not in engine.__all__:
                wrong.append(f"{path.relative_to(ROOT)} imports engine.{imported}")
    assert not wrong, wrong


def test_forecast_checks_models_without_its_extra():
    """`procflow check` reads models with model.py alone: numpy, matplotlib and dask load only to
    play one."""
    code = ("import sys; import engine.forecast.model; heavy = [m for m in ('numpy', 'matplotlib', "
            "'distributed', "
            "'tqdm') if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""
