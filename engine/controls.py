"""Owns control characters: the ones no text procflow reads may hold (NUL, ESC and the rest of C0
but tab and newline, DEL, C1), refused where text is read, and how one is shown where text is
written out anyway."""
from __future__ import annotations

import re

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x84\x86-\x9f]")


def control_in(text: str) -> str:
    """The first control character of `text` named as U+XXXX, or '' when it has none."""
    found = CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else ""


def visible(text: str) -> str:
    """`text` with each control character written as \\xHH: nothing written to a terminal, a diagram
    or a page can clear the screen, move the cursor or end a string early."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text) if CONTROL.search(text) else text
