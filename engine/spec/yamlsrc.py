"""YAML documents as plain Python values, with the line and column of every key and value."""
from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import yaml

from ..controls import control_in
from ..findings import DefinitionError, Finding

# key path into the document, e.g. ("events", "finalise", "transitions", 0, "to")
KeyPath = tuple[str | int, ...]
Position = tuple[int, int, int, int]  # (line, col, key_line, key_col), 1-based

MAX_BYTES = 5 * 1024 * 1024  # documents larger than this are refused
MAX_DEPTH = 100  # deeper nesting than this is refused
MAX_FINDINGS = 50  # stop reading after this many problems

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null")}
_SEQ_TAG, _MAP_TAG = _STD + "seq", _STD + "map"

_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")  # plain: no leading zeros, so '0800' stays text
_INT_TAGGED = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_FLOAT_TAGGED = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def content_version(text: str) -> str:
    """The version of a workflow document: a hash of its (decoded) text, as the builder gives it."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass
class Source:
    """A loaded document: its text, its plain value, and where each path of it was written."""

    file: str  # the file name as given (for messages)
    text: str
    data: Any  # plain Python: dict / list / str / int / float / bool / None
    positions: dict[KeyPath, Position] = field(default_factory=dict)

    def pos(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Where `path` was written (its key with key=True); the nearest known ancestor
        otherwise."""
        path = tuple(path)
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return (found[2], found[3]) if key else (found[0], found[1])
        return (1, 1)

    def line_text(self, line: int) -> str:
        """The text of a 1-based line as the user wrote it (without its line break)."""
        return self._lines[line - 1] if 1 <= line <= len(self._lines) else ""

    @cached_property
    def _lines(self) -> list[str]:
        return _LINE_BREAK.split(self.text)


class _Stop(Exception):
    """Reading cannot usefully go on (too many findings, or a second document)."""


_NO_KEY = object()  # a mapping is waiting for its next key


@dataclass
class _Frame:
    kind: str  # "map" | "seq"
    value: dict | list
    path: KeyPath
    record: bool  # positions are recorded (False inside a discarded value)
    as_key: bool = False  # this collection was (wrongly) used as a mapping key
    key: Any = _NO_KEY  # the key waiting for its value
    key_mark: tuple[int, int] = (1, 1)
    discard: bool = False  # the waiting key's value is dropped (duplicate or bad key)
    first_lines: dict = field(default_factory=dict)  # key -> the line it was first defined on


