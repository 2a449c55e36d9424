"""From a schema-valid workflow document to the model, checking every reference and expression.

All problems are collected as positioned findings and raised together as one DefinitionError.
"""
from __future__ import annotations

import ast
import hashlib
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..clock import duration_words, parse_duration
from ..expr import ExprError, Scope, all_of, compile_expr
from ..findings import DefinitionError, Finding
from ..findings import did_you_mean as _did_you_mean
from ..model import (
    PARTY_LIST,
    ChoiceList,
    Effect,
    Event,
    Expr,
    FieldSpec,
    Guard,
    IntrayType,
    LetterType,
    Procedure,
    ProcedureStep,
    ProcedureTable,
    Query,
    Schedule,
    Status,
    Table,
    Transition,
    Who,
    Workflow,
    recipients,
)
from ..values import ValueProblem, coerce
from .yamlsrc import Path, Source

RECORD_KEYS = ("status", "instance")  # what a query's records hold besides the fields


def same_type(a: FieldSpec, b: FieldSpec) -> bool:
    """Do values checked against `a` also pass `b` unchanged? (Then a `set:` need not check them again.)"""
    if (a.type, a.list) != (b.type, b.list):
        return False
    if a.type != "list":
        return True
    if (a.of is None) != (b.of is None) or (a.record is None) != (b.record is None):
        return False
    if a.of is not None and b.of is not None and not same_type(a.of, b.of):
        return False
    if a.record is not None and b.record is not None:
        ra, rb = {f.name: f for f in a.record}, {f.name: f for f in b.record}
        return ra.keys() == rb.keys() and all(
            same_type(ra[k], rb[k]) and ra[k].required == rb[k].required
            and (ra[k].default.text if ra[k].default else None) == (rb[k].default.text if rb[k].default else None)
            for k in ra)
    return True


@dataclass(frozen=True)
class QuerySig:
    """What a caller needs to know of a query: who declares it, its parameters, its records' fields."""

    owner: str
    params: int
    fields: frozenset[str]  # the owner's instance fields (what `update:` may set)

    @property
    def record(self) -> frozenset[str]:
        return self.fields | frozenset(RECORD_KEYS)


def _mapping(value: Any) -> dict:
    """A sibling document's part, read defensively (its own check reports its mistakes)."""
    return value if isinstance(value, dict) else {}


def signatures(doc: Any) -> dict[str, QuerySig]:
    """The queries a schema-valid workflow document declares, as callers see them."""
    if not isinstance(doc, dict) or not isinstance(doc.get("queries"), dict):
        return {}
    fields = frozenset(_mapping(doc.get("fields")))
    return {name: QuerySig(str(doc.get("workflow")), len(_mapping(q.get("params"))), fields)
            for name, q in doc["queries"].items() if isinstance(q, dict)}


