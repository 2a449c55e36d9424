"""From a schema-valid workflow document to the model, checking every reference and expression.

All problems are collected as positioned findings and raised together as one DefinitionError.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..expr import Scope, all_of
from ..findings import DefinitionError, Finding
from ..findings import did_you_mean as _did_you_mean
from ..model import (
    Event,
    Expr,
    FieldSpec,
    Guard,
    Query,
    Schedule,
    Table,
    Transition,
    Workflow,
)
from .catalogues import CatalogueReader
from .effects import RECORD_KEYS, EffectReader, QuerySig, signatures
from .expressions import ExpressionReader
from .procedure import ProcedureReader
from .yamlsrc import KeyPath, Source, content_version


class _WorkflowBuilder(ExpressionReader, CatalogueReader, EffectReader, ProcedureReader):
    """Builds the Workflow of a document: its fields, queries and events here; beside, its
    expressions (ExpressionReader), catalogues (CatalogueReader), effects (EffectReader) and
    procedure text (ProcedureReader)."""

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
    def error(self, path: KeyPath, message: str, hint: str = "", *, key: bool = False,
              code: str = "reference", col_offset: int = 0) -> None:
        line, col = self.src.pos(path, key=key)
        self.findings.append(Finding(self.src.file, line, col + col_offset, message, code=code,
                                     hint=hint))

    def position(self, path: KeyPath) -> tuple[str, int, int]:
        line, col = self.src.pos(path)
        return (self.src.file, line, col)

    def ref(self, path: KeyPath, name: Any, known: Any, what: str, hint: str | None = None,
            **kw: Any) -> bool:
        if name in known:
            return True
        self.error(path, f"unknown {what} '{name}'", hint or _did_you_mean(name, known), **kw)
        return False

    # -- parts ----------------------------------------------------------------------------
    def field_spec(self, path: KeyPath, name: str, raw: dict, *, instance: bool) -> FieldSpec:
        ftype = raw["type"]
        if ftype == "choice":
            if "list" not in raw:
                self.error(path, f"field '{name}' is a choice and needs `list:` naming one of the "
                           "lists", code="schema")
            else:
                self.ref(path + ("list",), raw["list"], self.lists, "list")
        elif "list" in raw:
            self.error(path + ("list",), f"`list:` is only for choice fields ('{name}' is {ftype})",
                       key=True)
        if ftype == "list" and ("of" in raw) == ("record" in raw):
            self.error(path, f"list field '{name}' needs either `of:` (a list of values) or "
                       "`record:` (a list of records)", code="schema")
        of = (self.field_spec(path + ("of",), name, raw["of"], instance=instance) if "of" in raw
              else None)
        record = None
        if "record" in raw:
            record = tuple(self.field_spec(path + ("record", k), k, v, instance=instance)
                           for k, v in raw["record"].items())
        if instance and ("required" in raw or "default" in raw):
            key = "required" if "required" in raw else "default"
            self.error(path + (key,), f"`{key}:` is for event data, not instance fields", key=True,
                       code="schema")
        locked = raw.get("locked_after", ())
        locked = (locked,) if isinstance(locked, str) else tuple(locked)
        if locked and not instance:
            self.error(path + ("locked_after",), "`locked_after:` is for instance fields", key=True,
                       code="schema")
        return FieldSpec(
            name=name, type=ftype, title=raw.get("title", ""),
            required=bool(raw.get("required", False)), list=raw.get("list"), of=of, record=record,
            locked_after=locked, source=raw.get("source", ""), assumption=raw.get("assumption", ""),
            pos=self.position(path),
        )

    def guard(self, path: KeyPath, raw: dict, scope: Scope) -> Guard | None:
        check = self.expr(path + ("check",), raw["check"], scope, "guard")
        if check is None:
            return None
        return Guard(check=check, says=raw["says"], source=raw.get("source", ""),
                     assumption=raw.get("assumption", ""), pos=self.position(path))

    @staticmethod
    def all_guards(guards: tuple[Guard, ...], scope: Scope) -> Expr | None:
        """The guards joined with `and` into one compiled check, so that the usual case (all pass)
        is one call."""
        if not guards:
            return None
        if len(guards) == 1:
            return guards[0].check
        return all_of([g.check for g in guards], guards[0].pos)

    def guards(self, path: KeyPath, raw: dict, scope: Scope) -> tuple[Guard, ...]:
        built = (self.guard(path + ("guards", i), g, scope)
                 for i, g in enumerate(raw.get("guards", [])))
        return tuple(g for g in built if g is not None)

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
            scope = Scope(data={p.name: p for p in params}, fields=self.fields,
                          intrays=frozenset(self.intrays))
            where = self.expr(path + ("where",), raw["where"], scope, "where")
        order = raw.get("order_by", ())
        order = (order,) if isinstance(order, str) else tuple(order)
        one = isinstance(raw.get("order_by"), str)
        for i, field_name in enumerate(order):
            self.ref(path + ("order_by",) if one else path + ("order_by", i),
                     field_name, [*self.fields, *RECORD_KEYS], "field")
        return Query(name=name, title=raw["title"], workflow=self.src.data["workflow"],
                     params=params, match=tuple(match), where=where, order_by=order,
                     disabled=raw.get("disabled", ""), source=raw["source"],
                     assumption=raw.get("assumption", ""), pos=self.position(path))

    def event(self, name: str, raw: dict) -> Event:
        path: KeyPath = ("events", name)
        default_scope = self.scope({})
        specs = []
        for k, v in raw.get("data", {}).items():
            spec = self.field_spec(path + ("data", k), k, v, instance=False)
            if "default" in v:
                default = self.expr(path + ("data", k, "default"), v["default"], default_scope,
                                    "default")
                spec = replace(spec, default=default)
            specs.append(spec)
        data = tuple(specs)
        scope = self.scope({d.name: d for d in data})
        guards = self.guards(path, raw, scope)
        by = self.who(path + ("by",), raw["by"]) if "by" in raw else None
        if by is not None:
            check = self.expr(path + ("by",), self.who_check(by), scope, "by")
            if check is not None:
                guards = (Guard(check=check, says=by.says, source=by.source,
                                assumption=by.assumption, pos=by.pos), *guards)
        transitions = tuple(self.transition(name, path + ("transitions", i), tr, scope)
                            for i, tr in enumerate(raw["transitions"]))
        unavailable = raw.get("unavailable", ())
        if isinstance(unavailable, str):
            unavailable = ({"says": unavailable},)
        for i, entry in enumerate(unavailable):
            for j, status in enumerate(entry.get("in", ())):
                self.ref(path + ("unavailable", i, "in", j), status, self.status_names, "status")
        one = isinstance(raw.get("unavailable"), str)
        notes = tuple((str(e.get("source", "")), str(e.get("assumption", "")),
                       self.position(path if one else path + ("unavailable", i)))
                      for i, e in enumerate(unavailable))
        return Event(name=name, title=raw["title"], data=data, guards=guards,
                     all_guards=self.all_guards(guards, scope), transitions=transitions,
                     unavailable=tuple((tuple(e.get("in", ())), e["says"]) for e in unavailable),
                     by=by, unavailable_notes=notes, source=raw["source"],
                     assumption=raw.get("assumption", ""), pos=self.position(path))

    def transition(self, event: str, path: KeyPath, raw: dict, scope: Scope) -> Transition:
        one = isinstance(raw["from"], str)
        sources = (raw["from"],) if one else tuple(raw["from"])
        for j, s in enumerate(sources):
            self.ref(path + ("from",) if one else path + ("from", j), s, self.status_names,
                     "status")
        target = raw.get("to")
        if target is not None:
            self.ref(path + ("to",), target, self.status_names, "status")
        when = self.expr(path + ("when",), raw["when"], scope, "when") if "when" in raw else None
        guards = self.guards(path, raw, scope)
        effects = tuple(e for k, raw_e in enumerate(raw.get("effects", []))
                        for e in self.effect(path + ("effects", k), raw_e, scope))
        return Transition(
            event=event, sources=sources, target=target, when=when, guards=guards, effects=effects,
            source=raw["source"], assumption=raw.get("assumption", ""), pos=self.position(path),
            all_guards=self.all_guards(guards, scope),
        )

    def build(self) -> Workflow:
        doc = self.src.data
        self.lists = self.read_lists(doc)
        self.statuses = self.read_statuses(doc)
        self.status_names = list(self.statuses)
        self.tables = {n: self.table(n, v) for n, v in (doc.get("tables") or {}).items()}
        self.ref(("initial",), doc["initial"], self.statuses, "status")
        self.fields = {n: self.field_spec(("fields", n), n, v, instance=True)
                       for n, v in doc.get("fields", {}).items()}
        self.intrays = self.read_intrays(doc)
        self.letters = self.read_letters(doc)
        queries = {name: self.query(name, raw)
                   for name, raw in (doc.get("queries") or {}).items()}
        events = {name: self.event(name, raw) for name, raw in doc["events"].items()}
        schedules = {}
        for name, raw in (doc.get("schedules") or {}).items():
            self.ref(("schedules", name, "event"), raw["event"], events, "event")
            schedules[name] = Schedule(name=name, event=raw["event"], at=raw["at"],
                                       source=raw["source"], assumption=raw.get("assumption", ""),
                                       pos=self.position(("schedules", name)))
        locks: dict[str, list[str]] = {}
        for fname, spec in self.fields.items():
            for ev in spec.locked_after:
                if self.ref(("fields", fname, "locked_after"), ev, events, "event"):
                    locks.setdefault(ev, []).append(fname)
        procedure = self.procedure(doc["procedure"]) if "procedure" in doc else None
        if self.findings:
            raise DefinitionError(self.findings)
        return Workflow(
            name=doc["workflow"], title=doc["title"], initial=doc["initial"],
            statuses=self.statuses, events=events, fields=self.fields, lists=self.lists,
            intrays=self.intrays, letters=self.letters, description=doc.get("description", ""),
            source=doc.get("source", ""), file=self.src.file,
            version=content_version(self.src.text), locks={k: tuple(v) for k, v in locks.items()},
            queries=queries, schedules=schedules, tables=self.tables,
            requires=self.requires(doc["workflow"]), procedure=procedure,
            citations=self.citations(), name_pos=self.position(("workflow",)),
        )


def build_workflow(src: Source, siblings: dict[str, Any] | None = None) -> Workflow:
    """The model of a schema-valid document, or DefinitionError with every finding.

    `siblings`: the other workflow documents of the folder (raw, by workflow name), whose queries
    this one's expressions may call and whose instances it may start or signal.
    """
    return _WorkflowBuilder(src, siblings or {}).build()
