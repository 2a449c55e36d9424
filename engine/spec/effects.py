"""Reading a workflow's effects (set, number, append, open, close, assign, letter, update, start,
signal) and who may fire an event, for the workflow builder (see build); and what other workflows'
queries look like to callers (QuerySig)."""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..expr import Scope
from ..findings import did_you_mean as _did_you_mean
from ..model import PARTY_LIST, Effect, Expr, FieldSpec, Who, recipients
from .yamlsrc import KeyPath

RECORD_KEYS = ("status", "instance")  # what a query's records hold besides the fields


def same_type(a: FieldSpec, b: FieldSpec) -> bool:
    """Do values checked against `a` also pass `b` unchanged? (Then a `set:` need not check them
    again.)"""
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
        # a record with every part `b` requires passes `b` (a data field may require more)
        return ra.keys() == rb.keys() and all(
            same_type(ra[k], rb[k]) and (ra[k].required or not rb[k].required)
            and (ra[k].default.text if ra[k].default else None)
            == (rb[k].default.text if rb[k].default else None)
            for k in ra)
    return True


@dataclass(frozen=True)
class QuerySig:
    """What a caller needs to know of a query: who declares it, its parameters, its records'
    fields."""

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


class EffectReader:
    """The effects of a transition and the `by:` of an event, read for the workflow builder, whose
    methods (error, ref, expr, constant, position) and catalogues these use."""

    fields: dict[str, FieldSpec]
    intrays: dict[str, Any]
    letters: dict[str, Any]
    lists: dict[str, Any]
    tables: dict[str, Any]
    siblings: dict[str, Any]  # the folder's workflow documents, by workflow name
    sigs: dict[str, QuerySig]

    def effect(self, path: KeyPath, raw: dict, scope: Scope) -> list[Effect]:
        common: dict[str, Any] = {
            "source": raw.get("source", ""), "assumption": raw.get("assumption", ""),
            "pos": self.position(path),
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
                    out.append(Effect(kind="set", target=name, value=compiled,
                                      trusted=trusted or bool(constant),
                                      constant=constant, **common))
            return out
        if "number" in raw:
            name = raw["number"]
            if self.ref(path + ("number",), name, self.fields, "field") \
                    and self.fields[name].type != "integer":
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
                self.error(path + ("open",),
                           f"intray {code} has no due period in the catalogue; give `due:` here")
            return [Effect(kind="open", target=code, due=opt("due", "due"),
                           about=opt("about", "about"),
                           assign=opt("assign", "assign"), **common)]
        if "close" in raw:
            codes = [raw["close"]] if isinstance(raw["close"], str) else raw["close"]
            about = opt("about", "about")
            for j, code in enumerate(codes):
                self.ref(path + ("close",) if isinstance(raw["close"], str)
                         else path + ("close", j),
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
                         "letters go to the parties the workflow knows: "
                         f"{', '.join(sorted(known))} (or the values of a `{PARTY_LIST}` list)")
            return [Effect(kind="letter", target=code, to=tuple(raw["to"]), **common)]
        if "start" in raw or "signal" in raw:
            return self.start_effect(path, raw, scope, common)
        raise AssertionError("schema admits no other effect")  # pragma: no cover

    def update_effect(self, path: KeyPath, raw: dict, scope: Scope, common: dict) -> list[Effect]:
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
        return [Effect(kind="update", target=sig.owner, targets=targets, sets=tuple(sets),
                       **common)]

    def start_effect(self, path: KeyPath, raw: dict, scope: Scope, common: dict) -> list[Effect]:
        """`start: WORKFLOW` / `signal: QUERY(args)` with `event:` and `data:`: act on another
        instance."""
        kind = "start" if "start" in raw else "signal"
        targets = name = None
        if kind == "start":
            owner = raw["start"]
            if not self.ref(path + ("start",), owner, self.siblings, "workflow (in this folder)",
                            hint=None if len(self.siblings) > 1 else
                            "no other workflow file is beside this one: check it where it lives "
                            "with the others"):
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
            if self.ref(path + ("data", key), key, data_fields,
                        f"data field of {owner} event {raw['event']}",
                        key=True):
                compiled = self.expr(path + ("data", key), value, scope, f"value of {key}")
                if compiled is not None:
                    record.append((key, compiled))
        return [Effect(kind=kind, target=owner, targets=targets, event=raw["event"], name=name,
                       record=tuple(record), **common)]

    def check_start(self, path: KeyPath, owner: str, raw: dict, event_doc: dict,
                    data_fields: dict) -> None:
        """A started instance begins in its workflow's initial status: the event must leave it, with
        its data."""
        initial = self.siblings[owner].get("initial")
        transitions = event_doc.get("transitions")
        if not isinstance(transitions, list):
            return  # the other workflow's own mistake, reported when it is checked
        sources = set()
        for tr in transitions:
            found = _mapping(tr).get("from")
            sources |= {found} if isinstance(found, str) \
                else {f for f in found if isinstance(f, str)} \
                if isinstance(found, list) else set()
        if isinstance(initial, str) and initial not in sources:
            self.error(path + ("event",),
                       f"event {raw['event']} of workflow {owner} cannot happen in {owner}'s "
                       f"initial status '{initial}', where a started instance begins",
                       f"start it with an event that leaves '{initial}'")
        given = raw.get("data") or {}
        for key, spec in data_fields.items():
            spec = _mapping(spec)
            if spec.get("required") and "default" not in spec and key not in given:
                self.error(path + ("data",) if "data" in raw else path + ("event",),
                           f"the {owner} event {raw['event']} requires data field '{key}', which "
                           "is not given",
                           f"add {key}: ... under data:")

    def called_query_owner(self, path: KeyPath, text: Any, compiled: Expr | None) -> str | None:
        try:
            call = ast.parse(str(text), mode="eval").body
        except SyntaxError:
            call = None
        name = call.func.id if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) \
            else None
        if name not in self.sigs:
            if compiled is not None:
                self.error(path,
                           "this needs a call to a declared query, e.g. "
                           "applications_on_case(case_number)",
                           _did_you_mean(str(name), self.sigs))
            return None
        return self.sigs[name].owner

    def check_set_literal(self, path: KeyPath, name: str, value: str, spec: FieldSpec) -> None:
        try:
            tree = ast.parse(value, mode="eval")
        except SyntaxError:
            return
        if isinstance(tree.body, ast.Constant) and isinstance(tree.body.value, str) and spec.list \
                in self.lists:
            allowed = self.lists[spec.list].values
            if tree.body.value not in allowed:
                self.error(path, f"'{tree.body.value}' is not a value of {name}",
                           _did_you_mean(tree.body.value, allowed))

    def who(self, path: KeyPath, raw: dict) -> Who:
        areas = tuple(raw.get("areas", ()))
        if "areas" in self.tables:
            for i, area in enumerate(areas):
                self.ref(path + ("areas", i), area, self.tables["areas"].rows,
                         "area (a row of the areas table)")
        if not areas and not raw.get("roles"):
            self.error(path, "`by:` needs `areas:` or `roles:`", code="schema", key=True)
        return Who(areas=areas, roles=tuple(raw.get("roles", ())), says=raw["says"],
                   source=raw.get("source", ""),
                   assumption=raw.get("assumption", ""), pos=self.position(path))

    @staticmethod
    def who_check(by: Who) -> str:
        parts = []
        if by.areas:
            parts.append(f"actor.area in {list(by.areas)!r}")
        if by.roles:
            parts.append(f"actor.role in {list(by.roles)!r}")
        return " or ".join(parts) or "true"
