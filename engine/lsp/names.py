"""The names of a folder of workflow and scenario documents: where each is declared and used.

A workflow declares statuses, events (with their data fields), intrays, letters, fields, lists
(with their values), queries (with their parameters), schedules and tables; its rules, the other
workflows of the folder and the scenarios use them by name. `index_folder` reads every use from
the documents as written (the model need not build: a document with mistakes is still indexed),
so that hover, go to definition, references and completion work while a file is being edited.
Pure functions: no I/O.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..spec.yamlsrc import Source, value_at
from .spans import Span, key_span, value_spans

SECTIONS = {  # a workflow's catalogues: section -> the kind of name it declares
    "statuses": "status", "events": "event", "intrays": "intray", "letters": "letter",
    "fields": "field", "lists": "list", "queries": "query", "schedules": "schedule",
    "tables": "table",
}
FUNCTIONS = {  # the functions an expression may call, as docs/language.md says them
    "len": "len(list): the number of entries of a list",
    "any": "any(condition for x in list): whether some entry passes",
    "all": "all(condition for x in list): whether every entry passes",
    "count": "count(list): the number of true values",
    "min": "min(a, b, ...) or min(x for x in list): the smallest",
    "max": "max(a, b, ...) or max(x for x in list): the largest",
    "date": "date(datetime): the date of a moment",
    "is_open": "is_open(CODE[, about]): whether an intray with this code is open",
    "opened_on": "opened_on(CODE[, about]): the date the open intray with this code was opened",
    "matches": "matches(value, 'PATTERN'): the whole text matches a regular expression",
    "lookup": "lookup('TABLE', key, 'COLUMN'): a cell of a declared table",
}
WORDS = frozenset({  # names an expression reads that no document declares
    "and", "or", "not", "in", "is", "None", "True", "False", "if", "else", "for", "today", "now",
    "status", "actor", "instance", "data", "field", "minute", "minutes", "hour", "hours", "day",
    "days",
    "week", "weeks", "true", "false", "null",
})
_TOKEN = re.compile(
    r"""'(?:[^'\\]|\\.)*'?|"(?:[^"\\]|\\.)*"?|(?<![\w.])(?:(data|field)\.)?([A-Za-z_]\w*)""")
_LOOP = re.compile(r"\bfor\s+([A-Za-z_]\w*)\s+in\b")
_CALL = re.compile(r"\s*([A-Za-z_]\w*)\s*\(")
_CODE_CALLS = {"is_open": "intray", "opened_on": "intray", "lookup": "table"}


@dataclass(frozen=True, slots=True)
class Name:
    """A declared name: what kind it is, the workflow that declares it, and its scope (the event of
    a data field, the list of a value, the query of a parameter)."""

    kind: str
    workflow: str
    name: str
    scope: str = ""


@dataclass(frozen=True, slots=True)
class Occurrence:
    name: Name
    span: Span
    defines: bool
    path: tuple  # the key path of the entry that declares it, or of the value that uses it


@dataclass
class Index:
    """Every declaration and use of the folder's names, by file."""

    # file -> its last document that loaded
    sources: dict[str, Source] = field(default_factory=dict)
    # file -> sorted by place
    occurrences: dict[str, list[Occurrence]] = field(default_factory=dict)
    definitions: dict[Name, Occurrence] = field(default_factory=dict)
    workflows: dict[str, str] = field(default_factory=dict)  # workflow name -> file
    queries: dict[str, str] = field(default_factory=dict)  # query name -> the workflow declaring it

    def at(self, file: str, line: int, col: int) -> Occurrence | None:
        """The name written at a cursor (1-based line and column)."""
        found = self.occurrences.get(file, [])
        i = bisect_right([(o.span.line, o.span.start) for o in found], (line, col))
        for o in reversed(found[max(0, i - 3):i]):
            if o.span.holds(line, col):
                return o
        return None

    def uses(self, name: Name) -> list[Occurrence]:
        return [o for found in self.occurrences.values() for o in found if o.name == name]

    def declared(self, workflow: str, kind: str, scope: str = "") -> list[Name]:
        return [n for n in self.definitions if n.workflow == workflow and n.kind == kind
                and (not scope or n.scope == scope)]

    def document(self, workflow: str) -> dict:
        file = self.workflows.get(workflow)
        data = self.sources[file].data if file in self.sources else None
        return data if isinstance(data, dict) else {}

    def query_owner(self, name: str) -> str | None:
        return self.queries.get(name)