class _Builder:
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
    def error(self, path: Path, message: str, hint: str = "", *, key: bool = False, code: str = "reference",
              col_offset: int = 0) -> None:
        line, col = self.src.pos(path, key=key)
        self.findings.append(Finding(self.src.file, line, col + col_offset, message, code=code, hint=hint))

    def position(self, path: Path) -> tuple[str, int, int]:
        line, col = self.src.pos(path)
        return (self.src.file, line, col)

    def ref(self, path: Path, name: Any, known: Any, what: str, hint: str | None = None, **kw: Any) -> bool:
        if name in known:
            return True
        self.error(path, f"unknown {what} '{name}'", hint or _did_you_mean(name, known), **kw)
        return False

    # -- expressions ----------------------------------------------------------------------
    def expr(self, path: Path, text: Any, scope: Scope, what: str) -> Expr | None:
        try:
            compiled = compile_expr(text, scope, self.position(path))
        except ExprError as exc:
            # a quoted expression starts one column later than the YAML value
            line_text = self.src.line_text(self.src.pos(path)[0])
            col = self.src.pos(path)[1]
            quoted = col - 1 < len(line_text) and line_text[col - 1] in "'\""
            hint = exc.hint
            if exc.message.startswith("calls to ") and len(self.siblings) == 1:
                hint = ("queries are declared in this file or in the other workflow files of its folder, and "
                        "none is beside it: check it where it lives with the others (e.g. workflows/)")
            self.error(path, f"{what}: {exc.message}", hint, code="expression",
                       col_offset=exc.offset + (1 if quoted else 0))
            return None
        self.check_literals(path, compiled, scope, what)
        return compiled

    def constant(self, path: Path, compiled: Expr, spec: FieldSpec) -> tuple[Any, ...]:
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

    def check_literals(self, path: Path, compiled: Expr, scope: Scope, what: str) -> None:
        """A choice field compared with a value its list does not hold is a mistake."""
        if not isinstance(compiled.text, str):
            return
        try:
            tree = ast.parse(compiled.text, mode="eval")
        except SyntaxError:
            return  # durations make the text non-Python; expr.py has already checked it
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
    def field_spec(self, path: Path, name: str, raw: dict, *, instance: bool) -> FieldSpec:
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

    def guard(self, path: Path, raw: dict, scope: Scope) -> Guard | None:
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

    def guards(self, path: Path, raw: dict, scope: Scope) -> tuple[Guard, ...]:
        built = (self.guard(path + ("guards", i), g, scope) for i, g in enumerate(raw.get("guards", [])))
        return tuple(g for g in built if g is not None)

    def effect(self, path: Path, raw: dict, scope: Scope) -> list[Effect]:
        common: dict[str, Any] = {
            "source": raw.get("source", ""), "assumption": raw.get("assumption", ""), "pos": self.position(path),
        }
        if "if" in raw:
            common["when"] = self.expr(path + ("if",), raw["if"], scope, "condition (if)")

        def opt(key: str, what: str) -> Expr | None:
            return self.expr(path + (key,), raw[key], scope, what) if key in raw else None

        if "update" in raw:  # before `set`: an update carries the other instances' `set:`
            return self.update_effect(path, raw, scope, common)
        if "set" in raw:
            out = []
            for name, value in raw["set"].items():
                p = path + ("set", name)
                if not self.ref(p, name, self.fields, "field", key=True):
                    continue
                compiled = self.expr(p, value, scope, f"value of {name}")
                if compiled is not None:
                    spec = self.fields[name]
                    if spec.type == "choice" and isinstance(value, str):
                        self.check_set_literal(p, name, value, spec)
                    source_spec = scope.data.get(value.strip()) if isinstance(value, str) else None
                    trusted = source_spec is not None and same_type(source_spec, spec)
                    constant = self.constant(p, compiled, spec)
                    out.append(Effect(kind="set", target=name, value=compiled, trusted=trusted or bool(constant),
                                      constant=constant, **common))
            return out
        if "number" in raw:
            name = raw["number"]
            if self.ref(path + ("number",), name, self.fields, "field") and self.fields[name].type != "integer":
                self.error(path + ("number",), f"field '{name}' must be an integer to be numbered")
            return [Effect(kind="number", target=name, **common)]
        if "append" in raw:
            (name, rec), = raw["append"].items()
            p = path + ("append", name)
            if not self.ref(p, name, self.fields, "field", key=True):
                return []
            spec = self.fields[name]
            if spec.type != "list" or spec.record is None:
                self.error(p, f"field '{name}' must be a list of records to append to", key=True)
                return []
            known = {f.name for f in spec.record}
            record = []
            for k, v in rec.items():
                if self.ref(p + (k,), k, known, f"field of the {name} records", key=True):
                    compiled = self.expr(p + (k,), v, scope, f"value of {name}.{k}")
                    if compiled is not None:
                        record.append((k, compiled))
            return [Effect(kind="append", target=name, record=tuple(record), **common)]
        if "open" in raw:
            code = raw["open"]
            self.ref(path + ("open",), code, self.intrays, "intray")
            if code in self.intrays and self.intrays[code].due is None and "due" not in raw:
                self.error(path + ("open",), f"intray {code} has no due period in the catalogue; give `due:` here")
            return [Effect(kind="open", target=code, due=opt("due", "due"), about=opt("about", "about"),
                           assign=opt("assign", "assign"), **common)]
        if "close" in raw:
            codes = [raw["close"]] if isinstance(raw["close"], str) else raw["close"]
            about = opt("about", "about")
            for j, code in enumerate(codes):
                self.ref(path + ("close",) if isinstance(raw["close"], str) else path + ("close", j),
                         code, self.intrays, "intray")
            return [Effect(kind="close", target=code, about=about, **common) for code in codes]
        if "assign" in raw:
            code = raw["assign"]
            self.ref(path + ("assign",), code, self.intrays, "intray")
            return [Effect(kind="assign", target=code, assign=opt("to", "assign to"), **common)]
        if "letter" in raw:
            code = raw["letter"]
            self.ref(path + ("letter",), code, self.letters, "letter")
            known = recipients(self.lists, self.fields)
            for i, who in enumerate(raw["to"]):
                self.ref(path + ("to", i), who, known, "recipient", _did_you_mean(who, known) or
                         f"letters go to the parties the workflow knows: {', '.join(sorted(known))} (or the values of "
                         f"a `{PARTY_LIST}` list)")
            return [Effect(kind="letter", target=code, to=tuple(raw["to"]), **common)]
        if "start" in raw or "signal" in raw:
            return self.start_effect(path, raw, scope, common)
        raise AssertionError("schema admits no other effect")  # pragma: no cover

    def update_effect(self, path: Path, raw: dict, scope: Scope, common: dict) -> list[Effect]:
        """`update: QUERY(args)` with `set:`: change the fields of the instances the query finds."""
        targets = self.expr(path + ("update",), raw["update"], scope, "update")
        owner = self.called_query_owner(path + ("update",), raw["update"], targets)
        if owner is None:
            return []
        sig = QuerySig(owner, 0, frozenset(self.siblings[owner].get("fields") or {}))
        sets = []
        for field_name, value in raw["set"].items():
            p = path + ("set", field_name)
            if self.ref(p, field_name, sig.fields, f"field of workflow {sig.owner}", key=True):
                compiled = self.expr(p, value, scope, f"value of {field_name}")
                if compiled is not None:
                    sets.append((field_name, compiled))
        return [Effect(kind="update", target=sig.owner, targets=targets, sets=tuple(sets), **common)]

    def who(self, path: Path, raw: dict) -> Who:
        areas = tuple(raw.get("areas", ()))
        if "areas" in self.tables:
            for i, area in enumerate(areas):
                self.ref(path + ("areas", i), area, self.tables["areas"].rows, "area (a row of the areas table)")
        if not areas and not raw.get("roles"):
            self.error(path, "`by:` needs `areas:` or `roles:`", code="schema", key=True)
        return Who(areas=areas, roles=tuple(raw.get("roles", ())), says=raw["says"], source=raw.get("source", ""),
                   assumption=raw.get("assumption", ""), pos=self.position(path))

    @staticmethod
    def who_check(by: Who) -> str:
        parts = []
        if by.areas:
            parts.append(f"actor.area in {list(by.areas)!r}")
        if by.roles:
            parts.append(f"actor.role in {list(by.roles)!r}")
        return " or ".join(parts) or "true"

    def table(self, name: str, raw: dict) -> Table:
        path: Path = ("tables", name)
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

    def start_effect(self, path: Path, raw: dict, scope: Scope, common: dict) -> list[Effect]:
        """`start: WORKFLOW` / `signal: QUERY(args)` with `event:` and `data:`: act on another instance."""
        kind = "start" if "start" in raw else "signal"
        targets = name = None
        if kind == "start":
            owner = raw["start"]
            if not self.ref(path + ("start",), owner, self.siblings, "workflow (in this folder)",
                            hint=None if len(self.siblings) > 1 else
                            "no other workflow file is beside this one: check it where it lives with the others"):
                return []
            if "as" in raw:
                name = self.expr(path + ("as",), raw["as"], scope, "as")
        else:
            targets = self.expr(path + ("signal",), raw["signal"], scope, "signal")
            owner = self.called_query_owner(path + ("signal",), raw["signal"], targets)
            if owner is None:
                return []
        events = _mapping(self.siblings[owner].get("events"))
        if not self.ref(path + ("event",), raw["event"], events, f"event of workflow {owner}"):
            return []
        event_doc = _mapping(events[raw["event"]])
        data_fields = _mapping(event_doc.get("data"))
        if kind == "start":
            self.check_start(path, owner, raw, event_doc, data_fields)
        record = []
        for key, value in (raw.get("data") or {}).items():
            if self.ref(path + ("data", key), key, data_fields, f"data field of {owner} event {raw['event']}",
                        key=True):
                compiled = self.expr(path + ("data", key), value, scope, f"value of {key}")
                if compiled is not None:
                    record.append((key, compiled))
        return [Effect(kind=kind, target=owner, targets=targets, event=raw["event"], name=name,
                       record=tuple(record), **common)]

    def check_start(self, path: Path, owner: str, raw: dict, event_doc: dict, data_fields: dict) -> None:
        """A started instance begins in its workflow's initial status: the event must leave it, with its data."""
        initial = self.siblings[owner].get("initial")
        transitions = event_doc.get("transitions")
        if not isinstance(transitions, list):
            return  # the other workflow's own mistake, reported when it is checked
        sources = set()
        for tr in transitions:
            found = _mapping(tr).get("from")
            sources |= {found} if isinstance(found, str) else {f for f in found if isinstance(f, str)} \
                if isinstance(found, list) else set()
        if isinstance(initial, str) and initial not in sources:
            self.error(path + ("event",), f"event {raw['event']} of workflow {owner} cannot happen in {owner}'s "
                       f"initial status '{initial}', where a started instance begins",
                       f"start it with an event that leaves '{initial}'")
        given = raw.get("data") or {}
        for key, spec in data_fields.items():
            spec = _mapping(spec)
            if spec.get("required") and "default" not in spec and key not in given:
                self.error(path + ("data",) if "data" in raw else path + ("event",),
                           f"the {owner} event {raw['event']} requires data field '{key}', which is not given",
                           f"add {key}: ... under data:")

    def called_query_owner(self, path: Path, text: Any, compiled: Expr | None) -> str | None:
        try:
            call = ast.parse(str(text), mode="eval").body
        except SyntaxError:
            call = None
        name = call.func.id if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) else None
        if name not in self.sigs:
            if compiled is not None:
                self.error(path, "this needs a call to a declared query, e.g. applications_on_case(case_number)",
                           _did_you_mean(str(name), self.sigs))
            return None
        return self.sigs[name].owner

    def query(self, name: str, raw: dict) -> Query:
        path: Path = ("queries", name)
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

    def check_set_literal(self, path: Path, name: str, value: str, spec: FieldSpec) -> None:
        try:
            tree = ast.parse(value, mode="eval")
        except SyntaxError:
            return
        if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str) and spec.list in self.lists:
            allowed = self.lists[spec.list].values
            if tree.body.value not in allowed:
                self.error(path, f"'{tree.body.value}' is not a value of {name}", _did_you_mean(tree.body.value, allowed))

    def event(self, name: str, raw: dict) -> Event:
        path: Path = ("events", name)
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
            version=hashlib.sha256(self.src.text.encode()).hexdigest()[:12],
            locks={k: tuple(v) for k, v in locks.items()}, queries=queries, schedules=schedules, tables=self.tables,
            requires=self.requires(doc["workflow"]), procedure=procedure, citations=self.citations(),
            name_pos=self.position(("workflow",)),
        )

    # -- the procedure text ---------------------------------------------------------------
    def procedure(self, raw: dict) -> Procedure:
        """`procedure:`: the text's tables, each listed once, its steps numbered 1, 2, 3 ... as in the text."""
        path: Path = ("procedure",)
        document = raw["document"]
        if not re.fullmatch(r"[A-Z][A-Za-z]*", document):
            self.error(path + ("document",), f"'{document}' is not a document prefix as citations write it",
                       "a capital letter, then letters: COA, as in 'COA Table 4 Step 7'", code="schema")
        tables: list[ProcedureTable] = []
        first_line: dict[int, int] = {}
        for i, raw_table in enumerate(raw["tables"]):
            tpath = path + ("tables", i)
            number = raw_table["table"]
            if number in first_line:
                self.error(tpath + ("table",), f"Table {number} is listed twice (first at line {first_line[number]})",
                           "list each table of the text once")
                continue
            first_line[number] = self.src.pos(tpath + ("table",))[0]
            rows = raw_table.get("rows", "Step")
            steps: dict[int, ProcedureStep] = {}
            for key, heading in raw_table["steps"].items():
                spath = tpath + ("steps", key)
                n = int(key)  # the schema admits only digits
                if n < 1:
                    self.error(spath, f"{rows} {key} of Table {number}: steps are numbered from 1, as in the text",
                               key=True)
                elif n in steps:
                    self.error(spath, f"{rows} {n} of Table {number} is listed twice (first at line "
                               f"{steps[n].pos[1] if steps[n].pos else '?'})", f"each {rows.lower()} once", key=True)
                else:
                    steps[n] = ProcedureStep(number=n, heading=heading, pos=self.position(spath))
            missing = sorted(set(range(1, max(steps, default=0) + 1)) - set(steps))
            if missing:
                self.error(tpath + ("steps",), f"Table {number} skips {rows} {', '.join(map(str, missing))}",
                           f"list every {rows.lower()} of the table as the text numbers them", key=True)
            columns = tuple(raw_table.get("columns", (rows, "Action")))
            tables.append(ProcedureTable(
                number=number, title=raw_table["title"], steps=tuple(steps[n] for n in sorted(steps)),
                start=raw_table.get("start", ""), rows=rows, columns=(columns[0], columns[1]),
                pos=self.position(tpath)))
        return Procedure(document=document, title=raw["title"], tables=tuple(tables),
                         purpose=raw.get("purpose", ""), elsewhere=self.catalogued_elsewhere(document),
                         pos=self.position(path))

    def catalogued_elsewhere(self, document: str) -> tuple[tuple[int, tuple[int, ...], str], ...]:
        """The tables of `document` the folder's other workflows catalogue, read defensively."""
        me = str(self.src.data.get("workflow"))
        found = []
        for name, other in sorted(self.siblings.items()):
            raw = _mapping(_mapping(other).get("procedure"))
            if name == me or raw.get("document") != document or not isinstance(raw.get("tables"), list):
                continue
            for table in raw["tables"]:
                table = _mapping(table)
                steps = _mapping(table.get("steps"))
                if isinstance(table.get("table"), int):
                    numbers = sorted(int(k) for k in steps if str(k).isdigit())
                    found.append((table["table"], tuple(numbers), name))
        return tuple(found)

    def citations(self) -> tuple[tuple[str, tuple[str, int, int]], ...]:
        """Every `source:` text of the document with where it is written, in document order."""
        found = []
        for path in self.src.positions:
            if not path or path[-1] != "source" or (len(path) > 1 and path[-2] in ("set", "data", "match")):
                continue
            node: Any = self.src.data
            for seg in path:
                node = node[seg] if isinstance(node, dict) and seg in node or (
                    isinstance(node, list) and isinstance(seg, int) and seg < len(node)) else None
            if isinstance(node, str):
                found.append((node, self.position(path)))
        return tuple(found)

    def requires(self, me: str) -> frozenset[str]:
        """The other workflows whose queries this document calls."""
        called = set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", self.src.text))
        needed = {sig.owner for name, sig in self.sigs.items() if name in called}
        for event in _mapping(self.src.data.get("events")).values():
            for tr in _mapping(event).get("transitions") or []:
                needed |= {e["start"] for e in tr.get("effects") or [] if isinstance(e, dict) and "start" in e}
        return frozenset(needed - {me})


def build_workflow(src: Source, siblings: dict[str, Any] | None = None) -> Workflow:
    """The model of a schema-valid document, or DefinitionError with every finding.

    `siblings`: the other workflow documents of the folder (raw, by workflow name), whose queries
    this one's expressions may call and whose instances it may start or signal.
    """
    return _Builder(src, siblings or {}).build()
