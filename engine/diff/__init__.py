"""What changed between two versions of a workflow, in the procedure's own terms, and its
renderings.

`compare(old, new)` gives a list of `Change` records: a status, event, transition, guard, effect,
intray, letter, field, list value, table row, query or schedule added, removed or changed, each
named as the procedure names it (titles, sentences, due periods), with the source of the rule and
where it is written (in the new file; in the old one for what was removed). A transition is
matched by its event, the statuses it leaves and the one it leads to (and its `when:`), a guard
by its check or its sentence, an effect by what it acts on, so that a reworded sentence shows as
a change, not as a removal and an addition.

`diff_text`, `diff_markdown` (a review comment) and `diff_json` render the list; `diagram_marks`
says what a diagram of the new version should colour; `removed_status_findings` is the warning
`procflow check` gives when a status that cases of the old version may be in is gone.

Pure: the models are compared as they are; reading files and git revisions is `engine.spec`'s.
change.py holds the records, words.py the wording, compare.py the comparison, render.py the
renderings.
"""

from __future__ import annotations

from .change import KINDS, SECTIONS, Change
from .compare import (
    compare,
    diagram_marks,
    match,
    reachable,
    reachable_in_document,
    removed_status_findings,
    removed_statuses,
)
from .render import diff_json, diff_markdown, diff_text, reworded, summary
from .words import due_words

__all__ = ["KINDS", "SECTIONS", "Change", "compare", "diagram_marks", "diff_json", "diff_markdown",
           "diff_text",
           "due_words", "match", "reachable", "reachable_in_document", "removed_status_findings",
           "removed_statuses", "reworded", "summary"]