class _SourceBuilder:
    """Builds plain values from the parser's events, recording positions; never expands an alias."""

    def __init__(self, src: Source):
        self.src = src
        self.findings: list[Finding] = []
        self.stack: list[_Frame] = []
        self.documents = 0
        self.alias_lines: set[int] = set()  # lines already reported for an anchor or alias
        self.root_seen = False
        self.root_empty = False

    # -- findings
    def problem(self, line: int, col: int, message: str, hint: str = "") -> None:
        self.findings.append(Finding(self.src.file, line, col, message, code="yaml",
                                     severity="error", hint=hint))
        if len(self.findings) >= MAX_FINDINGS:
            raise _Stop

    def problem_at(self, event: Any, message: str, hint: str = "") -> None:
        self.problem(event.start_mark.line + 1, event.start_mark.column + 1, message, hint)

    # -- the event loop
    def run(self, events: Iterator[Any]) -> None:
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                self.documents += 1
                if self.documents > 1:
                    self.problem_at(event, "the file holds more than one YAML document",
                                    "a line '---' starts a new document: remove it, or "
                                    "split the file")
                    raise _Stop
            elif isinstance(event, yaml.ScalarEvent):
                self.scalar(event)
            elif isinstance(event, yaml.AliasEvent):
                self.alias(event)
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                self.start(event)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                self.end()

    def no_alias(self, event: Any, hint: str) -> None:
        """Report an anchor or alias, once per line (an alias bomb has hundreds on a few lines)."""
        line = event.start_mark.line + 1
        if line not in self.alias_lines:
            self.alias_lines.add(line)
            self.problem_at(event, "anchors and aliases are not allowed", hint)

    def check_node(self, event: Any) -> None:
        if event.anchor is not None:
            self.no_alias(event, f"write the value out instead of naming it '&{event.anchor}'")
        tag = event.tag
        if tag is None:
            return
        if isinstance(event, yaml.ScalarEvent):
            allowed = tag in _SCALAR_TAGS
        elif isinstance(event, yaml.SequenceStartEvent):
            allowed = tag == _SEQ_TAG
        else:
            allowed = tag == _MAP_TAG
        if not allowed:
            shown = "!!" + tag[len(_STD):] if tag.startswith(_STD) else tag
            self.problem_at(event, f"tags are not allowed ('{shown}')",
                            "remove the tag; write the value plainly, or in quotes for text")

    def place(self, event: Any) -> tuple[KeyPath, bool, tuple[int, int],
                                         Callable[[Any], None]] | None:
        """Where the node of `event` goes: (path, record, key mark, attach); None when it is a
        key."""
        mark = (event.start_mark.line + 1, event.start_mark.column + 1)
        if not self.stack:
            if self.root_seen:  # pragma: no cover - the parser allows one root per document
                raise _Stop
            self.root_seen = True
            return (), True, mark, self.set_root
        top = self.stack[-1]
        if len(self.stack) >= MAX_DEPTH:
            self.problem(*mark, f"the document is nested more than {MAX_DEPTH} levels deep")
            raise _Stop
        if top.kind == "seq":
            return top.path + (len(top.value),), top.record, mark, top.value.append
        if top.key is _NO_KEY:
            return None
        key, key_mark, record = top.key, top.key_mark, top.record and not top.discard
        top.key, top.discard = _NO_KEY, False
        if not record:
            return top.path + (key,), False, key_mark, _ignore
        mapping = top.value
        return top.path + (key,), True, key_mark, lambda value: mapping.__setitem__(key, value)

    def set_root(self, value: Any) -> None:
        self.src.data = value

    def scalar(self, event: yaml.ScalarEvent) -> None:
        self.check_node(event)
        placed = self.place(event)
        if placed is None:
            self.map_key(event)
            return
        path, record, key_mark, attach = placed
        value = self.resolve(event)
        if path == () and value is None and event.tag is None and event.implicit[0] \
                and event.value == "":
            self.root_empty = True
        attach(value)
        if record:
            self.src.positions[path] = (event.start_mark.line + 1, event.start_mark.column + 1,
                                        *key_mark)

    def alias(self, event: yaml.AliasEvent) -> None:
        self.no_alias(event, f"write the value out instead of referring to '*{event.anchor}'")
        placed = self.place(event)
        if placed is None:
            top = self.stack[-1]
            top.key, top.discard = object(), True
        else:
            placed[3](None)

    def start(self, event: Any) -> None:
        self.check_node(event)
        kind = "map" if isinstance(event, yaml.MappingStartEvent) else "seq"
        container: dict | list = {} if kind == "map" else []
        placed = self.place(event)
        if placed is None:
            self.problem_at(event, "a key must be a single word or phrase, not a list or mapping",
                            "check the indentation, or put the key in quotes")
            self.stack.append(_Frame(kind, container, self.stack[-1].path, record=False,
                                     as_key=True))
            return
        path, record, key_mark, attach = placed
        attach(container)
        if record:
            self.src.positions[path] = (event.start_mark.line + 1, event.start_mark.column + 1,
                                        *key_mark)
        self.stack.append(_Frame(kind, container, path, record=record))

    def end(self) -> None:
        frame = self.stack.pop()
        if frame.as_key:
            parent = self.stack[-1]
            parent.key, parent.discard = object(), True

    def controls(self, event: yaml.ScalarEvent) -> None:
        """A control character written as an escape ("\\0", "\\e", "\\x1b") is a finding: it would
        reach a terminal, a diagram or a page (raw ones are refused with the file, see
        _NOT_PRINTABLE)."""
        found = control_in(event.value)
        if found:
            self.problem_at(event, f"a control character ({found}) in text is not allowed",
                            "remove the escape: control characters (other than tab and newline) "
                            "would reach terminals, diagrams and documents")

    def map_key(self, event: yaml.ScalarEvent) -> None:
        self.controls(event)
        top = self.stack[-1]
        line, col = event.start_mark.line + 1, event.start_mark.column + 1
        top.key, top.key_mark, top.discard = object(), (line, col), True
        text = event.value
        plain = event.tag is None and event.implicit[0]
        if plain and text == "<<":
            self.problem(line, col, "merge keys ('<<') are not allowed",
                         "write the keys out in full")
            return
        if plain and text == "":
            self.problem(line, col, "a key is missing before ':'")
            return
        key: str | int = int(text) if plain and _INT.fullmatch(text) else text
        first = top.first_lines.get(key)
        if first is not None:
            self.problem(line, col, f"duplicate key '{key}' (first defined at line {first})",
                         "each key may appear once in a mapping: remove or rename one of them")
            return
        top.first_lines[key] = line
        top.key, top.discard = key, False

    def resolve(self, event: yaml.ScalarEvent) -> Any:
        """The value of a scalar: YAML 1.2 core for plain scalars, but dates and yes/no stay
        text."""
        text, tag = event.value, event.tag
        self.controls(event)
        if tag is None:
            if not event.implicit[0]:  # quoted or block scalar
                return text
            if text in _NULL:
                return None
            if text in _BOOL:
                return _BOOL[text]
            if _INT.fullmatch(text):
                return _to_int(text)
            if _FLOAT.fullmatch(text):
                return float(text)
            return text
        kind = tag[len(_STD):] if tag.startswith(_STD) else ""
        if kind == "int" and _INT_TAGGED.fullmatch(text):
            return _to_int(text)
        if kind == "float" and _FLOAT_TAGGED.fullmatch(text):
            return float(text)
        if kind == "bool" and text in _BOOL:
            return _BOOL[text]
        if kind == "null" and text in _NULL:
            return None
        if kind in ("int", "float", "bool", "null"):
            word = {"int": "an integer", "float": "a number", "bool": "true or false",
                    "null": "empty"}[kind]
            self.problem_at(event, f"'{text}' is tagged !!{kind} but is not {word}")
        return text


