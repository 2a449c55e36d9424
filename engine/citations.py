"""Citations of the procedure text: `source: COA Table 4 Step 7, Table 5 Steps 2-4` as step keys.

A rule's `source:` names the places of the procedure it implements. `parse()` reads the forms the
workflows use: a document prefix (`COA`, `CMA`), then tables with steps or items, lists and ranges
(`Steps 2, 4`, `Steps 2-4`, `Tables 2-4`), several citations separated by commas; a later table
without a prefix belongs to the document before it. What is not a table citation (`CMA
introduction`) is kept as a label. Pure functions: no I/O.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# tables and steps are numbered below 1000: a longer number is not a citation
_NUM = r"\d{1,3}(?!\d)"
_NUMS = rf"{_NUM}(?:\s*-\s*{_NUM})?(?:\s*,\s*{_NUM}(?:\s*-\s*{_NUM})?)*"
_CITE = re.compile(
    rf"(?:(?P<doc>[A-Z][A-Za-z]*)\s+)?(?:procedure,\s+)?Tables?\s+(?P<tables>{_NUMS})"
    rf"(?:\s+(?P<kind>Steps?|Items?)\s+(?P<steps>{_NUMS}))?"
)


@dataclass(frozen=True, order=True, slots=True)
class Place:
    """One table, or one step (item) of a table, of a procedure document."""

    doc: str
    table: int
    step: int | None = None  # None: the table as a whole
    # what the document calls its rows: Step or Item
    kind: str = field(default="Step", compare=False)

    def __str__(self) -> str:
        where = f"{self.doc} Table {self.table}" if self.doc else f"Table {self.table}"
        return where if self.step is None else f"{where} {self.kind} {self.step}"


@dataclass(frozen=True, slots=True)
class Citation:
    places: tuple[Place, ...]
    labels: tuple[str, ...]  # the parts that cite no table ("CMA introduction")


def _numbers(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            lo, hi = (int(x) for x in part.split("-"))
            out.extend(range(lo, hi + 1))
        elif part:
            out.append(int(part))
    return out


def parse(source: str, default_doc: str = "") -> Citation:
    """The places and labels a `source:` text cites; `default_doc` for a table with no prefix."""
    places: list[Place] = []
    labels: list[str] = []
    doc = default_doc
    pos = 0
    for m in _CITE.finditer(source):
        rest = source[pos:m.start()].strip(" ,;")
        if rest:
            labels.append(rest)
        pos = m.end()
        if m.group("doc") and m.group("doc") not in ("Table", "Tables"):
            doc = m.group("doc")
        tables = _numbers(m.group("tables"))
        steps = _numbers(m.group("steps")) if m.group("steps") else []
        kind = "Item" if (m.group("kind") or "").startswith("Item") else "Step"
        for t in tables:
            if steps:
                places.extend(Place(doc, t, s, kind) for s in steps)
            else:
                places.append(Place(doc, t))
    rest = source[pos:].strip(" ,;")
    if rest:
        labels.append(rest)
    return Citation(tuple(dict.fromkeys(places)), tuple(labels))


def covers(place: Place, cited: Place) -> bool:
    """Does a citation of `cited` implement `place`? A whole table covers each of its steps."""
    return (place.doc, place.table) == (cited.doc, cited.table) and (
        cited.step is None or cited.step == place.step)


def number_runs(numbers: Iterable[int]) -> list[str]:
    """Consecutive numbers collapsed into runs: 1, 2, 3, 5 as ['1-3', '5']."""
    runs: list[tuple[int, int]] = []
    for n in numbers:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    return [f"{a}-{b}" if b > a else str(a) for a, b in runs]