def index_folder(sources: dict[str, Source]) -> Index:
    """The index of a folder's documents (workflows and scenarios, told apart by their top key)."""
    index = Index(sources=dict(sources))
    for file, src in sources.items():
        if isinstance(src.data, dict) and isinstance(src.data.get("workflow"), str) and "scenario" \
                not in src.data:
            index.workflows.setdefault(src.data["workflow"], file)
            for query in _dict(src.data.get("queries")):
                index.queries.setdefault(str(query), src.data["workflow"])
    for file, src in sources.items():
        if not isinstance(src.data, dict):
            continue
        reader = _ScenarioReader(index, src) if "scenario" in src.data \
            else _WorkflowReader(index, src)
        found = sorted(reader.read(), key=lambda o: (o.span.line, o.span.start))
        index.occurrences[file] = found
        for o in found:
            if o.defines:
                index.definitions.setdefault(o.name, o)
    return index


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> list[tuple[Any, Any]]:
    """A name or a list of names, with the key under which each is written."""
    if isinstance(value, list):
        return [(i, v) for i, v in enumerate(value) if isinstance(v, str)]
    return [((), value)] if isinstance(value, str) else []


class _Reader:
    def __init__(self, index: Index, src: Source):
        self.index, self.src = index, src
        self.found: list[Occurrence] = []

    def key(self, path: tuple, name: Name, defines: bool = False) -> None:
        span = key_span(self.src, path)
        if span is not None:
            self.found.append(Occurrence(name, span, defines, path))

    def value(self, path: tuple, name: Name, defines: bool = False) -> None:
        spans = value_spans(self.src, path)
        if spans:
            self.found.append(Occurrence(name, spans[0], defines, path))

    def values(self, path: tuple, raw: Any, make: Any) -> None:
        """References written as one name or a list of names; `make(name)` says what each names."""
        for sub, name in _names(raw):
            self.value(path + ((sub,) if sub != () else ()), make(name))

    def expression(self, path: tuple, workflow: str, event: str = "",
                   params: dict | None = None) -> None:
        """The names an expression reads: data fields of its event, then fields; parameters inside a
        query's where:; queries and functions where called; intray codes and tables in quotes."""
        doc = self.index.document(workflow)
        data = _dict(_dict(_dict(doc.get("events")).get(event)).get("data"))
        fields = _dict(doc.get("fields"))
        for span in value_spans(self.src, path):
            text = self.src.line_text(span.line)[span.start - 1:span.end - 1]
            loops = set(_LOOP.findall(text))
            for m in _TOKEN.finditer(text):
                start = span.start + m.start()
                # a quoted text: an intray code or a table, as a function's argument
                if m.group(2) is None:
                    called = re.search(r"([A-Za-z_]\w*)\s*\(\s*$", text[:m.start()])
                    kind = _CODE_CALLS.get(called.group(1)) if called else None
                    if kind and len(m.group(0)) > 2:
                        name = Name(kind, workflow, m.group(0)[1:-1])
                        self.found.append(Occurrence(name, Span(span.file, span.line, start + 1,
                                                                start + len(m.group(0)) - 1), False,
                                                     path))
                    continue
                word, explicit = m.group(2), m.group(1)
                if word in loops or (word in WORDS and not explicit):
                    continue
                name = self.classify(word, explicit, text[m.end():], workflow, event, data, fields,
                                     params)
                if name is not None:
                    begin = start + (len(explicit) + 1 if explicit else 0)
                    self.found.append(Occurrence(name, Span(span.file, span.line, begin,
                                                            begin + len(word)),
                                                 False, path))

    def classify(self, word: str, explicit: str | None, after: str, workflow: str, event: str,
                 data: dict,
                 fields: dict, params: dict | None) -> Name | None:
        if explicit == "data" or (not explicit and word in data):
            return Name("data", workflow, word, event)
        if params is not None and not explicit and word in params:
            return Name("param", workflow, word, params["__query__"])
        if explicit == "field" or word in fields:
            return Name("field", workflow, word)
        if after.lstrip().startswith("("):
            owner = self.index.query_owner(word)
            if owner is not None:
                return Name("query", owner, word)
            if word in FUNCTIONS:
                return Name("function", "", word)
        return Name("field", workflow, word)  # not declared: a use all the same (check says so)

    def call(self, path: tuple, workflow: str, event: str) -> str | None:
        """An `update:` or `signal:` call: the query it names, then its arguments; the query's
        owner."""
        raw = value_at(self.src.data, path)
        match = _CALL.match(raw) if isinstance(raw, str) else None
        self.expression(path, workflow, event)
        return self.index.query_owner(match.group(1)) if match else None