def _to_int(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts: keep as written
        return text


def _ignore(value: Any) -> None:
    return None


def load_yaml(text: str, file: str = "<input>") -> Source:
    """Parse one YAML document into a Source; DefinitionError with every finding if it is not
    usable."""
    if text.startswith("\ufeff"):
        text = text[1:]
    src = Source(file=file, text=text, data=None, positions={})
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise DefinitionError([Finding(file, 0, 0,
                                       f"the file is too large ({size // (1024 * 1024)} MB; "
                                       f"the limit is {MAX_BYTES // (1024 * 1024)} MB)",
                                       code="yaml")])
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        line, col = _line_col(text, bad.start())
        raise DefinitionError([Finding(file, line, col,
                                       "the file contains a character that is not allowed "
                                       f"(U+{ord(bad.group()):04X})",
                                       code="yaml",
                                       hint="remove it; it may be invisible in some editors")])
    builder = _SourceBuilder(src)
    try:
        builder.run(yaml.parse(text, Loader=_Loader))
    except _Stop:
        pass
    except yaml.MarkedYAMLError as exc:
        builder.findings.append(_syntax_finding(src, exc))
    except yaml.YAMLError as exc:  # pragma: no cover - control characters are caught above
        builder.findings.append(Finding(file, 0, 0, f"the file is not valid YAML: {exc}",
                                        code="yaml"))
    if builder.findings:
        raise DefinitionError(builder.findings)
    if builder.documents == 0 or builder.root_empty:
        raise DefinitionError([Finding(file, 1, 1, "the file is empty", code="yaml")])
    return src


def parse_pairs(words: tuple[str, ...] | list[str],
                keep_text: frozenset[str] | set[str] = frozenset()) -> dict:
    """field=value words, each value read as YAML (2026-03-01, true, [1, 2], {reason: 8}); the
    fields named in `keep_text` keep their words as typed (a Case Number '0012'), unless written as
    a YAML list or mapping. ValueError for a word that is not field=value or a value that is not
    YAML."""
    data: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise ValueError(f"'{word}' should be field=value")
        if key in keep_text and not value.startswith(("{", "[")):
            data[key] = value or None
            continue
        try:
            data[key] = load_yaml(value or "null", "<input>").data
        except DefinitionError as exc:
            raise ValueError(
                f"'{word}': the value is not YAML ({exc.findings[0].message})") from None
    return data


def load_yaml_file(path: str | os.PathLike) -> Source:
    """Read a UTF-8 file and load it; any reading problem is a DefinitionError, never a
    traceback."""
    name = os.fspath(path)
    try:
        size = os.stat(name).st_size
        if size > MAX_BYTES:
            raise DefinitionError([Finding(name, 0, 0,
                                           f"the file is too large ({size // (1024 * 1024)} MB; "
                                           f"the limit is {MAX_BYTES // (1024 * 1024)} MB)",
                                           code="yaml")])
        with open(name, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise DefinitionError([Finding(name, 0, 0, "the file does not exist",
                                       code="yaml")]) from None
    except IsADirectoryError:
        raise DefinitionError([Finding(name, 0, 0, "this is a folder, not a file",
                                       code="yaml")]) from None
    except PermissionError:
        raise DefinitionError([Finding(name, 0, 0, "permission to read the file was refused",
                                       code="yaml")]) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise DefinitionError([Finding(name, 0, 0, f"the file cannot be read ({reason})",
                                       code="yaml")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[line_start:exc.start].decode("utf-8", "replace")) + 1
        raise DefinitionError([Finding(name, line, col,
                                       f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
                                       code="yaml",
                                       hint="save the file with UTF-8 encoding")]) from None
    return load_yaml(text, name)


def _line_col(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    breaks = list(_LINE_BREAK.finditer(before))
    if not breaks:
        return 1, index + 1
    return len(breaks) + 1, index - breaks[-1].end() + 1


_TOKEN_WORDS = {
    "<block end>": "the end of an indented block",
    "<block mapping start>": "a new indented block of keys",
    "<block sequence start>": "a new list",
    "<block entry>": "a list item '-'",
    "<scalar>": "a value",
    "<stream end>": "the end of the file",
    "<document start>": "'---'",
    "<document end>": "'...'",
    "<flow mapping start>": "'{'",
    "<flow sequence start>": "'['",
}


def _words(text: str) -> str:
    for token, words in _TOKEN_WORDS.items():
        text = text.replace(token, words)
    return text


_KEY_LINE = re.compile(r"^( *)(?:- +)?([^\s#'\"][^:#]*?|'[^']*'|\"[^\"]*\"):(?:\s|$)")


def _dedented_key(src: Source, line: int) -> tuple[tuple[int, int, str],
                                                   tuple[int, int, str]] | None:
    """A key above line `line` written less indented than the line before it, while the lines after
    it go on at least as deep (a `guards:` of a transition moved left): the key and its place, and
    the key of the line before it, which it most likely belongs with. None when there is none."""
    def indent(n: int) -> int | None:
        text = src.line_text(n)
        return None if not text.strip() or text.lstrip().startswith("#") \
            else len(text) - len(text.lstrip(" "))

    def neighbour(n: int, step: int) -> int | None:
        n += step
        while 1 <= n <= line and indent(n) is None:
            n += step
        return n if 1 <= n <= line else None

    for n in range(line - 1, max(line - 200, 0), -1):
        here = indent(n)
        match = _KEY_LINE.match(src.line_text(n)) if here is not None else None
        before, after = neighbour(n, -1), neighbour(n, 1)
        if match is None or before is None or after is None \
                or src.line_text(n).lstrip().startswith("-"):
            continue
        # what follows goes on as deep as before
        if here < (indent(before) or 0) <= (indent(after) or 0):
            near = _KEY_LINE.match(src.line_text(before))
            if near is None:
                continue
            near_col = len(near.group(1)) + (len(src.line_text(before).lstrip(" ")) -
                                              len(src.line_text(before).lstrip(" ").lstrip("- "))) \
                                                  + 1
            return (n, here + 1, match.group(2).strip()), (before, near_col, near.group(2).strip())
    return None


def _syntax_finding(src: Source, exc: yaml.MarkedYAMLError) -> Finding:
    """A syntax error as a sentence at the place it was found, with a hint where the cause is
    usual."""
    problem, context = exc.problem or "", exc.context or ""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    ctx_line, ctx_col = (exc.context_mark.line + 1, exc.context_mark.column + 1) \
        if exc.context_mark else (line, col)
    text = src.line_text(line)
    indent = text[: len(text) - len(text.lstrip(" \t"))]
    at = text[col - 1] if 0 < col <= len(text) else ""

    def found(message: str, hint: str = "", where: tuple[int, int] | None = None) -> Finding:
        ln, cl = where or (line, col)
        return Finding(src.file, ln, cl, message, code="yaml", severity="error", hint=hint)

    if "tab" in problem or "\\t" in problem or at == "\t" or "\t" in indent:
        tab_col = indent.index("\t") + 1 if "\t" in indent else col
        return found("a tab character is used for indentation",
                     "YAML indentation must use spaces, not tabs",
                     (line, tab_col))
    if "mapping values are not allowed" in problem:
        return found("a ':' followed by a space is not allowed here",
                     "put the value in quotes if it contains ': ', or check the indentation")
    if "could not find expected ':'" in problem:
        return found("a key is not followed by ':'",
                     "write 'key: value'; text that goes on over several lines must be indented "
                     "more than its key",
                     (ctx_line, ctx_col))
    if "quoted scalar" in context and "end of stream" in problem:
        return found("a quoted value is never closed", "add the closing quote", (ctx_line, ctx_col))
    if "block collection" in context and ("'-' indicator" in problem or "<block end>" in problem):
        return found("a list item and a key are mixed at the same indentation",
                     "every item of a list starts with '- ' at the same indentation; a key cannot "
                     "follow them there")
    misplaced = _dedented_key(src, line) if "block" in context else None
    if misplaced is not None:
        (key_line, key_col, key), (near_line, near_col, near) = misplaced
        return found(f"'{key}' is indented less than the lines around it",
                     f"it most likely belongs with '{near}' on line {near_line}: indent it to "
                     f"column {near_col}",
                     (key_line, key_col))
    if "block mapping" in context and ("expected key" in problem or "<block end>" in problem):
        return found("this line is not indented like the keys above it",
                     f"keys of the same mapping must line up exactly; compare with line {ctx_line}")
    if "flow sequence" in context:
        return found(f"the list opened with '[' at line {ctx_line} is not closed properly",
                     "separate the items with commas and close the list with ']'")
    if "flow mapping" in context:
        return found(f"the mapping opened with '{{' at line {ctx_line} is not closed properly",
                     "separate the entries with commas and close the mapping with '}'")
    if "cannot start any token" in problem and at:
        return found(f"a value cannot start with '{at}'", "put the value in quotes")
    message = f"YAML syntax error: {_words(problem)}"
    if context:
        message += f" ({_words(context)} at line {ctx_line})"
    return found(message)


def value_at(data: Any, path: KeyPath) -> Any:
    """The value at a key path of a plain document (None when it is not there)."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


_YAML11_BOOLEANS = frozenset(
    w for word in ("yes", "no", "on", "off", "y", "n")
    for w in (word, word.capitalize(), word.upper()))


def yaml11_booleans(src: Source) -> list[Finding]:
    """Warnings for plain (unquoted) values such as `On`, `No` or `y`: procflow reads YAML 1.2 and
    keeps them as text, but readers of YAML 1.1 (PyYAML, Ansible, older yq) read true or false."""
    found = []
    for path, (line, col, _, _) in src.positions.items():
        value = value_at(src.data, path)
        if isinstance(value, str) and value in _YAML11_BOOLEANS \
                and src.line_text(line)[col - 1:col] not in "'\"":
            meaning = "true" if value.lower() in ("yes", "on", "y") else "false"
            found.append(Finding(src.file, line, col,
                                 f"'{value}' is text here, but YAML 1.1 readers (PyYAML, "
                                 f"Ansible, older yq) read it as {meaning}", code="yaml-1.1",
                                 severity="warning",
                                 hint=f"quote it: \"{value}\""))
    return found
