"""A list of changes rendered: plain text (as git's --word-diff marks words), a Markdown review
comment, and JSON with stable keys."""
from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence

from ..model import (
    Pos,
    Workflow,
)
from .change import KINDS, SECTIONS, SIGN, SIMILAR, Change

# -- renderings ------------------------------------------------------------------------------------

def reworded(before: str, after: str, mark: Callable[[str, str], str],
             plain: Callable[[str], str] = str) -> str | None:
    """A long text changed in a few words, said once with its changed words marked (`mark(old, new)`
    says one replaced run: either may be ''); None when it is short, or changed too much to read
    so."""
    if min(len(before), len(after)) < 40:
        return None
    a, b = before.split(" "), after.split(" ")
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.ratio() < SIMILAR:
        return None
    out = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(plain(" ".join(a[i1:i2])))
        else:
            out.append(mark(" ".join(a[i1:i2]), " ".join(b[j1:j2])))
    return " ".join(p for p in out if p)


def _text_mark(old: str, new: str) -> str:
    return (f"[-{old}-]" if old else "") + (f"{{+{new}+}}" if new else "")


def _md_mark(old: str, new: str) -> str:
    return (f"~~{_md(old)}~~" if old else "") + (" " if old and new else "") \
        + (f"**{_md(new)}**" if new else "")


def _change_text(c: Change) -> str:
    """A change as `Change.text()` says it, a reworded text with its changed words marked as git's
    --word-diff."""
    if c.kind == "changed":
        words = reworded(c.before, c.after, _text_mark)
        if words is not None:
            where = f" in {c.where}" if c.where else ""
            return f"{c.what} {c.name}{where}: {c.aspect} reworded: {words}"
    return c.text()


def summary(changes: Sequence[Change]) -> dict[str, int]:
    counts = {k: sum(c.kind == k for c in changes) for k in KINDS}
    return {"total": len(changes), **counts}


def _version(wf: Workflow) -> str:
    return wf.version or "?"


def _headline(changes: Sequence[Change]) -> str:
    s = summary(changes)
    if not s["total"]:
        return "no change"
    parts = ", ".join(f"{s[k]} {k}" for k in KINDS if s[k])
    return f"{s['total']} change{'' if s['total'] == 1 else 's'} ({parts})"


def _where(pos: Pos) -> str:
    if pos is None:
        return ""
    return f"{pos[0]}:{pos[1]}:{pos[2]}" if pos[1] else pos[0]


def _by_section(changes: Sequence[Change]) -> list[tuple[str, list[Change]]]:
    out: dict[str, list[Change]] = {}
    for c in changes:
        out.setdefault(c.section, []).append(c)
    return [(title, out[title]) for title, _ in SECTIONS if title in out]


def diff_text(old: Workflow, new: Workflow, changes: Sequence[Change]) -> str:
    """For a terminal: a headline, then per section one line per change, `file:line:col: ` first."""
    out = [f"{new.title} ({new.name}): version {_version(old)} → {_version(new)}: "
           f"{_headline(changes)}"]
    for title, mine in _by_section(changes):
        out.append(f"\n{title}:")
        for c in mine:
            where = _where(c.at)
            source = f" ({c.source})" if c.source else ""
            out.append(f"  {SIGN[c.kind]} {where + ': ' if where else ''}{_change_text(c)}{source}")
    return "\n".join(out) + "\n"


def _md(text: str) -> str:
    """Text safe in a Markdown table cell."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("*", "\\*")
            .replace("_", "\\_").replace("\n", " "))


def _md_where(pos: Pos) -> str:
    if pos is None:
        return ""
    return f"`{pos[0]}:{pos[1]}`" if pos[1] else f"`{pos[0]}`"


def diff_markdown(old: Workflow, new: Workflow, changes: Sequence[Change]) -> str:
    """A review comment: a summary line, then a table per section (change, what, details, source,
    where)."""
    s = summary(changes)
    out = [f"### Procedure change: {_md(new.title)} (`{new.name}`)", ""]
    if not s["total"]:
        out.append(f"No change to the procedure (version `{_version(old)}` → `{_version(new)}`).")
        return "\n".join(out) + "\n"
    counts = ", ".join(f"{s[k]} {k}" for k in KINDS if s[k])
    out.append(f"Version `{_version(old)}` → `{_version(new)}`: **{s['total']} change"
               f"{'' if s['total'] == 1 else 's'}** ({counts}).")
    for title, mine in _by_section(changes):
        out += ["", f"#### {title}", "", "| change | what | details | source | where |",
                "|---|---|---|---|---|"]
        for c in mine:
            what = f"{c.what} **{_md(c.name)}**" + (f"<br>in {_md(c.where)}" if c.where else "")
            words = reworded(c.before, c.after, _md_mark, _md) if c.kind == "changed" else None
            if words is not None:
                details = f"{_md(c.aspect)} reworded: {words}"
            elif c.kind == "changed":
                details = f"{_md(c.aspect)}: {_md(c.before or 'none')} → {_md(c.after or 'none')}"
            else:
                details = _md(c.after if c.kind == "added" else c.before)
            out.append(f"| {c.kind} | {what} | {details} | {_md(c.source)} | {_md_where(c.at)} |")
    return "\n".join(out) + "\n"


def diff_json(old: Workflow, new: Workflow, changes: Sequence[Change]) -> dict:
    """Stable keys: workflow, old and new ({file, version, title}), summary ({total, added, removed,
    changed}) and changes (each: kind, what, name, where, aspect, before, after, source, text, at,
    was_at)."""
    def side(wf: Workflow) -> dict:
        return {"workflow": wf.name, "title": wf.title, "file": wf.file, "version": wf.version}

    return {"workflow": new.name, "old": side(old), "new": side(new), "summary": summary(changes),
            "changes": [c.to_json() for c in changes]}
