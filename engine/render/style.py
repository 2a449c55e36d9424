"""The diagrams' colours, shared by every format so that a group looks the same everywhere."""
from __future__ import annotations

from .graph import Diagram

# per group, in the order the workflow's statuses name them: (name, cluster background, status fill,
# border)
PALETTE = (
    ("blue", "#EEF4FB", "#C6DBEF", "#2F5F98"),
    ("orange", "#FEF4EA", "#FDD0A2", "#B35806"),
    ("green", "#EEF7EC", "#C7E9C0", "#2E7D32"),
    ("purple", "#F4F1F9", "#DADAEB", "#5E4A9C"),
    ("pink", "#FDF0F3", "#F7C6D3", "#A3324F"),
    ("teal", "#F0F7F7", "#BFE3E0", "#1F7A72"),
    ("yellow", "#FAF8E8", "#EFE6A8", "#857411"),
)
NO_GROUP = ("grey", "#FFFFFF", "#EEEEEE", "#555555")
PATH = "#D62728"  # the highlighted path
EDGE = "#4D4D4D"
EFFECT = "#1A4F8B"  # effect keys
# `procflow diff --diagram`: what a version added, changed, and removed (drawn dashed, from the old
# version)
MARKS = {"added": "#2CA02C", "changed": "#E69F00", "removed": "#D62728"}
MARK_WORDS = {"added": "green: added in this version", "changed": "amber: changed in this version",
              "removed": "red, dashed: removed (as the old version had it)"}


def colours(diagram: Diagram, group: str) -> tuple[str, str, str, str]:
    """(name, background, fill, border) of a group; statuses without a group are grey."""
    if group not in diagram.groups:
        return NO_GROUP
    return PALETTE[diagram.groups.index(group) % len(PALETTE)]
