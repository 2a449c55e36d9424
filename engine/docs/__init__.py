"""Generated procedure documents: the page a staff member reads, written from the workflow the
engine runs.

`document(wf, related)` builds the document as data (engine.docs.model, pure); `markdown.render`
and `html.render` say it; `site.build_site` assembles every page of a site (with diagrams).
"""
from __future__ import annotations

from .build import document
from .model import Document

__all__ = ["Document", "document"]
