"""Workflows written inline that several test files share: a parent whose event starts a child."""
from __future__ import annotations

# `go` starts a child (its event `open`), then sets `count`: to a text, which fails, when `fail` is
# given, so that the child is started by an event that is then refused
PARENT = """\
workflow: parent
title: Parent
source: s
initial: New
fields:
  count: {type: integer, source: s}
statuses:
  New: {source: s}
  Open: {source: s}
events:
  go:
    title: Go
    source: s
    data:
      fail: {type: boolean, default: false}
    transitions:
      - from: [New, Open]
        to: Open
        source: s
        effects:
          - start: child
            event: open
          - set: {count: "'x' if fail else 1"}
"""

CHILD = """\
workflow: child
title: Child
source: s
initial: New
statuses:
  New: {source: s}
  Opened: {source: s}
events:
  open:
    title: Open
    source: s
    transitions:
      - {from: New, to: Opened, source: s}
"""