class _WorkflowReader(_Reader):
    """Declarations and uses in one workflow document."""

    def read(self) -> Iterator[Occurrence]:
        doc = self.src.data
        wf = doc.get("workflow")
        if not isinstance(wf, str):
            return iter(())
        self.wf = wf
        self.value(("workflow",), Name("workflow", "", wf), defines=True)
        for section, kind in SECTIONS.items():
            for name in _dict(doc.get(section)):
                self.key((section, name), Name(kind, wf, str(name)), defines=True)
        self.values(("initial",), doc.get("initial"), lambda n: Name("status", wf, n))
        for name, raw in _dict(doc.get("lists")).items():
            for i, value in enumerate(_dict(raw).get("values") or []):
                if isinstance(value, str):
                    self.value(("lists", name, "values", i), Name("value", wf, value, str(name)),
                               defines=True)
        for name, raw in _dict(doc.get("fields")).items():
            self.field_spec(("fields", name), _dict(raw))
        for name, raw in _dict(doc.get("intrays")).items():
            stays = _dict(_dict(raw).get("stays_open"))
            self.values(("intrays", name, "stays_open", "in"), stays.get("in"),
                        lambda n: Name("status", wf, n))
        for name, raw in _dict(doc.get("schedules")).items():
            self.values(("schedules", name, "event"), _dict(raw).get("event"),
                        lambda n: Name("event", wf, n))
        for name, raw in _dict(doc.get("queries")).items():
            self.query(str(name), _dict(raw))
        for name, raw in _dict(doc.get("events")).items():
            self.event(str(name), _dict(raw))
        return iter(self.found)

    def field_spec(self, path: tuple, raw: dict, event: str = "") -> None:
        self.values(path + ("list",), raw.get("list"), lambda n: Name("list", self.wf, n))
        self.values(path + ("locked_after",), raw.get("locked_after"),
                    lambda n: Name("event", self.wf, n))
        if "default" in raw and isinstance(raw["default"], str):
            self.expression(path + ("default",), self.wf, event)

    def query(self, name: str, raw: dict) -> None:
        path = ("queries", name)
        params = _dict(raw.get("params"))
        for param in params:
            self.key(path + ("params", param), Name("param", self.wf, str(param), name),
                     defines=True)
        for key, value in _dict(raw.get("match")).items():
            self.key(path + ("match", key), Name("field", self.wf, str(key)))
            if isinstance(value, str) and value in params:
                self.value(path + ("match", key), Name("param", self.wf, value, name))
        self.values(path + ("order_by",), raw.get("order_by"), lambda n: Name("field", self.wf, n))
        if isinstance(raw.get("where"), str):
            self.expression(path + ("where",), self.wf, params={**params, "__query__": name})

    def event(self, name: str, raw: dict) -> None:
        path = ("events", name)
        for field_name, spec in _dict(raw.get("data")).items():
            self.key(path + ("data", field_name), Name("data", self.wf, str(field_name), name),
                     defines=True)
            self.field_spec(path + ("data", field_name), _dict(spec), name)
        self.guards(path + ("guards",), raw.get("guards"), name)
        for i, transition in enumerate(raw.get("transitions") or []):
            if not isinstance(transition, dict):
                continue
            here = path + ("transitions", i)
            for key in ("from", "to"):
                self.values(here + (key,), transition.get(key),
                            lambda n: Name("status", self.wf, n))
            if isinstance(transition.get("when"), str):
                self.expression(here + ("when",), self.wf, name)
            self.guards(here + ("guards",), transition.get("guards"), name)
            for j, effect in enumerate(transition.get("effects") or []):
                if isinstance(effect, dict):
                    self.effect(here + ("effects", j), effect, name)

    def guards(self, path: tuple, raw: Any, event: str) -> None:
        for k, guard in enumerate(raw or []) if isinstance(raw, list) else ():
            if isinstance(guard, dict) and isinstance(guard.get("check"), str):
                self.expression(path + (k, "check"), self.wf, event)

    def effect(self, path: tuple, raw: dict, event: str) -> None:
        wf = self.wf
        # open: CODE with assign: who (an expression); else assign: CODE, to: who
        routed = "open" in raw
        for key in ("open", "close") + (() if routed else ("assign",)):
            self.values(path + (key,), raw.get(key), lambda n: Name("intray", wf, n))
        self.values(path + ("letter",), raw.get("letter"), lambda n: Name("letter", wf, n))
        self.values(path + ("number",), raw.get("number"), lambda n: Name("field", wf, n))
        for key in ("if", "due", "about") \
                + (("assign",) if routed else ("to",) if "assign" in raw else ()):
            if isinstance(raw.get(key), str):
                self.expression(path + (key,), wf, event)
        target = wf
        if isinstance(raw.get("update"), str):
            target = self.call(path + ("update",), wf, event) or wf
        for name, value in _dict(raw.get("set")).items():
            self.key(path + ("set", name), Name("field", target, str(name)))
            if isinstance(value, str):
                self.expression(path + ("set", name), wf, event)
        for name, record in _dict(raw.get("append")).items():
            self.key(path + ("append", name), Name("field", wf, str(name)))
            for rf, value in _dict(record).items():
                if isinstance(value, str):
                    self.expression(path + ("append", name, rf), wf, event)
        other = None
        if isinstance(raw.get("start"), str):
            other = raw["start"]
            self.value(path + ("start",), Name("workflow", "", other))
        elif isinstance(raw.get("signal"), str):
            other = self.call(path + ("signal",), wf, event)
        if other is not None and isinstance(raw.get("event"), str):
            self.value(path + ("event",), Name("event", other, raw["event"]))
            for key, value in _dict(raw.get("data")).items():
                self.key(path + ("data", key), Name("data", other, str(key), raw["event"]))
                if isinstance(value, str):
                    self.expression(path + ("data", key), wf, event)


