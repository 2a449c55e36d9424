"""The part of a workflow document the schema accepts, so that one run of `check` says everything.

A part with a schema error (an effect of the wrong form, a value of the wrong type) is set aside
with its own finding, and the rest is checked for its references, guards and effects as if the
part were not there. A misspelt key is read as the key it evidently means (`requried:` as
`required:`, `txt:` as a missing `title:`), and a missing key that only says something (a
`source:`, a guard's `says:`) is stood in for, so that their entry is still checked.
Pure functions: no I/O.
"""
from __future__ import annotations

import copy
from typing import Any

from .schema import meant_keys, workflow_errors
from .yamlsrc import Source, value_at

MAX_ROUNDS = 8  # setting a part aside can leave its parent incomplete: that is set aside next
# required, but only say something
TEXT_KEYS = frozenset({"source", "title", "says", "name", "description"})
STAND_IN = "(missing)"


def accepted_part(src: Source) -> tuple[Source, set[tuple]] | None:
    """A copy of the document as the schema accepts it, with the positions of what is left, and the
    key paths set aside; None when nothing the schema accepts is left (no workflow at all)."""
    data = copy.deepcopy(src.data)
    positions = dict(src.positions)
    for path, key in _renames(workflow_errors(data)).items():
        _rename(data, positions, path, key)
    for path, text in _fills(workflow_errors(data)).items():
        parent = value_at(data, path[:-1])
        if isinstance(parent, dict):
            parent[path[-1]] = text
    dropped: set[tuple] = set()
    errors = workflow_errors(data)
    for _ in range(MAX_ROUNDS):
        if not errors:
            return Source(src.file, src.text, data, positions), dropped
        parts = _parts(errors)
        if not parts or () in parts:
            return None
        for path in sorted(parts, key=_deepest_and_last_first):
            if _remove(data, positions, path):
                dropped.add(path)
        errors = workflow_errors(data)
    return None


def _renames(errors: list[Any]) -> dict[tuple, str]:
    """Unknown keys read as the key they evidently mean: key path -> the key meant."""
    found = {}
    for error in errors:
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            path = tuple(error.absolute_path)
            for key, meant in meant_keys(error.instance, error.schema).items():
                found[path + (key,)] = meant
    return found


def _fills(errors: list[Any]) -> dict[tuple, str]:
    """Missing required keys that only say something, each with a stand-in: key path -> stand-in."""
    found = {}
    for error in errors:
        if error.validator == "required" and isinstance(error.instance, dict):
            for key in error.validator_value:
                if key in TEXT_KEYS and key not in error.instance:
                    found[tuple(error.absolute_path) + (key,)] = STAND_IN
    return found


def _parts(errors: list[Any]) -> set[tuple]:
    """The key paths to set aside: an unknown key alone; any other error's value as a whole."""
    parts = set()
    for error in errors:
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            parts.update(path + (key,) for key in error.instance if key not in allowed)
        else:
            parts.add(path)
    return parts


def _deepest_and_last_first(path: tuple) -> tuple:
    # later list items go first, so that the indices of the earlier ones stay right
    return (-len(path), tuple(-p if isinstance(p, int) else 0 for p in path))


def _rename(data: Any, positions: dict, path: tuple, new: str) -> None:
    parent = value_at(data, path[:-1])
    if not isinstance(parent, dict) or path[-1] not in parent or new in parent:
        return
    parent[new] = parent.pop(path[-1])
    target = path[:-1] + (new,)
    for key in [p for p in positions if p[:len(path)] == path]:
        positions[target + key[len(path):]] = positions.pop(key)


def _remove(data: Any, positions: dict, path: tuple) -> bool:
    parent = value_at(data, path[:-1])
    last = path[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        for key in [p for p in positions if p[:len(path)] == path]:
            del positions[key]
        return True
    if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        del parent[last]
        depth = len(path) - 1
        moved = {}
        for key in list(positions):
            if key[:depth] == path[:-1] and len(key) \
                    > depth and isinstance(key[depth], int) and key[depth] >= last:
                value = positions.pop(key)
                if key[depth] > last:
                    moved[key[:depth] + (key[depth] - 1,) + key[depth + 1:]] = value
        positions.update(moved)
        return True
    return False  # already set aside with an ancestor
