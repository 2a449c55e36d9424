"""Where a key or a scalar of a loaded document was written, as spans of its lines.

yamlsrc records where each value starts; an editor needs where it ends too (to underline a name,
to know whether the cursor is on it). These functions read that from the document's own lines.
Pure functions: no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..spec.yamlsrc import Source, value_at

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """One line's stretch of a file: 1-based line, 1-based start column, end column exclusive."""

    file: str
    line: int
    start: int
    end: int

    def holds(self, line: int, col: int) -> bool:
        """Whether the cursor (1-based) is on this span or just after its last character."""
        return line == self.line and self.start <= col <= self.end


def _quoted_end(text: str, start: int) -> int:
    """The index just past the closing quote of the quoted scalar opening at `start` (or the
    end)."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        if quote == '"' and text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if quote == "'" and text[i + 1:i + 2] == "'":
                i += 2
                continue
            return i + 1
        i += 1
    return len(text)


def _plain_end(text: str, start: int, flow: bool, key: bool) -> int:
    """The index just past a plain scalar starting at `start` on this line."""
    end = len(text)
    for stop in ([",", "]", "}"] if flow else []) + [" #"] + ([": ", ":\t"] if key else []):
        found = text.find(stop, start)
        if found != -1:
            end = min(end, found)
    if key and text.rstrip().endswith(":") and end == len(text):
        end = len(text.rstrip()) - 1
    return len(text[:end].rstrip())


def key_span(src: Source, path: tuple) -> Span | None:
    """The span of the key that introduces `path` (None for list items and the root)."""
    found = src.positions.get(path)
    if found is None or not path or isinstance(path[-1], int):
        return None
    line, col = found[2], found[3]
    text = src.line_text(line)
    start = col - 1
    if start >= len(text):
        return None
    end = _quoted_end(text, start) if text[start] in "\"'" \
        else _plain_end(text, start, _in_flow(src, path), True)
    return Span(src.file, line, col, end + 1)


def _in_flow(src: Source, path: tuple) -> bool:
    parent = src.positions.get(path[:-1])
    if parent is None:
        return False
    text = src.line_text(parent[0])
    return parent[1] - 1 < len(text) and text[parent[1] - 1] in "[{"


def value_spans(src: Source, path: tuple) -> list[Span]:
    """The spans of a scalar value's text, inside its quotes (several lines for a block or folded
    scalar, or a plain scalar continued on the next lines)."""
    found = src.positions.get(path)
    if found is None:
        return []
    line, col = found[0], found[1]
    text = src.line_text(line)
    start = col - 1
    if start >= len(text):
        return []
    first = text[start]
    if first in "\"'":
        return [Span(src.file, line, col + 1, _quoted_end(text, start))]
    if first in "|>":
        return _block_spans(src, line)
    flow = _in_flow(src, path)
    end = _plain_end(text, start, flow, False)
    spans = [Span(src.file, line, col, end + 1)]
    value = value_at(src.data, path)
    if flow or not isinstance(value, str):
        return spans
    # a plain scalar continued on more-indented lines: its words run on until the value is covered
    covered = len(text[start:end].split())
    words = len(value.split())
    indent = len(text) - len(text.lstrip())
    nxt = line + 1
    while covered < words and nxt <= line + 50:
        more = src.line_text(nxt)
        lead = len(more) - len(more.lstrip())
        if not more.strip() or lead <= indent:
            break
        stop = _plain_end(more, lead, False, False)
        spans.append(Span(src.file, nxt, lead + 1, stop + 1))
        covered += len(more[lead:stop].split())
        nxt += 1
    return spans


def _block_spans(src: Source, line: int) -> list[Span]:
    spans: list[Span] = []
    head = src.line_text(line)
    outer = len(head) - len(head.lstrip())
    inner = None
    nxt, total = line + 1, src.text.count("\n") + 1
    while nxt <= total:
        text = src.line_text(nxt)
        if text.strip():
            lead = len(text) - len(text.lstrip())
            if lead <= outer or (inner is not None and lead < inner):
                break
            inner = lead if inner is None else inner
            spans.append(Span(src.file, nxt, lead + 1, len(text.rstrip()) + 1))
        nxt += 1
    return spans


def span_at(src: Source, line: int, col: int) -> Span:
    """The word (or the whole plain scalar starting here) a finding at (line, col) points to: the
    range an editor underlines. At least one character."""
    text = src.line_text(line)
    start = max(col - 1, 0)
    if start < len(text) and text[start] in "\"'":
        return Span(src.file, line, col, _quoted_end(text, start) + 1)
    match = _IDENT.match(text, start) if start < len(text) else None
    if match is None:
        return Span(src.file, line, col, col + 1)
    end = match.end()
    # a plain scalar of several words written at this place (a status such as 'Poss Refusal')
    for path, found in src.positions.items():
        if found[0] == line and found[1] == col and isinstance(value_at(src.data, path), str):
            end = max(end, _plain_end(text, start, _in_flow(src, path), False))
            break
        if path and found[2] == line and found[3] == col and not isinstance(path[-1], int):
            end = max(end, _plain_end(text, start, _in_flow(src, path), True))
            break
    return Span(src.file, line, col, end + 1)