class _ScenarioReader(_Reader):
    """Uses in one scenario file: its workflows, events and their data, what it expects."""

    def read(self) -> Iterator[Occurrence]:
        doc = self.src.data
        main = doc.get("workflow") if isinstance(doc.get("workflow"), str) else None
        if main:
            self.value(("workflow",), Name("workflow", "", main))
        cases: dict[str, str | None] = {"main": main}
        for i, step in enumerate(doc.get("steps") or []):
            if not isinstance(step, dict):
                continue
            path = ("steps", i)
            case = step.get("instance") if isinstance(step.get("instance"), str) else "main"
            if isinstance(step.get("workflow"), str):
                cases[case] = step["workflow"]
                self.value(path + ("workflow",), Name("workflow", "", step["workflow"]))
            wf = cases.get(case) or ""
            self.step(path, step, wf)
        return iter(self.found)

    def step(self, path: tuple, step: dict, wf: str) -> None:
        event = step.get("event")
        if isinstance(event, str):
            self.value(path + ("event",), Name("event", wf, event))
            for key in _dict(step.get("data")):
                self.key(path + ("data", key), Name("data", wf, str(key), event))
        if isinstance(step.get("query"), str):
            query = step["query"]
            self.value(path + ("query",), Name("query", self.index.query_owner(query) or wf, query))
        expect = _dict(step.get("expect"))
        here = path + ("expect",)
        self.values(here + ("status",), expect.get("status"), lambda n: Name("status", wf, n))
        for key in ("fields",):
            for name in _dict(expect.get(key)):
                self.key(here + (key, name), Name("field", wf, str(name)))
        for key in ("intrays", "opened", "closed"):
            codes = expect.get(key)
            if isinstance(codes, dict):
                for code in codes:
                    self.key(here + (key, code), Name("intray", wf, str(code)))
            else:
                self.values(here + (key,), codes, lambda n: Name("intray", wf, n))
        self.values(here + ("overdue",), expect.get("overdue"), lambda n: Name("intray", wf, n))
        for key in ("allowed", "not_allowed"):
            self.values(here + (key,), expect.get(key), lambda n: Name("event", wf, n))
        for k, letter in enumerate(expect.get("letters") or []) \
                if isinstance(expect.get("letters"), list) else ():
            if isinstance(letter, str):
                self.value(here + ("letters", k), Name("letter", wf, letter))
            elif isinstance(letter, dict) and isinstance(letter.get("code"), str):
                self.value(here + ("letters", k, "code"), Name("letter", wf, letter["code"]))
