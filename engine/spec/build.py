"""From a schema-valid workflow document to the model, checking every reference and expression.

All problems are collected as positioned findings and raised together as one DefinitionError.
"""
from __future__ import annotations

import ast
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..clock import duration_words, parse_duration
from ..expr import ExprError, Scope, all_of, compile_expr
from ..findings import DefinitionError, Finding
from ..findings import did_you_mean as _did_you_mean
from ..model import (
    ChoiceList,
    Event,
    Expr,
    FieldSpec,
    Guard,
    IntrayType,
    LetterType,
    Query,
    Schedule,
    Status,
    Table,
    Transition,
    Workflow,
)
from ..values import ValueProblem, coerce
from .effects import RECORD_KEYS, EffectReader, QuerySig, signatures
from .procedure import ProcedureReader
from .yamlsrc import KeyPath, Source, content_version


class _WorkflowBuilder(EffectReader, ProcedureReader):
    """Builds the Workflow of a document: its catalogues, fields, tables, queries and events here; its
    effects (EffectReader) and its procedure text (ProcedureReader) beside."""

    def __init__(self, src: Source, siblings: dict[str, Any]):
        self.src = src
        self.findings: list[Finding] = []
        # the other workflow documents of the folder (schema-valid raw documents), by workflow name
        self.siblings = {**siblings, str(src.data.get("workflow")): src.data}
        self.sigs: dict[str, QuerySig] = {}
        for doc in self.siblings.values():
            self.sigs.update(signatures(doc))
        self.sigs.update(signatures(src.data))
        self.query_scope = {name: (sig.params, sig.record) for name, sig in self.sigs.items()}
        self.tables: dict[str, Table] = {}

    # -- findings -------------------------------------------------------------------------
    def error(self, path: KeyPath, message: str, hint: str = "", *, key: bool = False, code: str = "reference",
              col_offset: int = 0) -> None:
        line, col = self.src.pos(path, key=key)
        self.findings.append(Finding(self.src.file, line, col + col_offset, message, code=code, hint=hint))

    def position(self, path: KeyPath) -> tuple[str, int, int]:
        line, col = self.src.pos(path)
        return (self.src.file, line, col)

    def ref(self, path: KeyPath, name: Any, known: Any, what: str, hint: str | None = None, **kw: Any) -> bool:
        if name in known:
            return True
        self.error(path, f"unknown {what} '{name}'", hint or _did_you_mean(name, known), **kw)
        return False

    # -- expressions ----------------------------------------------------------------------
    def expr(self, path: KeyPath, text: Any, scope: Scope, what: str) -> Expr | None:
        try:
            compiled = compile_expr(text, scope, self.position(path))
        except ExprError as exc:
            # a quoted expression starts one column later than the YAML value
            line_text = self.src.line_text(self.src.pos(path)[0])
            col = self.src.pos(path)[1]
            quoted = col - 1 < len(line_text) and line_text[col - 1] in "'\""
            for problem in (exc, *exc.more):
                hint = problem.hint
                if problem.message.startswith("unknown function or query") and len(self.siblings) == 1:
                    hint = ("queries are declared in this file or in the other workflow files of its folder, "
                            "and none is beside it: check it where it lives with the others (e.g. workflows/)")
                self.error(path, f"{what}: {problem.message}", hint, code="expression",
                           col_offset=problem.offset + (1 if quoted else 0))
            return None
        self.check_literals(path, compiled, scope, what)
        return compiled

    def constant(self, path: KeyPath, compiled: Expr, spec: FieldSpec) -> tuple[Any, ...]:
        """(value,) for a literal such as `false`, `'Open'` or `3`, checked against the field now; else ()."""
        try:
            node = ast.parse(str(compiled.text).strip(), mode="eval").body
        except SyntaxError:
            return ()
        if not (isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool))
                or isinstance(node, ast.Name) and node.id in ("true", "false", "null")):
            return ()
        try:
            return (coerce(spec, compiled.fn({}, {}, None), self.lists),)
        except ValueProblem as exc:
            self.error(path, str(exc), "a literal is checked against the field it sets", code="type")
            return ()

    def check_literals(self, path: KeyPath, compiled: Expr, scope: Scope, what: str) -> None:
        """A choice field compared with a value its list does not hold is a mistake."""
        if not isinstance(compiled.text, str):
            return
        try:
            tree = ast.parse(compiled.text, mode="eval")
        except SyntaxError:
            return  # durations make the text non-Python; engine.expr has already checked it
        for node in ast.walk(tree):
            if not isinstance(node, ast.Compare):
                continue
            operands = [node.left, *node.comparators]
            names = [o.id for o in operands if isinstance(o, ast.Name)]
            literals: list[str] = []
            for o in operands:
                if isinstance(o, ast.Constant) and isinstance(o.value, str):
                    literals.append(o.value)
                elif isinstance(o, (ast.List, ast.Tuple)):
                    literals += [e.value for e in o.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            for name in names:
                allowed = self.allowed_values(name, scope)
                if allowed is None:
                    continue
                for lit in literals:
                    if lit not in allowed:
                        self.error(path, f"{what}: '{lit}' is not a value of {name}",
                                   _did_you_mean(lit, allowed) or f"its values are {', '.join(map(str, allowed))}",
                                   code="expression")

    def allowed_values(self, name: str, scope: Scope) -> tuple | None:
        if name == "status":
            return tuple(self.status_names)
        spec = scope.data.get(name) or scope.fields.get(name)
        if spec is None or spec.type != "choice" or spec.list not in self.lists:
            return None
        return self.lists[spec.list].values

    def scope(self, data: dict[str, FieldSpec]) -> Scope:
        return Scope(data=data, fields=self.fields, intrays=frozenset(self.intrays), queries=self.query_scope,
                     tables={name: t.rows for name, t in self.tables.items()})

    # -- parts ----------------------------------------------------------------------------
    def field_spec(self, path: KeyPath, name: str, raw: dict, *, instance: bool) -> FieldSpec:
        ftype = raw["type"]
        if ftype == "choice":
            if "list" not in raw:
                self.error(path, f"field '{name}' is a choice and needs `list:` naming one of the lists",
                           code="schema")
            else:
                self.ref(path + ("list",), raw["list"], self.lists, "list")
        elif "list" in raw:
            self.error(path + ("list",), f"`list:` is only for choice fields ('{name}' is {ftype})", key=True)
        if ftype == "list" and ("of" in raw) == ("record" in raw):
            self.error(path, f"list field '{name}' needs either `of:` (a list of values) or `record:` (a list of records)",
                       code="schema")
        of = self.field_spec(path + ("of",), name, raw["of"], instance=instance) if "of" in raw else None
        record = None
        if "record" in raw:
            record = tuple(self.field_spec(path + ("record", k), k, v, instance=instance)
                           for k, v in raw["record"].items())
        if instance and ("required" in raw or "default" in raw):
            key = "required" if "required" in raw else "default"
            self.error(path + (key,), f"`{key}:` is for event data, not instance fields", key=True, code="schema")
        locked = raw.get("locked_after", ())
        locked = (locked,) if isinstance(locked, str) else tuple(locked)
        if locked and not instance:
            self.error(path + ("locked_after",), "`locked_after:` is for instance fields", key=True, code="schema")
        return FieldSpec(
            name=name, type=ftype, title=raw.get("title", ""), required=bool(raw.get("required", False)),
            list=raw.get("list"), of=of, record=record, locked_after=locked,
            source=raw.get("source", ""), assumption=raw.get("assumption", ""), pos=self.position(path),
        )

    def guard(self, path: KeyPath, raw: dict, scope: Scope) -> Guard | None:
        check = self.expr(path + ("check",), raw["check"], scope, "guard")
        if check is None:
            return None
        return Guard(check=check, says=raw["says"], source=raw.get("source", ""),
                     assumption=raw.get("assumption", ""), pos=self.position(path))

    @staticmethod
    def all_guards(guards: tuple[Guard, ...], scope: Scope) -> Expr | None:
        """The guards joined with `and` into one compiled check, so that the usual case (all pass) is one call."""
        if not guards:
            return None
        if len(guards) == 1:
            return guards[0].check
        return all_of([g.check for g in guards], guards[0].pos)

    def guards(self, path: KeyPath, raw: dict, scope: Scope) -> tuple[Guard, ...]:
        built = (self.guard(path + ("guards", i), g, scope) for i, g in enumerate(raw.get("guards", [])))
        return tuple(g for g in built if g is not None)

    def table(self, name: str, raw: dict) -> Table:
        path: KeyPath = ("tables", name)
        key = raw["key"]
        columns = tuple(self.field_spec(path + ("columns", k), k, v, instance=False)
                        for k, v in raw["columns"].items())
        known = {c.name: c for c in columns}
        rows: dict[Any, dict[str, Any]] = {}
        notes: dict[Any, tuple[str, str]] = {}

        for i, row in enumerate(raw["rows"]):
            rpath = path + ("rows", i)
            if key not in row:
                self.error(rpath, f"row {i + 1} of table '{name}' has no '{key}'", code="schema")
                continue
            if not isinstance(row[key], (str, int, float)):
                self.error(rpath + (key,), f"the {key} of row {i + 1} of table '{name}' must be a text or a number",
                           code="schema")
                continue
            if row[key] in rows:
                self.error(rpath + (key,), f"table '{name}' has two rows '{row[key]}'")
            values = {}
            for col, value in row.items():
                if col in (key, "source", "assumption"):
                    continue
                if col not in known:
                    self.error(rpath + (col,), f"table '{name}' has no column '{col}'",
                               _did_you_mean(col, known) or f"its columns are {', '.join(known)}", key=True,
                               code="schema")
                    continue
                try:
                    values[col] = coerce(known[col], value, self.lists)
                except ValueProblem as exc:
                    self.error(rpath + (col,), str(exc), code="schema")
            for col in known:
                values.setdefault(col, None)
            rows[row[key]] = values
            notes[row[key]] = (str(row.get("source", "")), str(row.get("assumption", "")), self.position(rpath))
        return Table(name=name, key=key, columns=columns, rows=rows, row_notes=notes, title=raw.get("title", ""),
                     source=raw["source"],
                     assumption=raw.get("assumption", ""), pos=self.position(path))

    def query(self, name: str, raw: dict) -> Query:
        path: KeyPath = ("queries", name)
        params = tuple(self.field_spec(path + ("params", k), k, v, instance=False)
                       for k, v in (raw.get("params") or {}).items())
        names = {p.name for p in params}
        match = []
        for field_name, param in (raw.get("match") or {}).items():
            ok = self.ref(path + ("match", field_name), field_name, self.fields, "field", key=True)
            if self.ref(path + ("match", field_name), param, names, "parameter") and ok:
                match.append((field_name, param))
        where = None
        if "where" in raw:
            scope = Scope(data={p.name: p for p in params}, fields=self.fields, intrays=frozenset(self.intrays))
            where = self.expr(path + ("where",), raw["where"], scope, "where")
        order = raw.get("order_by", ())
        order = (order,) if isinstance(order, str) else tuple(order)
        for i, field_name in enumerate(order):
            self.ref(path + ("order_by",) if isinstance(raw.get("order_by"), str) else path + ("order_by", i),
                     field_name, [*self.fields, *RECORD_KEYS], "field")
        return Query(name=name, title=raw["title"], workflow=self.src.data["workflow"], params=params,
                     match=tuple(match), where=where, order_by=order, disabled=raw.get("disabled", ""),
                     source=raw["source"],
                     assumption=raw.get("assumption", ""), pos=self.position(path))

    def event(self, name: str, raw: dict) -> Event:
        path: KeyPath = ("events", name)
        default_scope = self.scope({})
        specs = []
        for k, v in raw.get("data", {}).items():
            spec = self.field_spec(path + ("data", k), k, v, instance=False)
            if "default" in v:
                spec = replace(spec, default=self.expr(path + ("data", k, "default"), v["default"], default_scope,
                                                       "default"))
            specs.append(spec)
        data = tuple(specs)
        data_map = {d.name: d for d in data}
        scope = self.scope(data_map)
        guards = self.guards(path, raw, scope)
        by = self.who(path + ("by",), raw["by"]) if "by" in raw else None
        if by is not None:
            check = self.expr(path + ("by",), self.who_check(by), scope, "by")
            if check is not None:
                guards = (Guard(check=check, says=by.says, source=by.source, assumption=by.assumption,
                                pos=by.pos), *guards)
        transitions = []
        for i, tr in enumerate(raw["transitions"]):
            tpath = path + ("transitions", i)
            sources = (tr["from"],) if isinstance(tr["from"], str) else tuple(tr["from"])
            for j, s in enumerate(sources):
                self.ref(tpath + ("from",) if isinstance(tr["from"], str) else tpath + ("from", j),
                         s, self.status_names, "status")
            target = tr.get("to")
            if target is not None:
                self.ref(tpath + ("to",), target, self.status_names, "status")
            when = self.expr(tpath + ("when",), tr["when"], scope, "when") if "when" in tr else None
            tguards = self.guards(tpath, tr, scope)
            effects = tuple(e for k, raw_e in enumerate(tr.get("effects", []))
                            for e in self.effect(tpath + ("effects", k), raw_e, scope))
            transitions.append(Transition(
                event=name, sources=sources, target=target, when=when, guards=tguards, effects=effects,
                source=tr["source"], assumption=tr.get("assumption", ""), pos=self.position(tpath),
                all_guards=self.all_guards(tguards, scope),
            ))
        unavailable = raw.get("unavailable", ())
        if isinstance(unavailable, str):
            unavailable = ({"says": unavailable},)
        for i, entry in enumerate(unavailable):
            for j, status in enumerate(entry.get("in", ())):
                self.ref(path + ("unavailable", i, "in", j), status, self.status_names, "status")
        return Event(name=name, title=raw["title"], data=data, guards=guards, all_guards=self.all_guards(guards, scope),
                     transitions=tuple(transitions),
                     unavailable=tuple((tuple(e.get("in", ())), e["says"]) for e in unavailable), by=by,
                     unavailable_notes=tuple((str(e.get("source", "")), str(e.get("assumption", "")),
                                              self.position(path + ("unavailable", i)) if not isinstance(
                                                  raw.get("unavailable"), str) else self.position(path))
                                             for i, e in enumerate(unavailable)),
                     source=raw["source"],
                     assumption=raw.get("assumption", ""), pos=self.position(path))

    def build(self) -> Workflow:
        doc = self.src.data
        self.lists = {
            n: ChoiceList(name=n, values=tuple(v["values"]), aliases=dict(v.get("aliases", {})),
                          source=v.get("source", ""), assumption=v.get("assumption", ""),
                          pos=self.position(("lists", n)))
            for n, v in doc.get("lists", {}).items()
        }
        for n, lst in self.lists.items():
            for alias, value in lst.aliases.items():
                self.ref(("lists", n, "aliases", alias), value, lst.values, f"value of list {n}")
        self.statuses = {
            n: Status(name=n, description=v.get("description", ""), final=bool(v.get("final", False)),
                      group=v.get("group", ""), aliases=tuple(v.get("aliases", ())), source=v["source"],
                      assumption=v.get("assumption", ""), pos=self.position(("statuses", n)))
            for n, v in doc["statuses"].items()
        }
        self.status_names = list(self.statuses)
        self.tables = {n: self.table(n, v) for n, v in (doc.get("tables") or {}).items()}
        self.ref(("initial",), doc["initial"], self.statuses, "status")
        self.fields = {n: self.field_spec(("fields", n), n, v, instance=True) for n, v in doc.get("fields", {}).items()}
        self.intrays = {}
        for code, v in doc.get("intrays", {}).items():
            due, due_text = None, ""
            if "due" in v:
                try:
                    due, due_text = parse_duration(v["due"]), duration_words(v["due"])
                except (ValueError, OverflowError) as exc:
                    self.error(("intrays", code, "due"), str(exc) if isinstance(exc, ValueError) else
                               f"'{v['due']}' is too long a period to count", code="schema")
                if due is not None and due > datetime.max - datetime.min:
                    self.error(("intrays", code, "due"), f"a due period of {due.days:,} days: no date of the calendar "
                               f"(years 1 to 9999) is that far from another, so every intray would be refused",
                               "give the period the procedure states, e.g. 7d or 48h", code="schema")
                    due = None
            stays = v.get("stays_open")
            if stays is not None:
                for i, status in enumerate(stays.get("in", ())):
                    if self.ref(("intrays", code, "stays_open", "in", i), status, self.statuses, "status") \
                            and not self.statuses[status].final:
                        self.error(("intrays", code, "stays_open", "in", i), f"status '{status}' is not final",
                                   "stays_open names the final statuses an intray may be left open in")
                stays = (tuple(stays.get("in", ())), stays["assumption"], self.position(("intrays", code, "stays_open")))
            self.intrays[code] = IntrayType(code=code, name=v["name"], due=due, due_text=due_text, source=v["source"],
                                            assumption=v.get("assumption", ""), pos=self.position(("intrays", code)),
                                            stays_open=stays)
        self.letters = {code: LetterType(code=code, title=v["title"], source=v["source"],
                                         assumption=v.get("assumption", ""), pos=self.position(("letters", code)))
                        for code, v in doc.get("letters", {}).items()}
        queries = {name: self.query(name, raw) for name, raw in (doc.get("queries") or {}).items()}
        events = {name: self.event(name, raw) for name, raw in doc["events"].items()}
        schedules = {}
        for name, raw in (doc.get("schedules") or {}).items():
            self.ref(("schedules", name, "event"), raw["event"], events, "event")
            schedules[name] = Schedule(name=name, event=raw["event"], at=raw["at"], source=raw["source"],
                                       assumption=raw.get("assumption", ""), pos=self.position(("schedules", name)))
        locks: dict[str, list[str]] = {}
        for fname, spec in self.fields.items():
            for ev in spec.locked_after:
                if self.ref(("fields", fname, "locked_after"), ev, events, "event"):
                    locks.setdefault(ev, []).append(fname)
        procedure = self.procedure(doc["procedure"]) if "procedure" in doc else None
        if self.findings:
            raise DefinitionError(self.findings)
        return Workflow(
            name=doc["workflow"], title=doc["title"], initial=doc["initial"], statuses=self.statuses,
            events=events, fields=self.fields, lists=self.lists, intrays=self.intrays, letters=self.letters,
            description=doc.get("description", ""), source=doc.get("source", ""), file=self.src.file,
            version=content_version(self.src.text),
            locks={k: tuple(v) for k, v in locks.items()}, queries=queries, schedules=schedules, tables=self.tables,
            requires=self.requires(doc["workflow"]), procedure=procedure, citations=self.citations(),
            name_pos=self.position(("workflow",)),
        )

def build_workflow(src: Source, siblings: dict[str, Any] | None = None) -> Workflow:
    """The model of a schema-valid document, or DefinitionError with every finding.

    `siblings`: the other workflow documents of the folder (raw, by workflow name), whose queries
    this one's expressions may call and whose instances it may start or signal.
    """
    return _WorkflowBuilder(src, siblings or {}).build()
