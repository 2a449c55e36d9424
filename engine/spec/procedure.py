"""Reading a workflow's `procedure:` catalogue (the text's tables and steps), the citations it
writes, and the other workflows it needs, for the workflow builder (see build)."""
from __future__ import annotations

import re
from typing import Any

from ..model import Procedure, ProcedureStep, ProcedureTable
from .effects import _mapping
from .yamlsrc import KeyPath, Source


class ProcedureReader:
    """The procedure text of a workflow document, read for the workflow builder, whose methods
    (error, position) and document (src, siblings, sigs) these use."""

    src: Source
    siblings: dict[str, Any]  # the folder's workflow documents, by workflow name
    sigs: dict[str, Any]

    def procedure(self, raw: dict) -> Procedure:
        """`procedure:`: the text's tables, each listed once, its steps numbered 1, 2, 3 ... as in
        the text."""
        path: KeyPath = ("procedure",)
        document = raw["document"]
        if not re.fullmatch(r"[A-Z][A-Za-z]*", document):
            self.error(path + ("document",),
                       f"'{document}' is not a document prefix as citations write it",
                       "a capital letter, then letters: COA, as in 'COA Table 4 Step 7'",
                       code="schema")
        tables: list[ProcedureTable] = []
        first_line: dict[int, int] = {}
        for i, raw_table in enumerate(raw["tables"]):
            tpath = path + ("tables", i)
            number = raw_table["table"]
            if number in first_line:
                self.error(tpath + ("table",),
                           f"Table {number} is listed twice (first at line {first_line[number]})",
                           "list each table of the text once")
                continue
            first_line[number] = self.src.pos(tpath + ("table",))[0]
            rows = raw_table.get("rows", "Step")
            steps: dict[int, ProcedureStep] = {}
            for key, heading in raw_table["steps"].items():
                spath = tpath + ("steps", key)
                n = int(key)  # the schema admits only digits
                if n < 1:
                    self.error(spath,
                               f"{rows} {key} of Table {number}: steps are numbered from 1, "
                               "as in the text",
                               key=True)
                elif n in steps:
                    self.error(spath,
                               f"{rows} {n} of Table {number} is listed twice (first at line "
                               f"{steps[n].pos[1] if steps[n].pos else '?'})",
                               f"each {rows.lower()} once", key=True)
                else:
                    steps[n] = ProcedureStep(number=n, heading=heading, pos=self.position(spath))
            missing = sorted(set(range(1, max(steps, default=0) + 1)) - set(steps))
            if missing:
                self.error(tpath + ("steps",),
                           f"Table {number} skips {rows} {', '.join(map(str, missing))}",
                           f"list every {rows.lower()} of the table as the text numbers them",
                           key=True)
            columns = tuple(raw_table.get("columns", (rows, "Action")))
            tables.append(ProcedureTable(
                number=number, title=raw_table["title"],
                steps=tuple(steps[n] for n in sorted(steps)),
                start=raw_table.get("start", ""), rows=rows, columns=(columns[0], columns[1]),
                pos=self.position(tpath)))
        return Procedure(document=document, title=raw["title"], tables=tuple(tables),
                         purpose=raw.get("purpose", ""),
                         elsewhere=self.catalogued_elsewhere(document),
                         pos=self.position(path))

    def catalogued_elsewhere(self, document: str) -> tuple[tuple[int, tuple[int, ...], str], ...]:
        """The tables of `document` the folder's other workflows catalogue, read defensively."""
        me = str(self.src.data.get("workflow"))
        found = []
        for name, other in sorted(self.siblings.items()):
            raw = _mapping(_mapping(other).get("procedure"))
            if name == me or raw.get("document") != document \
                    or not isinstance(raw.get("tables"), list):
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
            if not path or path[-1] \
                    != "source" or (len(path) > 1 and path[-2] in ("set", "data", "match")):
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
                needed |= {e["start"] for e in tr.get("effects")
                           or [] if isinstance(e, dict) and "start" in e}
        return frozenset(needed - {me})
