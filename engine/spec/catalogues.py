"""Reading a workflow's catalogues (choice lists, statuses, intrays, letters and lookup tables) for
the workflow builder (see build)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..clock import duration_words, parse_duration
from ..findings import did_you_mean as _did_you_mean
from ..model import ChoiceList, IntrayType, LetterType, Status, Table
from ..values import ValueProblem, coerce
from .yamlsrc import KeyPath


class CatalogueReader:
    """The catalogues of a workflow document, read for the workflow builder, whose methods (error,
    ref, position, field_spec) these use; `lists` and `statuses` are read first, for the others."""

    lists: dict[str, ChoiceList]
    statuses: dict[str, Status]

    def read_lists(self, doc: dict) -> dict[str, ChoiceList]:
        lists = {
            n: ChoiceList(name=n, values=tuple(v["values"]), aliases=dict(v.get("aliases", {})),
                          source=v.get("source", ""), assumption=v.get("assumption", ""),
                          pos=self.position(("lists", n)))
            for n, v in doc.get("lists", {}).items()
        }
        for n, lst in lists.items():
            for alias, value in lst.aliases.items():
                self.ref(("lists", n, "aliases", alias), value, lst.values, f"value of list {n}")
        return lists

    def read_statuses(self, doc: dict) -> dict[str, Status]:
        return {
            n: Status(name=n, description=v.get("description", ""),
                      final=bool(v.get("final", False)), group=v.get("group", ""),
                      aliases=tuple(v.get("aliases", ())),
                      source=v["source"], assumption=v.get("assumption", ""),
                      pos=self.position(("statuses", n)))
            for n, v in doc["statuses"].items()
        }

    def read_letters(self, doc: dict) -> dict[str, LetterType]:
        return {code: LetterType(code=code, title=v["title"], source=v["source"],
                                 assumption=v.get("assumption", ""),
                                 pos=self.position(("letters", code)))
                for code, v in doc.get("letters", {}).items()}

    def read_intrays(self, doc: dict) -> dict[str, IntrayType]:
        intrays = {}
        for code, v in doc.get("intrays", {}).items():
            due, due_text = self.due(code, v["due"]) if "due" in v else (None, "")
            intrays[code] = IntrayType(
                code=code, name=v["name"], due=due, due_text=due_text, source=v["source"],
                assumption=v.get("assumption", ""), pos=self.position(("intrays", code)),
                stays_open=self.stays_open(code, v.get("stays_open")))
        return intrays

    def due(self, code: str, raw: Any) -> tuple[Any, str]:
        """An intray's `due:` period and its words; (None, "") where it is not a period."""
        path: KeyPath = ("intrays", code, "due")
        try:
            due, due_text = parse_duration(raw), duration_words(raw)
        except ValueError as exc:
            self.error(path, str(exc), code="schema")
            return None, ""
        except OverflowError:
            self.error(path, f"'{raw}' is too long a period to count", code="schema")
            return None, ""
        if due > datetime.max - datetime.min:
            self.error(path, f"a due period of {due.days:,} days: no date of the calendar "
                       "(years 1 to 9999) is that far from another, so every intray would be "
                       "refused",
                       "give the period the procedure states, e.g. 7d or 48h", code="schema")
            return None, due_text
        return due, due_text

    def stays_open(self, code: str, stays: dict | None) -> tuple | None:
        """An intray's `stays_open:`: (the final statuses it may be left open in, why, where)."""
        if stays is None:
            return None
        for i, status in enumerate(stays.get("in", ())):
            path: KeyPath = ("intrays", code, "stays_open", "in", i)
            if self.ref(path, status, self.statuses, "status") and not self.statuses[status].final:
                self.error(path, f"status '{status}' is not final",
                           "stays_open names the final statuses an intray may be left open in")
        return (tuple(stays.get("in", ())), stays["assumption"],
                self.position(("intrays", code, "stays_open")))

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
                self.error(rpath + (key,), f"the {key} of row {i + 1} of table '{name}' must be a "
                           "text or a number", code="schema")
                continue
            if row[key] in rows:
                self.error(rpath + (key,), f"table '{name}' has two rows '{row[key]}'")
            rows[row[key]] = self.row(name, rpath, row, key, known)
            notes[row[key]] = (str(row.get("source", "")), str(row.get("assumption", "")),
                               self.position(rpath))
        return Table(name=name, key=key, columns=columns, rows=rows, row_notes=notes,
                     title=raw.get("title", ""), source=raw["source"],
                     assumption=raw.get("assumption", ""), pos=self.position(path))

    def row(self, name: str, path: KeyPath, row: dict, key: str, known: dict) -> dict[str, Any]:
        """A table row's values, each checked against its column; a column it leaves out is None."""
        values = {}
        for col, value in row.items():
            if col in (key, "source", "assumption"):
                continue
            if col not in known:
                self.error(path + (col,), f"table '{name}' has no column '{col}'",
                           _did_you_mean(col, known) or f"its columns are {', '.join(known)}",
                           key=True, code="schema")
                continue
            try:
                values[col] = coerce(known[col], value, self.lists)
            except ValueProblem as exc:
                self.error(path + (col,), str(exc), code="schema")
        for col in known:
            values.setdefault(col, None)
        return values
